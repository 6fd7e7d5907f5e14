"""Checks of the Ising engine against exact results (chapter "The engine and its checks").

Every function here runs :func:`utacbook.models.simulate_lattice` (or
:func:`utacbook.models.simulate_graph`) and puts each estimate, with its error
bar, beside an exact result from :mod:`utacbook.theory`, together with the
deviation in units of the error,

.. math:: z = \\frac{\\text{measured} - \\text{exact}}{\\sigma} .

Errors are those of the engine's estimators: :math:`\\tau_{\\rm int}`-corrected
errors of means, jackknife over bins much longer than :math:`\\tau_{\\rm int}`
for the nonlinear specific heat, susceptibility and Binder cumulant (see
:mod:`utacbook.stats`).  Temperatures are in units of :math:`J/k_B`
(:math:`k_B = 1`), energies per spin in units of J.

Run lengths are given in *sweeps*.  For the Wolff algorithm one recorded step
is one cluster flip; here a Wolff run of ``sweeps`` sweeps means a run with as
many cluster flips as needed to flip ``sweeps * N`` spins on average (the
mean cluster size is measured in a pilot run, which also serves as burn-in).
Autocorrelation times of Wolff runs are likewise converted to sweeps by the
factor ``mean cluster size / N``.

Every function takes a ``seed``; the run for the k-th item of a scan is
seeded with ``SeedSequence(seed, spawn_key=(...))``, so the whole table is
reproducible from the one integer.
"""

from __future__ import annotations

import math
import time

import numpy as np

from utacbook import _validate as v
from utacbook.theory import _exact as exact
from utacbook.models._ising import simulate_lattice
from utacbook.stats._significance import consistency_stats, p_value_floor, sidak_k, z_measurements, z_stats

__all__ = [
    'TC', 'U_STAR', 'ALGORITHMS', 'run_lattice', 'trap_states', 'local_fields', 'naive_checkerboard_sweep',
    'zero_field_trap', 'format_trap', 'enumeration_table', 'onsager_yang_scan', 'kaufman_scan', 'kaufman_table',
    'lattice_binder_crossing', 'algorithm_comparison', 'autocorrelation_times', 'curie_weiss_scan',
    'ring_check', 'markdown_table', 'plot_onsager_yang', 'plot_kaufman', 'plot_binder', 'plot_curie_weiss',
    'zero_cost_tau', 'zero_cost_tau_result', 'zero_cost_tau_spot_check', 'zero_cost_tau_rows', 'binder_point',
    'binder_shift_result', 'binder_spot_check', 'crossing_shift_prediction', 'claims', 'check_deviations',
    'binder_measurements', 'algorithm_measurements', 'binder_crossing_from_stored', 'kaufman_scan_result',
    'kaufman_scan_from_stored', 'kaufman_spot_check', 'onsager_yang_result', 'onsager_yang_from_stored',
    'onsager_yang_spot_check', 'curie_weiss_result', 'curie_weiss_from_stored', 'curie_weiss_spot_check',
    'judge_checks', 'format_enumeration_table',
    'format_zero_cost_tau', 'format_onsager_yang', 'format_binder', 'format_binder_at_tc',
    'plot_autocorrelation', 'pairwise_z', 'format_comparison', 'format_autocorrelation', 'format_ring',
]

#: the three lattice algorithms checked here ("metropolis_msc" is the same chain as "metropolis")
ALGORITHMS = ("metropolis", "heatbath", "wolff")

#: Onsager's critical temperature for J = 1
TC = exact.onsager_tc(1.0)

#: Binder cumulant at T_c for L -> infinity on the periodic square lattice,
#: U* = 1 - 1/(3 Q) with Q = <m^2>^2/<m^4> = 0.856216 (Kamieniarz and Blöte 1993)
U_STAR = 1.0 - 1.0 / (3.0 * 0.856216)

#: estimator name -> (IsingResult attribute, key in the exact dictionaries)
QUANTITIES = {
    "energy": ("mean_energy", "energy"),
    "abs_magnetization": ("abs_magnetization", "abs_magnetization"),
    "specific_heat": ("specific_heat", "specific_heat"),
    "susceptibility": ("susceptibility", "susceptibility"),
    "binder": ("binder", "binder"),
}

#: short symbols for tables
SYMBOL = {"energy": "e", "abs_magnetization": "|m|", "specific_heat": "C",
          "susceptibility": "χ", "binder": "U"}


# --------------------------------------------------------------------------- helpers


def _seed(seed):
    """Validate a root seed (int >= 0)."""
    return v.integer("seed", seed, low=0)


def _child(seed, *key):
    """The seed of one run of a scan: ``SeedSequence(seed, spawn_key=key)``."""
    return np.random.SeedSequence(seed, spawn_key=tuple(int(k) for k in key))


def _temps(name, values, *, min_len=1):
    arr = v.real_array(name, values, ndim=1, min_len=min_len)
    if not np.all(arr > 0):
        raise ValueError(f"{name} must contain only temperatures > 0")
    return arr


def _sizes(name, values, *, even=True, low=4):
    if isinstance(values, (str, bytes)) or np.ndim(values) != 1:
        raise TypeError(f"{name} must be a sequence of integers")
    out = tuple(v.integer(name, x, low=low) for x in values)
    if not out:
        raise ValueError(f"{name} must not be empty")
    if even and any(x % 2 for x in out):
        raise ValueError(f"{name} must contain even sizes (checkerboard updates), got {out}")
    return out


def _z(value, err, ref):
    """Deviation in sigma (nan if the error is not positive)."""
    return (value - ref) / err if err > 0 else float("nan")


