"""A grid-independent emergent β: the guide's fit against the midpoint slope.

Chapter: ``book/rg/10_robust_beta.ipynb``.  The guide's emergent β is a logistic
fitted to the response σ̄(h) on a scan grid (25 points on [−2, 2]).  The response
is not exactly a logistic, so the fitted β depends on the grid: on its spacing and
on where the midpoint Θ = −J/2 falls between two grid points (its phase), not on
its range once the range covers the transition.  This module measures that
dependence with replicas, and sets beside it the midpoint slope β_mid of
:func:`utacbook.stats.midpoint_beta`, which is a property of the response curve
and involves no grid.

Streams
-------
:func:`guide_fits` runs the union of the fields of several grids in ONE call of
:func:`utacbook.models.scan_field`; a field that belongs to two grids is the same
run in both, so the difference between two grids' fits is paired (replica r of
one grid against replica r of the other).  With a single grid the runs are
exactly those of :meth:`utacbook.models.EmergentBetaSimulator.compute_emergent_beta_replicas`
with the same seed.
"""

from __future__ import annotations

import math

import numpy as np

from utacbook import _validate as v

__all__ = [
    "GUIDE_GRID", "ISSUE_GRIDS", "EXAMPLES_SHIFTS", "EXAMPLES_CONDITIONS", "SPACING_POINTS", "SAME_SPACING",
    "GUIDE_SPACING", "DIFFERS_BY", "systems", "grid", "grid_name", "grid_phase", "phase_grid", "spacing_grids",
    "guide_fits", "GridFits", "examples_fits", "robust_table", "fixed_delta_study", "relative_change", "crn_gain",
    "slope_at", "paired_ratio", "format_pct", "table_frame", "claims", "judge", "plot_spacing", "plot_alignment",
    "plot_above_kc", "BASE", "HALFWAY", "chapter_grids", "guide_scans", "load_guide_scans", "spot_check_guide_scans",
    "GUIDE_SCANS_NAME", "midpoint_studies", "load_midpoint_studies", "spot_check_midpoints", "MIDPOINTS_NAME",
]

#: the guide's scan grid (R_min, R_max, n_points)
GUIDE_GRID = (-2.0, 2.0, 25)
#: the issue's two grid changes applied to the guide's grid: the guide's, a wider range, fewer points
ISSUE_GRIDS = {"±2, 25 points (guide)": (-2.0, 2.0, 25), "±3, 25 points": (-3.0, 3.0, 25),
               "±2, 15 points": (-2.0, 2.0, 15)}
#: name of the guide's grid in :data:`ISSUE_GRIDS` (the base of every relative change)
BASE = "±2, 25 points (guide)"
#: name of the grid of the guide's spacing on which Θ falls halfway between two points
HALFWAY = "Θ halfway between grid points"
#: the relative changes of the fitted β measured in the chapter on the guide's examples
#: (``book/rg/05_examples.ipynb``, quick-start system J = 0.8, T = 0.19), as that chapter rounds them:
#: range ±3 instead of ±2, and 15 points instead of 25
EXAMPLES_SHIFTS = {"range": -0.17, "points": -0.15}
#: the conditions of those two measurements: base grid and changed grid, lattice size, sweeps per field
EXAMPLES_CONDITIONS = {
    "range": {"base": "±2, 20 points", "changed": "±3, 20 points",
              "grids": {"±2, 20 points": (-2.0, 2.0, 20), "±3, 20 points": (-3.0, 3.0, 20)},
              "lattice_size": 64, "n_steps": 50},
    "points": {"base": "±2, 25 points", "changed": "±2, 15 points",
               "grids": {"±2, 25 points": (-2.0, 2.0, 25), "±2, 15 points": (-2.0, 2.0, 15)},
               "lattice_size": 128, "n_steps": 100},
}
#: numbers of points of the grids on [−2, 2] of the spacing figure (spacing 4 / (n − 1))
SPACING_POINTS = (9, 13, 15, 17, 25, 49)
#: grids of another range that have the spacing and phase of a grid on [−2, 2]: (R_min, R_max, n) -> its
#: n on [−2, 2] (one grid's fields contain the other's)
SAME_SPACING = {(-3.0, 3.0, 25): 17, (-1.0, 1.0, 25): 49}
#: spacing of the guide's grid, 4/24
GUIDE_SPACING = 4.0 / 24.0


# --------------------------------------------------------------------------- grids


def systems():
    """The guide's six systems, in the guide's order: name -> dict with ``J``, ``T``, ``K`` (= J/T)."""
    from utacbook.models import microscopic_to_beta_map
    return {n: {"J": d["J"], "T": d["T"], "K": d["J"] / d["T"]} for n, d in microscopic_to_beta_map().items()}


def grid(R_min, R_max, n_points):
    """The guide's evenly spaced grid ``linspace(R_min, R_max, n_points)`` (validated)."""
    return v.field_grid(R_min, R_max, n_points)


def grid_phase(theta, R):
    """Where Θ falls between two points of an evenly spaced grid: 0 on a point, 1/2 halfway.

    Returns the fractional position ``((Θ − R[0]) / spacing) mod 1``, in [0, 1).
    """
    R = v.real_array("R", R, ndim=1, min_len=2)
    s = (R[-1] - R[0]) / (R.size - 1)
    return float(((v.real("theta", theta) - R[0]) / s) % 1.0)


def phase_grid(theta, phase, *, spacing=GUIDE_SPACING, n_points=25, around=0.0):
    """An evenly spaced grid on which Θ falls at ``phase`` of an interval (0: on a point).

    The grid has the guide's spacing and number of points and is placed as near as
    possible to being centred on ``around`` (0: the guide's [−2, 2]).

    Examples
    --------
    >>> from utacbook.studies.rg.robust_beta import phase_grid, grid_phase
    >>> R = phase_grid(-0.35, 0.5)
    >>> round(grid_phase(-0.35, R), 9), R.size, round(float(R[1] - R[0]), 6)
    (0.5, 25, 0.166667)
    """
    theta = v.real("theta", theta)
    phase = v.real("phase", phase, low=0.0, high=1.0)
    spacing = v.real("spacing", spacing, positive=True)
    n = v.integer("n_points", n_points, low=3)
    start = theta - phase * spacing                       # a grid point
    first = around - 0.5 * (n - 1) * spacing
    start -= round((start - first) / spacing) * spacing
    return start + spacing * np.arange(n)


def grid_name(R_min, R_max, n_points):
    """The chapter's name of the grid ``linspace(R_min, R_max, n_points)``: ``"±2, 17 points"`` (symmetric
    grids), :data:`BASE` for the guide's grid."""
    if (R_min, R_max, n_points) == GUIDE_GRID:
        return BASE
    if R_min == -R_max:
        return f"±{R_max:g}, {n_points} points"
    return f"[{R_min:g}, {R_max:g}], {n_points} points"


def spacing_grids():
    """The grids of the spacing study (name -> (R_min, R_max, n_points)).

    :data:`ISSUE_GRIDS`, the grids on [−2, 2] with :data:`SPACING_POINTS` points, and the
    grids of :data:`SAME_SPACING`, which repeat the spacing and phase of a grid on [−2, 2]
    with another range.

    Examples
    --------
    >>> from utacbook.studies.rg.robust_beta import spacing_grids
    >>> g = spacing_grids()
    >>> len(g), g["±1, 25 points"], g["±2, 49 points"]
    (8, (-1.0, 1.0, 25), (-2.0, 2.0, 49))
    """
    out = dict(ISSUE_GRIDS)
    for n in SPACING_POINTS:
        out.setdefault(grid_name(-2.0, 2.0, n), (-2.0, 2.0, n))
    for g in SAME_SPACING:
        out.setdefault(grid_name(*g), g)
    return out


