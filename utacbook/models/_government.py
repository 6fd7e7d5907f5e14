r"""Government policies and the single-scale government simulation.

:class:`Policy` describes an intervention; :func:`create_example_policies`
returns four documented examples; :class:`GovernmentSimulation` is the
single-scale version of :class:`utacbook.models.GovernmentMultiscaleModel`:
one community containing everyone (C = 1) with a fixed cohesion, so that
every citizen feels the national mean satisfaction,

.. math::

    s_i \leftarrow (1-\lambda) s_i + \lambda\,\mathrm{sigmoid}\Big(
      \frac{J \kappa (2 A - 1) + h_i + b(\ln w_i - \langle\ln w\rangle)}{T_\mathrm{eff}}
      + \xi_i\Big),\qquad \xi_i \sim N(0, 1),

with :math:`A` the previous step's mean satisfaction, :math:`\kappa` =
``cohesion`` fixed, and trust, :math:`T_\mathrm{eff}` and the policy field
:math:`h_i` as in :mod:`utacbook.models` (whose docstring states the
whole model).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Dict

import numpy as np

from utacbook import _validate as V
from utacbook.models._multiscale import (
    GovernmentMultiscaleModel, History, _check_history_memory, _check_model_memory,
)
from utacbook.stats._mcstats import mean_with_error

__all__ = ["Policy", "create_example_policies", "GovernmentSimulation"]

POLICY_SCALES = ("individual", "community", "national")
_EFFECT_KEYS = ("satisfaction", "resources", "target_quantile")
_DEFAULT_QUANTILE = {"individual": 0.2, "community": 0.3, "national": 1.0}


@dataclass
class Policy:
    """A government intervention.

    Attributes
    ----------
    name : str
        Unique, non-empty name (a model holds at most one active policy per name).
    scale : {"individual", "community", "national"}
        Who is targeted: citizens below a wealth quantile, communities below a
        resource quantile, or everyone.
    cost : float >= 0
        Cost in units of the field: every citizen's field drops by
        ``cost_weight * cost`` while the policy is active (taxes).
    effects : dict
        ``"satisfaction"``: real, the field :math:`a` added to the targets'
        :math:`h_i` (dimensionless, same units as the coupling; default 0);
        ``"resources"``: float >= 0, wealth added to each targeted citizen
        (individual, national) or to each targeted community's :math:`R_c`
        (community), in units of the initial mean wealth (default 0);
        ``"target_quantile"``: float in (0, 1], the quantile below which
        citizens or communities are targeted (default 0.2 individual, 0.3
        community; ignored for national policies).

    Examples
    --------
    A field +0.4 for the poorest 20 % (the default quantile of an individual
    policy), measured by a paired run of a small single-scale simulation:

    >>> from utacbook.models import GovernmentSimulation, Policy
    >>> credit = Policy("tax_credit", "individual", cost=0.5, effects={"satisfaction": 0.4})
    >>> credit.target_quantile
    0.2
    >>> r = GovernmentSimulation(300, seed=2).implement_policy(credit, n_steps=10)
    >>> round(r["satisfaction_change"], 4), round(r["satisfaction_change_error"], 4)
    (0.0188, 0.0021)

    A policy with no cost and no effect changes nothing: the paired runs
    share their random numbers, so the difference is exactly zero.

    >>> null = Policy("nothing", "national")
    >>> GovernmentSimulation(300, seed=2).implement_policy(null, n_steps=10)["satisfaction_change"]
    0.0
    >>> Policy("x", "regional")
    Traceback (most recent call last):
    ...
    ValueError: scale must be one of ['community', 'individual', 'national'], got 'regional'
    """

    name: str
    scale: str
    cost: float = 0.0
    effects: Dict[str, float] = field(default_factory=dict)

    def __post_init__(self):
        self.cost, self.effects = self._checked()

    def _checked(self):
        """``(cost, effects)`` checked and normalised; raises naming the bad attribute.

        Run at construction and again by a model whenever it (re)computes the
        policy fields, so a policy changed after construction (``p.cost =
        -1``, ``p.effects["satisfaction"] = nan``) is refused, not applied.
        """
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"name must be a non-empty string, got {self.name!r}")
        V.choice("scale", self.scale, POLICY_SCALES)
        cost = V.real("cost", self.cost, nonnegative=True)
        if not isinstance(self.effects, dict):
            raise TypeError(f"effects must be a dict, got {type(self.effects).__name__}")
        unknown = sorted(set(self.effects) - set(_EFFECT_KEYS), key=repr)
        if unknown:
            raise ValueError(f"effects has unknown key(s) {unknown}; allowed: {list(_EFFECT_KEYS)}")
        eff = dict(self.effects)
        if "satisfaction" in eff:
            eff["satisfaction"] = V.real("effects['satisfaction']", eff["satisfaction"])
        if "resources" in eff:
            eff["resources"] = V.real("effects['resources']", eff["resources"], nonnegative=True)
        if "target_quantile" in eff:
            q = V.real("effects['target_quantile']", eff["target_quantile"], high=1.0)
            if not q > 0:
                raise ValueError(f"effects['target_quantile'] must be in (0, 1], got {q}")
            eff["target_quantile"] = q
        return cost, eff

    @property
    def target_quantile(self):
        """The targeting quantile (the default for the scale if not given)."""
        return self.effects.get("target_quantile", _DEFAULT_QUANTILE[self.scale])


def create_example_policies():
    """Four example policies, one per kind of intervention; no two act alike.

    With the default ``cost_weight`` :math:`\\gamma = 0.1` (a cost is a tax
    :math:`\\gamma\\,\\mathrm{cost}` on every citizen's field) and
    ``wealth_weight`` :math:`b = 0.2`:

    * ``targeted_welfare`` (individual): the poorest 20 % of citizens get a
      field +0.5 and +0.5 wealth; cost 1.0.  *Rationale:* means-tested aid,
      paid by everyone, received by few.
    * ``community_grants`` (community): communities in the poorest 30 % by
      mean wealth get a field +0.3 and +0.3 resources :math:`R_c`; cost 0.8.
      *Rationale:* place-based aid; the only policy whose targets are
      communities.  A single-scale model cannot target places; the closest it
      can do is give the same field and cost to the same citizens, as an
      individual policy with ``apply_policy(..., targets=mask)`` (the
      resources go to :math:`R_c`, which never acts on citizens).  The
      chapter "Policies across scales" compares the two: targeting by place
      changes the national effect, and only the multiscale model sees it.
    * ``national_infrastructure`` (national): everyone gets a field +0.2;
      cost 1.5 (net field +0.2 - 0.1 * 1.5 = +0.05, the same for everyone).
      *Rationale:* a uniform public good, expensive, that does not change who
      is rich.
    * ``public_health`` (national): everyone gets a field +0.1 and a wealth
      transfer of +0.3 (not financed from anyone's wealth: like every cost,
      its cost only taxes the field); cost 0.5.  *Rationale:* a universal service
      worth the same to everyone in wealth units, hence worth more to the
      poor: its net field is also +0.05, but through
      :math:`b(\\ln w_i - \\langle \\ln w \\rangle)` the transfer lifts the
      poor and lowers the relative standing of the rich (the richest 20 %
      gain about +0.02 in their field, the poorest 20 % about +0.07).
      Without the transfer it would act exactly like
      ``national_infrastructure`` on every citizen.

    Returns
    -------
    list of Policy
        In the order above (names and scales are those of the multiscale text).

    Examples
    --------
    >>> from utacbook.models import create_example_policies
    >>> [(p.name, p.scale) for p in create_example_policies()]  # doctest: +NORMALIZE_WHITESPACE
    [('targeted_welfare', 'individual'), ('community_grants', 'community'),
     ('national_infrastructure', 'national'), ('public_health', 'national')]
    >>> create_example_policies()[3].effects
    {'satisfaction': 0.1, 'resources': 0.3}
    """
    return [
        Policy("targeted_welfare", "individual", cost=1.0,
               effects={"satisfaction": 0.5, "resources": 0.5, "target_quantile": 0.2}),
        Policy("community_grants", "community", cost=0.8,
               effects={"satisfaction": 0.3, "resources": 0.3, "target_quantile": 0.3}),
        Policy("national_infrastructure", "national", cost=1.5, effects={"satisfaction": 0.2}),
        Policy("public_health", "national", cost=0.5, effects={"satisfaction": 0.1, "resources": 0.3}),
    ]


class GovernmentSimulation:
    """Single-scale government simulation (one community, fixed cohesion).

    Parameters
    ----------
    population_size : int >= 1, default 1000
    seed : int >= 0, SeedSequence or None
    cohesion : float in [0, 1], default 0.5
        The fixed cohesion :math:`\\kappa` (effective coupling ``coupling * cohesion``).
        The default is the multiscale model's *initial* cohesion, not its
        stationary one: with default parameters the cohesion of
        :class:`utacbook.models.GovernmentMultiscaleModel` relaxes to about
        0.75 within a few tens of steps.  A comparison of the two models that
        keeps 0.5 here mixes this different default with the effect of the
        scale structure; pass the multiscale model's measured stationary
        cohesion to separate them (the chapter "Policies across scales" does).
    **params
        Model parameters of :class:`utacbook.models.MultiscaleModel`
        (``coupling``, ``noise``, ``inertia``, ...) except ``meso_rate`` and
        ``initial_cohesion``, which are fixed by the single-scale setting.

    Attributes
    ----------
    model : GovernmentMultiscaleModel
        The underlying model (``n_communities=1, meso_rate=0``).

    Notes
    -----
    ``individual`` and ``national`` policies act here as in the multiscale
    model.  A ``community`` policy cannot be applied here: the only community
    is the nation, so there is no community below a resource quantile to
    target, and :meth:`utacbook.models.GovernmentMultiscaleModel.apply_policy`
    refuses it when ``n_communities == 1``.  The closest single-scale
    counterpart gives the same field and cost to the same citizens as an
    ``individual`` policy with explicit ``targets`` (the citizens of the
    targeted communities of a multiscale model with the same seed); it cannot
    target places.

    Examples
    --------
    >>> from utacbook.models import GovernmentSimulation, create_example_policies
    >>> sim = GovernmentSimulation(500, seed=1)
    >>> h = sim.run(20)
    >>> len(h), sorted(h[-1])
    (20, ['approval', 'avg_satisfaction', 'policy_effectiveness', 'std_satisfaction', 'step', 'trust'])
    >>> welfare = create_example_policies()[0]
    >>> r = sim.implement_policy(welfare, n_steps=20)    # paired runs, then keeps it
    >>> [p.name for p in sim.policies]
    ['targeted_welfare']
    >>> round(r["satisfaction_change"], 4), round(r["policy_effectiveness"], 3)
    (-0.0026, 0.224)
    >>> h.to_dataframe().columns.tolist()[:2]
    ['avg_satisfaction', 'std_satisfaction']
    """

    def __init__(self, population_size=1000, *, seed=None, cohesion=0.5, **params):
        for bad in ("meso_rate", "initial_cohesion", "n_communities"):
            if bad in params:
                raise TypeError(f"{bad} is fixed in the single-scale simulation")
        cohesion = V.real("cohesion", cohesion, low=0.0, high=1.0)
        N = V.integer("population_size", population_size, low=1)
        _check_model_memory(N, 1, f"GovernmentSimulation(population_size={N})")
        self.model = GovernmentMultiscaleModel(
            N, 1, seed=seed, meso_rate=0.0, initial_cohesion=cohesion, **params)

    @property
    def population_size(self):
        """Number of citizens N."""
        return self.model.n_agents

    @property
    def policies(self):
        """The active policies (list)."""
        return self.model.policies

    @staticmethod
    def _metrics(rec):
        return {"step": rec["step"], "avg_satisfaction": rec["micro_metrics"]["avg_satisfaction"],
                "std_satisfaction": rec["micro"]["std"], "approval": rec["macro"]["approval"],
                "trust": rec["macro"]["trust"],
                "policy_effectiveness": rec["macro"]["policy_effectiveness"]}

    def step(self):
        """Advance one step; return dict ``step``, ``avg_satisfaction``, ``std_satisfaction``,
        ``approval``, ``trust``, ``policy_effectiveness``."""
        return self._metrics(self.model.step(quantiles=False))

    def run(self, n_steps):
        """Run ``n_steps`` (int >= 0) steps; a ``History`` (a list) of the :meth:`step` dicts.

        ``History.to_dataframe()`` gives one row per step.
        """
        n_steps = V.integer("n_steps", n_steps, low=0)
        _check_history_memory(n_steps, 1, f"run(n_steps={n_steps})")
        return History([self.step() for _ in range(n_steps)])

    def implement_policy(self, policy, *, n_steps=50):
        """Measure a policy's effect by a paired run, then keep the policy active.

        Two copies of the current simulation (same state, same random
        streams: common random numbers) are run for ``n_steps`` steps, one
        without and one with ``policy``.  The averages over those steps are
        compared; the error of the difference comes from the paired per-step
        differences (:func:`utacbook.stats.mean_with_error`, which accounts
        for autocorrelation).  The simulation itself is not advanced; the
        policy is then applied to it.

        Parameters
        ----------
        policy : Policy
        n_steps : int >= 2

        Returns
        -------
        dict with floats ``avg_satisfaction_before``, ``avg_satisfaction_after``,
        ``satisfaction_change``, ``satisfaction_change_error``, ``trust_before``,
        ``trust_after``, ``trust_change``, ``policy_effectiveness`` (mean over the
        treated run), ``cost``, and ``n_steps``.
        """
        n_steps = V.integer("n_steps", n_steps, low=2)
        base = copy.deepcopy(self.model)
        treated = copy.deepcopy(self.model)
        treated.apply_policy(policy)
        rb = base.run(n_steps, quantiles=False)
        rt = treated.run(n_steps, quantiles=False)
        sb = np.array([r["micro_metrics"]["avg_satisfaction"] for r in rb])
        st = np.array([r["micro_metrics"]["avg_satisfaction"] for r in rt])
        tb = np.array([r["macro"]["trust"] for r in rb])
        tt = np.array([r["macro"]["trust"] for r in rt])
        diff = st - sb
        if np.ptp(diff) > 0:
            d, err, _ = mean_with_error(diff)
        else:
            d, err = float(diff.mean()), 0.0
        out = {"avg_satisfaction_before": float(sb.mean()),
               "avg_satisfaction_after": float(st.mean()),
               "satisfaction_change": d, "satisfaction_change_error": err,
               "trust_before": float(tb.mean()), "trust_after": float(tt.mean()),
               "trust_change": float(tt.mean() - tb.mean()),
               "policy_effectiveness": float(np.mean([r["macro"]["policy_effectiveness"]
                                                      for r in rt])),
               "cost": policy.cost, "n_steps": n_steps}
        self.model.apply_policy(policy)
        return out

    def remove_policy(self, name):
        """Deactivate the policy called ``name``."""
        self.model.remove_policy(name)
