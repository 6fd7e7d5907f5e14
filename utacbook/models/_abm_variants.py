r"""The guide's agent model with its "next steps": long-range coupling and spatial heterogeneity.

Model
-----
The lattice model of :mod:`utacbook.models` (the RG-Phase-2 guide) with the
local field of agent :math:`k` generalised to

.. math::

    h^{\text{loc}}_k = J_k \Big[ (1 - w_{lr} - w_{mf})\, \frac14 \sum_{l \sim k} \sigma_l
        + w_{lr}\, \frac{1}{n} \sum_{a=1}^{n} \sigma_{p_{k,a}}
        + w_{mf}\, \frac{1}{N-1} \sum_{l \ne k} \sigma_l \Big] + h + \Delta_h\, b_k,
    \qquad
    \sigma_k \leftarrow \mathrm{sigmoid}\big(h^{\text{loc}}_k / T_k + \xi\big),

with :math:`J_k = J + \Delta_J a_k` and :math:`T_k = T e^{s c_k}`.  Here
:math:`l \sim k` are the four lattice neighbours, :math:`p_{k,1..n}` are
``n_links`` partners of agent :math:`k` drawn uniformly, with replacement,
from the other :math:`N - 1` agents (directed: :math:`k` listens to them), and
:math:`a_k, b_k, c_k` are independent standard normal numbers.  Partners and
:math:`a, b, c` are *quenched*: drawn once per replica and kept for every field
of that replica's scan.  One sweep is :math:`N = L^2` random-sequential
updates, exactly as in the guide's model.

Special cases: ``long_range = global_coupling = 0`` and no disorder is the
guide's model (the kernel then returns :func:`~utacbook.models.scan_field`'s
lattices bit for bit); ``global_coupling = 1`` is all-to-all coupling, where
mean field is exact as :math:`N \to \infty`; ``long_range = p`` with ``n_links``
partners interpolates between the lattice and a random (small-world-like)
network; ``field_disorder > 0`` is a random-field model (Imry–Ma).
"""

from __future__ import annotations

import numbers

import numpy as np

from utacbook import _validate as v
from utacbook._kernels import abm_variants as KV
from utacbook._kernels.rng import make_streams
from utacbook.models._abm import (
    ScanResult, _batches, _check_flag, _check_memory, _check_overflow, _check_progress, _check_seed, _run_args,
    _scan_nbytes, _scan_points,
)

__all__ = ["scan_field_extended", "quenched_samples"]

#: the spawn-key word that marks the quenched samples' seed sequence (never a stream index of make_streams)
_QUENCHED_KEY = 0xFFFFFFFF


def _quenched_seq(entropy, replica):
    """SeedSequence of replica ``replica``'s quenched samples: disjoint from the dynamics streams,
    which are the children ``(k,)`` of the root (:func:`~utacbook._kernels.rng.make_streams`)."""
    if isinstance(entropy, tuple):
        ent, key = entropy
    else:
        ent, key = entropy, ()
    return np.random.SeedSequence(ent, spawn_key=tuple(key) + (_QUENCHED_KEY, int(replica)))


def quenched_samples(seed, replica, N, *, n_links=0):
    """The quenched randomness of one replica: partners and the three normal samples.

    Parameters
    ----------
    seed : int or tuple
        The root seed of a :func:`scan_field_extended` call (its ``res["seed"]``).
    replica : int
        Replica index, >= 0.
    N : int
        Number of agents L*L, >= 2.
    n_links : int, default 0
        Random partners per agent.

    Returns
    -------
    partners : ndarray of int64, shape (N, n_links)
        Partner indices (flat, row-major sites), never the agent itself.
    a, b, c : ndarray, shape (N,)
        Standard normal samples of the coupling, field and noise disorder.

    Examples
    --------
    >>> from utacbook.models import quenched_samples
    >>> p, a, b, c = quenched_samples(7, 0, 16, n_links=3)
    >>> p.shape, bool((p != np.arange(16)[:, None]).all())
    ((16, 3), True)
    """
    rng = np.random.default_rng(_quenched_seq(seed, replica))
    a = rng.standard_normal(N)
    b = rng.standard_normal(N)
    c = rng.standard_normal(N)
    if n_links > 0:
        p = rng.integers(0, N - 1, size=(N, n_links))
        p += p >= np.arange(N)[:, None]          # skip the agent itself: uniform on the other N - 1
    else:
        p = np.zeros((N, 0), dtype=np.int64)
    return p.astype(np.int64), a, b, c