# ------------------------------------------------------------------- the guide's fit


class GridFits(dict):
    """What :func:`guide_fits` returns: a dict with a table export.

    Keys: ``names`` (grid names), ``grids`` (name -> fields), ``betas`` (name ->
    per-replica fitted β), ``thetas``, ``r2``, ``grid_limited`` (name -> per-replica
    flags), ``beta_mf`` (name -> the same fit of the mean-field response on the same
    grid), ``h`` (all fields run), ``sigma`` (n_replicas, len(h)), ``J``, ``T``,
    ``n_replicas``, ``lattice_size``, ``n_steps``, ``seed``.
    """

    def __repr__(self):
        return (f"GridFits({len(self['names'])} grids, {len(self['h'])} fields, J={self['J']:.4g}, "
                f"T={self['T']:.4g}, n_replicas={self['n_replicas']}, L={self['lattice_size']}, "
                f"seed={self['seed']!r})")

    def _repr_pretty_(self, p, cycle):
        p.text(repr(self))

    def summary(self, name, *, base=None):
        """Mean, std, s.e.m. of the fitted β on one grid; with ``base``, the paired relative change."""
        b = self["betas"][name]
        ok = np.isfinite(b)
        n = int(ok.sum())
        out = {"beta_mean": float(b[ok].mean()) if n else float("nan"),
               "beta_std": float(b[ok].std(ddof=1)) if n > 1 else float("nan"),
               "beta_sem": float(b[ok].std(ddof=1) / math.sqrt(n)) if n > 1 else float("nan"),
               "n_ok": n, "n_grid_limited": int(np.sum(self["grid_limited"][name]))}
        if base is not None:
            rel = b / self["betas"][base] - 1.0
            okr = np.isfinite(rel)
            m = int(okr.sum())
            out["rel_change"] = float(rel[okr].mean()) if m else float("nan")
            out["rel_change_err"] = float(rel[okr].std(ddof=1) / math.sqrt(m)) if m > 1 else float("nan")
        return out

    def difference(self, a, b):
        """Fitted β on grid ``a`` minus on grid ``b``: paired mean and s.e.m. over replicas."""
        d = self["betas"][a] - self["betas"][b]
        d = d[np.isfinite(d)]
        return float(d.mean()), (float(d.std(ddof=1) / math.sqrt(d.size)) if d.size > 1 else float("nan"))

    def lookup(self, R_min, R_max, n_points):
        """The name of the grid ``linspace(R_min, R_max, n_points)``, or None."""
        for name, R in self["grids"].items():
            if R.size == n_points and np.isclose(R[0], R_min) and np.isclose(R[-1], R_max):
                return name
        return None

    def to_dataframe(self, *, base=None):
        """One row per grid: range, points, spacing, where Θ = −J/2 falls, fitted β (mean, s.e.m.),
        the mean-field fit, and with ``base`` (a grid name) the paired relative change against it."""
        import pandas as pd
        rows = []
        for name in self["names"]:
            R = self["grids"][name]
            row = {"grid": name, "R_min": R[0], "R_max": R[-1], "n_points": R.size,
                   "spacing": (R[-1] - R[0]) / (R.size - 1), "phase": grid_phase(-self["J"] / 2, R)}
            row.update(self.summary(name, base=base))
            row["beta_mf_fit"] = self["beta_mf"][name]
            rows.append(row)
        return pd.DataFrame(rows)


def guide_fits(J, T, grids, *, n_replicas=4, seed=2025, lattice_size=64, n_steps=100):
    """The guide's estimator on several grids: one scan of all their fields, a logistic fit per grid and replica.

    Parameters
    ----------
    J, T : float
        Coupling and noise (T > 0).
    grids : dict
        Name -> fields (array) or ``(R_min, R_max, n_points)``.
    n_replicas : int >= 2, default 4
    seed : int >= 0, default 2025
    lattice_size, n_steps : int
        The guide's 64 and 100.

    Returns
    -------
    GridFits

    Examples
    --------
    >>> from utacbook.studies.rg.robust_beta import guide_fits
    >>> f = guide_fits(0.8, 0.19, {"a": (-2, 2, 9), "b": (-2, 2, 5)}, n_replicas=2, lattice_size=8,
    ...                n_steps=20, seed=1)
    >>> len(f["h"]), f["betas"]["a"].shape           # grid b's fields are all in grid a
    (9, (2,))
    """
    from utacbook.models import scan_field
    J = v.real("J", J)
    T = v.real("T", T, positive=True)
    R = v.integer("n_replicas", n_replicas, low=2)
    fields, keys, h_keys, h = _guide_fields(grids)
    res = scan_field(J, T, h, lattice_size=lattice_size, n_steps=n_steps, n_replicas=R, seed=seed)
    return _guide_fit(J, T, fields, keys, h_keys, h, res["sigma"], R, lattice_size, n_steps, res["seed"])


def _guide_fields(grids):
    """The fields of :func:`guide_fits`: (name -> fields, name -> rounded keys, sorted keys, fields run)."""
    if not isinstance(grids, dict) or not grids:
        raise TypeError("grids must be a non-empty dict name -> fields or (R_min, R_max, n_points)")
    fields = {}
    for name, g in grids.items():
        if isinstance(g, tuple) and len(g) == 3:
            fields[name] = grid(*g)
        else:
            fields[name] = v.real_array(f"grids[{name!r}]", g, ndim=1, min_len=3)
    keys = {n: np.round(f, 12) for n, f in fields.items()}      # to recognise a field shared by two grids
    first = {}
    for n, f in fields.items():
        for k, x in zip(keys[n], f):
            first.setdefault(k, x)
    h_keys = np.array(sorted(first))
    h = np.array([first[k] for k in h_keys])                      # run at the fields themselves
    return fields, keys, h_keys, h


def _guide_fit(J, T, fields, keys, h_keys, h, sig, R, lattice_size, n_steps, seed):
    """The :class:`GridFits` of :func:`guide_fits` from the responses ``sig`` (R, len(h)) of its scan."""
    from utacbook.stats import extract_emergent_beta
    from utacbook.theory import mean_field_response
    out = GridFits(names=list(fields), grids=fields, betas={}, thetas={}, r2={}, grid_limited={}, beta_mf={},
                   h=h, sigma=sig, J=J, T=T, n_replicas=R, lattice_size=lattice_size, n_steps=n_steps,
                   seed=seed)
    for name, f in fields.items():
        idx = np.searchsorted(h_keys, keys[name])
        fits = [extract_emergent_beta(f, sig[r, idx]) for r in range(R)]
        out["betas"][name] = np.array([x[0] for x in fits])
        out["r2"][name] = np.array([x[1] for x in fits])
        out["thetas"][name] = np.array([x[2]["theta"] for x in fits])
        out["grid_limited"][name] = np.array([bool(x[2].get("grid_limited", False)) for x in fits])
        out["beta_mf"][name] = float(extract_emergent_beta(f, mean_field_response(f, J, T))[0])
    return out


