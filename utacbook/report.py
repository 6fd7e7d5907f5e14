"""Numbers for the prose: formatting with errors, and MyST-NB ``glue``.

Every measured number that a chapter's prose quotes is inserted from the
executed notebook, so that the text cannot go stale when a run changes.  In a
code cell::

    ub.report.glue("tau_ratio", ratio, err=ratio_err)   # "40.2 ± 2.9"
    ub.report.glue("T_low", 1.8)                          # a plain number

and in the Markdown that follows::

    τ grows by a factor of {glue:text}`tau_ratio` between ...
    ... at $T =$ {glue:text}`T_low:.1f` ...

A plain number is glued as a Python float or int (so ``{glue:text}`` can
format it with a format spec such as ``:.3f``); a number with an error is
glued as its formatted text, ``value ± err`` with the error rounded to two
significant figures and the value to the same decimal place
(:func:`format_pm`).  Glued values are not displayed in the notebook.

Outside a Jupyter kernel (scripts, tests) :func:`glue` only returns the
text, so study code can call it freely.
"""

from __future__ import annotations

import math
import numbers
import re

import numpy as np

__all__ = ["format_pm", "format_value", "glue", "glue_table", "Text", "KEY_PATTERN"]

#: glue keys: letters, digits, ``_``, ``-`` and ``.`` (``:`` separates a format spec)
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_.\-]+$")

_MINUS = "\u2212"
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


class Text(str):
    """A string whose ``repr`` is itself, so that it is glued without quotes.

    :func:`glue` returns one for a number with an error, a formatted number or
    a text.

    Examples
    --------
    >>> from utacbook.report import Text, glue
    >>> t = Text("40.2 ± 2.9")
    >>> t                                  # a plain str would show '40.2 ± 2.9'
    40.2 ± 2.9
    >>> isinstance(t, str), t == "40.2 ± 2.9"
    (True, True)
    >>> r = glue("ratio", 40.2, err=2.9)
    >>> type(r).__name__, r == t
    ('Text', True)
    """

    def __repr__(self):  # noqa: D401 - the glued text/plain is the string itself
        return str(self)


