"""``assert_identical``: bit-for-bit equality of nested results, for the stored-result tests.

Importable from every test module (pytest puts ``tests/`` on ``sys.path``: ``from _identity
import assert_identical``).
"""
from __future__ import annotations

import numpy as np


def assert_identical(a, b, path="result", *, same_sequence_type=False):
    """Assert that ``a`` and ``b`` are the same to the last bit, recursively.

    Dicts: the same keys; lists and tuples: the same length (and type with
    ``same_sequence_type``; a result that went through JSON has lists for tuples);
    arrays: the same dtype, shape and values (NaN equals NaN for floats);
    xarray objects: ``xarray.testing.assert_identical``; scalars: the same type and value,
    NaN equal to NaN. ``path`` names the place of a difference in the message.
    """
    if type(a).__module__.startswith("xarray"):
        import xarray as xr
        xr.testing.assert_identical(a, b)
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), (path, sorted(a), sorted(b))
        for k in a:
            assert_identical(a[k], b[k], f"{path}[{k!r}]", same_sequence_type=same_sequence_type)
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        assert not same_sequence_type or type(a) is type(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            assert_identical(x, y, f"{path}[{i}]", same_sequence_type=same_sequence_type)
    elif isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape, path
        assert np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"), path
    else:
        assert type(a) is type(b) and (a == b or (a != a and b != b)), (path, a, b)
