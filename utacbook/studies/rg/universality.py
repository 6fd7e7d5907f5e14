"""Universality of the guide's agent model: finite-size scaling at its symmetric point, from a stored sweep.

Chapter: ``book/rg/07_universality.ipynb``.  At the field h = −J/2 the guide's
random-sequential dynamics has an order–disorder transition near K = J/T ≈ 5.54
(chapter "Beyond the guide").  The sweep
(``book/data/sweeps/rg_universality.toml``) runs :func:`agent_point` on a grid of
lattice sizes L, scaled couplings y = (K − K0) L / K0 around the earlier estimate
K0 and replicas; each task returns block averages of the moments of the order
parameter m = σ̄ − 1/2, from which the chapter derives Binder crossings, 1/ν,
γ/ν and β/ν, and compares them with the 2D Ising values.
"""

from __future__ import annotations

import numpy as np

from ... import _validate as v

__all__ = ["agent_point", "MOMENTS", "sweeps_for"]

#: the moments a task returns: block averages of m, ``|m|``, m^2, m^4 (m = mean activation - 1/2)
MOMENTS = ("m", "abs_m", "m2", "m4")


def sweeps_for(L, sweeps_at_16):
    """Measured sweeps of a task on an L x L lattice: ``sweeps_at_16 (L/16)^2`` (work grows like τ ~ L^z, z ≈ 2)."""
    return int(round(sweeps_at_16 * (L / 16.0) ** 2))


def agent_point(*, L, y, K0=5.542, T=0.2, sweeps_at_16=8000, burn_fraction=0.25, n_blocks=20, seed=0):
    """One run of the guide's model at h = −J/2, K = K0 (1 + y/L): block averages of the order parameter.

    The run starts from a fresh uniform random lattice and uses the guide's
    random-sequential updates (:func:`utacbook.models.scan_field`); it lasts
    ``burn_fraction`` x n + n sweeps with n = :func:`sweeps_for` (L,
    ``sweeps_at_16``), and the last n are cut into ``n_blocks`` blocks.

    Parameters
    ----------
    L : int >= 4
    y : float, ``|y| < L``
        Scaled coupling (K − K0) L / K0.
    K0 : float > 0
        Centre of the grid (an earlier estimate of K_c).
    T : float > 0
        Noise temperature; only K = J/T matters at h = −J/2.
    sweeps_at_16 : int >= n_blocks
        Measured sweeps at L = 16 (scaled by (L/16)^2).
    burn_fraction : float in [0, 10]
    n_blocks : int >= 2
    seed : int >= 0

    Returns
    -------
    dict
        ``K``, ``n_sweeps``, ``tau_abs_m`` (τ_int of ``|m|`` in sweeps, over the
        measured part) and, for each name in :data:`MOMENTS`, the ``n_blocks``
        block averages.

    Examples
    --------
    >>> from utacbook.studies.rg.universality import agent_point
    >>> r = agent_point(L=8, y=0.0, sweeps_at_16=400, n_blocks=4, seed=1)
    >>> r["m2"].shape, r["n_sweeps"]
    ((4,), 100)
    """
    from ...models import scan_field
    from ...stats import integrated_autocorrelation_time

    L = v.integer("L", L, low=4)
    y = v.real("y", y)
    if not abs(y) < L:
        raise ValueError(f"y must satisfy |y| < L = {L} (K > 0), got {y}")
    K0 = v.real("K0", K0, positive=True)
    T = v.real("T", T, positive=True)
    n_blocks = v.integer("n_blocks", n_blocks, low=2)
    sweeps_at_16 = v.integer("sweeps_at_16", sweeps_at_16, low=1)
    burn_fraction = v.real("burn_fraction", burn_fraction, low=0.0, high=10.0)
    n = sweeps_for(L, sweeps_at_16)
    if n < n_blocks:
        raise ValueError(f"sweeps_at_16 = {sweeps_at_16} gives {n} sweeps at L = {L}, "
                         f"fewer than n_blocks = {n_blocks}")
    n_burn = int(round(burn_fraction * n))
    K = K0 * (1.0 + y / L)
    J = K * T
    r = scan_field(J, T, [-0.5 * J], lattice_size=L, n_steps=n_burn + n, n_replicas=1, seed=seed,
                   return_traces=True, progress=False)
    m = np.asarray(r["traces"]).reshape(-1)[n_burn:] - 0.5
    n_use = n // n_blocks * n_blocks
    a = np.abs(m)
    series = {"m": m, "abs_m": a, "m2": m * m, "m4": m ** 4}
    out = {k: s[:n_use].reshape(n_blocks, -1).mean(axis=1) for k, s in series.items()}
    out.update(K=float(K), n_sweeps=int(n), tau_abs_m=float(integrated_autocorrelation_time(a)))
    return out



