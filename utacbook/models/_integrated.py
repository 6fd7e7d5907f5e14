r"""Integrated government + multiscale model: cross-scale analysis, transitions, policy impact.

This module implements the "Integrated Government + Multiscale" part of the
"Multiscale Dynamics Integration" text: :class:`IntegratedGovernmentModel`
(``run``, ``analyze_cross_scale_dynamics``, ``identify_scale_transitions``,
``implement_policy_multiscale``) and :func:`compare_single_vs_multiscale`.

The model is *composed*, not copied: an :class:`IntegratedGovernmentModel`
owns one :class:`utacbook.models.GovernmentMultiscaleModel` (attribute
``model``), whose docstring states the dynamics.  The source keeps a
government simulation and a multiscale model side by side and copies agent
states between them (``_synchronize_states``).  Here there is a single state
(the struct of arrays of the multiscale model), so the two views are
synchronised by construction and no copying is needed.

Headline series.  Each scale is summarised by one series per step:
micro = ``avg_satisfaction`` (mean :math:`s_i`), meso = ``avg_cohesion``
(size-weighted mean :math:`\kappa_c`), macro = ``policy_effectiveness``
(the source's "individual satisfaction vs policy effectiveness" pairing).
The analysis functions are module-level functions of given series
(:func:`cross_scale_statistics`, :func:`scale_transitions`), so they can be
checked on constructed series with known answers; the methods apply them to
the model's history.
"""

from __future__ import annotations

import copy
import itertools
import math

import numpy as np

from utacbook import _validate as V
from utacbook.models._government import GovernmentSimulation, Policy
from utacbook.models._multiscale import (
    GovernmentMultiscaleModel, History, _check_history_memory, _check_model_memory,
    analyze_scale_separation,
)
from utacbook.stats._mcstats import mean_with_error

__all__ = ["IntegratedGovernmentModel", "cross_scale_statistics", "scale_transitions",
           "compare_single_vs_multiscale", "HEADLINE", "COMMUNITY_VARIANCE_THRESHOLD",
           "HETEROGENEITY_SE"]

#: The headline series of each scale: (scale, metrics key in a history record, metric name).
HEADLINE = (("micro", "micro_metrics", "avg_satisfaction"),
            ("meso", "meso_metrics", "avg_cohesion"),
            ("macro", "macro_metrics", "policy_effectiveness"))

#: "community structure matters" is reported when the between-community share of the
#: variance of satisfaction exceeds this fraction.
COMMUNITY_VARIANCE_THRESHOLD = 0.05

#: "effects vary by scale of observation" is reported when two communities' policy
#: effects differ by more than this many standard errors of the difference.
HETEROGENEITY_SE = 2.0

_MAD_TO_SD = 1.4826  # MAD -> standard deviation for a normal distribution
_PAIRS = (("micro_meso", "micro", "meso"), ("meso_macro", "meso", "macro"),
          ("micro_macro", "micro", "macro"))


# ---------------------------------------------------------------- helpers
def _pearson(x, y):
    """(r, reason): Pearson r, or (nan, reason) when a series is constant."""
    # constancy is tested exactly (np.ptp), not through the rounded standard deviation
    const = [n for n, v in (("first", x), ("second", y)) if np.ptp(v) == 0.0]
    if const:
        return math.nan, (f"{' and '.join(const)} series is constant (zero variance): "
                          "correlation undefined")
    dx, dy = x - x.mean(), y - y.mean()
    r = float(np.dot(dx, dy) / math.sqrt(float(np.dot(dx, dx)) * float(np.dot(dy, dy))))
    return max(-1.0, min(1.0, r)), None


def _mean_err(x):
    """Mean and autocorrelation-aware error of a per-step series (error 0 if constant)."""
    x = np.asarray(x, dtype=float)
    if x.size >= 2 and np.ptp(x) > 0:
        m, e, _ = mean_with_error(x)
        return m, e
    return float(x.mean()), 0.0


def _three_series(micro, meso, macro, min_len):
    out = {}
    for name, x in (("micro", micro), ("meso", meso), ("macro", macro)):
        out[name] = V.real_array(name, x, ndim=1, min_len=min_len)
    n = {k: v.size for k, v in out.items()}
    if len(set(n.values())) != 1:
        raise ValueError(f"micro, meso and macro must have equal lengths, got {n}")
    return out


