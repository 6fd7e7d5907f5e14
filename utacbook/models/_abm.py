"""The RG Phase 2 microscopic agent model, as the guide describes it.

Model
-----
A periodic :math:`L \\times L` lattice of agents with activations
:math:`\\sigma_{ij} \\in [0, 1]`, drawn uniformly at random at the start.  An
update of agent :math:`(i, j)` sets

.. math:: h^{\\text{loc}}_{ij} = J\\,\\frac{1}{4}\\sum_{\\langle kl \\rangle \\sim ij}\\sigma_{kl} + h,
          \\qquad
          \\sigma_{ij} \\leftarrow \\mathrm{sigmoid}\\!\\left(\\frac{h^{\\text{loc}}_{ij}}{T} + \\xi\\right),
          \\quad \\xi \\sim N(0, 1),

and one sweep is :math:`L^2` uniformly random site picks (random sequential
updates).  The guide's emergent-beta protocol scans the field :math:`h`
(the "R-proxy") over a grid; each point starts from a fresh random lattice,
runs ``n_steps`` sweeps (default 100) and records the mean activation; a
logistic :math:`1/(1 + e^{-\\beta(R - \\Theta)})` fitted to the curve gives
the emergent :math:`\\beta`.

All heavy work happens in the Numba kernels of :mod:`utacbook._kernels.abm`,
with one explicit xoshiro256** stream per scan point, so a seed reproduces a
result exactly whatever the thread count.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from utacbook._kernels import abm as K
from utacbook import _validate as v
from utacbook._kernels.rng import make_streams, resolve_seed
from utacbook.stats._coarse import coarse_grain, multi_scale_coarsening  # noqa: F401  (guide's API)
from utacbook.stats._fitting import extract_emergent_beta  # noqa: F401  (guide's API)
from utacbook.theory._mean_field import mean_field_beta

__all__ = [
    "ABMParams", "MicroscopicABM", "EmergentBetaSimulator", "coarse_grain",
    "multi_scale_coarsening", "extract_emergent_beta", "microscopic_to_beta_map",
    "scan_field", "hysteresis_loop", "adaptive_scan", "UPDATE_RULES",
]

#: update orders: the guide's random sequential order, and a checkerboard option
UPDATE_RULES = {"sequential": K.RULE_SEQUENTIAL, "checkerboard": K.RULE_CHECKERBOARD}


@dataclass
class ABMParams:
    """Microscopic parameters of the agent model (the guide's ``ABMParams``).

    Parameters
    ----------
    J : float, default 0.8
        Coupling to the mean of the four nearest neighbours (units of the
        field; the guide quotes [0, 1], any finite value is accepted).
    h : float, default 0.5
        External field, the guide's "R-proxy" (any finite value).
    T : float, default 0.2
        Noise temperature, > 0: the local field is divided by T before the
        unit-variance Gaussian noise is added.
    lattice_size : int, default 128
        Linear size L >= 2 (L * L agents, periodic boundaries).
    seed : int or None, default None
        Root seed of all random streams; None draws fresh entropy (the seed
        actually used is reported with every result).
    update : {"sequential", "checkerboard"}, default "sequential"
        Update order.  "sequential" is the guide's; "checkerboard" (even L
        only) updates the two sublattices alternately and can run in parallel.
    """

    J: float = 0.8
    h: float = 0.5
    T: float = 0.2
    lattice_size: int = 128
    seed: int | None = None
    update: str = "sequential"

    def __post_init__(self):
        self.validate()

    def validate(self):
        """Check every field; raise ``ValueError``/``TypeError`` naming the bad one."""
        v.real("J", self.J)
        v.real("h", self.h)
        v.real("T", self.T, positive=True)
        L = v.integer("lattice_size", self.lattice_size, low=2, high=65536)
        if self.seed is not None:
            resolve_seed(self.seed)
        v.choice("update", self.update, set(UPDATE_RULES))
        if self.update == "checkerboard" and L % 2:
            raise ValueError(f"lattice_size must be even for update='checkerboard', got {L}")
        return self

    def to_dict(self):
        """The parameters as a plain dict."""
        return dataclasses.asdict(self)


def _params(params):
    if not isinstance(params, ABMParams):
        raise TypeError(f"params must be an ABMParams, got {type(params).__name__}")
    return dataclasses.replace(params).validate()


class MicroscopicABM:
    """One lattice of agents, advanced with the guide's dynamics.

    Parameters
    ----------
    params : ABMParams
        Copied at construction: changing ``params`` afterwards does not change
        this model (the guide's Example 2 builds a new model after changing h).

    Attributes
    ----------
    lattice : ndarray, shape (L, L)
        Current activations (the live array; use :meth:`snapshot` for a copy).
    seed : int
        The seed that reproduces this model's random stream.
    history : list of float
        Mean activation after every sweep run by :meth:`equilibrate`.
    """

    def __init__(self, params):
        self.params = _params(params)
        L = self.params.lattice_size
        self._states, self.seed = make_streams(self.params.seed, 1 + L)
        self._st = self._states[0]
        self.lattice = K.random_lattice(L, self._st)
        self.history = []

    @property
    def L(self):
        """Linear lattice size."""
        return self.params.lattice_size

    def _site(self, i, j):
        i = v.integer("i", i, low=0, high=self.L - 1)
        j = v.integer("j", j, low=0, high=self.L - 1)
        return i, j

    def local_field(self, i, j):
        """Local field h_loc = J * (mean of the 4 nearest neighbours) + h at site (i, j)."""
        i, j = self._site(i, j)
        L, lat = self.L, self.lattice
        nn = lat[(i + 1) % L, j] + lat[i - 1, j] + lat[i, (j + 1) % L] + lat[i, j - 1]
        return self.params.J * 0.25 * nn + self.params.h

    def update_agent(self, i, j):
        """Update agent (i, j): sigma <- sigmoid(h_loc / T + xi), xi ~ N(0, 1).

        Returns the new activation.
        """
        i, j = self._site(i, j)
        z = K.next_normal(self._st)
        x = self.local_field(i, j) / self.params.T + z
        self.lattice[i, j] = 1.0 / (1.0 + np.exp(-x))
        return float(self.lattice[i, j])

    def step(self, n_updates=1000):
        """Perform ``n_updates`` random single-agent updates (L*L is one sweep).

        With ``update='checkerboard'`` the argument must be a multiple of L*L
        and whole checkerboard sweeps are run.
        """
        n = v.integer("n_updates", n_updates, low=0)
        p = self.params
        if p.update == "sequential":
            K.random_updates(self.lattice, p.J, p.h, p.T, n, self._st)
        else:
            N = self.L * self.L
            if n % N:
                raise ValueError(f"n_updates must be a multiple of L*L={N} for "
                                 f"update='checkerboard', got {n}")
            for _ in range(n // N):
                K.checkerboard_sweep_rows(self.lattice, p.J, p.h, p.T, self._states[1:])
        return self

    def equilibrate(self, n_steps=100):
        """Run ``n_steps`` sweeps (guide: n_steps >= 50); record the mean after each.

        Returns
        -------
        ndarray
            Mean activation after each sweep (also appended to ``history``).
        """
        n = v.integer("n_steps", n_steps, low=0)
        p = self.params
        trace = np.empty(n)
        if p.update == "sequential":
            K.run_sweeps(self.lattice, p.J, p.h, p.T, n, K.RULE_SEQUENTIAL, self._st, trace)
        else:
            for s in range(n):
                K.checkerboard_sweep_rows(self.lattice, p.J, p.h, p.T, self._states[1:])
                trace[s] = self.lattice.mean()
        self.history.extend(trace.tolist())
        return trace

    def snapshot(self):
        """A copy of the current lattice."""
        return self.lattice.copy()

    def mean_activation(self):
        """Mean activation sigma-bar in [0, 1]."""
        return float(self.lattice.mean())


def _run_args(lattice_size, n_steps, n_replicas, update):
    """Validate the arguments shared by the batch runners; return (L, n_steps, n_replicas)."""
    L = v.integer("lattice_size", lattice_size, low=2, high=65536)
    n_steps = v.integer("n_steps", n_steps, low=1)
    n_rep = v.integer("n_replicas", n_replicas, low=1)
    v.choice("update", update, set(UPDATE_RULES))
    if update == "checkerboard" and L % 2:
        raise ValueError(f"lattice_size must be even for update='checkerboard', got {L}")
    return L, n_steps, n_rep


def scan_field(J, T, h_values, *, lattice_size=64, n_steps=100, n_replicas=1,
               update="sequential", seed=None, return_traces=False):
    """Run the guide's scan protocol for any set of (J, T, h), in parallel.

    Every (replica, point) is an independent run from a fresh uniform random
    lattice with its own random stream, ``n_steps`` sweeps long.

    Parameters
    ----------
    J, T : float or array_like
        Coupling and noise (T > 0); broadcast against ``h_values``.
    h_values : array_like
        Fields.  ``J``, ``T`` and ``h_values`` are broadcast to one shape S.
    lattice_size : int, default 64
        Linear lattice size L >= 2 (even for the checkerboard rule).
    n_steps : int, default 100
        Sweeps per run, >= 1.
    n_replicas : int, default 1
        Independent replicas of the whole scan, >= 1.
    update : {"sequential", "checkerboard"}
    seed : int or None
        Root seed.  Run k (in C order over (replica,) + S) uses stream k of
        ``SeedSequence(seed).spawn(n)``, so replica 0 of a scan is the same
        run as the scan with ``n_replicas=1``.
    return_traces : bool, default False
        Also return the mean activation after every sweep.

    Returns
    -------
    dict
        ``sigma`` (shape (n_replicas,) + S), ``seed`` (int), and
        ``traces`` (shape (n_replicas,) + S + (n_steps,)) if asked for.
    """
    Jb, Tb, hb = np.broadcast_arrays(np.asarray(J, dtype=float), np.asarray(T, dtype=float),
                                     np.asarray(h_values, dtype=float))
    for name, arr in (("J", Jb), ("T", Tb), ("h_values", hb)):
        v.real_array(name, arr)
    if np.any(Tb <= 0):
        raise ValueError("T must be > 0 everywhere")
    L, n_steps, n_rep = _run_args(lattice_size, n_steps, n_replicas, update)
    shape = (n_rep,) + Jb.shape
    n_jobs = int(np.prod(shape))
    states, entropy = make_streams(seed, n_jobs)
    tile = lambda a: np.broadcast_to(a, shape).ravel().copy()  # noqa: E731
    traces = np.empty((n_jobs, n_steps))
    sig = K.scan_jobs(tile(Jb), tile(hb), tile(Tb), L, n_steps, UPDATE_RULES[update],
                      states, traces)
    out = {"sigma": sig.reshape(shape), "seed": entropy}
    if return_traces:
        out["traces"] = traces.reshape(shape + (n_steps,))
    return out


def hysteresis_loop(J, T, h_path, *, lattice_size=64, n_steps=100, n_replicas=1,
                    update="sequential", seed=None):
    """Carry the lattice along a field path (for example up, then down).

    Unlike the guide's scan, the state is *not* reset between fields, which
    reveals bistability as a hysteresis loop.

    Parameters
    ----------
    J : float
    T : float, > 0
    h_path : array_like, shape (m,)
        Successive field values.
    lattice_size, n_steps, n_replicas, update, seed
        As :func:`scan_field`; ``n_steps`` sweeps are run at every field.

    Returns
    -------
    dict
        ``h`` (the path), ``sigma`` (shape (n_replicas, m)), ``lattices``
        (final lattices, shape (n_replicas, L, L)), ``seed``.
    """
    J = v.real("J", J)
    T = v.real("T", T, positive=True)
    hp = v.real_array("h_path", h_path, ndim=1, min_len=1)
    L, n_steps, n_rep = _run_args(lattice_size, n_steps, n_replicas, update)
    states, entropy = make_streams(seed, n_rep)
    lattices = np.empty((n_rep, L, L))
    sig = K.field_sweep_jobs(J, T, hp, L, n_steps, UPDATE_RULES[update], states, lattices)
    return {"h": hp, "sigma": sig, "lattices": lattices, "seed": entropy}


def adaptive_scan(J, T, *, R_min=-2.0, R_max=2.0, n_initial=9, n_total=25, batch=4,
                  lattice_size=64, n_steps=100, update="sequential", seed=None):
    """A field scan that places its points where sigma changes.

    Starts from ``n_initial`` evenly spaced points, then repeatedly adds the
    midpoints of the ``batch`` intervals with the largest change of sigma,
    until ``n_total`` points have been run.  Every point is an independent run
    of the guide's protocol (fresh random lattice, ``n_steps`` sweeps).

    Parameters
    ----------
    J : float
    T : float, > 0
    R_min, R_max : float
        Range, R_min < R_max.
    n_initial : int, default 9
        Points of the first, even grid (>= 3).
    n_total : int, default 25
        Total points (>= n_initial).
    batch : int, default 4
        Points added per refinement round (they run in parallel).
    lattice_size, n_steps, update, seed
        As :func:`scan_field`.  Round k uses child k of ``SeedSequence(seed)``.

    Returns
    -------
    dict
        ``R`` (sorted), ``sigma``, ``round`` (refinement round of each point),
        ``seed``.
    """
    R = v.field_grid(R_min, R_max, n_initial)
    n_total = v.integer("n_total", n_total, low=R.shape[0])
    batch = v.integer("batch", batch, low=1)
    seq, entropy = resolve_seed(seed)
    children = iter(seq.spawn(1 + (n_total - R.shape[0] + batch - 1) // batch))
    kw = dict(lattice_size=lattice_size, n_steps=n_steps, update=update)
    sig = scan_field(J, T, R, seed=next(children), **kw)["sigma"][0]
    rounds = np.zeros(R.shape[0], dtype=int)
    k = 0
    while R.shape[0] < n_total:
        k += 1
        order = np.argsort(R)
        R, sig, rounds = R[order], sig[order], rounds[order]
        jumps = np.abs(np.diff(sig))
        m = min(batch, n_total - R.shape[0])
        idx = np.argsort(jumps)[::-1][:m]
        newR = 0.5 * (R[idx] + R[idx + 1])
        newS = scan_field(J, T, newR, seed=next(children), **kw)["sigma"][0]
        R = np.concatenate([R, newR])
        sig = np.concatenate([sig, newS])
        rounds = np.concatenate([rounds, np.full(m, k)])
    order = np.argsort(R)
    return {"R": R[order], "sigma": sig[order], "round": rounds[order], "seed": entropy}


class EmergentBetaSimulator:
    """The guide's high-level simulator: scan the field, fit a logistic.

    Parameters
    ----------
    params : ABMParams
        Microscopic parameters; ``params.h`` is ignored (h is scanned) and
        ``params.seed`` seeds the scan.
    """

    def __init__(self, params):
        self.params = _params(params)

    def _scan(self, R, n_steps, n_replicas):
        p = self.params
        return scan_field(p.J, p.T, R, lattice_size=p.lattice_size, n_steps=n_steps,
                          n_replicas=n_replicas, update=p.update, seed=p.seed)

    def scan_resource_range(self, R_min=-2.0, R_max=2.0, n_points=20, *, n_steps=100):
        """Mean activation on an evenly spaced field grid (points run in parallel).

        Parameters
        ----------
        R_min, R_max : float
            Field range, R_min < R_max.
        n_points : int, default 20
            Grid points, >= 3.
        n_steps : int, default 100
            Sweeps per point (each from a fresh random lattice).

        Returns
        -------
        R_values, sigma_values : ndarray
        """
        R = v.field_grid(R_min, R_max, n_points)
        n_steps = v.integer("n_steps", n_steps, low=1)
        res = self._scan(R, n_steps, 1)
        self.last_seed = res["seed"]
        return R, res["sigma"][0]

    def compute_emergent_beta(self, R_min=-2.0, R_max=2.0, n_points=25, *, n_steps=100,
                              theta=0.5):
        """Scan the field and fit the logistic; the guide's result dict.

        Parameters
        ----------
        R_min, R_max : float
            Field range, R_min < R_max.
        n_points : int, default 25
            Grid points, >= 3.
        n_steps : int, default 100
            Sweeps per point.
        theta : float, default 0.5
            Starting guess for the fitted midpoint.

        Returns
        -------
        dict
            ``beta_emergent``, ``r_squared``, ``fit_info`` (see
            :func:`utacbook.stats.extract_emergent_beta`; also holds
            ``theta``, ``n_steps`` and ``seed``), ``R_values`` (list),
            ``sigma_values`` (list), ``params`` (dict, with the seed used).
        """
        R = v.field_grid(R_min, R_max, n_points)
        n_steps = v.integer("n_steps", n_steps, low=1)
        res = self._scan(R, n_steps, 1)
        sigma = res["sigma"][0]
        beta, r2, info = extract_emergent_beta(R, sigma, theta=theta)
        info.update({"n_steps": n_steps, "seed": res["seed"]})
        params = self.params.to_dict()
        params["seed"] = res["seed"]
        return {"beta_emergent": beta, "r_squared": r2, "fit_info": info,
                "R_values": R.tolist(), "sigma_values": sigma.tolist(), "params": params}

    def compute_emergent_beta_replicas(self, n_replicas=5, R_min=-2.0, R_max=2.0,
                                       n_points=25, *, n_steps=100, theta=0.5):
        """Repeat the emergent-beta measurement over independent replicas.

        All replicas' scan points run in one parallel batch.  Replica 0 is
        identical to :meth:`compute_emergent_beta` with the same seed.

        Returns
        -------
        dict
            ``betas``, ``r_squared``, ``thetas`` (one per replica, nan where a
            fit failed), ``beta_mean``, ``beta_std`` (sample std over replicas
            with a finite beta), ``beta_sem``, ``n_ok``, ``reasons`` (fit
            failure reasons), ``R_values``, ``sigma`` (n_replicas, n_points),
            ``sigma_mean``, ``sigma_sem``, ``params`` (with the seed used).
        """
        R = v.field_grid(R_min, R_max, n_points)
        n_steps = v.integer("n_steps", n_steps, low=1)
        n_rep = v.integer("n_replicas", n_replicas, low=1)
        res = self._scan(R, n_steps, n_rep)
        sig = res["sigma"]
        fits = [extract_emergent_beta(R, s, theta=theta) for s in sig]
        betas = np.array([f[0] for f in fits])
        ok = np.isfinite(betas)
        n_ok = int(ok.sum())
        params = self.params.to_dict()
        params["seed"] = res["seed"]
        return {
            "betas": betas, "r_squared": np.array([f[1] for f in fits]),
            "thetas": np.array([f[2]["theta"] for f in fits]),
            "beta_mean": float(betas[ok].mean()) if n_ok else float("nan"),
            "beta_std": float(betas[ok].std(ddof=1)) if n_ok > 1 else float("nan"),
            "beta_sem": float(betas[ok].std(ddof=1) / np.sqrt(n_ok)) if n_ok > 1 else float("nan"),
            "n_ok": n_ok, "reasons": [f[2]["reason"] for f in fits if f[2]["reason"]],
            "R_values": R, "sigma": sig, "sigma_mean": sig.mean(axis=0),
            "sigma_sem": (sig.std(axis=0, ddof=1) / np.sqrt(n_rep) if n_rep > 1
                          else np.full(R.shape, np.nan)),
            "params": params, "n_steps": n_steps,
        }


_GUIDE_TABLE = [
    # system, beta_empirical, J, T, beta_theory (J/T), beta_emergent claimed, deviation claimed
    ("LLM Training", 4.2, 0.80, 0.19, 4.21, 3.2, 0.24),
    ("Climate AMOC", 4.0, 0.60, 0.15, 4.00, 3.5, 0.13),
    ("Honeybees", 4.1, 0.70, 0.17, 4.12, 3.8, 0.07),
    ("Urban Heat (mod)", 11.0, 0.88, 0.08, 11.00, 9.5, 0.14),
    ("Quantum Vacuum", 1.4, 0.15, 0.11, 1.36, 1.2, 0.14),
    ("Systemic Debt", 18.5, 0.98, 0.053, 18.49, 16.5, 0.11),
]


def microscopic_to_beta_map():
    """The guide's six systems: (J, T) and the betas the guide reports.

    Returns
    -------
    dict
        System name -> dict with ``J``, ``T``, ``beta_empirical`` (the guide's
        target), ``beta_theory`` (the guide's J/T), ``beta_emergent_claimed``
        and ``deviation_claimed`` (as printed in the guide's table, which
        gives them with a "~"), and ``beta_mean_field`` (our mean-field
        prediction, :func:`utacbook.theory.mean_field_beta`).
    """
    out = {}
    for name, be, J, T, bt, bc, dev in _GUIDE_TABLE:
        out[name] = {"J": J, "T": T, "beta_empirical": be, "beta_theory": bt,
                     "beta_emergent_claimed": bc, "deviation_claimed": dev,
                     "beta_mean_field": mean_field_beta(J, T)}
    return out