# --------------------------------------------------------------------------
# the stored sweep and its analysis
# --------------------------------------------------------------------------

#: the stored sweep this chapter analyses (``book/data/sweeps/<SWEEP>.toml`` and ``.zarr``)
SWEEP = "rg_universality"
#: 2D Ising values the model is compared with (exact; U* from Kamieniarz and Blöte 1993)
ISING = {"inv_nu": 1.0, "gamma_nu": 7 / 4, "beta_nu": 1 / 8, "U_star": 0.61069}


def spec_path():
    """Path of the committed sweep specification (``book/data/sweeps/rg_universality.toml``)."""
    from ...sweep import stored_spec_path
    return stored_spec_path(SWEEP)


def load():
    """The stored sweep as an :class:`xarray.Dataset` (in memory), and its spec (a dict)."""
    from ...sweep import load_stored
    return load_stored(SWEEP)


def _groups(ds, name):
    a = np.asarray(ds[name].values, dtype=float)
    return a.reshape(a.shape[0], a.shape[1], -1)


def _b(c, like):
    return c if like.ndim == c.ndim else c[..., None]


def observables(ds):
    """Binder cumulant, χ = N⟨m²⟩, connected χ' = N(⟨m²⟩ − ``⟨|m|⟩``²) and ``⟨|m|⟩`` on the grid.

    Returns
    -------
    dict
        ``L`` (n_L,), ``y`` (n_y,), ``K`` (n_L, n_y); (value, error) pairs of
        (n_L, n_y) arrays ``U``, ``chi``, ``chi_conn``, ``abs_m`` (jackknife over
        the replica x block groups); ``tau`` (n_L, n_y), the mean τ_int of ``|m|``
        over replicas (sweeps); ``n_sweeps`` (n_L,); ``G``.
    """
    from ...stats import group_jackknife
    L = np.asarray(ds["L"].values)
    y = np.asarray(ds["y"].values)
    N = np.broadcast_to((L.astype(float) ** 2)[:, None], (L.size, y.size))
    m2, m4, a = _groups(ds, "m2"), _groups(ds, "m4"), _groups(ds, "abs_m")
    return {"L": L, "y": y, "K": np.asarray(ds["K"].values)[:, :, 0],
            "U": group_jackknife(lambda m2, m4: 1.0 - m4 / (3.0 * m2 ** 2), [m2, m4]),
            "chi": group_jackknife(lambda m2: _b(N, m2) * m2, [m2]),
            "chi_conn": group_jackknife(lambda m2, a: _b(N, m2) * (m2 - a * a), [m2, a]),
            "abs_m": group_jackknife(lambda a: a, [a]),
            "tau": np.asarray(ds["tau_abs_m"].values).mean(axis=-1),
            "n_sweeps": np.asarray(ds["n_sweeps"].values)[:, 0, 0], "G": m2.shape[-1]}


