"""Claims of the source texts, judged by criteria fixed before the measurement.

A chapter states each claim it tests *before* it measures anything: where the
claim comes from, how the text words it, what we measure, and the
**criterion** that decides it.  After the measurement the verdict is computed
from the criterion and the measured values with their errors; it is never
typed.  The verdicts are:

``held``
    the criterion is met in every condition tested;
``held with caveats``
    it is met in some conditions and not in others; the caveat, generated
    from the conditions, says which ("holds at K = 3, 4.21; fails at
    K = 5.54");
``not reproduced``
    it is met in none of the conditions tested;
``not tested``
    the book has no data to test the claim; the claim says what data would.

A verdict says no more than its conditions: each claim also states the range
of conditions it covers (``scope``), and the table prints it.

The criteria
------------
:class:`Agreement`
    numeric agreement with a claimed value, within ``k`` combined standard
    errors and/or within a tolerance the text itself states (``rel_tol``,
    ``abs_tol``);
:class:`Bound`
    consistency (at ``k`` standard errors) with a stated range, e.g. the
    guide's "R² > 0.7";
:class:`Sign`
    an effect in a stated direction, significant at ``k`` standard errors;
:class:`Effect`
    an effect significant at level ``alpha`` (from a p-value the measurement
    carries, or from ``value/err`` with a normal approximation);
:class:`Ordering`
    a stated ordering of several measurements; every neighbouring pair is a
    condition and must differ in the stated direction at ``k`` standard
    errors;
:class:`Holds`
    a yes/no property that is checked exactly (an identity to rounding, a
    snippet that runs or raises).

Sources
-------
``source`` is one of ``"guide"`` (the RG Phase 2 user guide), ``"essay"``
(the Ising enigma essay), ``"multiscale"`` (the multiscale dynamics
description) or ``"ours"``: a prediction or check of our own, labelled as
such and never scored as a claim of the texts.

Examples
--------
>>> import utacbook.claims as uc
>>> c = uc.Claim("demo.beta", source="guide", section="Quick start",
...              text="β_emergent: 3.25", quantity="fitted logistic steepness β",
...              criterion=uc.Agreement(3.25, k=3), scope="L = 64, 5 replicas")
>>> j = c.judge(uc.Measurement(13.9, 0.4, condition="L = 64"))
>>> j.verdict
'not reproduced'
>>> c2 = uc.Claim("demo.sweeps", source="guide", section="Quick start",
...               text="σ̄ stabilizes after ~50-100 sweeps",
...               quantity="sweeps until σ̄ is within 2σ of its long-run value",
...               criterion=uc.Bound(upper=100, k=0))
>>> j2 = c2.judge([uc.Measurement(12, condition="K = 4.21"),
...                uc.Measurement(340, condition="K = 5.54")])
>>> j2.verdict, j2.caveat
('held with caveats', 'holds at K = 4.21; fails at K = 5.54')
"""

from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np
# scipy.stats' norm.sf and norm.isf, without importing scipy.stats (~0.5 s per process)
from scipy.special import ndtr as _ndtr, ndtri as _ndtri

from utacbook.report import format_pm, format_value, glue as _glue

__all__ = [
    "HELD", "CAVEATS", "NOT_REPRODUCED", "NOT_TESTED", "VERDICTS", "SOURCES",
    "Measurement", "Criterion", "Agreement", "Bound", "Sign", "Effect", "Ordering", "Holds",
    "Claim", "Judgement", "ConditionResult", "criteria_table", "claims_table", "show",
    "familywise_k",
]

HELD = "held"
CAVEATS = "held with caveats"
NOT_REPRODUCED = "not reproduced"
NOT_TESTED = "not tested"
#: every verdict this module can return
VERDICTS = (HELD, CAVEATS, NOT_REPRODUCED, NOT_TESTED)

#: where a claim comes from (``"ours"``: our own prediction or check, not a text's claim)
SOURCES = {
    "guide": "RG Phase 2 user guide",
    "essay": "Ising enigma essay",
    "multiscale": "multiscale dynamics description",
    "ours": "our own prediction",
}

_ID = re.compile(r"^[a-z0-9][a-z0-9_\-]*(\.[a-z0-9_\-]+)+$")


# ----------------------------------------------------------------- measurements


def _finite(name, x):
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(x).__name__} {x!r}")
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"{name} must be finite, got {x!r}")
    return x


