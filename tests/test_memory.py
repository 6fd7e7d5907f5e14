"""utacbook._memory: the estimate is refused when it does not fit, and says how much."""

import pytest

from utacbook import _memory


def test_refuses_over_the_limit_and_names_the_call(monkeypatch):
    monkeypatch.setenv("UTACBOOK_MEMORY_LIMIT", str(2**30))
    assert _memory.check_memory(2**29, what="x") == 2**29
    with pytest.raises(MemoryError, match=r"scan_field\(lattice_size=9\) needs about 2\.0 GiB, but only 1\.0 GiB"):
        _memory.check_memory(2**31, what="scan_field(lattice_size=9)")


def test_small_calls_are_not_checked(monkeypatch):
    monkeypatch.delenv("UTACBOOK_MEMORY_LIMIT", raising=False)
    monkeypatch.setattr(_memory, "available_bytes", lambda: 0)
    assert _memory.check_memory(1024) == 1024
    with pytest.raises(MemoryError):
        _memory.check_memory(_memory.UNCHECKED_BYTES)


def test_format_bytes():
    assert _memory.format_bytes(512) == "512 B"
    assert _memory.format_bytes(3 * 2**20) == "3.0 MiB"
    assert _memory.format_bytes(5 * 2**40) == "5.0 TiB"


def test_available_bytes_is_positive_here():
    assert _memory.available_bytes() > 0
