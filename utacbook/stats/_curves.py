"""Areas of closed curves (hysteresis loops)."""

from __future__ import annotations


import numpy as np

from utacbook import _validate as v

__all__ = ['loop_area']


# --------------------------------------------------------------------------- hysteresis


def loop_area(h_path, sigma):
    """Signed area enclosed by a closed field path (shoelace formula).

    The path (h_k, sigma_k) is closed by joining its last point to its first.
    A loop traversed counter-clockwise -- up along the lower branch, back
    along the upper one, as hysteresis does -- has a positive area; a path
    that retraces itself has zero area.

    Parameters
    ----------
    h_path : array_like, shape (m,)
        Fields along the path (m >= 3).
    sigma : array_like, shape (..., m)
        Mean activation along the path; leading axes (e.g. replicas) are kept.

    Returns
    -------
    float or ndarray
        Area in units of field x activation.

    Examples
    --------
    The unit square, traversed counter-clockwise (up at h = 1, back at h = 0), has
    area 1; the other way round, -1; a path that retraces itself, 0:

    >>> import numpy as np
    >>> from utacbook.stats import loop_area
    >>> loop_area([0, 1, 1, 0], [0, 0, 1, 1])
    1.0
    >>> loop_area([0, 0, 1, 1], [0, 1, 1, 0])
    -1.0
    >>> loop_area([0, 1, 2, 1], [0, 0.5, 1, 0.5])
    0.0

    Leading axes of ``sigma`` (replicas) are kept:

    >>> loop_area([0, 1, 1, 0], np.array([[0, 0, 1, 1], [0, 0, 2, 2]])).tolist()
    [1.0, 2.0]
    """
    h = v.real_array("h_path", h_path, ndim=1, min_len=3)
    s = v.real_array("sigma", sigma)
    if s.ndim < 1 or s.shape[-1] != h.shape[0]:
        raise ValueError(f"sigma must have {h.shape[0]} entries along its last axis "
                         f"(one per point of h_path), got shape {s.shape}")
    h1, s1 = np.roll(h, -1), np.roll(s, -1, axis=-1)
    area = 0.5 * np.sum(h * s1 - h1 * s, axis=-1)
    return float(area) if np.ndim(area) == 0 else area