def run_lattice(L, T, *, algorithm="metropolis", sweeps=10_000, burn_in=1_000, init="random",
                seed=0):
    """One lattice run, with Wolff run lengths in sweep-equivalents.

    Parameters
    ----------
    L : int, even, >= 4
        Linear size of the periodic L x L lattice.
    T : float > 0
        Temperature (units of J).
    algorithm : {"metropolis", "heatbath", "wolff"}
    sweeps : int >= 100
        Recorded sweeps.  For Wolff: recorded cluster flips =
        ``ceil(sweeps * L**2 / mean cluster size)``, at least ``sweeps // 10``
        (the pilot measuring the cluster size has ``burn_in`` steps).
    burn_in : int >= 10
        Discarded sweeps (Wolff: discarded cluster flips of the pilot run).
    init : {"random", "up", "down"}
    seed : int, SeedSequence
        Seed of the run (the pilot uses a child of it).

    Returns
    -------
    IsingResult
    """
    sweeps = v.integer("sweeps", sweeps, low=100)
    burn_in = v.integer("burn_in", burn_in, low=10)
    if algorithm != "wolff":
        return simulate_lattice(L, T, sweeps=sweeps, burn_in=burn_in, algorithm=algorithm,
                                init=init, seed=seed)
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    pilot_seed, run_seed = ss.spawn(2)
    pilot = simulate_lattice(L, T, sweeps=burn_in, burn_in=burn_in, algorithm="wolff",
                             init=init, seed=pilot_seed)
    steps = max(sweeps // 10, math.ceil(sweeps * L * L / pilot.mean_cluster_size))
    return simulate_lattice(L, T, sweeps=steps, burn_in=0, algorithm="wolff",
                            init=pilot.spins, seed=run_seed)


def _sweeps_per_step(r):
    """Sweep-equivalents of one recorded step (1 for local algorithms)."""
    if r.cluster_sizes is None:
        return 1.0
    return r.mean_cluster_size / r.N


def _measure(r, quantities):
    return {q: getattr(r, QUANTITIES[q][0]) for q in quantities}


def markdown_table(headers, rows):
    """A Markdown table from column ``headers`` and ``rows`` (lists of cells, any type).

    Floats are printed with 4 significant digits; a ``|`` inside a cell is escaped.
    """
    def cell(x):
        if isinstance(x, (float, np.floating)):
            return "nan" if not np.isfinite(x) else f"{x:.4g}"
        return str(x).replace("|", "\\|")
    lines = ["| " + " | ".join(cell(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(x) for x in r) + " |" for r in rows]
    return "\n".join(lines)


def _pm(value, err, digits=None):
    """'value ± err' with the value rounded to the error's second significant digit."""
    if not (np.isfinite(err) and err > 0):
        return f"{value:.5g}"
    d = max(0, 1 - int(math.floor(math.log10(err)))) if digits is None else digits
    return f"{value:.{d}f} ± {err:.{d}f}"


def _tau_error(tau, n, c=5.0):
    """Sokal's error of an integrated autocorrelation time: tau sqrt(2(2W+1)/n), W = c tau."""
    return float(tau) * math.sqrt(2.0 * (2.0 * c * float(tau) + 1.0) / n)


# --------------------------------------------------------------------------- 1. enumeration


def enumeration_table(*, L=4, temperatures=(1.5, TC, 3.0), algorithms=ALGORITHMS,
                      quantities=("energy", "abs_magnetization", "specific_heat",
                                  "susceptibility"),
                      sweeps=100_000, burn_in=1_000, seed=101):
    """Every algorithm on the small torus against exact enumeration of all 2**(L*L) states.

    Parameters
    ----------
    L : int, 2 <= L <= 4, default 4
        Linear size (metropolis needs L = 4; enumeration allows L <= 4).
    temperatures : sequence of float > 0
        Temperatures (units of J).
    algorithms : sequence of {"metropolis", "heatbath", "wolff"}
    quantities : sequence of {"energy", "abs_magnetization", "specific_heat", "susceptibility", "binder"}
    sweeps : int >= 100, default 100000
        Recorded sweeps per run (Wolff: sweep-equivalents, see :func:`run_lattice`).
    burn_in : int >= 10, default 1000
    seed : int >= 0, default 101

    Returns
    -------
    list of dict
        One row per (algorithm, T, quantity): ``algorithm``, ``T``,
        ``quantity``, ``value``, ``error`` (1 sigma), ``exact``, ``z``.
    """
    L = v.integer("L", L, low=2, high=exact.MAX_ENUMERATION_L)
    if L % 2:
        raise ValueError(f"L must be even (checkerboard updates), got {L}")
    Ts = _temps("temperatures", temperatures)
    algorithms = tuple(algorithms)
    if not algorithms:
        raise ValueError("algorithms must not be empty")
    for a in algorithms:
        v.choice("algorithms", a, set(ALGORITHMS))
    quantities = tuple(quantities)
    for q in quantities:
        v.choice("quantities", q, set(QUANTITIES))
    seed = _seed(seed)
    rows = []
    exs = [exact.enumerate_lattice(L, float(T)) for T in Ts]   # the same for every algorithm
    for ia, alg in enumerate(algorithms):
        for it, T in enumerate(Ts):
            ex = exs[it]
            r = run_lattice(L, float(T), algorithm=alg, sweeps=sweeps, burn_in=burn_in,
                            seed=_child(seed, ia, it))
            for q, (val, err) in _measure(r, quantities).items():
                ref = ex[QUANTITIES[q][1]]
                rows.append({"algorithm": alg, "T": float(T), "quantity": q, "value": val,
                             "error": err, "exact": ref, "z": _z(val, err, ref)})
    return rows


def format_enumeration_table(rows):
    """Markdown table of :func:`enumeration_table` rows (one line per algorithm and T)."""
    quantities = list(dict.fromkeys(r["quantity"] for r in rows))
    keys = list(dict.fromkeys((r["algorithm"], r["T"]) for r in rows))
    headers = ["algorithm", "T"] + [f"{SYMBOL[q]}: measured (exact) [z]" for q in quantities]
    out = []
    for alg, T in keys:
        cells = [alg, f"{T:.4g}"]
        for q in quantities:
            r = next(x for x in rows if x["algorithm"] == alg and x["T"] == T and x["quantity"] == q)
            cells.append(f"{_pm(r['value'], r['error'])} ({r['exact']:.5g}) [{r['z']:+.1f}]")
        out.append(cells)
    return markdown_table(headers, out)


# --------------------------------------------------------------------------- 1b. zero-field traps


def trap_states(L=4):
    """Two L x L states in which every spin has zero local field (even L >= 4).

    Returns
    -------
    dict of ndarray (int8, shape (L, L))
        ``"row stripes"``: rows alternately +1 and -1; ``"2x2 blocks"``: a
        chequerboard of 2 x 2 blocks (needs L divisible by 4).
    """
    L = v.integer("L", L, low=4)
    if L % 4:
        raise ValueError(f"L must be a multiple of 4 (2x2 blocks on a torus), got {L}")
    i, j = np.indices((L, L))
    return {"row stripes": np.where(i % 2 == 0, 1, -1).astype(np.int8),
            "2x2 blocks": np.where((i // 2 + j // 2) % 2 == 0, 1, -1).astype(np.int8)}


def local_fields(spins, *, J=1.0):
    """Local fields :math:`J\\sum_{j \\sim i} s_j` of a periodic L x L state (units of J)."""
    s = np.asarray(spins, dtype=float)
    if s.ndim != 2 or s.shape[0] != s.shape[1]:
        raise ValueError(f"spins must be a square 2-D array, got shape {s.shape}")
    return J * (np.roll(s, 1, 0) + np.roll(s, -1, 0) + np.roll(s, 1, 1) + np.roll(s, -1, 1))


def naive_checkerboard_sweep(spins, T, *, rng=None):
    """One checkerboard Metropolis sweep that accepts zero-cost flips with probability 1.

    Pure-NumPy illustration of the *old* rule (not the engine's kernel):
    the sublattice i + j even is updated at once, then the odd one; a flip
    is accepted with probability min(1, exp(-ΔE/T)) and always if ΔE = 0.

    Parameters
    ----------
    spins : ndarray (L, L) of +-1, L even
    T : float > 0
    rng : numpy Generator or None (fresh default_rng(0))

    Returns
    -------
    ndarray (L, L) of int8, the new state.
    """
    s = np.array(spins, dtype=np.int8)
    if s.ndim != 2 or s.shape[0] != s.shape[1] or s.shape[0] % 2:
        raise ValueError(f"spins must be an even L x L array, got shape {s.shape}")
    T = v.real("T", T, positive=True)
    rng = np.random.default_rng(0) if rng is None else rng
    i, j = np.indices(s.shape)
    for parity in (0, 1):
        dE = 2.0 * s * local_fields(s)
        accept = rng.random(s.shape) < np.exp(-np.maximum(dE, 0.0) / T)
        flip = ((i + j) % 2 == parity) & accept
        s[flip] *= -1
    return s


def zero_field_trap(*, L=4, T=2.0, sweeps=20_000, burn_in=1_000, seed=909):
    """Metropolis started in zero-local-field states, against exact enumeration.

    With zero-cost flips accepted with probability 1 these states flip as a
    whole at every sweep and never relax (see :func:`naive_checkerboard_sweep`);
    the engine accepts them with probability 63/64 and relaxes to equilibrium.

    Parameters
    ----------
    L : int, 4 (enumeration needs L <= 4), default 4
    T : float > 0, default 2.0
    sweeps : int >= 100, default 20000
    burn_in : int >= 0, default 1000
    seed : int >= 0, default 909

    Returns
    -------
    list of dict
        One per trap state: ``state``, ``max_abs_field`` (initial),
        ``e_initial``, ``naive_cycle`` (True if two naive sweeps return the
        state and one sweep gives its global flip), ``energy``, ``energy_err``,
        ``exact``, ``z``.
    """
    L = v.integer("L", L, low=4, high=exact.MAX_ENUMERATION_L)
    T = v.real("T", T, positive=True)
    sweeps = v.integer("sweeps", sweeps, low=100)
    burn_in = v.integer("burn_in", burn_in, low=0)
    seed = _seed(seed)
    ref = exact.enumerate_lattice(L, T)["energy"]
    rows = []
    for k, (name, s0) in enumerate(trap_states(L).items()):
        h = local_fields(s0)
        e0 = float(-0.5 * np.mean(s0 * h)) + 0.0
        s1 = naive_checkerboard_sweep(s0, T)
        s2 = naive_checkerboard_sweep(s1, T)
        cycle = bool(np.array_equal(s1, -s0) and np.array_equal(s2, s0))
        r = simulate_lattice(L, T, sweeps=sweeps, burn_in=burn_in, algorithm="metropolis",
                             init=s0, seed=_child(seed, k))
        e, de = r.mean_energy
        rows.append({"state": name, "max_abs_field": float(np.max(np.abs(h))), "e_initial": e0,
                     "naive_cycle": cycle, "energy": e, "energy_err": de, "exact": ref,
                     "z": _z(e, de, ref)})
    return rows


def format_trap(rows):
    """Markdown table of :func:`zero_field_trap`."""
    return markdown_table(
        ["initial state", "max |local field|", "e at start", "old rule: flips back and forth",
         "e (Metropolis, a(0) = 63/64)", "e exact", "z"],
        [[r["state"], f"{r['max_abs_field']:g}", f"{r['e_initial']:g}",
          "yes" if r["naive_cycle"] else "no", _pm(r["energy"], r["energy_err"]),
          f"{r['exact']:.5f}", f"{r['z']:+.1f}"] for r in rows])


def zero_cost_tau(*, sizes=(16, 32), accept=(1.0, 63 / 64, 0.5), T=TC, n_seeds=4,
                  sweeps=40_000, burn_in=2_000, seed=910):
    """Autocorrelation time of ``|m|`` at T for several zero-cost acceptances a(0).

    Metropolis from random starts (where the trap states of
    :func:`zero_field_trap` practically never occur, so a(0) = 1 is usable
    here) with ``zero_cost_accept = a(0)``; tau_int of ``|m|`` in sweeps, averaged
    over ``n_seeds`` seeds with the standard error of that mean.

    Parameters
    ----------
    sizes : sequence of even int >= 4, default (16, 32)
    accept : sequence of float in (0, 1], default (1, 63/64, 1/2)
    T : float > 0, default T_c
    n_seeds : int >= 2, default 4
    sweeps, burn_in : int, defaults 40000 and 2000
    seed : int >= 0, default 910
        Run (size i, a(0) j, replica k) uses ``SeedSequence(seed, spawn_key=(i, j, k))``.

    Returns
    -------
    list of dict
        ``L``, ``accept``, ``tau`` (mean over seeds), ``tau_err`` (its standard
        error), ``taus`` (per seed).
    """
    sizes = _sizes("sizes", sizes)
    acc = v.real_array("accept", accept, ndim=1, min_len=1)
    if not np.all((acc > 0) & (acc <= 1)):
        raise ValueError("accept must contain probabilities in (0, 1]")
    T = v.real("T", T, positive=True)
    n_seeds = v.integer("n_seeds", n_seeds, low=2)
    sweeps = v.integer("sweeps", sweeps, low=1000)
    burn_in = v.integer("burn_in", burn_in, low=0)
    seed = _seed(seed)
    rows = []
    for i, L in enumerate(sizes):
        for j, a in enumerate(acc):
            taus = np.array([_zero_cost_tau_run(L, T, float(a), sweeps, burn_in, seed, (i, j, k))
                             for k in range(n_seeds)])
            rows.append({"L": L, "accept": float(a), "tau": float(taus.mean()),
                         "tau_err": float(taus.std(ddof=1) / math.sqrt(n_seeds)),
                         "taus": taus})
    return rows


def _zero_cost_tau_run(L, T, a, sweeps, burn_in, seed, key):
    """``tau_int(|m|)`` of one Metropolis run of :func:`zero_cost_tau` (run ``key`` = (i, j, k))."""
    return float(simulate_lattice(L, T, sweeps=sweeps, burn_in=burn_in, algorithm="metropolis",
                                  zero_cost_accept=a, seed=_child(seed, *key)
                                  ).tau_int["abs_magnetization"])


def zero_cost_tau_result(*, sizes=(16, 32), accept=(1.0, 63 / 64, 0.5), T=TC, n_seeds=4,
                         sweeps=40_000, burn_in=2_000, seed=910):
    """:func:`zero_cost_tau` as a JSON-able dict, for :func:`utacbook.stored.compute`.

    Takes the same parameters.  About 20 s on one core with the defaults.

    Returns
    -------
    dict
        The parameters (``sizes``, ``accept``, ``T``, ``n_seeds``, ``sweeps``,
        ``burn_in``, ``seed``) and one list entry per (size, a(0)) in the
        order of :func:`zero_cost_tau`: ``L``, ``a0``, ``tau``, ``tau_err``,
        ``taus`` (per replica), ``key`` ((i, j): size and a(0) index of the
        seed's spawn key).
    """
    rows = zero_cost_tau(sizes=sizes, accept=accept, T=T, n_seeds=n_seeds, sweeps=sweeps,
                         burn_in=burn_in, seed=seed)
    sizes = list(dict.fromkeys(r["L"] for r in rows))
    acc = list(dict.fromkeys(r["accept"] for r in rows))
    return {"sizes": sizes, "accept": acc, "T": float(T), "n_seeds": int(n_seeds),
            "sweeps": int(sweeps), "burn_in": int(burn_in), "seed": int(seed),
            "L": [r["L"] for r in rows], "a0": [r["accept"] for r in rows],
            "tau": [r["tau"] for r in rows], "tau_err": [r["tau_err"] for r in rows],
            "taus": [[float(t) for t in r["taus"]] for r in rows],
            "key": [[sizes.index(r["L"]), acc.index(r["accept"])] for r in rows]}


def zero_cost_tau_spot_check(stored, *, L=None, replica=0):
    """Recompute one replica of every a(0) at one size of a stored :func:`zero_cost_tau_result`.

    Parameters
    ----------
    stored : dict or StoredResult
        The values of :func:`zero_cost_tau_result`.
    L : int, optional
        The size to recompute (default: the smallest stored size).
    replica : int, default 0

    Returns
    -------
    dict
        ``L``, ``replica``, ``a0`` (list), ``stored`` and ``recomputed``
        (tau_int of that replica, lists), ``identical`` (bool: equal to the
        last bit).
    """
    L = min(stored["sizes"]) if L is None else v.integer("L", L, low=4)
    if L not in stored["sizes"]:
        raise ValueError(f"L={L} is not among the stored sizes {stored['sizes']}")
    replica = v.integer("replica", replica, low=0, high=stored["n_seeds"] - 1)
    a0, old, new = [], [], []
    for n, (Ln, a) in enumerate(zip(stored["L"], stored["a0"])):
        if Ln != L:
            continue
        i, j = stored["key"][n]
        a0.append(a)
        old.append(stored["taus"][n][replica])
        new.append(_zero_cost_tau_run(L, stored["T"], a, stored["sweeps"], stored["burn_in"],
                                      stored["seed"], (i, j, replica)))
    return {"L": L, "replica": replica, "a0": a0, "stored": old, "recomputed": new,
            "identical": old == new}


def zero_cost_tau_rows(stored):
    """The rows of :func:`zero_cost_tau` (without ``taus``) from a stored result.

    ``stored`` holds the values of :func:`zero_cost_tau_result`.
    """
    return [{"L": L, "accept": a, "tau": t, "tau_err": e}
            for L, a, t, e in zip(stored["L"], stored["a0"], stored["tau"], stored["tau_err"])]


def format_zero_cost_tau(rows):
    """Markdown table of :func:`zero_cost_tau`."""
    def name(a):
        return {1.0: "1 (textbook)", 63 / 64: "63/64 (engine)", 0.5: "1/2"}.get(a, f"{a:g}")
    return markdown_table(
        ["L", "a(0)", "τ_int(|m|) at T_c, sweeps (mean ± s.e. over seeds)"],
        [[str(r["L"]), name(r["accept"]), _pm(r["tau"], r["tau_err"])] for r in rows])


# --------------------------------------------------------------------------- 2. Onsager / Yang


def _default_algorithm(T, window):
    return "wolff" if window[0] <= T <= window[1] else "metropolis"


def onsager_yang_scan(*, L=64, temperatures=(1.6, 1.8, 2.0, 2.1, 2.2, TC, 2.35, 2.5, 2.7,
                                             3.0, 3.4),
                      sweeps=5_000, burn_in=500, wolff_window=(2.15, 2.4), seed=202):
    """Energy and ``⟨|m|⟩`` of the L x L torus over a temperature grid, with the exact curves.

    Metropolis is used outside ``wolff_window`` and Wolff inside it (where
    Metropolis suffers from critical slowing down).  Runs below T_c start
    ordered ("up"), the others random.

    Parameters
    ----------
    L : int, even, >= 4, default 64
    temperatures : sequence of float > 0
    sweeps : int >= 100, default 5000
        Recorded sweeps (Wolff: sweep-equivalents).
    burn_in : int >= 10, default 500
    wolff_window : (float, float)
        Closed temperature interval in which Wolff is used.
    seed : int >= 0, default 202

    Returns
    -------
    dict of ndarray (one entry per temperature) and scalars
        ``L``, ``T``, ``algorithm``, ``energy``, ``energy_err``, ``abs_m``,
        ``abs_m_err``, ``kaufman_energy`` (exact, this L), ``onsager_energy``
        (exact, infinite lattice), ``yang`` (exact spontaneous magnetisation,
        infinite lattice), ``z_energy`` (against Kaufman), ``z_m`` (against
        Yang; a finite-size effect, not an error, near and above T_c).
    """
    L = v.integer("L", L, low=4)
    if L % 2:
        raise ValueError(f"L must be even, got {L}")
    Ts = _temps("temperatures", temperatures)
    lo, hi = (v.real("wolff_window", x) for x in wolff_window)
    seed = _seed(seed)
    out = {k: [] for k in _ONSAGER_COLUMNS}
    for it, T in enumerate(Ts):
        alg = _default_algorithm(T, (lo, hi))
        e, de, m, dm = _onsager_point(L, float(T), alg, sweeps, burn_in, seed, it)
        for k, x in zip(_ONSAGER_COLUMNS, (alg, e, de, m, dm)):
            out[k].append(x)
    return _onsager_finish(L, Ts, {k: np.array(x) for k, x in out.items()})


_ONSAGER_COLUMNS = ("algorithm", "energy", "energy_err", "abs_m", "abs_m_err")


def _onsager_point(L, T, alg, sweeps, burn_in, seed, it):
    """(e, de, |m|, d|m|) of the run at the ``it``-th temperature of :func:`onsager_yang_scan`."""
    r = run_lattice(L, T, algorithm=alg, sweeps=sweeps, burn_in=burn_in,
                    init="up" if T < TC else "random", seed=_child(seed, it))
    e, de = r.mean_energy
    m, dm = r.abs_magnetization
    return e, de, m, dm


def _onsager_finish(L, Ts, res):
    """:func:`onsager_yang_scan`'s dict from its measured columns (adds the exact curves and z)."""
    res["L"] = L
    res["T"] = Ts
    res["kaufman_energy"] = np.atleast_1d(exact.kaufman(L, Ts)["energy"])
    res["onsager_energy"] = np.atleast_1d(exact.infinite_lattice_energy(Ts))
    res["yang"] = np.atleast_1d(exact.yang_magnetization(Ts))
    res["z_energy"] = (res["energy"] - res["kaufman_energy"]) / res["energy_err"]
    res["z_m"] = (res["abs_m"] - res["yang"]) / res["abs_m_err"]
    return res


def onsager_yang_result(*, L=64, temperatures=(1.6, 1.8, 2.0, 2.1, 2.2, TC, 2.35, 2.5, 2.7, 3.0, 3.4),
                        sweeps=5_000, burn_in=500, wolff_window=(2.15, 2.4), seed=202):
    """:func:`onsager_yang_scan` as a JSON-able dict, for :func:`utacbook.stored.compute`.

    Takes the same parameters (about 3 s on one core with the defaults).  Holds
    the parameters and the measured columns (``algorithm``, ``energy``,
    ``energy_err``, ``abs_m``, ``abs_m_err``, lists over T);
    :func:`onsager_yang_from_stored` rebuilds the scan.
    """
    scan = onsager_yang_scan(L=L, temperatures=temperatures, sweeps=sweeps, burn_in=burn_in,
                             wolff_window=wolff_window, seed=seed)
    out = {"L": int(L), "T": [float(t) for t in scan["T"]], "sweeps": int(sweeps), "burn_in": int(burn_in),
           "wolff_window": [float(x) for x in wolff_window], "seed": int(seed)}
    out.update({k: scan[k].tolist() for k in _ONSAGER_COLUMNS})
    return out


def onsager_yang_from_stored(stored):
    """The dict of :func:`onsager_yang_scan` from a stored :func:`onsager_yang_result` (bit-identical)."""
    return _onsager_finish(int(stored["L"]), np.array(stored["T"], dtype=float),
                           {k: np.array(stored[k]) for k in _ONSAGER_COLUMNS})


def onsager_yang_spot_check(stored, *, T_index=None):
    """Recompute one run of a stored :func:`onsager_yang_result` (default: the highest T, a Metropolis run).

    Returns
    -------
    dict
        ``L``, ``T``, ``algorithm``, ``stored`` and ``recomputed`` (the tuple ``(e, de, |m|, d|m|)``),
        ``identical`` (bool: equal to the last bit).
    """
    Ts = np.asarray(stored["T"], dtype=float)
    T_index = Ts.size - 1 if T_index is None else v.integer("T_index", T_index, low=0, high=Ts.size - 1)
    alg = stored["algorithm"][T_index]
    old = tuple(float(stored[k][T_index]) for k in _ONSAGER_COLUMNS[1:])
    new = tuple(float(x) for x in _onsager_point(int(stored["L"]), float(Ts[T_index]), alg, stored["sweeps"],
                                                   stored["burn_in"], stored["seed"], T_index))
    return {"L": int(stored["L"]), "T": float(Ts[T_index]), "algorithm": alg, "stored": old,
            "recomputed": new, "identical": old == new}


def format_onsager_yang(scan):
    """Markdown table of :func:`onsager_yang_scan`: e vs Kaufman and Onsager, ``⟨|m|⟩`` vs Yang."""
    rows = []
    for i, T in enumerate(scan["T"]):
        rows.append([f"{T:.4g}", scan["algorithm"][i], _pm(scan["energy"][i], scan["energy_err"][i]),
                     f"{scan['kaufman_energy'][i]:.5f}", f"{scan['z_energy'][i]:+.1f}",
                     f"{scan['onsager_energy'][i]:.5f}",
                     _pm(scan["abs_m"][i], scan["abs_m_err"][i]), f"{scan['yang'][i]:.5f}",
                     f"{scan['z_m'][i]:+.1f}"])
    L = scan["L"]
    return markdown_table(["T", "algorithm", "e (MC)", f"e Kaufman L={L}", "z", "e Onsager L=∞",
                           "⟨|m|⟩ (MC)", "Yang m₀", "z vs Yang"], rows)


def plot_onsager_yang(scan, *, axes=None):
    """Energy and ``⟨|m|⟩`` vs T: exact infinite-lattice curves, Kaufman's finite-L energy, MC points.

    Returns
    -------
    fig, (ax_e, ax_m)
    """
    import matplotlib.pyplot as plt
    from utacbook.viz._plotting import PALETTE
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    ax_e, ax_m = axes
    fig = ax_e.figure
    Tf = np.linspace(min(scan["T"].min(), 1.2), scan["T"].max() + 0.1, 400)
    L = scan["L"]
    ax_e.plot(Tf, exact.infinite_lattice_energy(Tf), "-", color=PALETTE["guide"],
              label="Onsager, $L=\\infty$")
    ax_e.plot(Tf, exact.kaufman(L, Tf)["energy"], "--", color=PALETTE["fit"],
              lw=1.2, label=f"Kaufman, $L={L}$")
    ax_e.errorbar(scan["T"], scan["energy"], yerr=scan["energy_err"], fmt="o", ms=4,
                  capsize=2, color=PALETTE["sim"], label=f"Monte Carlo, $L={L}$")
    ax_e.set_xlabel("$T$")
    ax_e.set_ylabel("energy per spin $e$")
    ax_e.legend()
    ax_m.plot(Tf, exact.yang_magnetization(Tf), "-", color=PALETTE["guide"],
              label="Yang, $L=\\infty$")
    ax_m.errorbar(scan["T"], scan["abs_m"], yerr=scan["abs_m_err"], fmt="o", ms=4, capsize=2,
                  color=PALETTE["sim"], label=f"Monte Carlo $\\langle|m|\\rangle$, $L={L}$")
    for ax in axes:
        ax.axvline(TC, color=PALETTE["guide"], ls=":", lw=1)
    ax_m.set_xlabel("$T$")
    ax_m.set_ylabel("magnetisation per spin")
    ax_m.legend()
    fig.tight_layout()
    return fig, axes


# --------------------------------------------------------------------------- 3. Kaufman


def kaufman_scan(*, sizes=(8, 16, 32), temperatures=(1.8, 2.0, 2.15, TC, 2.4, 2.5, 2.7, 3.0),
                 sweeps=20_000, burn_in=1_000, wolff_window=(2.1, 2.6), seed=303):
    """Energy and specific heat of finite tori against Kaufman's exact solution.

    Parameters
    ----------
    sizes : sequence of even int >= 4, default (8, 16, 32)
    temperatures : sequence of float > 0
    sweeps : int >= 100, default 20000
        Recorded sweeps per run (Wolff: sweep-equivalents).
    burn_in : int >= 10, default 1000
    wolff_window : (float, float)
        Wolff inside this temperature interval, Metropolis outside.
    seed : int >= 0, default 303

    Returns
    -------
    list of dict
        One per size: ``L``, and arrays over T: ``T``, ``algorithm``,
        ``energy``, ``energy_err``, ``C``, ``C_err``, ``exact_energy``,
        ``exact_C``, ``z_energy``, ``z_C``.
    """
    sizes = _sizes("sizes", sizes)
    Ts = _temps("temperatures", temperatures)
    lo, hi = (v.real("wolff_window", x) for x in wolff_window)
    seed = _seed(seed)
    out = []
    for il, L in enumerate(sizes):
        cols = {k: [] for k in ("algorithm", "energy", "energy_err", "C", "C_err")}
        for it, T in enumerate(Ts):
            alg = _default_algorithm(T, (lo, hi))
            e, de, c, dc = _kaufman_point(L, float(T), alg, sweeps, burn_in, seed, (il, it))
            for k, x in zip(cols, (alg, e, de, c, dc)):
                cols[k].append(x)
        out.append(_kaufman_size(L, Ts, {k: np.array(x) for k, x in cols.items()}))
    return out


def _kaufman_point(L, T, alg, sweeps, burn_in, seed, key):
    """(e, de, C, dC) of one run of :func:`kaufman_scan` (run ``key`` = (size index, T index))."""
    r = run_lattice(L, T, algorithm=alg, sweeps=sweeps, burn_in=burn_in,
                    init="up" if T < TC else "random", seed=_child(seed, *key))
    (e, de), (c, dc) = r.mean_energy, r.specific_heat
    return e, de, c, dc


def _kaufman_size(L, Ts, d):
    """One size's dict of :func:`kaufman_scan` from its measured columns (adds the exact values, z)."""
    ex = exact.kaufman(L, Ts)
    d.update(L=L, T=Ts, exact_energy=np.atleast_1d(ex["energy"]),
             exact_C=np.atleast_1d(ex["specific_heat"]))
    d["z_energy"] = (d["energy"] - d["exact_energy"]) / d["energy_err"]
    d["z_C"] = (d["C"] - d["exact_C"]) / d["C_err"]
    return d


def kaufman_scan_result(*, sizes=(8, 16, 32), temperatures=(1.8, 2.0, 2.15, TC, 2.4, 2.5, 2.7, 3.0),
                        sweeps=20_000, burn_in=1_000, wolff_window=(2.1, 2.6), seed=303):
    """:func:`kaufman_scan` as a JSON-able dict, for :func:`utacbook.stored.compute`.

    Takes the same parameters (about 5 s on one core with the defaults).

    Returns
    -------
    dict
        The parameters and, per size, the measured columns: ``L`` (list of
        sizes), ``T``, ``algorithm``, ``energy``, ``energy_err``, ``C``,
        ``C_err`` (lists, one entry per size, each over T).
        :func:`kaufman_scan_from_stored` rebuilds the scan.
    """
    scan = kaufman_scan(sizes=sizes, temperatures=temperatures, sweeps=sweeps, burn_in=burn_in,
                        wolff_window=wolff_window, seed=seed)
    out = {"sizes": [int(d["L"]) for d in scan], "T": [float(t) for t in scan[0]["T"]],
           "sweeps": int(sweeps), "burn_in": int(burn_in),
           "wolff_window": [float(x) for x in wolff_window], "seed": int(seed)}
    for k in ("algorithm", "energy", "energy_err", "C", "C_err"):
        out[k] = [d[k].tolist() for d in scan]
    return out


def kaufman_scan_from_stored(stored):
    """The list of :func:`kaufman_scan` from a stored :func:`kaufman_scan_result` (bit-identical values)."""
    Ts = np.array(stored["T"], dtype=float)
    return [_kaufman_size(int(L), Ts, {k: np.array(stored[k][il]) for k in
                                       ("algorithm", "energy", "energy_err", "C", "C_err")})
            for il, L in enumerate(stored["sizes"])]


def kaufman_spot_check(stored, *, size_index=0, T_indices=None):
    """Recompute runs of a stored :func:`kaufman_scan_result` (default: smallest L at its lowest T and T_c).

    Returns
    -------
    dict
        ``L``, ``T`` (list), ``algorithm`` (list), ``stored`` and ``recomputed``
        (lists of (e, de, C, dC)), ``identical`` (bool: equal to the last bit).
    """
    Ts = np.asarray(stored["T"], dtype=float)
    if T_indices is None:
        T_indices = (0, int(np.argmin(np.abs(Ts - TC))))
    size_index = v.integer("size_index", size_index, low=0, high=len(stored["sizes"]) - 1)
    T_indices = [v.integer("T_indices", k, low=0, high=Ts.size - 1) for k in T_indices]
    L = int(stored["sizes"][size_index])
    algs = [stored["algorithm"][size_index][k] for k in T_indices]
    old = [tuple(float(stored[q][size_index][k]) for q in ("energy", "energy_err", "C", "C_err"))
           for k in T_indices]
    new = [tuple(float(x) for x in _kaufman_point(L, float(Ts[k]), a, stored["sweeps"], stored["burn_in"],
                                                   stored["seed"], (size_index, k)))
           for k, a in zip(T_indices, algs)]
    return {"L": L, "T": [float(Ts[k]) for k in T_indices], "algorithm": algs, "stored": old,
            "recomputed": new, "identical": old == new}


def kaufman_table(scan, *, sizes=(16, 32), temperatures=(2.0, TC, 2.5)):
    """Markdown table of selected (L, T) points of a :func:`kaufman_scan`.

    Points are matched to the scan's grid within 1e-9; missing ones raise ValueError.
    """
    rows = []
    for L in sizes:
        d = next((x for x in scan if x["L"] == L), None)
        if d is None:
            raise ValueError(f"sizes: L={L} is not in the scan")
        for T in temperatures:
            i = np.flatnonzero(np.abs(d["T"] - T) < 1e-9)
            if i.size == 0:
                raise ValueError(f"temperatures: T={T} is not in the scan's grid")
            i = i[0]
            rows.append([L, f"{T:.4g}", d["algorithm"][i],
                         _pm(d["energy"][i], d["energy_err"][i]), f"{d['exact_energy'][i]:.5f}",
                         f"{d['z_energy'][i]:+.1f}", _pm(d["C"][i], d["C_err"][i]),
                         f"{d['exact_C'][i]:.4f}", f"{d['z_C'][i]:+.1f}"])
    return markdown_table(["L", "T", "algorithm", "e (MC)", "e (Kaufman)", "z", "C (MC)",
                           "C (Kaufman)", "z"], rows)


def plot_kaufman(scan, *, ax=None):
    """Specific heat per spin vs T: Kaufman's exact curves and MC points for each size.

    Returns
    -------
    ax
    """
    import matplotlib.pyplot as plt
    from utacbook.viz._plotting import PALETTE
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 4.2))
    colours = [PALETTE["sim"], PALETTE["alt"], PALETTE["fit"], PALETTE["mf"], PALETTE["extra"]]
    Tf = np.linspace(min(d["T"].min() for d in scan) - 0.05,
                     max(d["T"].max() for d in scan) + 0.05, 400)
    for k, d in enumerate(scan):
        col = colours[k % len(colours)]
        ax.plot(Tf, exact.kaufman(d["L"], Tf)["specific_heat"], "-", color=col,
                lw=1.2)
        ax.errorbar(d["T"], d["C"], yerr=d["C_err"], fmt="o", ms=4, capsize=2, color=col,
                    label=f"$L={d['L']}$")
    ax.plot(Tf, exact.infinite_lattice_specific_heat(Tf), ":", color=PALETTE["guide"],
            label="Onsager, $L=\\infty$")
    ax.axvline(TC, color=PALETTE["guide"], ls=":", lw=1)
    ax.set_xlabel("$T$")
    ax.set_ylabel("specific heat per spin $C$")
    ax.set_ylim(0, None)
    ax.legend()
    return ax


# --------------------------------------------------------------------------- 4. Binder crossing


def _crossing(T, U1, U2, deg):
    """Temperature where the weighted polynomial fits of two cumulant curves cross (nan if none)."""
    p = np.polynomial.polynomial
    d = p.polysub(U1, U2)
    roots = p.polyroots(d)
    roots = roots[np.isreal(roots)].real
    roots = roots[(roots >= T[0]) & (roots <= T[-1])]
    if roots.size == 0:
        return float("nan")
    return float(roots[np.argmin(np.abs(roots - np.mean(T)))])


def lattice_binder_crossing(*, sizes=(8, 16, 32),
                    temperatures=(2.24, 2.25, 2.26, TC, 2.28, 2.29, 2.30),
                    sweeps=20_000, burn_in=500, degree=2, n_boot=2_000, seed=404):
    """Binder cumulants of several sizes near T_c (Wolff) and where their curves cross.

    For each size, U(T) is fitted by a weighted polynomial of ``degree`` in
    T; the crossing temperature of each pair of sizes is the root of the
    difference of the two fits inside the grid.  Its error is the standard
    deviation over ``n_boot`` parametric bootstrap replicas, in which every
    U is redrawn from a normal distribution with its jackknife error (the
    runs are independent).

    Parameters
    ----------
    sizes : sequence of even int >= 4, at least 2, default (8, 16, 32)
    temperatures : sequence of float > 0, increasing, at least degree + 2 values
    sweeps : int >= 100, default 20000
        Wolff sweep-equivalents per run.
    burn_in : int >= 10, default 500
    degree : int, 1 <= degree <= 3, default 2
    n_boot : int >= 100, default 2000
    seed : int >= 0, default 404

    Returns
    -------
    dict
        ``sizes``, ``T`` (grid), ``U`` and ``U_err`` (arrays, sizes x T),
        ``coef`` (polynomial fits, lowest order first), ``crossings``: list
        of dicts ``pair``, ``T_cross``, ``err``, ``z`` (against Onsager's
        T_c), ``U_cross``, and ``tc`` (Onsager).
    """
    sizes = _sizes("sizes", sizes)
    if len(sizes) < 2:
        raise ValueError("sizes must contain at least two sizes")
    degree = v.integer("degree", degree, low=1, high=3)
    Ts = _temps("temperatures", temperatures, min_len=degree + 2)
    if np.any(np.diff(Ts) <= 0):
        raise ValueError("temperatures must be strictly increasing")
    n_boot = v.integer("n_boot", n_boot, low=100)
    seed = _seed(seed)
    U = np.empty((len(sizes), Ts.size))
    dU = np.empty_like(U)
    for il, L in enumerate(sizes):
        for it, T in enumerate(Ts):
            U[il, it], dU[il, it] = binder_point(L, float(T), sweeps=sweeps, burn_in=burn_in,
                                                 seed=seed, key=(il, it))
    p = np.polynomial.polynomial
    x = Ts - TC                        # centred abscissa for a well-conditioned fit

    def fits(Uv):
        return [p.polyfit(x, Uv[k], degree, w=1.0 / dU[k]) for k in range(len(sizes))]

    coef = fits(U)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(999,)))
    boot = [fits(U + dU * rng.standard_normal(U.shape)) for _ in range(n_boot)]
    crossings = []
    for a in range(len(sizes)):
        for b in range(a + 1, len(sizes)):
            tx = _crossing(x, coef[a], coef[b], degree)
            bt = np.array([_crossing(x, c[a], c[b], degree) for c in boot])
            ok = np.isfinite(bt)
            err = float(np.std(bt[ok], ddof=1)) if ok.sum() > 10 else float("nan")
            T_cross = tx + TC
            crossings.append({"pair": (sizes[a], sizes[b]), "T_cross": T_cross, "err": err,
                              "z": _z(T_cross, err, TC),
                              "U_cross": float(p.polyval(tx, coef[a])) if np.isfinite(tx) else float("nan"),
                              "boot_failures": int((~ok).sum())})
    return {"sizes": sizes, "T": Ts, "U": U, "U_err": dU, "coef": coef, "degree": degree,
            "crossings": crossings, "tc": TC, "sweeps": sweeps, "burn_in": burn_in, "seed": seed}


def binder_point(L, T, *, sweeps, burn_in, seed, key):
    """Binder cumulant (value, error) of one Wolff run of :func:`lattice_binder_crossing`.

    ``key`` = (size index, temperature index) of the run's spawn key.
    """
    r = run_lattice(L, float(T), algorithm="wolff", sweeps=sweeps, burn_in=burn_in,
                    init="random", seed=_child(seed, *key))
    return tuple(float(x) for x in r.binder)


def binder_shift_result(*, sizes=(8, 16, 32), temperatures=(2.24, 2.25, 2.26, TC, 2.28, 2.29, 2.30),
                        sweeps=150_000, burn_in=500, degree=2, n_boot=2_000, seed=405):
    """A long :func:`lattice_binder_crossing` run and its :func:`crossing_shift_prediction`, JSON-able.

    For :func:`utacbook.stored.compute` (about a minute on one core with the
    defaults).  Takes the parameters of :func:`lattice_binder_crossing`.

    Returns
    -------
    dict
        ``sizes``, ``T``, ``U``, ``U_err``, ``coef``, ``degree``, ``tc``,
        ``sweeps``, ``burn_in``, ``seed``, ``crossings`` (as in
        :func:`lattice_binder_crossing`) and ``prediction`` (the list of
        :func:`crossing_shift_prediction`).
    """
    res = lattice_binder_crossing(sizes=sizes, temperatures=temperatures, sweeps=sweeps, burn_in=burn_in,
                          degree=degree, n_boot=n_boot, seed=seed)
    pred = crossing_shift_prediction(res)
    out = dict(res)
    out["sizes"] = list(res["sizes"])
    out["coef"] = [np.asarray(c) for c in res["coef"]]
    out["prediction"] = pred
    return out


def binder_crossing_from_stored(stored):
    """The dict of :func:`lattice_binder_crossing` from a stored :func:`binder_shift_result`.

    JSON gives lists; this restores the arrays and tuples (``sizes``, ``T``,
    ``U``, ``U_err``, ``coef``, the crossings' ``pair``), so the values are those
    of the run, to the last bit.  ``stored`` is a dict or a StoredResult.
    """
    return {"sizes": tuple(int(L) for L in stored["sizes"]), "T": np.array(stored["T"], dtype=float),
            "U": np.array(stored["U"], dtype=float), "U_err": np.array(stored["U_err"], dtype=float),
            "coef": [np.array(c, dtype=float) for c in stored["coef"]], "degree": int(stored["degree"]),
            "crossings": [dict(c, pair=tuple(int(L) for L in c["pair"])) for c in stored["crossings"]],
            "tc": float(stored["tc"]), "sweeps": int(stored["sweeps"]), "burn_in": int(stored["burn_in"]),
            "seed": int(stored["seed"])}


def binder_spot_check(stored, *, size_index=0, T_index=None):
    """Recompute one run of a stored :func:`binder_shift_result` (default: smallest L at T_c).

    Returns
    -------
    dict
        ``L``, ``T``, ``stored`` and ``recomputed`` ((U, error) each),
        ``identical`` (bool: equal to the last bit).
    """
    Ts = np.asarray(stored["T"], dtype=float)
    if T_index is None:
        T_index = int(np.argmin(np.abs(Ts - stored["tc"])))
    size_index = v.integer("size_index", size_index, low=0, high=len(stored["sizes"]) - 1)
    T_index = v.integer("T_index", T_index, low=0, high=Ts.size - 1)
    L = int(stored["sizes"][size_index])
    old = (float(stored["U"][size_index][T_index]), float(stored["U_err"][size_index][T_index]))
    new = binder_point(L, float(Ts[T_index]), sweeps=stored["sweeps"], burn_in=stored["burn_in"],
                       seed=stored["seed"], key=(size_index, T_index))
    return {"L": L, "T": float(Ts[T_index]), "stored": old, "recomputed": new,
            "identical": old == new}


def crossing_shift_prediction(res):
    """Where two sizes' Binder curves should cross, predicted from U(T_c) and the slopes.

    Linearising each fitted U_L(T) of :func:`lattice_binder_crossing` at Onsager's T_c,
    the curves of sizes a < b cross at T_c + delta with
    ``delta = (U_a(T_c) - U_b(T_c)) / (U_b'(T_c) - U_a'(T_c))``.  U(T_c) are the
    measured values at the grid point T_c (which must be in the grid), the
    slopes those of the polynomial fits; the error of delta propagates the
    errors of the two U(T_c) only (the slopes are far better determined).

    Returns
    -------
    list of dict
        Per pair: ``pair``, ``dU`` and ``dU_err`` (U_a - U_b at T_c), ``slopes``
        (U_a', U_b' per unit T), ``delta`` and ``delta_err``.
    """
    Ts = np.asarray(res["T"])
    k = np.flatnonzero(np.isclose(Ts, res["tc"], rtol=0, atol=1e-9))
    if k.size != 1:
        raise ValueError("res must come from lattice_binder_crossing with T_c in its temperature grid")
    k = int(k[0])
    U, dU = res["U"][:, k], res["U_err"][:, k]
    slopes = [float(c[1]) for c in res["coef"]]       # fits are in x = T - T_c
    out = []
    sizes = res["sizes"]
    for a in range(len(sizes)):
        for b in range(a + 1, len(sizes)):
            d = float(U[a] - U[b])
            de = float(math.hypot(dU[a], dU[b]))
            ds = slopes[b] - slopes[a]
            out.append({"pair": (sizes[a], sizes[b]), "dU": d, "dU_err": de,
                        "slopes": (slopes[a], slopes[b]), "delta": d / ds,
                        "delta_err": de / abs(ds)})
    return out


def format_binder(res):
    """Markdown table of the pairwise crossings of :func:`lattice_binder_crossing`."""
    rows = [[f"{c['pair'][0]} and {c['pair'][1]}", _pm(c["T_cross"], c["err"]),
             f"{res['tc']:.5f}", f"{c['z']:+.1f}", f"{c['U_cross']:.3f}"]
            for c in res["crossings"]]
    return markdown_table(["sizes", "crossing T", "Onsager T_c", "z", "U at crossing"], rows)


def format_binder_at_tc(res):
    """Markdown table of U_L at Onsager's T_c (must be on the grid) beside the L -> ∞ value U*."""
    i = np.flatnonzero(np.abs(res["T"] - TC) < 1e-9)
    if i.size == 0:
        raise ValueError("res: Onsager's T_c is not on the temperature grid")
    i = i[0]
    rows = [[L, _pm(res["U"][k, i], res["U_err"][k, i]), f"{U_STAR:.5f}",
             f"{(res['U'][k, i] - U_STAR) / res['U_err'][k, i]:+.1f}"]
            for k, L in enumerate(res["sizes"])]
    return markdown_table(["L", "U_L(T_c) (MC)", "U* (L = ∞)", "(U_L − U*)/σ"], rows)


def plot_autocorrelation(res, *, ax=None):
    """``τ_int(|m|)`` at T vs L on log-log axes, one series per algorithm, with power-law fits.

    Returns
    -------
    ax
    """
    import matplotlib.pyplot as plt
    from utacbook.viz._plotting import PALETTE
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 4.2))
    colours = [PALETTE["sim"], PALETTE["alt"], PALETTE["fit"]]
    Ls = np.asarray(res["sizes"], dtype=float)
    Lf = np.geomspace(Ls.min() * 0.9, Ls.max() * 1.1, 50)
    for k, alg in enumerate(res["algorithms"]):
        col = colours[k % len(colours)]
        tau = res["tau_abs_m"][k]
        ax.errorbar(Ls, tau, yerr=res["tau_err"][k], fmt="o", ms=5, capsize=2, color=col,
                    label=f"{alg} (slope {_pm(res['z_fit'][k], res['z_fit_err'][k])})")
        ax.plot(Lf, res["z_fit_amplitude"][k] * Lf ** res["z_fit"][k], "-", color=col, lw=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("$L$")
    ax.set_ylabel(r"$\tau_{\rm int}(|m|)$ [sweeps]")
    ax.legend()
    return ax


def plot_binder(res, *, ax=None):
    """Binder cumulants vs T with their polynomial fits, T_c and the crossings.

    Returns
    -------
    ax
    """
    import matplotlib.pyplot as plt
    from utacbook.viz._plotting import PALETTE
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 4.2))
    colours = [PALETTE["sim"], PALETTE["alt"], PALETTE["fit"], PALETTE["mf"]]
    Ts = res["T"]
    Tf = np.linspace(Ts[0], Ts[-1], 200)
    for k, L in enumerate(res["sizes"]):
        col = colours[k % len(colours)]
        ax.errorbar(Ts, res["U"][k], yerr=res["U_err"][k], fmt="o", ms=4, capsize=2,
                    color=col, label=f"$L={L}$")
        ax.plot(Tf, np.polynomial.polynomial.polyval(Tf - TC, res["coef"][k]), "-",
                color=col, lw=1)
    ax.axvline(TC, color=PALETTE["guide"], ls=":", lw=1, label="Onsager $T_c$")
    last = res["crossings"][-1]
    if np.isfinite(last["T_cross"]) and np.isfinite(last["err"]):
        ax.axvspan(last["T_cross"] - last["err"], last["T_cross"] + last["err"],
                   color=PALETTE["guide"], alpha=0.2,
                   label=f"crossing {last['pair'][0]}/{last['pair'][1]} ±1σ")
    ax.set_xlabel("$T$")
    ax.set_ylabel("Binder cumulant $U$")
    ax.legend()
    return ax