def crossings(ds, *, deg=2):
    """Crossings K of U_L(K) and U_L'(K) for the pairs (L, 2L) of the grid, with jackknife errors.

    Quadratic least-squares fits of U against K through each size's 7 couplings;
    the crossing is searched inside the larger lattice's K range.

    Returns
    -------
    dict
        ``pairs``, ``K_cross``, ``K_cross_err``, ``U_cross``, ``U_cross_err``.
    """
    from ...stats import polynomial_crossing
    L = [int(x) for x in ds["L"].values]
    K = np.asarray(ds["K"].values)[:, :, 0]
    m2, m4 = _groups(ds, "m2"), _groups(ds, "m4")
    G = m2.shape[-1]
    pairs = [(a, 2 * a) for a in L if 2 * a in L]
    out = {"pairs": pairs, "K_cross": [], "K_cross_err": [], "U_cross": [], "U_cross_err": []}
    for a, b in pairs:
        i, k = L.index(a), L.index(b)

        def cross(sel, i=i, k=k):
            U1 = 1 - m4[i][:, sel].mean(-1) / (3 * m2[i][:, sel].mean(-1) ** 2)
            U2 = 1 - m4[k][:, sel].mean(-1) / (3 * m2[k][:, sel].mean(-1) ** 2)
            return polynomial_crossing(K[i], U1, K[k], U2, deg=deg)

        k0, u0 = cross(np.ones(G, bool))
        jk = np.array([cross(np.arange(G) != g) for g in range(G)])
        ok = bool(np.all(np.isfinite(jk)))
        err = np.sqrt((G - 1) / G * ((jk - jk.mean(axis=0)) ** 2).sum(axis=0)) if ok else (np.nan, np.nan)
        out["K_cross"].append(k0)
        out["U_cross"].append(u0)
        out["K_cross_err"].append(float(err[0]))
        out["U_cross_err"].append(float(err[1]))
    return {k: (np.asarray(v) if k != "pairs" else v) for k, v in out.items()}


def at_coupling(ds, K_star, *, deg=2):
    """dU/dK, χ and ``⟨|m|⟩`` at the coupling ``K_star`` for every L (quadratic fits in K), jackknife errors.

    Returns
    -------
    dict
        ``L``; (n_L, 2) arrays of (value, error): ``dU_dK``, ``U``, ``chi``, ``abs_m``.
    """
    from ...stats import group_jackknife
    L = np.asarray(ds["L"].values)
    K = np.asarray(ds["K"].values)[:, :, 0]
    m2, m4, a = _groups(ds, "m2"), _groups(ds, "m4"), _groups(ds, "abs_m")
    N = (L.astype(float) ** 2)
    out = {"L": L}

    def at(i, f, arrays, derivative=False):
        def g(*means):
            vals = f(*means)                                # (n_y,) or (n_y, G)
            if vals.ndim == 1:
                p = np.polyfit(K[i], vals, deg)
                return np.polyval(np.polyder(p) if derivative else p, K_star)
            p = np.polyfit(K[i], vals, deg)                 # columns: one fit per jackknife sample
            q = np.array([np.polyval(np.polyder(p[:, j]) if derivative else p[:, j], K_star)
                          for j in range(p.shape[1])])
            return q
        return group_jackknife(g, [x[i] for x in arrays])

    binder = lambda m2, m4: 1 - m4 / (3 * m2 ** 2)       # noqa: E731
    rows = {"dU_dK": [], "U": [], "chi": [], "abs_m": []}
    for i in range(L.size):
        rows["dU_dK"].append(at(i, binder, [m2, m4], derivative=True))
        rows["U"].append(at(i, binder, [m2, m4]))
        rows["chi"].append(at(i, lambda m2, i=i: N[i] * m2, [m2]))
        rows["abs_m"].append(at(i, lambda a: a, [a]))
    for k, r in rows.items():
        out[k] = np.array([[float(v), float(e)] for v, e in r])
    return out


def exponent_fits(at, *, L_min=32):
    """Power-law fits of :func:`at_coupling` over L >= ``L_min``: 1/ν, γ/ν, β/ν (``value``, ``value_err``)."""
    from ...stats import power_law_fit
    use = at["L"] >= L_min
    if use.sum() < 3:
        raise ValueError(f"L_min = {L_min} leaves fewer than 3 sizes")
    out = {"L": at["L"][use]}
    for key, q, sign in (("inv_nu", "dU_dK", 1), ("gamma_nu", "chi", 1), ("beta_nu", "abs_m", -1)):
        f = dict(power_law_fit(at["L"][use], at[q][use, 0], at[q][use, 1]))
        f["value"], f["value_err"] = sign * f["exponent"], f["exponent_err"]
        out[key] = f
    return out


def collapse(obs, K_c, *, L_min=32, deg=3):
    """Collapse of U onto one curve of (K/K_c − 1) L^(1/ν): :func:`utacbook.stats.scaling_collapse` at fixed K_c."""
    from ...stats import scaling_collapse
    use = obs["L"] >= L_min
    x = (obs["K"][use] / K_c - 1.0) * obs["L"][use, None]
    out = scaling_collapse(obs["L"][use], x, obs["U"][0][use], obs["U"][1][use], deg=deg)
    out["L"] = obs["L"][use].astype(int)
    return out