@dataclass(frozen=True)
class Measurement:
    """One measured value under one condition.

    Parameters
    ----------
    value : float or bool
        The measured quantity (finite), or the outcome of a yes/no check
        (for :class:`Holds`).
    err : float, default 0
        One standard error of ``value`` (0 for an exact value).
    condition : str, default ""
        Where it was measured, e.g. ``"L = 64, T = 2.0"``: the caveat of a
        verdict lists conditions by this label.
    p_value : float, optional
        A p-value for :class:`Effect` (e.g. from a permutation or binomial
        test), in [0, 1].
    text : str, optional
        How to show the value; default ``value ± err``.

    Raises
    ------
    ValueError, TypeError
        A NaN or infinite value or error, a negative error, a p-value outside
        [0, 1].

    Examples
    --------
    A value with its standard error, labelled by where it was measured; the
    table shows it rounded to the error's two significant figures:

    >>> from utacbook.claims import Measurement
    >>> m = Measurement(0.90961, 0.00061, condition="L = 64")
    >>> m
    Measurement(0.90961 ± 0.00061 [L = 64])
    >>> m.value, m.err, m.condition
    (0.90961, 0.00061, 'L = 64')
    >>> Measurement(True).shown(), Measurement(3, text="about 3").shown()
    ('yes', 'about 3')
    >>> Measurement(1.0, -0.1)
    Traceback (most recent call last):
    ...
    ValueError: err must be >= 0, got -0.1
    """

    value: float | bool
    err: float = 0.0
    condition: str = ""
    p_value: float | None = None
    text: str | None = None

    def __post_init__(self):
        v = self.value
        if isinstance(v, (bool, np.bool_)):
            object.__setattr__(self, "value", bool(v))
        else:
            object.__setattr__(self, "value", _finite("value", v))
        e = _finite("err", self.err)
        if e < 0:
            raise ValueError(f"err must be >= 0, got {e}")
        object.__setattr__(self, "err", e)
        if self.p_value is not None:
            p = _finite("p_value", self.p_value)
            if not 0 <= p <= 1:
                raise ValueError(f"p_value must lie in [0, 1], got {p}")
            object.__setattr__(self, "p_value", p)
        if not isinstance(self.condition, str):
            raise TypeError(f"condition must be a str, got {type(self.condition).__name__}")

    def shown(self):
        """The value as the table shows it."""
        if self.text is not None:
            return str(self.text)
        if isinstance(self.value, bool):
            return "yes" if self.value else "no"
        if self.err > 0:
            return format_pm(self.value, self.err)
        return format_value(self.value, digits=4)

    def __repr__(self):
        cond = f" [{self.condition}]" if self.condition else ""
        return f"Measurement({self.shown()}{cond})"


# --------------------------------------------------------------------- criteria


class Criterion:
    """Base class: decides whether one measurement meets a claim.

    A criterion has two methods: ``test`` (one measurement -> met, and a
    short reason) and ``describe`` (the criterion in words, for the
    tables).  The book's criteria are the subclasses :class:`Agreement`,
    :class:`Bound`, :class:`Sign`, :class:`Effect`, :class:`Ordering` and
    :class:`Holds`; a new kind of criterion subclasses this one.

    Examples
    --------
    >>> import utacbook.claims as uc
    >>> class Positive(uc.Criterion):
    ...     def test(self, m):
    ...         return m.value > 0, "positive" if m.value > 0 else "not positive"
    ...     def describe(self):
    ...         return "> 0 (the estimate itself)"
    >>> c = uc.Claim("demo.positive", source="ours", section="", text="x is positive", quantity="x",
    ...              criterion=Positive())
    >>> j = c.judge([uc.Measurement(0.2, condition="a"), uc.Measurement(-0.1, condition="b")])
    >>> j.verdict, j.caveat
    ('held with caveats', 'holds at a; fails at b')
    >>> Positive()
    Positive(> 0 (the estimate itself))
    >>> isinstance(uc.Sign(+1), uc.Criterion)
    True
    """

    #: whether :meth:`test` takes the whole sequence of measurements (Ordering)
    sequence = False

    def test(self, m: Measurement) -> tuple[bool, str]:  # pragma: no cover - abstract
        """Return (met, short reason) for one measurement."""
        raise NotImplementedError

    def describe(self) -> str:  # pragma: no cover - abstract
        """The criterion in words, for the table."""
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}({self.describe()})"


def _k(k):
    k = _finite("k", k)
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    return k


