r"""Multiscale government model: citizens (micro), communities (meso), nation (macro).

This module implements the API of the "Multiscale Dynamics Integration" text
(``ScaleLevel``, ``ScaleState``, ``MultiscaleModel``,
``GovernmentMultiscaleModel``, ``analyze_scale_separation``) with a concrete,
fully specified model.  The source text names the levels and the metrics but
gives no equations; the equations below are ours.  The micro rule is the RG
guide's agent rule (a continuous "spin" pushed through a noisy sigmoid), so
the model ties to the rest of the book: with one community, no coupling and
no wealth term it reduces to independent agents in a field, whose stationary
mean is :math:`E[\mathrm{sigmoid}(h/T + \xi)]`.

Agents
------
Citizens :math:`i = 0..N-1` are stored as a struct of arrays
(:attr:`MultiscaleModel.agents`):

* ``community`` :math:`c(i) \in \{0..C-1\}`: a random balanced assignment, a
  shuffle of ``np.arange(N) % C`` (every community is non-empty and sizes
  differ by at most 1);
* ``wealth`` :math:`w_i > 0`: Pareto with tail index ``wealth_alpha``,
  :math:`w = (1-u)^{-1/\alpha}` with :math:`u \sim U[0,1)`, divided by its
  sample mean so that the mean wealth is 1; fixed during a run unless a
  policy transfers resources;
* ``satisfaction`` :math:`s_i \in [0, 1]`, initially :math:`U(0.4, 0.6)`;
* ``field`` :math:`h_i`: the policy field (0 without policies).

Micro step (every step, synchronous: every citizen sees the community means
of the previous step, so the update is order-independent and parallel)

.. math::

    s_i \leftarrow (1-\lambda)\, s_i + \lambda\, \mathrm{sigmoid}\Big(
      \frac{J \kappa_{c(i)} (2 \bar s_{c(i)} - 1) + h_i
            + b\,(\ln w_i - \langle \ln w \rangle)}{T_\mathrm{eff}} + \xi_i \Big),
    \qquad \xi_i \sim N(0, 1),

with :math:`T_\mathrm{eff} = T_\mathrm{social}\,(1 + \eta\,(1 - \tau))`,
:math:`\lambda` = ``inertia``, :math:`J` = ``coupling``, :math:`b` =
``wealth_weight``, :math:`T_\mathrm{social}` = ``noise``, :math:`\eta` =
``trust_noise``, :math:`\bar s_c` the mean satisfaction of community
:math:`c`, :math:`\kappa_c` its cohesion, :math:`\tau` the national trust and
:math:`\langle \ln w \rangle` the population mean of :math:`\ln w`.  As in
the RG guide the noise is added to the sigmoid's argument.  Note that
``inertia`` is the *update weight* :math:`\lambda`: ``inertia=1`` replaces
:math:`s_i` by the sigmoid (no memory), ``inertia=0`` freezes it.

Meso step (every ``meso_interval`` steps)

.. math::

    \kappa_c \leftarrow (1-\rho)\,\kappa_c + \rho\,\mathrm{clip}(1 - 2\,\mathrm{std}_c(s), 0, 1),
    \qquad \kappa_c(0) = 0.5,

with :math:`\rho` = ``meso_rate`` and :math:`\mathrm{std}_c` the population
standard deviation (ddof = 0) of :math:`s` in community :math:`c`.  Resources
:math:`R_c` are the mean wealth in :math:`c` plus community-level transfers
from policies; ``resource_inequality`` is the Gini coefficient of
:math:`R_c` weighted by community size (:func:`gini`).  Community means and
spreads are refreshed after every micro step (the micro step needs them);
cohesion changes only at meso steps.

Macro step (every ``macro_interval`` steps): approval :math:`A` = mean
:math:`s`; trust :math:`\tau \leftarrow (1-\rho_T)\tau + \rho_T A` with
:math:`\rho_T` = ``trust_rate`` and :math:`\tau(0) = 0.5`; policy
effectiveness :math:`E` (see :class:`GovernmentMultiscaleModel`; 0 without
policies).

Policies (:class:`GovernmentMultiscaleModel`, :class:`utacbook.models.Policy`)
enter through the field and through wealth:

.. math::

    h_i = \sum_p a_p\,[i \in \mathrm{targets}_p] - \gamma \sum_p \mathrm{cost}_p ,

with :math:`a_p` the policy's ``satisfaction`` effect and :math:`\gamma` =
``cost_weight`` (a cost is a tax on everyone); a ``resources`` effect is
added to the targets' wealth (individual and national policies) or to the
targeted communities' :math:`R_c` (community policies).

Downward causation: trust sets the noise (:math:`T_\mathrm{eff}`), cohesion
sets the coupling.  Upward causation: community means and spreads set
cohesion and the community term; the national mean sets trust.

Order within one step ``t = 1, 2, ...``: micro update, community means and
spreads (``_micro_to_meso``), meso update if
``t % meso_interval == 0``, macro update if ``t % macro_interval == 0``.

Random numbers: the initial state comes from a NumPy generator and the
micro noise from one xoshiro256** stream per fixed chunk of 4096 citizens
(``utacbook._kernels.rng``), both derived from ``seed``; community sums are
reduced in a fixed order.  A seed therefore reproduces the identical history
at any number of Numba threads.
"""

from __future__ import annotations

import enum
import math
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Dict

import numpy as np

from utacbook import _validate as V
from utacbook._kernels.multiscale import CHUNK, community_sums, micro_step, reduce_partials
from utacbook._kernels.rng import make_streams, resolve_seed
from utacbook._memory import check_memory

__all__ = ["ScaleLevel", "ScaleState", "MultiscaleModel", "GovernmentMultiscaleModel",
           "analyze_scale_separation", "gini", "History", "AgentView", "AgentRecord"]

#: estimates below this many bytes are not checked (check_memory itself costs ~50 us)
_CHECK_ABOVE = 1 << 26


def _check_model_memory(n_agents, n_communities, what):
    """MemoryError naming ``what`` if a model of this size cannot be allocated.

    Peak of the construction: about 65 bytes per citizen (measured; the
    community shuffle, the Pareto draw and its temporaries, the agent arrays,
    the derived individual term), counted as 80, and a few arrays of C entries.
    """
    nbytes = 80 * n_agents + 64 * n_communities
    if nbytes > _CHECK_ABOVE:
        check_memory(nbytes, what=what)


def _check_history_memory(n_steps, n_communities, what):
    """MemoryError naming ``what`` if ``n_steps`` records of a run cannot be kept.

    A record holds about 2.5 KiB of dicts and floats plus five arrays of C
    entries (the meso state).
    """
    nbytes = n_steps * (2560 + 5 * (8 * n_communities + 112))
    if nbytes > _CHECK_ABOVE:
        check_memory(nbytes, what=what)


def _flat_record(rec, prefix=""):
    """Scalars of a (nested) record as {"a.b": value}; per-community arrays are left out."""
    out = {}
    for key, val in rec.items():
        name = f"{prefix}{key}"
        if isinstance(val, dict):
            out.update(_flat_record(val, name + "."))
        elif isinstance(val, np.ndarray):
            continue
        elif isinstance(val, list):
            out[name] = tuple(val)
        else:
            out[name] = val
    return out


