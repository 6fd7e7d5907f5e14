"""Block-average coarse-graining of lattice configurations.

The guide coarse-grains by replacing each b x b block of activations by its
mean.  Block averaging preserves the lattice mean exactly, and splits the
total variance of the activations into a part within blocks and a part
between blocks:

.. math:: \\mathrm{Var}(\\sigma) = \\underbrace{\\overline{\\mathrm{Var}_{\\text{block}}(\\sigma)}}_{\\text{within}}
          + \\underbrace{\\mathrm{Var}(\\bar\\sigma_{\\text{block}})}_{\\text{between}}

(population variances, equal-size blocks).  Only the *between* part survives
coarse-graining, so it is the fluctuations, not the mean, that change.
"""

from __future__ import annotations

import numpy as np

from . import _validate as v

__all__ = ["coarse_grain", "multi_scale_coarsening", "variance_decomposition",
           "block_variance_profile"]


def _lattice(lattice):
    lat = v.real_array("lattice", lattice, ndim=2)
    if lat.shape[0] < 1 or lat.shape[1] < 1:
        raise ValueError(f"lattice must be non-empty, got shape {lat.shape}")
    return lat


def _blocks(lat, b):
    n0, n1 = lat.shape
    if n0 % b or n1 % b:
        raise ValueError(f"block_size={b} must divide the lattice shape {lat.shape}")
    return lat.reshape(n0 // b, b, n1 // b, b)


def coarse_grain(lattice, block_size=2):
    """Coarse-grain a lattice by averaging non-overlapping blocks.

    Parameters
    ----------
    lattice : array_like, shape (n0, n1)
        Finite activations.
    block_size : int, default 2
        Linear block size b >= 1; must divide both n0 and n1.

    Returns
    -------
    ndarray, shape (n0 // b, n1 // b)
        Block means.  Their mean equals the mean of ``lattice``.
    """
    lat = _lattice(lattice)
    b = v.integer("block_size", block_size, low=1)
    return _blocks(lat, b).mean(axis=(1, 3))


def multi_scale_coarsening(lattice, n_scales=4, block_size=2):
    """Repeated block averaging, as in the guide's Example 3.

    Parameters
    ----------
    lattice : array_like, shape (n, n)
        The microscopic lattice.
    n_scales : int, default 4
        Number of coarse-graining steps, >= 0.  ``block_size ** n_scales``
        must divide the lattice size.
    block_size : int, default 2
        Block size of each step.

    Returns
    -------
    list of ndarray
        ``n_scales + 1`` lattices: the original, then each coarser one (the
        guide's code appends to ``[lattice]``, so a 128 x 128 lattice with
        ``n_scales=4`` gives 128, 64, 32, 16 and 8 sites a side).
    """
    lat = _lattice(lattice)
    n = v.integer("n_scales", n_scales, low=0)
    b = v.integer("block_size", block_size, low=1)
    if lat.shape[0] % (b ** n) or lat.shape[1] % (b ** n):
        raise ValueError(f"block_size**n_scales = {b ** n} must divide the lattice "
                         f"shape {lat.shape}; use fewer scales")
    scales = [lat.copy()]
    for _ in range(n):
        scales.append(coarse_grain(scales[-1], b))
    return scales


def variance_decomposition(lattice, block_size):
    """Total, within-block and between-block variance of a lattice.

    Parameters
    ----------
    lattice : array_like, shape (n0, n1)
    block_size : int
        Must divide both sides.

    Returns
    -------
    dict
        ``total``, ``within`` (mean of the blocks' population variances),
        ``between`` (population variance of the block means); ``total ==
        within + between`` up to rounding.
    """
    lat = _lattice(lattice)
    b = v.integer("block_size", block_size, low=1)
    blocks = _blocks(lat, b)
    means = blocks.mean(axis=(1, 3))
    within = float(blocks.var(axis=(1, 3)).mean())
    between = float(means.var())
    return {"total": float(lat.var()), "within": within, "between": between}


def block_variance_profile(lattice, block_sizes=None):
    """Variance of block means against block size.

    For independent sites it falls as 1/b^2; correlations make it fall more
    slowly (as b^(-eta) at a critical point, to a constant in an ordered phase).

    Parameters
    ----------
    lattice : array_like, shape (n, n)
    block_sizes : sequence of int, optional
        Default: all powers of two that divide n.

    Returns
    -------
    block_sizes : ndarray of int
    variances : ndarray
        Population variance of the block means for each block size.
    """
    lat = _lattice(lattice)
    if block_sizes is None:
        n = min(lat.shape)
        block_sizes = [2 ** k for k in range(int(np.log2(n)) + 1)
                       if lat.shape[0] % 2 ** k == 0 and lat.shape[1] % 2 ** k == 0]
    bs = np.array([v.integer("block_sizes", b, low=1)
                   for b in block_sizes])
    return bs, np.array([coarse_grain(lat, int(b)).var() for b in bs])


# --- additions for the coarse-graining chapter ---

__all__ += ["block_moment_profile", "block_variance_curves", "neighbour_correlation",
            "scale_statistics", "emergent_beta_by_scale"]


def _sq_sides(lat, name="lattice"):
    if lat.shape[0] < 2 or lat.shape[1] < 2:
        raise ValueError(f"{name} must be at least 2 x 2, got shape {lat.shape}")
    return lat


def block_moment_profile(lattice, block_sizes=None, *, center=None):
    """Second moment of the block means against block size.

    Parameters
    ----------
    lattice : array_like, shape (n0, n1)
    block_sizes : sequence of int, optional
        Default: all powers of two that divide both sides.
    center : float or None, default None
        None: population variance of the block means about their mean (the
        lattice mean), as :func:`block_variance_profile` -- the *connected*
        fluctuations.  A number c: the mean of (block mean - c)^2; with
        c = 1/2 at the symmetric field this is the block order parameter's
        mean square, which tends to m0^2 in an ordered phase.

    Returns
    -------
    block_sizes : ndarray of int
    moments : ndarray
    """
    lat = _lattice(lattice)
    bs, var = block_variance_profile(lat, block_sizes)
    if center is None:
        return bs, var
    c = v.real("center", center)
    return bs, np.array([((coarse_grain(lat, int(b)) - c) ** 2).mean() for b in bs])


def block_variance_curves(lattices, block_sizes=None, *, center=None):
    """:func:`block_moment_profile` averaged over independent lattices.

    Parameters
    ----------
    lattices : array_like, shape (n, L0, L1)
        Independent configurations (n >= 2).
    block_sizes, center
        As :func:`block_moment_profile`.

    Returns
    -------
    dict
        ``block_sizes``, ``mean`` and ``sem`` (standard error over the
        lattices) of the moment at each block size, ``per_lattice``.
    """
    lats = v.real_array("lattices", lattices, ndim=3)
    if lats.shape[0] < 2:
        raise ValueError(f"lattices must hold at least 2 configurations, got {lats.shape[0]}")
    rows = [block_moment_profile(lat, block_sizes, center=center) for lat in lats]
    per = np.array([r[1] for r in rows])
    return {"block_sizes": rows[0][0], "mean": per.mean(axis=0),
            "sem": per.std(axis=0, ddof=1) / np.sqrt(per.shape[0]), "per_lattice": per}


def neighbour_correlation(lattice, *, center=None):
    """Nearest-neighbour correlation coefficient of a periodic lattice.

    .. math:: r_1 = \\frac{\\langle s_{ij} s_{i+1,j} + s_{ij} s_{i,j+1} \\rangle / 2}
                         {\\langle s_{ij}^2 \\rangle},
              \\qquad s = \\sigma - c,

    with periodic neighbours.  r_1 is 0 for independent values and 1 for a
    lattice constant at a value other than c.

    Parameters
    ----------
    lattice : array_like, shape (n0, n1), both sides >= 2
    center : float or None, default None
        c; None uses the lattice mean (the connected correlation, the
        Pearson coefficient of neighbouring values).

    Returns
    -------
    float
        r_1 (nan if all s are zero).
    """
    lat = _sq_sides(_lattice(lattice))
    c = lat.mean() if center is None else v.real("center", center)
    s = lat - c
    den = float((s * s).mean())
    if den == 0.0:
        return float("nan")
    num = 0.5 * float((s * np.roll(s, 1, axis=0)).mean() + (s * np.roll(s, 1, axis=1)).mean())
    return num / den


def scale_statistics(lattice, n_scales=4, block_size=2, *, center=0.5):
    """How the statistics of the block values change under repeated block averaging.

    Parameters
    ----------
    lattice : array_like, shape (n, n)
    n_scales : int, default 4
        Coarse-graining steps (as :func:`multi_scale_coarsening`).
    block_size : int, default 2
    center : float, default 0.5
        Reference value c for the order-parameter-like statistics (the
        symmetric point sigma = 1/2).

    Returns
    -------
    dict of ndarray, one entry per scale (``n_scales + 1``, the original first)
        ``size`` (sites a side), ``block`` (block size in original sites),
        ``mean`` (identical at every scale), ``variance`` (population variance
        of the block values), ``variance_kept`` (variance / variance of the
        previous scale; nan for the original), ``msd`` (mean of (value - c)^2),
        ``r1`` (connected nearest-neighbour correlation), ``r1_c``
        (nearest-neighbour correlation about c), ``binder`` (1 - <s^4> /
        (3 <s^2>^2) with s = value - c, over the blocks of that scale).
    """
    scales = multi_scale_coarsening(lattice, n_scales, block_size)
    c = v.real("center", center)
    b = v.integer("block_size", block_size, low=1)
    out = {"size": [], "block": [], "mean": [], "variance": [], "msd": [], "r1": [],
           "r1_c": [], "binder": []}
    for k, s in enumerate(scales):
        d = s - c
        m2, m4 = float((d ** 2).mean()), float((d ** 4).mean())
        out["size"].append(s.shape[0])
        out["block"].append(b ** k)
        out["mean"].append(float(s.mean()))
        out["variance"].append(float(s.var()))
        out["msd"].append(m2)
        small = min(s.shape) < 2
        out["r1"].append(float("nan") if small else neighbour_correlation(s))
        out["r1_c"].append(float("nan") if small else neighbour_correlation(s, center=c))
        out["binder"].append(1.0 - m4 / (3.0 * m2 ** 2) if m2 > 0 else float("nan"))
    out = {k: np.array(val) for k, val in out.items()}
    with np.errstate(divide="ignore", invalid="ignore"):
        kept = out["variance"][1:] / out["variance"][:-1]
    out["variance_kept"] = np.concatenate([[np.nan], kept])
    return out


def emergent_beta_by_scale(R_values, lattices, n_scales=4, block_size=2, *, theta=0.5):
    """The guide's emergent beta, measured on the lattices of every coarse-grained scale.

    Parameters
    ----------
    R_values : array_like, shape (n_points,)
        Fields of the scan.
    lattices : array_like, shape (n_points, L, L)
        The final lattice of each scan point.
    n_scales, block_size
        As :func:`multi_scale_coarsening`.
    theta : float, default 0.5
        Starting guess of the logistic fit.

    Returns
    -------
    dict
        ``size`` (sites a side at each scale), ``sigma`` (shape
        (n_scales + 1, n_points): mean of each coarse-grained lattice),
        ``beta``, ``r_squared`` (one fit per scale), ``max_sigma_diff``
        (largest |sigma difference| from the original scale) and
        ``max_beta_diff``.
    """
    from .fitting import extract_emergent_beta
    R = v.real_array("R_values", R_values, ndim=1, min_len=3)
    lats = v.real_array("lattices", lattices, ndim=3)
    if lats.shape[0] != R.shape[0]:
        raise ValueError(f"lattices must hold one lattice per R value ({R.shape[0]}), "
                         f"got {lats.shape[0]}")
    per_point = [multi_scale_coarsening(lat, n_scales, block_size) for lat in lats]
    n_sc = len(per_point[0])
    sigma = np.array([[pp[k].mean() for pp in per_point] for k in range(n_sc)])
    fits = [extract_emergent_beta(R, sig, theta=theta) for sig in sigma]
    beta = np.array([f[0] for f in fits])
    return {"size": np.array([s.shape[0] for s in per_point[0]]), "sigma": sigma,
            "beta": beta, "r_squared": np.array([f[1] for f in fits]),
            "max_sigma_diff": float(np.max(np.abs(sigma - sigma[0]))),
            "max_beta_diff": float(np.max(np.abs(beta - beta[0])))}