class Agreement(Criterion):
    """The measurement agrees with a claimed value.

    Met if ``|value - target| <= tol + k * sqrt(err**2 + target_err**2)``,
    where ``tol = max(rel_tol * |target|, abs_tol)`` is a tolerance the text
    itself states (0 if it states none).  With ``tol = 0`` this is the usual
    agreement within ``k`` combined standard errors; with a tolerance it asks
    whether the measurement is consistent with lying inside the text's band.

    Parameters
    ----------
    target : float
        The claimed value.
    target_err : float, default 0
        Its quoted uncertainty (literature values).
    k : float, default 2
        Standard errors allowed.
    rel_tol, abs_tol : float, optional
        A tolerance (e.g. ``rel_tol=0.3`` for the guide's "±30 %").
    tolerance_from : str, default "the text"
        Whose tolerance it is, for the description: ``"the text"`` when the
        source states it, or the reason for ours (e.g. ``"ours: the grid
        spacing"``).

    Examples
    --------
    Onsager's critical temperature 2.269 against two made-up estimates: at
    L = 32 the estimate is 0.3 standard errors away (met), at L = 8 it is
    (2.310 - 2.269) / 0.010 = 4.1 standard errors away (missed at ``k=2``):

    >>> import utacbook.claims as uc
    >>> crit = uc.Agreement(2.269, k=2)
    >>> crit.describe()
    'agrees with 2.269 within 2 standard errors'
    >>> claim = uc.Claim("demo.tc", source="ours", section="", text="T_c = 2.269",
    ...                  quantity="T_c from the Binder crossing", criterion=crit)
    >>> j = claim.judge([uc.Measurement(2.272, 0.010, condition="L = 32"),
    ...                  uc.Measurement(2.310, 0.010, condition="L = 8")])
    >>> j.verdict, j.caveat
    ('held with caveats', 'holds at L = 32; fails at L = 8')
    >>> [r.reason for r in j.results]
    ['differs by 0.003 (+0.3σ)', 'differs by 0.041 (+4.1σ)']

    With the text's own tolerance ("3.25 ± 30 %") the band is
    0.3 * 3.25 = 0.975 wide on each side, widened by ``k`` standard errors:

    >>> crit = uc.Agreement(3.25, rel_tol=0.3)
    >>> crit.describe()
    "agrees with 3.25 within ±30 % (the text's tolerance) plus 2 standard errors"
    >>> claim = uc.Claim("demo.beta", source="guide", section="Quick start", text="β ≈ 3.25 (±30 %)",
    ...                  quantity="fitted logistic steepness β", criterion=crit)
    >>> claim.judge(uc.Measurement(4.0, 0.1)).verdict      # 0.75 <= 0.975 + 2 * 0.1
    'held'
    >>> claim.judge(uc.Measurement(4.5, 0.1)).verdict      # 1.25 > 0.975 + 2 * 0.1
    'not reproduced'
    """

    def __init__(self, target, *, target_err=0.0, k=2.0, rel_tol=None, abs_tol=None,
                 tolerance_from="the text"):
        self.target = _finite("target", target)
        self.target_err = _finite("target_err", target_err)
        if self.target_err < 0:
            raise ValueError(f"target_err must be >= 0, got {self.target_err}")
        self.k = _k(k)
        if not isinstance(tolerance_from, str) or not tolerance_from.strip():
            raise ValueError("tolerance_from must say whose tolerance it is")
        self.tolerance_from = tolerance_from
        self.rel_tol = None if rel_tol is None else _finite("rel_tol", rel_tol)
        self.abs_tol = None if abs_tol is None else _finite("abs_tol", abs_tol)
        for name, t in (("rel_tol", self.rel_tol), ("abs_tol", self.abs_tol)):
            if t is not None and t < 0:
                raise ValueError(f"{name} must be >= 0, got {t}")

    @property
    def tol(self):
        return max(self.rel_tol * abs(self.target) if self.rel_tol is not None else 0.0,
                   self.abs_tol if self.abs_tol is not None else 0.0)

    def test(self, m):
        if isinstance(m.value, bool):
            raise TypeError("Agreement needs a numeric measurement, got a yes/no value")
        sigma = math.hypot(m.err, self.target_err)
        d = m.value - self.target
        met = abs(d) <= self.tol + self.k * sigma
        z = f"{d / sigma:+.1f}σ" if sigma > 0 else "exact"
        return met, f"differs by {format_value(d)} ({z})"

    def describe(self):
        t = format_pm(self.target, self.target_err) if self.target_err else format_value(self.target, digits=6)
        parts = []
        if self.rel_tol is not None:
            parts.append(f"±{100 * self.rel_tol:g} %")
        if self.abs_tol is not None:
            parts.append(f"±{format_value(self.abs_tol)}")
        whose = "the text's tolerance" if self.tolerance_from == "the text" else self.tolerance_from
        tol = f" within {' or '.join(parts)} ({whose})" if parts else ""
        if self.k <= 0:
            sig = ""
        elif tol:   # the test is |d| <= tol + k sigma: the errors widen the band
            sig = f" plus {self.k:g} standard errors"
        else:
            sig = f" within {self.k:g} standard errors"
        return f"agrees with {t}{tol}{sig}"


class Bound(Criterion):
    """The measurement is consistent with a stated range.

    Met if ``value + k*err >= lower`` and ``value - k*err <= upper``: the
    measurement does not lie outside the range by more than ``k`` standard
    errors.  Use ``k=0`` for a strict comparison of the estimate itself.

    Parameters
    ----------
    lower, upper : float, optional
        The range (at least one).
    k : float, default 2
        Standard errors of slack.

    Examples
    --------
    The guide's "R² > 0.7" judged at three temperatures: 0.68 ± 0.02 is
    within two standard errors of the bound (0.68 + 2 * 0.02 >= 0.7), 0.60 ±
    0.02 is not:

    >>> import utacbook.claims as uc
    >>> crit = uc.Bound(lower=0.7)
    >>> crit.describe()
    '≥ 0.7 (within 2 standard errors)'
    >>> claim = uc.Claim("demo.r2", source="guide", section="Quick start", text="R² > 0.7",
    ...                  quantity="R² of the logistic fit", criterion=crit)
    >>> j = claim.judge([uc.Measurement(0.95, 0.01, condition="T = 0.19"),
    ...                  uc.Measurement(0.68, 0.02, condition="T = 0.5"),
    ...                  uc.Measurement(0.60, 0.02, condition="T = 1")])
    >>> j.verdict, j.caveat
    ('held with caveats', 'holds at T = 0.19, T = 0.5; fails at T = 1')
    >>> [r.reason for r in j.results]
    ['inside', 'inside', 'below']

    ``k=0`` compares the estimate itself, and a range takes both ends:

    >>> uc.Bound(lower=0.7, k=0).test(uc.Measurement(0.68, 0.02))
    (False, 'below')
    >>> uc.Bound(50, 100, k=0).describe()
    'lies in [50, 100]'
    """

    def __init__(self, lower=None, upper=None, *, k=2.0):
        if lower is None and upper is None:
            raise ValueError("Bound needs lower or upper")
        self.lower = None if lower is None else _finite("lower", lower)
        self.upper = None if upper is None else _finite("upper", upper)
        if self.lower is not None and self.upper is not None and self.lower > self.upper:
            raise ValueError(f"lower must be <= upper, got {self.lower} > {self.upper}")
        self.k = _k(k)

    def test(self, m):
        if isinstance(m.value, bool):
            raise TypeError("Bound needs a numeric measurement, got a yes/no value")
        s = self.k * m.err
        ok_lo = self.lower is None or m.value + s >= self.lower
        ok_hi = self.upper is None or m.value - s <= self.upper
        why = "inside" if ok_lo and ok_hi else ("below" if not ok_lo else "above")
        return ok_lo and ok_hi, why

    def describe(self):
        if self.lower is not None and self.upper is not None:
            r = f"lies in [{format_value(self.lower)}, {format_value(self.upper)}]"
        elif self.lower is not None:
            r = f"≥ {format_value(self.lower)}"
        else:
            r = f"≤ {format_value(self.upper)}"
        slack = f" (within {self.k:g} standard errors)" if self.k > 0 else ""
        return f"{r}{slack}"