class History(list):
    """The records of a run: a ``list`` of dicts (one per step) with table exports.

    Returned by :meth:`MultiscaleModel.run`,
    :meth:`utacbook.models.GovernmentSimulation.run` and
    :meth:`utacbook.models.IntegratedGovernmentModel.run`.  It is a plain
    list in every respect (indexing, ``len``, iteration, equality, JSON,
    pickling; a slice is a plain list); it adds :meth:`to_dataframe`,
    :meth:`to_xarray` and a one-line repr.

    Examples
    --------
    >>> from utacbook.models import GovernmentMultiscaleModel
    >>> h = GovernmentMultiscaleModel(200, 4, seed=1).run(3)
    >>> h
    History(3 steps, step 1..3; keys: step, micro, meso, macro, micro_metrics, meso_metrics, macro_metrics)
    >>> df = h.to_dataframe()
    >>> df.index.name, len(df), "macro.trust" in df.columns
    ('step', 3, True)
    >>> h.to_xarray()["meso.cohesion"].dims
    ('step', 'community')
    """

    __slots__ = ()

    def __repr__(self):
        if not self:
            return "History(0 steps)"
        first, last = self[0], self[-1]
        span = ""
        if isinstance(first, dict) and "step" in first and isinstance(last, dict) and "step" in last:
            span = f", step {first['step']}..{last['step']}"
        keys = ", ".join(map(str, first)) if isinstance(first, dict) else type(first).__name__
        return f"History({len(self)} step{'s' if len(self) != 1 else ''}{span}; keys: {keys})"

    def to_dataframe(self):
        """One row per step, one column per scalar of the records.

        Nested keys are joined with dots (``"micro.mean"``,
        ``"micro.quantiles.q10"``, ``"macro.trust"``,
        ``"meso_metrics.avg_cohesion"``); lists (``active_policies``) become
        tuples; the per-community arrays of ``meso`` are left out (see
        :meth:`to_xarray`).  Indexed by ``step`` when the records have one.

        Returns
        -------
        pandas.DataFrame
        """
        import pandas as pd
        df = pd.DataFrame([_flat_record(rec) for rec in self])
        if "step" in df.columns:
            df = df.set_index("step")
        return df

    def to_xarray(self):
        """The records as an :class:`xarray.Dataset`.

        The scalars of :meth:`to_dataframe` as variables over ``step``, and
        every per-community array of ``meso`` (``satisfaction``,
        ``satisfaction_std``, ``cohesion``, ``resources``, ``size``) as
        ``"meso.<name>"`` over ``(step, community)``.

        Returns
        -------
        xarray.Dataset
        """
        import xarray as xr
        df = self.to_dataframe()
        ds = xr.Dataset.from_dataframe(df) if len(df.columns) else xr.Dataset()
        meso = self[0].get("meso") if self and isinstance(self[0], dict) else None
        if isinstance(meso, dict):
            dim = df.index.name or "index"
            for key in meso:
                arr = np.array([rec["meso"][key] for rec in self])
                ds[f"meso.{key}"] = xr.DataArray(arr, dims=(dim, "community"),
                                                 coords={dim: df.index.to_numpy()})
        return ds


class ScaleLevel(enum.Enum):
    """The three levels of organisation: citizens, communities, nation.

    Examples
    --------
    >>> from utacbook.models import MultiscaleModel, ScaleLevel
    >>> [level.name for level in ScaleLevel], ScaleLevel.MICRO.value < ScaleLevel.MACRO.value
    (['MICRO', 'MESO', 'MACRO'], True)
    >>> m = MultiscaleModel(100, 4, seed=0)
    >>> m.upscale(ScaleLevel.MICRO, ScaleLevel.MESO)["size"].tolist()   # finer -> coarser
    [25, 25, 25, 25]
    >>> m.meso_state.level is ScaleLevel.MESO
    True
    """

    MICRO = 0
    MESO = 1
    MACRO = 2


_READ_ONLY = ("the agents view is read-only: change citizens with model.set_agent_variable(name, values) "
              "(satisfaction may also be changed in place through model.agents['satisfaction'])")


def _read_only(arr):
    """A read-only view of ``arr`` (no copy)."""
    v = arr.view()
    v.flags.writeable = False
    return v


class AgentRecord(Mapping):
    """One citizen of a model, read-only: a mapping of variable name -> current value.

    Returned by indexing or iterating an :class:`~utacbook.models.AgentView`.  Values are read
    from the model's arrays when asked for (so a record kept across steps
    shows the current values) and are Python floats (``int`` for
    ``community``).  Read a value as ``rec["wealth"]`` or ``rec.wealth``;
    ``rec.index`` is the citizen's index i; ``dict(rec)`` is a snapshot.
    Assigning raises ``TypeError`` (see :class:`~utacbook.models.AgentView`).

    Examples
    --------
    >>> from utacbook.models import MultiscaleModel
    >>> m = MultiscaleModel(100, 4, seed=0)
    >>> rec = m.micro_state.get_variable("agents")[5]
    >>> type(rec).__name__, rec.index, list(rec)
    ('AgentRecord', 5, ['satisfaction', 'wealth', 'community', 'field'])
    >>> rec.community == rec["community"] == int(m.agents["community"][5])
    True
    >>> m.agents["satisfaction"][5] = 0.9                  # a record reads the current value
    >>> rec.satisfaction
    0.9
    >>> rec.wealth = 2.0                                   # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: the agents view is read-only: ...
    """

    __slots__ = ("_agents", "_i")

    def __init__(self, agents, index):
        object.__setattr__(self, "_agents", agents)
        object.__setattr__(self, "_i", index)

    @property
    def index(self):
        """The citizen's index i (int, 0 <= i < N)."""
        return self._i

    def __getitem__(self, name):
        try:
            arr = self._agents[name]
        except (KeyError, TypeError):
            raise KeyError(f"{name!r}: an agent record has the variables {list(self._agents)}") from None
        return arr[self._i].item()

    def __iter__(self):
        return iter(self._agents)

    def __len__(self):
        return len(self._agents)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError as err:
            raise AttributeError(err.args[0]) from None

    def __setitem__(self, name, value):
        raise TypeError(_READ_ONLY)

    def __delitem__(self, name):
        raise TypeError(_READ_ONLY)

    def __setattr__(self, name, value):
        raise TypeError(_READ_ONLY)

    def __repr__(self):
        vals = ", ".join(f"{k}={self[k]:.4g}" if isinstance(self[k], float) else f"{k}={self[k]!r}"
                         for k in self._agents)
        return f"AgentRecord(index={self._i}, {vals})"


class AgentView(Sequence):
    """Read-only view of a model's citizens: a sequence of records that also exposes the arrays.

    This is what ``model.micro_state.get_variable("agents")`` returns (the
    extension hook of the multiscale text, whose custom subclasses read
    ``self.micro_state.get_variable('agents', [])``).  It copies nothing:
    it reads the model's own arrays (:attr:`~utacbook.models.MultiscaleModel.agents`) when
    indexed, so a view kept across steps shows the current state.

    * ``view[i]`` (int, negative counts from the end): the citizen i as an
      :class:`~utacbook.models.AgentRecord` (``view[i]["satisfaction"]``,
      ``view[i].wealth``); ``view[a:b]`` is a list of records; iterating
      yields the N records in index order; ``len(view)`` is N.
    * ``view["satisfaction"]`` (a variable name), ``view.arrays`` (mapping
      name -> array): the per-citizen arrays as read-only NumPy views
      (length N), for vectorised code; ``view.keys()`` lists the names
      (``satisfaction``, ``wealth``, ``community``, ``field`` and any custom
      variable); ``name in view`` tests a name.

    Nothing can be written through the view (the arrays are not writeable;
    assigning to a record raises ``TypeError``): change citizens with
    :meth:`~utacbook.models.MultiscaleModel.set_agent_variable`, or satisfaction in place
    through ``model.agents["satisfaction"]``.

    Examples
    --------
    >>> from utacbook.models import MultiscaleModel
    >>> m = MultiscaleModel(1000, 10, seed=0)
    >>> agents = m.micro_state.get_variable("agents", [])
    >>> len(agents), agents.keys()
    (1000, ('satisfaction', 'wealth', 'community', 'field'))
    >>> a = agents[0]
    >>> a["community"] == a.community == int(m.agents["community"][0])
    True
    >>> agents["wealth"] is not m.agents["wealth"], agents["wealth"].flags.writeable
    (True, False)
    >>> [round(r.satisfaction, 3) for r in agents[:3]]
    [0.485, 0.405, 0.472]
    >>> a["satisfaction"] = 1.0     # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: the agents view is read-only: change citizens with model.set_agent_variable(...
    """

    __slots__ = ("_agents",)

    def __init__(self, agents):
        if not isinstance(agents, dict):
            raise TypeError(f"agents must be a dict of per-citizen arrays, got {type(agents).__name__}")
        self._agents = agents

    def __len__(self):
        return len(self._agents["satisfaction"])

    def __getitem__(self, key):
        if isinstance(key, str):
            if key not in self._agents:
                raise KeyError(f"{key!r}: the agent variables are {list(self._agents)}")
            return _read_only(self._agents[key])
        n = len(self)
        if isinstance(key, slice):
            return [AgentRecord(self._agents, i) for i in range(*key.indices(n))]
        try:
            i = operator.index(key)
        except TypeError:
            raise TypeError("an AgentView is indexed by a citizen index (int), a slice or a variable "
                            f"name (str), got {type(key).__name__}") from None
        if not -n <= i < n:
            raise IndexError(f"citizen index {i} out of range for {n} citizens")
        return AgentRecord(self._agents, i % n)

    def __iter__(self):
        for i in range(len(self)):
            yield AgentRecord(self._agents, i)

    def __contains__(self, item):
        if isinstance(item, str):
            return item in self._agents
        return (isinstance(item, AgentRecord) and item._agents is self._agents
                and 0 <= item.index < len(self))

    def keys(self):
        """tuple of the variable names."""
        return tuple(self._agents)

    @property
    def arrays(self):
        """Read-only mapping name -> read-only per-citizen array (views, no copies)."""
        return MappingProxyType({k: _read_only(v) for k, v in self._agents.items()})

    def __setitem__(self, key, value):
        raise TypeError(_READ_ONLY)

    def __repr__(self):
        return f"AgentView({len(self)} citizens; variables: {', '.join(self._agents)})"


