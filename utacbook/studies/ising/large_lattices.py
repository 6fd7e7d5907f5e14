"""Ising exponents beyond L = 128: Wolff runs up to L = 512 from a stored sweep.

Chapter: ``book/ising/11_large_lattices.ipynb``.  The sweep
(``book/data/sweeps/ising_large_lattices.toml``) runs :func:`wolff_point` on a
grid of lattice sizes L, scaled temperatures x = (T - T_c) L / T_c and
replicas; each task returns block averages of the moments of m and e, from
which the analysis functions here derive the Binder cumulant, its temperature
derivative at T_c (fluctuation formula), the susceptibility and ``<|m|>``, and
the finite-size-scaling exponents 1/nu, gamma/nu and beta/nu.
"""

from __future__ import annotations

import numpy as np

from ... import _validate as v
from ...models import simulate_lattice
from ...theory import onsager_tc

__all__ = ["TC", "MOMENTS", "wolff_point"]

TC = onsager_tc()
#: the moments a task returns, block averages of per-spin m and e
MOMENTS = ("abs_m", "m2", "m4", "e", "e2", "abs_m_e", "m2e", "m4e")


def wolff_point(*, L, x, steps=10000, burn_in=2000, n_blocks=20, seed=0):
    """One Wolff run at T = T_c (1 + x / L) from the ordered state: block averages of moments.

    Parameters
    ----------
    L : int >= 4
        Lattice size (L x L, periodic).
    x : float, ``|x| < L``
        Scaled reduced temperature (T - T_c) L / T_c (with nu = 1 the scaling variable).
    steps : int >= n_blocks
        Wolff cluster steps measured (after ``burn_in``).
    burn_in : int >= 0
        Cluster steps discarded first (from the all-up state).
    n_blocks : int >= 2
        Number of equal blocks the measured steps are cut into.
    seed : int >= 0

    Returns
    -------
    dict
        ``T`` (float); ``cluster_frac`` (mean cluster size / N); and for each
        name in :data:`MOMENTS` an array of ``n_blocks`` block averages of
        ``|m|``, ``m^2``, ``m^4``, ``e``, ``e^2``, ``|m| e``, ``m^2 e``, ``m^4 e``
        (m and e per spin).

    Examples
    --------
    >>> from utacbook.studies.ising.large_lattices import wolff_point
    >>> r = wolff_point(L=8, x=0.0, steps=200, burn_in=50, n_blocks=4, seed=1)
    >>> r["m2"].shape, bool(0 < r["abs_m"].mean() < 1)
    ((4,), True)
    """
    L = v.integer("L", L, low=4)
    x = v.real("x", x)
    if not abs(x) < L:
        raise ValueError(f"x must satisfy |x| < L = {L} (T > 0), got {x}")
    n_blocks = v.integer("n_blocks", n_blocks, low=2)
    steps = v.integer("steps", steps, low=n_blocks)
    burn_in = v.integer("burn_in", burn_in, low=0)
    T = TC * (1.0 + x / L)
    r = simulate_lattice(L, T, sweeps=steps, burn_in=burn_in, algorithm="wolff", init="up", seed=seed)
    m, e = r.magnetization, r.energy
    a = np.abs(m)
    m2 = m * m
    series = {"abs_m": a, "m2": m2, "m4": m2 * m2, "e": e, "e2": e * e, "abs_m_e": a * e,
              "m2e": m2 * e, "m4e": m2 * m2 * e}
    n = steps // n_blocks * n_blocks
    out = {k: s[:n].reshape(n_blocks, -1).mean(axis=1) for k, s in series.items()}
    out["T"] = float(T)
    out["cluster_frac"] = float(r.cluster_sizes.mean() / (L * L))
    return out


# --------------------------------------------------------------------------
# the stored sweep
# --------------------------------------------------------------------------

#: the stored sweep this chapter analyses (``book/data/sweeps/<SWEEP>.toml`` and ``.zarr``)
SWEEP = "ising_large_lattices"
#: literature: U* of the square-lattice Ising model with periodic boundaries
#: (Salas and Sokal 2000; Kamieniarz and Blöte 1993 give 0.61069)
U_STAR = 0.61069
#: exact 2D Ising exponents
NU, GAMMA_OVER_NU, BETA_OVER_NU = 1.0, 7 / 4, 1 / 8


def spec_path():
    """Path of the committed sweep specification (``book/data/sweeps/ising_large_lattices.toml``)."""
    from ...sweep import stored_spec_path
    return stored_spec_path(SWEEP)


def load():
    """The stored sweep as an :class:`xarray.Dataset` (in memory), and its spec (a dict)."""
    from ...sweep import load_stored
    return load_stored(SWEEP)


