"""The order-disorder transition of the agent model at its symmetric point.

At the field :math:`h = -J/2` an update reads

.. math:: \\sigma_{ij} \\leftarrow \\mathrm{sigmoid}\\!\\Big(K\\big(\\tfrac14\\textstyle\\sum_{nn}\\sigma
          - \\tfrac12\\big) + \\xi\\Big),
          \\qquad K = J/T,\\quad \\xi \\sim N(0, 1),

so the dynamics depends on the single coupling :math:`K` and is symmetric
under :math:`\\sigma \\leftrightarrow 1 - \\sigma` (the :math:`\\mathbb{Z}_2`
symmetry of the zero-field Ising model).  The order parameter is

.. math:: m = \\bar\\sigma - \\tfrac12 ,

and the Binder cumulant :math:`U = 1 - \\langle m^4\\rangle / (3\\langle m^2\\rangle^2)`
tends to 0 in the disordered phase (Gaussian :math:`m`) and to 2/3 in the
ordered phase (:math:`m \\approx \\pm m_0`).  Curves :math:`U_L(K)` for
different lattice sizes cross near the critical coupling :math:`K_c`
(Binder 1981), which is how :func:`critical_coupling` estimates it.

Averages are time averages over the part of each run after a burn-in,
combined over independent replicas (each from a fresh uniform random
lattice); every uncertainty comes from the spread between replicas
(standard errors, or jackknife over replicas for non-linear quantities), so
it includes the effect of autocorrelation within a run.  What it does *not*
include is a bias from a burn-in that is too short; the ``m2_first_half`` /
``m2_second_half`` entries let one check for it.
"""

from __future__ import annotations

import numpy as np
from numpy.polynomial.hermite_e import hermegauss

from utacbook import _validate as v
from utacbook._kernels.rng import resolve_seed

__all__ = ['binder_from_samples', 'binder_from_moments', 'order_parameter_moments', 'binder_scan',
           'binder_crossing', 'critical_coupling', 'LONG_RUN_K', 'critical_coupling_study',
           'spot_check_critical_coupling', 'susceptibility_by_size', 'stored_susceptibility',
           'chi_exponent_at', 'ISING_BINDER_CROSSING', 'ISING_ETA']

_NODES, _WEIGHTS = hermegauss(120)
_WEIGHTS = _WEIGHTS / np.sqrt(2.0 * np.pi)


# --------------------------------------------------------------------------- cumulants


def binder_from_moments(m2, m4):
    """Binder cumulant ``1 - m4 / (3 m2**2)`` from the moments.

    Parameters
    ----------
    m2, m4 : float or array_like
        Second and fourth moments <m^2>, <m^4> (broadcast together; m2 > 0).

    Returns
    -------
    float or ndarray
        The cumulant; nan where ``m2 == 0``.

    Examples
    --------
    A Gaussian (<m^4> = 3 <m^2>^2) gives 0, ``m = +-1`` gives 2/3, a uniform
    distribution on [-1, 1] (moments 1/3 and 1/5) gives 2/5:

    >>> from utacbook.stats import binder_from_moments
    >>> binder_from_moments(1.0, 3.0)
    0.0
    >>> round(binder_from_moments(1.0, 1.0), 12)
    0.666666666667
    >>> binder_from_moments([1 / 3, 0.0], [1 / 5, 0.0]).round(12).tolist()    # nan where m2 = 0
    [0.4, nan]
    """
    m2 = v.real_array("m2", m2)
    m4 = v.real_array("m4", m4)
    try:
        np.broadcast_shapes(m2.shape, m4.shape)
    except ValueError:
        raise ValueError(f"m2 and m4 must broadcast together, got shapes {m2.shape} and {m4.shape}") from None
    if np.any(m2 < 0) or np.any(m4 < 0):
        raise ValueError("m2 and m4 must be >= 0 (they are even moments)")
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(m2 > 0, 1.0 - m4 / (3.0 * np.where(m2 > 0, m2, 1.0) ** 2), np.nan)
    return float(out) if out.ndim == 0 else out


def binder_from_samples(m, axis=-1):
    """Binder cumulant ``U = 1 - <m^4> / (3 <m^2>^2)`` of samples of an order parameter.

    0 for Gaussian samples with mean zero, 2/3 for samples ``+-a``, 2/5 for a
    uniform distribution on ``[-a, a]``.

    Parameters
    ----------
    m : array_like
        Samples (finite), centred on the symmetric point (e.g. ``sigma - 1/2``).
    axis : int, default -1
        Axis holding the samples.

    Returns
    -------
    float or ndarray
        U along ``axis``; nan where all samples are zero.

    Examples
    --------
    >>> import numpy as np
    >>> from utacbook.stats import binder_from_samples
    >>> rng = np.random.default_rng(0)
    >>> round(binder_from_samples(rng.choice([-1.0, 1.0], size=1000)), 12)   # exactly 2/3
    0.666666666667
    >>> round(binder_from_samples(np.linspace(-1.0, 1.0, 100001)), 6)        # uniform: 2/5
    0.4
    >>> U = binder_from_samples(rng.normal(size=(3, 100000)), axis=1)       # Gaussian: 0
    >>> U.shape, bool(np.all(np.abs(U) < 0.02))
    ((3,), True)
    """
    m = v.real_array("m", m)
    axis = v.integer("axis", axis)
    if m.ndim and not -m.ndim <= axis < m.ndim:
        raise ValueError(f"axis must lie in [{-m.ndim}, {m.ndim - 1}] for m of shape {m.shape}, got {axis}")
    if m.ndim == 0 or m.shape[axis] < 1:
        raise ValueError("m must hold at least one sample along axis")
    return binder_from_moments(np.mean(m ** 2, axis=axis), np.mean(m ** 4, axis=axis))