@dataclass
class ScaleState:
    """A snapshot (view) of the variables of one level.

    Attributes
    ----------
    level : ScaleLevel
    variables : dict of str -> array or float
        Micro: per-citizen arrays (length N), plus ``"agents"``: an
        :class:`~utacbook.models.AgentView` of the citizens (records and read-only arrays);
        meso: per-community arrays (length C); macro: floats.  Arrays are
        the model's own arrays (views), not copies.
    timestamp : int
        The model step at which the snapshot was taken (0 = initial state).

    Examples
    --------
    >>> from utacbook.models import MultiscaleModel
    >>> m = MultiscaleModel(100, 4, seed=0)
    >>> h = m.run(3)
    >>> st = m.meso_state
    >>> st.level, st.timestamp, sorted(st.variables)        # doctest: +NORMALIZE_WHITESPACE
    (<ScaleLevel.MESO: 1>, 3, ['cohesion', 'resources', 'satisfaction', 'satisfaction_std', 'size'])
    >>> int(st.get_variable("size").sum()), st.get_variable("missing", 0)   # sizes add up to N
    (100, 0)
    >>> st.variables["cohesion"] is m.cohesion             # a view of the model's arrays
    True
    """

    level: ScaleLevel
    variables: Dict[str, Any] = field(default_factory=dict)
    timestamp: int = 0

    def get_variable(self, name, default=None):
        """Return ``variables[name]``, or ``default`` if absent."""
        return self.variables.get(name, default)


def gini(values, weights=None):
    r"""Weighted Gini coefficient of non-negative values.

    .. math::

        G = \frac{\sum_{ij} n_i n_j |R_i - R_j|}{2 W^2 \mu},\qquad
        W = \sum_i n_i,\quad \mu = \frac{1}{W}\sum_i n_i R_i .

    With integer weights this is the ordinary Gini coefficient of the list in
    which value ``R_i`` is repeated ``n_i`` times.  Computed in
    O(C log C) by sorting.

    Parameters
    ----------
    values : array_like of float >= 0, shape (C,), C >= 1
    weights : array_like of float >= 0, shape (C,), optional
        Default: all 1.  Must not all be 0.

    Returns
    -------
    float in [0, 1): 0 for equal values (or when the mean is 0).

    Examples
    --------
    >>> from utacbook.models import gini
    >>> gini([2.0, 2.0, 2.0])                              # equal incomes
    0.0
    >>> gini([0.0, 0.0, 0.0, 1.0])                         # one holds all: 1 - 1/C
    0.75
    >>> round(gini([1.0, 3.0], weights=[2, 1]), 12), round(gini([1.0, 1.0, 3.0]), 12)  # weights repeat
    (0.266666666667, 0.266666666667)
    """
    R = V.real_array("values", values, ndim=1, min_len=1)
    if np.any(R < 0):
        raise ValueError("values must be >= 0")
    if weights is None:
        w = np.ones_like(R)
    else:
        w = V.real_array("weights", weights, ndim=1)
        if w.shape != R.shape:
            raise ValueError(f"weights must have the shape of values {R.shape}, got {w.shape}")
        if np.any(w < 0) or not w.sum() > 0:
            raise ValueError("weights must be >= 0 and not all 0")
    W = w.sum()
    mu = float(np.dot(w, R)) / W
    if mu <= 0.0:
        return 0.0
    order = np.argsort(R, kind="stable")
    R, w = R[order], w[order]
    before = np.cumsum(w) - w          # weight strictly before each entry
    after = W - before - w             # weight strictly after
    total = 2.0 * float(np.sum(w * R * (before - after)))  # = sum_ij w_i w_j |R_i - R_j|
    return float(max(0.0, total / (2.0 * W * W * mu)))


# model parameters: name -> (default, validator kwargs for _validate.real)
_PARAMS = {
    "wealth_alpha": (2.5, dict(low=1.0 + 1e-9)),
    "inertia": (0.5, dict(low=0.0, high=1.0)),
    "coupling": (1.0, dict()),
    "wealth_weight": (0.2, dict()),
    "noise": (0.3, dict(positive=True)),
    "trust_noise": (1.0, dict(nonnegative=True)),
    "meso_rate": (0.2, dict(low=0.0, high=1.0)),
    "trust_rate": (0.1, dict(low=0.0, high=1.0)),
    "cost_weight": (0.1, dict(nonnegative=True)),
    "initial_cohesion": (0.5, dict(low=0.0, high=1.0)),
    "initial_trust": (0.5, dict(low=0.0, high=1.0)),
}

_AGENT_CORE = ("satisfaction", "wealth", "community", "field")



def _groups_contract(N, C):
    """What ``_micro_to_meso`` may return, in words (for error messages)."""
    return (f"it must return None after setting mean_satisfaction and std_satisfaction (arrays of {C} "
            f"floats, as MultiscaleModel._micro_to_meso does: call super()._micro_to_meso()), or return "
            f"the groups: an integer array of {N} community labels in 0..{C - 1}, or a sequence of {C} "
            f"integer index arrays that partition 0..{N - 1}, every community non-empty "
            f"(n_communities = {C} is fixed at construction)")


#: rounding slack of the [0, 1] checks of a running state (sums of weights n_c/N may exceed 1 by an ulp)
_SLACK = 1e-9


class _Params(dict):
    """The model parameters: a dict that checks every value written to it.

    ``model.params["noise"] = 0.0`` raises at once (naming ``noise``), so the
    dynamics never run on a parameter outside its range.  Entries cannot be
    added or removed.
    """

    __slots__ = ()

    def __init__(self, values=()):
        super().__init__()
        for name, value in dict(values).items():
            self[name] = value

    def __setitem__(self, name, value):
        if name not in _PARAMS:
            raise TypeError(f"unknown model parameter {name!r}; allowed: {sorted(_PARAMS)}")
        super().__setitem__(name, V.real(name, value, **_PARAMS[name][1]))

    def update(self, *args, **kwargs):
        for name, value in dict(*args, **kwargs).items():
            self[name] = value

    def setdefault(self, name, default=None):
        if name not in self:
            self[name] = default
        return self[name]

    def __ior__(self, other):
        self.update(other)
        return self

    def _no_removal(self, *args, **kwargs):
        raise TypeError("params entries cannot be removed (every model parameter is needed)")

    __delitem__ = pop = popitem = clear = _no_removal


