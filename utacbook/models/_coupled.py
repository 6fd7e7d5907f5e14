r"""A multiscale government model whose scales change each other.

:class:`CoupledGovernmentModel` is :class:`GovernmentMultiscaleModel` plus four
mechanisms, each a standard one of the literature, each switched off by one
parameter.  With all four off (:data:`UNCOUPLED`) its runs are bit-identical to
:class:`GovernmentMultiscaleModel`'s (tested), so every result of the earlier
chapters stays reproducible.

Notation as in :mod:`utacbook.models` (the module docstring of
``GovernmentMultiscaleModel`` states the base model): satisfaction
:math:`s_i`, effective wealth :math:`w_i`, community :math:`c(i)`, community
mean :math:`\bar s_c`, size :math:`n_c`, cohesion :math:`\kappa_c`, trust
:math:`\tau`.  New state: community resources :math:`R_c` (a stock), the
community graph :math:`G` (neighbours :math:`\partial c`, degree
:math:`k_c`), and membership :math:`c(i)` that changes.

1. **Public goods** (resources reach citizens; Tiebout 1956).  The community
   term of the micro rule gains :math:`\psi\,(R_c/\bar R - 1)` with
   :math:`\bar R = \sum_c n_c R_c / N`: a community richer in resources than
   the national average raises its members' satisfaction.
2. **Fiscal loop** (resources are collected from citizens; compliance follows
   satisfaction and trust: tax morale, Levi 1988, Scholz & Lubell 1998).  At
   every meso step

   .. math::

       q_c = 1 - \omega\,\Big(1 - \frac{\bar s_c + \tau}{2}\Big), \qquad
       R_c \leftarrow (1-\delta)\,R_c + \delta\,\big(q_c\,\bar w_c + T_c\big),

   with :math:`\bar w_c` the mean wealth of the members (the tax base per
   head), :math:`T_c` the community transfers of policies, :math:`\delta` the
   turnover of the stock per step (taxes in, depreciation out) and
   :math:`\omega` the sensitivity of compliance.  :math:`\bar s_c` is this
   step's community mean, :math:`\tau` the trust of the previous macro
   update (the macro step comes after the meso step).  The stock starts at
   the base model's :math:`R_c = \bar w_c + T_c` (full compliance), to
   which it relaxes when :math:`q_c = 1`.  A null
   model with the loop cut but the same resources on average fixes
   :math:`q_c` to a constant (``fixed_compliance``).
3. **Spillovers** between neighbouring communities (social interactions
   across groups; Brock & Durlauf 2001): the community term gains
   :math:`J_s\,k_c^{-1}\sum_{c' \in \partial c} (2\bar s_{c'} - 1)`.
4. **Migration** (voting with one's feet; Tiebout 1956, Schelling 1971).
   Before each micro step, citizen :math:`i` considers a move with probability
   :math:`\mu\,(1 - s_i)`, picks a uniformly random neighbour :math:`c'` of its
   community, and moves if :math:`\bar s_{c'} > \bar s_{c(i)}` and its
   community keeps at least ``min_community_size`` members.  Wealth moves with
   the citizen (so the tax base of the communities changes).  The pass is
   sequential in citizen order; it compares the previous step's means, and
   sizes change as it goes.

The micro rule becomes

.. math::

    s_i \leftarrow (1-\lambda) s_i + \lambda\,\mathrm{sigmoid}\Big(\frac{
      J\kappa_c(2\bar s_c - 1) + J_s k_c^{-1}\!\sum_{c'\in\partial c}(2\bar s_{c'} - 1)
      + \psi (R_c/\bar R - 1) + h_i + b(\ln w_i - \langle\ln w\rangle)}{T_\mathrm{eff}}
      + \xi_i\Big),

everything else (cohesion, trust, policies, noise streams) as in the base
model.  Downward causation now runs through two channels besides the noise:
national trust sets every community's compliance and so its resources, and a
community's resources set its members' field.  Upward causation: members'
satisfaction sets compliance, and citizens' moves set the communities' sizes
and tax bases.

Order within one step ``t``: migration (if :math:`\mu > 0`, using the previous
step's community means), micro step, community means, meso step (cohesion,
then resources) if ``t % meso_interval == 0``, macro step if ``t %
macro_interval == 0``.

Random numbers: the initial state and the micro noise come from the same
streams as in the base model; migration draws from one more xoshiro256**
stream, the third child of the seed's ``SeedSequence``, so switching
migration on leaves the other draws unchanged.
"""