# --------------------------------------------------------------------------- 5. algorithms


def algorithm_comparison(*, L=32, T=TC, sweeps=50_000, burn_in=1_000,
                         algorithms=ALGORITHMS, seed=505):
    """The three algorithms at one temperature: estimates, exact values, autocorrelation times.

    Parameters
    ----------
    L : int, even, >= 4, default 32
    T : float > 0, default Onsager's T_c
    sweeps : int >= 100, default 50000
        Recorded sweeps (Wolff: sweep-equivalents).
    burn_in : int >= 10, default 1000
    algorithms : sequence of {"metropolis", "heatbath", "wolff"}
    seed : int >= 0, default 505

    Returns
    -------
    dict
        ``L``, ``T``, ``exact`` (Kaufman energy and specific heat), and
        ``rows``: one dict per algorithm with ``algorithm``, ``energy``,
        ``abs_magnetization``, ``specific_heat``, ``susceptibility`` (each
        (value, error)), ``z_energy``, ``z_C`` (against Kaufman),
        ``tau_energy``, ``tau_abs_m`` (in sweeps; Wolff converted from
        cluster steps) with their errors ``tau_energy_err``, ``tau_abs_m_err``
        (Sokal's formula, window W = 5 tau), ``tau_energy_steps``, ``tau_abs_m_steps`` (in
        recorded steps), ``steps``, ``sweeps_per_step``, ``seconds`` (wall
        clock of the run, burn-in included) and ``seconds_per_sweep`` (per
        sweep-equivalent simulated: machine- and load-dependent).
    """
    L = v.integer("L", L, low=4)
    if L % 2:
        raise ValueError(f"L must be even, got {L}")
    T = v.real("T", T, positive=True)
    algorithms = tuple(algorithms)
    for a in algorithms:
        v.choice("algorithms", a, set(ALGORITHMS))
    seed = _seed(seed)
    ex = exact.kaufman(L, T)
    rows = []
    for ia, alg in enumerate(algorithms):
        # a tiny untimed run first, so that a cold Numba cache (a fresh clone) does not put
        # the kernels' compilation into the timing; its seed is not one of the study's
        run_lattice(4, T, algorithm=alg, sweeps=100, burn_in=10, init="random", seed=_child(seed, 10_000 + ia))
        t0 = time.perf_counter()
        r = run_lattice(L, T, algorithm=alg, sweeps=sweeps, burn_in=burn_in,
                        init="random", seed=_child(seed, ia))
        seconds = time.perf_counter() - t0
        meas = _measure(r, ("energy", "abs_magnetization", "specific_heat", "susceptibility"))
        f = _sweeps_per_step(r)
        # sweep-equivalents simulated in all (Wolff: pilot of 2 x burn_in cluster flips)
        simulated = (r.energy.size + 2 * burn_in) * f if alg == "wolff" else sweeps + burn_in
        tau = r.tau_int
        n = r.energy.size
        # Sokal's error of tau_int (window W = 5 tau), converted like tau itself
        tau_err = {k: _tau_error(tau[k], n) * f for k in ("energy", "abs_magnetization")}
        rows.append({"algorithm": alg, **meas,
                     "z_energy": _z(meas["energy"][0], meas["energy"][1], ex["energy"]),
                     "z_C": _z(meas["specific_heat"][0], meas["specific_heat"][1],
                               ex["specific_heat"]),
                     "tau_energy_steps": tau["energy"], "tau_abs_m_steps": tau["abs_magnetization"],
                     "tau_energy": tau["energy"] * f, "tau_abs_m": tau["abs_magnetization"] * f,
                     "tau_energy_err": tau_err["energy"], "tau_abs_m_err": tau_err["abs_magnetization"],
                     "steps": r.energy.size, "sweeps_per_step": f,
                     "seconds": seconds, "seconds_per_sweep": seconds / simulated})
    return {"L": L, "T": T, "exact": {"energy": ex["energy"], "specific_heat": ex["specific_heat"]},
            "rows": rows}