# ------------------------------------------------------- cross-scale stats
def cross_scale_statistics(micro, meso, macro, *, max_lag=5):
    r"""Correlations, volatilities and lagged correlations of three scale series.

    Parameters
    ----------
    micro, meso, macro : array_like of float, shape (n,), n >= 3, finite
        One value per step (the method uses avg_satisfaction, avg_cohesion
        and policy_effectiveness; all dimensionless).
    max_lag : int >= 0, default 5
        Largest lag (in steps) of the lagged correlations; capped at n - 3.

    Returns
    -------
    dict with

    * ``correlations``: ``micro_meso``, ``meso_macro``, ``micro_macro`` -- the
      Pearson correlation of the two series' levels (population moments);
      ``nan`` if either series is constant (e.g. policy_effectiveness is 0
      without policies), with the reason in ``notes``;
    * ``difference_correlations``: the same for the first differences (levels
      that both trend are correlated even without coupling; differences
      show step-to-step co-movement);
    * ``volatility``: ``micro``, ``meso``, ``macro`` -- standard deviation
      (ddof 0) of the first differences, in units of the series per step;
    * ``lagged_correlations``: for each pair ``a_b``, an array over lags
      k = 0..max_lag of corr(a[t], b[t+k]) (a leads b by k steps);
    * ``best_lag``: for each pair, the k with the largest ``|correlation|``
      (``None`` if all are nan);
    * ``notes``: dict of str -> reason for every nan.

    No warnings are emitted for constant series.

    Examples
    --------
    A random walk, an exact linear image of it and a copy delayed by three
    steps:

    >>> import numpy as np
    >>> from utacbook.models import cross_scale_statistics
    >>> micro = np.random.default_rng(0).normal(size=60).cumsum()
    >>> meso = 2 * micro + 1
    >>> macro = np.r_[np.zeros(3), micro[:-3]]
    >>> s = cross_scale_statistics(micro, meso, macro, max_lag=5)
    >>> round(s["correlations"]["micro_meso"], 12), s["best_lag"]["micro_macro"]
    (1.0, 3)
    >>> round(s["volatility"]["meso"] / s["volatility"]["micro"], 12)   # twice the step size
    2.0
    >>> s["lagged_correlations"]["micro_macro"].shape                    # lags 0..5
    (6,)
    >>> s = cross_scale_statistics(micro, meso, np.zeros(60))            # a constant series
    >>> s["correlations"]["micro_macro"], s["notes"]["correlations.micro_macro"]
    (nan, 'macro series is constant (zero variance): correlation undefined')
    """
    s = _three_series(micro, meso, macro, 3)
    n = s["micro"].size
    max_lag = min(V.integer("max_lag", max_lag, low=0), n - 3)
    notes = {}
    corr, dcorr, lagged, best = {}, {}, {}, {}
    d = {k: np.diff(v) for k, v in s.items()}
    for key, a, b in _PAIRS:
        corr[key], why = _pearson(s[a], s[b])
        if why:
            notes[f"correlations.{key}"] = why.replace("first", a).replace("second", b)
        dcorr[key], why = _pearson(d[a], d[b])
        if why:
            notes[f"difference_correlations.{key}"] = (
                why.replace("first", a + " difference").replace("second", b + " difference"))
        lc = np.array([_pearson(s[a][:n - k], s[b][k:])[0] for k in range(max_lag + 1)])
        lagged[key] = lc
        best[key] = None if np.all(np.isnan(lc)) else int(np.nanargmax(np.abs(lc)))
    vol = {k: float(np.std(v)) for k, v in d.items()}
    return {"correlations": corr, "difference_correlations": dcorr, "volatility": vol,
            "lagged_correlations": lagged, "best_lag": best, "notes": notes}


# ------------------------------------------------------------ transitions
def _robust_scale(d):
    """(scale, method): 1.4826 * MAD of d, or the std of d if the MAD is 0."""
    mad = float(np.median(np.abs(d - np.median(d))))
    if mad > 0:
        return _MAD_TO_SD * mad, "mad"
    return float(np.std(d)), "std"