class Sign(Criterion):
    """An effect in a stated direction, significant at ``k`` standard errors.

    Met if ``direction * value > k * err``.

    Parameters
    ----------
    direction : {+1, -1}
        The sign the text claims.
    k : float, default 3
        Significance in standard errors.

    Examples
    --------
    A claimed decrease: -0.5 ± 0.1 lies 5 standard errors below zero (held);
    -0.2 ± 0.1 only 2, short of ``k = 3`` (not reproduced):

    >>> import utacbook.claims as uc
    >>> crit = uc.Sign(-1, k=3)
    >>> crit.describe()
    '< 0, at 3 standard errors'
    >>> claim = uc.Claim("demo.drop", source="essay", section="ii", text="the field lowers the energy",
    ...                  quantity="energy change when the field is on", criterion=crit)
    >>> j = claim.judge(uc.Measurement(-0.5, 0.1))
    >>> j.verdict, j.results[0].reason
    ('held', '+5.0σ')
    >>> claim.judge(uc.Measurement(-0.2, 0.1))
    <Judgement demo.drop: not reproduced>
    """

    def __init__(self, direction=+1, *, k=3.0):
        if direction not in (1, -1):
            raise ValueError(f"direction must be +1 or -1, got {direction!r}")
        self.direction = int(direction)
        self.k = _k(k)

    def test(self, m):
        if isinstance(m.value, bool):
            raise TypeError("Sign needs a numeric measurement, got a yes/no value")
        v = self.direction * m.value
        if m.err > 0:
            z = v / m.err
            return z > self.k, f"{z:+.1f}σ"
        return v > 0, "exact, right sign" if v > 0 else "exact, wrong sign or zero"

    def describe(self):
        s = "> 0" if self.direction > 0 else "< 0"
        return f"{s}, at {self.k:g} standard errors"


class Effect(Criterion):
    """An effect significant at level ``alpha``.

    The p-value is the measurement's own ``p_value`` if it carries one;
    otherwise it is computed from ``z = value/err`` with a normal
    approximation, one-sided in ``direction`` (two-sided if ``direction=0``).

    Parameters
    ----------
    alpha : float, default 0.01
        Significance level, in (0, 1).
    direction : {+1, -1, 0}, default 0
        The claimed direction; 0 for "an effect of either sign".

    Examples
    --------
    A measurement carrying its own p-value (here from a permutation test) is
    judged by it; one without is judged by ``z = value/err``: z = 2 gives the
    two-sided normal p = 2 (1 - Φ(2)) = 0.0455, not below ``alpha = 0.01``:

    >>> import utacbook.claims as uc
    >>> crit = uc.Effect(alpha=0.01)
    >>> crit.describe()
    'an effect at significance 0.01'
    >>> round(crit.p_value(uc.Measurement(1.0, 0.5)), 4)
    0.0455
    >>> claim = uc.Claim("demo.policy", source="multiscale", section="2",
    ...                  text="the policy changes the outcome", quantity="difference of means",
    ...                  criterion=crit)
    >>> j = claim.judge([uc.Measurement(0.3, condition="permutation test", p_value=0.003),
    ...                  uc.Measurement(1.0, 0.5, condition="z test")])
    >>> j.verdict, j.caveat
    ('held with caveats', 'holds at permutation test; fails at z test')
    >>> [r.reason for r in j.results]
    ['p = 0.003', 'p = 0.046']
    """

    def __init__(self, alpha=0.01, *, direction=0):
        a = _finite("alpha", alpha)
        if not 0 < a < 1:
            raise ValueError(f"alpha must lie in (0, 1), got {a}")
        if direction not in (1, -1, 0):
            raise ValueError(f"direction must be +1, -1 or 0, got {direction!r}")
        self.alpha = a
        self.direction = int(direction)

    def p_value(self, m):
        if m.p_value is not None:
            return m.p_value
        if isinstance(m.value, bool):
            raise TypeError("Effect needs a numeric measurement or a p_value")
        if m.err == 0:
            raise ValueError("Effect needs err > 0 or a p_value on the measurement")
        z = m.value / m.err
        if self.direction == 0:
            return float(2 * _ndtr(-abs(z)))
        return float(_ndtr(-(self.direction * z)))

    def test(self, m):
        p = self.p_value(m)
        return p < self.alpha, f"p = {p:.2g}"

    def describe(self):
        d = {1: "a positive effect", -1: "a negative effect", 0: "an effect"}[self.direction]
        return f"{d} at significance {self.alpha:g}"


