"""Input checks shared by the public API.

Every public function validates its arguments here, so that bad input raises
a ``ValueError`` or ``TypeError`` that names the parameter and what is
allowed, instead of a Numba typing error or a silent NaN.
"""

from __future__ import annotations

import math
import numbers

import numpy as np


def real(name, value, *, positive=False, nonnegative=False, low=None, high=None):
    """Return ``value`` as a finite float, or raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v!r}")
    if positive and not v > 0:
        raise ValueError(f"{name} must be > 0, got {v!r}")
    if nonnegative and not v >= 0:
        raise ValueError(f"{name} must be >= 0, got {v!r}")
    if low is not None and v < low:
        raise ValueError(f"{name} must be >= {low}, got {v!r}")
    if high is not None and v > high:
        raise ValueError(f"{name} must be <= {high}, got {v!r}")
    return v


def integer(name, value, *, low=None, high=None):
    """Return ``value`` as an int, or raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    v = int(value)
    if low is not None and v < low:
        raise ValueError(f"{name} must be >= {low}, got {v}")
    if high is not None and v > high:
        raise ValueError(f"{name} must be <= {high}, got {v}")
    return v


def real_array(name, value, *, ndim=None, min_len=None):
    """Return ``value`` as a finite float64 array, or raise naming ``name``."""
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of real numbers ({exc})") from None
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {arr.shape}")
    if min_len is not None and arr.shape[0] < min_len:
        raise ValueError(f"{name} must have at least {min_len} entries, got {arr.shape[0]}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite values (no NaN or inf)")
    return arr


def choice(name, value, allowed):
    """Return ``value`` if it is one of ``allowed``, or raise naming ``name``."""
    if value not in allowed:
        raise ValueError(f"{name} must be one of {sorted(allowed)}, got {value!r}")
    return value


def field_grid(R_min, R_max, n_points):
    """The evenly spaced scan grid ``linspace(R_min, R_max, n_points)``, validated.

    Raises ``ValueError`` unless R_min < R_max (both finite) and n_points >= 3.
    """
    R_min = real("R_min", R_min)
    R_max = real("R_max", R_max)
    if not R_min < R_max:
        raise ValueError(f"R_min must be < R_max, got R_min={R_min}, R_max={R_max}")
    n_points = integer("n_points", n_points, low=3)
    return np.linspace(R_min, R_max, n_points)
