"""Block-spin coarse-graining of Ising configurations and the essay's micro/meso/macro dials.

Study module of the chapter "Coarse-graining: from spins to dials"
(``book/ising/03_coarse_graining.ipynb``).

Block spins
-----------
:func:`majority_rule` replaces every b x b block of a periodic L x L
configuration by the sign of its spin sum (Kadanoff's block spin with the
majority rule).  For odd b the sum is never zero.  For even b a zero sum (a
tie) is broken by a fair coin from a seeded generator (``numpy.random.default_rng(seed)``),
so a seed reproduces the coarse lattice.  The chapter uses b = 3, which has no ties.

Domains
-------
A domain is a maximal set of equal spins connected through nearest-neighbour
bonds (4-connectivity).  :func:`label_domains` labels the + and the - sites
with :func:`scipy.ndimage.label` (which does not know about periodic
boundaries), then merges labels across the wrap-around bonds: every pair of
equal spins in column 0 and column L-1 of the same row, and in row 0 and row
L-1 of the same column, joins its two labels; the merged classes are the
connected components of that label graph
(:func:`scipy.sparse.csgraph.connected_components`).

Dials
-----
* macro: magnetisation :math:`M = \\frac1N\\sum_i s_i` (and ``|M|``);
* meso: number of domains, mean domain size ``N / n_domains`` (number average), the
  fraction of sites in the largest domain;
* polarisation index (defined here, not taken from the literature):
  :math:`\\Pi = 2\\min(A_+, A_-)/N`, where :math:`A_\\pm` is the size of the
  largest + and the largest - domain.  Π = 1 when the lattice splits into two
  equal, internally connected opposing camps; Π -> 0 when one camp absorbs
  almost everyone (ordered phase) and also when both camps shatter into many
  small domains (disordered phase, :math:`A_\\pm \\ll N`).  It measures
  *spatially organised* opposition, unlike the population measure
  :math:`1 - M^2` (which is largest for a random mix).
"""

from __future__ import annotations

import math

import numpy as np

from utacbook import _validate as v
from utacbook.theory import _exact as exact
from utacbook._kernels import ising as _K
from utacbook._kernels.rng import STREAM_STRIDE as _STREAM_STRIDE
from utacbook.models._ising import simulate_lattice

__all__ = ["TC", "majority_rule", "block_levels", "nn_correlation", "label_domains",
           "domain_stats", "equilibrium_configs", "flow", "dial_scan", "eta_squared",
           "critical_reference", "exact_nn_correlation", "exact_nn_measurements", "eta_squared_boot",
           "DIALS", "ETA_MIN", "TAU_TC", "TAU_TC_RANGE", "chain_tau", "claims",
           "keeps_order_measurements", "slow_flow_measurements", "block_vs_nn_measurements",
           "block_vs_nn_sensitivity",
           "dial_measurements",
           "plot_levels", "plot_flow", "plot_dials", "explore_figure"]

#: Onsager's critical temperature for J = 1
TC = exact.onsager_tc(1.0)


def _seed(seed):
    return v.integer("seed", seed, low=0)


def _lattice(spins, name="spins"):
    s = np.asarray(spins)
    if s.ndim != 2 or s.shape[0] != s.shape[1] or s.shape[0] < 1:
        raise ValueError(f"{name} must be a square (L, L) array, got shape {s.shape}")
    if s.dtype.kind not in "biuf" or not np.all(np.isin(s, (-1, 1))):
        raise ValueError(f"{name} must contain only +1 and -1")
    return s.astype(np.int8)


