"""Private Numba kernels (``@numba.njit(cache=True)``) and the counter-based
random streams they draw from (:mod:`utacbook._kernels.rng`).

Nothing here is public API: the models in :mod:`utacbook.models` validate
their input and call these kernels.  The Makefile keys Numba's on-disk cache
by a hash of this folder's sources.
"""