def _unit(name, value):
    x = v.real(name, value)
    if not 0.0 <= x <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {x!r}")
    return x


def scan_field_extended(J, T, h_values, *, lattice_size=64, n_steps=100, n_replicas=1,
                        long_range=0.0, n_links=4, global_coupling=0.0,
                        field_disorder=0.0, coupling_disorder=0.0, noise_disorder=0.0,
                        initial="random", seed=None, return_traces=False, progress=None):
    r"""The guide's scan protocol for the model with long-range coupling and/or quenched disorder.

    Every (replica, point) is an independent run of ``n_steps`` random-sequential
    sweeps with its own random stream; all points of a replica share that replica's
    quenched partners and disorder (so each replica's curve is one sample of the
    disordered system).  See the module docstring for the equations.

    Parameters
    ----------
    J, T : float or array_like
        Mean coupling and median noise (T > 0), broadcast against ``h_values``
        as in :func:`~utacbook.models.scan_field`.
    h_values : array_like
        Uniform external fields (finite, not empty).
    lattice_size : int, default 64
        L, 2 <= L <= 4096: N = L^2 agents on a periodic square lattice.
    n_steps : int, default 100
        Sweeps (N updates each) per run, >= 1.
    n_replicas : int, default 1
        Independent replicas (fresh quenched randomness each), >= 1.
    long_range : float in [0, 1], default 0
        w_lr: share of the coupling that goes through the ``n_links`` random partners.
    n_links : int, default 4
        Random partners per agent (>= 1 if ``long_range > 0``; ignored otherwise).
    global_coupling : float in [0, 1], default 0
        w_mf: share through the mean of all other agents (1: all-to-all).
        ``long_range + global_coupling <= 1``; the lattice keeps the rest.
    field_disorder : float >= 0, default 0
        Delta_h: standard deviation of the quenched random field (units of h).
    coupling_disorder : float >= 0, default 0
        Delta_J: standard deviation of the per-agent coupling J_k = J + Delta_J a_k.
    noise_disorder : float >= 0, default 0
        s: per-agent noise T_k = T exp(s c_k) (log-normal, median T), s <= 5.
    initial : "random" or float in [0, 1], default "random"
        Start from a uniform random lattice (the guide's protocol) or from every
        agent at this value (e.g. 0 and 1 to detect bistability).
    seed : int or None
        Root seed; run k (C order over (replica,) + S) uses stream k as in
        :func:`~utacbook.models.scan_field`, so without the options the result equals
        ``scan_field``'s bit for bit.  The quenched samples of replica r come from
        :func:`quenched_samples` (``seed``, r).
    return_traces : bool, default False
        Also return the mean activation after every sweep.
    progress : bool or None
        Progress bar (as :func:`~utacbook.models.scan_field`); results do not depend on it.

    Returns
    -------
    ScanResult
        ``sigma`` (shape (n_replicas,) + S), ``seed``, optional ``traces``; the options
        are in ``meta`` and in ``to_xarray().attrs``.

    Raises
    ------
    ValueError, TypeError
        A parameter out of range, named.
    MemoryError
        Before anything is allocated, if the partner tables (8 N n_links bytes per
        replica), the disorder samples and the working lattices would not fit.

    Examples
    --------
    >>> from utacbook.models import scan_field, scan_field_extended
    >>> a = scan_field(0.8, 0.2, [-0.5, 0.0], lattice_size=8, n_steps=5, seed=1)
    >>> b = scan_field_extended(0.8, 0.2, [-0.5, 0.0], lattice_size=8, n_steps=5, seed=1)
    >>> bool((a["sigma"] == b["sigma"]).all())           # no option: the guide's model, bit for bit
    True
    >>> r = scan_field_extended(0.8, 0.2, [-0.4], lattice_size=16, n_steps=20, n_replicas=2,
    ...                         global_coupling=1.0, seed=1)
    >>> r["sigma"].shape
    (2, 1)
    """
    arrs, Jb, Tb, hb = _scan_points(J, T, h_values)
    L, n_steps, n_rep = _run_args(lattice_size, n_steps, n_replicas, "sequential")
    if L > 4096:
        raise ValueError(f"lattice_size must be <= 4096 for scan_field_extended, got {L}")
    w_lr = _unit("long_range", long_range)
    w_mf = _unit("global_coupling", global_coupling)
    if w_lr + w_mf > 1.0:
        raise ValueError(f"long_range + global_coupling must be <= 1, got {w_lr} + {w_mf}")
    n_links = v.integer("n_links", n_links, low=0, high=1 << 20)
    if w_lr > 0 and n_links < 1:
        raise ValueError("n_links must be >= 1 when long_range > 0")
    if w_lr == 0:
        n_links = 0
    dh = v.real("field_disorder", field_disorder, nonnegative=True)
    dJ = v.real("coupling_disorder", coupling_disorder, nonnegative=True)
    s = v.real("noise_disorder", noise_disorder, nonnegative=True, high=5.0)
    Tmin = float(np.min(arrs["T"])) * (np.exp(-8.0 * s) if s else 1.0)   # beyond 8 sigma of c_k: never drawn
    _check_overflow(np.array([Tmin]), J=np.abs(arrs["J"]).max() + 8 * dJ,
                    h_values=np.abs(arrs["h_values"]).max() + 8 * dh)
    if isinstance(initial, str):
        if initial != "random":
            raise ValueError(f"initial must be 'random' or a number in [0, 1], got {initial!r}")
        init = -1.0
    elif isinstance(initial, numbers.Real) and not isinstance(initial, bool):
        init = _unit("initial", initial)
    else:
        raise TypeError(f"initial must be 'random' or a number in [0, 1], got {initial!r}")
    _check_seed(seed)
    return_traces = _check_flag("return_traces", return_traces)
    _check_progress(progress)
    N = L * L
    shape = (n_rep,) + Jb.shape
    n_jobs = int(np.prod(shape))
    n_pt = n_jobs // n_rep
    _check_memory(_scan_nbytes(n_jobs, L, n_steps) + n_rep * N * 8 * (n_links + 3) + min(n_jobs, 64) * 40 * N,
                  what=f"scan_field_extended(lattice_size={L}, n_steps={n_steps}, n_replicas={n_rep}, "
                       f"{n_pt} points, n_links={n_links})")
    states, entropy = make_streams(seed, n_jobs)
    partners = np.empty((n_rep, N, n_links), dtype=np.int64)
    zJ, zh, zT = (np.zeros((n_rep, N)) for _ in range(3))
    if n_links or dJ or dh or s:
        for r in range(n_rep):
            partners[r], zJ[r], zh[r], zT[r] = quenched_samples(entropy, r, N, n_links=n_links)
    tile = lambda a: np.broadcast_to(a, shape).ravel().copy()  # noqa: E731
    Jt, ht, Tt = tile(Jb), tile(hb), tile(Tb)
    replica = np.repeat(np.arange(n_rep, dtype=np.int64), n_pt)
    traces = np.empty((n_jobs, n_steps))
    batches = _batches(n_jobs, progress, n_jobs * n_steps * N * (1 + n_links / 4), "scan_field_extended")
    if isinstance(batches, list):
        batches = [(0, n_jobs)]
    sig = np.empty(n_jobs)
    for a, b in batches:
        sig[a:b] = KV.variant_jobs(Jt[a:b], ht[a:b], Tt[a:b], replica[a:b], w_lr, w_mf, dJ, dh, s, zJ, zh, zT,
                                   partners, L, n_steps, init, states[a:b], traces[a:b])
    out = {"sigma": sig.reshape(shape), "seed": entropy}
    if return_traces:
        out["traces"] = traces.reshape(shape + (n_steps,))
    meta = {"J": np.array(Jb), "T": np.array(Tb), "h": np.array(hb), "point_shape": Jb.shape,
            "lattice_size": L, "n_steps": n_steps, "n_replicas": n_rep, "update": "sequential", "seed": entropy,
            "long_range": w_lr, "n_links": n_links, "global_coupling": w_mf, "field_disorder": dh,
            "coupling_disorder": dJ, "noise_disorder": s, "initial": initial if init >= 0 else "random",
            "function": "scan_field_extended"}
    return ScanResult(out, meta=meta)