def scale_transitions(micro, meso, macro, *, threshold=2.0, window=2, steps=None,
                      names=("avg_satisfaction", "avg_cohesion", "policy_effectiveness")):
    r"""Steps at which a scale's series jumps, and micro-to-coarser cascades.

    For each series x with first differences :math:`d_t = x_t - x_{t-1}`,
    the robust scale is :math:`\sigma = 1.4826\,\mathrm{MAD}(d)` (median
    absolute deviation about the median, computed over the whole series; it
    equals the standard deviation for normal differences and ignores the
    jumps themselves).  Step t is a transition at that scale when
    :math:`|d_t - \mathrm{median}(d)| > \mathrm{threshold}\cdot\sigma`
    (centring on the median difference means a steady drift is not a
    transition).  If the MAD is 0 (more than half of the differences are
    equal, e.g. a piecewise-constant series) :math:`\sigma` falls back to the
    standard deviation of d; a constant series has no transitions.

    A ``cross_scale`` event (a cascade) is a micro transition at step t
    followed by a transition at the meso or macro scale at a step t' with
    1 <= t' - t <= window.  The micro jump must come strictly first:
    simultaneous jumps are common shocks whose direction cannot be told.

    Parameters
    ----------
    micro, meso, macro : array_like of float, shape (n,), n >= 3, finite
    threshold : float > 0, default 2.0
        In robust standard deviations.
    window : int >= 1, default 2
        Cascade window in steps.
    steps : array_like of int, shape (n,), optional
        Step label of each value (default 0..n-1).
    names : 3 str
        Names used in the descriptions.

    Returns
    -------
    list of dict sorted by step (then micro, meso, macro, cross_scale), each
    with ``step``, ``type`` ('micro', 'meso', 'macro' or 'cross_scale'),
    ``description`` (computed from the numbers); single-scale events also
    carry ``change`` (the difference d_t) and ``robust_sd`` (the size in
    robust standard deviations); cascades carry ``lag`` (steps to the first
    follower) and ``scales``.

    Examples
    --------
    Noisy series in which satisfaction jumps by 0.2 at step 20 and cohesion
    by 0.1 two steps later (a cascade); the macro series is constant:

    >>> import numpy as np
    >>> from utacbook.models import scale_transitions
    >>> rng = np.random.default_rng(1)
    >>> micro = 0.5 + 0.01 * rng.normal(size=40)
    >>> micro[20:] += 0.2
    >>> meso = 0.7 + 0.01 * rng.normal(size=40)
    >>> meso[22:] += 0.1
    >>> events = scale_transitions(micro, meso, np.zeros(40), threshold=5.0)
    >>> [(e["step"], e["type"]) for e in events]
    [(20, 'micro'), (20, 'cross_scale'), (22, 'meso')]
    >>> events[1]["lag"], events[1]["description"]
    (2, 'avg_satisfaction jump at step 20 followed by avg_cohesion +2 step(s) later')
    """
    s = _three_series(micro, meso, macro, 3)
    threshold = V.real("threshold", threshold, positive=True)
    window = V.integer("window", window, low=1)
    n = s["micro"].size
    if steps is None:
        steps = np.arange(n)
    else:
        steps = np.asarray(steps)
        if steps.shape != (n,) or not np.issubdtype(steps.dtype, np.integer):
            raise ValueError(f"steps must be {n} integers")
    if (isinstance(names, str) or not hasattr(names, "__len__") or len(names) != 3
            or not all(isinstance(x, str) for x in names)):
        raise TypeError(f"names must be three strings, got {names!r}")
    events, at = [], {}
    for (scale, x), name in zip(s.items(), names):
        d = np.diff(x)
        sigma, _ = _robust_scale(d)
        at[scale] = []
        if sigma == 0.0:
            continue
        z = (d - np.median(d)) / sigma
        for k in np.flatnonzero(np.abs(z) > threshold):
            t = int(steps[k + 1])
            at[scale].append(t)
            verb = "rose" if d[k] > 0 else "fell"
            events.append({"step": t, "type": scale,
                           "description": f"{name} {verb} by {abs(d[k]):.3g} "
                                          f"({abs(z[k]):.1f} robust s.d.)",
                           "change": float(d[k]), "robust_sd": float(abs(z[k]))})
    for t in at["micro"]:
        followers = [(u - t, sc) for sc in ("meso", "macro") for u in at[sc]
                     if 1 <= u - t <= window]
        if not followers:
            continue
        followers.sort()
        scales = sorted({sc for _, sc in followers}, key=("meso", "macro").index)
        txt = " and ".join(
            f"{names[1 if sc == 'meso' else 2]} "
            f"{', '.join(f'+{lag}' for lag, s2 in followers if s2 == sc)} step(s) later"
            for sc in scales)
        events.append({"step": t, "type": "cross_scale",
                       "description": f"{names[0]} jump at step {t} followed by {txt}",
                       "lag": int(followers[0][0]), "scales": ["micro"] + scales})
    order = {"micro": 0, "meso": 1, "macro": 2, "cross_scale": 3}
    events.sort(key=lambda e: (e["step"], order[e["type"]]))
    return events