def examples_fits(key, *, n_replicas=4, seed=2025, lattice_size=None):
    """The guide's fit under the conditions of one measurement of the chapter on the guide's examples.

    ``key``: ``"range"`` (quick-start system, 20-point grid on ±2 against ±3, 50 sweeps,
    L = 64) or ``"points"`` (25 against 15 points on ±2, 100 sweeps, L = 128); see
    :data:`EXAMPLES_CONDITIONS`.  ``lattice_size`` overrides the condition's lattice (for
    tests).  Returns the :class:`GridFits` of the two grids; the relative change is
    ``fits.summary(c["changed"], base=c["base"])`` with ``c = EXAMPLES_CONDITIONS[key]``.

    Examples
    --------
    >>> from utacbook.studies.rg.robust_beta import examples_fits
    >>> f = examples_fits("range", n_replicas=2, lattice_size=8, seed=1)
    >>> f["names"], f["n_steps"], len(f["h"])
    (['±2, 20 points', '±3, 20 points'], 50, 40)
    """
    if key not in EXAMPLES_CONDITIONS:
        raise ValueError(f"key must be one of {sorted(EXAMPLES_CONDITIONS)}, got {key!r}")
    c = EXAMPLES_CONDITIONS[key]
    L = c["lattice_size"] if lattice_size is None else v.integer("lattice_size", lattice_size, low=2)
    return guide_fits(0.8, 0.19, c["grids"], n_replicas=n_replicas, seed=seed, lattice_size=L, n_steps=c["n_steps"])


def chapter_grids(K_c):
    """The grids of the chapter's guide fits: system name -> {grid name: grid}.

    The LLM system: :func:`spacing_grids`; the other systems below ``K_c``: :data:`ISSUE_GRIDS`;
    above: the guide's grid alone; Honeybees and Climate AMOC also a grid with Θ = −J/2
    halfway between grid points (:data:`HALFWAY`).
    """
    K_c = v.real("K_c", K_c, positive=True)
    out = {}
    for name, d in systems().items():
        if name == "LLM Training":
            grids = spacing_grids()
        elif d["K"] < K_c:
            grids = dict(ISSUE_GRIDS)
        else:
            grids = {BASE: GUIDE_GRID}
        if name in ("Honeybees", "Climate AMOC"):
            grids[HALFWAY] = phase_grid(-d["J"] / 2, 0.5)
        out[name] = grids
    return out


#: the stored result of :func:`guide_scans` that the chapter loads
GUIDE_SCANS_NAME = "rg_robust_beta_guide_scans"


def guide_scans(*, K_c, n_replicas=4, seed=2025, lattice_size=64, n_steps=100, examples_lattice_size=None):
    """The scans behind the chapter's guide fits, for a stored result.

    :func:`guide_fits` of every system on its grids of :func:`chapter_grids` (``K_c``), and
    :func:`examples_fits` for every key of :data:`EXAMPLES_CONDITIONS`, all with ``n_replicas``
    and ``seed`` (``lattice_size`` and ``n_steps`` are those of the systems' scans; the examples keep
    their conditions' unless ``examples_lattice_size`` is given).  Only the simulated responses are
    stored; :func:`load_guide_scans` repeats the
    fits on them with :func:`guide_fits`' own code, so it returns exactly what the calls
    return; :func:`spot_check_guide_scans` re-runs a part.

    Returns
    -------
    dict
        The arguments; ``fits``: system name -> ``sigma`` (n_replicas, number of fields) and
        ``seed``; ``examples``: key -> the same.

    Examples
    --------
    >>> from utacbook.studies.rg import robust_beta as rb
    >>> out = rb.guide_scans(K_c=5.5, n_replicas=2, lattice_size=8, n_steps=5, examples_lattice_size=8)
    >>> sorted(out["examples"]), len(out["fits"]["LLM Training"]["sigma"])
    (['points', 'range'], 2)
    """
    fits = {name: guide_fits(d["J"], d["T"], chapter_grids(K_c)[name], n_replicas=n_replicas, seed=seed,
                             lattice_size=lattice_size, n_steps=n_steps) for name, d in systems().items()}
    ex = {k: examples_fits(k, n_replicas=n_replicas, seed=seed, lattice_size=examples_lattice_size)
          for k in EXAMPLES_CONDITIONS}
    part = lambda f: {"sigma": f["sigma"], "seed": f["seed"]}   # noqa: E731
    return {"K_c": K_c, "n_replicas": n_replicas, "seed": seed, "lattice_size": lattice_size, "n_steps": n_steps,
            "examples_lattice_size": examples_lattice_size, "fits": {n: part(f) for n, f in fits.items()},
            "examples": {k: part(f) for k, f in ex.items()}}


def _examples_lattice(key, lattice_size):
    return EXAMPLES_CONDITIONS[key]["lattice_size"] if lattice_size is None else int(lattice_size)


def load_guide_scans(name=GUIDE_SCANS_NAME, *, data_dir=None):
    """A stored :func:`guide_scans`, fitted: ``(fits, examples, record)``.

    ``fits``: system name -> :class:`GridFits` (as ``guide_fits(J, T, chapter_grids(K_c)[name], ...)``),
    ``examples``: key -> :class:`GridFits` (as :func:`examples_fits`), exactly what the calls return.
    """
    from utacbook import stored as _stored
    rec = _stored.load(name, data_dir=data_dir)
    R, L, n_steps = int(rec["n_replicas"]), int(rec["lattice_size"]), int(rec["n_steps"])
    sy, grids = systems(), chapter_grids(rec["K_c"])

    def fit(J, T, g, part, lattice_size, steps):
        fields, keys, h_keys, h = _guide_fields(g)
        return _guide_fit(v.real("J", J), v.real("T", T, positive=True), fields, keys, h_keys, h,
                          np.asarray(part["sigma"], dtype=float), R, lattice_size, steps, part["seed"])

    fits = {n: fit(sy[n]["J"], sy[n]["T"], grids[n], rec["fits"][n], L, n_steps) for n in sy}
    ex = {k: fit(0.8, 0.19, c["grids"], rec["examples"][k], _examples_lattice(k, rec["examples_lattice_size"]),
                 c["n_steps"])
          for k, c in EXAMPLES_CONDITIONS.items()}
    return fits, ex, rec


def spot_check_guide_scans(rec, *, names=("LLM Training",), examples=("range",)):
    """Re-run replica 0 of the scans of some systems and examples of a stored :func:`guide_scans`.

    :func:`utacbook.models.scan_field` gives replica 0 the opening streams of its seed, so a
    one-replica scan of the same fields reproduces it bit for bit.

    Returns
    -------
    dict
        ``identical`` (bool), ``n_fields`` (responses compared), ``max_abs_diff``.
    """
    from utacbook.models import scan_field
    sy, grids = systems(), chapter_grids(rec["K_c"])
    L, n_steps = int(rec["lattice_size"]), int(rec["n_steps"])
    jobs = [(sy[n]["J"], sy[n]["T"], grids[n], rec["fits"][n], L, n_steps) for n in names]
    jobs += [(0.8, 0.19, EXAMPLES_CONDITIONS[k]["grids"], rec["examples"][k],
              _examples_lattice(k, rec["examples_lattice_size"]), EXAMPLES_CONDITIONS[k]["n_steps"])
             for k in examples]
    new, old = [], []
    for J, T, g, part, lattice_size, steps in jobs:
        h = _guide_fields(g)[3]
        new.append(scan_field(J, T, h, lattice_size=lattice_size, n_steps=steps, n_replicas=1, seed=rec["seed"],
                              progress=False)["sigma"][0])
        old.append(np.asarray(part["sigma"], dtype=float)[0])
    new, old = np.concatenate(new), np.concatenate(old)
    return {"identical": bool(np.array_equal(new, old)), "n_fields": int(new.size),
            "max_abs_diff": float(np.max(np.abs(new - old)))}


# ------------------------------------------------------------------- the midpoint slope


