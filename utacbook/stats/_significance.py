"""Significance of many comparisons against exact results.

Deviations ``z = (measured - exact) / sigma`` of independent runs, summarised
by their chi-square and the Šidák-corrected largest ``|z|`` (:func:`z_stats`,
:func:`z_measurements`, :func:`consistency_stats`), the Šidák bound
:func:`sidak_k`, and :func:`p_value_floor` for p-values below what a finite
number of runs can resolve.  The test levels :data:`ALPHA_TEST` and
:data:`ALPHA_CHECK` are the book's.
"""

from __future__ import annotations

import math

import numpy as np

from utacbook import _validate as v

__all__ = ['ALPHA_TEST', 'ALPHA_CHECK', 'sidak_k', 'p_value_floor', 'z_stats', 'z_measurements', 'consistency_stats']


# --------------------------------------------------------------------------- 7. claims


#: significance level of each of the two tests of one check (χ² and largest ``|z|``): a correct
#: engine fails a check by chance with probability at most 2 x ALPHA_TEST = 1 %
ALPHA_TEST = 0.005

#: chance level of one check (both tests together)
ALPHA_CHECK = 2 * ALPHA_TEST


def sidak_k(n, alpha=ALPHA_CHECK):
    """The ``|z|`` bound that n independent standard normal deviates all stay within, with prob. 1 - alpha.

    Šidák's correction for n comparisons: each comparison is tested at the
    two-sided level :math:`1 - (1 - \\alpha)^{1/n}`.

    Examples
    --------
    >>> from utacbook.stats import sidak_k
    >>> round(sidak_k(1, 0.05), 3)
    1.96
    """
    from scipy.stats import norm
    n = v.integer("n", n, low=1)
    alpha = v.real("alpha", alpha, positive=True)
    if alpha >= 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
    a1 = -math.expm1(math.log1p(-alpha) / n)
    return float(norm.isf(a1 / 2))


def z_stats(zs):
    """Summary of a group of deviations z (the finite ones).

    Returns
    -------
    dict
        ``n``, ``chi2`` (:math:`\\sum z^2`), ``p_chi2`` (its p-value for n
        degrees of freedom: the comparisons are independent runs),
        ``max_abs_z`` and ``p_max`` (the Šidák-corrected p-value of the largest
        ``|z|`` among n: the chance that n standard normal deviates reach it).

    Examples
    --------
    Non-finite entries are ignored; for one deviation of 1.96 both p-values are 0.05:

    >>> import numpy as np
    >>> from utacbook.stats import z_stats
    >>> st = z_stats([0.0, 1.0, -2.0, np.nan])
    >>> st["n"], st["chi2"], st["max_abs_z"]
    (3, 5.0, 2.0)
    >>> round(st["p_chi2"], 4), round(st["p_max"], 4)      # p_max = 1 - (1 - 0.0455)**3
    (0.1718, 0.1304)
    >>> st = z_stats([1.959964])
    >>> round(st["p_chi2"], 4), round(st["p_max"], 4)
    (0.05, 0.05)
    """
    from scipy.stats import chi2 as _chi2, norm
    try:
        arr = np.asarray(zs, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"zs must be an array of real numbers ({exc})") from None
    zs = np.asarray([z for z in np.ravel(arr) if np.isfinite(z)])
    n = zs.size
    if n == 0:
        raise ValueError("zs holds no finite deviations to summarise")
    chi2 = float(np.sum(zs ** 2))
    zmax = float(np.max(np.abs(zs)))
    p1 = float(2 * norm.sf(zmax))
    p_max = float(-math.expm1(n * math.log1p(-p1))) if p1 < 1 else 1.0
    return {"n": n, "chi2": chi2, "p_chi2": float(_chi2.sf(chi2, n)), "max_abs_z": zmax,
            "p_max": p_max}


def z_measurements(zs):
    """The two tests of one check as :class:`utacbook.claims.Measurement` p-values.

    Conditions ``"χ² of n deviations"`` and ``"largest |z| of n"``; judged
    with ``Bound(lower=ALPHA_TEST, k=0)``.

    Examples
    --------
    >>> from utacbook.stats import z_measurements
    >>> chi2_test, max_test = z_measurements([0.5, -1.0, 2.0])
    >>> chi2_test.condition, chi2_test.text
    ('χ² of 3 deviations', '5.2 (p = 0.15)')
    >>> max_test.condition, max_test.text
    ('largest |z| of 3', '2.00 (Šidák p = 0.13)')
    >>> round(max_test.value, 4)          # the p-value is the measured value
    0.1304
    """
    from utacbook.claims import Measurement
    st = z_stats(zs)
    n = st["n"]
    return [Measurement(st["p_chi2"], condition=f"χ² of {n} deviations",
                        text=f"{st['chi2']:.1f} (p = {st['p_chi2']:.2g})"),
            Measurement(st["p_max"], condition=f"largest |z| of {n}",
                        text=f"{st['max_abs_z']:.2f} (Šidák p = {st['p_max']:.2g})")]


def consistency_stats(values, errors):
    """χ² of independent estimates of one quantity about their weighted mean.

    Returns
    -------
    dict
        ``mean``, ``chi2``, ``dof`` (= n - 1), ``p`` and ``z`` (each
        estimate's deviation from the weighted mean in its own error).

    Examples
    --------
    Two estimates 1 +- 1 and 3 +- 1: weighted mean 2, each one error away from it, so
    chi2 = 2 for one degree of freedom:

    >>> from utacbook.stats import consistency_stats
    >>> st = consistency_stats([1.0, 3.0], [1.0, 1.0])
    >>> st["mean"], st["chi2"], st["dof"], round(st["p"], 4), st["z"].tolist()
    (2.0, 2.0, 1, 0.1573, [-1.0, 1.0])
    """
    from scipy.stats import chi2 as _chi2
    x = v.real_array("values", values, ndim=1, min_len=2)
    e = v.real_array("errors", errors, ndim=1)
    if e.shape != x.shape or np.any(e <= 0):
        raise ValueError("errors must be > 0, one per value")
    w = 1.0 / e ** 2
    mean = float(np.sum(w * x) / np.sum(w))
    z = (x - mean) / e
    chi2 = float(np.sum(z ** 2))
    dof = x.size - 1
    return {"mean": mean, "chi2": chi2, "dof": dof, "p": float(_chi2.sf(chi2, dof)), "z": z}


def p_value_floor():
    """Bound(lower=ALPHA_TEST, k=0) on p-values, described as such in the tables.

    Examples
    --------
    The criterion of a claim whose measurements are the two p-values of
    :func:`z_measurements`:

    >>> import utacbook.claims as uc
    >>> from utacbook.stats import p_value_floor, z_measurements
    >>> floor = p_value_floor()
    >>> floor.describe()
    'each p-value ≥ 0.005 (a correct engine fails by chance with probability ≤ 1%)'
    >>> c = uc.Claim("demo.engine", source="ours", section="", text="the engine matches the exact results",
    ...              quantity="p-values of the deviations", criterion=floor)
    >>> c.judge(z_measurements([0.5, -1.0, 2.0])).verdict
    'held'
    >>> c.judge(z_measurements([0.5, -1.0, 6.0])).verdict        # a 6-sigma deviation
    'not reproduced'
    """
    from utacbook.claims import Bound

    class PValueFloor(Bound):
        def describe(self):
            return (f"each p-value ≥ {ALPHA_TEST:g} (a correct engine fails by chance with "
                    f"probability ≤ {ALPHA_CHECK:.0%})")

    return PValueFloor(lower=ALPHA_TEST, k=0)