def pairwise_z(comparison, quantity):
    """Deviations in sigma between every pair of algorithms for one quantity.

    Returns
    -------
    list of (str, str, float)
        ``(algorithm_a, algorithm_b, (a - b) / sqrt(err_a**2 + err_b**2))``.
    """
    v.choice("quantity", quantity, set(QUANTITIES) - {"binder"})
    rows = comparison["rows"]
    out = []
    for i in range(len(rows)):
        for j in range(i + 1, len(rows)):
            (a, da), (b, db) = rows[i][quantity], rows[j][quantity]
            out.append((rows[i]["algorithm"], rows[j]["algorithm"], (a - b) / math.hypot(da, db)))
    return out


def format_comparison(comp):
    """Markdown table of :func:`algorithm_comparison`."""
    rows = []
    for r in comp["rows"]:
        rows.append([r["algorithm"], _pm(*r["energy"]), f"{r['z_energy']:+.1f}",
                     _pm(*r["abs_magnetization"]), _pm(*r["specific_heat"]), f"{r['z_C']:+.1f}",
                     _pm(*r["susceptibility"]), _pm(r["tau_energy"], r["tau_energy_err"]),
                     _pm(r["tau_abs_m"], r["tau_abs_m_err"])])
    ex = comp["exact"]
    rows.append(["exact (Kaufman)", f"{ex['energy']:.5f}", "", "—", f"{ex['specific_heat']:.4f}",
                 "", "—", "", ""])
    return markdown_table(["algorithm", "e", "z", "⟨|m|⟩", "C", "z", "χ",
                           "τ_int(e) [sweeps]", "τ_int(|m|) [sweeps]"], rows)


