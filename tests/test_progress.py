"""utacbook._progress: the keyword wins, then UTACBOOK_PROGRESS, then on."""

from utacbook import _progress


def test_keyword_then_environment(monkeypatch):
    monkeypatch.setenv("UTACBOOK_PROGRESS", "0")
    assert _progress.progress_enabled(None) is False
    assert _progress.progress_enabled(True) is True
    monkeypatch.setenv("UTACBOOK_PROGRESS", "1")
    assert _progress.progress_enabled(None) is True
    assert _progress.progress_enabled(False) is False
    monkeypatch.delenv("UTACBOOK_PROGRESS")
    assert _progress.progress_enabled(None) is True


def test_disabled_returns_the_iterable_itself():
    items = [1, 2, 3]
    assert _progress.progress(items, enabled=False) is items
    assert list(_progress.progress(items, enabled=True, total=3)) == items
