"""Numba kernels of the square-lattice q-state Potts engine (private; see :mod:`utacbook.studies.ising.limits`).

Model: states sigma_i in {0, ..., q-1} (int8) on a periodic L x L lattice,
H = -J sum_<ij> delta(sigma_i, sigma_j), each bond counted once.  The kernels
keep exact integer counters: the number of satisfied bonds
B = sum_<ij> delta(sigma_i, sigma_j) and the occupation n_k of every state k,
so E = -J B and the order parameter are known after every sweep.

Checkerboard heat-bath, as in :mod:`utacbook._kernels.ising`: a sweep updates
all sites with (i + j) even, then all with (i + j) odd.  Sites of one colour
do not interact, so rows of one colour are updated in parallel; row ``i``
always draws from stream ``states[i]``, so a seed gives the same run at any
thread count and with either driver.  A heat-bath update draws the new state
k with probability exp(beta J c_k) / sum_l exp(beta J c_l), where c_k is the
number of the four neighbours in state k (one uniform number per site,
inverted on the cumulative weights; weights come from the table
w[c] = exp(beta J c), c = 0..4).  Each row writes its change of B and of the
occupations into its own slot; these are summed serially.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from utacbook._kernels.rng import next_double


@njit(cache=True)
def random_states(L, q, st):
    """Uniform random Potts states 0..q-1 (int8) from stream ``st``."""
    s = np.empty((L, L), dtype=np.int8)
    for i in range(L):
        for j in range(L):
            k = np.int64(next_double(st) * q)
            if k >= q:
                k = q - 1
            s[i, j] = k
    return s


@njit(cache=True)
def counters(spins, q):
    """Satisfied-bond count B (each bond once) and occupations n_k, as int64."""
    L = spins.shape[0]
    B = np.int64(0)
    n = np.zeros(q, dtype=np.int64)
    for i in range(L):
        ip = i + 1 if i + 1 < L else 0
        for j in range(L):
            jp = j + 1 if j + 1 < L else 0
            s = spins[i, j]
            n[s] += 1
            if spins[ip, j] == s:
                B += 1
            if spins[i, jp] == s:
                B += 1
    return B, n


@njit(cache=True, inline="always")
def _update_row(spins, i, colour, L, q, w, st, cnt, dn):
    """Heat-bath update of the sites of one colour in row i; return dB, add to dn."""
    up = spins[i - 1 if i > 0 else L - 1]
    down = spins[i + 1 if i + 1 < L else 0]
    row = spins[i]
    dB = np.int64(0)
    for j in range((i + colour) & 1, L, 2):
        jl = j - 1 if j > 0 else L - 1
        jr = j + 1 if j + 1 < L else 0
        for k in range(q):
            cnt[k] = 0
        cnt[up[j]] += 1
        cnt[down[j]] += 1
        cnt[row[jl]] += 1
        cnt[row[jr]] += 1
        z = 0.0
        for k in range(q):
            z += w[cnt[k]]
        u = next_double(st) * z
        new = q - 1
        acc = 0.0
        for k in range(q):
            acc += w[cnt[k]]
            if u < acc:
                new = k
                break
        old = row[j]
        if new != old:
            dB += cnt[new] - cnt[old]
            dn[old] -= 1
            dn[new] += 1
            row[j] = np.int8(new)
    return dB


@njit(cache=True, inline="always")
def _fill_weights(w, beta, J):
    for c in range(5):
        w[c] = np.exp(beta * J * c)


@njit(cache=True, inline="always")
def _order(n, q, N):
    mx = n[0]
    for k in range(1, q):
        if n[k] > mx:
            mx = n[k]
    return (q * mx / N - 1.0) / (q - 1.0)


@njit(cache=True)
def run_heatbath_serial(spins, q, beta, J, n_burn, states, e_out, m_out):
    """``n_burn`` + ``len(e_out)`` checkerboard heat-bath sweeps, one row at a time.

    After each post-burn-in sweep the energy per spin -J B / N and the order
    parameter (q max_k n_k / N - 1)/(q - 1) are written.  Gives exactly the
    same run as :func:`run_heatbath_parallel`.  Returns (B, n).
    """
    L = spins.shape[0]
    N = L * L
    B, n = counters(spins, q)
    w = np.empty(5)
    _fill_weights(w, beta, J)
    cnt = np.zeros(q, dtype=np.int64)
    n_total = n_burn + e_out.shape[0]
    for t in range(n_total):
        for colour in range(2):
            for i in range(L):
                B += _update_row(spins, i, colour, L, q, w, states[i], cnt, n)
        if t >= n_burn:
            e_out[t - n_burn] = -J * B / N
            m_out[t - n_burn] = _order(n, q, N)
    return B, n


@njit(cache=True, parallel=True)
def run_heatbath_parallel(spins, q, beta, J, n_burn, states, e_out, m_out):
    """As :func:`run_heatbath_serial`, rows of one colour in parallel (prange)."""
    L = spins.shape[0]
    N = L * L
    B, n = counters(spins, q)
    w = np.empty(5)
    _fill_weights(w, beta, J)
    cnt = np.zeros((L, q), dtype=np.int64)
    dn = np.zeros((L, q), dtype=np.int64)
    dB = np.zeros(L, dtype=np.int64)
    n_total = n_burn + e_out.shape[0]
    for t in range(n_total):
        for colour in range(2):
            for i in prange(L):
                for k in range(q):
                    dn[i, k] = 0
                dB[i] = _update_row(spins, i, colour, L, q, w, states[i], cnt[i], dn[i])
            for i in range(L):  # serial reduction (exact integers)
                B += dB[i]
                for k in range(q):
                    n[k] += dn[i, k]
        if t >= n_burn:
            e_out[t - n_burn] = -J * B / N
            m_out[t - n_burn] = _order(n, q, N)
    return B, n