class MultiscaleModel:
    r"""Base multiscale model: the micro/meso/macro dynamics of the module docstring.

    Parameters
    ----------
    n_agents : int >= 1
        Number of citizens N.
    n_communities : int, 1 <= C <= n_agents
        Number of communities C.
    seed : int >= 0, numpy.random.SeedSequence or None
        Reproduces the initial state and the noise exactly.
    meso_interval, macro_interval : int >= 1
        The meso (cohesion) and macro (trust, effectiveness) updates happen at
        steps that are multiples of these intervals (steps count from 1).
    **params
        Model parameters (keyword only, all finite):

        * ``wealth_alpha`` = 2.5, > 1: Pareto tail index of wealth;
        * ``inertia`` = 0.5, in [0, 1]: update weight :math:`\lambda` (1 = no memory);
        * ``coupling`` = 1.0, real: :math:`J`, dimensionless (in units of the field);
        * ``wealth_weight`` = 0.2, real: :math:`b`, field per unit of :math:`\ln w`;
        * ``noise`` = 0.3, > 0: :math:`T_\mathrm{social}`;
        * ``trust_noise`` = 1.0, >= 0: :math:`\eta`;
        * ``meso_rate`` = 0.2, in [0, 1]: :math:`\rho` (0 = fixed cohesion);
        * ``trust_rate`` = 0.1, in [0, 1]: :math:`\rho_T`;
        * ``cost_weight`` = 0.1, >= 0: field lost per unit of policy cost;
        * ``initial_cohesion`` = 0.5, in [0, 1]: :math:`\kappa_c(0)`;
        * ``initial_trust`` = 0.5, in [0, 1]: :math:`\tau(0)`.

    Notes
    -----
    Subclasses customise the dynamics by overriding ``_update_micro``,
    ``_micro_to_meso``, ``_update_meso`` and ``_update_macro`` (called in
    this order by :meth:`step`; none takes arguments).  The hooks'
    contracts:

    * ``self.micro_state.get_variable("agents")`` is an :class:`~utacbook.models.AgentView`:
      a read-only sequence of per-citizen records that also exposes the
      arrays (``agents["satisfaction"]``).
    * ``_micro_to_meso`` (after every micro step, at construction and after
      :meth:`~utacbook.models.MultiscaleModel.set_agent_variable`) returns
      either ``None``, having set ``mean_satisfaction`` and
      ``std_satisfaction`` (arrays of C floats, as the base method does), or
      the *groups*: an integer array of N community labels in 0..C-1, or a
      sequence of C integer index arrays that partition 0..N-1, every
      community non-empty.  Returned groups become the new membership
      (``agents["community"]``, ``size``, resources), and the community
      means and spreads are then computed for it by the base method.
      Anything else raises ``TypeError`` or ``ValueError`` saying what to
      return; an override that neither returns groups nor sets the means
      is refused at construction (``TypeError``).  C is fixed at
      construction.

    Agent variables are read and written through :attr:`agents` (a dict of
    NumPy arrays, one entry per citizen), :meth:`get_agent_variable` and
    :meth:`~utacbook.models.MultiscaleModel.set_agent_variable`.  Satisfaction may be changed in place; after
    changing ``wealth``, ``community`` or ``field`` call
    :meth:`~utacbook.models.MultiscaleModel.set_agent_variable` so that derived quantities are recomputed.

    Memory: 48 bytes per citizen (six 8-byte arrays: the four agent
    arrays, the wealth before policy transfers and the cached individual
    term :math:`u_i`), plus O(C) per community and 128 bytes of random
    state per 4096 citizens.  Construction peaks at about 65 bytes per
    citizen; a model that would not fit raises ``MemoryError`` with the
    estimate before anything is allocated, and so does :meth:`run` for a
    history that would not fit (about 2.5 KiB + 40 C bytes per step).

    Examples
    --------
    The text's "Alternative Aggregation" hook, returning groups: here
    citizen i joins community ``i // 100``.

    >>> import numpy as np
    >>> from utacbook.models import MultiscaleModel
    >>> class Grouped(MultiscaleModel):
    ...     def _micro_to_meso(self):
    ...         agents = self.micro_state.get_variable("agents", [])
    ...         return np.arange(len(agents)) // 100        # N labels in 0..C-1
    >>> m = Grouped(1000, 10, seed=0)
    >>> m.agents["community"][[0, 99, 100, 999]].tolist(), m.size.tolist()[:3]
    ([0, 0, 1, 9], [100, 100, 100])
    >>> h = m.run(5)
    >>> bool(0.3 < m.approval < 0.7 and np.all(m.mean_satisfaction > 0))
    True
    """

    def __init__(self, n_agents, n_communities, *, seed=None, meso_interval=1, macro_interval=1,
                 **params):
        N = V.integer("n_agents", n_agents, low=1)
        C = V.integer("n_communities", n_communities, low=1)
        if C > N:
            raise ValueError(f"n_communities must be <= n_agents ({N}), got {C}")
        self._n_agents, self._n_communities = N, C
        self.meso_interval = V.integer("meso_interval", meso_interval, low=1)
        self.macro_interval = V.integer("macro_interval", macro_interval, low=1)
        unknown = sorted(set(params) - set(_PARAMS))
        if unknown:
            raise TypeError(f"unknown model parameter(s) {unknown}; allowed: {sorted(_PARAMS)}")
        self._params = _Params({name: params.get(name, default)
                                for name, (default, _) in _PARAMS.items()})
        _check_model_memory(N, C, f"{type(self).__name__}(n_agents={N}, n_communities={C})")

        seq, self.seed = resolve_seed(seed)
        init_seq, noise_seq = seq.spawn(2)
        rng = np.random.default_rng(init_seq)
        community = rng.permutation(np.arange(N, dtype=np.int64) % C)
        u = rng.random(N)
        wealth = (1.0 - u) ** (-1.0 / self.params["wealth_alpha"])
        wealth /= wealth.mean()
        satisfaction = rng.uniform(0.4, 0.6, N)
        self._n_chunks = (N + CHUNK - 1) // CHUNK
        self._states, _ = make_streams(noise_seq, self._n_chunks)
        # per-chunk partial community sums if that table is no larger than the population
        self._use_partials = self._n_chunks * C <= max(N, 4096)
        shape = (self._n_chunks, C) if self._use_partials else (1, 1)
        self._part_sum = np.zeros(shape)
        self._part_sq = np.zeros(shape)
        self._pending_sums = None

        self._agents = {"satisfaction": satisfaction, "wealth": wealth.copy(),
                        "community": community, "field": np.zeros(N)}
        self._base_wealth = wealth
        self.size = np.bincount(community, minlength=C).astype(np.int64)
        self._weight = self.size / N  # community share n_c / N (float)
        self.cohesion = np.full(C, self.params["initial_cohesion"])
        self.community_transfers = np.zeros(C)
        self.mean_satisfaction = np.full(C, np.nan)  # set by the first aggregation (_micro_to_meso)
        self.std_satisfaction = np.full(C, np.nan)
        self.resources = np.zeros(C)
        self.resource_inequality = 0.0
        self.trust = self.params["initial_trust"]
        self.policy_effectiveness = 0.0
        self.current_step = 0
        self._refresh_derived()
        self._aggregate()
        for name in ("mean_satisfaction", "std_satisfaction"):
            val = getattr(self, name)
            if not (isinstance(val, np.ndarray) and val.shape == (C,) and not np.isnan(val).any()):
                raise TypeError(f"{type(self).__name__}._micro_to_meso left {name} unset: "
                                f"{_groups_contract(N, C)}")
        self.approval = self._approval()

    # ------------------------------------------------------------ attributes
    @property
    def n_agents(self):
        """Number of citizens N (fixed at construction)."""
        return self._n_agents

    @n_agents.setter
    def n_agents(self, value):
        raise AttributeError("n_agents is fixed at construction (the agent arrays have this length); "
                             "build a new model instead")

    @property
    def n_communities(self):
        """Number of communities C (fixed at construction)."""
        return self._n_communities

    @n_communities.setter
    def n_communities(self, value):
        raise AttributeError("n_communities is fixed at construction; build a new model, or "
                             "reassign citizens with set_agent_variable('community', ...)")

    @property
    def params(self):
        """dict of the model parameters (see the class docstring).

        Values may be changed between steps (``model.params["noise"] = 0.5``);
        every value written is checked against its range at once.
        """
        return self._params

    @params.setter
    def params(self, value):
        if not isinstance(value, dict):
            raise TypeError(f"params must be a dict of the model parameters, got {type(value).__name__}")
        missing = sorted(set(_PARAMS) - set(value))
        if missing:
            raise ValueError(f"params lacks the model parameter(s) {missing}")
        self._params = _Params(value)

    def _check_state(self):
        """Raise, naming the attribute, if a public attribute was set to garbage (O(C))."""
        V.integer("current_step", self.current_step, low=0)
        V.integer("meso_interval", self.meso_interval, low=1)
        V.integer("macro_interval", self.macro_interval, low=1)
        V.real("trust", self.trust, low=-_SLACK, high=1.0 + _SLACK)
        C = self._n_communities
        for name in ("cohesion", "mean_satisfaction"):
            val = getattr(self, name)
            if not isinstance(val, np.ndarray):
                raise TypeError(f"{name} must be an array of {C} floats (one per community), "
                                f"got {type(val).__name__}")
            if val.shape != (C,):
                raise ValueError(f"{name} must have shape ({C},) (one value per community), "
                                 f"got {val.shape}")
            if not (np.all(val >= -_SLACK) and np.all(val <= 1.0 + _SLACK)):
                raise ValueError(f"{name} must lie in [0, 1] (no NaN)")

    # ------------------------------------------------------------------ agents
    @property
    def agents(self):
        """dict of str -> ndarray (length N): the citizens as a struct of arrays.

        Core entries: ``satisfaction`` (float, [0, 1]), ``wealth`` (float > 0,
        effective wealth including policy transfers), ``community`` (int64,
        0..C-1), ``field`` (float, the policy field :math:`h_i`).  Subclasses
        may add their own entries with :meth:`~utacbook.models.MultiscaleModel.set_agent_variable`.

        Only ``satisfaction`` may be changed in place (a step refuses a
        non-finite value); ``wealth``, ``community`` and ``field`` must be
        changed with :meth:`~utacbook.models.MultiscaleModel.set_agent_variable`, which checks them (the
        micro step does not check the community labels it indexes with).
        """
        return self._agents

    def get_agent_variable(self, name):
        """Return the per-citizen array ``name`` (the model's own array, not a copy)."""
        if not isinstance(name, str) or name not in self._agents:
            raise ValueError(f"name must be one of {sorted(self._agents)}, got {name!r}")
        return self._agents[name]

    def set_agent_variable(self, name, values):
        """Set the per-citizen array ``name`` (length N) and recompute what depends on it.

        ``satisfaction`` must lie in [0, 1]; ``wealth`` must be > 0 (it sets
        the wealth before policy transfers); ``community`` must be integers in
        0..C-1 with every community non-empty.  Other names create or replace
        a custom float array.
        """
        if not isinstance(name, str) or not name:
            raise TypeError(f"name must be a non-empty string, got {name!r}")
        N = self.n_agents
        if name == "community":
            self._set_membership(values, "values for 'community'")
        else:
            arr = V.real_array("values", values, ndim=1)
            if arr.shape != (N,):
                raise ValueError(f"values must have length n_agents = {N}, got {arr.shape[0]}")
            if name == "satisfaction" and (arr.min() < 0 or arr.max() > 1):
                raise ValueError("values for 'satisfaction' must lie in [0, 1]")
            if name == "wealth":
                if arr.min() <= 0:
                    raise ValueError("values for 'wealth' must be > 0")
                self._base_wealth = arr.copy()
            else:
                self._agents[name] = arr.copy()
        self._pending_sums = None
        self._refresh_derived()
        self._aggregate()

    def _set_membership(self, values, what):
        """Check community labels (``what`` names them in errors) and make them the membership.

        Does not recompute derived quantities or community means.
        """
        N, C = self.n_agents, self.n_communities
        arr = np.asarray(values)
        if arr.shape != (N,) or not np.issubdtype(arr.dtype, np.integer):
            raise ValueError(f"{what} must be {N} integers")
        if arr.min() < 0 or arr.max() >= C:
            raise ValueError(f"{what} must lie in 0..{C - 1}")
        size = np.bincount(arr, minlength=C)
        if np.any(size == 0):
            raise ValueError(f"{what} must leave no community empty")
        self._agents["community"] = arr.astype(np.int64)
        self.size = size.astype(np.int64)
        self._weight = self.size / N

    # --------------------------------------------------------------- derived
    def _refresh_derived(self):
        """Recompute effective wealth, the individual term u_i and the resources."""
        self._agents["wealth"] = self._effective_wealth()
        w = self._agents["wealth"]
        lw = np.log(w)
        self._u = self._agents["field"] + self.params["wealth_weight"] * (lw - lw.mean())
        comm = self._agents["community"]
        mean_w = np.bincount(comm, weights=w, minlength=self.n_communities) / self.size
        self.resources = mean_w + self.community_transfers
        self.resource_inequality = gini(np.maximum(self.resources, 0.0), self.size)

    def _effective_wealth(self):
        """Wealth used by the dynamics (the base class: the base wealth)."""
        return self._base_wealth.copy()

    def _approval(self):
        return float(np.dot(self._weight, self.mean_satisfaction))

    @property
    def effective_temperature(self):
        r""":math:`T_\mathrm{eff} = T_\mathrm{social}(1 + \eta(1 - \tau))` (float > 0)."""
        p = self.params
        return p["noise"] * (1.0 + p["trust_noise"] * (1.0 - self.trust))

    # --------------------------------------------------------------- dynamics
    def _update_micro(self):
        """The synchronous micro step (Numba kernel, one normal per citizen)."""
        p = self.params
        try:
            g = p["coupling"] * self.cohesion * (2.0 * self.mean_satisfaction - 1.0)
            ok = np.shape(g) == (self._n_communities,) and bool(np.isfinite(g).all())
        except (TypeError, ValueError):
            ok = False
        if not ok:  # cohesion or mean_satisfaction was set to garbage: say which
            self._check_state()
            raise ValueError("the community term coupling * cohesion * (2 mean_satisfaction - 1) "
                             "must be finite, one value per community")
        micro_step(self._agents["satisfaction"], self._agents["community"], g, self._u,
                   1.0 / self.effective_temperature, p["inertia"], self._states,
                   self._part_sum, self._part_sq, self._use_partials)
        if self._use_partials:
            self._pending_sums = reduce_partials(self._part_sum, self._part_sq, self.n_communities)

    def _micro_to_meso(self):
        """Community means and population standard deviations of satisfaction.

        The aggregation hook.  An override returns ``None`` after setting
        ``mean_satisfaction`` and ``std_satisfaction`` (as this method
        does), or returns groups (an integer array of N community labels in
        0..C-1, or a sequence of C index arrays partitioning 0..N-1), which
        become the new membership; see the class Notes.
        """
        if self._pending_sums is not None:
            tot, sq = self._pending_sums
            self._pending_sums = None
        else:
            tot, sq = community_sums(self._agents["satisfaction"], self._agents["community"],
                                     self.n_communities)
        m = tot / self.size
        self.mean_satisfaction = m
        self.std_satisfaction = np.sqrt(np.maximum(sq / self.size - m * m, 0.0))

    def _aggregate(self):
        """Run the aggregation hook ``_micro_to_meso`` and honour groups it returns."""
        groups = self._micro_to_meso()
        if groups is None:
            return
        self._set_membership(self._groups_to_labels(groups),
                             f"the groups returned by {type(self).__name__}._micro_to_meso")
        self._pending_sums = None  # partial sums of the micro step belong to the old membership
        self._refresh_derived()
        MultiscaleModel._micro_to_meso(self)

    def _groups_to_labels(self, groups):
        """Community labels (length N) from what ``_micro_to_meso`` returned, or TypeError/ValueError."""
        N, C = self.n_agents, self.n_communities

        def contract(got):
            return f"{type(self).__name__}._micro_to_meso returned {got}: {_groups_contract(N, C)}"

        if isinstance(groups, (list, tuple)) and not groups:
            raise ValueError(contract(f"an empty {type(groups).__name__}"))
        if isinstance(groups, (list, tuple)) and all(np.ndim(g) == 1 for g in groups):
            if len(groups) != C:
                raise ValueError(contract(f"{len(groups)} index arrays"))
            parts = [np.asarray(g) for g in groups]
            for c, g in enumerate(parts):
                if g.size == 0:
                    raise ValueError(contract(f"an empty group {c}"))
                if not np.issubdtype(g.dtype, np.integer):
                    raise TypeError(contract(f"group {c} of dtype {g.dtype}"))
            idx = np.concatenate(parts)
            if (idx.size != N or idx.min() < 0 or idx.max() >= N
                    or np.any(np.bincount(idx, minlength=N) != 1)):
                raise ValueError(contract(
                    f"{C} index arrays that do not hold every citizen 0..{N - 1} exactly once"))
            labels = np.empty(N, dtype=np.int64)
            for c, g in enumerate(parts):
                labels[g] = c
            return labels
        if not isinstance(groups, (np.ndarray, list, tuple)):
            raise TypeError(contract(f"a {type(groups).__name__}"))
        arr = np.asarray(groups)
        if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
            raise TypeError(contract(f"an array of shape {arr.shape} and dtype {arr.dtype}"))
        if arr.shape != (N,):
            raise ValueError(contract(f"{arr.shape[0]} labels"))
        return arr

    def _update_meso(self):
        """Cohesion relaxes towards clip(1 - 2 std_c, 0, 1) at rate meso_rate."""
        rho = self.params["meso_rate"]
        target = np.clip(1.0 - 2.0 * self.std_satisfaction, 0.0, 1.0)
        self.cohesion = (1.0 - rho) * self.cohesion + rho * target

    def _update_macro(self):
        """Approval, trust and policy effectiveness."""
        self.approval = self._approval()
        rho = self.params["trust_rate"]
        self.trust = (1.0 - rho) * self.trust + rho * self.approval
        self.policy_effectiveness = self._compute_effectiveness()

    def _compute_effectiveness(self):
        """Policy effectiveness; 0 in the base model (no policies)."""
        return 0.0

    def step(self, *, quantiles=True):
        """Advance one step (micro, meso and macro as scheduled) and return its record.

        See :meth:`run` for the record.
        """
        t = self.trust
        if not (type(self.current_step) is int and type(self.meso_interval) is int
                and type(self.macro_interval) is int and self.meso_interval >= 1
                and self.macro_interval >= 1 and type(t) is float and -_SLACK <= t <= 1.0 + _SLACK):
            self._check_state()  # slow path: raises if an attribute was set to garbage
        self.current_step += 1
        self._update_micro()
        self._aggregate()
        if not -_SLACK <= self._approval() <= 1.0 + _SLACK:  # NaN fails too
            raise ValueError("agents['satisfaction'] must lie in [0, 1] (it holds NaN, inf or values "
                             "outside; it was changed in place)")
        if self.current_step % self.meso_interval == 0:
            self._update_meso()
        if self.current_step % self.macro_interval == 0:
            self._update_macro()
        return self._record(quantiles)

    def run(self, n_steps, *, quantiles=True):
        """Run ``n_steps`` steps; return one record (dict) per step.

        Parameters
        ----------
        n_steps : int >= 0
            ``run(0)`` returns an empty history.
        quantiles : bool
            Include the 10/25/50/75/90 % quantiles of satisfaction in
            ``record['micro']`` (costs one O(N) partition per step).

        Returns
        -------
        History (a list) of dict, each with keys

        * ``step``: int, 1-based;
        * ``micro``: ``mean``, ``std`` (ddof 0) of satisfaction, and
          ``quantiles`` (dict ``q10``..``q90``) if requested;
        * ``meso``: per-community arrays (copies) ``satisfaction`` (mean),
          ``satisfaction_std``, ``cohesion``, ``resources``, ``size``;
        * ``macro``: ``approval``, ``trust``, ``policy_effectiveness``,
          ``effective_temperature``;
        * ``micro_metrics``: ``avg_satisfaction``;
        * ``meso_metrics``: ``avg_cohesion`` (size-weighted mean of
          :math:`\\kappa_c`), ``resource_inequality`` (size-weighted Gini of R_c);
        * ``macro_metrics``: ``policy_effectiveness``, ``approval``, ``trust``.

        Approval, trust and effectiveness are the values of the last macro
        update (they change only every ``macro_interval`` steps).
        :meth:`History.to_dataframe` and :meth:`History.to_xarray` turn the
        records into a table.
        """
        n_steps = V.integer("n_steps", n_steps, low=0)
        _check_history_memory(n_steps, self._n_communities, f"run(n_steps={n_steps})")
        return History([self.step(quantiles=quantiles) for _ in range(n_steps)])

    def _record(self, quantiles):
        s = self._agents["satisfaction"]
        mean = self._approval()
        var = float(np.dot(self._weight, self.std_satisfaction ** 2 + self.mean_satisfaction ** 2)
                    - mean * mean)
        micro = {"mean": mean, "std": math.sqrt(max(var, 0.0))}
        if quantiles:
            q = np.quantile(s, [0.1, 0.25, 0.5, 0.75, 0.9])
            micro["quantiles"] = dict(zip(("q10", "q25", "q50", "q75", "q90"), map(float, q)))
        avg_coh = float(np.dot(self._weight, self.cohesion))
        return {
            "step": self.current_step,
            "micro": micro,
            "meso": {"satisfaction": self.mean_satisfaction.copy(),
                     "satisfaction_std": self.std_satisfaction.copy(),
                     "cohesion": self.cohesion.copy(), "resources": self.resources.copy(),
                     "size": self.size.copy()},
            "macro": {"approval": self.approval, "trust": self.trust,
                      "policy_effectiveness": self.policy_effectiveness,
                      "effective_temperature": self.effective_temperature},
            "micro_metrics": {"avg_satisfaction": mean},
            "meso_metrics": {"avg_cohesion": avg_coh,
                             "resource_inequality": self.resource_inequality},
            "macro_metrics": {"policy_effectiveness": self.policy_effectiveness,
                              "approval": self.approval, "trust": self.trust},
        }

    # ----------------------------------------------------------------- states
    @property
    def micro_state(self):
        """ScaleState(MICRO) whose variables are the :attr:`agents` arrays, and ``"agents"``.

        ``micro_state.get_variable("agents")`` is an :class:`~utacbook.models.AgentView` of the
        citizens: a read-only sequence of per-citizen records that also
        exposes the arrays (see there).
        """
        return ScaleState(ScaleLevel.MICRO, {**self._agents, "agents": AgentView(self._agents)},
                          self.current_step)

    @property
    def meso_state(self):
        """ScaleState(MESO): per-community ``satisfaction`` (mean), ``satisfaction_std``,
        ``cohesion``, ``resources``, ``size``."""
        return ScaleState(ScaleLevel.MESO, {
            "satisfaction": self.mean_satisfaction, "satisfaction_std": self.std_satisfaction,
            "cohesion": self.cohesion, "resources": self.resources, "size": self.size},
            self.current_step)

    @property
    def macro_state(self):
        """ScaleState(MACRO): ``approval``, ``trust``, ``policy_effectiveness``,
        ``resource_inequality``, ``effective_temperature`` (floats)."""
        return ScaleState(ScaleLevel.MACRO, {
            "approval": self.approval, "trust": self.trust,
            "policy_effectiveness": self.policy_effectiveness,
            "resource_inequality": self.resource_inequality,
            "effective_temperature": self.effective_temperature}, self.current_step)

    # ------------------------------------------------------- scale transfers
    @staticmethod
    def _level(name, value):
        if not isinstance(value, ScaleLevel):
            raise TypeError(f"{name} must be a ScaleLevel, got {value!r}")
        return value

    def upscale(self, from_level, to_level, variables=None):
        """Aggregate variables from a finer level to a coarser one (size-weighted).

        MICRO -> MESO: for each per-citizen float array ``x`` (length N), the
        community means under the same name and the within-community
        population standard deviations as ``<name>_std``, plus ``size``.
        MESO -> MACRO: for each per-community array (length C), the
        size-weighted mean (a float) and the between-community spread
        (size-weighted population std) as ``<name>_std``.  MICRO -> MACRO:
        population mean and std.  The model's state is not modified.

        Parameters
        ----------
        from_level, to_level : ScaleLevel, from_level finer than to_level
        variables : dict of str -> array, optional
            Default: the ``satisfaction`` and ``wealth`` agent arrays (from
            MICRO), or the meso ``satisfaction``, ``cohesion`` and
            ``resources`` (from MESO).  ``community`` and ``size`` entries are
            skipped.

        Returns
        -------
        dict of str -> ndarray (MESO) or float (MACRO)
        """
        a = self._level("from_level", from_level)
        b = self._level("to_level", to_level)
        if a.value >= b.value:
            raise ValueError(f"to_level must be coarser than from_level, got {a} -> {b}")
        n = self.n_agents if a is ScaleLevel.MICRO else self.n_communities
        if variables is None:
            st = self.micro_state if a is ScaleLevel.MICRO else self.meso_state
            keys = ("satisfaction", "wealth") if a is ScaleLevel.MICRO else (
                "satisfaction", "cohesion", "resources")
            variables = {k: st.variables[k] for k in keys}
        out = {}
        comm = self._agents["community"]
        for name, val in variables.items():
            if name in ("community", "size"):
                continue
            x = V.real_array(f"variables[{name!r}]", val, ndim=1)
            if x.shape[0] != n:
                raise ValueError(f"variables[{name!r}] must have length {n}, got {x.shape[0]}")
            if a is ScaleLevel.MICRO and b is ScaleLevel.MESO:
                m = np.bincount(comm, weights=x, minlength=self.n_communities) / self.size
                d = x - m[comm]
                out[name] = m
                out[name + "_std"] = np.sqrt(
                    np.bincount(comm, weights=d * d, minlength=self.n_communities) / self.size)
            elif a is ScaleLevel.MICRO:
                out[name] = float(x.mean())
                out[name + "_std"] = float(x.std())
            else:
                w = self.size / self.n_agents
                m = float(np.dot(w, x))
                out[name] = m
                out[name + "_std"] = math.sqrt(max(float(np.dot(w, (x - m) ** 2)), 0.0))
        if b is ScaleLevel.MESO:
            out["size"] = self.size.copy()
        return out

    def downscale(self, from_level, to_level, variables=None):
        """Distribute variables of a coarser level to a finer one.

        MACRO -> MESO: every community gets the national value (arrays of
        length C).  MESO -> MICRO: every citizen gets the value of its
        community (arrays of length N).  MACRO -> MICRO: every citizen gets
        the national value.  Upscaling the result with :meth:`upscale`
        returns the original values (so the population mean is preserved).
        The model's state is not modified.

        Parameters
        ----------
        from_level, to_level : ScaleLevel, from_level coarser than to_level
        variables : dict, optional
            Default: macro ``approval``, ``trust``, ``policy_effectiveness``
            (from MACRO), or meso ``satisfaction``, ``cohesion``,
            ``resources`` (from MESO).

        Returns
        -------
        dict of str -> ndarray
        """
        a = self._level("from_level", from_level)
        b = self._level("to_level", to_level)
        if a.value <= b.value:
            raise ValueError(f"to_level must be finer than from_level, got {a} -> {b}")
        if variables is None:
            if a is ScaleLevel.MACRO:
                mv = self.macro_state.variables
                variables = {k: mv[k] for k in ("approval", "trust", "policy_effectiveness")}
            else:
                mv = self.meso_state.variables
                variables = {k: mv[k] for k in ("satisfaction", "cohesion", "resources")}
        out = {}
        for name, val in variables.items():
            if name in ("size", "community"):
                continue
            if a is ScaleLevel.MACRO:
                v = V.real(f"variables[{name!r}]", val)
                n = self.n_communities if b is ScaleLevel.MESO else self.n_agents
                out[name] = np.full(n, v)
            else:
                x = V.real_array(f"variables[{name!r}]", val, ndim=1)
                if x.shape[0] != self.n_communities:
                    raise ValueError(f"variables[{name!r}] must have length "
                                     f"{self.n_communities}, got {x.shape[0]}")
                out[name] = x[self._agents["community"]]
        return out