def robust_table(names=None, *, n_replicas=8, seed=2025, lattice_size=64, n_steps=100, check_steps=2,
                 theta="symmetric"):
    """:func:`utacbook.stats.midpoint_beta` for the guide's systems (name -> MidpointBetaResult).

    ``theta="symmetric"`` uses the model's exact midpoint −J/2 (the σ → 1 − σ symmetry);
    ``check_steps`` re-runs one difference with that many times the sweeps.
    """
    from utacbook.stats import midpoint_beta
    sy = systems()
    names = list(sy) if names is None else list(names)
    unknown = [n for n in names if n not in sy]
    if unknown:
        raise ValueError(f"names must be systems of the guide ({', '.join(sy)}), got {unknown}")
    out = {}
    for n in names:
        out[n] = midpoint_beta(sy[n]["J"], sy[n]["T"], theta=theta, n_replicas=n_replicas, seed=seed,
                               lattice_size=lattice_size, n_steps=n_steps, check_steps=check_steps)
    return out


#: the stored result of :func:`midpoint_studies` that the chapter loads
MIDPOINTS_NAME = "rg_robust_beta_midpoints"

_TEXT_FIELDS = ("theta_method", "diagnosis")
_ARRAY_FIELDS = ("deltas", "slopes", "slopes_err", "replica_slopes", "replica_betas")


def _encode_result(r):
    """A :class:`utacbook.stats.MidpointBetaResult` as JSON values (non-finite floats as strings, NumPy scalars
    tagged with their type)."""
    def enc(x):
        if isinstance(x, (list, tuple)):
            return [enc(y) for y in x]
        if isinstance(x, np.generic):                 # a NumPy scalar keeps its type
            return {"numpy": x.dtype.name, "value": enc(x.item())}
        if isinstance(x, float) and not math.isfinite(x):
            return repr(x)
        return x
    return {k: (x if k in _TEXT_FIELDS else enc(x)) for k, x in r.to_dict().items()}


def _decode_result(d):
    """The :class:`utacbook.stats.MidpointBetaResult` of :func:`_encode_result`."""
    from utacbook.stats import MidpointBetaResult

    def dec(x):
        if isinstance(x, list):
            return [dec(y) for y in x]
        if isinstance(x, dict):
            return np.dtype(x["numpy"]).type(dec(x["value"]))
        return float(x) if isinstance(x, str) else x
    kw = {k: (x if k in _TEXT_FIELDS else dec(x)) for k, x in d.items()}
    for k in _ARRAY_FIELDS:
        kw[k] = np.asarray(kw[k], dtype=float)
    kw["h_quartiles"] = tuple(kw["h_quartiles"])
    return MidpointBetaResult(**kw)


def midpoint_studies(*, n_replicas=8, seed=2025, check_steps=2, exact_T=(0.19, 0.5)):
    """The chapter's midpoint slopes, for a stored result.

    :func:`robust_table` (every system, ``n_replicas``, ``seed``, ``check_steps``) and, with
    :func:`utacbook.stats.midpoint_beta` at its defaults otherwise, the LLM system (J = 0.8,
    T = 0.19) with Θ found by a root search in ±3 (``free``) and with the differences of
    the robust table halved (``halved``), and independent agents (J = 0) at each of
    ``exact_T`` (``exact``).  :func:`load_midpoint_studies` rebuilds the result objects.

    Returns
    -------
    dict
        The arguments; ``robust`` (system name -> encoded result), ``free``, ``halved``,
        ``exact`` (list, one per ``exact_T``).
    """
    from utacbook.stats import midpoint_beta
    robust = robust_table(n_replicas=n_replicas, seed=seed, check_steps=check_steps)
    free = midpoint_beta(0.8, 0.19, theta="find", bracket=(-3.0, 3.0), n_replicas=n_replicas, seed=seed)
    halved = midpoint_beta(0.8, 0.19, theta="symmetric", deltas=robust["LLM Training"].deltas / 2,
                           n_replicas=n_replicas, seed=seed)
    exact = [midpoint_beta(0.0, T, theta="symmetric", n_replicas=n_replicas, seed=seed) for T in exact_T]
    return {"n_replicas": n_replicas, "seed": seed, "check_steps": check_steps, "exact_T": list(exact_T),
            "robust": {n: _encode_result(r) for n, r in robust.items()}, "free": _encode_result(free),
            "halved": _encode_result(halved), "exact": [_encode_result(r) for r in exact]}


def load_midpoint_studies(name=MIDPOINTS_NAME, *, data_dir=None):
    """A stored :func:`midpoint_studies`: ``(robust, free, halved, exact, record)``; ``robust`` as
    :func:`robust_table` returns it, ``exact`` a dict T -> result."""
    from utacbook import stored as _stored
    rec = _stored.load(name, data_dir=data_dir)
    return ({n: _decode_result(d) for n, d in rec["robust"].items()}, _decode_result(rec["free"]),
            _decode_result(rec["halved"]), {T: _decode_result(d) for T, d in zip(rec["exact_T"], rec["exact"])},
            rec)


def spot_check_midpoints(robust, rec, *, name="Quantum Vacuum"):
    """Re-run one system of a stored :func:`midpoint_studies` robust table and compare bit for bit.

    Returns
    -------
    dict
        ``identical`` (bool: every field of the result equal, NaN to NaN), ``name``.
    """
    new = _encode_result(robust_table([name], n_replicas=rec["n_replicas"], seed=rec["seed"],
                                      check_steps=rec["check_steps"])[name])
    return {"identical": new == _encode_result(robust[name]) == rec["robust"][name], "name": name}


def fixed_delta_study(J, T, *, delta, conditions, theta=None, n_replicas=16, seed=2025):
    """The symmetric-difference slope 4 D(δ) at one fixed δ, for several (lattice size, sweeps).

    Above K_c the δ → 0 extrapolation of :func:`utacbook.stats.midpoint_beta` is too noisy to
    follow a trend (the replicas' slopes are heavy-tailed), so this keeps δ fixed and
    changes only the lattice size or the run length.  Common random numbers as in
    ``midpoint_beta`` (the same seed on both sides).

    Parameters
    ----------
    J, T : float
    delta : float > 0
        Half-width of the difference (field units).
    conditions : sequence of (L, n_steps)
    theta : float, optional
        Midpoint; default −J/2 (exact for the guide's model).
    n_replicas : int >= 2, default 16
    seed : int >= 0, default 2025

    Returns
    -------
    list of dict
        Per condition: ``L``, ``n_steps``, ``beta`` (4 D, mean over replicas), ``beta_err``
        (s.e.m.), ``cv`` (spread of the replicas' slopes over their mean), ``slopes`` (per replica).
    """
    from utacbook.models import scan_field
    J = v.real("J", J)
    T = v.real("T", T, positive=True)
    delta = v.real("delta", delta, positive=True)
    th = -0.5 * J if theta is None else v.real("theta", theta)
    R = v.integer("n_replicas", n_replicas, low=2)
    rows = []
    for L, n in conditions:
        kw = dict(lattice_size=int(L), n_steps=int(n), n_replicas=R, seed=seed)
        D = 4 * (scan_field(J, T, [th + delta], **kw)["sigma"][:, 0]
                 - scan_field(J, T, [th - delta], **kw)["sigma"][:, 0]) / (2 * delta)
        rows.append({"L": int(L), "n_steps": int(n), "beta": float(D.mean()),
                     "beta_err": float(D.std(ddof=1) / math.sqrt(R)), "cv": float(D.std(ddof=1) / abs(D.mean())),
                     "slopes": D})
    return rows