def autocorrelation_times(*, sizes=(8, 16, 32), T=TC, algorithms=("metropolis", "wolff"),
                          sweeps=40_000, burn_in=1_000, seed=606):
    """Integrated autocorrelation times of ``⟨|m|⟩`` and e at T versus L.

    Parameters
    ----------
    sizes : sequence of even int >= 4, default (8, 16, 32)
    T : float > 0, default Onsager's T_c
    algorithms : sequence of {"metropolis", "heatbath", "wolff"}
    sweeps : int >= 100, default 40000
        Recorded sweeps (Wolff: sweep-equivalents).
    burn_in : int >= 10, default 1000
    seed : int >= 0, default 606

    Returns
    -------
    dict
        ``sizes``, ``algorithms``, ``tau_abs_m`` and ``tau_energy``: arrays
        (algorithms x sizes) in sweeps (Wolff converted from cluster steps),
        ``tau_err``: the same shape, the statistical error of ``tau_abs_m``
        from Sokal's formula :math:`\\tau\\sqrt{2(2W+1)/n}` with W = 5 tau in
        recorded steps, and ``z_fit``, ``z_fit_err``: the slope of log
        tau_abs_m vs log L per algorithm and its error, from a weighted
        least-squares fit (:func:`utacbook.stats.power_law_fit`; errors
        inflated by sqrt(chi2/dof) when the points scatter more than their
        error bars): an effective dynamic exponent; ``z_fit_amplitude`` is the
        fit's prefactor.
    """
    sizes = _sizes("sizes", sizes)
    T = v.real("T", T, positive=True)
    algorithms = tuple(algorithms)
    for a in algorithms:
        v.choice("algorithms", a, set(ALGORITHMS))
    seed = _seed(seed)
    tm = np.empty((len(algorithms), len(sizes)))
    te = np.empty_like(tm)
    terr = np.empty_like(tm)
    for ia, alg in enumerate(algorithms):
        for il, L in enumerate(sizes):
            r = run_lattice(L, T, algorithm=alg, sweeps=sweeps, burn_in=burn_in,
                            init="random", seed=_child(seed, ia, il))
            f = _sweeps_per_step(r)
            tau = r.tau_int
            n = r.energy.size
            tm[ia, il] = tau["abs_magnetization"] * f
            te[ia, il] = tau["energy"] * f
            ts = tau["abs_magnetization"]
            terr[ia, il] = ts * math.sqrt(2.0 * (2.0 * 5.0 * ts + 1.0) / n) * f
    from utacbook.stats._fitting import power_law_fit
    fits = [power_law_fit(sizes, tm[ia], terr[ia]) if len(sizes) > 1 else None
            for ia in range(len(algorithms))]
    z_fit = np.array([f["exponent"] if f else np.nan for f in fits])
    z_fit_err = np.array([f["exponent_err"] if f else np.nan for f in fits])
    amp = np.array([f["amplitude"] if f else np.nan for f in fits])
    return {"sizes": sizes, "algorithms": algorithms, "T": T, "tau_abs_m": tm,
            "tau_energy": te, "tau_err": terr, "z_fit": z_fit, "z_fit_err": z_fit_err,
            "z_fit_amplitude": amp}


