"""Numba kernels of the guide's "next steps": long-range coupling and quenched disorder (private).

The model is the guide's lattice model (``utacbook._kernels.abm``) with three
kinds of coupling and per-agent parameters.  An update of agent ``k`` draws
xi ~ N(0, 1) and sets

    sigma_k <- sigmoid(h_loc_k / T_k + xi),
    h_loc_k  = J_k * [ w_nn * (mean of the 4 lattice neighbours)
                     + w_lr * (mean of agent k's n_links random partners)
                     + w_mf * (mean of all N - 1 other agents) ] + h + dh_k,

with w_nn = 1 - w_lr - w_mf.  The per-agent parameters J_k = J + dJ * a_k,
dh_k = dh * b_k and T_k = T * exp(s * c_k) come from quenched standard normal
samples a, b, c (one set per replica, drawn on the Python side); the random
partners likewise.

Bit identity: with w_lr = w_mf = 0 and no disorder the kernel performs the
same draws and the same floating-point operations as ``abm._sequential_flat``
(the extra terms are exact zeros), so it returns the nearest-neighbour
kernel's lattices bit for bit (tests/kernels/test_abm_variants.py).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from utacbook._kernels.abm import _exp_glibc, _wrap_tables, random_lattice
from utacbook._kernels.rng import normal_after_reject, normal_first_try, pair_below_bits, xoshiro_step


@njit(cache=True, error_model="numpy")
def _variant_flat(flat, L, rows, cols, cnn, clr, cmf, hk, ninvT, partners, n_updates, st, total):
    """``n_updates`` random-sequential updates of the extended model; returns the new lattice sum.

    Per-site coefficients: ``cnn[k] = J_k w_nn / 4``, ``clr[k] = J_k w_lr / n_links``,
    ``cmf[k] = J_k w_mf / (N - 1)``, ``hk[k] = h + dh_k``, ``ninvT[k] = -1 / T_k``;
    ``partners`` has shape (N, n_links) (n_links may be 0).  ``total`` is the current
    lattice sum (needed by the all-to-all term, which uses ``total - sigma_k``).
    """
    Lu = np.uint64(L)
    one = np.uint64(1)
    n_links = partners.shape[1]
    s0 = st[0]
    s1 = st[1]
    s2 = st[2]
    s3 = st[3]
    for _ in range(n_updates):
        x, s0, s1, s2, s3 = xoshiro_step(s0, s1, s2, s3)
        i, j = pair_below_bits(x, Lu)
        r, s0, s1, s2, s3 = xoshiro_step(s0, s1, s2, s3)
        z, rabs, accepted = normal_first_try(r)
        if not accepted:
            st[0] = s0
            st[1] = s1
            st[2] = s2
            st[3] = s3
            z = normal_after_reject(st, r, rabs, z)
            s0 = st[0]
            s1 = st[1]
            s2 = st[2]
            s3 = st[3]
        row = i * Lu
        i2 = i + i
        j2 = j + j
        k = row + j
        old = flat[k]
        nsum = flat[rows[i2] + j] + flat[rows[i2 + one] + j] + flat[row + cols[j2]] + flat[row + cols[j2 + one]]
        lsum = 0.0
        for a in range(n_links):
            lsum += flat[partners[k, a]]
        extra = clr[k] * lsum + cmf[k] * (total - old)
        new = 1.0 / (1.0 + _exp_glibc(((cnn[k] * nsum + extra) + hk[k]) * ninvT[k] - z))
        flat[k] = new
        total += new - old
    st[0] = s0
    st[1] = s1
    st[2] = s2
    st[3] = s3
    return total


@njit(cache=True)
def _site_coefficients(J, h, T, w_lr, w_mf, dJ, dh, s, zJ, zh, zT, n_links, N):
    """Per-site coefficients of one run (see :func:`_variant_flat`); zJ, zh, zT: quenched N(0,1) samples."""
    w_nn = 1.0 - w_lr - w_mf
    cnn = np.empty(N)
    clr = np.empty(N)
    cmf = np.empty(N)
    hk = np.empty(N)
    ninvT = np.empty(N)
    inv_links = 1.0 / n_links if n_links > 0 else 0.0
    inv_other = 1.0 / (N - 1) if N > 1 else 0.0
    for k in range(N):
        Jk = J + dJ * zJ[k] if dJ != 0.0 else J
        cnn[k] = 0.25 * Jk * w_nn
        clr[k] = Jk * w_lr * inv_links
        cmf[k] = Jk * w_mf * inv_other
        hk[k] = h + dh * zh[k] if dh != 0.0 else h
        Tk = T * np.exp(s * zT[k]) if s != 0.0 else T
        ninvT[k] = -(1.0 / Tk)
    return cnn, clr, cmf, hk, ninvT


@njit(cache=True)
def run_variant(lat, J, h, T, w_lr, w_mf, dJ, dh, s, zJ, zh, zT, partners, n_sweeps, st, trace):
    """Run ``n_sweeps`` sweeps of L*L updates in place; the mean after each goes to ``trace``.

    The lattice sum is recomputed exactly at the start of every sweep (no drift of
    the running sum used by the all-to-all term); the trace is that running sum's
    mean, equal to ``abm.run_sweeps``'s trace to rounding.  Returns the final mean.
    """
    L = lat.shape[0]
    N = L * L
    rows, cols = _wrap_tables(L)
    cnn, clr, cmf, hk, ninvT = _site_coefficients(J, h, T, w_lr, w_mf, dJ, dh, s, zJ, zh, zT,
                                                  partners.shape[1], N)
    flat = lat.reshape(N)
    for sweep in range(n_sweeps):
        total = _variant_flat(flat, L, rows, cols, cnn, clr, cmf, hk, ninvT, partners, N, st, flat.sum())
        trace[sweep] = total / N
    return lat.sum() / N   # as abm.run_sweeps: the same final mean, bit for bit, in the nearest-neighbour case


@njit(cache=True, parallel=True)
def variant_jobs(J, h, T, replica, w_lr, w_mf, dJ, dh, s, zJ, zh, zT, partners, L, n_sweeps, init,
                 states, traces):
    """Independent runs in parallel; job ``k`` uses stream ``states[k]`` and the quenched
    samples ``zJ[replica[k]]``, ``zh[...]``, ``zT[...]``, ``partners[replica[k]]``.

    ``init < 0``: the job starts from a uniform random lattice drawn from its stream
    (as the guide's protocol); otherwise every site starts at ``init``.
    """
    n = J.shape[0]
    out = np.empty(n)
    for k in prange(n):
        st = states[k]
        r = replica[k]
        if init < 0.0:
            lat = random_lattice(L, st)
        else:
            lat = np.full((L, L), init)
        out[k] = run_variant(lat, J[k], h[k], T[k], w_lr, w_mf, dJ, dh, s, zJ[r], zh[r], zT[r], partners[r],
                             n_sweeps, st, traces[k])
    return out
