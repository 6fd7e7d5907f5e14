"""The faster random-sequential kernel of the agent model gives the same states, bit for bit.

``benchmarks/reference_abm_kernel.py`` holds the kernel as it was shipped
before issue 13 (plain loop over ``next_pair_below``, ``next_normal`` and a
sigmoid calling ``np.exp``).  ``utacbook._kernels.abm`` now keeps the stream
state in registers, reads neighbours from wrap tables and evaluates exp
inline (``_exp_glibc``, glibc's algorithm).  For several seeds, couplings,
fields, noise levels and lattice sizes (odd ones and L = 2, 3 included) the
lattices, traces, returned sums and stream states must be identical, and
the pieces (normal deviates, exp) must reproduce what they replace.
"""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
from numba import njit

from utacbook._kernels import abm as K
from utacbook._kernels.rng import (make_streams, next_normal, normal_after_reject, normal_first_try, xoshiro_step)

_NAME = "reference_abm_kernel"  # one module name everywhere: Numba's cache records it
_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / f"{_NAME}.py"
if _NAME not in sys.modules:
    _spec = importlib.util.spec_from_file_location(_NAME, _PATH)
    sys.modules[_NAME] = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(sys.modules[_NAME])
R = sys.modules[_NAME]

# (seed, L, J, h, T): the Quick Start point, odd and tiny lattices, negative J,
# |x| beyond 509 (exp falls back to np.exp, with 0 and inf results), large T
CASES = [
    (1, 64, 0.8, 0.0, 0.19),
    (2, 7, 1.3, -0.4, 0.5),
    (3, 2, 0.8, 0.3, 0.05),
    (4, 3, -1.0, 2.0, 3.0),
    (5, 33, 4.0, -2.0, 0.01),
    (6, 16, 0.8, 2.0, 1e-3),
    (7, 5, 2.0, -1.5, 2e-3),
    (8, 12, 0.8, -0.3, 40.0),
]


def _same(a, b):
    return np.array_equal(np.asarray(a).view(np.uint64), np.asarray(b).view(np.uint64))


@pytest.mark.parametrize("seed, L, J, h, T", CASES)
def test_run_sweeps_identical_to_reference(seed, L, J, h, T):
    st_ref, _ = make_streams(seed, 1)
    st_new = st_ref.copy()
    lat_ref = R.random_lattice(L, st_ref[0])
    lat_new = K.random_lattice(L, st_new[0])
    assert _same(lat_ref, lat_new)
    n = 6
    tr_ref, tr_new = np.empty(n), np.empty(n)
    m_ref = R.run_sweeps(lat_ref, J, h, T, n, R.RULE_SEQUENTIAL, st_ref[0], tr_ref)
    m_new = K.run_sweeps(lat_new, J, h, T, n, K.RULE_SEQUENTIAL, st_new[0], tr_new)
    assert _same(lat_ref, lat_new) and _same(tr_ref, tr_new) and _same(m_ref, m_new)
    assert np.array_equal(st_ref, st_new)
    # then single updates in a number that is not a whole sweep, on the same lattices
    d_ref = R.random_updates(lat_ref, J, h, T, 3 * L * L + 5, st_ref[0])
    d_new = K.random_updates(lat_new, J, h, T, 3 * L * L + 5, st_new[0])
    assert _same(d_ref, d_new) and _same(lat_ref, lat_new) and np.array_equal(st_ref, st_new)
    assert K.random_updates(lat_new, J, h, T, 0, st_new[0]) == 0.0 and np.array_equal(st_ref, st_new)


def test_non_contiguous_lattice_identical():
    """A lattice that is a strided view is updated in place, as by the reference."""
    st_ref, _ = make_streams(11, 1)
    st_new = st_ref.copy()
    base_ref = np.asfortranarray(R.random_lattice(9, st_ref[0]))
    base_new = np.asfortranarray(K.random_lattice(9, st_new[0]))
    assert not base_new.flags.c_contiguous
    d_ref = R.random_updates(base_ref, 0.8, 0.1, 0.3, 500, st_ref[0])
    d_new = K.random_updates(base_new, 0.8, 0.1, 0.3, 500, st_new[0])
    assert _same(d_ref, d_new) and _same(base_ref, base_new) and np.array_equal(st_ref, st_new)