def format_autocorrelation(res):
    """Markdown table of :func:`autocorrelation_times`."""
    rows = []
    for ia, alg in enumerate(res["algorithms"]):
        rows.append([alg] + [f"{res['tau_abs_m'][ia, il]:.3g} ± {res['tau_err'][ia, il]:.2g}"
                             for il in range(len(res["sizes"]))]
                    + [_pm(res['z_fit'][ia], res['z_fit_err'][ia])])
    return markdown_table(["algorithm"] + [f"τ_int(|m|), L={L}" for L in res["sizes"]]
                          + ["slope d ln τ / d ln L (weighted fit)"], rows)


# --------------------------------------------------------------------------- 6. graphs


def _graph_api():
    from utacbook.models import _ising as ising
    if not hasattr(ising, "simulate_graph"):  # pragma: no cover - depends on the engine version
        raise RuntimeError("utacbook.models.simulate_graph is not available in this version")
    return ising


def curie_weiss_scan(*, sizes=(64, 256), temperatures=(0.6, 0.8, 0.9, 1.0, 1.1, 1.2, 1.5),
                     sweeps=4_000, burn_in=400, algorithm="metropolis", seed=707):
    """Ising model on the complete graph (couplings J/N) against the exact Curie-Weiss sums.

    Parameters
    ----------
    sizes : sequence of int >= 4, default (64, 256)
        Numbers of spins N.
    temperatures : sequence of float > 0
        Temperatures (units of J; the N -> infinity T_c is 1).
    sweeps : int >= 100, default 4000
    burn_in : int >= 10, default 400
    algorithm : {"metropolis", "heatbath"}
    seed : int >= 0, default 707

    Returns
    -------
    list of dict
        One per N: ``N``, arrays over T: ``T``, ``energy``, ``energy_err``,
        ``abs_m``, ``abs_m_err``, ``U``, ``U_err`` (Binder cumulant),
        ``exact_energy``, ``exact_abs_m``, ``exact_U``, ``z_energy``, ``z_m``,
        ``z_U``.
    """
    import networkx as nx
    ising = _graph_api()
    sizes = _sizes("sizes", sizes, even=False)
    Ts = _temps("temperatures", temperatures)
    v.choice("algorithm", algorithm, {"metropolis", "heatbath"})
    sweeps = v.integer("sweeps", sweeps, low=100)
    burn_in = v.integer("burn_in", burn_in, low=10)
    seed = _seed(seed)
    out = []
    for il, N in enumerate(sizes):
        g = ising.prepare_graph(nx.complete_graph(N))
        cols = {k: [] for k in _CW_COLUMNS}
        for it, T in enumerate(Ts):
            for k, x in zip(cols, _curie_weiss_point(g, N, float(T), sweeps, burn_in, algorithm, seed, (il, it))):
                cols[k].append(x)
        out.append(_curie_weiss_finish(N, Ts, {k: np.array(x) for k, x in cols.items()}))
    return out