class GovernmentMultiscaleModel(MultiscaleModel):
    r"""The multiscale model with government policies.

    Parameters
    ----------
    n_agents : int >= 1, default 1000
    n_communities : int in [1, n_agents], default 10
    seed, meso_interval, macro_interval, **params
        As :class:`MultiscaleModel`.

    Notes
    -----
    Policies (:class:`utacbook.models.Policy`) act through the field and
    through wealth.  A policy with ``satisfaction`` effect :math:`a` adds
    :math:`a` to :math:`h_i` of its targets, and every active policy lowers
    every citizen's field by ``cost_weight * cost`` (taxes).  A
    ``resources`` effect :math:`r` is added to the wealth :math:`w_i` of the
    targeted citizens (individual and national policies) or to :math:`R_c`
    of the targeted communities (community policies, a transfer that does
    not change individual wealth).  Targets are fixed when the policy is
    applied: individual policies target citizens whose wealth (before
    transfers) is below the ``target_quantile`` quantile; community policies
    target communities whose mean wealth (before transfers) is below the
    ``target_quantile`` quantile of the community mean wealths; national
    policies target everyone.

    Policy effectiveness (our definition; the source gives none): the mean
    over active policies of (mean satisfaction of the policy's targets) -
    (mean satisfaction of the non-targets); for a policy that targets
    everyone (national) :math:`A - 0.5`; for a policy with no targets 0;
    :math:`E = 0` with no policy.  It is an observable: it does not feed back
    on the dynamics.

    The ``field`` agent variable is owned by the policies here: applying or
    removing a policy recomputes it from the active policies and overwrites
    any value set with :meth:`~utacbook.models.MultiscaleModel.set_agent_variable`.  Setting ``wealth`` sets
    the wealth before transfers; targets of active policies are not
    re-selected.

    Examples
    --------
    >>> from utacbook.models import GovernmentMultiscaleModel, create_example_policies
    >>> m = GovernmentMultiscaleModel(n_agents=1000, n_communities=10, seed=0)
    >>> mask = m.apply_policy(create_example_policies()[0])   # targeted welfare
    >>> int(mask.sum())                                        # the poorest 20 %
    200
    >>> history = m.run(30)
    >>> rec = history[-1]
    >>> rec["step"], sorted(rec["macro"])
    (30, ['approval', 'effective_temperature', 'policy_effectiveness', 'trust'])
    >>> bool(rec["macro"]["policy_effectiveness"] > 0)     # targets more satisfied
    True
    >>> history.to_dataframe()["macro.trust"].shape
    (30,)
    """

    def __init__(self, n_agents=1000, n_communities=10, *, seed=None, meso_interval=1,
                 macro_interval=1, **params):
        self._policies = {}
        super().__init__(n_agents, n_communities, seed=seed, meso_interval=meso_interval,
                         macro_interval=macro_interval, **params)

    @property
    def policies(self):
        """list of the active policies, in the order they were applied."""
        return [p for p, _ in self._policies.values()]

    def _targets(self, policy):
        """(citizen mask, community mask or None) of the citizens ``policy`` targets."""
        q = policy.target_quantile
        if policy.scale == "national":
            return np.ones(self.n_agents, dtype=bool), None
        if policy.scale == "individual":
            w = self._base_wealth
            return w < np.quantile(w, q), None
        comm = self._agents["community"]
        R0 = np.bincount(comm, weights=self._base_wealth, minlength=self.n_communities) / self.size
        cmask = R0 < np.quantile(R0, q)
        return cmask[comm], cmask

    def apply_policy(self, policy, *, targets=None):
        """Activate ``policy`` (a :class:`utacbook.models.Policy` with a new name).

        Recomputes the fields, wealth and resources at once; the dynamics see
        them from the next step on.  Returns the boolean mask of targeted
        citizens (length N).

        Parameters
        ----------
        policy : Policy
        targets : array_like of bool, shape (N,), optional
            The targeted citizens, instead of the policy's own selection (for
            experiments that spread a policy's reach at random).  Only for
            ``individual`` policies: a community policy selects communities,
            a national one everybody.

        Raises
        ------
        ValueError
            A name that is already active; ``targets`` for a policy that is
            not ``individual``; a ``community`` policy when
            ``n_communities == 1`` (it would target nobody and tax everyone).
        """
        from utacbook.models._government import Policy  # lazy: government imports this module
        if not isinstance(policy, Policy):
            raise TypeError("policy must be a utacbook.models.Policy, "
                            f"got {type(policy).__name__}")
        policy._checked()  # a Policy changed after construction is refused here
        if policy.scale == "community" and self.n_communities == 1:
            raise ValueError(
                f"policy {policy.name!r} is a 'community' policy, which needs n_communities >= 2: with one "
                "community it would target nobody (it selects the communities whose mean wealth lies below "
                "a quantile of the community means) but its cost would still tax every citizen; a "
                "single-scale GovernmentSimulation has one community")
        if policy.name in self._policies:
            raise ValueError(f"policy name {policy.name!r} is already active")
        if targets is None:
            mask, cmask = self._targets(policy)
        else:
            if policy.scale != "individual":
                raise ValueError("targets can only be given for an 'individual' policy, "
                                 f"got scale {policy.scale!r}")
            mask = np.asarray(targets)
            if mask.shape != (self.n_agents,) or mask.dtype != bool:
                raise ValueError(f"targets must be a boolean array of length {self.n_agents}")
            mask, cmask = mask.copy(), None
        before = dict(self._policies)
        self._policies[policy.name] = (policy, (mask, cmask))
        try:
            self._apply_fields()
        except (TypeError, ValueError):
            self._policies = before  # an active policy was corrupted: leave the model as it was
            raise
        return mask.copy()

    def remove_policy(self, name):
        """Deactivate the policy called ``name`` (ValueError if none is active)."""
        if not isinstance(name, str) or name not in self._policies:
            raise ValueError(f"name must be an active policy {sorted(self._policies)}, "
                             f"got {name!r}")
        before = dict(self._policies)
        del self._policies[name]
        try:
            self._apply_fields()
        except (TypeError, ValueError):
            self._policies = before
            raise

    def _apply_fields(self):
        N, C = self.n_agents, self.n_communities
        for pol, _ in self._policies.values():
            pol._checked()  # refuse a policy corrupted after it was applied, before any change
        h = np.zeros(N)
        transfers = np.zeros(C)
        cost = 0.0
        for pol, (mask, cmask) in self._policies.values():
            a = pol.effects.get("satisfaction", 0.0)
            if a:
                h[mask] += a
            r = pol.effects.get("resources", 0.0)
            if r and cmask is not None:
                transfers[cmask] += r
            cost += pol.cost
        if cost:
            h -= self.params["cost_weight"] * cost
        self._agents["field"] = h
        self.community_transfers = transfers
        self._refresh_derived()

    def _effective_wealth(self):
        w = self._base_wealth.copy()
        for pol, (mask, cmask) in getattr(self, "_policies", {}).values():
            r = pol.effects.get("resources", 0.0)
            if r and cmask is None:
                w[mask] += r
        return w

    def _compute_effectiveness(self):
        if not self._policies:
            return 0.0
        s = self._agents["satisfaction"]
        A = self._approval()
        vals = []
        for _pol, (mask, cmask) in self._policies.values():
            n_t = int(mask.sum()) if cmask is None else int(self.size[cmask].sum())
            if n_t == self.n_agents:
                vals.append(A - 0.5)
            elif n_t == 0:
                vals.append(0.0)
            else:
                if cmask is None:
                    st = float(s[mask].sum())
                else:
                    st = float(np.dot(self.size[cmask], self.mean_satisfaction[cmask]))
                total = A * self.n_agents
                vals.append(st / n_t - (total - st) / (self.n_agents - n_t))
        return float(np.mean(vals))