from __future__ import annotations

import numpy as np

from utacbook import _validate as V
from utacbook._kernels.coupled import migrate
from utacbook._kernels.multiscale import micro_step, reduce_partials
from utacbook._kernels.rng import make_streams, resolve_seed
from utacbook.models._multiscale import _PARAMS, GovernmentMultiscaleModel, _Params, gini

__all__ = ["CoupledGovernmentModel", "COUPLED_DEFAULTS", "UNCOUPLED", "community_graph_csr"]

#: the new parameters: name -> (default of CoupledGovernmentModel, validator kwargs)
_COUPLED = {
    "public_goods": (0.5, dict(nonnegative=True)),
    "fiscal_rate": (0.1, dict(low=0.0, high=1.0)),
    "compliance_sensitivity": (0.5, dict(low=0.0, high=1.0)),
    "spillover": (0.25, dict()),
    "migration_rate": (0.02, dict(low=0.0, high=1.0)),
}

#: the defaults of the four mechanisms (written before any run of the model; exploratory runs followed
#: and did not change them, see the chapter's claims)
COUPLED_DEFAULTS = {name: default for name, (default, _) in _COUPLED.items()}

#: the parameter set that switches all four mechanisms off: the base model, bit for bit
UNCOUPLED = {"public_goods": 0.0, "fiscal_rate": 0.0, "compliance_sensitivity": 0.0,
             "spillover": 0.0, "migration_rate": 0.0}

_ALL = {**_PARAMS, **_COUPLED}


class _CoupledParams(_Params):
    """The base model's parameters and the four new ones, each checked when written."""

    __slots__ = ()

    def __setitem__(self, name, value):
        if name not in _ALL:
            raise TypeError(f"unknown model parameter {name!r}; allowed: {sorted(_ALL)}")
        dict.__setitem__(self, name, V.real(name, value, **_ALL[name][1]))


def community_graph_csr(graph, n_communities):
    """Neighbour lists of a community graph as CSR arrays ``(ptr, idx)``.

    Parameters
    ----------
    graph : {"ring", "complete", "none"} or networkx.Graph
        ``"ring"``: community c neighbours c - 1 and c + 1 (mod C), a
        one-dimensional geography; ``"complete"``: every other community;
        ``"none"``: no neighbours (no spillover, no migration); a
        ``networkx.Graph`` whose nodes are exactly 0..C-1 (self-loops are
        ignored).
    n_communities : int >= 1

    Returns
    -------
    ptr : int64 array (C + 1,), idx : int64 array
        The neighbours of c are ``idx[ptr[c]:ptr[c + 1]]``, sorted, without
        repeats.

    Examples
    --------
    >>> ptr, idx = community_graph_csr("ring", 4)
    >>> [idx[ptr[c]:ptr[c + 1]].tolist() for c in range(4)]
    [[1, 3], [0, 2], [1, 3], [0, 2]]
    >>> community_graph_csr("ring", 2)[1].tolist()      # the two neighbours coincide
    [1, 0]
    """
    C = V.integer("n_communities", n_communities, low=1)
    if isinstance(graph, str):
        kind = V.choice("community_graph", graph, ("ring", "complete", "none"))
        if kind == "ring":
            nbrs = [sorted({(c - 1) % C, (c + 1) % C} - {c}) for c in range(C)]
        elif kind == "complete":
            nbrs = [[d for d in range(C) if d != c] for c in range(C)]
        else:
            nbrs = [[] for _ in range(C)]
    else:
        try:
            import networkx as nx
        except ImportError:  # pragma: no cover - networkx is a dependency
            nx = None
        if nx is None or not isinstance(graph, nx.Graph) or graph.is_directed():
            raise TypeError("community_graph must be 'ring', 'complete', 'none' or an undirected "
                            f"networkx.Graph, got {type(graph).__name__}")
        if set(graph.nodes) != set(range(C)):
            raise ValueError(f"community_graph must have the nodes 0..{C - 1} (one per community)")
        nbrs = [sorted(set(graph.neighbors(c)) - {c}) for c in range(C)]
    ptr = np.zeros(C + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(n) for n in nbrs])
    idx = np.array([d for n in nbrs for d in n], dtype=np.int64)
    return ptr, idx