class Ordering(Criterion):
    """A claimed ordering of several measurements.

    The measurements are given in the claimed order; every neighbouring pair
    is one condition ("a → b"), met if the difference has the stated sign at
    ``k`` combined standard errors.

    Parameters
    ----------
    increasing : bool, default True
        ``True``: each value exceeds the one before; ``False``: each is
        smaller.
    k : float, default 2
        Significance of each step in standard errors.

    Examples
    --------
    Three values in the claimed order give two conditions: the first step,
    0.5 ± 0.14, is 3.5 standard errors (met); the second, 0.1 ± 0.14, only
    0.7 (missed):

    >>> import utacbook.claims as uc
    >>> crit = uc.Ordering(increasing=True, k=2)
    >>> crit.describe()
    'rises at every step, each at 2 standard errors'
    >>> claim = uc.Claim("demo.growth", source="guide", section="Scaling", text="β grows with L",
    ...                  quantity="β at L = 16, 32, 64", criterion=crit)
    >>> j = claim.judge([uc.Measurement(1.0, 0.1, condition="L = 16"),
    ...                  uc.Measurement(1.5, 0.1, condition="L = 32"),
    ...                  uc.Measurement(1.6, 0.1, condition="L = 64")])
    >>> j.verdict, j.caveat
    ('held with caveats', 'holds at L = 16 → L = 32; fails at L = 32 → L = 64')
    >>> [r.reason for r in j.results]
    ['+3.5σ', '+0.7σ']
    """

    sequence = True

    def __init__(self, *, increasing=True, k=2.0):
        self.increasing = bool(increasing)
        self.k = _k(k)

    def pairs(self, ms: Sequence[Measurement]):
        if len(ms) < 2:
            raise ValueError("Ordering needs at least two measurements")
        out = []
        for a, b in zip(ms[:-1], ms[1:]):
            d = b.value - a.value
            e = math.hypot(a.err, b.err)
            out.append(Measurement(d, e, condition=f"{a.condition} → {b.condition}",
                                   text=f"{a.shown()} → {b.shown()}"))
        return out

    def test(self, m):
        return Sign(+1 if self.increasing else -1, k=self.k).test(m)

    def describe(self):
        w = "rises" if self.increasing else "falls"
        return f"{w} at every step, each at {self.k:g} standard errors"


class Holds(Criterion):
    """A yes/no property checked exactly (the measurement's value is a bool).

    Parameters
    ----------
    what : str, default "the stated property holds"
        The property in words (the criterion's description).

    Examples
    --------
    >>> import utacbook.claims as uc
    >>> crit = uc.Holds("the quick-start snippet runs as printed")
    >>> claim = uc.Claim("demo.snippet", source="guide", section="Quick start",
    ...                  text="the code runs as shown", quantity="whether the snippet raises",
    ...                  criterion=crit)
    >>> ran = True                                   # e.g. the outcome of running the snippet
    >>> j = claim.judge(uc.Measurement(ran))
    >>> j.verdict, j.measured_text(), crit.describe()
    ('held', 'yes', 'the quick-start snippet runs as printed')
    >>> claim.judge(uc.Measurement(False)).verdict
    'not reproduced'
    """

    def __init__(self, what="the stated property holds"):
        self.what = str(what)

    def test(self, m):
        if not isinstance(m.value, bool):
            raise TypeError("Holds needs a yes/no (bool) measurement")
        return m.value, "yes" if m.value else "no"

    def describe(self):
        return self.what


def familywise_k(n_conditions, alpha=0.05, *, two_sided=True):
    """Standard errors that keep the chance of a false failure in ``n`` conditions at ``alpha``.

    With ``k = 2`` per condition, a claim judged in 20 independent conditions
    fails somewhere by chance alone with probability 1 - 0.954**20 = 61 %.
    Choosing ``k`` by Bonferroni's rule, ``P(|z| > k) = alpha / n`` per
    condition, bounds that probability by ``alpha``.  Fix it before the
    measurement, from the number of conditions the design has.

    Parameters
    ----------
    n_conditions : int
        Number of conditions the claim is judged in (>= 1).
    alpha : float, default 0.05
        Family-wise probability of a false failure, in (0, 1).
    two_sided : bool, default True
        Two-sided deviations (agreement); ``False`` for a one-sided test.

    Returns
    -------
    float

    Examples
    --------
    >>> from utacbook.claims import familywise_k
    >>> round(familywise_k(1), 2), round(familywise_k(20), 2)
    (1.96, 3.02)
    """
    n = int(n_conditions)
    if n < 1:
        raise ValueError(f"n_conditions must be >= 1, got {n_conditions!r}")
    a = _finite("alpha", alpha)
    if not 0 < a < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {a}")
    tail = a / n / (2 if two_sided else 1)
    return float(-_ndtri(tail))


# ----------------------------------------------------------------------- claims


