"""The extended agent-model kernel (long-range coupling, disorder) against exact references.

* With no long-range share, no all-to-all share and no disorder it must perform the
  nearest-neighbour kernel's draws and arithmetic: identical lattices, bit for bit.
* With every option on, a plain-Python transcription of the update (the same draws
  from the same stream, ``np.exp``) must give the same lattice to rounding.
* Results do not depend on the number of threads.
"""

import math

import numba
import numpy as np
import pytest

from utacbook._kernels import abm as K
from utacbook._kernels import abm_variants as KV
from utacbook._kernels.rng import make_streams, next_normal, next_pair_below
from utacbook.models import quenched_samples, scan_field, scan_field_extended


@pytest.mark.parametrize("seed, L, J, h, T", [(1, 64, 0.8, 0.0, 0.19), (2, 7, 1.3, -0.4, 0.5),
                                             (3, 2, 0.8, 0.3, 0.05), (4, 3, -1.0, 2.0, 3.0),
                                             (5, 16, 4.0, -2.0, 0.01)])
def test_no_option_is_the_nearest_neighbour_kernel_bit_for_bit(seed, L, J, h, T):
    st0 = make_streams(seed, 1)[0][0]
    lat0 = K.random_lattice(L, st0)
    tr0 = np.empty(4)
    m0 = K.run_sweeps(lat0, J, h, T, 4, K.RULE_SEQUENTIAL, st0, tr0)
    st = make_streams(seed, 1)[0][0]
    lat2 = K.random_lattice(L, st)
    p, a, b, c = quenched_samples(seed, 0, L * L)
    tr2 = np.empty(4)
    m2 = KV.run_variant(lat2, J, h, T, 0.0, 0.0, 0.0, 0.0, 0.0, a, b, c, p, 4, st, tr2)
    np.testing.assert_array_equal(lat2, lat0)
    assert m2 == m0
    np.testing.assert_allclose(tr2, tr0, rtol=0, atol=1e-12)   # running sums, summed in another order


def test_scan_without_options_equals_scan_field():
    h = np.linspace(-1.5, 1.0, 5)
    a = scan_field([0.5, 0.9], 0.2, h[:, None], lattice_size=12, n_steps=6, n_replicas=3, seed=42)
    b = scan_field_extended([0.5, 0.9], 0.2, h[:, None], lattice_size=12, n_steps=6, n_replicas=3, seed=42)
    np.testing.assert_array_equal(a["sigma"], b["sigma"])


def _python_update(flat, L, k, z, J, h, T, w_lr, w_mf, dJ, dh, s, a, b, c, p):
    i, j = divmod(k, L)
    nn = (flat[((i + 1) % L) * L + j] + flat[((i - 1) % L) * L + j] + flat[i * L + (j + 1) % L]
          + flat[i * L + (j - 1) % L]) / 4
    lr = flat[p[k]].mean() if p.shape[1] else 0.0
    mf = (flat.sum() - flat[k]) / (L * L - 1)
    Jk = J + dJ * a[k]
    Tk = T * math.exp(s * c[k])
    x = (Jk * ((1 - w_lr - w_mf) * nn + w_lr * lr + w_mf * mf) + h + dh * b[k]) / Tk + z
    flat[k] = 1.0 / (1.0 + math.exp(-x))


@pytest.mark.parametrize("L, n_links", [(5, 3), (6, 1)])
def test_every_option_matches_a_python_transcription(L, n_links):
    J, h, T = 0.9, -0.3, 0.4
    opts = dict(w_lr=0.3, w_mf=0.25, dJ=0.2, dh=0.3, s=0.4)
    seed = 9
    N = L * L
    p, a, b, c = quenched_samples(seed, 0, N, n_links=n_links)
    st = make_streams(seed, 1)[0][0]
    lat = K.random_lattice(L, st)
    ref = lat.copy().ravel()
    st_ref = st.copy()
    trace = np.empty(2)
    KV.run_variant(lat, J, h, T, opts["w_lr"], opts["w_mf"], opts["dJ"], opts["dh"], opts["s"], a, b, c, p,
                   2, st, trace)
    for _ in range(2 * N):
        i, j = next_pair_below(st_ref, L)
        z = next_normal(st_ref)
        _python_update(ref, L, i * L + j, z, J, h, T, opts["w_lr"], opts["w_mf"], opts["dJ"], opts["dh"],
                       opts["s"], a, b, c, p)
    np.testing.assert_allclose(lat.ravel(), ref, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(st, st_ref)          # the same number of draws


def test_same_result_at_one_and_two_threads():
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("numba has fewer than 2 threads available")
    kw = dict(lattice_size=16, n_steps=8, n_replicas=3, long_range=0.3, n_links=5, global_coupling=0.2,
              field_disorder=0.3, coupling_disorder=0.1, noise_disorder=0.2, seed=77)
    n0 = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = scan_field_extended(1.0, 0.2, np.linspace(-1, 0, 5), **kw)
        numba.set_num_threads(2)
        two = scan_field_extended(1.0, 0.2, np.linspace(-1, 0, 5), **kw)
    finally:
        numba.set_num_threads(n0)
    np.testing.assert_array_equal(one["sigma"], two["sigma"])
