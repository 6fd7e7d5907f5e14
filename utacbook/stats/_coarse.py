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

from utacbook import _validate as v

__all__ = ['coarse_grain', 'multi_scale_coarsening', 'variance_decomposition', 'block_variance_profile']


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

    Examples
    --------
    Each 2 x 2 block of a 4 x 4 lattice becomes its mean:

    >>> import numpy as np
    >>> from utacbook.stats import coarse_grain
    >>> lat = np.arange(16.0).reshape(4, 4)
    >>> coarse_grain(lat, block_size=2).tolist()
    [[2.5, 4.5], [10.5, 12.5]]
    >>> float(coarse_grain(lat, block_size=2).mean()) == float(lat.mean())   # the mean is kept
    True
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

    Examples
    --------
    >>> import numpy as np
    >>> from utacbook.stats import multi_scale_coarsening
    >>> lat = np.random.default_rng(0).random((16, 16))
    >>> scales = multi_scale_coarsening(lat, n_scales=3, block_size=2)
    >>> [s.shape for s in scales]
    [(16, 16), (8, 8), (4, 4), (2, 2)]
    >>> bool(np.allclose([s.mean() for s in scales], lat.mean()))   # every scale keeps the mean
    True
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

    Examples
    --------
    A 0/1 checkerboard: every 2 x 2 block holds two 0s and two 1s, so all of the
    variance (1/4) is within the blocks and none survives coarse-graining:

    >>> import numpy as np
    >>> from utacbook.stats import variance_decomposition
    >>> board = np.indices((8, 8)).sum(axis=0) % 2
    >>> variance_decomposition(board, block_size=2)
    {'total': 0.25, 'within': 0.25, 'between': 0.0}

    For any lattice the two parts add up to the total:

    >>> d = variance_decomposition(np.random.default_rng(0).random((16, 16)), block_size=4)
    >>> bool(np.isclose(d["within"] + d["between"], d["total"]))
    True
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

    Examples
    --------
    Independent sites of unit variance: the variance of the block means is 1/b^2
    (within the sampling error of 256 x 256 sites):

    >>> import numpy as np
    >>> from utacbook.stats import block_variance_profile
    >>> lat = np.random.default_rng(0).normal(size=(256, 256))
    >>> bs, var = block_variance_profile(lat, block_sizes=[1, 2, 4, 8])
    >>> bs.tolist()
    [1, 2, 4, 8]
    >>> bool(np.allclose(var * bs ** 2, 1.0, rtol=0.1))
    True
    >>> block_variance_profile(np.ones((8, 8)))[0].tolist()    # default: the powers of 2 dividing 8
    [1, 2, 4, 8]
    """
    lat = _lattice(lattice)
    if block_sizes is not None:
        try:
            if isinstance(block_sizes, (str, bytes)):
                raise TypeError
            block_sizes = list(block_sizes)
        except TypeError:
            raise TypeError(f"block_sizes must be a sequence of int, got {block_sizes!r}") from None
    if block_sizes is None:
        n = min(lat.shape)
        block_sizes = [2 ** k for k in range(int(np.log2(n)) + 1)
                       if lat.shape[0] % 2 ** k == 0 and lat.shape[1] % 2 ** k == 0]
    bs = np.array([v.integer("block_sizes", b, low=1)
                   for b in block_sizes])
    return bs, np.array([coarse_grain(lat, int(b)).var() for b in bs])


__all__ += ["block_moment_profile"]


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

    Examples
    --------
    A fully ordered lattice (every site 1) has no connected fluctuations, and its
    block order parameter m = (block mean - 1/2) is 1/2 at every scale, so the
    mean square about ``center=0.5`` is m0^2 = 1/4:

    >>> import numpy as np
    >>> from utacbook.stats import block_moment_profile
    >>> bs, mom = block_moment_profile(np.ones((8, 8)))
    >>> bs.tolist(), mom.tolist()
    ([1, 2, 4, 8], [0.0, 0.0, 0.0, 0.0])
    >>> block_moment_profile(np.ones((8, 8)), center=0.5)[1].tolist()
    [0.25, 0.25, 0.25, 0.25]
    """
    lat = _lattice(lattice)
    bs, var = block_variance_profile(lat, block_sizes)
    if center is None:
        return bs, var
    c = v.real("center", center)
    return bs, np.array([((coarse_grain(lat, int(b)) - c) ** 2).mean() for b in bs])