@dataclass(frozen=True)
class ConditionResult:
    """One condition of a judgement: the measurement, whether it met the criterion, why.

    :meth:`Claim.judge` makes one per condition; they are the ``results`` of
    the :class:`Judgement`.

    Examples
    --------
    >>> import utacbook.claims as uc
    >>> claim = uc.Claim("demo.tc", source="ours", section="", text="T_c = 2.269", quantity="T_c",
    ...                  criterion=uc.Agreement(2.269, k=2))
    >>> r = claim.judge(uc.Measurement(2.310, 0.010, condition="L = 8")).results[0]
    >>> r.condition, r.met, r.reason
    ('L = 8', False, 'differs by 0.041 (+4.1σ)')
    >>> r.measurement
    Measurement(2.310 ± 0.010 [L = 8])
    """

    measurement: Measurement
    met: bool
    reason: str

    @property
    def condition(self):
        return self.measurement.condition


def _join(labels, limit=6):
    labels = [x for x in labels if x]
    if len(labels) > limit:
        return ", ".join(labels[:limit]) + f" and {len(labels) - limit} more"
    return ", ".join(labels)


@dataclass(frozen=True)
class Judgement:
    """A claim with its computed verdict.  Made by :meth:`Claim.judge`.

    Attributes
    ----------
    claim : Claim
        The claim judged.
    results : tuple of ConditionResult
        One per condition, in the order judged.
    summary : str
        The one-line account given to :meth:`Claim.judge`.

    Examples
    --------
    The verdict is computed from the conditions: all met, ``held``; some,
    ``held with caveats`` (the caveat says where); none, ``not reproduced``:

    >>> import utacbook.claims as uc
    >>> claim = uc.Claim("demo.r2", source="guide", section="Quick start", text="R² > 0.7",
    ...                  quantity="R² of the logistic fit", criterion=uc.Bound(lower=0.7, k=0))
    >>> ms = [uc.Measurement(0.95, condition="T = 0.19"), uc.Measurement(0.82, condition="T = 0.3"),
    ...       uc.Measurement(0.40, condition="T = 1")]
    >>> claim.judge(ms[:2]).verdict, claim.judge(ms).verdict, claim.judge(ms[2:]).verdict
    ('held', 'held with caveats', 'not reproduced')
    >>> j = claim.judge(ms, summary="R² falls with the noise T")
    >>> j
    <Judgement demo.r2: held with caveats: holds at T = 0.19, T = 0.3; fails at T = 1>
    >>> j.n_met, len(j.results)
    (2, 3)
    >>> j.verdict_text()
    '**held with caveats**: holds at T = 0.19, T = 0.3; fails at T = 1'
    >>> j.finding()
    'holds at T = 0.19, T = 0.3; fails at T = 1 (R² falls with the noise T)'
    >>> j.measured_text()
    'T = 0.19: 0.95; T = 0.3: 0.82; T = 1: 0.4'
    >>> j.to_record()["verdict"], j.to_record()["criterion"]
    ('held with caveats', '≥ 0.7')
    """

    claim: "Claim"
    results: tuple = ()
    summary: str = ""

    @property
    def verdict(self):
        """One of :data:`VERDICTS`, computed from the condition results."""
        if self.claim.criterion is None:
            return NOT_TESTED
        met = [r.met for r in self.results]
        if all(met):
            return HELD
        if not any(met):
            return NOT_REPRODUCED
        return CAVEATS

    @property
    def caveat(self):
        """Where the claim holds and fails (only for ``held with caveats``)."""
        if self.verdict != CAVEATS:
            return ""
        ok = [r.condition or "?" for r in self.results if r.met]
        bad = [r.condition or "?" for r in self.results if not r.met]
        return f"holds at {_join(ok)}; fails at {_join(bad)}"

    @property
    def n_met(self):
        return sum(r.met for r in self.results)

    def measured_text(self, limit=4):
        """The measurements, as the table shows them."""
        if self.claim.criterion is None:
            return "—"
        if self.claim.measured_text is not None:
            return self.claim.measured_text
        rs = self.results
        parts = []
        for r in rs[:limit]:
            s = r.measurement.shown()
            parts.append(f"{r.condition}: {s}" if r.condition and len(rs) > 1 else s)
        if len(rs) > limit:
            parts.append(f"… ({len(rs)} conditions)")
        return "; ".join(parts)

    def finding(self):
        """A one-line summary for the intro's table: the caveat, or the outcome."""
        if self.verdict == NOT_TESTED:
            return f"needs {self.claim.needs}"
        if self.verdict == CAVEATS:
            return f"{self.caveat} ({self.summary})" if self.summary else self.caveat
        if self.summary:
            return self.summary
        n = len(self.results)
        if n == 1:
            r = self.results[0]
            cond = f" ({r.condition})" if r.condition else ""
            return f"measured {r.measurement.shown()}{cond}"
        word = "met" if self.verdict == HELD else "missed"
        return f"criterion {word} in all {n} conditions tested"

    def verdict_text(self):
        """The verdict cell: the verdict and, with caveats, where it fails."""
        if self.verdict == CAVEATS:
            return f"**{self.verdict}**: {self.caveat}"
        if self.verdict == NOT_TESTED:
            return f"**{self.verdict}**: needs {self.claim.needs}"
        return f"**{self.verdict}**"

    def conditions_frame(self):
        """Every condition of the judgement, untruncated: a pandas DataFrame.

        Columns ``claim`` (id), ``condition``, ``value``, ``err``, ``shown``
        (as the tables print it), ``met`` (bool) and ``reason``; one row per
        condition, in the order judged.  The claims table shortens long lists
        of conditions; this shows them all.

        Examples
        --------
        >>> import utacbook.claims as uc
        >>> c = uc.Claim("demo.sign", source="ours", section="", text="x > 0", quantity="x",
        ...              criterion=uc.Sign(+1, k=3))
        >>> j = c.judge([uc.Measurement(1.0, 0.1, condition="a"), uc.Measurement(0.1, 0.1, condition="b")])
        >>> j.conditions_frame()[["condition", "value", "met"]].values.tolist()
        [['a', 1.0, True], ['b', 0.1, False]]
        """
        import pandas as pd
        rows = [{"claim": self.claim.id, "condition": r.condition, "value": r.measurement.value,
                 "err": r.measurement.err, "shown": r.measurement.shown(), "met": bool(r.met),
                 "reason": r.reason} for r in self.results]
        return pd.DataFrame(rows, columns=["claim", "condition", "value", "err", "shown", "met", "reason"])

    def to_record(self):
        """A flat dict (one row of a tidy table)."""
        c = self.claim
        return {"id": c.id, "source": c.source, "section": c.section, "claim": c.text,
                "quantity": c.quantity,
                "criterion": c.criterion.describe() if c.criterion else "",
                "scope": c.scope, "measured": self.measured_text(), "verdict": self.verdict,
                "caveat": self.caveat, "n_conditions": len(self.results), "n_met": self.n_met,
                "note": c.note}

    def __repr__(self):
        cav = f": {self.caveat}" if self.caveat else ""
        return f"<Judgement {self.claim.id}: {self.verdict}{cav}>"