def crn_gain(J, T, *, theta, deltas, n_replicas=8, seed=2025, lattice_size=64, n_steps=100):
    """Standard error of the symmetric difference with common random numbers and with independent runs.

    For each δ the two sides run once with the same seed (common random numbers) and
    once with independent seeds (the minus side from a spawned child of the seed).

    Returns
    -------
    list of dict
        Per δ: ``delta``, ``crn`` and ``indep`` (mean and s.e.m. of D = Δσ̄ / 2δ),
        ``gain`` (ratio of the s.e.m., independent over common) and ``gain_err``.
    """
    from utacbook.models import scan_field
    J = v.real("J", J)
    T = v.real("T", T, positive=True)
    theta = v.real("theta", theta)
    deltas = v.real_array("deltas", np.atleast_1d(deltas), ndim=1, min_len=1)
    if np.any(deltas <= 0):
        raise ValueError("deltas must be > 0")
    n_replicas = v.integer("n_replicas", n_replicas, low=2)
    kw = dict(lattice_size=lattice_size, n_steps=n_steps, n_replicas=n_replicas)

    def side(h, s):
        return scan_field(J, T, [h], seed=s, **kw)["sigma"][:, 0]

    rows = []
    for d in deltas:
        plus, minus = side(theta + d, seed), side(theta - d, seed)
        minus_ind = side(theta - d, (seed, (1,)))
        out = {"delta": float(d)}
        for key, m in (("crn", minus), ("indep", minus_ind)):
            D = (plus - m) / (2 * d)
            out[key] = (float(D.mean()), float(D.std(ddof=1) / math.sqrt(D.size)))
        g = out["indep"][1] / out["crn"][1]
        out["gain"] = g
        out["gain_err"] = g * math.sqrt(1.0 / (n_replicas - 1))     # both s.e.m. to ~1/sqrt(2(R-1))
        rows.append(out)
    return rows


def slope_at(result, delta, *, per_replica=False):
    """4 D(δ) of a :class:`~utacbook.stats.MidpointBetaResult` at any δ inside its range of δ.

    Interpolates the replica-mean slopes with the same a + b δ² + c δ⁴ that the
    extrapolation uses (so ``slope_at(r, 0)`` is close to ``r.beta``).  With
    ``per_replica=True``, each replica's slopes are interpolated the same way and an
    array (one value per replica) is returned, for paired comparisons with
    ``result.replica_betas``.
    """
    d = np.asarray(result.deltas)
    delta = v.real("delta", delta, nonnegative=True)
    if delta > d.max():
        raise ValueError(f"delta must be <= the largest δ of the result ({d.max():.3g}), got {delta}")
    u = d / d.max()
    X = np.column_stack([u ** (2 * k) for k in range(3)])
    Y = np.asarray(result.replica_slopes).T if per_replica else np.asarray(result.slopes)
    c = np.linalg.lstsq(X, Y, rcond=None)[0]
    x = delta / d.max()
    out = 4 * (c[0] + c[1] * x ** 2 + c[2] * x ** 4)
    return np.asarray(out, dtype=float) if per_replica else float(out)


def paired_ratio(a, b):
    """mean(a) / mean(b) of paired per-replica values, with its standard error (delta method, pairing kept).

    Examples
    --------
    >>> from utacbook.studies.rg.robust_beta import paired_ratio
    >>> paired_ratio([2.0, 4.0], [1.0, 2.0])          # a = 2 b in every replica: no error
    (2.0, 0.0)
    """
    a = v.real_array("a", a, ndim=1, min_len=2)
    b = v.real_array("b", b, ndim=1, min_len=2)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same length, got {a.size} and {b.size}")
    r = float(a.mean() / b.mean())
    d = (a - r * b) / b.mean()
    return r, float(d.std(ddof=1) / math.sqrt(d.size))


def format_pct(value, err=None, *, sig=1, sign=True):
    """A fraction as a percentage: ``−18.1 ± 0.6 %`` (error to ``sig`` figures) or, without error, ``−17 %``.

    Examples
    --------
    >>> from utacbook.studies.rg.robust_beta import format_pct
    >>> format_pct(-0.18084, 0.00608), format_pct(0.0817, 0.0052), format_pct(-0.17)
    ('−18.1 ± 0.6 %', '+8.2 ± 0.5 %', '−17 %')
    """
    from utacbook.report import format_pm
    value = v.real("value", value)
    if err is None:
        txt = f"{100 * value:.0f}"
    else:
        txt = format_pm(100 * value, 100 * v.real("err", err, nonnegative=True), sig=sig)
    txt = txt.replace("-", "−")
    if sign and value > 0 and not txt.startswith("+"):
        txt = "+" + txt
    return f"{txt} %"


# --------------------------------------------------------------------------- tables


def table_frame(fits, robust, *, grids=tuple(ISSUE_GRIDS)):
    """The six systems: K, the guide's fit on each grid, β_mid, β_mid·T, mean-field β, checks.

    ``fits``: name -> :class:`GridFits` (a grid named in ``grids`` that a system was not
    run on is shown as "not run"); ``robust``: name -> :class:`~utacbook.stats.MidpointBetaResult`.
    β_mid values that the estimator does not call converged are shown in brackets.
    """
    import pandas as pd
    from utacbook.report import format_pm
    from utacbook.theory import mean_field_beta

    def pm(m, e):
        return "nan" if not (np.isfinite(m) and np.isfinite(e)) else format_pm(m, e, sig=1)

    rows = []
    for name, f in fits.items():
        r = robust[name]
        row = {"system": name, "K = J/T": f"{f['J'] / f['T']:.2f}"}
        for g in grids:
            if g not in f["betas"]:
                row[f"fit β, {g}"] = "not run"
                continue
            s = f.summary(g)
            flag = " (grid-limited)" if s["n_grid_limited"] else ""
            row[f"fit β, {g}"] = pm(s["beta_mean"], s["beta_sem"]) + flag
        # a value the estimator does not call converged is shown in brackets
        br = (lambda t: t) if r.converged else (lambda t: f"({t})")
        row["β_mid"] = br(pm(r.beta, r.beta_err))
        row["β_mid·T"] = br(pm(r.beta * f["T"], r.beta_err * f["T"]))
        mf = mean_field_beta(f["J"], f["T"])
        row["mean-field β"] = f"{mf:.1f}" if np.isfinite(mf) else "∞ (bistable)"
        row["converged"] = "yes" if r.converged else "no"
        if r.stationary is not None:
            row[f"change with {r.long_steps // r.n_steps}× sweeps"] = (
                f"{r.long_change:+.1%} ± {r.long_change_err:.1%}".replace("-", "−"))
        rows.append(row)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- claims


#: "differs" (claim ``rg.robust_beta.differs``): two shifts differ if they differ by more than this
DIFFERS_BY = 0.05