# ------------------------------------------------------------------ model
class IntegratedGovernmentModel:
    r"""The government multiscale model with cross-scale analysis and policy impact.

    Parameters
    ----------
    population_size : int >= 1, default 5000
        Number of citizens N.
    n_communities : int in [1, population_size], default 20
    time_steps : int >= 1, default 100
        Steps performed by :meth:`run`.
    seed : int >= 0, SeedSequence or None
        Reproduces the whole history exactly.
    **params
        Passed to :class:`utacbook.models.GovernmentMultiscaleModel`
        (``meso_interval``, ``macro_interval``, ``coupling``, ``noise``, ...).

    Attributes
    ----------
    model : GovernmentMultiscaleModel
        The single underlying state (micro, meso and macro).
    history : History (a list) of dict
        The records of the last :meth:`run` (``history.to_dataframe()``,
        ``history.to_xarray()`` give tables).

    Examples
    --------
    >>> from utacbook.models import IntegratedGovernmentModel, create_example_policies
    >>> m = IntegratedGovernmentModel(population_size=1000, n_communities=10, time_steps=40,
    ...                               seed=0)
    >>> history = m.run(create_example_policies())        # all four from step 1 on
    >>> len(history), history[-1]["active_policies"][0]
    (40, 'targeted_welfare')
    >>> a = m.analyze_cross_scale_dynamics(burn_in=10)
    >>> sorted(a["correlations"])
    ['meso_macro', 'micro_macro', 'micro_meso']
    >>> df = history.to_dataframe()
    >>> df[["micro_metrics.avg_satisfaction", "meso_metrics.avg_cohesion"]].shape
    (40, 2)
    """

    def __init__(self, population_size=5000, n_communities=20, time_steps=100, *, seed=None,
                 **params):
        N = V.integer("population_size", population_size, low=1)
        C = V.integer("n_communities", n_communities, low=1)
        if C > N:
            raise ValueError(f"n_communities must be <= population_size ({N}), got {C}")
        self.time_steps = V.integer("time_steps", time_steps, low=1)
        _check_model_memory(N, C, f"IntegratedGovernmentModel(population_size={N}, n_communities={C})")
        self.model = GovernmentMultiscaleModel(N, C, seed=seed, **params)
        self.seed = self.model.seed
        self.history = History()

    @property
    def population_size(self):
        """Number of citizens N."""
        return self.model.n_agents

    @property
    def n_communities(self):
        """Number of communities C."""
        return self.model.n_communities

    # ------------------------------------------- forwarded to the model
    # The text calls these on the integrated model (``model.upscale(...)``);
    # they act on the single underlying state ``self.model``.
    @property
    def n_agents(self):
        """Number of citizens N (the same as ``population_size``; the name the multiscale model uses)."""
        return self.model.n_agents

    @property
    def agents(self):
        """dict of str -> ndarray (length N): the citizens of ``model`` (its own arrays).

        See :attr:`utacbook.models.MultiscaleModel.agents`.
        """
        return self.model.agents

    @property
    def micro_state(self):
        """ScaleState(MICRO) of ``model``: the agent arrays and ``"agents"`` (a read-only view).

        See :attr:`utacbook.models.MultiscaleModel.micro_state`.
        """
        return self.model.micro_state

    @property
    def meso_state(self):
        """ScaleState(MESO) of ``model``: per-community arrays (length C).

        See :attr:`utacbook.models.MultiscaleModel.meso_state`.
        """
        return self.model.meso_state

    @property
    def macro_state(self):
        """ScaleState(MACRO) of ``model``: approval, trust, effectiveness, ... (floats).

        See :attr:`utacbook.models.MultiscaleModel.macro_state`.
        """
        return self.model.macro_state

    def upscale(self, from_level, to_level, variables=None):
        """Aggregate variables of ``model`` from a finer level to a coarser one.

        Forwards to :meth:`utacbook.models.MultiscaleModel.upscale` (same
        parameters and result; the state is not modified).

        Parameters
        ----------
        from_level, to_level : ScaleLevel, from_level finer than to_level
        variables : dict of str -> array, optional

        Returns
        -------
        dict of str -> ndarray (to MESO, length C) or float (to MACRO)

        Examples
        --------
        >>> from utacbook.models import IntegratedGovernmentModel, ScaleLevel
        >>> m = IntegratedGovernmentModel(1000, 10, 5, seed=0)
        >>> meso = m.upscale(ScaleLevel.MICRO, ScaleLevel.MESO)
        >>> sorted(meso), meso["satisfaction"].shape
        (['satisfaction', 'satisfaction_std', 'size', 'wealth', 'wealth_std'], (10,))
        """
        return self.model.upscale(from_level, to_level, variables)

    def downscale(self, from_level, to_level, variables=None):
        """Distribute variables of ``model`` from a coarser level to a finer one.

        Forwards to :meth:`utacbook.models.MultiscaleModel.downscale` (same
        parameters and result; the state is not modified).

        Parameters
        ----------
        from_level, to_level : ScaleLevel, from_level coarser than to_level
        variables : dict, optional

        Returns
        -------
        dict of str -> ndarray (length C to MESO, N to MICRO)

        Examples
        --------
        >>> from utacbook.models import IntegratedGovernmentModel, ScaleLevel
        >>> m = IntegratedGovernmentModel(1000, 10, 5, seed=0)
        >>> micro = m.downscale(ScaleLevel.MESO, ScaleLevel.MICRO)
        >>> micro["cohesion"].shape
        (1000,)
        """
        return self.model.downscale(from_level, to_level, variables)

    def run(self, policies=None, *, quantiles=False):
        """Run ``time_steps`` steps from the current state and return the history.

        Parameters
        ----------
        policies : list of Policy, dict {int: list of Policy}, or None
            A list is applied before the first step ("at step 0").  A dict is
            a schedule: the policies of key k (0 <= k < time_steps) are
            applied after k steps of this run, so they act from step k + 1
            on.  Policies stay active after the run.
        quantiles : bool, default False
            Also record the satisfaction quantiles of every step (about 3x the
            cost of a step; none of the cross-scale analyses uses them).

        Returns
        -------
        list of dict, one per step: the records of
        :meth:`utacbook.models.MultiscaleModel.run` (``step``, ``micro``,
        ``meso``, ``macro``, ``micro_metrics`` with ``avg_satisfaction``,
        ``meso_metrics`` with ``avg_cohesion`` and ``resource_inequality``,
        ``macro_metrics`` with ``policy_effectiveness``, ``approval``,
        ``trust``) plus ``active_policies`` (list of names).  Also stored as
        ``history``.  A ``History`` is a list with ``to_dataframe()`` and
        ``to_xarray()``.

        Raises
        ------
        ValueError
            A ``community`` policy when ``n_communities == 1`` (before any
            step; see :meth:`utacbook.models.GovernmentMultiscaleModel.apply_policy`).
        """
        T = V.integer("time_steps", self.time_steps, low=1)
        schedule = self._schedule(policies)
        bad = [p.name for p in itertools.chain.from_iterable(schedule.values()) if p.scale == "community"]
        if bad and self.model.n_communities == 1:  # refused before any step, not part-way through
            raise ValueError(f"policies {bad} are 'community' policies, which need n_communities >= 2: with "
                             "one community they would target nobody but their cost would still tax everyone")
        _check_history_memory(T, self.model.n_communities, f"run() with time_steps={T}")
        hist = History()
        for k in range(T):
            for pol in schedule.get(k, ()):
                self.model.apply_policy(pol)
            rec = self.model.step(quantiles=quantiles)
            rec["active_policies"] = [p.name for p in self.model.policies]
            hist.append(rec)
        self.history = hist
        return hist

    def _schedule(self, policies):
        if policies is None:
            return {}
        if isinstance(policies, Policy):
            raise TypeError("policies must be a list or a {step: [policies]} dict, "
                            "not a single Policy")
        if isinstance(policies, dict):
            sched = {}
            for k, pols in policies.items():
                k = V.integer("policies step", k, low=0, high=self.time_steps - 1)
                sched[k] = self._policy_list(pols)
            return sched
        return {0: self._policy_list(policies)}

    @staticmethod
    def _policy_list(pols):
        if isinstance(pols, (str, bytes)) or not hasattr(pols, "__iter__"):
            raise TypeError(f"policies must be a list of Policy objects, got {type(pols).__name__}")
        pols = list(pols)
        for p in pols:
            if not isinstance(p, Policy):
                raise TypeError(f"policies must contain Policy objects, got {type(p).__name__}")
        return pols

    # ---------------------------------------------------------- analysis
    def _series(self, burn_in):
        burn_in = V.integer("burn_in", burn_in, low=0)
        hist = self.history[burn_in:]
        if len(hist) < 3:
            raise ValueError(f"the history after burn_in={burn_in} must hold at least 3 steps "
                             f"(it holds {len(hist)}): call run() first or lower burn_in")
        out = [np.array([h[g][k] for h in hist], dtype=float) for _, g, k in HEADLINE]
        return out, np.array([h["step"] for h in hist], dtype=np.int64)

    def analyze_cross_scale_dynamics(self, *, max_lag=5, burn_in=0):
        """Cross-scale statistics of the last run's headline series.

        Applies :func:`cross_scale_statistics` to avg_satisfaction (micro),
        avg_cohesion (meso) and policy_effectiveness (macro) of
        ``history``, after discarding the first ``burn_in`` (int >= 0)
        records; see there for the keys (``correlations``, ``volatility``,
        ``difference_correlations``, ``lagged_correlations``, ``best_lag``,
        ``notes``).  Also returns ``series`` (the three arrays).  Without
        policies policy_effectiveness is constant 0, so the correlations with
        the macro series are nan (reason in ``notes``).
        """
        (mi, me, ma), _ = self._series(burn_in)
        out = cross_scale_statistics(mi, me, ma, max_lag=max_lag)
        out["series"] = {"micro": mi, "meso": me, "macro": ma}
        return out

    def identify_scale_transitions(self, threshold=2.0, *, window=2, burn_in=0):
        """Transitions in the last run's headline series (:func:`scale_transitions`).

        ``step`` in the events is the model step of the record.  The robust
        scale is computed over the run after the first ``burn_in`` records
        (int >= 0).  Note that the relaxation from the initial state (and the
        response to policies applied at step 0) shows up as transitions in
        the first steps; use ``burn_in`` to look at the stationary regime.
        """
        (mi, me, ma), steps = self._series(burn_in)
        return scale_transitions(mi, me, ma, threshold=threshold, window=window, steps=steps,
                                 names=tuple(k for _, _, k in HEADLINE))

    # ------------------------------------------------------ policy impact
    def implement_policy_multiscale(self, policy, *, n_steps=50):
        r"""Effect of ``policy`` at every scale by a paired run, then keep it active.

        Two deep copies of the current model (same state, same random
        streams: common random numbers, as
        :meth:`utacbook.models.GovernmentSimulation.implement_policy`)
        run ``n_steps`` steps, one without and one with ``policy``.  Every
        effect is a paired difference treated - baseline, averaged over the
        ``n_steps`` steps.  Errors of per-step averages come from the per-step
        paired differences (:func:`utacbook.stats.mean_with_error`, which
        accounts for autocorrelation; 0 when the difference is constant).
        The model itself is not advanced; the policy is then applied to it.

        Parameters
        ----------
        policy : Policy
        n_steps : int >= 2

        Returns
        -------
        dict with

        * ``micro_impact``: per-citizen time-averaged change
          :math:`\Delta_i`: ``mean`` (with ``mean_error``), ``std``,
          ``quantiles`` (q05..q95), ``fraction_better_off`` (:math:`\Delta_i
          > 0`), ``fraction_worse_off``, ``targeted_mean`` and
          ``untargeted_mean`` (nan if empty), ``n_targeted``, ``changes``
          (the array);
        * ``meso_impact``: ``community_change`` (array, per-community mean
          :math:`\Delta`) with ``community_change_error``,
          ``between_community_sd`` (size-weighted spread of the community
          changes), ``avg_cohesion_change`` (+ ``_error``),
          ``resource_inequality_change`` (+ ``_error``);
        * ``macro_impact``: ``approval_change``, ``trust_change`` (each +
          ``_error``), ``target_gap_change`` (change of the mean-satisfaction
          gap targets - non-targets, a causal effect; 0 for a national
          policy, whose gap is undefined), ``effectiveness_change`` (the
          model's policy_effectiveness treated - baseline; note that
          effectiveness is a definitional observable which is nonzero even
          for a policy without effect) and ``policy_effectiveness`` (mean over
          the treated run);
        * ``n_steps``, ``cost``.
        """
        if not isinstance(policy, Policy):
            raise TypeError(f"policy must be a Policy, got {type(policy).__name__}")
        n_steps = V.integer("n_steps", n_steps, low=2)
        base = copy.deepcopy(self.model)
        treated = copy.deepcopy(self.model)
        mask = treated.apply_policy(policy)
        N, C = self.model.n_agents, self.model.n_communities
        acc = np.zeros(N)
        keys = ("approval", "trust", "avg_cohesion", "resource_inequality",
                "policy_effectiveness", "gap")
        per = {k: np.zeros((2, n_steps)) for k in keys}
        comm_ts = np.zeros((n_steps, C))
        nt = int(mask.sum())
        for t in range(n_steps):
            recs = []
            for j, m in enumerate((base, treated)):
                r = m.step(quantiles=False)
                recs.append(r)
                s = m.agents["satisfaction"]
                per["approval"][j, t] = r["macro_metrics"]["approval"]
                per["trust"][j, t] = r["macro_metrics"]["trust"]
                per["avg_cohesion"][j, t] = r["meso_metrics"]["avg_cohesion"]
                per["resource_inequality"][j, t] = r["meso_metrics"]["resource_inequality"]
                per["policy_effectiveness"][j, t] = r["macro_metrics"]["policy_effectiveness"]
                per["gap"][j, t] = (float(s[mask].mean() - s[~mask].mean())
                                    if 0 < nt < N else 0.0)
            acc += treated.agents["satisfaction"] - base.agents["satisfaction"]
            comm_ts[t] = recs[1]["meso"]["satisfaction"] - recs[0]["meso"]["satisfaction"]
        delta = acc / n_steps
        diff = {k: v[1] - v[0] for k, v in per.items()}
        w = self.model.size / N
        mean_e = _mean_err(comm_ts @ w)[1]
        q = np.quantile(delta, [0.05, 0.25, 0.5, 0.75, 0.95])
        micro = {"mean": float(delta.mean()), "mean_error": mean_e, "std": float(delta.std()),
                 "quantiles": dict(zip(("q05", "q25", "q50", "q75", "q95"), map(float, q))),
                 "fraction_better_off": float(np.mean(delta > 0)),
                 "fraction_worse_off": float(np.mean(delta < 0)),
                 "targeted_mean": float(delta[mask].mean()) if nt else math.nan,
                 "untargeted_mean": float(delta[~mask].mean()) if nt < N else math.nan,
                 "n_targeted": nt, "changes": delta}
        cc = np.empty(C)
        ce = np.empty(C)
        for c in range(C):
            cc[c], ce[c] = _mean_err(comm_ts[:, c])
        cm = float(np.dot(w, cc))
        meso = {"community_change": cc, "community_change_error": ce,
                "between_community_sd": math.sqrt(max(float(np.dot(w, (cc - cm) ** 2)), 0.0))}
        for k in ("avg_cohesion", "resource_inequality"):
            meso[k + "_change"], meso[k + "_change_error"] = _mean_err(diff[k])
        macro = {}
        for k in ("approval", "trust"):
            macro[k + "_change"], macro[k + "_change_error"] = _mean_err(diff[k])
        macro["target_gap_change"], macro["target_gap_change_error"] = _mean_err(diff["gap"])
        macro["effectiveness_change"], macro["effectiveness_change_error"] = _mean_err(
            diff["policy_effectiveness"])
        macro["policy_effectiveness"] = float(per["policy_effectiveness"][1].mean())
        self.model.apply_policy(policy)
        return {"micro_impact": micro, "meso_impact": meso, "macro_impact": macro,
                "n_steps": n_steps, "cost": policy.cost}