@dataclass(frozen=True)
class Claim:
    """A claim of a source text (or of ours), with the criterion that decides it.

    Parameters
    ----------
    id : str
        Unique, dotted, lower case (``"rg.quickstart.beta"``); it names the
        glue keys the intro's table reads.
    source : {"guide", "essay", "multiscale", "ours"}
        Where the claim comes from; ``"ours"`` marks our own prediction or
        check, never scored as a text's claim.
    section : str
        Section of the source text (empty for ``"ours"``).
    text : str
        The claim as the text words it (a quote or a close paraphrase).
    quantity : str
        What we measure to test it, in words.
    criterion : Criterion or None
        How the verdict is decided; ``None`` for a claim the book cannot test
        (then ``needs`` is required).
    scope : str, default ""
        The range of conditions the test covers (sizes, temperatures,
        couplings, seeds): the verdict says no more than this.
    needs : str, default ""
        For an untested claim: the data that would test it.
    note : str, default ""
        A remark for the table (what the numbers mean, what they do not
        show).  It does not change the verdict.
    measured_text : str, optional
        How to show the measurements in the table, instead of listing them.

    Examples
    --------
    >>> from utacbook.claims import Claim
    >>> c = Claim("demo.untested", source="essay", section="iii",
    ...           text="measured on Twitter and Facebook", quantity="modularity of real networks",
    ...           criterion=None, needs="follower graphs with opinions over time")
    >>> c.judge().verdict
    'not tested'
    """

    id: str
    source: str
    section: str
    text: str
    quantity: str
    criterion: Criterion | None
    scope: str = ""
    needs: str = ""
    note: str = ""
    measured_text: str | None = None

    def __post_init__(self):
        if not isinstance(self.id, str) or not _ID.match(self.id):
            raise ValueError(f"id must be dotted lower-case words such as 'rg.quickstart.beta', got {self.id!r}")
        if self.source not in SOURCES:
            raise ValueError(f"source must be one of {sorted(SOURCES)}, got {self.source!r}")
        for name in ("section", "text", "quantity", "scope", "needs", "note"):
            if not isinstance(getattr(self, name), str):
                raise TypeError(f"{name} must be a str")
        if not self.text.strip():
            raise ValueError("text must give the claim as the text words it")
        if self.criterion is None and not self.needs.strip():
            raise ValueError("a claim without a criterion (not tested) must say what data it needs (needs=...)")
        if self.criterion is not None and not isinstance(self.criterion, Criterion):
            raise TypeError(f"criterion must be a Criterion or None, got {type(self.criterion).__name__}")

    def judge(self, measurements=(), *, summary=""):
        """Compute the verdict from the measurements.

        Parameters
        ----------
        measurements : Measurement or sequence of Measurement
            One per condition (for :class:`Ordering`: the values in the
            claimed order).  Empty only for a claim without a criterion.
        summary : str, default ""
            A one-line account of what the measurement shows, written from
            the run's numbers (for the intro's "what we find"); it never
            changes the verdict.

        Returns
        -------
        Judgement
        """
        if isinstance(measurements, Measurement):
            measurements = [measurements]
        ms = list(measurements)
        for m in ms:
            if not isinstance(m, Measurement):
                raise TypeError(f"measurements must be Measurement objects, got {type(m).__name__}")
        if self.criterion is None:
            if ms:
                raise ValueError(f"claim {self.id!r} has no criterion (not tested) but was given measurements")
            return Judgement(self, (), str(summary))
        if not ms:
            raise ValueError(f"claim {self.id!r} needs at least one measurement")
        if self.criterion.sequence:
            ms = self.criterion.pairs(ms)
        labels = [m.condition for m in ms]
        if len(ms) > 1 and (any(not c for c in labels) or len(set(labels)) != len(labels)):
            raise ValueError(f"claim {self.id!r}: with several measurements each needs its own condition label")
        results = []
        for m in ms:
            met, why = self.criterion.test(m)
            results.append(ConditionResult(m, bool(met), why))
        return Judgement(self, tuple(results), str(summary))