def _groups(ds, name):
    """``ds[name]`` as (n_L, n_x, G): replicas x blocks pooled into G independent groups."""
    a = np.asarray(ds[name].values, dtype=float)
    return a.reshape(a.shape[0], a.shape[1], -1)


def _jack(f, arrays):
    """:func:`utacbook.stats.group_jackknife` (groups along the last axis)."""
    from ...stats import group_jackknife
    return group_jackknife(f, arrays)


def _binder(m2, m4):
    return 1.0 - m4 / (3.0 * m2 ** 2)


def _b(c, like):
    """Constant ``c`` (n_L, n_x) broadcast against group means (n_L, n_x) or leave-one-out means (..., G)."""
    return c if like.ndim == c.ndim else c[..., None]


def observables(ds):
    """Binder cumulant, its β-derivative, χ and ``⟨|m|⟩`` on the whole grid, with jackknife errors.

    Returns
    -------
    dict
        ``L`` (n_L,), ``x`` (n_x,), ``T`` (n_L, n_x); and (value, error) pairs of
        arrays (n_L, n_x) for ``U`` = 1 − ⟨m⁴⟩/(3⟨m²⟩²), ``dU_dbeta`` (from the
        fluctuation formula d⟨O⟩/dβ = −N(⟨O e⟩ − ⟨O⟩⟨e⟩)), ``chi`` = N⟨m²⟩/T
        and ``abs_m``; ``G``, the number of jackknife groups (replicas x blocks).
    """
    L = np.asarray(ds["L"].values)
    x = np.asarray(ds["x"].values)
    N = np.broadcast_to((L.astype(float) ** 2)[:, None], (L.size, x.size))
    T = np.asarray(ds["T"].values)[:, :, 0]
    m2, m4, e = _groups(ds, "m2"), _groups(ds, "m4"), _groups(ds, "e")
    m2e, m4e, a = _groups(ds, "m2e"), _groups(ds, "m4e"), _groups(ds, "abs_m")

    def dU(m2, m4, e, m2e, m4e):
        n = _b(N, m2)
        A1 = -n * (m4e - m4 * e)          # d<m^4>/dbeta
        B1 = -n * (m2e - m2 * e)          # d<m^2>/dbeta
        return -(A1 * m2 - 2.0 * m4 * B1) / (3.0 * m2 ** 3)

    return {"L": L, "x": x, "T": T,
            "U": _jack(_binder, [m2, m4]),
            "dU_dbeta": _jack(dU, [m2, m4, e, m2e, m4e]),
            "chi": _jack(lambda m2: _b(N, m2) * m2 / _b(T, m2), [m2]),
            "abs_m": _jack(lambda a: a, [a]),
            "G": m2.shape[-1]}


def at_tc(obs):
    """The x = 0 (T = T_c) column of :func:`observables`: per L, (value, error) of each quantity."""
    j = int(np.argmin(np.abs(obs["x"])))
    if obs["x"][j] != 0.0:
        raise ValueError("the grid has no x = 0 (T = T_c) column")
    return {"L": obs["L"], **{k: np.stack([obs[k][0][:, j], obs[k][1][:, j]], axis=1)
                              for k in ("U", "dU_dbeta", "chi", "abs_m")}}


def exponent_fits(obs, *, L_min=32):
    """Power-law fits over L >= ``L_min`` at T_c: 1/ν (dU/dβ), γ/ν (χ), β/ν (``⟨|m|⟩``).

    Returns
    -------
    dict
        ``inv_nu``, ``gamma_nu``, ``beta_nu``: :func:`utacbook.stats.power_law_fit`
        results with ``value``/``value_err`` set to the exponent with the sign
        of the quantity (β/ν = −slope of ``⟨|m|⟩``); ``L`` the sizes used.
    """
    from ...stats import power_law_fit
    tc = at_tc(obs)
    use = tc["L"] >= L_min
    if use.sum() < 3:
        raise ValueError(f"L_min = {L_min} leaves fewer than 3 sizes")
    out = {"L": tc["L"][use]}
    for key, q, sign in (("inv_nu", "dU_dbeta", 1), ("gamma_nu", "chi", 1), ("beta_nu", "abs_m", -1)):
        f = dict(power_law_fit(tc["L"][use], tc[q][use, 0], tc[q][use, 1]))
        f["value"], f["value_err"] = sign * f["exponent"], f["exponent_err"]
        out[key] = f
    return out


def _crossing_T(T1, U1, T2, U2, deg=2):
    """T where quadratic fits of U_1(T) and U_2(T) cross (:func:`utacbook.stats.polynomial_crossing`)."""
    from ...stats import polynomial_crossing
    return polynomial_crossing(T1, U1, T2, U2, deg=deg)


