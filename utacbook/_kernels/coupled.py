"""Numba kernels of the coupled multiscale model (private; see :class:`utacbook.models.CoupledGovernmentModel`).

Migration.  Citizen ``i`` considers a move with probability
``mu * (1 - s_i)``; a citizen who considers one picks a uniformly random
neighbour ``c'`` of its community ``c`` on the community graph (CSR arrays
``nbr_ptr``, ``nbr_idx``) and moves if ``sbar[c'] > sbar[c]`` and ``c`` keeps
at least ``min_size`` members.  The pass is serial, in citizen order, on one
xoshiro256** stream of its own, so a seed gives the same moves at any number
of threads.  Candidates are found by geometric skipping: the gap to the next
citizen with a first-stage success (probability ``mu``) is drawn directly, and
the candidate then passes the second stage with probability ``1 - s_i``, so the
pass costs O(mu N) draws, not O(N).
"""

from __future__ import annotations

import math

from numba import njit

from utacbook._kernels.rng import next_double


@njit(cache=True)
def migrate(comm, s, wealth, sbar, nbr_ptr, nbr_idx, size, wsum, mu, min_size, directed, state):
    """One migration pass in place; returns the number of moves.

    Parameters
    ----------
    comm : int64[N]  community of each citizen (updated)
    s : float64[N]  satisfactions
    wealth : float64[N]  effective wealth (moves with the citizen)
    sbar : float64[C]  community mean satisfactions (of the previous step)
    nbr_ptr : int64[C + 1], nbr_idx : int64[E]  the community graph (CSR)
    size : int64[C]  community sizes (updated)
    wsum : float64[C]  community wealth sums (updated)
    mu : float in (0, 1]  first-stage probability
    min_size : int >= 1  a move never leaves a community with fewer members
    directed : bool  move iff the neighbour's mean is higher (True) or with probability 1/2 (False, the null)
    state : uint64[16]  the stream
    """
    n = comm.shape[0]
    moves = 0
    if mu <= 0.0:
        return 0
    if mu >= 1.0:
        log_q = 0.0
    else:
        log_q = math.log1p(-mu)
    i = -1
    while True:
        # skip to the next first-stage success: gap ~ Geometric(mu) on {0, 1, ...}
        if log_q == 0.0:
            gap = 0
        else:
            u = next_double(state)
            g = math.floor(math.log1p(-u) / log_q)
            if g >= n:
                break
            gap = int(g)
        i += gap + 1
        if i >= n:
            break
        if next_double(state) >= 1.0 - s[i]:
            continue
        c = comm[i]
        a = nbr_ptr[c]
        k = nbr_ptr[c + 1] - a
        if k == 0:
            continue
        c2 = nbr_idx[a + int(next_double(state) * k)]
        if directed:
            better = sbar[c2] > sbar[c]
        else:
            better = next_double(state) < 0.5
        if better and size[c] > min_size:
            comm[i] = c2
            size[c] -= 1
            size[c2] += 1
            w = wealth[i]
            wsum[c] -= w
            wsum[c2] += w
            moves += 1
    return moves