class CoupledGovernmentModel(GovernmentMultiscaleModel):
    r"""The multiscale government model with scales that change each other.

    :class:`GovernmentMultiscaleModel` plus four mechanisms (the chapter on
    interacting scales states them in full, with the order of updates):

    * public goods: the community term gains :math:`\psi\,(R_c/\bar R - 1)`,
      :math:`\bar R = \sum_c n_c R_c / N`;
    * fiscal loop, at every meso step: :math:`q_c = 1 - \omega(1 - (\bar s_c + \tau)/2)`,
      :math:`R_c \leftarrow (1-\delta) R_c + \delta (q_c \bar w_c + T_c)`, from
      :math:`R_c(0) = \bar w_c + T_c`;
    * spillovers: the community term gains
      :math:`J_s k_c^{-1} \sum_{c' \in \partial c} (2\bar s_{c'} - 1)`;
    * migration, before each micro step: citizen i considers a move with
      probability :math:`\mu (1 - s_i)`, picks a random neighbour c' of its
      community and moves if :math:`\bar s_{c'} > \bar s_{c(i)}` (previous step)
      and its community keeps ``min_community_size`` members; wealth moves
      with the citizen.

    Parameters
    ----------
    n_agents : int >= 1, default 1000
    n_communities : int in [1, n_agents], default 10
    seed : int >= 0, SeedSequence or None
    meso_interval, macro_interval : int >= 1
        As :class:`MultiscaleModel`.
    community_graph : {"ring", "complete", "none"} or networkx.Graph, default "ring"
        Who neighbours whom (spillovers and migration); see
        :func:`community_graph_csr`.
    min_community_size : int >= 1, default 2
        Migration never leaves a community with fewer members.
    fixed_compliance : float in [0, 1] or None, default None
        The null model of the fiscal loop: every community's compliance is
        this constant instead of :math:`1 - \omega(1 - (\bar s_c + \tau)/2)`.
    migration_choice : {"better", "random"}, default "better"
        ``"random"`` is the null model of migration: a citizen who considers a
        move makes it with probability 1/2 whatever the two communities' means
        (about as many moves, no sorting).
    **params
        The base model's parameters (:class:`MultiscaleModel`) and the new ones
        (dimensionless, like the coupling):

        * ``public_goods`` = 0.5, >= 0: :math:`\psi`, field per unit of relative
          resources :math:`R_c/\bar R - 1`;
        * ``fiscal_rate`` = 0.1, in [0, 1]: :math:`\delta`, turnover of the
          resource stock per meso step (0: resources are the base model's
          static mean wealth plus transfers);
        * ``compliance_sensitivity`` = 0.5, in [0, 1]: :math:`\omega`;
        * ``spillover`` = 0.25, real: :math:`J_s`;
        * ``migration_rate`` = 0.02, in [0, 1]: :math:`\mu`, per step.

        :data:`UNCOUPLED` sets all five to 0: the base model bit for bit.

    Attributes
    ----------
    resources : ndarray (C,)
        :math:`R_c`, a stock when ``fiscal_rate > 0``.
    compliance : ndarray (C,)
        :math:`q_c` of the last meso step (1 before the first).
    migrations : int
        Moves in the last step.

    Notes
    -----
    Memory: the base model's 48 bytes per citizen, nothing more per citizen.
    Cost per step: the base model's, plus O(mu N) for migration, plus O(E + C)
    for the community graph and resources; with community policies active,
    a step with moves recomputes the policy field (O(N) per policy).

    Examples
    --------
    >>> from utacbook.models import CoupledGovernmentModel, GovernmentMultiscaleModel, UNCOUPLED
    >>> m = CoupledGovernmentModel(n_agents=2000, n_communities=10, seed=3)
    >>> h = m.run(50)
    >>> int(m.size.sum()), bool(m.size.min() >= 2)        # citizens moved, none lost
    (2000, True)
    >>> sorted(h[-1]["meso"])[:3]
    ['cohesion', 'compliance', 'resources']
    >>> a = CoupledGovernmentModel(500, 5, seed=1, **UNCOUPLED).run(20)
    >>> b = GovernmentMultiscaleModel(500, 5, seed=1).run(20)
    >>> a[-1]["micro"]["mean"] == b[-1]["micro"]["mean"]   # the special case, bit for bit
    True
    """

    def __init__(self, n_agents=1000, n_communities=10, *, seed=None, meso_interval=1,
                 macro_interval=1, community_graph="ring", min_community_size=2,
                 fixed_compliance=None, migration_choice="better", **params):
        unknown = sorted(set(params) - set(_ALL))
        if unknown:
            raise TypeError(f"unknown model parameter(s) {unknown}; allowed: {sorted(_ALL)}")
        coupled = {k: params.pop(k) for k in list(params) if k in _COUPLED}
        self._graph_spec = community_graph
        self.min_community_size = V.integer("min_community_size", min_community_size, low=1)
        if fixed_compliance is not None:
            fixed_compliance = V.real("fixed_compliance", fixed_compliance, low=0.0, high=1.0)
        self.fixed_compliance = fixed_compliance
        self.migration_choice = V.choice("migration_choice", migration_choice, ("better", "random"))
        super().__init__(n_agents, n_communities, seed=seed, meso_interval=meso_interval,
                         macro_interval=macro_interval, **params)
        values = dict(self._params)
        for name, (default, _) in _COUPLED.items():
            values[name] = coupled.get(name, default)
        self._params = _CoupledParams(values)
        C = self.n_communities
        self._nbr_ptr, self._nbr_idx = community_graph_csr(community_graph, C)
        self._degree = np.diff(self._nbr_ptr).astype(float)
        seq, _ = resolve_seed(self.seed)
        self._mig_state, _ = make_streams(seq.spawn(3)[2], 1)
        self.compliance = np.ones(C)
        self.migrations = 0
        self._wsum = np.bincount(self._agents["community"], weights=self._agents["wealth"], minlength=C)
        self._stock = None  # the resource stock, created at the first fiscal update
        self._moved = False  # citizens moved since the last meso step

    # ---------------------------------------------------------------- params
    @property
    def params(self):
        """dict of the model parameters, base and coupled (see the class docstring); checked on write."""
        return self._params

    @params.setter
    def params(self, value):
        if not isinstance(value, dict):
            raise TypeError(f"params must be a dict of the model parameters, got {type(value).__name__}")
        missing = sorted(set(_ALL) - set(value))
        if missing:
            raise ValueError(f"params lacks the model parameter(s) {missing}")
        self._params = _CoupledParams(value)

    def _p(self, name):
        return self._params.get(name, 0.0)  # 0 while the base constructor runs

    # --------------------------------------------------------------- derived
    def _refresh_derived(self):
        super()._refresh_derived()
        if getattr(self, "_nbr_ptr", None) is None:
            return
        self._wsum = np.bincount(self._agents["community"], weights=self._agents["wealth"],
                                 minlength=self.n_communities)
        if self._stock is not None and self._p("fiscal_rate") > 0.0:
            self.resources = self._stock
            self.resource_inequality = gini(np.maximum(self._stock, 0.0), self.size)
        else:
            self._stock = None  # fiscal loop switched off: resources follow the base definition again

    # -------------------------------------------------------------- dynamics
    def _community_term(self):
        """g_c: cohesion-weighted own term, plus spillover and public-goods terms when switched on."""
        g = self._p("coupling") * self.cohesion * (2.0 * self.mean_satisfaction - 1.0)
        js, psi = self._p("spillover"), self._p("public_goods")
        if js != 0.0:
            x = 2.0 * self.mean_satisfaction - 1.0
            tot = np.add.reduceat(np.append(x[self._nbr_idx], 0.0), self._nbr_ptr[:-1]) \
                if self._nbr_idx.size else np.zeros(self.n_communities)
            tot = np.where(self._degree > 0, tot, 0.0)
            g = g + js * np.divide(tot, self._degree, out=np.zeros_like(tot), where=self._degree > 0)
        if psi != 0.0:
            R = self.resources
            Rbar = float(np.dot(self._weight, R))
            if Rbar > 0.0:
                g = g + psi * (R / Rbar - 1.0)
        return g

    def _migrate(self):
        mu = self._p("migration_rate")
        if mu <= 0.0 or self._nbr_idx.size == 0:
            self.migrations = 0
            return
        comm = self._agents["community"]
        self.migrations = int(migrate(comm, self._agents["satisfaction"], self._agents["wealth"],
                                      self.mean_satisfaction, self._nbr_ptr, self._nbr_idx, self.size,
                                      self._wsum, mu, self.min_community_size,
                                      self.migration_choice == "better", self._mig_state[0]))
        if self.migrations:
            self._moved = True
            self._weight = self.size / self.n_agents
            self._pending_sums = None
            if any(cm is not None for _, (_, cm) in self._policies.values()):
                # community policies follow the community, not the citizen
                for name, (pol, (_, cmask)) in list(self._policies.items()):
                    if cmask is not None:
                        self._policies[name] = (pol, (cmask[comm], cmask))
                # resources change only at meso steps: keep them through the field update
                kept = self.resources, self.resource_inequality, self._stock
                self._apply_fields()
                self.resources, self.resource_inequality, self._stock = kept

    def _update_micro(self):
        if getattr(self, "_nbr_ptr", None) is None:
            return super()._update_micro()
        self._migrate()
        if self._p("spillover") == 0.0 and self._p("public_goods") == 0.0:
            return super()._update_micro()  # the base model's step, bit for bit
        p = self.params
        g = self._community_term()
        if not (g.shape == (self.n_communities,) and bool(np.isfinite(g).all())):
            self._check_state()
            raise ValueError("the community term must be finite, one value per community")
        micro_step(self._agents["satisfaction"], self._agents["community"], g, self._u,
                   1.0 / self.effective_temperature, p["inertia"], self._states,
                   self._part_sum, self._part_sq, self._use_partials)
        if self._use_partials:
            self._pending_sums = reduce_partials(self._part_sum, self._part_sq, self.n_communities)

    def _update_meso(self):
        super()._update_meso()
        if getattr(self, "_nbr_ptr", None) is None:
            return
        moved, self._moved = self._moved, False
        delta = self._p("fiscal_rate")
        if delta > 0.0:
            if self.fixed_compliance is not None:
                q = np.full(self.n_communities, self.fixed_compliance)
            else:
                omega = self._p("compliance_sensitivity")
                q = 1.0 - omega * (1.0 - 0.5 * (self.mean_satisfaction + self.trust))
            self.compliance = q
            stock = self.resources if self._stock is None else self._stock
            wbar = self._wsum / self.size
            self._stock = (1.0 - delta) * stock + delta * (q * wbar + self.community_transfers)
            self.resources = self._stock
        elif moved or self._stock is not None:
            self._stock = None  # the loop was switched off: resources follow the base definition
            self.resources = self._wsum / self.size + self.community_transfers
        else:
            return
        self.resource_inequality = gini(np.maximum(self.resources, 0.0), self.size)

    def _record(self, quantiles):
        rec = super()._record(quantiles)
        if getattr(self, "_nbr_ptr", None) is None:
            return rec
        rec["meso"]["compliance"] = self.compliance.copy()
        m = self.mean_satisfaction
        A = float(np.dot(self._weight, m))
        between = float(np.dot(self._weight, (m - A) ** 2))
        tot = rec["micro"]["std"] ** 2
        rec["meso_metrics"]["between_share"] = between / tot if tot > 0 else 0.0
        rec["macro"]["migrations"] = self.migrations
        return rec