# ------------------------------------------------------------- comparison
def _max_pair_z(cc, ce):
    """Largest ``|c_a - c_b|`` / se(a - b) over community pairs (nan if no pair has se > 0)."""
    best = math.nan
    for a, b in itertools.combinations(range(cc.size), 2):
        se = math.hypot(ce[a], ce[b])
        if se > 0:
            z = abs(cc[a] - cc[b]) / se
            best = z if not best >= z else best
        elif cc[a] != cc[b]:
            return math.inf
    return best


_NOT_APPLICABLE = ("{name!r} is a 'community' policy and {model}: it would target nobody but its cost would "
                   "still tax everyone, so it is not applied (and not kept active for the later policies)")


def compare_single_vs_multiscale(policies, population_size=1000, time_steps=50, *,
                                 n_communities=10, seed=None):
    r"""Run the same policies through the single-scale and the multiscale model.

    Both models start from the same seed.  Each policy is evaluated in turn
    by a paired run of ``time_steps`` steps (single scale:
    :meth:`GovernmentSimulation.implement_policy`; multiscale:
    :meth:`IntegratedGovernmentModel.implement_policy_multiscale`) and then
    kept active; finally both run ``time_steps`` more steps with all
    policies active.

    A ``community`` policy is not applicable to a model with one community
    (it would target nobody and still tax everyone): it is never applied to
    the single-scale model, nor to the multiscale one when
    ``n_communities == 1``.  Its entry in that model's ``policy_results``
    is then ``{"applicable": False, "reason": str}``, it is not kept active
    for the later policies, and the insights and measurements are computed
    from the other policies.

    Parameters
    ----------
    policies : list of Policy (at least one, unique names)
    population_size : int >= 1, default 1000
    time_steps : int >= 3, default 50
    n_communities : int in [1, population_size], default 10
    seed : int >= 0 or None

    Returns
    -------
    dict with

    * ``single_scale``: ``policy_results`` (name -> implement_policy dict,
      or the not-applicable entry), ``history`` (list of step dicts);
    * ``multiscale``: ``policy_results`` (name -> implement_policy_multiscale
      dict, or the not-applicable entry), ``history``, ``cross_scale``
      (analysis), ``transitions``, ``scale_separation`` (of satisfaction at
      the end);
    * ``insights``: ``use_multiscale_when`` (list of str, each derived from
      the runs and quoting its number) and ``measurements`` (the numbers;
      ``single_scale_satisfaction_change`` and
      ``multiscale_satisfaction_change`` are nan for a policy that was not
      applicable, and ``not_applicable`` lists those policies per model).

    The insight rules:

    * "community structure matters" if the between-community share of the
      final variance of satisfaction exceeds :data:`COMMUNITY_VARIANCE_THRESHOLD`;
    * "effects vary by scale of observation" if, for some policy, two
      communities' effects differ by more than :data:`HETEROGENEITY_SE`
      standard errors of the difference (no correction for the C(C-1)/2
      comparisons: with many communities expect occasional false positives);
    * "multiple levels of intervention" if the policies span more than one
      scale (a property of the policy list; it names any policy that was not
      applicable to the multiscale model).

    The number of ``cross_scale`` transitions of the final run is reported
    in ``measurements`` but yields no insight: at threshold 2 a stationary
    run produces chance cascades at a rate of roughly 1 % per step.

    Examples
    --------
    A small run with an individual and a community policy.  The single-scale
    model cannot apply the community policy; its result for the first policy
    is exactly that of :meth:`GovernmentSimulation.implement_policy` with the
    same seed:

    >>> from utacbook.models import (GovernmentSimulation, compare_single_vs_multiscale,
    ...                              create_example_policies)
    >>> welfare, grants = create_example_policies()[:2]
    >>> r = compare_single_vs_multiscale([welfare, grants], population_size=200, time_steps=10,
    ...                                  n_communities=4, seed=0)
    >>> sorted(r)
    ['insights', 'multiscale', 'single_scale']
    >>> sorted(r["multiscale"])
    ['cross_scale', 'history', 'policy_results', 'scale_separation', 'transitions']
    >>> r["single_scale"]["policy_results"]["community_grants"]["applicable"]
    False
    >>> alone = GovernmentSimulation(200, seed=0).implement_policy(welfare, n_steps=10)
    >>> r["single_scale"]["policy_results"]["targeted_welfare"] == alone
    True
    >>> m = r["insights"]["measurements"]
    >>> m["not_applicable"], m["policy_scales"]
    ({'single_scale': ['community_grants'], 'multiscale': []}, ['community', 'individual'])
    >>> len(r["multiscale"]["history"]), len(r["insights"]["use_multiscale_when"])
    (10, 3)
    """
    if isinstance(policies, Policy):
        policies = [policies]
    policies = IntegratedGovernmentModel._policy_list(policies)
    if not policies:
        raise ValueError("policies must contain at least one Policy")
    if len({p.name for p in policies}) != len(policies):
        raise ValueError("policies must have unique names")
    N = V.integer("population_size", population_size, low=1)
    T = V.integer("time_steps", time_steps, low=3)
    C = V.integer("n_communities", n_communities, low=1)
    if C > N:
        raise ValueError(f"n_communities must be <= population_size ({N}), got {C}")

    single = GovernmentSimulation(N, seed=seed)
    s_res = {p.name: single.implement_policy(p, n_steps=T) if p.scale != "community"
             else {"applicable": False, "reason": _NOT_APPLICABLE.format(name=p.name, model="the single-scale "
                                                                         "model has one community")}
             for p in policies}
    s_hist = single.run(T)

    multi = IntegratedGovernmentModel(N, C, T, seed=seed)
    m_res = {p.name: multi.implement_policy_multiscale(p, n_steps=T) if p.scale != "community" or C > 1
             else {"applicable": False, "reason": _NOT_APPLICABLE.format(name=p.name, model="n_communities = 1")}
             for p in policies}
    m_hist = multi.run()
    cross = multi.analyze_cross_scale_dynamics()
    trans = multi.identify_scale_transitions()
    sep = analyze_scale_separation(multi.model)

    tot = sep["total_variance"]
    frac = sep["between_group_variance"] / tot if tot > 0 else 0.0
    het = {name: _max_pair_z(r["meso_impact"]["community_change"],
                             r["meso_impact"]["community_change_error"])
           if r.get("applicable", True) else math.nan
           for name, r in m_res.items()}
    het_vals = [v for v in het.values() if not math.isnan(v)]
    het = {k: float(v) for k, v in het.items()}
    max_z = float(max(het_vals)) if het_vals else math.nan
    max_pol = max(het, key=lambda k: -1 if math.isnan(het[k]) else het[k])
    scales = sorted({p.scale for p in policies})
    skipped = {"single_scale": [k for k, r in s_res.items() if not r.get("applicable", True)],
               "multiscale": [k for k, r in m_res.items() if not r.get("applicable", True)]}
    n_cascade = sum(1 for e in trans if e["type"] == "cross_scale")
    meas = {"between_variance_fraction": float(frac),
            "community_variance_threshold": COMMUNITY_VARIANCE_THRESHOLD,
            "max_community_effect_z": max_z, "community_effect_z": het,
            "heterogeneity_threshold_se": HETEROGENEITY_SE,
            "policy_scales": scales, "n_cross_scale_transitions": n_cascade,
            "single_scale_satisfaction_change": {k: float(r["satisfaction_change"])
                                                 if r.get("applicable", True) else math.nan
                                                 for k, r in s_res.items()},
            "multiscale_satisfaction_change": {k: r["micro_impact"]["mean"]
                                               if r.get("applicable", True) else math.nan
                                               for k, r in m_res.items()},
            "not_applicable": skipped}
    use = []
    if frac > COMMUNITY_VARIANCE_THRESHOLD:
        use.append(f"community structure matters: {100 * frac:.1f}% of the variance of "
                   f"satisfaction lies between communities "
                   f"(> {100 * COMMUNITY_VARIANCE_THRESHOLD:.0f}%)")
    if max_z > HETEROGENEITY_SE:
        use.append(f"effects vary by scale of observation: the effect of {max_pol} differs "
                   f"between two communities by {max_z:.1f} s.e. (> {HETEROGENEITY_SE:g})")
    if len(scales) > 1:
        use.append(f"multiple levels of intervention: policies act at {len(scales)} scales "
                   f"({', '.join(scales)})" + (f"; not applicable to the multiscale model with one "
                                                f"community: {', '.join(skipped['multiscale'])}"
                                                if skipped["multiscale"] else ""))
    return {"single_scale": {"policy_results": s_res, "history": s_hist},
            "multiscale": {"policy_results": m_res, "history": m_hist, "cross_scale": cross,
                           "transitions": trans, "scale_separation": sep},
            "insights": {"use_multiscale_when": use, "measurements": meas}}