def claims(*, seed, n_grid, n_mid, K_c, grid_systems, conditions_above, above_name):
    """The chapter's claims, with their criteria (fixed before the measurements).

    Parameters name the settings the chapter runs (replicas, seeds, systems), which the
    scopes print.
    """
    from utacbook import claims as uc
    guide = (f"L = 64, 100 sweeps per field from a fresh random lattice, {n_grid} replicas, seed {seed}")
    mid = f"L = 64, 100 sweeps, {n_mid} replicas, seed {seed}"
    below = ", ".join(grid_systems)
    sy = systems()
    k_below = ", ".join(f"{d['K']:.2f}" for d in sorted(sy.values(), key=lambda d: d["K"]) if d["K"] < K_c)
    k_above = ", ".join(f"{d['K']:.1f}" for d in sorted(sy.values(), key=lambda d: d["K"]) if d["K"] >= K_c)
    rev = "revised after a referee read the first run"
    examples = ("measured in the chapter on the guide's examples (rg-examples), 5 replicas; judged here under "
                f"its conditions. Conditions {rev}: the first run judged it on the guide's 25-point grid "
                "at 100 sweeps for four systems (verdict then: not reproduced for the range change, held with "
                "caveats for the points change), which are not the conditions the number came from")
    issue = "the issue's statement (issue 15)"
    tol = "ours: that chapter rounds to whole percent and has its own replica error"
    cr, cp = EXAMPLES_CONDITIONS["range"], EXAMPLES_CONDITIONS["points"]
    return [
        uc.Claim("rg.robust_beta.range", source="ours", section="",
                 text=f"Widening the range from ±2 to ±3 lowers the fitted β by "
                      f"{-100 * EXAMPLES_SHIFTS['range']:.0f} %",
                 quantity=f"relative change of the guide's fitted β, β({cr['changed']}) / β({cr['base']}) − 1, "
                          "paired over replicas",
                 criterion=uc.Agreement(EXAMPLES_SHIFTS["range"], abs_tol=0.02, k=2, tolerance_from=tol),
                 scope=f"LLM Training (J = 0.8, T = 0.19), 20-point grids, L = {cr['lattice_size']}, "
                       f"{cr['n_steps']} sweeps per field, {n_grid} replicas, seed {seed}",
                 note=examples),
        uc.Claim("rg.robust_beta.points", source="ours", section="",
                 text=f"15 points instead of 25 lower the fitted β by {-100 * EXAMPLES_SHIFTS['points']:.0f} %",
                 quantity=f"relative change of the guide's fitted β, β({cp['changed']}) / β({cp['base']}) − 1, "
                          "paired over replicas",
                 criterion=uc.Agreement(EXAMPLES_SHIFTS["points"], abs_tol=0.02, k=2, tolerance_from=tol),
                 scope=f"LLM Training (J = 0.8, T = 0.19), grids on ±2, L = {cp['lattice_size']}, "
                       f"{cp['n_steps']} sweeps per field, {n_grid} replicas, seed {seed}",
                 note=examples),
        uc.Claim("rg.robust_beta.differs", source="ours", section="",
                 text="The shift is not one percentage: it differs from system to system and with the base grid",
                 quantity=f"largest minus smallest relative change of the fitted β under one grid change (±3 "
                          f"instead of ±2; 15 points instead of 25) across the systems below K_c; and, for LLM "
                          f"Training, the change ±2 → ±3 on the 20-point base (50 sweeps) minus that on the guide's "
                          f"25-point base (absolute value); each less {100 * DIFFERS_BY:.0f} percentage points",
                 criterion=uc.Sign(+1, k=2),
                 scope=f"{below}; {guide}; the 20-point base as in rg.robust_beta.range",
                 note=f"'differs' fixed by us as: by more than {100 * DIFFERS_BY:.0f} percentage points; 50 instead "
                      f"of 100 sweeps do not move this system's β (rg-examples). Added after a referee read the "
                      f"first run (post hoc: read off that run's table, judged on the same seed)"),
        uc.Claim("rg.robust_beta.spacing", source="ours", section="",
                 text="At fixed spacing and phase the range does not matter: the saturated tail points carry no "
                      "weight",
                 quantity="relative difference of the fitted β between a 25-point grid on ±3 or ±1 and the grid "
                          "on ±2 with the same spacing and phase (17 or 49 points; one grid's fields are among the "
                          "other's, so the comparison is paired)",
                 criterion=uc.Agreement(0.0, abs_tol=0.005, k=2,
                                        tolerance_from="ours: 0.5 %, a tenth of the smallest shift we call a "
                                                       "difference"),
                 scope=f"LLM Training; {guide}",
                 note="added after a referee read the first run (post hoc: read off that run's table, judged "
                      "on the same seed)"),
        uc.Claim("rg.robust_beta.alignment", source="ours", section="",
                 text="The fitted β depends on where Θ falls between two grid points",
                 quantity="fitted β on a grid that puts Θ halfway between two points minus fitted β on the "
                          "guide's grid, where Θ lies within a fifth of the spacing from a point (same spacing and "
                          "number of points; paired over replicas)",
                 criterion=uc.Sign(+1, k=3), scope=f"Honeybees, Climate AMOC; {guide}",
                 note="direction from the mean-field response fitted on the same grids"),
        uc.Claim("rg.robust_beta.bees_lower", source="ours", section="",
                 text="the Bees system gets a lower β than AMOC",
                 quantity="fitted β of Honeybees minus fitted β of Climate AMOC on the guide's grid "
                          "(independent replicas)",
                 criterion=uc.Sign(-1, k=3), scope=guide, note=issue),
        uc.Claim("rg.robust_beta.bees_grid", source="ours", section="",
                 text="… purely because Θ sits next to a grid point",
                 quantity="β of Honeybees minus β of Climate AMOC measured so that the position of Θ relative to "
                          "the grid plays no role: the grid-free β_mid, and the guide's fit on grids of the "
                          "guide's spacing that put Θ halfway between two grid points for both",
                 criterion=uc.Bound(lower=0.0, k=2),
                 scope=f"β_mid: {mid}; fits: {guide}, grids of the guide's spacing 1/6 and 25 points",
                 note=f"{issue}; 'purely' means: with the alignment removed, Bees is not lower"),
        uc.Claim("rg.robust_beta.settings", source="ours", section="",
                 text="How Θ is found and the set of δ change β_mid by less than its stated error",
                 quantity="difference of β_mid from the chapter's setting (exact Θ = −J/2; δ = w/2, w/4, w/8, "
                          "w/16), paired over replicas (same seed), in units of the stated error β_err of the "
                          "chapter's β_mid",
                 criterion=uc.Agreement(0.0, abs_tol=1.0, k=2,
                                        tolerance_from="ours: one stated error, the claim itself"),
                 scope=f"LLM Training; {mid}; Θ by root search in ±3 (not the guide's ±2); δ halved (w/4 … w/32)"),
        uc.Claim("rg.robust_beta.exact", source="ours", section="",
                 text="β_mid reproduces the exact slope of independent agents: 4 g′(0)/T at J = 0",
                 quantity="β_mid of the simulated lattice at J = 0",
                 criterion=uc.Agreement(0.0, k=2),
                 scope=f"J = 0, T = 0.19 and 0.5; {mid}",
                 note="measured as β_mid − 4 g′(0)/T; σ̄(h) = g(h/T) holds exactly once every agent has been "
                      "updated"),
        uc.Claim("rg.robust_beta.crn", source="ours", section="",
                 text="Common random numbers make the difference far less noisy",
                 quantity="standard error of D(δ) from independent runs over that with the same seed on both "
                          "sides, less 5",
                 criterion=uc.Sign(+1, k=2),
                 scope=f"LLM Training at the smallest δ of its β_mid; {mid}",
                 note=f"'far' fixed by us as at least 5 times: the ratio must exceed 5 by 2 standard errors. "
                      f"Criterion {rev}: it was judged at the smallest and the largest δ with 'within 2 standard "
                      f"errors of 5' (verdict then: held); at the largest δ the ratio is 3.5 ± 1.3, below 5, "
                      f"so the claim is restricted to the smallest δ"),
        uc.Claim("rg.robust_beta.below_mf", source="ours", section="",
                 text="The lattice's midpoint slope lies below the mean-field one (fluctuations)",
                 quantity="β_mid − mean-field β (exact)",
                 criterion=uc.Sign(-1, k=3), scope=f"{below}; {mid}"),
        uc.Claim("rg.robust_beta.flags", source="ours", section="",
                 text="The estimator returns a converged β_mid below K_c and says 'not converged' above it",
                 quantity="midpoint_beta(...).converged, with the run-length check (2× sweeps)",
                 criterion=uc.Holds(f"converged exactly when K < K_c = {K_c:.2f}"),
                 scope=f"the guide's six systems: K = {k_below} (below K_c) and {k_above} (above); not tested "
                       f"between; {mid}"),
        uc.Claim("rg.robust_beta.above_size", source="ours", section="",
                 text="Above K_c the 100-sweep midpoint slope grows with the lattice size",
                 quantity="relative change of the slope 4 D(δ) at fixed δ from the smaller to the larger lattice "
                          "at 100 sweeps (replica mean ± s.e.m.; independent lattices, errors combined)",
                 criterion=uc.Sign(+1, k=3),
                 scope=f"{above_name}; {conditions_above['L']}",
                 note=f"ours: the steady-state expectation (a larger lattice jumps more sharply) carried over to "
                      f"the guide's 100-sweep protocol. Sizes {rev}: L = 32 → 128 then (s.e.m. 17 % at L = 32; "
                      f"verdict then: not reproduced, as now)"),
        uc.Claim("rg.robust_beta.above_time", source="ours", section="",
                 text="Above K_c the midpoint slope of the guide's protocol grows with the run length",
                 quantity="relative change of the slope 4 D(δ) at fixed δ from the shortest to the longest run "
                          "(replica mean ± s.e.m.)",
                 criterion=uc.Sign(+1, k=3),
                 scope=f"{above_name}; {conditions_above['t']}"),
    ]