def binder_crossings(ds):
    """Crossings of U_L(T) and U_2L(T) for every pair (L, 2L) of the grid, with jackknife errors.

    Each U(T) is a quadratic least-squares fit through its 7 temperatures; the
    crossing is searched inside the T range of the larger lattice.  Errors:
    jackknife over the G groups (replicas x blocks), the same group left out
    of both lattices (their runs are independent).

    Returns
    -------
    dict
        ``pairs`` [(L, 2L)], ``T_cross``, ``T_cross_err``, ``U_cross``, ``U_cross_err`` (arrays).
    """
    L = list(np.asarray(ds["L"].values))
    T = np.asarray(ds["T"].values)[:, :, 0]
    m2, m4 = _groups(ds, "m2"), _groups(ds, "m4")
    G = m2.shape[-1]
    pairs = [(a, 2 * a) for a in L if 2 * a in L]
    out = {"pairs": pairs, "T_cross": [], "T_cross_err": [], "U_cross": [], "U_cross_err": []}
    for a, b in pairs:
        i, k = L.index(a), L.index(b)

        def cross(sel, i=i, k=k):
            U1 = _binder(m2[i][:, sel].mean(axis=-1), m4[i][:, sel].mean(axis=-1))
            U2 = _binder(m2[k][:, sel].mean(axis=-1), m4[k][:, sel].mean(axis=-1))
            return _crossing_T(T[i], U1, T[k], U2)

        t0, u0 = cross(np.ones(G, bool))
        jk = np.array([cross(np.arange(G) != g) for g in range(G)])
        err = np.sqrt((G - 1) / G * np.nansum((jk - np.nanmean(jk, axis=0)) ** 2, axis=0))
        ok = np.all(np.isfinite(jk))
        out["T_cross"].append(t0)
        out["U_cross"].append(u0)
        out["T_cross_err"].append(err[0] if ok else np.nan)
        out["U_cross_err"].append(err[1] if ok else np.nan)
    return {k: (np.asarray(v) if k != "pairs" else v) for k, v in out.items()}


def collapse(obs, *, L_min=64, deg=3):
    """Data collapse of U(L, x) onto one curve of x L^(1/ν − 1): fitted ν and χ²/dof.

    With T = T_c (1 + x/L), the scaling variable t L^(1/ν) is x L^(1/ν − 1).  The
    Binder cumulants of all L >= ``L_min`` are fitted by one polynomial of
    degree ``deg`` in x L^a (:func:`utacbook.stats.scaling_collapse`); ν = 1/(1 + a).

    Returns
    -------
    dict
        ``nu``, ``nu_err``, ``a``, ``a_err``, ``chi2``, ``dof``, ``coef`` (polynomial), ``L`` used.
    """
    from ...stats import scaling_collapse
    use = obs["L"] >= L_min
    out = scaling_collapse(obs["L"][use], obs["x"], obs["U"][0][use], obs["U"][1][use], deg=deg)
    out["L"] = obs["L"][use].astype(int)
    return out


# --------------------------------------------------------------------------
# claims: stated before the measurement
# --------------------------------------------------------------------------

def claims(*, sizes=(16, 32, 64, 128, 256, 512), L_min_fit=32, L_min_collapse=64, seed=2026):
    """The chapter's claims (all ours: exact 2D Ising results and a literature value) with criteria.

    The parameters fill in the scopes only; pass the values the chapter uses.

    Returns
    -------
    list of utacbook.claims.Claim
    """
    from utacbook import claims as uc

    import math

    fit = f"Wolff at T_c, L = {L_min_fit}–{max(sizes)}; seed {seed}"
    pair_list = [(a, 2 * a) for a in sizes if 2 * a in sizes]
    pairs = ", ".join(f"{a}/{b}" for a, b in pair_list)
    # chance that a correct measurement fails at least one of the pairs at k = 2
    p_any = 1.0 - math.erf(2.0 / math.sqrt(2.0)) ** len(pair_list)
    chance = (f"the pairs share lattices, so they are not independent tests; if they were, a correct "
              f"measurement would fail at least one of the {len(pair_list)} at k = 2 with probability {p_any:.0%}")

    def ours(name, text, quantity, criterion, scope, note=""):
        return uc.Claim(f"ising.large.{name}", source="ours", section="", text=text, quantity=quantity,
                        criterion=criterion, scope=scope, note=note)

    return [
        ours("inv-nu", "1/ν = 1 (2D Ising)", "exponent of dU/dβ at T_c against L (fluctuation formula)",
             uc.Agreement(1 / NU, k=2), fit),
        ours("gamma-over-nu", "γ/ν = 7/4 (2D Ising)", "exponent of χ = N⟨m²⟩/T at T_c against L",
             uc.Agreement(GAMMA_OVER_NU, k=2), fit),
        ours("beta-over-nu", "β/ν = 1/8 (2D Ising)", "−(exponent of ⟨|m|⟩ at T_c against L)",
             uc.Agreement(BETA_OVER_NU, k=2), fit),
        ours("tc-binder", "Binder cumulants of L and 2L cross at Onsager's T_c",
             "crossing temperature of quadratic fits of U_L(T) and U_2L(T)", uc.Agreement(TC, k=2),
             f"pairs {pairs}; seed {seed}",
             note=chance),
        ours("u-star", f"At the crossings U takes its universal value U* = {U_STAR} (periodic square "
             "lattice; Kamieniarz and Blöte; Salas and Sokal)", "U at the crossing of U_L and U_2L",
             uc.Agreement(U_STAR, k=2), f"pairs {pairs}; seed {seed}",
             note=chance),
        ours("nu-collapse", "The best one-curve fit of U(T, L) against (T − T_c)/T_c · L^(1/ν) gives ν = 1",
             "ν of the best one-curve fit (cubic in x L^(1/ν − 1)) of U",
             uc.Agreement(NU, k=2), f"L = {L_min_collapse}–{max(sizes)}, |x| ≤ 1.5; seed {seed}",
             note="the error is scaled by √(χ²/dof) when the one-curve fit is poor"),
    ]


