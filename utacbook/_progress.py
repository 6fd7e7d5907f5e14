"""Progress bars for long calls (private).

``progress(iterable, total=..., desc=..., enabled=...)`` wraps an iterable in a
notebook-aware ``tqdm`` bar (``tqdm.auto``: a widget in Jupyter, text in a
terminal) when the call is expected to take longer than a few seconds.

Whether a bar is shown is decided, in order, by

1. the ``progress=`` keyword of the public function (``True``/``False``);
2. the environment variable ``UTACBOOK_PROGRESS`` (``0`` turns bars off; the
   Makefile sets it for the book build and the tests, so no bar ends up in a
   built page);
3. otherwise on (``progress=None`` means "decide for me").
"""

from __future__ import annotations

import os

__all__ = ["progress", "progress_enabled"]


def progress_enabled(progress=None):
    """Resolve a ``progress=`` keyword: ``True``/``False`` win, ``None`` asks the environment."""
    if progress is not None:
        if not isinstance(progress, (bool,)) and not hasattr(progress, "__bool__"):
            raise TypeError(f"progress must be True, False or None, got {type(progress).__name__}")
        return bool(progress)
    return os.environ.get("UTACBOOK_PROGRESS", "1").strip().lower() not in ("0", "false", "no", "off")


def progress(iterable, *, total=None, desc=None, enabled=None, unit="it"):
    """``iterable`` wrapped in a ``tqdm.auto`` bar if enabled, else returned unchanged."""
    if not progress_enabled(enabled):
        return iterable
    from tqdm.auto import tqdm
    return tqdm(iterable, total=total, desc=desc, unit=unit, leave=False)