# --------------------------------------------------------------------------
# claims: the hypothesis "2D Ising class", stated before the measurement
# --------------------------------------------------------------------------

def claims(*, sizes=(16, 24, 32, 48, 64, 96, 128), L_min_fit=32, seed=2027):
    """The chapter's claims (ours: the hypothesis that the model is in the 2D Ising class).

    The parameters fill in the scopes only; pass the values the chapter uses.

    Returns
    -------
    list of utacbook.claims.Claim
    """
    from utacbook import claims as uc

    fit = (f"random-sequential dynamics, h = −J/2, L = {L_min_fit}–{max(sizes)}, at K* − σ(K*), K* and "
           f"K* + σ(K*), K* the crossing of the two largest sizes; seed {seed}")
    import math

    pair_list = [(a, 2 * a) for a in sizes if 2 * a in sizes]
    pairs = ", ".join(f"{a}/{b}" for a, b in pair_list)
    p_any = 1.0 - math.erf(2.0 / math.sqrt(2.0)) ** len(pair_list)

    def ours(name, text, quantity, criterion, scope, note=""):
        return uc.Claim(f"rg.universality.{name}", source="ours", section="", text=text, quantity=quantity,
                        criterion=criterion, scope=scope, note=note)

    note = ("conditions revised after the first run, on a referee's reading: they were K* alone, but where "
            "inside its uncertainty K_c is taken changes verdicts, so the fits are judged at K* and at both "
            "ends of its uncertainty; corrections to scaling are not in the error bars")
    return [
        ours("inv-nu", "The guide's model at h = −J/2 is in the 2D Ising class: 1/ν = 1",
             "exponent of dU/dK at K* against L", uc.Agreement(ISING["inv_nu"], k=2), fit, note=note),
        ours("gamma-over-nu", "… γ/ν = 7/4", "exponent of χ = N⟨m²⟩ at K* against L",
             uc.Agreement(ISING["gamma_nu"], k=2), fit, note=note),
        ours("beta-over-nu", "… β/ν = 1/8", "−(exponent of ⟨|m|⟩ at K* against L)",
             uc.Agreement(ISING["beta_nu"], k=2), fit, note=note),
        ours("u-star", f"… the Binder cumulant at K_c takes the Ising value U* = {ISING['U_star']} (periodic "
             "square lattice)", "U where U_L and U_2L cross", uc.Agreement(ISING["U_star"], k=2),
             f"pairs {pairs}; seed {seed}",
             note="U* is universal only for the same boundary conditions and aspect ratio (here: periodic, "
                  f"square); the pairs share lattices, so they are not independent tests; if they were, a "
                  f"correct measurement would fail at least one of the {len(pair_list)} at k = 2 with "
                  f"probability {p_any:.0%}"),
    ]


def fit_measurement(fit, *, condition=""):
    """A :class:`utacbook.claims.Measurement` of an :func:`exponent_fits` entry."""
    from utacbook.claims import Measurement
    return Measurement(float(fit["value"]), float(fit["value_err"]), condition=condition)


def crossing_measurements(cr, key="U_cross"):
    """One measurement per pair (L, 2L) of :func:`crossings` (``K_cross`` or ``U_cross``)."""
    from utacbook.claims import Measurement
    return [Measurement(float(v), float(e), condition=f"L = {a}/{b}")
            for (a, b), v, e in zip(cr["pairs"], cr[key], cr[key + "_err"]) if np.isfinite(v) and np.isfinite(e)]


_NAMES = {"inv-nu": "1/ν", "gamma-over-nu": "γ/ν", "beta-over-nu": "β/ν", "u-star": "U*"}