def _sem(x, axis=0):
    n = x.shape[axis]
    return np.std(x, axis=axis, ddof=1) / np.sqrt(n)


def _jackknife(stat, samples):
    """Jackknife error of ``stat(*means)`` over the leading (replica) axis of ``samples``."""
    n = samples[0].shape[0]
    full = stat(*[s.mean(axis=0) for s in samples])
    loo = np.array([stat(*[(s.sum(axis=0) - s[i]) / (n - 1) for s in samples])
                    for i in range(n)])
    err = np.sqrt((n - 1) / n * np.sum((loo - loo.mean(axis=0)) ** 2, axis=0))
    return full, err


# --------------------------------------------------------------------------- simulations


def _run_args(lattice_size, n_sweeps, n_burn, n_replicas, update):
    L = v.integer("lattice_size", lattice_size, low=2, high=65536)
    n_sweeps = v.integer("n_sweeps", n_sweeps, low=4)
    n_burn = v.integer("n_burn", n_burn, low=0, high=n_sweeps - 4)
    n_rep = v.integer("n_replicas", n_replicas, low=2)
    from utacbook.models._abm import UPDATE_RULES  # lazy: models import stats
    v.choice("update", update, set(UPDATE_RULES))
    return L, n_sweeps, n_burn, n_rep


def order_parameter_moments(J, T=0.2, *, lattice_size=32, n_sweeps=4000, n_burn=1000,
                            n_replicas=8, update="sequential", seed=None):
    """Moments of the order parameter m = sigma-bar - 1/2 at the symmetric field h = -J/2.

    Every (replica, coupling) is an independent run of
    :func:`utacbook.models.scan_field` (fresh uniform random lattice, ``n_sweeps``
    sweeps, all runs in one parallel call).  The per-sweep mean trace after the
    first ``n_burn`` sweeps is time-averaged in each replica; the replicas are
    then combined.

    Parameters
    ----------
    J : float or array_like
        Couplings (finite); any shape S.  The field is h = -J/2 for each.
    T : float or array_like, default 0.2
        Noise temperature(s), > 0, broadcast against ``J``.  Only K = J/T
        matters at the symmetric field.
    lattice_size : int, default 32
        Linear size L (N = L*L agents).
    n_sweeps : int, default 4000
        Sweeps per run (>= 4).
    n_burn : int, default 1000
        Sweeps discarded at the start of each run (0 <= n_burn <= n_sweeps - 4).
    n_replicas : int, default 8
        Independent runs per coupling (>= 2; errors come from their spread).
    update : {"sequential", "checkerboard"}, default "sequential"
        Update order (sequential is the guide's).
    seed : int, numpy.random.SeedSequence or None
        Root seed (as :func:`utacbook.models.scan_field`).

    Returns
    -------
    dict
        ``K`` (J/T, shape S), ``J``, ``T``, ``h``;
        ``m2``, ``m4``, ``m_abs``, ``m_mean`` (replica means of the time
        averages of m^2, m^4, ``|m|``, m) each with ``*_err`` (standard error over
        replicas); ``chi`` = N <m^2> (per-site fluctuation of the order
        parameter) and ``chi_err``; ``binder`` and ``binder_err`` (jackknife
        over replicas); ``m2_rep``, ``m4_rep`` (per-replica time averages,
        shape (n_replicas,) + S); ``m2_first_half``, ``m2_second_half`` (and
        ``*_err``: the two halves of the post-burn window, a burn-in check);
        ``lattice_size``, ``n_sweeps``, ``n_burn``, ``n_replicas``, ``seed``.

    Examples
    --------
    At K = 0 every agent is an independent sigmoid(xi), so chi = N <m^2> equals
    Var[sigmoid(xi)] = 0.04338 (xi standard normal) for any lattice size; deep in the
    ordered phase (K = 8) m is close to +-m0 and the Binder cumulant close to 2/3:

    >>> from utacbook.stats import order_parameter_moments
    >>> r = order_parameter_moments([0.0, 1.6], T=0.2, lattice_size=8, n_sweeps=400, n_burn=100,
    ...                             n_replicas=4, seed=1)
    >>> r["K"].tolist(), r["m2_rep"].shape                  # K = J / T; (n_replicas, n_couplings)
    ([0.0, 8.0], (4, 2))
    >>> bool(abs(r["chi"][0] - 0.04338) < 2 * r["chi_err"][0])
    True
    >>> round(float(r["binder"][1]), 3), round(float(r["m_abs"][1]), 2)
    (0.666, 0.46)
    """
    L, n_sweeps, n_burn, n_rep = _run_args(lattice_size, n_sweeps, n_burn, n_replicas, update)
    Ja, Ta = v.real_array("J", J), v.real_array("T", T)
    if Ja.size == 0:
        raise ValueError("J must hold at least one coupling")
    try:
        Jb, Tb = np.broadcast_arrays(Ja, Ta)
    except ValueError:
        raise ValueError(f"J and T must broadcast together, got shapes {Ja.shape} and {Ta.shape}") from None
    if np.any(Tb <= 0):
        raise ValueError("T must be > 0 everywhere")
    Jb, Tb = np.array(Jb, dtype=float), np.array(Tb, dtype=float)  # own, writeable copies
    from utacbook.models._abm import scan_field  # lazy: models import stats
    res = scan_field(Jb, Tb, -0.5 * Jb, lattice_size=L, n_steps=n_sweeps, n_replicas=n_rep,
                     update=update, seed=seed, return_traces=True)
    m = res["traces"][..., n_burn:] - 0.5            # (n_rep,) + S + (n_t,)
    m2_t, m4_t = m ** 2, m ** 4
    m2r, m4r = m2_t.mean(axis=-1), m4_t.mean(axis=-1)
    mabs, mmean = np.abs(m).mean(axis=-1), m.mean(axis=-1)
    half = m.shape[-1] // 2
    h1, h2 = m2_t[..., :half].mean(axis=-1), m2_t[..., half:].mean(axis=-1)
    U, U_err = _jackknife(lambda a, b: binder_from_moments(a, b), [m2r, m4r])
    N = L * L
    out = {"K": Jb / Tb, "J": Jb, "T": Tb, "h": -0.5 * Jb,
           "m2": m2r.mean(axis=0), "m2_err": _sem(m2r),
           "m4": m4r.mean(axis=0), "m4_err": _sem(m4r),
           "m_abs": mabs.mean(axis=0), "m_abs_err": _sem(mabs),
           "m_mean": mmean.mean(axis=0), "m_mean_err": _sem(mmean),
           "chi": N * m2r.mean(axis=0), "chi_err": N * _sem(m2r),
           "binder": U, "binder_err": U_err, "m2_rep": m2r, "m4_rep": m4r,
           "m2_first_half": h1.mean(axis=0), "m2_first_half_err": _sem(h1),
           "m2_second_half": h2.mean(axis=0), "m2_second_half_err": _sem(h2),
           "lattice_size": L, "n_sweeps": n_sweeps, "n_burn": n_burn, "n_replicas": n_rep,
           "seed": res["seed"]}
    return out