def analyze_scale_separation(model, variable="satisfaction"):
    r"""Split the population variance of an agent variable into within and between communities.

    .. math::

        \underbrace{\frac1N\sum_i (x_i - \bar x)^2}_{\rm total}
        = \underbrace{\frac1N\sum_c \sum_{i \in c} (x_i - \bar x_c)^2}_{\rm within}
        + \underbrace{\frac1N\sum_c n_c (\bar x_c - \bar x)^2}_{\rm between}

    (population variances, ddof = 0; the identity is exact).

    Parameters
    ----------
    model : MultiscaleModel or IntegratedGovernmentModel
        An :class:`utacbook.models.IntegratedGovernmentModel` is analysed
        through its ``model`` (the underlying state).
    variable : str
        Name of a per-citizen float array in ``model.agents``.

    Returns
    -------
    dict with float entries ``total_variance``, ``within_group_variance``,
    ``between_group_variance``, ``variance_ratio`` (between / within; ``inf``
    if within is 0 and between is not, ``nan`` if both are 0).

    Examples
    --------
    >>> from utacbook.models import GovernmentMultiscaleModel, analyze_scale_separation
    >>> m = GovernmentMultiscaleModel(200, 4, seed=1)
    >>> h = m.run(5)
    >>> s = analyze_scale_separation(m)
    >>> bool(abs(s["within_group_variance"] + s["between_group_variance"] - s["total_variance"]) < 1e-15)
    True

    Satisfaction (c + 1)/10 in community c (four communities of 50): all of
    the variance, that of 0.1, 0.2, 0.3, 0.4, lies between communities.

    >>> m.set_agent_variable("satisfaction", (m.agents["community"] + 1) / 10)
    >>> s = analyze_scale_separation(m)
    >>> round(s["between_group_variance"], 12), round(s["within_group_variance"], 12)
    (0.0125, 0.0)
    """
    from utacbook.models._integrated import IntegratedGovernmentModel  # lazy: it imports this module
    if isinstance(model, IntegratedGovernmentModel):
        model = model.model
    if not isinstance(model, MultiscaleModel):
        raise TypeError(f"model must be a MultiscaleModel or an IntegratedGovernmentModel, "
                        f"got {type(model).__name__}")
    if not isinstance(variable, str) or variable not in model.agents:
        raise ValueError(f"variable must be one of {sorted(model.agents)}, got {variable!r}")
    x = np.asarray(model.get_agent_variable(variable), dtype=float)
    comm = model.agents["community"]
    C = model.n_communities
    N = x.shape[0]
    size = np.bincount(comm, minlength=C)
    mc = np.bincount(comm, weights=x, minlength=C) / size
    m = x.mean()
    d = x - mc[comm]
    within = float(np.dot(d, d) / N)
    between = float(np.dot(size, (mc - m) ** 2) / N)
    total = float(np.mean((x - m) ** 2))
    if within > 0:
        ratio = between / within
    else:
        ratio = math.inf if between > 0 else math.nan
    return {"total_variance": total, "within_group_variance": within,
            "between_group_variance": between, "variance_ratio": ratio}