def _list(names):
    names = [_NAMES.get(k, k) for k in names]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def answer(judgements, *, u_cross=None):
    """What the verdicts decide about the Ising-class hypothesis, as one paragraph (computed).

    Parameters
    ----------
    judgements : list of utacbook.claims.Judgement
        The chapter's judged claims; the exponent claims are judged at K* − σ, K* and K* + σ.
    u_cross : (values, errors), optional
        The U crossings, to say on which side of U* they lie.
    """
    from utacbook.claims import CAVEATS, HELD, NOT_REPRODUCED
    v = {j.claim.id.split(".")[-1]: j for j in judgements}
    expo = [k for k in ("inv-nu", "gamma-over-nu", "beta-over-nu") if k in v]
    held = [k for k in expo if v[k].verdict == HELD]
    mixed = [k for k in expo if v[k].verdict == CAVEATS]
    failed = [k for k in expo if v[k].verdict == NOT_REPRODUCED]
    sentences = []
    if held:
        sentences.append(f"The fits agree with the 2D Ising values for {_list(held)} wherever inside the "
                         f"uncertainty of K* the critical coupling is taken.")
    if mixed:
        sentences.append(f"For {_list(mixed)} they agree or not depending on where inside that uncertainty it "
                         f"is taken.")
    if failed:
        sentences.append(f"For {_list(failed)} they disagree at every coupling tried.")
    if u_cross is not None:
        u, du = (np.asarray(a, dtype=float) for a in u_cross)
        z = (u - ISING["U_star"]) / du
        if np.all(z < 0) or np.all(z > 0):
            side = "below" if z[0] < 0 else "above"
            sentences.append(f"All {u.size} Binder crossings lie {side} U* (by {np.abs(z).min():.1f} to "
                             f"{np.abs(z).max():.1f} standard errors; the pairs share lattices, so these are not "
                             f"independent).")
    u_ok = "u-star" not in v or v["u-star"].verdict == HELD
    if not mixed and not failed and u_ok:
        sentences.append("At these sizes the model behaves as a 2D Ising model, within the stated errors.")
    elif failed and not held and not mixed:
        sentences.append("At these sizes the data disagree with the 2D Ising values.")
    else:
        sentences.append("These sizes do not decide the Ising hypothesis.")
    return " ".join(sentences)


# --------------------------------------------------------------------------
# plots
# --------------------------------------------------------------------------

def plot_binder(obs, cr=None, *, ax=None):
    """U against K for every L, with the crossing of the two largest sizes."""
    import matplotlib.pyplot as plt
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 4))
    for i, L in enumerate(obs["L"]):
        ax.errorbar(obs["K"][i], obs["U"][0][i], yerr=obs["U"][1][i], fmt="o-", ms=3, lw=0.8, capsize=2,
                    label=f"L = {L}")
    ax.axhline(ISING["U_star"], color="0.5", ls="--", lw=0.8, label="Ising U*")
    if cr is not None and len(cr["pairs"]):
        ax.axvline(cr["K_cross"][-1], color="0.3", ls=":", lw=1, label="K*")
    ax.set(xlabel="K = J/T", ylabel="U", title="Binder cumulant at h = −J/2")
    ax.legend(fontsize=7, ncol=2)
    return ax


def plot_fss(at, fits, *, axes=None):
    """dU/dK, χ and ``⟨|m|⟩`` at K* against L (log-log) with the fitted power laws and the Ising slopes."""
    import matplotlib.pyplot as plt

    from ...viz import log_size_axes
    if axes is None:
        _, axes = plt.subplots(1, 3, figsize=(12, 3.6))
    L = at["L"].astype(float)
    Lf = np.geomspace(L.min(), L.max(), 50)
    for ax, q, key, sign, label in zip(axes, ("dU_dK", "chi", "abs_m"), ("inv_nu", "gamma_nu", "beta_nu"),
                                       (1, 1, -1), ("dU/dK at K*", "χ = N⟨m²⟩ at K*", "⟨|m|⟩ at K*")):
        ax.errorbar(L, at[q][:, 0], yerr=at[q][:, 1], fmt="o", ms=4, capsize=2, label="agent model")
        f = fits[key]
        ax.plot(Lf, f["amplitude"] * Lf ** f["exponent"], "-", lw=1,
                label=f"fit: {f['value']:.3f} ± {f['value_err']:.3f}")
        Lm = float(fits["L"].max())
        ym = f["amplitude"] * Lm ** f["exponent"]
        ax.plot(Lf, ym * (Lf / Lm) ** (sign * ISING[key]), "--", lw=0.8, color="0.4", label="Ising slope")
        log_size_axes(ax, L)
        ax.set(xlabel="L", title=label)
        ax.legend(fontsize=7)
    return axes