def _sizes(lattice_sizes):
    """The lattice sizes as a non-empty list of int."""
    try:
        if isinstance(lattice_sizes, (str, bytes)):
            raise TypeError
        lattice_sizes = list(lattice_sizes)
    except TypeError:
        raise TypeError(f"lattice_sizes must be a sequence of int, got {lattice_sizes!r}") from None
    sizes = [v.integer("lattice_sizes", L, low=2, high=65536) for L in lattice_sizes]
    if not sizes:
        raise ValueError("lattice_sizes must not be empty")
    return sizes


def _stored(name, values, keys):
    """Check that ``values`` is a mapping with ``keys`` (a stored result or a scan)."""
    if not hasattr(values, "__getitem__") or isinstance(values, (str, bytes)):
        raise TypeError(f"{name} must be a dict (or StoredResult), got {type(values).__name__}")
    missing = []
    for k in keys:
        try:
            values[k]
        except (KeyError, IndexError, TypeError):
            missing.append(k)
    if missing:
        raise ValueError(f"{name} lacks the entries {missing}")
    return values


def _per_size(name, value, n):
    if np.ndim(value) == 0:
        return [value] * n
    value = list(value)
    if len(value) != n:
        raise ValueError(f"{name} must be an int or have one entry per lattice size ({n}), "
                         f"got {len(value)}")
    return value


def binder_scan(K_values, lattice_sizes=(16, 32, 64), *, T=0.2, n_sweeps=4000, n_burn=1000,
                n_replicas=8, update="sequential", seed=None):
    """Order-parameter moments on a grid of couplings K = J/T for several lattice sizes.

    Parameters
    ----------
    K_values : array_like, shape (n,)
        Couplings K = J/T (finite); J = K * T and h = -J/2.
    lattice_sizes : sequence of int, default (16, 32, 64)
        Linear sizes, one :func:`order_parameter_moments` call each.
    T : float, default 0.2
        Noise temperature (> 0); irrelevant at the symmetric field except
        through J = K * T.
    n_sweeps, n_burn : int or sequence of int
        As :func:`order_parameter_moments`; a sequence gives one value per
        lattice size (larger lattices need longer runs).
    n_replicas : int, default 8
        Replicas per point (the same for every size, so that
        :func:`critical_coupling` can jackknife over them).
    update : {"sequential", "checkerboard"}
    seed : int or None
        Root seed; lattice size number k uses child k of ``SeedSequence(seed)``.

    Returns
    -------
    dict
        ``K`` (the grid), ``lattice_sizes`` (list), ``results`` (list of
        :func:`order_parameter_moments` dicts, one per size), ``binder``
        (shape (n_sizes, n)), ``binder_err``, ``seed`` (the root seed: pass
        it back to ``binder_scan`` to reproduce the scan; the ``seed`` entries
        of the per-size results hold the same root entropy, not the child's).

    Examples
    --------
    Two couplings far from K_c on two tiny lattices: U near 0 in the disordered
    phase (K = 0), near 2/3 in the ordered one (K = 8), for both sizes:

    >>> from utacbook.stats import binder_scan
    >>> s = binder_scan([0.0, 8.0], lattice_sizes=(4, 8), n_sweeps=400, n_burn=100, n_replicas=4, seed=1)
    >>> s["binder"].shape, s["lattice_sizes"]               # (n_sizes, n_couplings)
    ((2, 2), [4, 8])
    >>> s["binder"].round(2).tolist()
    [[0.04, 0.67], [0.05, 0.67]]
    """
    K = v.real_array("K_values", K_values, ndim=1, min_len=2)
    sizes = _sizes(lattice_sizes)
    T = v.real("T", T, positive=True)
    sweeps = _per_size("n_sweeps", n_sweeps, len(sizes))
    burns = _per_size("n_burn", n_burn, len(sizes))
    seq, entropy = resolve_seed(seed)
    children = seq.spawn(len(sizes))
    results = [order_parameter_moments(K * T, T, lattice_size=L, n_sweeps=ns, n_burn=nb,
                                       n_replicas=n_replicas, update=update, seed=ch)
               for L, ns, nb, ch in zip(sizes, sweeps, burns, children)]
    return {"K": K, "lattice_sizes": sizes, "results": results,
            "binder": np.array([r["binder"] for r in results]),
            "binder_err": np.array([r["binder_err"] for r in results]),
            "seed": entropy}