def _pm(x):
    from utacbook.report import format_pm
    return format_pm(x[0], x[1], sig=1)


def judge(claims_, *, fits, examples, robust, settings, exact, crn, above, K_c, below):
    """Measurements for the claims of :func:`claims`, judged (list of Judgement, in the claims' order).

    Parameters
    ----------
    claims_ : dict id -> Claim
    fits : dict name -> GridFits
        The guide's fits on :data:`ISSUE_GRIDS` for the systems below K_c; for LLM Training
        also on :func:`spacing_grids`; for Honeybees and Climate AMOC also on the grid
        :data:`HALFWAY`.
    examples : dict
        ``"range"``, ``"points"``: :func:`examples_fits` results.
    robust : dict name -> MidpointBetaResult
        ``theta="symmetric"``, with the run-length check.
    settings : dict label -> MidpointBetaResult
        LLM Training with one setting changed (how Θ is found, the set of δ), same seed
        and replicas as ``robust["LLM Training"]``.
    exact : dict T -> MidpointBetaResult
        At J = 0.
    crn : list of dict
        :func:`crn_gain` rows; the claim uses the row of the smallest δ.
    above : dict
        ``"L"`` and ``"t"``: :func:`fixed_delta_study` rows (first and last are compared).
    K_c : float
    below : list of str
        The systems below K_c.
    """
    from utacbook.claims import Measurement as M
    from utacbook.theory import GPRIME0, mean_field_beta

    def rel(name, grid_name_, base=BASE, f=None):
        s = (fits[name] if f is None else f).summary(grid_name_, base=base)
        return M(s["rel_change"], s["rel_change_err"], condition=name)

    def less(a, b, condition, what):
        """|a − b| − DIFFERS_BY, shown as the difference itself."""
        d, e = abs(a.value - b.value), math.hypot(a.err, b.err)
        return M(d - DIFFERS_BY, e, condition=condition, text=f"{what} {_pm((d, e))}")

    ms = {}
    for key in ("range", "points"):
        c = EXAMPLES_CONDITIONS[key]
        ms[f"rg.robust_beta.{key}"] = M(*[examples[key].summary(c["changed"], base=c["base"])[k]
                                          for k in ("rel_change", "rel_change_err")],
                                        condition=f"LLM Training, L = {c['lattice_size']}, {c['n_steps']} sweeps")
    differs = []
    for g, what in (("±3, 25 points", "±2 → ±3"), ("±2, 15 points", "25 → 15 points")):
        m = [rel(n, g) for n in below]
        hi, lo = max(m, key=lambda x: x.value), min(m, key=lambda x: x.value)
        differs.append(less(hi, lo, f"{what}, across systems", f"{lo.condition} to {hi.condition}:"))
    cr = EXAMPLES_CONDITIONS["range"]
    ex = rel("LLM Training", cr["changed"], base=cr["base"], f=examples["range"])
    differs.append(less(ex, rel("LLM Training", "±3, 25 points"), "±2 → ±3, LLM Training: 20-point against "
                                                                  "25-point base", "difference"))
    ms["rg.robust_beta.differs"] = differs
    llm = fits["LLM Training"]
    same = []
    for g, n in SAME_SPACING.items():
        a, b = grid_name(*g), grid_name(-2.0, 2.0, n)
        d = llm["betas"][a] / llm["betas"][b] - 1.0
        m, e = float(d.mean()), float(d.std(ddof=1) / math.sqrt(d.size))
        same.append(M(m, e, condition=f"{a} against {b}", text=f"{m:+.1e} ± {e:.1e}".replace("-", "−")))
    ms["rg.robust_beta.spacing"] = same
    bees, amoc = fits["Honeybees"], fits["Climate AMOC"]
    sb, sa = bees.summary(BASE), amoc.summary(BASE)
    ms["rg.robust_beta.bees_lower"] = M(sb["beta_mean"] - sa["beta_mean"], math.hypot(sb["beta_sem"], sa["beta_sem"]),
                                        condition="guide's grid")
    rb_, ra_ = robust["Honeybees"], robust["Climate AMOC"]
    hb, ha = bees.summary(HALFWAY), amoc.summary(HALFWAY)
    ms["rg.robust_beta.bees_grid"] = [
        M(rb_.beta - ra_.beta, math.hypot(rb_.beta_err, ra_.beta_err), condition="β_mid (no grid)"),
        M(hb["beta_mean"] - ha["beta_mean"], math.hypot(hb["beta_sem"], ha["beta_sem"]),
          condition="guide's fit, Θ halfway for both")]
    ms["rg.robust_beta.alignment"] = [M(*f.difference(HALFWAY, BASE), condition=n)
                                      for n, f in (("Honeybees", bees), ("Climate AMOC", amoc))]
    sym = robust["LLM Training"]
    ms["rg.robust_beta.settings"] = []
    for label, r in settings.items():
        d = (r.replica_betas - sym.replica_betas) / sym.beta_err
        m, e = float(d.mean()), float(d.std(ddof=1) / math.sqrt(d.size))
        ms["rg.robust_beta.settings"].append(M(m, e, condition=label,
                                               text=f"{_pm((m, e))} stated errors"))
    ms["rg.robust_beta.exact"] = [M(r.beta - 4 * GPRIME0 / T, r.beta_err, condition=f"T = {T:g}")
                                  for T, r in exact.items()]
    row = min(crn, key=lambda x: x["delta"])
    ms["rg.robust_beta.crn"] = M(row["gain"] - 5.0, row["gain_err"], condition=f"δ = {row['delta']:.2g}",
                                 text=f"ratio {_pm((row['gain'], row['gain_err']))}")
    ms["rg.robust_beta.below_mf"] = [M(robust[n].beta - mean_field_beta(robust[n].J, robust[n].T), robust[n].beta_err,
                                       condition=n) for n in below]
    ms["rg.robust_beta.flags"] = [M(bool(r.converged == (r.J / r.T < K_c)), condition=n,
                                    text=f"{'converged' if r.converged else 'not converged'} (K = {r.J / r.T:.2f})")
                                  for n, r in robust.items()]
    for key, rows in (("rg.robust_beta.above_size", above["L"]), ("rg.robust_beta.above_time", above["t"])):
        a, b = rows[0], rows[-1]
        ms[key] = M(*relative_change(a, b),
                    condition=f"L = {a['L']}, {a['n_steps']} sweeps → L = {b['L']}, {b['n_steps']} sweeps")
    return [claims_[k].judge(ms[k]) for k in claims_]


