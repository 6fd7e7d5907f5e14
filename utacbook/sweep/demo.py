"""Small task functions for trying the sweep engine, its tests and its benchmark.

Each is an importable function of keyword arguments and a ``seed`` that returns
a dict of numbers or fixed-shape arrays, as :func:`utacbook.sweep.run` expects.
"""

from __future__ import annotations

import time

import numpy as np

__all__ = ["noisy_mean", "sleepy", "spin"]


def noisy_mean(*, mu=0.0, n=100, seed=0):
    """Mean and standard error of ``n`` Gaussian draws with mean ``mu`` and unit variance.

    Parameters
    ----------
    mu : float
    n : int >= 2
    seed : int >= 0

    Returns
    -------
    dict
        ``mean``, ``sem`` (floats) and ``n`` (int).

    Examples
    --------
    >>> from utacbook.sweep.demo import noisy_mean
    >>> r = noisy_mean(mu=1.0, n=10_000, seed=3)
    >>> abs(r["mean"] - 1.0) < 5 * r["sem"]
    True
    """
    n = int(n)
    if n < 2:
        raise ValueError(f"n must be >= 2, got {n}")
    x = mu + np.random.default_rng(seed).standard_normal(n)
    return {"mean": float(x.mean()), "sem": float(x.std(ddof=1) / np.sqrt(n)), "n": n}


def sleepy(*, x=0.0, delay=0.01, seed=0):
    """Sleep ``delay`` seconds, then return ``x**2`` plus a small seeded noise and a length-3 array.

    A stand-in for a task of known duration (scheduler overhead, kill-and-resume tests).

    Examples
    --------
    >>> from utacbook.sweep.demo import sleepy
    >>> sorted(sleepy(x=2.0, delay=0.0, seed=1))
    ['trace', 'y']
    """
    time.sleep(float(delay))
    rng = np.random.default_rng(seed)
    return {"y": float(x) ** 2 + 1e-3 * rng.standard_normal(), "trace": rng.random(3)}


def spin(*, x=0.0, seconds=0.01, seed=0):
    """Busy-compute for about ``seconds`` of CPU (a CPU-bound task of known length), return a checksum.

    Examples
    --------
    >>> from utacbook.sweep.demo import spin
    >>> spin(x=1.0, seconds=0.0, seed=2)["y"] == spin(x=1.0, seconds=0.0, seed=2)["y"]
    True
    """
    rng = np.random.default_rng(seed)
    acc = float(x)
    t_end = time.perf_counter() + float(seconds)
    a = rng.random(4096)
    while time.perf_counter() < t_end:
        acc += float(np.sin(a).sum()) * 1e-9
    if acc != acc:  # pragma: no cover - keeps the loop's work from being optimised away
        raise ArithmeticError("NaN")
    return {"y": float(x) + float(rng.standard_normal())}