def test_scan_jobs_identical_to_reference():
    """The batch runner (fresh lattice per job, run_sweeps inside a prange) gives the reference's traces."""
    J = np.array([0.8, 0.8, -0.5, 1.6])
    h = np.array([-1.0, 0.25, 0.0, 2.0])
    T = np.array([0.19, 0.19, 0.7, 0.05])
    L, n = 10, 4
    states, _ = make_streams(5, len(J))
    ref_states = states.copy()
    traces = np.empty((len(J), n))
    out = K.scan_jobs(J, h, T, L, n, K.RULE_SEQUENTIAL, states, traces)
    for k in range(len(J)):
        lat = R.random_lattice(L, ref_states[k])
        tr = np.empty(n)
        m = R.run_sweeps(lat, J[k], h[k], T[k], n, R.RULE_SEQUENTIAL, ref_states[k], tr)
        assert _same(m, out[k]) and _same(tr, traces[k])
    assert np.array_equal(states, ref_states)


@njit(cache=True)
def _normals_both_ways(st_a, st_b, n):
    """n deviates from next_normal(st_a) and from the register-state path on st_b; counts of slow paths."""
    a = np.empty(n)
    b = np.empty(n)
    slow = 0
    tail = 0
    s0, s1, s2, s3 = st_b[0], st_b[1], st_b[2], st_b[3]
    for k in range(n):
        a[k] = next_normal(st_a)
        r, s0, s1, s2, s3 = xoshiro_step(s0, s1, s2, s3)
        z, rabs, accepted = normal_first_try(r)
        if not accepted:
            slow += 1
            tail += (r & np.uint64(0xFF)) == 0
            st_b[0], st_b[1], st_b[2], st_b[3] = s0, s1, s2, s3
            z = normal_after_reject(st_b, r, rabs, z)
            s0, s1, s2, s3 = st_b[0], st_b[1], st_b[2], st_b[3]
        b[k] = z
    st_b[0], st_b[1], st_b[2], st_b[3] = s0, s1, s2, s3
    return a, b, slow, tail


def test_register_state_normals_identical():
    st_a, _ = make_streams(3, 1)
    st_b = st_a.copy()
    a, b, slow, tail = _normals_both_ways(st_a[0], st_b[0], 400_000)
    assert _same(a, b) and np.array_equal(st_a, st_b)
    assert slow > 1000 and tail > 10  # both the wedge and the tail branches were exercised


@njit(cache=True)
def _exp_mismatches(x):
    bad = 0
    for k in range(x.shape[0]):
        if K._bits(K._exp_glibc(x[k])) != K._bits(np.exp(x[k])):
            bad += 1
    return bad


def test_exp_glibc_bits_equal_np_exp():
    """_exp_glibc returns np.exp's bits (glibc's exp, x86-64 FMA build, as on the machines that made the book)."""
    rng = np.random.default_rng(2024)
    parts = [rng.normal(0.0, s, 1_000_000) for s in (1e-6, 0.1, 1.0, 5.0, 30.0, 300.0)]
    parts.append(rng.uniform(-520.0, 520.0, 1_000_000))
    parts.append(rng.integers(0, 2**63, 1_000_000, dtype=np.int64).view(np.float64))  # every exponent, NaNs
    tiny = 2.0 ** -54
    special = [0.0, -0.0, 5e-324, -5e-324, 1e-300, -1e-300, tiny, -tiny, np.nextafter(tiny, 0), -np.nextafter(tiny, 0),
               np.nextafter(tiny, 1), 508.9, -508.9, 509.1, -509.1, 511.99, 512.0, -512.0, 709.78, 709.79, -708.4,
               -745.1, -745.2, 1e4, -1e4, np.inf, -np.inf, np.nan]
    x = np.concatenate(parts + [np.array(special), -parts[-1]])
    assert _exp_mismatches(x) == 0