def _plain(value):
    """Python scalar from a NumPy scalar; reject arrays and non-numbers."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    raise TypeError(f"value must be a real number, got {type(value).__name__} {value!r}")


def _decimals_for(err, sig):
    """Decimal places that keep ``sig`` significant figures of ``err``."""
    if err == 0 or not math.isfinite(err):
        return None
    return max(0, sig - 1 - int(math.floor(math.log10(abs(err)))))


def _minus(s):
    return s.replace("-", _MINUS)


def format_value(value, *, digits=3, decimals=None, unicode_minus=True):
    """Format a number for prose.

    Parameters
    ----------
    value : float
        The number (finite).
    digits : int, default 3
        Significant figures, used when ``decimals`` is not given.
    decimals : int, optional
        Fixed number of decimal places instead.
    unicode_minus : bool, default True
        Write negative numbers with the typographic minus sign.

    Returns
    -------
    str

    Examples
    --------
    >>> from utacbook.report import format_value
    >>> format_value(0.012345)
    '0.0123'
    >>> format_value(-2.5, decimals=2)
    '−2.50'
    """
    v = _plain(value)
    if isinstance(v, float) and not math.isfinite(v):
        raise ValueError(f"value must be finite, got {v!r}")
    if decimals is not None:
        s = f"{v:.{int(decimals)}f}"
    elif isinstance(v, int) or isinstance(v, bool):
        s = str(int(v))
    else:
        s = f"{v:.{int(digits)}g}"
        if "e" in s:
            mant, exp = s.split("e")
            s = f"{mant} × 10" + str(int(exp)).translate(_SUPERSCRIPT)
    return _minus(s) if unicode_minus else s


def format_pm(value, err, *, sig=2, unicode_minus=True):
    """``value ± err`` with the error to ``sig`` significant figures.

    The value is rounded to the same decimal place as the error, as is usual
    for measured quantities (``0.9096 ± 0.0006``, ``40 ± 3``).

    Parameters
    ----------
    value, err : float
        The estimate and its one-standard-error uncertainty (``err >= 0``,
        both finite).
    sig : int, default 2
        Significant figures of the error (1 or 2 are usual).
    unicode_minus : bool, default True
        Write negative numbers with the typographic minus sign.

    Returns
    -------
    str

    Examples
    --------
    >>> from utacbook.report import format_pm
    >>> format_pm(0.90961, 0.00061)
    '0.90961 ± 0.00061'
    >>> format_pm(41.3, 2.71, sig=1)
    '41 ± 3'
    >>> format_pm(-1.38962, 0.0037)
    '−1.3896 ± 0.0037'
    """
    v, e = _plain(value), _plain(err)
    if not math.isfinite(v):
        raise ValueError(f"value must be finite, got {v!r}")
    if not (math.isfinite(e) and e >= 0):
        raise ValueError(f"err must be finite and >= 0, got {e!r}")
    sig = int(sig)
    if sig < 1:
        raise ValueError(f"sig must be >= 1, got {sig}")
    d = _decimals_for(e, sig)
    if d is None:  # exact value
        return format_value(v, unicode_minus=unicode_minus)
    # rounding can add a digit to the error (0.0996 -> 0.10): recompute once
    e_r = round(e, d)
    d2 = _decimals_for(e_r, sig) if e_r else d
    d = min(d, d2) if d2 is not None else d
    s = f"{v:.{d}f} ± {e:.{d}f}"
    return _minus(s) if unicode_minus else s


def _in_kernel():
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency of ipywidgets
        return False
    ip = get_ipython()
    return ip is not None and getattr(ip, "kernel", None) is not None


def glue(name, value, *, err=None, sig=2, fmt=None):
    """Glue a number (or a short text) for ``{glue:text}`` in a chapter's prose.

    Parameters
    ----------
    name : str
        The glue key: letters, digits, ``_``, ``-`` and ``.``.  Unique within
        a chapter.
    value : float, int or str
        The measured number, or a text (glued as is).
    err : float, optional
        One standard error of ``value``.  If given, the text
        :func:`format_pm` ``(value, err, sig=sig)`` is glued instead of the
        number.
    sig : int, default 2
        Significant figures of ``err``.
    fmt : str, optional
        A format spec (``".3f"``, ``".0%"``): glue ``format(value, fmt)`` as
        text instead of the number.

    Returns
    -------
    float, int or str
        What was glued (the number, or its text).

    Raises
    ------
    ValueError
        If ``name`` is not a valid key or the number is not finite.

    Examples
    --------
    >>> from utacbook.report import glue
    >>> print(glue("ratio", 40.2, err=2.9))
    40.2 ± 2.9
    >>> print(glue("ratio", 40.2, err=2.9, sig=1))
    40 ± 3
    >>> print(glue("share", 0.1234, fmt=".0%"))
    12%
    """
    if not isinstance(name, str) or not KEY_PATTERN.match(name):
        raise ValueError(f"name must be a glue key of letters, digits, '_', '-' or '.', got {name!r}")
    if isinstance(value, str):
        if err is not None or fmt is not None:
            raise ValueError("err and fmt apply to numbers, not to a text value")
        out = Text(value)
    else:
        v = _plain(value)
        if isinstance(v, float) and not math.isfinite(v):
            raise ValueError(f"value of {name!r} must be finite, got {v!r}")
        if err is not None:
            out = Text(format_pm(v, err, sig=sig))
        elif fmt is not None:
            out = Text(_minus(format(v, fmt)))
        else:
            out = v
    if _in_kernel():
        try:
            from myst_nb import glue as _glue
        except ImportError:  # pragma: no cover - the book extra is not installed
            return out
        # a text is glued as a plain str: its quoted repr round-trips exactly
        # through MyST-NB's literal_eval in {glue:text}
        _glue(name, str(out) if isinstance(out, Text) else out, display=False)
    return out


def glue_table(prefix, values, **kwargs):
    """Glue several numbers at once: ``{prefix}.{key}`` for every item.

    Parameters
    ----------
    prefix : str
        Common start of the keys.
    values : dict
        ``key -> value`` or ``key -> (value, err)``.
    **kwargs
        Passed to :func:`glue` (``sig``, ``fmt``).

    Returns
    -------
    dict
        ``key -> glued value or text``.

    Examples
    --------
    >>> from utacbook.report import glue_table
    >>> glue_table("fit", {"slope": (1.74, 0.03), "n": 6})
    {'slope': 1.740 ± 0.030, 'n': 6}
    """
    out = {}
    for key, v in values.items():
        if isinstance(v, tuple):
            out[key] = glue(f"{prefix}.{key}", v[0], err=v[1], **kwargs)
        else:
            out[key] = glue(f"{prefix}.{key}", v, **kwargs)
    return out