_CW_COLUMNS = ("energy", "energy_err", "abs_m", "abs_m_err", "U", "U_err")


def _curie_weiss_point(g, N, T, sweeps, burn_in, algorithm, seed, key):
    """(e, de, |m|, d|m|, U, dU) of one run of :func:`curie_weiss_scan` on the prepared complete graph ``g``."""
    r = _graph_api().simulate_graph(g, T, J=1.0 / N, sweeps=sweeps, burn_in=burn_in,
                                    algorithm=algorithm, init="up" if T < 1.0 else "random",
                                    seed=_child(seed, *key))
    (e, de), (m, dm), (u, du) = r.mean_energy, r.abs_magnetization, r.binder
    return e, de, m, dm, u, du


def _curie_weiss_finish(N, Ts, d):
    """One size's dict of :func:`curie_weiss_scan` from its measured columns (adds the exact values, z)."""
    ex = exact.curie_weiss(N, Ts)
    d.update(N=N, T=Ts, exact_energy=np.atleast_1d(ex["energy"]),
             exact_abs_m=np.atleast_1d(ex["abs_magnetization"]),
             exact_U=np.atleast_1d(ex["binder"]))
    d["z_energy"] = (d["energy"] - d["exact_energy"]) / d["energy_err"]
    d["z_m"] = (d["abs_m"] - d["exact_abs_m"]) / d["abs_m_err"]
    d["z_U"] = (d["U"] - d["exact_U"]) / d["U_err"]
    return d


def curie_weiss_result(*, sizes=(64, 256), temperatures=(0.6, 0.8, 0.9, 1.0, 1.1, 1.2, 1.5),
                       sweeps=4_000, burn_in=400, algorithm="metropolis", seed=707):
    """:func:`curie_weiss_scan` as a JSON-able dict, for :func:`utacbook.stored.compute`.

    Takes the same parameters (about 3 s on one core with the defaults).  Holds
    the parameters and, per size, the measured columns (``energy``,
    ``energy_err``, ``abs_m``, ``abs_m_err``, ``U``, ``U_err``: lists over
    sizes of lists over T); :func:`curie_weiss_from_stored` rebuilds the scan.
    """
    scan = curie_weiss_scan(sizes=sizes, temperatures=temperatures, sweeps=sweeps, burn_in=burn_in,
                            algorithm=algorithm, seed=seed)
    out = {"sizes": [int(d["N"]) for d in scan], "T": [float(t) for t in scan[0]["T"]], "sweeps": int(sweeps),
           "burn_in": int(burn_in), "algorithm": algorithm, "seed": int(seed)}
    out.update({k: [d[k].tolist() for d in scan] for k in _CW_COLUMNS})
    return out


def curie_weiss_from_stored(stored):
    """The list of :func:`curie_weiss_scan` from a stored :func:`curie_weiss_result` (bit-identical)."""
    Ts = np.array(stored["T"], dtype=float)
    return [_curie_weiss_finish(int(N), Ts, {k: np.array(stored[k][il], dtype=float) for k in _CW_COLUMNS})
            for il, N in enumerate(stored["sizes"])]


def curie_weiss_spot_check(stored, *, size_index=0, T_index=None):
    """Recompute one run of a stored :func:`curie_weiss_result` (default: the smallest N at T = 1).

    Returns
    -------
    dict
        ``N``, ``T``, ``stored`` and ``recomputed`` (the tuple ``(e, de, |m|, d|m|, U, dU)``),
        ``identical`` (bool: equal to the last bit).
    """
    import networkx as nx
    Ts = np.asarray(stored["T"], dtype=float)
    if T_index is None:
        T_index = int(np.argmin(np.abs(Ts - 1.0)))
    size_index = v.integer("size_index", size_index, low=0, high=len(stored["sizes"]) - 1)
    T_index = v.integer("T_index", T_index, low=0, high=Ts.size - 1)
    N = int(stored["sizes"][size_index])
    g = _graph_api().prepare_graph(nx.complete_graph(N))
    old = tuple(float(stored[k][size_index][T_index]) for k in _CW_COLUMNS)
    new = tuple(float(x) for x in _curie_weiss_point(g, N, float(Ts[T_index]), stored["sweeps"],
                                                       stored["burn_in"], stored["algorithm"], stored["seed"],
                                                       (size_index, T_index)))
    return {"N": N, "T": float(Ts[T_index]), "stored": old, "recomputed": new, "identical": old == new}


def ring_check(*, N=32, temperatures=(0.5, 1.0, 2.0), fields=(0.0, 0.3), sweeps=20_000,
               burn_in=1_000, algorithm="heatbath", seed=808):
    """The periodic chain (ring) of N spins against the exact transfer-matrix solution.

    Parameters
    ----------
    N : int >= 4, default 32
    temperatures : sequence of float > 0
    fields : sequence of float
        Uniform fields h (units of J).
    sweeps : int >= 100, default 20000
    burn_in : int >= 10, default 1000
    algorithm : {"metropolis", "heatbath"}
    seed : int >= 0, default 808

    Returns
    -------
    list of dict
        One per (h, T, quantity): ``h``, ``T``, ``quantity`` ("energy",
        "magnetization" or "specific_heat"), ``value``, ``error``, ``exact``, ``z``.
    """
    import networkx as nx
    ising = _graph_api()
    N = v.integer("N", N, low=4)
    Ts = _temps("temperatures", temperatures)
    hs = v.real_array("fields", fields, ndim=1, min_len=1)
    v.choice("algorithm", algorithm, {"metropolis", "heatbath"})
    sweeps = v.integer("sweeps", sweeps, low=100)
    burn_in = v.integer("burn_in", burn_in, low=10)
    seed = _seed(seed)
    g = ising.prepare_graph(nx.cycle_graph(N))
    rows = []
    for ih, h in enumerate(hs):
        for it, T in enumerate(Ts):
            r = ising.simulate_graph(g, float(T), h=float(h), sweeps=sweeps, burn_in=burn_in,
                                     algorithm=algorithm, seed=_child(seed, ih, it))
            ex = exact.ring(N, float(T), h=float(h))
            meas = {"energy": r.mean_energy, "magnetization": r.mean_magnetization,
                    "specific_heat": r.specific_heat}
            for q, (val, err) in meas.items():
                if q == "magnetization" and h == 0.0:
                    ref = 0.0
                else:
                    ref = ex[q]
                rows.append({"h": float(h), "T": float(T), "quantity": q, "value": val,
                             "error": err, "exact": ref, "z": _z(val, err, ref)})
    return rows


def format_ring(rows):
    """Markdown table of :func:`ring_check` rows (one line per h and T)."""
    keys = list(dict.fromkeys((r["h"], r["T"]) for r in rows))
    qs = list(dict.fromkeys(r["quantity"] for r in rows))
    sym = {"energy": "e", "magnetization": "⟨m⟩", "specific_heat": "C"}
    out = []
    for h, T in keys:
        cells = [f"{h:g}", f"{T:g}"]
        for q in qs:
            r = next(x for x in rows if x["h"] == h and x["T"] == T and x["quantity"] == q)
            cells.append(f"{_pm(r['value'], r['error'])} ({r['exact']:.5g}) [{r['z']:+.1f}]")
        out.append(cells)
    return markdown_table(["h", "T"] + [f"{sym[q]}: measured (exact) [z]" for q in qs], out)