def majority_rule(spins, b=3, *, seed=0):
    """One block-spin step: the sign of the spin sum of each b x b block.

    Parameters
    ----------
    spins : array_like of +-1, shape (L, L)
        A configuration; b must divide L.
    b : int >= 1, default 3
        Linear block size.  Odd b never ties; for even b a zero block sum is
        replaced by +1 or -1 with probability 1/2 each.
    seed : int >= 0, default 0
        Seed of the tie-breaking coin (ignored for odd b).

    Returns
    -------
    ndarray of int8, shape (L // b, L // b)
    """
    s = _lattice(spins)
    b = v.integer("b", b, low=1)
    L = s.shape[0]
    if L % b:
        raise ValueError(f"b={b} must divide the lattice size L={L}")
    sums = s.reshape(L // b, b, L // b, b).sum(axis=(1, 3), dtype=np.int64)
    out = np.sign(sums).astype(np.int8)
    ties = out == 0
    if ties.any():
        rng = np.random.default_rng(_seed(seed))
        out[ties] = rng.choice(np.array([-1, 1], dtype=np.int8), size=int(ties.sum()))
    return out


def block_levels(spins, b=3, n_levels=None, *, seed=0):
    """Repeated majority-rule blocking: [s, R(s), R(R(s)), ...].

    Parameters
    ----------
    spins : array_like of +-1, shape (L, L)
    b : int >= 2, default 3
    n_levels : int >= 0 or None
        Blocking steps; None goes down while the lattice side is at least b.
        ``b ** n_levels`` must divide L.
    seed : int >= 0
        Tie-breaking seed; level k uses ``seed + k``.

    Returns
    -------
    list of ndarray of int8
        ``n_levels + 1`` lattices, finest first.
    """
    s = _lattice(spins)
    b = v.integer("b", b, low=2)
    seed = _seed(seed)
    L = s.shape[0]
    if n_levels is None:
        n_levels = 0
        while L % b ** (n_levels + 1) == 0:
            n_levels += 1
    n_levels = v.integer("n_levels", n_levels, low=0)
    if L % b ** n_levels:
        raise ValueError(f"b**n_levels = {b ** n_levels} must divide L = {L}")
    out = [s]
    for k in range(n_levels):
        out.append(majority_rule(out[-1], b, seed=seed + k))
    return out


def nn_correlation(spins):
    """Mean nearest-neighbour product <s_i s_j> over all 2N bonds of the periodic lattice.

    Equals -e/(2J) for the Ising energy per spin e (zero field; 2N bonds).

    Parameters
    ----------
    spins : array_like of +-1, shape (L, L), L >= 2
    """
    s = _lattice(spins).astype(np.int64)
    if s.shape[0] < 2:
        raise ValueError("spins must be at least 2 x 2 for nearest-neighbour bonds")
    return float(0.5 * (np.mean(s * np.roll(s, 1, 0)) + np.mean(s * np.roll(s, 1, 1))))


def label_domains(spins):
    """Label the domains (4-connected like-spin clusters) of a periodic configuration.

    Parameters
    ----------
    spins : array_like of +-1, shape (L, L)

    Returns
    -------
    labels : ndarray of int, shape (L, L)
        Domain index 0 .. n_domains - 1 of each site (periodic wrap merged).
    signs : ndarray of int8, shape (n_domains,)
        The spin value of each domain.
    sizes : ndarray of int, shape (n_domains,)
        Number of sites of each domain.
    """
    from scipy import ndimage
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    s = _lattice(spins)
    L = s.shape[0]
    cross = ndimage.generate_binary_structure(2, 1)
    lp, n_p = ndimage.label(s == 1, structure=cross)
    lm, n_m = ndimage.label(s == -1, structure=cross)
    lab = np.where(s == 1, lp, lm + n_p) - 1          # 0 .. n_p + n_m - 1
    n = n_p + n_m
    # wrap-around bonds between equal spins join their labels
    a = np.concatenate([lab[:, 0], lab[0, :]])
    c = np.concatenate([lab[:, L - 1], lab[L - 1, :]])
    same = np.concatenate([s[:, 0] == s[:, L - 1], s[0, :] == s[L - 1, :]])
    a, c = a[same], c[same]
    g = coo_matrix((np.ones(a.size), (a, c)), shape=(n, n))
    _, comp = connected_components(g, directed=False)
    labels = comp[lab]
    n_dom = int(comp.max()) + 1 if n else 0
    sizes = np.bincount(labels.ravel(), minlength=n_dom)
    signs = np.zeros(n_dom, dtype=np.int8)
    signs[labels.ravel()] = s.ravel()
    return labels, signs, sizes


def domain_stats(spins):
    """The chapter's dials of one configuration.

    Parameters
    ----------
    spins : array_like of +-1, shape (L, L)

    Returns
    -------
    dict of float
        ``m`` (magnetisation per spin), ``abs_m``, ``c`` (nearest-neighbour
        correlation), ``n_domains``, ``mean_size`` (N / n_domains),
        ``largest`` (largest domain / N), ``polarisation``
        (:math:`2\\min(A_+, A_-)/N`, 0 if one sign is absent).
    """
    s = _lattice(spins)
    N = s.size
    _, signs, sizes = label_domains(s)
    a_plus = sizes[signs == 1].max() if np.any(signs == 1) else 0
    a_minus = sizes[signs == -1].max() if np.any(signs == -1) else 0
    m = float(s.mean())
    return {"m": m, "abs_m": abs(m), "c": nn_correlation(s) if s.shape[0] >= 2 else float("nan"),
            "n_domains": float(sizes.size), "mean_size": N / sizes.size,
            "largest": float(sizes.max()) / N, "polarisation": 2.0 * min(a_plus, a_minus) / N}


# --------------------------------------------------------------------------
# Simulations
# --------------------------------------------------------------------------

def _wolff_chunk(L, T, spins, steps, seed_seq):
    """Exactly ``simulate_lattice(L, T, sweeps=steps, burn_in=0, algorithm="wolff", init=spins,
    seed=seed_seq)``: returns its final spins and cluster sizes, without its per-call overhead.

    :func:`utacbook.models.simulate_lattice` draws the Wolff stream as child L of
    ``SeedSequence(seed_seq)`` (``make_streams(seed, L + 1)[L]``, which spawns all
    L + 1 children); here only that child is made, so a chunk of a few cluster
    steps at L = 243 costs the kernel call, not 244 spawns (the test
    ``test_wolff_chunk_is_simulate_lattice`` checks the identity).  ``spins``
    (int8, L x L, +-1) is not modified.
    """
    child = np.random.SeedSequence(seed_seq.entropy,
                                   spawn_key=tuple(int(k) for k in seed_seq.spawn_key) + (L,))
    st = np.zeros(_STREAM_STRIDE, dtype=np.uint64)
    words = child.generate_state(4, dtype=np.uint64)
    if not words.any():  # as make_streams: the all-zero state is a fixed point of xoshiro
        words[0] = np.uint64(0x9E3779B97F4A7C15)
    st[:4] = words
    s = np.array(spins, dtype=np.int8, order="C", copy=True)
    e = np.empty(steps)
    m = np.empty(steps)
    sizes = np.empty(steps, dtype=np.int64)
    _K.run_wolff(s, 1.0 / T, 1.0, 0, st, e, m, sizes)
    return s, sizes


def _run_wolff_sweeps(L, T, spins, n_sweeps, seed_seq):
    """Wolff steps until about n_sweeps * N spins have been flipped; returns final spins."""
    N = L * L
    flipped = 0
    k = 0
    chunk = 8
    while flipped < n_sweeps * N:
        spins, cluster_sizes = _wolff_chunk(L, T, spins, chunk,
                                            np.random.SeedSequence(seed_seq.entropy,
                                                                   spawn_key=seed_seq.spawn_key + (k,)))
        flipped += int(cluster_sizes.sum())
        mean_c = max(1.0, float(cluster_sizes.mean()))
        # next chunk: about the rest of the target, at most a quarter sweep's worth of steps
        rest = n_sweeps * N - flipped
        chunk = int(min(max(8, rest / mean_c), max(8, 0.25 * N / mean_c) + 8))
        k += 1
    return spins


def equilibrium_configs(T, *, L=243, n_configs=16, burn_sweeps=10, gap_sweeps=3, seed=0):
    """Equilibrium configurations of the L x L Ising model at temperature T (Wolff).

    One Wolff chain per temperature, started ordered (all up), with
    ``burn_sweeps`` sweep-equivalents of burn-in (clusters flipped until
    ``burn_sweeps * N`` spins have been flipped) and ``gap_sweeps``
    sweep-equivalents between saved configurations.  The saved configurations
    are successive states of one chain and are *not* independent: at T_c,
    L = 243 and ``gap_sweeps = 3`` the integrated autocorrelation time of c and
    ``|m|`` is about 0.76 configurations (:data:`TAU_TC`), so errors of means
    over them need the factor sqrt(2 τ_int) (:func:`flow` with ``tau``).  Wolff
    works for odd L, which the checkerboard kernels do not.

    Parameters
    ----------
    T : float > 0
    L : int >= 4, default 243 (= 3^5)
    n_configs : int >= 1
    burn_sweeps, gap_sweeps : float > 0
    seed : int >= 0

    Returns
    -------
    ndarray of int8, shape (n_configs, L, L)
    """
    T = v.real("T", T, positive=True)
    L = v.integer("L", L, low=4)
    n_configs = v.integer("n_configs", n_configs, low=1)
    burn_sweeps = v.real("burn_sweeps", burn_sweeps, positive=True)
    gap_sweeps = v.real("gap_sweeps", gap_sweeps, positive=True)
    seed = _seed(seed)
    ss = np.random.SeedSequence(seed, spawn_key=(int(round(T * 1e6)), L))
    spins = np.ones((L, L), dtype=np.int8)
    spins = _run_wolff_sweeps(L, T, spins, burn_sweeps,
                              np.random.SeedSequence(ss.entropy, spawn_key=ss.spawn_key + (0,)))
    out = np.empty((n_configs, L, L), dtype=np.int8)
    for i in range(n_configs):
        spins = _run_wolff_sweeps(L, T, spins, gap_sweeps,
                                  np.random.SeedSequence(ss.entropy,
                                                         spawn_key=ss.spawn_key + (i + 1,)))
        out[i] = spins
    return out


def _mean_sem(x, axis=0):
    x = np.asarray(x, dtype=float)
    n = x.shape[axis]
    return x.mean(axis=axis), (x.std(axis=axis, ddof=1) / math.sqrt(n) if n > 1
                               else np.full(x.mean(axis=axis).shape, np.nan))


def flow(configs, *, b=3, n_levels=None, seed=0, tau=None):
    """Flow of ``|m|`` and the nearest-neighbour correlation c under repeated blocking.

    Parameters
    ----------
    configs : array_like of +-1, shape (n, L, L)
        Equilibrium configurations.
    b : int >= 2, default 3
    n_levels : int or None
        Blocking steps (None: while the side stays >= b; levels whose side is
        below 2 have no nearest-neighbour bonds and get c = nan).
    seed : int >= 0
        Tie-breaking seed (even b); configuration i uses ``seed + 1000 i``.
    tau : float >= 0.5 or None
        Integrated autocorrelation time of the series, in configurations, for
        configurations that are successive states of one chain: every error
        is the plain standard error times sqrt(2 tau).  None: the plain
        standard error of the mean (independent configurations).

    Returns
    -------
    dict
        ``side`` (n_levels + 1,), per-configuration ``abs_m``, ``m``, ``c``
        (n, n_levels + 1), and ``abs_m_mean``, ``abs_m_sem``, ``c_mean``,
        ``c_sem`` (errors of the means, with ``tau``), ``tau`` (0.5 when None),
        ``sign_kept`` (fraction of configurations whose block
        magnetisation at each level has the sign of the original m; ties count 1/2).
    """
    cs = np.asarray(configs)
    if cs.ndim != 3:
        raise ValueError(f"configs must have shape (n, L, L), got {cs.shape}")
    seed = _seed(seed)
    tau = 0.5 if tau is None else v.real("tau", tau, low=0.5)
    am, mm, cc = [], [], []
    side = None
    for i, s in enumerate(cs):
        lv = block_levels(s, b, n_levels, seed=seed + 1000 * i)
        side = [x.shape[0] for x in lv]
        mm.append([float(x.mean()) for x in lv])
        am.append([abs(float(x.mean())) for x in lv])
        cc.append([nn_correlation(x) if x.shape[0] >= 2 else float("nan") for x in lv])
    am, mm, cc = np.array(am), np.array(mm), np.array(cc)
    sk = np.sign(mm) * np.sign(mm[:, :1])
    res = {"side": np.array(side), "abs_m": am, "m": mm, "c": cc,
           "sign_kept": np.mean(np.where(sk == 0, 0.5, sk > 0), axis=0)}
    res["abs_m_mean"], res["abs_m_sem"] = _mean_sem(am)
    res["c_mean"], res["c_sem"] = _mean_sem(cc)
    res["abs_m_sem"] = res["abs_m_sem"] * math.sqrt(2.0 * tau)
    res["c_sem"] = res["c_sem"] * math.sqrt(2.0 * tau)
    res["tau"] = float(tau)
    return res


#: pooled integrated autocorrelation time (in saved configurations) of c and ``|m|`` at levels 0-3 of
#: an independent chain at T_c (L = 243, b = 3, 300 configurations, seed 99; :func:`chain_tau`);
#: tests/studies/ising/test_coarse_graining.py recomputes it
TAU_TC = 0.76
#: the range of the eight single-series estimates behind :data:`TAU_TC`
TAU_TC_RANGE = (0.68, 0.79)


def chain_tau(T=TC, *, L=243, n_configs=300, b=3, n_levels=3, seed=99):
    """Integrated autocorrelation time of an :func:`equilibrium_configs` chain, pooled over observables.

    Runs an independent chain (its own ``seed``), blocks it with :func:`flow`
    and estimates τ_int (in saved configurations, ``utacbook.stats``) of c and
    ``|m|`` at every level; the pooled value is their mean.

    Returns
    -------
    dict
        ``tau`` (pooled), ``tau_c`` and ``tau_abs_m`` (per level), ``n_configs``, ``seed``.

    Examples
    --------
    >>> from utacbook.studies.ising.coarse_graining import chain_tau
    >>> r = chain_tau(2.0, L=27, n_configs=40, n_levels=1, seed=1)
    >>> sorted(r), len(r["tau_c"]), r["tau"] >= 0.0
    (['n_configs', 'seed', 'tau', 'tau_abs_m', 'tau_c'], 2, True)
    """
    from utacbook.stats import _mcstats
    n_configs = v.integer("n_configs", n_configs, low=8)
    f = flow(equilibrium_configs(T, L=L, n_configs=n_configs, seed=seed), b=b, n_levels=n_levels, seed=seed)
    tc = [float(_mcstats.mean_with_error(f["c"][:, k])[2]) for k in range(f["c"].shape[1])]
    tm = [float(_mcstats.mean_with_error(f["abs_m"][:, k])[2]) for k in range(f["abs_m"].shape[1])]
    return {"tau": float(np.mean(tc + tm)), "tau_c": tc, "tau_abs_m": tm, "n_configs": n_configs, "seed": seed}


_DIALS = ("abs_m", "m", "c", "n_domains", "mean_size", "largest", "polarisation")


#: the default temperature grid of :func:`dial_scan` (denser near T_c)
DIAL_TEMPERATURES = np.array([1.8, 2.0, 2.1, 2.2, 2.25, TC, 2.3, 2.35, 2.45, 2.6, 2.8, 3.0, 3.2])


def dial_scan(temperatures=None, *, L=243, n_configs=12, burn_sweeps=10, gap_sweeps=3, seed=0):
    """The micro/meso/macro dials of equilibrium configurations against T.

    Parameters
    ----------
    temperatures : array_like of float > 0, optional
        Default: 1.8, 2.0, 2.1, 2.2, 2.25, T_c, 2.3, 2.35, 2.45, 2.6, 2.8, 3.0, 3.2.
    L, n_configs, burn_sweeps, gap_sweeps, seed
        As in :func:`equilibrium_configs`.

    Returns
    -------
    dict
        ``T`` (n_T,), ``configs`` list of (n_configs, L, L) arrays, and for
        each dial (``abs_m``, ``m``, ``c``, ``n_domains``, ``mean_size``,
        ``largest``, ``polarisation``) the raw values (n_T, n_configs).
    """
    if temperatures is None:
        temperatures = DIAL_TEMPERATURES
    T = v.real_array("temperatures", temperatures, ndim=1, min_len=1)
    if np.any(T <= 0):
        raise ValueError("temperatures must be > 0")
    out = {k: np.empty((T.size, n_configs)) for k in _DIALS}
    configs = []
    for j, t in enumerate(T):
        cfg = equilibrium_configs(float(t), L=L, n_configs=n_configs, burn_sweeps=burn_sweeps,
                                  gap_sweeps=gap_sweeps, seed=seed)
        configs.append(cfg)
        for i, s in enumerate(cfg):
            d = domain_stats(s)
            for k in _DIALS:
                out[k][j, i] = d[k]
    out.update(T=T, configs=configs, L=L)
    return out


def eta_squared(values):
    """Fraction of the total variance of a dial explained by temperature (η², one-way ANOVA).

    :math:`\\eta^2 = SS_{\\rm between}/SS_{\\rm total}`: 1 if every configuration at
    a temperature shows the same value, 0 if temperature tells nothing.

    Parameters
    ----------
    values : array_like, shape (n_T, n_configs), n_T >= 2

    Returns
    -------
    float in [0, 1] (nan if all values are equal)
    """
    x = v.real_array("values", values, ndim=2)
    if x.shape[0] < 2:
        raise ValueError("values must have at least 2 temperatures (rows)")
    grand = x.mean()
    ss_tot = float(np.sum((x - grand) ** 2))
    if ss_tot == 0:
        return float("nan")
    ss_between = float(np.sum(x.shape[1] * (x.mean(axis=1) - grand) ** 2))
    return ss_between / ss_tot


def critical_reference(sides=(9, 27, 81, 243), *, steps=4000, burn_in=500, seed=0):
    """``<|m|>`` and the nearest-neighbour correlation of the *original* model at T_c, per side.

    The reference for the critical flow: if majority-rule blocking maps the
    critical model to (near) itself, the block lattice of side L' should look
    like the original model on an L' x L' lattice at T_c.  Wolff runs (any L,
    ordered start), c = -<e>/2 per spin.

    Parameters
    ----------
    sides : sequence of int >= 3
    steps : int >= 100
        Recorded Wolff cluster steps per side.
    burn_in : int >= 0
    seed : int >= 0

    Returns
    -------
    dict
        ``side`` (n,), ``abs_m`` and ``c`` (n, 2) of (value, error).
    """
    seed = _seed(seed)
    steps = v.integer("steps", steps, low=100)
    burn_in = v.integer("burn_in", burn_in, low=0)
    sides = [v.integer("sides", n, low=3) for n in sides]
    am, cc = [], []
    for n in sides:
        r = simulate_lattice(n, TC, sweeps=steps, burn_in=burn_in, algorithm="wolff", init="up",
                             seed=np.random.SeedSequence(seed, spawn_key=(7, n)))
        am.append(r.abs_magnetization)
        e, de = r.mean_energy
        cc.append((-e / 2.0, de / 2.0))
    return {"side": np.array(sides), "abs_m": np.array(am, dtype=float),
            "c": np.array(cc, dtype=float)}


def exact_nn_correlation(sides, T=TC):
    """Exact nearest-neighbour correlation c = -e/2 of the periodic L x L lattice (Kaufman 1949), per side.

    The energy per spin of the finite torus (:func:`utacbook.theory.kaufman`, valid
    for odd and even sides) gives c exactly (J = 1, 2N bonds); it tends to
    Onsager's 1/sqrt(2) at T_c as L grows.

    Parameters
    ----------
    sides : int or sequence of int >= 2
    T : float > 0, default T_c

    Returns
    -------
    ndarray (n,)

    Examples
    --------
    >>> import math
    >>> from utacbook.studies.ising.coarse_graining import exact_nn_correlation
    >>> from utacbook.theory import enumerate_lattice
    >>> c = exact_nn_correlation([3, 9, 2187])
    >>> round(float(c[0]), 10) == round(-enumerate_lattice(3, 2 / math.log(1 + math.sqrt(2)))["energy"] / 2, 10)
    True
    >>> bool(c[0] > c[1] > c[2] > 1 / math.sqrt(2)), round(float(c[2]) - 1 / math.sqrt(2), 5)   # -> Onsager
    (True, 0.00014)
    """
    T = v.real("T", T, positive=True)
    sides = [v.integer("sides", n, low=2) for n in np.atleast_1d(sides)]
    return np.array([-exact.kaufman(n, T)["energy"] / 2.0 for n in sides])


def exact_nn_measurements(reference, critical=None, *, T=TC):
    """Measured minus exact (Kaufman) c at T, per side of ``reference`` and for level 0 of ``critical``.

    Parameters
    ----------
    reference : dict from :func:`critical_reference`
    critical : dict from :func:`flow`, optional
        Its level-0 c is compared at its side: ``c_mean`` with the error
        ``c_sem`` of the flow (pass ``tau`` to :func:`flow`: the configurations of
        :func:`equilibrium_configs` are successive states of one chain).

    Returns
    -------
    list of utacbook.claims.Measurement

    Examples
    --------
    >>> import numpy as np
    >>> from utacbook.studies.ising.coarse_graining import exact_nn_correlation, exact_nn_measurements
    >>> ref = {"side": np.array([9]), "c": np.array([[exact_nn_correlation(9)[0] + 0.002, 0.004]])}
    >>> (m,) = exact_nn_measurements(ref)
    >>> m.condition, round(m.value, 6), m.err
    ('L = 9 (Wolff)', 0.002, 0.004)
    """
    from utacbook.claims import Measurement
    sides = [int(n) for n in reference["side"]]
    ex = exact_nn_correlation(sides, T)
    out = [Measurement(float(reference["c"][i, 0] - ex[i]), float(reference["c"][i, 1]),
                       condition=f"L = {n} (Wolff)") for i, n in enumerate(sides)]
    if critical is not None:
        n0 = int(critical["side"][0])
        mean, err = critical["c_mean"][0], critical["c_sem"][0]
        out.append(Measurement(float(mean - exact_nn_correlation(n0, T)[0]), float(err),
                               condition=f"L = {n0} (level 0)"))
    return out


def eta_squared_boot(values, *, n_boot=1000, seed=0):
    """Bootstrap standard error of :func:`eta_squared`.

    Configurations are resampled with replacement within each temperature
    (the temperatures are fixed by design).

    Parameters
    ----------
    values : array_like, shape (n_T, n_configs)
    n_boot : int >= 10, default 1000
    seed : int >= 0, default 0

    Returns
    -------
    float
        Standard deviation of η² over the replicas.
    """
    x = v.real_array("values", values, ndim=2)
    n_boot = v.integer("n_boot", n_boot, low=10)
    rng = np.random.default_rng(_seed(seed))
    n_T, n = x.shape
    rows = np.arange(n_T)[:, None]
    reps = [eta_squared(x[rows, rng.integers(0, n, size=(n_T, n))]) for _ in range(n_boot)]
    return float(np.nanstd(reps, ddof=1))


# --------------------------------------------------------------------------
# Claims: stated before the measurement, judged from the study's results
# --------------------------------------------------------------------------

#: the essay's dials measured here: key of :func:`dial_scan` -> label
DIALS = {"abs_m": "|M|", "c": "c = ⟨s_i s_j⟩", "n_domains": "domain count",
         "mean_size": "mean domain size", "largest": "largest domain / N",
         "polarisation": "polarisation Π"}

#: η² threshold of the "few dials" claim: T explains at least this share of each dial's variance
ETA_MIN = 0.9


def claims(*, seed=2026, seed_tc=2027, L=243, b=3, n_levels=3, flow_T=(2.0, 2.6),
           sides=(9, 27, 81), flow_levels=2, n_temperatures=13, T_range=(1.8, 3.2),
           n_configs=12, block_nn=None):
    """The claims of the chapter "Coarse-graining: from spins to dials", with their criteria.

    The parameters only fill in the scopes: pass the values the chapter runs with.
    ``block_nn`` (a :func:`block_vs_nn_sensitivity`, passed at judging time) only fills the
    measured numbers into the note of the block-equals-nn claim; no criterion depends on it.

    Returns
    -------
    list of utacbook.claims.Claim
    """
    from utacbook import claims as uc
    lo, hi = flow_T
    temps = f"T = {lo:g}, T_c, {hi:g}"
    gap_small, gap_big = exact_nn_correlation([min(sides), L]) - 1.0 / math.sqrt(2.0)
    if block_nn is None:
        bnn_txt = ("with the plain standard error, as first judged, the verdict was not reproduced; the "
                   "measured deviations, and the τ at which the verdict changes, are filled in at judging time")
    else:
        sens = block_nn
        i_ok = [i for i, t in enumerate(sens["tau_flip"]) if t <= sens["tau"]]
        dev_txt = ", ".join(f"{d:+.3f}" for d in sens["deviation"])
        bnn_txt = (f"with the plain standard error, as first judged, the verdict was not reproduced (L' = "
                   f"{sens['sides'][0]}: {sens['z_plain'][0]:+.1f} standard errors). The deviations at L' = "
                   + ", ".join(str(n) for n in sens["sides"]) + f" are {dev_txt}: "
                   + ("all of one sign, " if len({d > 0 for d in sens["deviation"]}) == 1 else "of mixed sign, "))
        if i_ok:
            n_ok = ", ".join(str(sens["sides"][i]) for i in i_ok)
            big = int(np.argmax(np.abs(sens["deviation"])))
            bnn_txt += (f"and the side where the block c agrees (L' = {n_ok}) has the "
                        + ("largest" if big in i_ok else "not the largest")
                        + " deviation: it agrees because its error is larger, not because the deviation is "
                        "smaller. That agreement needs τ ≥ " + ", ".join(f"{sens['tau_flip'][i]:.2f}" for i in i_ok)
                        + f", while τ = {sens['tau']:g} is itself uncertain (single-series estimates "
                        f"{TAU_TC_RANGE[0]:g}–{TAU_TC_RANGE[1]:g}; about ± {sens['tau_err']:.1f} statistical with "
                        f"{sens['n_tau']} configurations)")
        else:
            bnn_txt += "and no side agrees"
    return [
        uc.Claim("ising.coarse.keeps-order", source="essay", section="v",
                 text="Coarse-graining discards micro chatter and keeps order parameters",
                 quantity=f"the sign of the magnetisation after each of {n_levels} majority-rule "
                          f"steps (b = {b}), in every configuration, where there is order to "
                          "keep",
                 criterion=uc.Holds("the sign of m survives every step in every configuration"),
                 scope=f"T = {lo:g} (ordered) and T_c; L = {L}; seeds {seed} and {seed_tc} (T_c)",
                 note="criterion revised after the first run: its conditions also included "
                      f"T = {hi:g}, in the disordered phase, where ⟨m⟩ = 0 and the sign of a "
                      "sample's m is noise, so there is no order parameter to keep; under the "
                      f"original conditions the verdict was held with caveats (fails at "
                      f"T = {hi:g}). The value of m is renormalised (it flows to 1 below T_c)"),
        uc.Claim("ising.coarse.few-dials", source="essay", section="v",
                 text="a handful of dials drive the plot: temperature, field h, and couplings J",
                 quantity="η², the share of each dial's variance over all configurations that "
                          "T explains (one-way analysis of variance; bootstrap error shown)",
                 criterion=uc.Bound(lower=ETA_MIN, k=0),
                 scope=f"T only (h = 0, J = 1); L = {L}; {n_temperatures} temperatures in "
                       f"[{T_range[0]:g}, {T_range[1]:g}], {n_configs} configurations each; the six dials "
                       f"below; seed {seed}",
                 note="T is the only knob varied here, so what it leaves unexplained is the "
                      "scatter between configurations at the same T, largest near T_c; the "
                      "share depends on L and on how densely the grid samples T_c; says nothing "
                      "about social or learning systems"),
        uc.Claim("ising.coarse.critical-slow-flow", source="ours", section="",
                 text="At T_c the block-spin flow is slower than away from T_c",
                 quantity=f"|Δc| over {flow_levels} blocking steps at T = {lo:g} or {hi:g}, "
                          "minus |Δc| at T_c",
                 criterion=uc.Sign(+1, k=3), scope=f"{temps}; L = {L}, b = {b}"),
        uc.Claim("ising.coarse.block-equals-nn", source="ours", section="",
                 text="At T_c a block lattice of side L' has the nearest-neighbour correlation "
                      "of the original model on an L'×L' lattice",
                 quantity="c of the block lattice minus c of the original model at T_c with the "
                          "same side",
                 criterion=uc.Agreement(0.0, k=2),
                 scope="L' = " + ", ".join(str(n) for n in sides) + f"; b = {b}; seeds "
                       f"{seed_tc} (blocks) and {seed} (original model)",
                 note="majority rule generates further couplings: only universal quantities "
                      "must agree, not c. Errors of the block c revised after the data were seen "
                      f"(a referee's report): τ_int-corrected (τ = {TAU_TC:g}, independent chain); "
                      f"{bnn_txt}"),
        uc.Claim("ising.coarse.nn-exact", source="ours", section="",
                 text="At T_c the simulated nearest-neighbour correlation equals Kaufman's exact value on "
                      "the same finite torus",
                 quantity="c of the original model at T_c minus -e/2 of Kaufman's exact L x L torus",
                 criterion=uc.Agreement(0.0, k=round(uc.familywise_k(len(sides) + 1), 2)),
                 scope="L = " + ", ".join(str(n) for n in sides) + f" (Wolff; seed {seed}) and L = {L} "
                       f"(level 0 of the T_c configurations; seed {seed_tc})",
                 note=f"k = familywise_k({len(sides) + 1}), for {len(sides) + 1} comparisons. The level-0 "
                      "error is τ_int-corrected, as the Wolff runs' are, since the configurations are "
                      f"successive states of one chain: sqrt(2 τ) times the plain one, with τ = {TAU_TC:g} "
                      "from an independent chain (seed 99), the error used for everything computed from "
                      "the T_c chain. The first run used the plain standard error of the mean, which "
                      f"ignores that correlation, and failed at L = {L} (+2.6 standard errors); a second "
                      "used τ estimated from the 48 configurations themselves for this one value only "
                      "(+2.0). Both changes were made after the data were seen. The exact "
                      f"finite-L value replaces the L = ∞ one, 1/√2 (exact c - 1/√2 = {gap_small:.4f} at "
                      f"L = {min(sides)}, {gap_big:.4f} at L = {L})"),
    ]


def keeps_order_measurements(flows):
    """Whether the sign of m survives every level in every configuration, per temperature.

    Parameters
    ----------
    flows : dict
        label -> :func:`flow` result.
    """
    from utacbook.claims import Measurement
    out = []
    for label, f in flows.items():
        kept = np.all(np.sign(f["m"]) == np.sign(f["m"][:, :1]), axis=1)
        out.append(Measurement(bool(kept.all()), condition=label,
                               text=f"{int(kept.sum())} of {kept.size} configurations"))
    return out


def slow_flow_measurements(flows, critical, *, levels=2):
    """``|Δc|`` over ``levels`` steps away from T_c minus ``|Δc|`` at T_c, one per off-critical flow.

    Parameters
    ----------
    flows : dict
        label -> :func:`flow` result of the off-critical temperatures.
    critical : dict
        :func:`flow` result at T_c.
    """
    from utacbook.claims import Measurement

    def dc(f):
        d = f["c"][:, levels] - f["c"][:, 0]
        return abs(float(d.mean())), float(d.std(ddof=1) / math.sqrt(d.size) * math.sqrt(2 * f.get("tau", 0.5)))

    c0, e0 = dc(critical)
    out = []
    for label, f in flows.items():
        c1, e1 = dc(f)
        out.append(Measurement(c1 - c0, math.hypot(e0, e1), condition=f"{label} vs T_c"))
    return out


def block_vs_nn_measurements(critical, reference):
    """Block c at T_c minus the original model's c at the same side, per side of ``reference``."""
    from utacbook.claims import Measurement
    side = list(critical["side"])
    out = []
    for i, n in enumerate(reference["side"]):
        k = side.index(int(n))
        rc, rce = reference["c"][i]
        out.append(Measurement(float(critical["c_mean"][k] - rc),
                               float(math.hypot(critical["c_sem"][k], rce)),
                               condition=f"L' = {int(n)}"))
    return out


def block_vs_nn_sensitivity(critical, reference, *, tau=TAU_TC, k=2.0, n_tau=300, c=5.0):
    r"""How the block-equals-nn comparison depends on the τ_int used for the block errors.

    The block error is the plain standard error times :math:`\sqrt{2\tau}`, so a side
    with deviation d and reference error :math:`\sigma_r` agrees within ``k`` errors iff
    :math:`\tau \ge \tau^* = ((d/k)^2 - \sigma_r^2)/(2\sigma_p^2)` (:math:`\sigma_p` the plain
    error; :math:`\tau^* = 0`: agrees at any τ).

    Parameters
    ----------
    critical : dict
        :func:`flow` result at T_c, computed with ``tau``.
    reference : dict
        The original model's runs (``side``, ``c`` as value/error rows).
    tau : float > 0
        The τ_int the ``critical`` errors were computed with (configurations).
    k : float > 0
        The criterion's number of standard errors.
    n_tau : int >= 2
        Length of the chain that τ was estimated from; with ``c`` (Sokal's window factor) it
        gives the Madras–Sokal error :math:`\tau\sqrt{2(2W+1)/n}`, W = ceil(c τ).

    Returns
    -------
    dict
        ``sides``, ``deviation``, ``z`` (with ``tau``), ``z_plain`` (plain errors, τ = 1/2),
        ``tau_flip`` (τ*), ``tau``, ``tau_err``, ``n_tau``.

    Examples
    --------
    >>> import numpy as np
    >>> from utacbook.studies.ising.coarse_graining import block_vs_nn_sensitivity
    >>> crit = {"side": np.array([9]), "c_mean": np.array([0.04]), "c_sem": np.array([0.02])}
    >>> ref = {"side": [9], "c": np.array([[0.0, 0.0]])}
    >>> s = block_vs_nn_sensitivity(crit, ref, tau=0.5)
    >>> round(s["z"][0], 6), round(s["tau_flip"][0], 6)      # d = 2 errors exactly: flips at tau = 1/2
    (2.0, 0.5)
    """
    tau = v.real("tau", tau, positive=True)
    k = v.real("k", k, positive=True)
    n_tau = v.integer("n_tau", n_tau, low=2)
    side = [int(n) for n in critical["side"]]
    out = {"sides": [], "deviation": [], "z": [], "z_plain": [], "tau_flip": []}
    for i, n in enumerate(reference["side"]):
        j = side.index(int(n))
        rc, rce = (float(x) for x in reference["c"][i])
        d = float(critical["c_mean"][j] - rc)
        sp = float(critical["c_sem"][j]) / math.sqrt(2.0 * tau)
        out["sides"].append(int(n))
        out["deviation"].append(d)
        out["z"].append(d / math.hypot(float(critical["c_sem"][j]), rce))
        out["z_plain"].append(d / math.hypot(sp, rce))
        out["tau_flip"].append(max(0.0, ((d / k) ** 2 - rce ** 2) / (2.0 * sp ** 2)))
    W = math.ceil(c * tau)
    out.update(tau=tau, tau_err=tau * math.sqrt(2.0 * (2 * W + 1) / n_tau), n_tau=n_tau)
    return out


def dial_measurements(scan, *, dials=None, n_boot=1000, seed=0):
    """η² of each dial of a :func:`dial_scan`, with its bootstrap error."""
    from utacbook.claims import Measurement
    dials = DIALS if dials is None else dials
    out = []
    for key, label in dials.items():
        eta = eta_squared(scan[key])
        err = eta_squared_boot(scan[key], n_boot=n_boot, seed=seed)
        out.append(Measurement(eta, err, condition=label))
    return out


# --------------------------------------------------------------------------
# Plots
# --------------------------------------------------------------------------

def plot_levels(configs_by_T, labels, *, b=3, n_show=4, seed=0):
    """Rows: temperatures; columns: successive majority-rule levels of one configuration.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt
    n_rows = len(configs_by_T)
    fig, axes = plt.subplots(n_rows, n_show, figsize=(2.1 * n_show, 2.2 * n_rows),
                             squeeze=False)
    for r, (s, lab) in enumerate(zip(configs_by_T, labels)):
        lv = block_levels(s, b, n_show - 1, seed=seed)
        for k in range(n_show):
            ax = axes[r, k]
            ax.imshow(lv[k], cmap="gray", vmin=-1, vmax=1, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
            if r == 0:
                ax.set_title(f"level {k}: {lv[k].shape[0]}×{lv[k].shape[0]}", fontsize=9)
            if k == 0:
                ax.set_ylabel(lab, fontsize=9)
    fig.tight_layout()
    return fig


def plot_flow(flows, labels, *, reference=None, axes=None):
    """``|m|`` and c against blocking level for several temperatures, with s.e.m. error bars.

    Parameters
    ----------
    flows : list of dict from :func:`flow`
    labels : list of str
    reference : dict from :func:`critical_reference`, optional
        Drawn as open squares at the level whose side matches (the original
        model at T_c on a lattice of that side), with Kaufman's exact c of
        that torus as crosses; a third panel then shows measured minus exact c
        against L for the reference runs and for level 0 of the flow labelled
        ``"T = T_c"`` (if any).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt
    if axes is None:
        if reference is None:
            fig, axes = plt.subplots(1, 2, figsize=(9.6, 3.8))
        else:
            fig, axes = plt.subplots(1, 3, figsize=(13.5, 3.8), gridspec_kw={"width_ratios": [1, 1, 0.75]})
    fig = axes[0].figure
    side = flows[0]["side"]
    k_all = np.arange(side.size)
    ok = side >= 3
    for f, lab in zip(flows, labels):
        axes[0].errorbar(k_all[ok], f["abs_m_mean"][ok], yerr=f["abs_m_sem"][ok], fmt="o-",
                         capsize=2, label=lab)
        axes[1].errorbar(k_all[ok], f["c_mean"][ok], yerr=f["c_sem"][ok], fmt="o-", capsize=2,
                         label=lab)
    axes[0].plot(k_all[ok], np.sqrt(2.0 / np.pi) / side[ok], "k:", lw=1,
                 label=r"independent random spins, $\sqrt{2/\pi}/L'$")
    if reference is not None:
        pos = {int(n): k for k, n in enumerate(side)}
        ks = [pos[int(n)] for n in reference["side"] if int(n) in pos]
        sel = [i for i, n in enumerate(reference["side"]) if int(n) in pos]
        for ax, key in ((axes[0], "abs_m"), (axes[1], "c")):
            ax.errorbar(ks, reference[key][sel, 0], yerr=reference[key][sel, 1], fmt="s",
                        mfc="none", color="k", capsize=2,
                        label=r"original model at $T_c$, $L = L'$")
        axes[1].plot(k_all[ok], exact_nn_correlation(side[ok]), "x", color="C3", ms=9, mew=1.6, zorder=6,
                     label=r"exact (Kaufman), $L'\times L'$ torus at $T_c$")
        axes[1].axhline(1.0 / math.sqrt(2.0), color="k", ls="--", lw=0.8,
                        label=r"exact, $L = \infty$: $1/\sqrt{2}$")
    if reference is not None and len(axes) > 2:
        ax = axes[2]
        n_ref = np.asarray(reference["side"], dtype=int)
        d = reference["c"][:, 0] - exact_nn_correlation(n_ref)
        ax.errorbar(n_ref, d, yerr=reference["c"][:, 1], fmt="s", mfc="none", color="k", capsize=2,
                    label="original model (Wolff)")
        crit = [f for f, lab in zip(flows, labels) if lab == "T = T_c"]
        if crit:
            n0 = int(crit[0]["side"][0])
            ax.errorbar([n0], [crit[0]["c_mean"][0] - exact_nn_correlation([n0])[0]], yerr=[crit[0]["c_sem"][0]],
                        fmt="o", color="C1", capsize=2, label="level 0 of the $T_c$ chain")
        ax.axhline(0.0, color="C3", lw=1)
        ax.set_xscale("log")
        ax.set_xlim(6.5, 360)
        ax.set_xticks(list(n_ref) + ([n0] if crit else []))
        ax.set_xticklabels([str(n) for n in list(n_ref) + ([n0] if crit else [])], fontsize=8)
        ax.minorticks_off()
        ax.set_xlabel("L")
        ax.set_ylabel(r"measured $-$ exact $c$ at $T_c$")
        ax.legend(fontsize=7)
    for ax, lab in zip(axes[:2], (r"$\langle |m|\rangle$ of block spins",
                              r"$c = \langle s_i s_j\rangle_{\rm nn}$ of block spins")):
        ax.set_xticks(k_all[ok])
        ax.set_xticklabels([f"{k}\n(L'={n})" for k, n in enumerate(side) if n >= 3], fontsize=8)
        ax.set_xlabel("blocking level")
        ax.set_ylabel(lab)
        ax.set_ylim(-0.05, 1.05)
    h, lab = axes[0].get_legend_handles_labels()
    h1, lab1 = axes[1].get_legend_handles_labels()
    extra = [(a, b) for a, b in zip(h1, lab1) if b not in lab]
    if reference is not None:
        axes[1].set_ylim(-0.5, 1.05)          # room below the data for the legend
    axes[1].legend(h + [a for a, _ in extra], lab + [b for _, b in extra], fontsize=7, loc="lower left")
    fig.tight_layout()
    return fig


def plot_dials(scan, *, axes=None):
    """Macro, meso and polarisation dials against T (mean ± s.e.m. over configurations).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt
    if axes is None:
        fig, axes = plt.subplots(2, 2, figsize=(9, 6.2), sharex=True)
        axes = axes.ravel()
    fig = axes[0].figure
    T = scan["T"]
    spec = (("abs_m", r"macro: $|M|$"), ("n_domains", "meso: number of domains"),
            ("mean_size", "meso: mean domain size $N/n_{\\rm dom}$"),
            ("polarisation", r"polarisation $\Pi = 2\min(A_+,A_-)/N$"))
    for ax, (k, lab) in zip(axes, spec):
        mu, se = _mean_sem(scan[k], axis=1)
        ax.errorbar(T, mu, yerr=se, fmt="o-", ms=3, capsize=2, lw=0.8,
                    label=f"L = {scan['L']}")
        ax.axvline(TC, color="0.5", ls=":", lw=1)
        ax.set_ylabel(lab, fontsize=9)
    Tf = np.linspace(T.min(), T.max(), 300)
    axes[0].plot(Tf, exact.yang_magnetization(Tf), "k--", lw=1, label="Yang, L = ∞")
    axes[0].legend(fontsize=8)
    for ax in axes[2:]:
        ax.set_xlabel("T  (J/k$_B$)")
    fig.tight_layout()
    return fig


def explore_figure(T=TC, b=3, seed=1):
    """Widget panel: one equilibrium configuration at T and its majority-rule levels.

    Parameters
    ----------
    T : float > 0
    b : {2, 3}
        Block size; b = 3 uses L = 243, b = 2 uses L = 256 (ties broken by a seeded coin).
    seed : int >= 0

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt
    b = v.integer("b", b, low=2, high=3)
    L = 243 if b == 3 else 256
    cfg = equilibrium_configs(T, L=L, n_configs=1, seed=seed)[0]
    lv = block_levels(cfg, b, 4, seed=seed)
    fig, axes = plt.subplots(1, 5, figsize=(11, 2.6))
    for _k, (ax, x) in enumerate(zip(axes, lv)):
        d = domain_stats(x)
        ax.imshow(x, cmap="gray", vmin=-1, vmax=1, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
        ax.set_title(f"{x.shape[0]}²: M={d['m']:+.2f}, c={d['c']:.2f}\n"
                     f"domains={int(d['n_domains'])}, Π={d['polarisation']:.2f}", fontsize=8)
    fig.suptitle(f"T = {T:.3f} (T/Tc = {T / TC:.3f}), b = {b}, L = {L}, seed = {seed}", fontsize=9)
    fig.tight_layout(rect=(0, 0, 1, 0.88))
    return fig