def binder_crossing(K, U_small, U_large, *, U_window=(0.1, 0.65)):
    """Where the Binder curves of a smaller and a larger lattice cross.

    Below K_c the smaller lattice has the larger U, above K_c the smaller one;
    the crossing is where ``U_small - U_large`` changes sign from + to -,
    located by linear interpolation between neighbouring grid points.

    Parameters
    ----------
    K : array_like, shape (n,)
        Increasing couplings.
    U_small, U_large : array_like, shape (n,)
        Binder cumulants of the smaller and the larger lattice.
    U_window : (float, float), default (0.1, 0.65)
        Sign changes whose interpolated U lies outside this window are
        ignored: far from K_c both curves saturate (at 0, or at the ordered
        value 2/3), and there their difference is pure noise.

    Returns
    -------
    dict
        ``K_cross`` (nan if there is no + to - sign change; the median if
        noise gives several), ``U_cross`` (the interpolated U at the
        crossing, mean of both curves), ``bracket`` ((K_lo, K_hi): the grid
        interval(s) holding the sign change(s)), ``n_changes``.

    Examples
    --------
    Two straight lines that cross at K = 5.53, U = 0.6 (the larger lattice's curve
    is steeper), sampled on a grid that does not contain 5.53; linear interpolation
    finds the crossing exactly:

    >>> import numpy as np
    >>> from utacbook.stats import binder_crossing
    >>> K = np.array([5.4, 5.5, 5.6, 5.7])
    >>> c = binder_crossing(K, U_small=0.6 + (K - 5.53), U_large=0.6 + 2 * (K - 5.53))
    >>> round(c["K_cross"], 10), round(c["U_cross"], 10), c["bracket"], c["n_changes"]
    (5.53, 0.6, (5.5, 5.6), 1)
    >>> binder_crossing(K, 0.6 + (K - 5.53), 0.5 + (K - 5.53))["K_cross"]    # parallel: no crossing
    nan
    """
    K = v.real_array("K", K, ndim=1, min_len=2)
    a = v.real_array("U_small", U_small, ndim=1)
    b = v.real_array("U_large", U_large, ndim=1)
    if not (a.shape == b.shape == K.shape):
        raise ValueError(f"K, U_small and U_large must have the same length, got "
                         f"{K.shape[0]}, {a.shape[0]}, {b.shape[0]}")
    if np.any(np.diff(K) <= 0):
        raise ValueError("K must be strictly increasing")
    try:
        if isinstance(U_window, (str, bytes)):
            raise TypeError
        U_window = tuple(U_window)
    except TypeError:
        raise TypeError(f"U_window must be a pair (low, high), got {U_window!r}") from None
    if len(U_window) != 2:
        raise ValueError(f"U_window must be a pair (low, high), got {U_window!r}")
    lo, hi = (v.real("U_window", u) for u in U_window)
    if not lo < hi:
        raise ValueError(f"U_window must be (low, high) with low < high, got {U_window!r}")
    d = a - b
    idx, ks, us = [], [], []
    for i in range(len(K) - 1):
        if not (d[i] > 0 and d[i + 1] <= 0):
            continue
        t = d[i] / (d[i] - d[i + 1])
        u = 0.5 * ((a[i] + t * (a[i + 1] - a[i])) + (b[i] + t * (b[i + 1] - b[i])))
        if lo <= u <= hi:
            idx.append(i)
            ks.append(K[i] + t * (K[i + 1] - K[i]))
            us.append(u)
    if not idx:
        return {"K_cross": float("nan"), "U_cross": float("nan"),
                "bracket": (float("nan"), float("nan")), "n_changes": 0}
    j = int(np.argsort(ks)[(len(ks) - 1) // 2])
    return {"K_cross": float(ks[j]), "U_cross": float(us[j]),
            "bracket": (float(K[idx[0]]), float(K[idx[-1] + 1])), "n_changes": len(idx)}


def critical_coupling(scan, *, U_window=(0.1, 0.65)):
    """Estimate K_c from the Binder crossings of consecutive lattice sizes.

    Parameters
    ----------
    scan : dict
        The result of :func:`binder_scan` (at least two sizes).
    U_window : (float, float), default (0.1, 0.65)
        Passed to :func:`binder_crossing`.

    Returns
    -------
    dict
        ``pairs``: one dict per consecutive pair of sizes with ``sizes``,
        ``K_cross``, ``K_err`` (jackknife over replicas), ``U_cross``,
        ``U_err``, ``bracket`` and ``n_failed`` (leave-one-out samples without
        a crossing); ``K_c`` and ``K_c_err``: the midpoint and half-width of
        the interval spanned by all crossings +- one error (an honest range
        that includes the drift of the crossings with size, not a
        statistical error; for a pair with failed leave-one-out samples the
        whole grid bracket of its crossing is included); ``K_range`` (that
        interval).

    Examples
    --------
    ``scan`` is usually ``binder_scan(...)``; here it is rebuilt from the per-replica
    moments of the stored long run (:func:`critical_coupling_study`), and gives
    back the stored K_c:

    >>> import numpy as np
    >>> import utacbook as ub
    >>> from utacbook.stats import binder_from_moments, critical_coupling
    >>> res = ub.stored.load("rg_critical_coupling")
    >>> results = [{"m2_rep": np.array(m2), "m4_rep": np.array(m4), "n_replicas": res["n_replicas"],
    ...             "binder": binder_from_moments(np.mean(m2, axis=0), np.mean(m4, axis=0))}
    ...            for m2, m4 in zip(res["m2_rep"], res["m4_rep"])]
    >>> kc = critical_coupling({"K": np.array(res["K"]), "lattice_sizes": res["lattice_sizes"],
    ...                         "results": results})
    >>> [p["sizes"] for p in kc["pairs"]]
    [(16, 32), (32, 64)]
    >>> round(kc["K_c"], 3), round(kc["K_c_err"], 3), bool(np.isclose(kc["K_c"], res["K_c"], rtol=1e-12))
    (5.542, 0.008, True)
    """
    _stored("scan", scan, ("lattice_sizes", "K", "results"))
    sizes, K, results = scan["lattice_sizes"], scan["K"], scan["results"]
    if len(sizes) < 2:
        raise ValueError("scan must hold at least two lattice sizes")
    n = results[0]["n_replicas"]
    pairs = []
    for p in range(len(sizes) - 1):
        r1, r2 = results[p], results[p + 1]
        U1, U2 = r1["binder"], r2["binder"]
        full = binder_crossing(K, U1, U2, U_window=U_window)
        loo_K, loo_U = [], []
        for i in range(n):
            u = []
            for r in (r1, r2):
                keep = np.arange(n) != i
                u.append(binder_from_moments(r["m2_rep"][keep].mean(axis=0),
                                             r["m4_rep"][keep].mean(axis=0)))
            c = binder_crossing(K, u[0], u[1], U_window=U_window)
            loo_K.append(c["K_cross"])
            loo_U.append(c["U_cross"])
        loo_K, loo_U = np.array(loo_K), np.array(loo_U)
        ok = np.isfinite(loo_K)
        m = int(ok.sum())

        def jk(x, m=m):
            return float(np.sqrt((m - 1) / m * np.sum((x - x.mean()) ** 2))) if m > 1 else np.nan

        pairs.append({"sizes": (sizes[p], sizes[p + 1]), "K_cross": full["K_cross"],
                      "K_err": jk(loo_K[ok]), "U_cross": full["U_cross"], "U_err": jk(loo_U[ok]),
                      "bracket": full["bracket"], "n_failed": n - m})
    lo, hi = [], []
    for c in pairs:
        if not np.isfinite(c["K_cross"]):
            continue
        a, b = c["K_cross"] - c["K_err"], c["K_cross"] + c["K_err"]
        if c["n_failed"] or not np.isfinite(c["K_err"]):
            # some leave-one-out samples have no crossing: the jackknife error is not
            # trustworthy, so the whole grid interval holding the crossing is used
            a = min(a, c["bracket"][0]) if np.isfinite(a) else c["bracket"][0]
            b = max(b, c["bracket"][1]) if np.isfinite(b) else c["bracket"][1]
        lo.append(a)
        hi.append(b)
    if lo:
        rng = (float(np.nanmin(lo)), float(np.nanmax(hi)))
        Kc, Kc_err = 0.5 * (rng[0] + rng[1]), 0.5 * (rng[1] - rng[0])
    else:
        rng, Kc, Kc_err = (float("nan"), float("nan")), float("nan"), float("nan")
    return {"pairs": pairs, "K_c": Kc, "K_c_err": Kc_err, "K_range": rng}


# --------------------------------------------------------------------------- stored long run

#: the couplings of the long Binder run stored as ``rg_critical_coupling``
LONG_RUN_K = [5.3, 5.35, 5.4, 5.45, 5.5, 5.55, 5.6, 5.65, 5.7]


def _chi_exponent(Ls, chi, chi_err):
    """Weighted least-squares slope of log chi against log L, one per column, with its error."""
    x = np.log(np.asarray(Ls, dtype=float))
    y = np.log(chi)
    s = chi_err / chi                                   # error of log chi
    w = 1.0 / s ** 2                                    # (n_sizes, n_K)
    sw = w.sum(axis=0)
    xm = (w * x[:, None]).sum(axis=0) / sw
    sxx = (w * (x[:, None] - xm) ** 2).sum(axis=0)
    slope = (w * (x[:, None] - xm) * y).sum(axis=0) / sxx
    return slope, 1.0 / np.sqrt(sxx)


def critical_coupling_study(*, K_values=None, lattice_sizes=(16, 32, 64), T=0.2,
                            n_sweeps=(10000, 15000, 20000), n_burn=(2000, 3000, 5000),
                            n_replicas=24, update="sequential", seed=31415):
    """The long Binder-crossing run that locates K_c of the agent model (stored result).

    Runs :func:`binder_scan` with the given settings, estimates K_c with
    :func:`critical_coupling`, and adds the finite-size scaling of the
    susceptibility chi = N <m^2>.  Too slow for a chapter's minute (about 8
    minutes on one core); it is stored as ``book/data/rg_critical_coupling.json``
    (see :mod:`utacbook.stored`) and checked in the book by
    :func:`spot_check_critical_coupling`.

    Parameters
    ----------
    K_values : sequence of float, optional
        Couplings K = J/T (default :data:`LONG_RUN_K`, 5.3 to 5.7 in steps of 0.05).
    lattice_sizes, T, n_sweeps, n_burn, n_replicas, update, seed
        As :func:`binder_scan`.

    Returns
    -------
    dict
        ``K_c``, ``K_c_err``, ``K_range`` (as :func:`critical_coupling`);
        ``pairs`` (one dict per pair of consecutive sizes: ``sizes``,
        ``K_cross``, ``K_err``, ``U_cross``, ``U_err``, ``bracket``,
        ``n_failed``); ``K``, ``lattice_sizes``; per size and coupling
        (lists of shape (n_sizes, n_K)): ``binder``, ``binder_err``, ``chi``,
        ``chi_err``, ``m2``, ``m2_err``, ``burnin_z`` ((second - first half of
        <m^2>) / error); per coupling: ``chi_exponent``, ``chi_exponent_err``
        (weighted fit chi ~ L^x over all sizes); ``K_fss`` (the grid coupling
        nearest K_c), ``chi_ratios`` (chi(L_k+1)/chi(L_k) there, with
        ``chi_ratios_err``), ``chi_exponent_fss``, ``chi_exponent_fss_err``;
        ``m2_rep``, ``m4_rep`` (per-replica time averages, (n_sizes,
        n_replicas, n_K): what :func:`spot_check_critical_coupling` compares);
        and the settings ``T``, ``n_sweeps``, ``n_burn``, ``n_replicas``,
        ``update``, ``seed``.

    Examples
    --------
    The stored run (8 minutes; see :mod:`utacbook.stored`):

    >>> import utacbook as ub
    >>> from utacbook.stats import critical_coupling_study
    >>> res = ub.stored.load("rg_critical_coupling")
    >>> res.provenance["function"]
    'utacbook.stats:critical_coupling_study'
    >>> round(res["K_c"], 3), round(res["K_c_err"], 3), res["lattice_sizes"]
    (5.542, 0.008, [16, 32, 64])

    A tiny call with the same outputs, at two couplings far from K_c: chi ~ L^x with
    x = 0 in the disordered phase (K = 0: chi does not depend on L) and x = 2 in the
    ordered one (K = 8: chi = N m0^2):

    >>> st = critical_coupling_study(K_values=[0.0, 8.0], lattice_sizes=(4, 8), n_sweeps=400,
    ...                              n_burn=100, n_replicas=4, seed=1)
    >>> st["binder"].shape, st["m2_rep"].shape               # (n_sizes, [n_replicas,] n_K)
    ((2, 2), (2, 4, 2))
    >>> x, x_err = st["chi_exponent"], st["chi_exponent_err"]
    >>> bool(abs(x[0]) < 2 * x_err[0]), round(float(x[1]), 2)
    (True, 1.99)
    """
    K = v.real_array("K_values", LONG_RUN_K if K_values is None else K_values, ndim=1, min_len=2)
    scan = binder_scan(K, lattice_sizes, T=T, n_sweeps=n_sweeps, n_burn=n_burn,
                       n_replicas=n_replicas, update=update, seed=seed)
    kc = critical_coupling(scan)
    res = scan["results"]
    Ls = np.array(scan["lattice_sizes"])
    chi = np.array([r["chi"] for r in res])
    chi_err = np.array([r["chi_err"] for r in res])
    x, x_err = _chi_exponent(Ls, chi, chi_err)
    i = int(np.argmin(np.abs(K - kc["K_c"]))) if np.isfinite(kc["K_c"]) else len(K) // 2
    ratios = chi[1:, i] / chi[:-1, i]
    ratios_err = ratios * np.hypot(chi_err[1:, i] / chi[1:, i], chi_err[:-1, i] / chi[:-1, i])
    z = [(r["m2_second_half"] - r["m2_first_half"])
         / np.hypot(r["m2_first_half_err"], r["m2_second_half_err"]) for r in res]
    sweeps = _per_size("n_sweeps", n_sweeps, len(Ls))
    burns = _per_size("n_burn", n_burn, len(Ls))
    return {
        "K_c": kc["K_c"], "K_c_err": kc["K_c_err"], "K_range": list(kc["K_range"]),
        "pairs": [{"sizes": list(p["sizes"]), "K_cross": p["K_cross"], "K_err": p["K_err"],
                   "U_cross": p["U_cross"], "U_err": p["U_err"], "bracket": list(p["bracket"]),
                   "n_failed": p["n_failed"]} for p in kc["pairs"]],
        "K": K, "lattice_sizes": Ls,
        "binder": scan["binder"], "binder_err": scan["binder_err"],
        "chi": chi, "chi_err": chi_err,
        "m2": np.array([r["m2"] for r in res]), "m2_err": np.array([r["m2_err"] for r in res]),
        "burnin_z": np.array(z),
        "chi_exponent": x, "chi_exponent_err": x_err,
        "K_fss": float(K[i]), "chi_ratios": ratios, "chi_ratios_err": ratios_err,
        "chi_exponent_fss": float(x[i]), "chi_exponent_fss_err": float(x_err[i]),
        "m2_rep": np.array([r["m2_rep"] for r in res]),
        "m4_rep": np.array([r["m4_rep"] for r in res]),
        "T": float(T), "n_sweeps": [int(s) for s in sweeps], "n_burn": [int(b) for b in burns],
        "n_replicas": int(n_replicas), "update": update, "seed": scan["seed"],
    }


def spot_check_critical_coupling(values, *, size_index=0, n_replicas=2):
    """Re-run a cheap part of the stored long Binder run and compare it with the stored numbers.

    Replica r of the run at lattice size number ``size_index`` uses the
    same random streams whatever the number of replicas (see
    :func:`utacbook.models.scan_field`), so re-running that size with the first
    ``n_replicas`` replicas must reproduce their per-replica moments exactly.

    Parameters
    ----------
    values : dict or utacbook.stored.StoredResult
        The stored result of :func:`critical_coupling_study`.
    size_index : int, default 0
        Which lattice size to re-run (0: the smallest, the cheapest).
    n_replicas : int, default 2
        How many of its replicas to re-run (>= 2).

    Returns
    -------
    dict
        ``lattice_size``, ``n_replicas``, ``max_rel_diff`` (largest relative
        difference of the per-replica <m^2> and <m^4> from the stored ones),
        ``identical`` (``max_rel_diff < 1e-9``), ``m2_rep`` (the re-run
        values).

    Examples
    --------
    Re-running the first two replicas of the smallest lattice (L = 16, 9 couplings,
    10000 sweeps each: about a second) reproduces the stored moments bit for bit:

    >>> import utacbook as ub
    >>> from utacbook.stats import spot_check_critical_coupling
    >>> res = ub.stored.load("rg_critical_coupling")
    >>> chk = spot_check_critical_coupling(res, size_index=0, n_replicas=2)
    >>> chk["lattice_size"], chk["n_replicas"], chk["identical"], chk["m2_rep"].shape
    (16, 2, True, (2, 9))
    """
    _stored("values", values, ("lattice_sizes", "n_replicas", "K", "T", "n_sweeps", "n_burn",
                               "update", "seed", "m2_rep", "m4_rep"))
    sizes = list(values["lattice_sizes"])
    k = v.integer("size_index", size_index, low=0, high=len(sizes) - 1)
    n = v.integer("n_replicas", n_replicas, low=2, high=int(values["n_replicas"]))
    K = np.asarray(values["K"], dtype=float)
    T = float(values["T"])
    r = order_parameter_moments(K * T, T, lattice_size=sizes[k], n_sweeps=values["n_sweeps"][k],
                                n_burn=values["n_burn"][k], n_replicas=n,
                                update=values["update"], seed=(int(values["seed"]), (k,)))
    diffs = []
    for key in ("m2_rep", "m4_rep"):
        old = np.asarray(values[key][k], dtype=float)[:n]
        diffs.append(np.max(np.abs(r[key] - old) / np.abs(old)))
    d = float(max(diffs))
    return {"lattice_size": sizes[k], "n_replicas": n, "max_rel_diff": d,
            "identical": bool(d < 1e-9), "m2_rep": r["m2_rep"]}


def susceptibility_by_size(K, lattice_sizes=(16, 32, 64), *, T=0.2, n_sweeps=2000, n_burn=500,
                           n_replicas=8, seed=None):
    """Steady-state chi = N <m^2> at the symmetric field for several lattice sizes.

    One :func:`order_parameter_moments` run per size (size number k uses
    child k of ``SeedSequence(seed)``, as :func:`binder_scan`).  Far from K_c
    chi tends to a constant once L exceeds the correlation length; at K_c it
    grows as L^(2 - eta).

    Returns
    -------
    dict
        ``K``, ``lattice_sizes``, ``chi_rep`` (per-replica N <m^2>,
        (n_sizes, n_replicas)), ``chi``, ``chi_err``, ``burnin_z`` (one per
        size), ``n_sweeps``, ``n_burn``, ``n_replicas``, ``seed``.

    Examples
    --------
    At K = 0 the agents are independent, so chi = Var[sigmoid(xi)] = 0.04338 for
    every L (xi standard normal):

    >>> import numpy as np
    >>> from utacbook.stats import susceptibility_by_size
    >>> r = susceptibility_by_size(0.0, lattice_sizes=(4, 8, 16), n_sweeps=200, n_burn=20,
    ...                            n_replicas=4, seed=1)
    >>> r["chi_rep"].shape                                   # (n_sizes, n_replicas)
    (3, 4)
    >>> bool(np.all(np.abs(r["chi"] - 0.04338) < 2 * r["chi_err"]))
    True
    """
    K = v.real("K", K)
    T = v.real("T", T, positive=True)
    sizes = _sizes(lattice_sizes)
    seq, entropy = resolve_seed(seed)
    children = seq.spawn(len(sizes))
    chi_rep, z = [], []
    for L, ch in zip(sizes, children):
        r = order_parameter_moments(K * T, T, lattice_size=L, n_sweeps=n_sweeps, n_burn=n_burn,
                                    n_replicas=n_replicas, seed=ch)
        chi_rep.append(L * L * np.ravel(r["m2_rep"]))
        z.append(float((r["m2_second_half"] - r["m2_first_half"])
                       / np.hypot(r["m2_first_half_err"], r["m2_second_half_err"])))
    chi_rep = np.array(chi_rep)
    return {"K": K, "lattice_sizes": sizes, "chi_rep": chi_rep, "chi": chi_rep.mean(axis=1),
            "chi_err": _sem(chi_rep, axis=1), "burnin_z": z, "n_sweeps": int(n_sweeps),
            "n_burn": int(n_burn), "n_replicas": int(n_replicas), "seed": entropy}


def chi_exponent_at(values, K, K_err=0.0):
    """The finite-size exponent x of chi ~ L^x at a coupling between grid points of the stored run.

    Near K_c the effective exponent of the stored long run changes fast with
    K (by about 0.6 per 0.05), so the uncertainty of K_c, not the statistics
    at one grid point, limits x at K_c.  This interpolates x linearly between
    the two grid couplings that bracket ``K`` and propagates both errors.

    Parameters
    ----------
    values : dict or StoredResult
        The stored result of :func:`critical_coupling_study` (needs ``K``,
        ``chi_exponent``, ``chi_exponent_err``).
    K : float
        The coupling, inside the grid (e.g. ``K_c``).
    K_err : float, default 0
        Its standard error (e.g. ``K_c_err``).

    Returns
    -------
    dict
        ``x``; ``x_err_stat`` (from the errors of x at the two grid points,
        which are independent runs); ``x_err_K`` (``|dx/dK| * K_err``);
        ``x_err`` (both in quadrature); ``slope`` (dx/dK between the grid
        points); ``bracket`` (the two grid couplings).

    Examples
    --------
    On a grid point it returns the stored exponent; at the stored K_c the error is
    dominated by that of K_c, and x agrees with the 2D Ising value 2 - eta = 7/4:

    >>> import utacbook as ub
    >>> from utacbook.stats import ISING_ETA, chi_exponent_at
    >>> res = ub.stored.load("rg_critical_coupling")
    >>> chi_exponent_at(res, K=5.55)["x"] == res["chi_exponent"][5]
    True
    >>> c = chi_exponent_at(res, K=res["K_c"], K_err=res["K_c_err"])
    >>> round(c["x"], 2), round(c["x_err"], 2), round(c["x_err_K"], 2), c["bracket"]
    (1.68, 0.1, 0.1, [5.5, 5.55])
    >>> bool(abs(c["x"] - (2 - ISING_ETA)) < c["x_err"])
    True
    """
    _stored("values", values, ("K", "chi_exponent", "chi_exponent_err"))
    Ks = np.asarray(values["K"], dtype=float)
    x = np.asarray(values["chi_exponent"], dtype=float)
    e = np.asarray(values["chi_exponent_err"], dtype=float)
    K = v.real("K", K)
    K_err = v.real("K_err", K_err)
    if K_err < 0:
        raise ValueError(f"K_err must be >= 0, got {K_err}")
    if not Ks[0] <= K <= Ks[-1]:
        raise ValueError(f"K = {K} lies outside the stored grid [{Ks[0]}, {Ks[-1]}]")
    i = int(min(np.searchsorted(Ks, K, side="right") - 1, Ks.size - 2))
    t = (K - Ks[i]) / (Ks[i + 1] - Ks[i])
    slope = (x[i + 1] - x[i]) / (Ks[i + 1] - Ks[i])
    stat = float(np.hypot((1 - t) * e[i], t * e[i + 1]))
    dK = float(abs(slope) * K_err)
    return {"x": float(x[i] + t * (x[i + 1] - x[i])), "x_err_stat": stat, "x_err_K": dK,
            "x_err": float(np.hypot(stat, dK)), "slope": float(slope),
            "bracket": [float(Ks[i]), float(Ks[i + 1])]}


def stored_susceptibility(values, K=None):
    """The same dict as :func:`susceptibility_by_size`, taken from the stored long run.

    Parameters
    ----------
    values : dict or StoredResult
        The stored result of :func:`critical_coupling_study`.
    K : float, optional
        A coupling of its grid (default: the grid point nearest K_c, ``K_fss``).

    Examples
    --------
    At the grid point nearest K_c, chi grows by about 2^(7/4) = 3.36 per doubling of L
    (2D Ising: chi ~ L^(2 - eta)); the ratios are the stored ``chi_ratios``:

    >>> import numpy as np
    >>> import utacbook as ub
    >>> from utacbook.stats import stored_susceptibility
    >>> res = ub.stored.load("rg_critical_coupling")
    >>> r = stored_susceptibility(res)
    >>> r["K"], r["lattice_sizes"], r["chi_rep"].shape
    (5.55, [16, 32, 64], (3, 24))
    >>> r["chi"].round(1).tolist()
    [13.0, 44.5, 152.1]
    >>> bool(np.allclose(r["chi"][1:] / r["chi"][:-1], res["chi_ratios"]))
    True
    """
    _stored("values", values, ("K", "K_fss", "lattice_sizes", "m2_rep", "burnin_z", "n_sweeps",
                               "n_burn", "n_replicas", "seed"))
    Ks = np.asarray(values["K"], dtype=float)
    K = float(values["K_fss"]) if K is None else v.real("K", K)
    i = int(np.argmin(np.abs(Ks - K)))
    if abs(Ks[i] - K) > 1e-9:
        raise ValueError(f"K = {K} is not on the stored grid {Ks.tolist()}")
    sizes = [int(L) for L in values["lattice_sizes"]]
    chi_rep = np.array([L * L * np.asarray(values["m2_rep"][k], dtype=float)[:, i]
                        for k, L in enumerate(sizes)])
    return {"K": float(Ks[i]), "lattice_sizes": sizes, "chi_rep": chi_rep,
            "chi": chi_rep.mean(axis=1), "chi_err": _sem(chi_rep, axis=1),
            "burnin_z": [float(values["burnin_z"][k][i]) for k in range(len(sizes))],
            "n_sweeps": list(values["n_sweeps"]), "n_burn": list(values["n_burn"]),
            "n_replicas": int(values["n_replicas"]), "seed": values["seed"]}


# --------------------------------------------------------------------------- claims

#: the 2D Ising Binder crossing value on periodic squares (Kamieniarz & Bloete 1993)
ISING_BINDER_CROSSING = 0.61069
#: the 2D Ising exponent eta (exact)
ISING_ETA = 0.25