def plot_curie_weiss(scan, *, axes=None):
    """``⟨|m|⟩``, energy and Binder cumulant vs T on the complete graph: exact curves, MC points.

    Returns
    -------
    fig, (ax_m, ax_e, ax_u)
    """
    import matplotlib.pyplot as plt
    from utacbook.viz._plotting import PALETTE
    if axes is None:
        fig, axes = plt.subplots(1, 3, figsize=(12, 3.8))
    ax_m, ax_e, ax_u = axes
    fig = ax_m.figure
    colours = [PALETTE["sim"], PALETTE["alt"], PALETTE["fit"], PALETTE["mf"]]
    Tf = np.linspace(min(d["T"].min() for d in scan) - 0.05,
                     max(d["T"].max() for d in scan) + 0.05, 300)
    for k, d in enumerate(scan):
        col = colours[k % len(colours)]
        ex = exact.curie_weiss(d["N"], Tf)
        for ax, key, y, dy in ((ax_m, "abs_magnetization", "abs_m", "abs_m_err"),
                               (ax_e, "energy", "energy", "energy_err"),
                               (ax_u, "binder", "U", "U_err")):
            ax.plot(Tf, ex[key], "-", color=col, lw=1.2)
            ax.errorbar(d["T"], d[y], yerr=d[dy], fmt="o", ms=4, capsize=2, color=col,
                        label=f"$N={d['N']}$")
    for ax in axes:
        ax.axvline(1.0, color=PALETTE["guide"], ls=":", lw=1)
        ax.set_xlabel("$T$ (units of $J$)")
        ax.legend()
    ax_m.set_ylabel(r"$\langle|m|\rangle$")
    ax_e.set_ylabel("energy per spin $e$")
    ax_u.set_ylabel("Binder cumulant $U$")
    fig.tight_layout()
    return fig, axes


def claims():
    """The engine checks, stated before anything is measured (all ``source="ours"``).

    Every check but two groups independent comparisons with exact results
    (deviations z); it passes if both the χ² p-value of the group and the
    Šidák-corrected p-value of its largest ``|z|`` are at least
    :data:`utacbook.stats.ALPHA_TEST`, so that a correct engine fails it by chance with
    probability at most :data:`utacbook.stats.ALPHA_CHECK`.  The Binder check compares
    crossings with a predicted finite-size shift at ``sidak_k(3)`` standard
    errors; the trap check is exact.

    Returns
    -------
    list of utacbook.claims.Claim
    """
    from utacbook import claims as uc
    pv = p_value_floor()
    q_z = ("p-values of χ² = Σz² over the n comparisons and of the largest |z| "
           "(Šidák-corrected for n)")

    def c(name, text, scope, quantity=q_z, criterion=pv, note=""):
        return uc.Claim(f"ising.engine.{name}", source="ours", section="", text=text,
                        quantity=quantity, criterion=criterion, scope=scope, note=note)

    return [
        c("enumeration", "Metropolis, heat bath and Wolff reproduce the exact e, ⟨|m|⟩, C and χ "
          "of the 4×4 torus (complete enumeration)",
          "L = 4; T = 1.5, T_c, 3; 10⁵ sweeps per run; seed 101"),
        c("trap-cycle", "Under the textbook rule a(0) = 1, checkerboard Metropolis maps each "
          "zero-field state onto its mirror image and back, forever",
          "row stripes and 2×2 blocks, L = 4, T = 2 (NumPy sweep, not the engine)",
          quantity="two sweeps of the old rule return the state; one sweep gives −s",
          criterion=uc.Holds("s → −s → s exactly")),
        c("trap-escape", "The engine's Metropolis (a(0) = 63/64) started in a zero-field state "
          "reaches the exact energy", "row stripes and 2×2 blocks, L = 4, T = 2; "
          "2×10⁴ sweeps; seed 909"),
        c("energy-l64", "The energy of the 64×64 torus equals Kaufman's exact finite-L value",
          "L = 64; 11 temperatures in [1.6, 3.4]; 5000 sweeps (Wolff near T_c); seed 202"),
        c("yang", "Below T_c, ⟨|m|⟩ of the 64×64 torus equals Yang's spontaneous magnetisation",
          "L = 64; T ≤ 2.1 only (closer to T_c and above it the finite lattice's ⟨|m|⟩ "
          "exceeds m₀); seed 202"),
        c("kaufman-energy", "The energy of finite tori equals Kaufman's exact value",
          "L = 8, 16, 32; 8 temperatures in [1.8, 3]; 2×10⁴ sweeps; seed 303"),
        c("kaufman-heat", "The specific heat of finite tori equals Kaufman's exact value",
          "L = 8, 16, 32; 8 temperatures in [1.8, 3]; 2×10⁴ sweeps; seed 303"),
        c("binder", "The Binder cumulants of L and L' cross at T_c + δ, with δ the finite-size "
          "shift predicted from U_L(T_c) and the slopes of an independent, longer run",
          "pairs 8/16, 8/32, 16/32; 7 temperatures in [2.24, 2.30]; Wolff, 2×10⁴ "
          "sweep-equivalents (seed 404) against 1.5×10⁵ (stored, seed 405)",
          quantity="crossing temperature minus (T_c + δ), with the errors of both combined",
          criterion=uc.Agreement(0.0, k=round(sidak_k(3), 2)),
          note="k is Šidák's 1 % bound for three comparisons; the pairs share runs"),
        c("algorithms-exact", "At T_c, all three algorithms reproduce Kaufman's e and C",
          "L = 32, T = T_c; 5×10⁴ sweeps each; seed 505"),
        c("algorithms-agree", "At T_c, the three algorithms agree on ⟨|m|⟩ and χ "
          "(no exact finite-L value)", "L = 32, T = T_c; 5×10⁴ sweeps each; seed 505",
          quantity="p-value of χ² of the three estimates about their weighted mean "
                   "(2 degrees of freedom), for ⟨|m|⟩ and for χ"),
        c("curie-weiss", "On the complete graph the graph engine reproduces the exact "
          "Curie–Weiss e, ⟨|m|⟩ and U", "N = 64, 256; 7 temperatures in [0.6, 1.5]; 4000 sweeps; "
          "seed 707"),
        c("ring", "On the ring the graph engine reproduces the exact transfer-matrix e, ⟨m⟩ and C",
          "N = 32; T = 0.5, 1, 2; h = 0 and 0.3; heat bath, 2×10⁴ sweeps; seed 808"),
    ]


def check_deviations(*, enumeration=None, trap=None, onsager=None, kaufman=None,
                     comparison=None, curie_weiss=None, ring=None, yang_T_max=2.1):
    """The deviations z of every z-based check, by claim name (see :func:`claims`).

    ``⟨|m|⟩`` is compared with Yang only for T <= ``yang_T_max``, where the
    finite-size correction is far below the error bar.

    Returns
    -------
    dict
        claim name (``"enumeration"``, ``"trap-escape"``, ...) -> ndarray of z.
    """
    out = {}
    if enumeration is not None:
        out["enumeration"] = np.array([r["z"] for r in enumeration])
    if trap is not None:
        out["trap-escape"] = np.array([r["z"] for r in trap])
    if onsager is not None:
        out["energy-l64"] = np.asarray(onsager["z_energy"])
        out["yang"] = np.asarray(onsager["z_m"])[np.asarray(onsager["T"]) <= yang_T_max]
    if kaufman is not None:
        out["kaufman-energy"] = np.concatenate([d["z_energy"] for d in kaufman])
        out["kaufman-heat"] = np.concatenate([d["z_C"] for d in kaufman])
    if comparison is not None:
        out["algorithms-exact"] = np.array([r["z_energy"] for r in comparison["rows"]]
                                           + [r["z_C"] for r in comparison["rows"]])
    if curie_weiss is not None:
        out["curie-weiss"] = np.concatenate([np.concatenate([d["z_energy"], d["z_m"], d["z_U"]])
                                             for d in curie_weiss])
    if ring is not None:
        out["ring"] = np.array([r["z"] for r in ring])
    return out


def binder_measurements(binder, prediction):
    """Crossing minus predicted crossing, per pair, as claims Measurements.

    Parameters
    ----------
    binder : dict
        :func:`lattice_binder_crossing` (the run whose crossings are tested).
    prediction : list of dict
        :func:`crossing_shift_prediction` of an independent run (e.g. the
        ``"prediction"`` of a stored :func:`binder_shift_result`).
    """
    from utacbook.claims import Measurement
    pred = {tuple(p["pair"]): p for p in prediction}
    out = []
    for c in binder["crossings"]:
        p = pred[tuple(c["pair"])]
        d = c["T_cross"] - (binder["tc"] + p["delta"])
        e = math.hypot(c["err"], p["delta_err"])
        out.append(Measurement(d, e, condition=f"L = {c['pair'][0]}/{c['pair'][1]}"))
    return out


def algorithm_measurements(comparison):
    """Consistency of the algorithms' ``⟨|m|⟩`` and χ (χ² about the weighted mean) as Measurements."""
    from utacbook.claims import Measurement
    out = []
    for q, sym in (("abs_magnetization", "⟨|m|⟩"), ("susceptibility", "χ")):
        x = [r[q][0] for r in comparison["rows"]]
        e = [r[q][1] for r in comparison["rows"]]
        st = consistency_stats(x, e)
        out.append(Measurement(st["p"], condition=sym,
                               text=f"χ² = {st['chi2']:.1f} for {st['dof']} dof (p = {st['p']:.2g})"))
    return out


def judge_checks(claim_list, *, enumeration, trap, onsager, kaufman, binder, prediction,
                 comparison, curie_weiss, ring):
    """Judge every claim of :func:`claims` on the chapter's results.

    Returns
    -------
    list of utacbook.claims.Judgement
        In the order of ``claim_list``.
    """
    zs = check_deviations(enumeration=enumeration, trap=trap, onsager=onsager, kaufman=kaufman,
                          comparison=comparison, curie_weiss=curie_weiss, ring=ring)
    out = []
    for c in claim_list:
        name = c.id.split(".")[-1]
        if name in zs:
            st = z_stats(zs[name])
            out.append(c.judge(z_measurements(zs[name]),
                               summary=f"{st['n']} comparisons: χ² = {st['chi2']:.1f}, "
                                       f"largest |z| = {st['max_abs_z']:.2f}"))
        elif name == "trap-cycle":
            from utacbook.claims import Measurement
            out.append(c.judge([Measurement(bool(r["naive_cycle"]), condition=r["state"])
                                for r in trap]))
        elif name == "binder":
            ms = binder_measurements(binder, prediction)
            worst = max(abs(m.value) / m.err for m in ms)
            out.append(c.judge(ms, summary=f"largest deviation {worst:.1f} standard errors"))
        elif name == "algorithms-agree":
            out.append(c.judge(algorithm_measurements(comparison)))
        else:
            raise ValueError(f"no measurement for claim {c.id!r}")
    return out