def relative_change(a, b):
    """Relative change of the fixed-δ slope from row ``a`` to row ``b`` of :func:`fixed_delta_study`, ± error.

    Rows on the same lattice with the same seed share their replicas' first sweeps and are
    compared replica by replica (paired); otherwise the two errors are propagated.
    """
    if a["L"] == b["L"] and a["slopes"].shape == b["slopes"].shape:
        dd = (b["slopes"] - a["slopes"]) / a["beta"]
        return float(dd.mean()), float(dd.std(ddof=1) / math.sqrt(dd.size))
    ratio = b["beta"] / a["beta"]
    return ratio - 1.0, ratio * math.hypot(a["beta_err"] / a["beta"], b["beta_err"] / b["beta"])


# --------------------------------------------------------------------------- figures


def plot_spacing(fits, robust, *, ax=None, n_dense=26, theta=None):
    """The guide's fitted β against the grid spacing, with the band that the phase of Θ spans.

    ``fits`` (a :class:`GridFits`): circles, the grids on [−2, 2] (mean ± s.e.m. over
    replicas); open squares, grids of another range (they fall on the circle of the same
    spacing and phase).  Lines: the same fit of the exact mean-field response on grids of
    about [−2, 2] with Θ on a grid point (solid) and halfway between two (dashed); every
    other phase lies between them.  The number beside a circle is the distance of Θ from
    the nearest grid point, in spacings.  Band: the grid-free β_mid of ``robust`` (± error);
    dotted: the mean-field midpoint β.  ``theta``: the midpoint (default −J/2).
    """
    import matplotlib.pyplot as plt
    from utacbook.stats import extract_emergent_beta
    from utacbook.theory import mean_field_beta, mean_field_response
    from utacbook.viz import PALETTE
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4))
    J, T = fits["J"], fits["T"]
    th = -J / 2 if theta is None else float(theta)
    spacings = np.linspace(0.02, 0.52, n_dense)
    lines = []
    for phase, ls, lab in ((0.0, "-", "mean field, Θ on a grid point"), (0.5, "--", "mean field, Θ halfway")):
        mf = []
        for sp in spacings:
            R = phase_grid(th, phase, spacing=sp, n_points=int(round(4.0 / sp)) + 1)
            mf.append(extract_emergent_beta(R, mean_field_response(R, J, T))[0])
        ax.plot(spacings, mf, ls, lw=1.2, color=PALETTE["mf"], label=lab)
        lines.append(mf)
    ax.fill_between(spacings, *lines, color=PALETTE["mf"], alpha=0.08, lw=0)
    on2, other = [], []
    for name in fits["names"]:
        R = fits["grids"][name]
        if name == HALFWAY or R.size < 3:
            continue
        s = fits.summary(name)
        p = grid_phase(th, R)
        point = ((R[-1] - R[0]) / (R.size - 1), s["beta_mean"], s["beta_sem"], min(p, 1.0 - p))
        (on2 if np.isclose(R[0], -2.0) and np.isclose(R[-1], 2.0) else other).append(point)
    for pts, kw in ((on2, dict(fmt="o", ms=5, color=PALETTE["sim"], label="guide's fit, simulation, grid on ±2")),
                    (other, dict(fmt="s", ms=10, mfc="none", color=PALETTE["sim"],
                                 label="same spacing and phase, range ±1 or ±3"))):
        if pts:
            x, y, e, _ = np.array(sorted(pts)).T
            ax.errorbar(x, y, yerr=e, capsize=2, ls="none", **kw)
    for x, y, _, dist in on2:                      # distance of Θ from the nearest grid point, in spacings
        ax.annotate(f"{dist:.1f}", (x, y), xytext=(5, -11), textcoords="offset points", fontsize=7,
                    color=PALETTE["sim"])
    ax.axhspan(robust.beta - robust.beta_err, robust.beta + robust.beta_err, color=PALETTE["fit"], alpha=0.3)
    ax.axhline(robust.beta, color=PALETTE["fit"], lw=1.5, label="β_mid (simulation, no grid)")
    ax.axhline(mean_field_beta(J, T), color=PALETTE["mf"], ls=":", lw=1.5, label="β_mid, mean field")
    ax.axvline(GUIDE_SPACING, color="k", lw=0.6, ls="--")
    ax.text(GUIDE_SPACING, 0.02, " guide's grid", transform=ax.get_xaxis_transform(), fontsize=8)
    ax.set_xlim(0.0, spacings.max() + 0.01)
    ax.set_xlabel("grid spacing (field units)")
    ax.set_ylabel("β (1 / field)")
    ax.legend(fontsize=8, loc="center right")
    return ax


def plot_alignment(J_T, phase_fits, robust, guide_phase, *, ax=None, n_phase=21):
    """Fitted β against the position of Θ between grid points, for several systems.

    ``J_T``: name -> (J, T); ``phase_fits``: name -> dict phase -> (mean, s.e.m.) of the
    simulated fit; ``robust``: name -> MidpointBetaResult; ``guide_phase``: name -> the
    phase of Θ on the guide's grid (marked by a square).  Lines: the mean-field response
    fitted on each grid.
    """
    import matplotlib.pyplot as plt
    from utacbook.stats import extract_emergent_beta
    from utacbook.theory import mean_field_response
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.8))
    colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd"]
    ph = np.linspace(0.0, 1.0, n_phase)
    for c, (name, (J, T)) in zip(colors, J_T.items()):
        mf = [extract_emergent_beta(R, mean_field_response(R, J, T))[0]
              for R in (phase_grid(-J / 2, p) for p in ph)]
        ax.plot(ph, mf, "-", lw=1, color=c, alpha=0.6)
        pts = phase_fits[name]
        xs = sorted(pts)
        ax.errorbar(xs, [pts[p][0] for p in xs], yerr=[pts[p][1] for p in xs], fmt="o", ms=5, capsize=2,
                    color=c, label=f"{name}: guide's fit")
        gp = guide_phase[name]
        near = min(xs, key=lambda p: abs(p - gp))
        ax.plot([gp], [pts[near][0]], "s", ms=11, mfc="none", color=c)
    ax.plot([], [], "-", color="grey", label="lines: the same fit of the mean-field response")
    ax.plot([], [], "s", ms=9, mfc="none", color="grey", label="squares: the guide's grid")
    ax.set_xlabel("position of Θ = −J/2 between two grid points (0 and 1: on a point; ½: halfway)")
    ax.set_ylabel("fitted β (1 / field)")
    ax.legend(fontsize=8, loc="lower center")
    return ax


def plot_above_kc(rows, *, axes=None):
    """The slope 4 D(δ) at fixed δ against the lattice size (shortest runs) and against the run length.

    ``rows``: output of :func:`fixed_delta_study`.
    """
    import matplotlib.pyplot as plt
    from utacbook.viz import PALETTE
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    base_steps = min(r["n_steps"] for r in rows)
    byL = sorted((r for r in rows if r["n_steps"] == base_steps), key=lambda r: r["L"])
    longer = [r["L"] for r in rows if r["n_steps"] > base_steps]
    byt = sorted((r for r in rows if longer and r["L"] == min(longer)), key=lambda r: r["n_steps"])
    for ax, sel, key in ((axes[0], byL, "L"), (axes[1], byt, "n_steps")):
        if not sel:
            continue
        ax.errorbar([r[key] for r in sel], [r["beta"] for r in sel], yerr=[r["beta_err"] for r in sel],
                    fmt="o-", ms=5, capsize=2, color=PALETTE["fit"])
        ax.set_xscale("log", base=2)
        ticks = [r[key] for r in sel]
        ax.set_xticks(ticks, [str(t) for t in ticks])
        ax.minorticks_off()
        ax.set_ylim(bottom=0)
    axes[0].set_xlabel(f"lattice size L ({base_steps} sweeps)")
    axes[1].set_xlabel(f"sweeps per run (L = {byt[0]['L']})" if byt else "sweeps per run")
    axes[0].set_ylabel("4 D(δ) (1 / field)")
    return axes