def fit_measurement(fit, *, condition=""):
    """A :class:`utacbook.claims.Measurement` of an :func:`exponent_fits` entry."""
    from utacbook.claims import Measurement
    return Measurement(float(fit["value"]), float(fit["value_err"]), condition=condition)


def crossing_measurements(cr, key="T_cross"):
    """One measurement per pair (L, 2L) of :func:`binder_crossings` (``T_cross`` or ``U_cross``)."""
    from utacbook.claims import Measurement
    return [Measurement(float(v), float(e), condition=f"L = {a}/{b}")
            for (a, b), v, e in zip(cr["pairs"], cr[key], cr[key + "_err"]) if np.isfinite(v) and np.isfinite(e)]


# --------------------------------------------------------------------------
# plots
# --------------------------------------------------------------------------

def plot_fss(obs, fits, *, axes=None):
    """Three panels at T_c against L (log-log): dU/dβ, χ and ``⟨|m|⟩`` with their fitted power laws."""
    import matplotlib.pyplot as plt

    from ...viz import log_size_axes
    if axes is None:
        _, axes = plt.subplots(1, 3, figsize=(12, 3.6))
    tc = at_tc(obs)
    L = tc["L"].astype(float)
    Lf = np.geomspace(L.min(), L.max(), 50)
    for ax, q, key, label in zip(axes, ("dU_dbeta", "chi", "abs_m"), ("inv_nu", "gamma_nu", "beta_nu"),
                                 ("dU/dβ at T_c", "χ at T_c", "⟨|m|⟩ at T_c")):
        ax.errorbar(L, tc[q][:, 0], yerr=tc[q][:, 1], fmt="o", ms=4, capsize=2, label="Wolff")
        f = fits[key]
        ax.plot(Lf, f["amplitude"] * Lf ** f["exponent"], "-", lw=1,
                label=f"fit L ≥ {fits['L'].min()}: {f['value']:.3f} ± {f['value_err']:.3f}")
        log_size_axes(ax, L)
        ax.set(xlabel="L", title=label)
        ax.legend(fontsize=8)
    return axes


def plot_binder(obs, col=None, *, axes=None):
    """U against T for every L (left), and against x L^(1/ν − 1) with a collapse fit (right)."""
    import matplotlib.pyplot as plt
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    for i, L in enumerate(obs["L"]):
        U, dU = obs["U"][0][i], obs["U"][1][i]
        axes[0].errorbar(obs["T"][i], U, yerr=dU, fmt="o-", ms=3, lw=0.8, capsize=2, label=f"L = {L}")
        xs = obs["x"] * float(L) ** (col["a"] if col else 0.0)
        axes[1].errorbar(xs, U, yerr=dU, fmt="o", ms=3, capsize=2, label=f"L = {L}")
    axes[0].axvline(TC, color="0.5", ls=":", lw=1)
    axes[0].axhline(U_STAR, color="0.5", ls="--", lw=0.8)
    axes[0].set(xlabel="T", ylabel="U", title="Binder cumulant (dotted: T_c, dashed: U*)")
    axes[0].set_xlim(TC * (1 - 1.6 / 64), TC * (1 + 1.6 / 64))
    if col:
        xx = np.linspace(obs["x"].min() * 1.05, obs["x"].max() * 1.05, 100)
        axes[1].plot(xx, np.polyval(col["coef"], xx), "k-", lw=1, label=f"one curve, ν = {col['nu']:.3f}")
    axes[1].set(xlabel="x L^(1/ν − 1),  x = (T − T_c) L / T_c", ylabel="U", title="collapse")
    axes[1].legend(fontsize=7, ncol=2)
    return axes
