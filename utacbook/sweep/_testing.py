"""Task functions that misbehave on purpose, for the sweep engine's tests (private)."""

from __future__ import annotations

import os

import numpy as np


def inconsistent(*, x, mode, seed=0):
    """Fine for x < 2; at x == 2 break the contract as ``mode`` says (x == 3 is never reached)."""
    if x < 2:
        return {"a": np.zeros(3), "b": float(x)}
    if mode == "keys":
        return {"a": np.zeros(3), "c": float(x)}
    if mode == "shape":
        return {"a": np.zeros(4), "b": float(x)}
    if mode == "type":
        return {"a": "text", "b": float(x)}
    if mode == "notdict":
        return [float(x)]
    raise RuntimeError("boom")


def fail_if_flag(*, x, flag, seed=0):
    """``x`` and a seeded draw; raises at x == 1.0 while the file ``flag`` exists."""
    if x == 1.0 and os.path.exists(flag):
        raise RuntimeError(f"flag {flag} is set")
    return {"y": float(x) + float(np.random.default_rng(seed).standard_normal())}