# ---------------------------------------------------------------------- tables


def _cell(text):
    """A Markdown table cell: pipes escaped, newlines removed."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _source_cell(c):
    if c.source == "ours":
        return "*ours*"
    sec = f", {c.section}" if c.section else ""
    return f"{c.source}{sec}"


def criteria_table(claims, *, display=True):
    """The criteria of a chapter's claims, stated before anything is measured.

    Parameters
    ----------
    claims : sequence of Claim
    display : bool, default True
        Display the Markdown table in the notebook.

    Returns
    -------
    str
        The Markdown table.

    Examples
    --------
    A chapter shows this table before it measures anything (here printed
    rather than displayed):

    >>> import utacbook.claims as uc
    >>> claims = [
    ...     uc.Claim("demo.r2", source="guide", section="Quick start", text="R² > 0.7",
    ...              quantity="R² of the logistic fit", criterion=uc.Bound(lower=0.7), scope="L = 64"),
    ...     uc.Claim("demo.social", source="essay", section="iii", text="seen on Twitter",
    ...              quantity="modularity of real networks", criterion=None, needs="follower graphs")]
    >>> print(uc.criteria_table(claims, display=False))
    | source | the claim | we measure | criterion | conditions |
    |---|---|---|---|---|
    | guide, Quick start | “R² > 0.7” | R² of the logistic fit | ≥ 0.7 (within 2 standard errors) | L = 64 |
    | essay, iii | “seen on Twitter” | modularity of real networks | not testable here: needs follower graphs | — |
    """
    lines = ["| source | the claim | we measure | criterion | conditions |",
             "|---|---|---|---|---|"]
    for c in claims:
        crit = c.criterion.describe() if c.criterion is not None else f"not testable here: needs {c.needs}"
        lines.append("| " + " | ".join(_cell(x) for x in (
            _source_cell(c), f"“{c.text}”" if c.source != "ours" else c.text,
            c.quantity, crit, c.scope or "—")) + " |")
    text = "\n".join(lines)
    if display:
        _display_markdown(text)
    return text


def claims_table(judgements, *, glue=True, display=True):
    """Show judged claims beside what we measure, and glue them for the intro.

    For every judgement the keys ``claim.<id>.claim``, ``.verdict``,
    ``.finding``, ``.measured`` and ``.source`` are glued (in a notebook
    run by MyST-NB), so the intro's table pastes the chapter's computed
    verdicts and cannot disagree with them.

    Parameters
    ----------
    judgements : sequence of Judgement
    glue : bool, default True
        Glue the keys for the intro.
    display : bool, default True
        Display the Markdown table.

    Returns
    -------
    str
        The Markdown table.

    Notes
    -----
    ``show`` is another name for this function.

    Examples
    --------
    After the measurement, the judgements (here printed rather than displayed,
    and not glued, as outside a notebook):

    >>> import utacbook.claims as uc
    >>> claim = uc.Claim("demo.tc", source="ours", section="", text="T_c = 2.269", quantity="T_c",
    ...                  criterion=uc.Agreement(2.269, k=2), scope="L = 8, 32")
    >>> j = claim.judge([uc.Measurement(2.272, 0.010, condition="L = 32"),
    ...                  uc.Measurement(2.310, 0.010, condition="L = 8")])
    >>> print(uc.show([j], glue=False, display=False))  # doctest: +NORMALIZE_WHITESPACE
    | source | the claim | criterion | conditions | we measure | verdict | note |
    |---|---|---|---|---|---|---|
    | *ours* | T_c = 2.269 | agrees with 2.269 within 2 standard errors | L = 8, 32 |
      L = 32: 2.272 ± 0.010; L = 8: 2.310 ± 0.010 | **held with caveats**: holds at L = 32; fails at L = 8 |  |
    """
    js = list(judgements)
    for j in js:
        if not isinstance(j, Judgement):
            raise TypeError(f"judgements must come from Claim.judge(), got {type(j).__name__}")
    ids = [j.claim.id for j in js]
    if len(set(ids)) != len(ids):
        raise ValueError(f"claim ids must be unique, got duplicates in {ids}")
    lines = ["| source | the claim | criterion | conditions | we measure | verdict | note |",
             "|---|---|---|---|---|---|---|"]
    for j in js:
        c = j.claim
        crit = c.criterion.describe() if c.criterion is not None else "—"
        lines.append("| " + " | ".join(_cell(x) for x in (
            _source_cell(c), f"“{c.text}”" if c.source != "ours" else c.text, crit,
            c.scope or "—", j.measured_text(), j.verdict_text(), c.note)) + " |")
        if glue:
            base = f"claim.{c.id}"
            _glue(f"{base}.claim", c.text)
            _glue(f"{base}.verdict", j.verdict)
            _glue(f"{base}.finding", j.finding())
            _glue(f"{base}.measured", j.measured_text())
            _glue(f"{base}.source", c.source)
    text = "\n".join(lines)
    if display:
        _display_markdown(text)
    return text


show = claims_table


def _display_markdown(text):
    try:
        from IPython.display import Markdown, display
    except ImportError:  # pragma: no cover
        return
    display(Markdown(text))
