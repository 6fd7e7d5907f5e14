"""The q-state Potts model on the periodic square lattice, and its exact results.

Study module of the chapter "Limits of the lens: Potts spins" (book/ising/10_limits).

Model
-----
States :math:`\\sigma_i \\in \\{0, \\ldots, q-1\\}` on the periodic
:math:`L \\times L` lattice (:math:`N = L^2`, :math:`2N` bonds), with

.. math:: H = -J \\sum_{\\langle ij \\rangle} \\delta(\\sigma_i, \\sigma_j),

each bond counted once (Potts 1952; Wu 1982).  Temperature is in units of
J/k_B (k_B = 1); energies are per spin.  The order parameter is

.. math:: m = \\frac{q \\max_k n_k / N - 1}{q - 1} \\in [0, 1],

with :math:`n_k` the number of sites in state k (0 for equal occupation, 1
when every site is in one state).

Exact results used as checks
----------------------------
* Self-duality gives :math:`T_c = J / \\ln(1 + \\sqrt q)` (Potts 1952;
  Baxter 1973).  The transition is continuous for q <= 4 and first order
  for q > 4 (Baxter 1973), with energies per spin at :math:`T_c`

  .. math:: e_{\\pm} = -J\\left(1 + \\frac{1}{\\sqrt q}\\right) \\pm \\frac{\\ell}{2},
            \\qquad \\frac{\\ell}{J} = 2\\left(1 + \\frac{1}{\\sqrt q}\\right)
            \\tanh\\frac{\\theta}{2} \\prod_{n \\ge 1} \\tanh^2 (n\\theta),
            \\quad 2\\cosh\\theta = \\sqrt q ,

  where :math:`\\ell` is the latent heat per spin (Baxter 1973; Wu 1982).
  For q = 10 this gives :math:`e_+ = -0.9682`, :math:`e_- = -1.6643`,
  :math:`\\ell = 0.6961`, the values used by Challa, Landau & Binder (1986).
* q = 2 is the Ising model: :math:`\\delta(\\sigma,\\sigma') = (1 + s s')/2`,
  so :math:`H_{\\rm Potts}(J) = -J N_{\\rm bonds}/2 + H_{\\rm Ising}(J/2)` and
  :math:`e_{\\rm Potts}(T) = -J + e_{\\rm Ising}(T; J/2)` on the same torus
  (checked against Kaufman's exact finite-lattice solution).
* Complete enumeration of tiny lattices (:func:`utacbook.models.enumerate_potts`).
* For q > 4 on the torus, the two-phase picture of Borgs & Kotecký (1990;
  Borgs, Kotecký & Miracle-Solé 1991): ordered weight q/(q+1) at T_c and
  equal weight at :math:`\\beta_t - \\ln q/(L^2\\Delta e)` (:func:`borgs_kotecky`).
"""

from __future__ import annotations


import numpy as np


from utacbook import _validate as v
from utacbook.stats import _mcstats as mcstats
from utacbook.models._potts import (Q_MAX, latent_heat, potts_tc, simulate_potts, simulate_potts_wolff,
                                    transition_energies)

__all__ = [
    'ising_equivalent_energy', 'phase_split', 'reweight_to_equal_weight', 'histogram_study', 'scaling_slope',
    'cluster_study', 'universality_study', 'ising_reference', 'effective_exponent', 'claims', 'explore_potts',
    'borgs_kotecky', 'tunnelling_events', 'first_order_study', 'first_order_summary', 'plot_first_order',
    'replica_phase_stats', 'Q10_SIZES', 'Q10_SWEEPS', 'Q10_REPLICAS', 'XI_D_Q10'
]


def ising_equivalent_energy(L, T, J=1.0):
    """Exact ⟨e⟩ per spin of the q = 2 Potts model on the L×L torus, from Kaufman.

    δ(σ, σ') = (1 + s s')/2 gives e_Potts(T; J) = -J + e_Ising(T; J/2).
    ``T`` may be an array.
    """
    from utacbook.theory._exact import kaufman
    J = v.real("J", J, positive=True)
    return -J + kaufman(L, T, J / 2.0)["energy"]


# --------------------------------------------------------------------------
# first-order signatures: phase split, reweighting, histograms
# --------------------------------------------------------------------------

def _dip(e, bins):
    """Energy of the minimum of the histogram between its two highest separated maxima."""
    h, edges = np.histogram(e, bins=bins)
    c = 0.5 * (edges[1:] + edges[:-1])
    hs = np.convolve(h, np.ones(3) / 3, mode="same")
    k1 = int(np.argmax(hs))
    # second maximum: highest point separated from k1 by a dip
    best, k2 = -1.0, None
    for k in range(hs.size):
        lo, hi = min(k, k1), max(k, k1)
        if hi - lo < 3:
            continue
        valley = hs[lo:hi + 1].min()
        if valley < 0.8 * min(hs[k], hs[k1]) and hs[k] > best:
            best, k2 = hs[k], k
    if k2 is None:
        return None
    lo, hi = min(k1, k2), max(k1, k2)
    return float(c[lo + int(np.argmin(hs[lo:hi + 1]))])


def phase_split(e, *, e_cut=None, bins=60):
    """Split an energy series at the histogram dip into ordered and disordered parts.

    Parameters
    ----------
    e : array (n,)
        Energy per spin series (one run).
    e_cut : float or None
        Dividing energy; None finds the dip between the two peaks.

    Returns
    -------
    dict or None
        ``e_cut``, ``weight_ordered`` (fraction of sweeps with e < e_cut),
        ``e_ordered``, ``e_disordered`` (mean energies of each phase) and
        ``gap`` = e_disordered - e_ordered, each as (value, jackknife error
        over bins much longer than τ_int); None if no dip is found.
    """
    e = v.real_array("e", e, ndim=1, min_len=40)
    if e_cut is None:
        e_cut = _dip(e, bins)
        if e_cut is None:
            return None
    lo = (e < e_cut).astype(float)
    hi = 1.0 - lo
    if lo.sum() < 2 or hi.sum() < 2:
        return None
    n_bins = 20
    out = {"e_cut": float(e_cut)}
    out["weight_ordered"] = mcstats.jackknife(lambda a: a, lo, n_bins=n_bins)
    out["e_ordered"] = mcstats.jackknife(lambda a, b: a / b, e * lo, lo, n_bins=n_bins)
    out["e_disordered"] = mcstats.jackknife(lambda a, b: a / b, e * hi, hi, n_bins=n_bins)
    out["gap"] = mcstats.jackknife(lambda a, b, c, d: c / d - a / b, e * lo, lo, e * hi, hi,
                                   n_bins=n_bins)
    return out


def reweight_to_equal_weight(e, T, N, *, e_cut):
    """Temperature at which the two phases carry equal weight (single-histogram reweighting).

    Reweights the energy series ``e`` (per spin, sampled at ``T``) to T' with
    weights exp[-(1/T' - 1/T) N e] and solves weight(e < e_cut) = 1/2 by
    bisection (Ferrenberg & Swendsen 1988; reliable only for T' close to T).

    Returns
    -------
    T_eq : float
    weights : ndarray (n,)
        Normalised weights of the samples at T_eq.
    """
    e = v.real_array("e", e, ndim=1, min_len=2)
    T = v.real("T", T, positive=True)
    E = N * e

    def frac(b):
        a = -(b - 1.0 / T) * E
        w = np.exp(a - a.max())
        w /= w.sum()
        return np.sum(w[e < e_cut]) - 0.5, w

    lo, hi = 1.0 / T - 0.05, 1.0 / T + 0.05
    if frac(lo)[0] * frac(hi)[0] > 0:
        raise ValueError("reweight_to_equal_weight: no equal-weight temperature within "
                         "|Δβ| < 0.05 of T")
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if frac(mid)[0] * frac(lo)[0] > 0:
            lo = mid
        else:
            hi = mid
    b = 0.5 * (lo + hi)
    return 1.0 / b, frac(b)[1]


def histogram_study(q, sizes, *, sweeps, burn_in=2000, J=1.0, seed=0):
    """Energy series at the exact T_c for each size (one run per size).

    Parameters
    ----------
    q : int
    sizes : sequence of even int
    sweeps : int or sequence of int (one per size)
    burn_in : int
    seed : int >= 0 (size k uses ``seed + k``)

    Returns
    -------
    list of PottsResult
    """
    sizes = list(sizes)
    sw = [sweeps] * len(sizes) if np.ndim(sweeps) == 0 else list(sweeps)
    Tc = potts_tc(q, J)
    return [simulate_potts(L, Tc, q=q, J=J, sweeps=int(n), burn_in=burn_in, init="random",
                           seed=seed + k) for k, (L, n) in enumerate(zip(sizes, sw))]


def scaling_slope(sizes, values, errors):
    """Weighted least-squares slope of log(values) against log(sizes), with its error.

    :func:`utacbook.stats.power_law_fit` without the χ² scaling of the error.

    Returns
    -------
    (slope, error) : tuple of float
    """
    from utacbook.stats._fitting import power_law_fit
    f = power_law_fit(sizes, values, errors, scale_by_chi2=False)
    return f["exponent"], f["exponent_err"]


def cluster_study(q=3, sizes=(8, 16, 32, 64, 128), *, sweeps=20_000, burn_in=1000, seed=0):
    """Energy and specific heat at the exact T_c for several sizes (Wolff), for a stored result.

    Size number k uses seed ``seed + k``.

    Returns
    -------
    dict
        ``q``, ``T_c``, ``e_c`` (exact infinite-lattice energy at T_c,
        -(1 + 1/√q)), ``sizes``, ``sweeps`` and per size ``energy``,
        ``energy_err``, ``specific_heat``, ``specific_heat_err`` (per spin;
        errors τ_int-corrected and jackknife), ``tau_energy``.
    """
    sizes = [v.integer("L", L, low=2) for L in sizes]
    sw = [sweeps] * len(sizes) if np.ndim(sweeps) == 0 else list(sweeps)
    if len(sw) != len(sizes):
        raise ValueError("sweeps needs one entry per size")
    Tc = float(potts_tc(q))
    out = {"q": int(q), "T_c": Tc, "e_c": float(-(1.0 + 1.0 / np.sqrt(q))), "sizes": sizes,
           "sweeps": [int(n) for n in sw], "energy": [], "energy_err": [], "specific_heat": [],
           "specific_heat_err": [], "tau_energy": []}
    for k, (L, n) in enumerate(zip(sizes, sw)):
        r = simulate_potts_wolff(L, Tc, q=q, sweeps=int(n), burn_in=burn_in, seed=seed + k)
        e, de = r.mean_energy
        c, dc = r.specific_heat
        out["energy"].append(float(e))
        out["energy_err"].append(float(de))
        out["specific_heat"].append(float(c))
        out["specific_heat_err"].append(float(dc))
        out["tau_energy"].append(float(r.tau_int["energy"]))
    return out


def universality_study(qs=(2, 3, 4), sizes=(8, 16, 32, 64, 128), *, sweeps=40_000, burn_in=1000,
                       seed=0):
    """:func:`cluster_study` for several q (q number k uses seed ``seed + 100 k``), for a stored result.

    Returns
    -------
    dict
        ``{"q2": cluster_study(2, ...), "q3": ..., ...}``.
    """
    return {f"q{q}": cluster_study(int(q), sizes, sweeps=sweeps, burn_in=burn_in, seed=seed + 100 * k)
            for k, q in enumerate(qs)}


def ising_reference(sizes):
    """Exact energy and specific heat per spin of the q = 2 Potts model at its T_c (Kaufman).

    q = 2 Potts with J is the Ising model with J/2 (same T_c, e shifted by
    -J, same specific heat) on the L×L torus.

    Returns
    -------
    dict with arrays ``energy`` and ``specific_heat`` (one per size).
    """
    from utacbook.theory._exact import kaufman
    Tc = potts_tc(2)
    rows = [kaufman(int(L), Tc, 0.5) for L in sizes]
    return {"energy": np.array([-1.0 + r["energy"] for r in rows]),
            "specific_heat": np.array([r["specific_heat"] for r in rows])}


def effective_exponent(sizes, values, errors):
    """Slope of ln|values| against ln L (weighted), with its error: the effective exponent.

    Used for ``|e(L, T_c) - e_c|`` (Ising: -1; q = 3 Potts: 1/ν - 2 = -4/5) and
    for C(L, T_c) (Ising: 0 with a logarithm; q = 3: α/ν = 2/5).
    """
    vals = np.abs(v.real_array("values", values, ndim=1))
    return scaling_slope(sizes, vals, v.real_array("errors", errors, ndim=1))


# --------------------------------------------------------------------------
# q = 10: phase weights on the torus (Borgs & Kotecký)
# --------------------------------------------------------------------------

#: sizes, recorded heat-bath sweeps per replica and replicas of the stored q = 10 study
#: (book/data/limits_potts_q10_weights.json)
Q10_SIZES = (12, 16, 20, 24, 32)
Q10_SWEEPS = (200_000, 200_000, 400_000, 600_000, 1_500_000)
Q10_REPLICAS = 8
#: correlation length of the disordered phase of the q = 10 Potts model at β_t, quoted from the
#: exact result of Buffenoir & Wallon (1993), J. Phys. A 26, 3045 (ξ_d = 10.559519...); not computed here
XI_D_Q10 = 10.56


def borgs_kotecky(q, L, J=1.0):
    r"""Two-phase (Borgs–Kotecký) predictions for the q-state Potts model on the periodic L×L lattice.

    With periodic boundaries the partition function is, up to corrections
    exponentially small in L, :math:`Z \approx e^{-\beta f_d V} + q\,e^{-\beta f_o V}`
    (V = L², one disordered and q ordered phases; Borgs & Kotecký 1990;
    Borgs, Kotecký & Miracle-Solé 1991).  Expanding :math:`\beta f` about
    :math:`\beta_t` (:math:`\partial_\beta(\beta f) = e`) gives the ratio of
    the total ordered to the disordered weight

    .. math:: W_o / W_d = q\,\exp[V\,\Delta e\,(\beta - \beta_t)], \qquad \Delta e = e_d - e_o > 0,

    so that at :math:`\beta_t` the ordered weight is :math:`W_o/(W_o+W_d) = q/(q+1)`,
    the two phases carry equal weight (W_o = W_d) at
    :math:`\beta_{\rm eqw} = \beta_t - \ln q/(V\Delta e) + O(V^{-2})` (as does the
    maximum of the specific heat, where the two-state variance :math:`W_oW_d` peaks),
    and Janke's (1993) :math:`W_o = q W_d` is met at :math:`\beta_t` itself.

    The :math:`O(V^{-2})` term is fixed by the same picture: to second order
    :math:`\beta f_d - \beta f_o = \Delta e\,\delta + \tfrac12 (e_d' - e_o')\,\delta^2`
    (:math:`\delta = \beta - \beta_t`, primes are :math:`d/d\beta`), and self-duality
    (:math:`e_o + e_d = -2J(1 + 1/\sqrt q)` at :math:`\beta_t`, differentiated along the duality map
    :math:`K \to K^*`, with :math:`dK^*/dK = -1` and :math:`d^2K^*/dK^2 = 2/\sqrt q` at
    :math:`K_t = \beta_t J`) gives :math:`e_o' - e_d' = J\,\Delta e/\sqrt q`.  Solving
    :math:`\ln q + V[\Delta e\,\delta - J\,\Delta e\,\delta^2/(2\sqrt q)] = 0` to second order,

    .. math:: (\beta_t - \beta_{\rm eqw})\,L^2 = \frac{\ln q}{\Delta e}
              - \frac{J\,(\ln q)^2}{2\sqrt q\,\Delta e^2}\,\frac{1}{L^2} + O(L^{-4}).

    Parameters
    ----------
    q : int, 5 <= q <= Q_MAX (first-order transitions)
    L : int >= 2
    J : float > 0

    Returns
    -------
    dict
        ``beta_t`` (:math:`\ln(1+\sqrt q)/J`), ``latent_heat`` (Δe per spin),
        ``shift_L2`` (:math:`\ln q/\Delta e`, the coefficient of 1/L² of
        :math:`\beta_t - \beta_{\rm eqw}`), ``shift_L4`` (the coefficient of 1/L² of
        :math:`(\beta_t - \beta_{\rm eqw})L^2`, :math:`-J(\ln q)^2/(2\sqrt q\,\Delta e^2)`),
        ``beta_eqw`` (leading order), ``beta_eqw2`` (to second order) and
        ``weight_ordered`` (q/(q+1), exact to all orders in 1/L²).  Energies are in
        units of ``J``'s energy scale: β scales as 1/J, so every β above is the J = 1 value over J.

    Examples
    --------
    >>> from utacbook.studies.ising.limits import borgs_kotecky
    >>> p = borgs_kotecky(10, 16)
    >>> round(p["latent_heat"], 4), round(p["shift_L2"], 4), round(p["weight_ordered"], 4)
    (0.696, 3.3081, 0.9091)
    >>> round(p["beta_t"] - p["beta_eqw"], 6) == round(p["shift_L2"] / 16**2, 6)
    True
    >>> round(p["shift_L4"], 4)
    -1.7303
    """
    q = v.integer("q", q, low=5, high=Q_MAX)
    L = v.integer("L", L, low=2)
    J = v.real("J", J, positive=True)
    beta_t = 1.0 / potts_tc(q, J)
    de = latent_heat(q, J)
    s = float(np.log(q) / de)
    s4 = float(-J * np.log(q) ** 2 / (2.0 * np.sqrt(q) * de ** 2))
    return {"beta_t": float(beta_t), "latent_heat": float(de), "shift_L2": s, "shift_L4": s4,
            "beta_eqw": float(beta_t - s / L ** 2), "beta_eqw2": float(beta_t - (s + s4 / L ** 2) / L ** 2),
            "weight_ordered": q / (q + 1.0)}


def tunnelling_events(e, *, e_lo, e_hi):
    """Number of one-way passages between the ordered (e < e_lo) and the disordered (e > e_hi) phase.

    A series that enters e > e_hi after it was last below e_lo (or the
    reverse) counts one event; the band between the two thresholds absorbs
    the fluctuations within a phase.

    Examples
    --------
    >>> from utacbook.studies.ising.limits import tunnelling_events
    >>> tunnelling_events([-1.6, -1.2, -1.6, -0.9, -1.2, -0.9, -1.7], e_lo=-1.4, e_hi=-1.0)
    2
    """
    e = v.real_array("e", e, ndim=1, min_len=1)
    e_lo, e_hi = v.real("e_lo", e_lo), v.real("e_hi", e_hi)
    if not e_lo < e_hi:
        raise ValueError("e_lo must be below e_hi")
    s = np.where(e < e_lo, 0, np.where(e > e_hi, 1, -1))
    s = s[s >= 0]
    return int(np.count_nonzero(np.diff(s)))


def replica_phase_stats(e, T, N, e_cut, de):
    """Ordered weight at T, equal-weight β and tunnelling count of one energy series (one replica).

    Parameters
    ----------
    e : array (n,)
        Energy per spin, sampled at temperature ``T`` on N sites.
    e_cut : float
        Dividing energy between the ordered (below) and disordered phase.
    de : float
        Latent heat: tunnelling events are counted between e_cut ∓ de/4.

    Returns
    -------
    dict
        ``weight_ordered`` (fraction of e < e_cut), ``beta_eqw`` (1/T_eq of
        :func:`reweight_to_equal_weight`), ``tunnelling``
        (:func:`tunnelling_events`) and ``energy`` (mean).

    Examples
    --------
    The two-phase picture at β_t: ordered weight q/(q+1), equal weight ln q/(N Δe) lower in β:

    >>> import numpy as np
    >>> from utacbook.models import potts_tc, transition_energies
    >>> from utacbook.studies.ising.limits import borgs_kotecky, replica_phase_stats
    >>> eo, ed = transition_energies(10)
    >>> e = np.array([eo] * 1000 + [ed] * 100)
    >>> r = replica_phase_stats(e, potts_tc(10), 16 * 16, (eo + ed) / 2, ed - eo)
    >>> round(r["weight_ordered"], 4), r["tunnelling"]
    (0.9091, 1)
    >>> round(r["beta_eqw"] - borgs_kotecky(10, 16)["beta_eqw"], 10)
    0.0
    """
    T_eq, _ = reweight_to_equal_weight(e, T, N, e_cut=e_cut)
    return {"weight_ordered": float(np.mean(e < e_cut)), "beta_eqw": float(1.0 / T_eq),
            "tunnelling": tunnelling_events(e, e_lo=e_cut - de / 4, e_hi=e_cut + de / 4),
            "energy": float(np.mean(e))}


def first_order_study(q=10, sizes=Q10_SIZES, *, sweeps=Q10_SWEEPS, replicas=Q10_REPLICAS, burn_in=5000,
                      bins=60, seed=700):
    """Independent heat-bath replicas at the exact β_t per size: phase weights and equal-weight β (stored result).

    Replica r of size number k starts from a random (disordered) state with
    seed ``seed + 100 k + r``.  The dividing energy ``e_cut`` of a size is
    the dip of the histogram of all its replicas pooled (:func:`phase_split`);
    each replica then gives the fraction of sweeps with e < e_cut (the
    ordered weight at β_t), the β at which reweighting its series gives
    both phases weight 1/2 (:func:`reweight_to_equal_weight`) and the
    number of tunnelling events between e_cut ∓ Δe/4 (:func:`tunnelling_events`).

    Parameters
    ----------
    q : int, 5 <= q <= Q_MAX
    sizes : sequence of even int >= 4
    sweeps : int or sequence of int (recorded sweeps per replica, one per size)
    replicas : int >= 2
    burn_in : int >= 0
    bins : int
        Histogram bins for the dip and for the stored pooled histogram.
    seed : int >= 0

    Returns
    -------
    dict
        ``q``, ``T_t``, ``beta_t``, ``e_ordered``, ``e_disordered``, ``latent_heat``,
        ``sizes``, ``sweeps``, ``replicas``, and per size (lists in size order):
        ``e_cut``, per-replica lists ``weight_ordered``, ``beta_eqw``,
        ``tunnelling``, ``energy``, and the pooled histogram at β_t
        (``hist_edges``, ``hist_counts``).
    """
    q = v.integer("q", q, low=5, high=Q_MAX)
    sizes = [v.integer("L", L, low=4) for L in sizes]
    sw = [sweeps] * len(sizes) if np.ndim(sweeps) == 0 else list(sweeps)
    if len(sw) != len(sizes):
        raise ValueError("sweeps needs one entry per size")
    replicas = v.integer("replicas", replicas, low=2)
    seed = v.integer("seed", seed, low=0)
    Tt = float(potts_tc(q))
    eo, ed = transition_energies(q)
    de = float(ed - eo)
    out = {"q": q, "T_t": Tt, "beta_t": 1.0 / Tt, "e_ordered": float(eo), "e_disordered": float(ed),
           "latent_heat": de, "sizes": sizes, "sweeps": [int(n) for n in sw], "replicas": replicas,
           "e_cut": [], "weight_ordered": [], "beta_eqw": [], "tunnelling": [], "energy": [],
           "hist_edges": [], "hist_counts": []}
    for k, (L, n) in enumerate(zip(sizes, sw)):
        series = [simulate_potts(L, Tt, q=q, sweeps=int(n), burn_in=burn_in, init="random",
                                 seed=seed + 100 * k + r).energy for r in range(replicas)]
        pooled = np.concatenate(series)
        e_cut = _dip(pooled, bins)
        if e_cut is None:
            raise RuntimeError(f"no histogram dip at L = {L}")
        rows = [replica_phase_stats(e, Tt, L * L, e_cut, de) for e in series]
        out["e_cut"].append(float(e_cut))
        for key in ("weight_ordered", "beta_eqw", "tunnelling", "energy"):
            out[key].append([row[key] for row in rows])
        h, edges = np.histogram(pooled, bins=bins)
        out["hist_edges"].append(edges)
        out["hist_counts"].append(h)
    return out


def first_order_summary(study):
    """Replica means and standard errors of a :func:`first_order_study`, with the two-phase predictions.

    Returns
    -------
    dict
        ``sizes``; ``weight``, ``weight_err`` (ordered weight at β_t);
        ``shift_L2``, ``shift_L2_err`` (:math:`(\\beta_t - \\beta_{\\rm eqw})L^2`);
        ``tunnelling`` (total events per size) and ``tunnelling_min`` (fewest in
        one replica); ``fit`` of shift_L2 = a + b/L² with b free (weighted least squares:
        ``a``, ``a_err``, ``b``, ``b_err``, ``chi2``, ``dof``; None for fewer
        than three distinct sizes), an effective description whose b absorbs
        whatever the two-phase formula leaves out; ``fit_b_theory`` and
        ``fit_b_theory_L16`` (b fixed at ``pred_shift_L4``, all sizes and
        L >= 16: ``a``, ``a_err``, ``chi2``, ``dof``); and the
        predictions ``pred_weight`` = q/(q+1), ``pred_shift_L2`` = ln q/Δe,
        ``pred_shift_L4`` = −(ln q)²/(2√q Δe²) and ``pred_shift`` (per size,
        ln q/Δe + pred_shift_L4/L², :func:`borgs_kotecky` to second order).

    Examples
    --------
    Two replicas at each of three sizes whose equal-weight β follow the two-phase
    prediction exactly (what :func:`first_order_study` returns, cut down):

    >>> from utacbook.studies.ising.limits import borgs_kotecky, first_order_summary
    >>> sizes = [12, 16, 24]
    >>> bk = [borgs_kotecky(10, L) for L in sizes]
    >>> study = {"q": 10, "latent_heat": bk[0]["latent_heat"], "beta_t": bk[0]["beta_t"], "sizes": sizes,
    ...          "replicas": 2, "weight_ordered": [[0.90, 0.92]] * 3, "tunnelling": [[40, 50]] * 3,
    ...          "beta_eqw": [[p["beta_eqw"] - 1e-4, p["beta_eqw"] + 1e-4] for p in bk]}
    >>> s = first_order_summary(study)
    >>> [round(float(w), 3) for w in s["weight"]], abs(s["fit"]["a"] - s["pred_shift_L2"]) < 1e-8
    ([0.91, 0.91, 0.91], True)
    """
    L = np.asarray(study["sizes"], dtype=float)
    R = int(study["replicas"])
    w = np.asarray(study["weight_ordered"], dtype=float)
    sh = (study["beta_t"] - np.asarray(study["beta_eqw"], dtype=float)) * L[:, None] ** 2
    tun = np.asarray(study["tunnelling"])
    out = {"sizes": L.astype(int),
           "weight": w.mean(axis=1), "weight_err": w.std(axis=1, ddof=1) / np.sqrt(R),
           "shift_L2": sh.mean(axis=1), "shift_L2_err": sh.std(axis=1, ddof=1) / np.sqrt(R),
           "tunnelling": tun.sum(axis=1), "tunnelling_min": tun.min(axis=1)}
    q = int(study["q"])
    out["pred_weight"] = q / (q + 1.0)
    de = float(study["latent_heat"])
    out["pred_shift_L2"] = float(np.log(q) / de)
    out["pred_shift_L4"] = float(-np.log(q) ** 2 / (2.0 * np.sqrt(q) * de ** 2))
    out["pred_shift"] = out["pred_shift_L2"] + out["pred_shift_L4"] / L ** 2
    wt = 1.0 / out["shift_L2_err"] ** 2
    for key, sel in (("fit_b_theory", L > 0), ("fit_b_theory_L16", L >= 16)):
        out[key] = None
        if sel.sum() >= 2:
            y = out["shift_L2"][sel] - out["pred_shift_L4"] / L[sel] ** 2
            a = float(np.sum(wt[sel] * y) / np.sum(wt[sel]))
            out[key] = {"a": a, "a_err": float(1.0 / np.sqrt(np.sum(wt[sel]))),
                        "chi2": float(np.sum(wt[sel] * (y - a) ** 2)), "dof": int(sel.sum() - 1)}
    out["fit"] = None
    if np.unique(L).size < 3:
        return out
    X = np.column_stack([np.ones_like(L), L ** -2.0])
    cov = np.linalg.inv(X.T @ (X * wt[:, None]))
    coef = cov @ (X.T @ (wt * out["shift_L2"]))
    chi2 = float(np.sum(wt * (out["shift_L2"] - X @ coef) ** 2))
    out["fit"] = {"a": float(coef[0]), "a_err": float(np.sqrt(cov[0, 0])), "b": float(coef[1]),
                  "b_err": float(np.sqrt(cov[1, 1])), "chi2": chi2, "dof": int(L.size - 2)}
    return out


def plot_first_order(summary, *, axes=None):
    """Two panels: (β_t − β_eqw)L² and the ordered weight at β_t against L, with the two-phase predictions."""
    import matplotlib.pyplot as plt
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(9.6, 3.6))
    s = summary
    L = np.asarray(s["sizes"], dtype=float)
    ax = axes[0]
    ax.errorbar(L, s["shift_L2"], yerr=s["shift_L2_err"], fmt="o", capsize=2, label="measured (replicas)")
    x = np.linspace(L.min() * 0.9, L.max() * 1.1, 100)
    f = s["fit"]
    if f is not None:
        ax.plot(x, f["a"] + f["b"] / x ** 2, "-", lw=1,
                label=f"effective fit a + b/L², b free: a = {f['a']:.2f} ± {f['a_err']:.2f}, b = {f['b']:.0f}")
    ax.axhline(s["pred_shift_L2"], color="k", ls="--", lw=1, label=f"ln q / Δe = {s['pred_shift_L2']:.3f}")
    if "pred_shift_L4" in s:
        ax.plot(x, s["pred_shift_L2"] + s["pred_shift_L4"] / x ** 2, "k:", lw=1.2,
                label=f"two-phase, 2nd order: b = {s['pred_shift_L4']:.2f}")
    ax.set_xlabel("L")
    ax.set_ylabel(r"$(\beta_t - \beta_{\rm eqw})\,L^2$")
    ax.legend(fontsize=7, loc="lower right")
    ax = axes[1]
    ax.errorbar(L, s["weight"], yerr=s["weight_err"], fmt="o", capsize=2, label="measured (replicas)")
    ax.axhline(s["pred_weight"], color="k", ls="--", lw=1, label=f"q/(q+1) = {s['pred_weight']:.4f}")
    ax.set_xlabel("L")
    ax.set_ylabel(r"ordered weight $W_o/(W_o+W_d)$ at $\beta_t$")
    ax.legend(fontsize=8)
    axes[0].figure.tight_layout()
    return axes[0].figure


#: comparisons with exact values in the chapter's design: heat-bath (3 enumerated cases x 3
#: quantities, 3 Kaufman energies at L = 16, C(T_c) at 4 sizes) and Wolff (5 sizes x e, C)
N_EXACT_CHECKS, N_CLUSTER_CHECKS = 16, 10


def claims(*, n_exact=N_EXACT_CHECKS, n_cluster=N_CLUSTER_CHECKS, q10_sizes=Q10_SIZES, q10_replicas=Q10_REPLICAS,
           bk_summary=None):
    """The claims the chapter judges, with their criteria (fixed before the measurement).

    The two code-against-exact checks compare many values; their ``k`` is
    :func:`utacbook.claims.familywise_k` of the number of comparisons
    (``n_exact``, ``n_cluster``: pass the chapter's design), so that a
    correct simulation fails either check by chance with probability at most
    5 %.  The ordered-weight claim is judged at each of ``q10_sizes`` with
    k = familywise_k(len(q10_sizes)).  ``bk_summary`` (a :func:`first_order_summary`, passed at
    judging time) only fills the measured numbers into the notes of the two Borgs–Kotecký claims;
    the criteria do not depend on it.
    """
    from utacbook import claims as uc
    k_exact = round(uc.familywise_k(n_exact), 2)
    k_cluster = round(uc.familywise_k(n_cluster), 2)
    k_bk = round(uc.familywise_k(len(q10_sizes)), 2)
    sizes_txt = ", ".join(str(int(L)) for L in q10_sizes)
    b_th = borgs_kotecky(10, int(q10_sizes[0]))["shift_L4"]
    b_th_txt = f"{b_th:.2f}".replace("-", "−")
    if bk_summary is None:
        k2_txt = "What k = 2 gives is stated in the verdicts table at the end of the chapter"
        fit_txt = "what it gave is stated in the verdicts table at the end of the chapter"
    else:
        s_ = bk_summary
        z = (np.asarray(s_["weight"]) - s_["pred_weight"]) / np.asarray(s_["weight_err"])
        bad = [f"L = {int(L)} ({zz:+.2f} standard errors)".replace("-", "−")
               for L, zz in zip(s_["sizes"], z) if abs(zz) > 2]
        k2_txt = ("Under k = 2 the weight at " + " and ".join(bad) + " fails" if bad
                  else "Under k = 2 no size fails")
        f_ = s_["fit"]
        first = uc.HELD if abs(f_["a"] - s_["pred_shift_L2"]) <= 2 * f_["a_err"] else uc.NOT_REPRODUCED
        zb = f"{(f_['b'] - b_th) / f_['b_err']:+.1f}".replace("-", "−")
        fit_txt = (f"it gave {first} (a = {f_['a']:.2f} ± {f_['a_err']:.2f}), with a fitted "
                   + f"b = {f_['b']:.0f}".replace("-", "−") + f" ± {f_['b_err']:.0f} ({zb} standard "
                   "errors from the theory's b), i.e. an effective term absorbing corrections beyond the "
                   "two-phase formula")
    return [
        uc.Claim("ising.limits.ising_like", source="essay", section="vii",
                 text="Potts/continuous‑spin generalizations help—and often run back into "
                      "Ising‑like behavior near criticality",
                 quantity="how the energy at the exact T_c approaches its infinite-lattice value "
                          "e_c: effective exponent of |e(L) − e_c| against L, minus the exact "
                          "Ising (q = 2) value over the same sizes",
                 criterion=uc.Agreement(0.0, k=2),
                 scope="q-state Potts models on the square lattice: q = 3 and 4 (Wolff, "
                       "L = 16–128, stored) and q = 10 (heat-bath, L = 12–24)",
                 note="continuous spins are judged separately (not simulated here)"),
        uc.Claim("ising.limits.continuous", source="essay", section="vii",
                 text="continuous‑spin generalizations ... often run back into Ising‑like "
                      "behavior near criticality",
                 quantity="critical behaviour of XY and Heisenberg models",
                 criterion=None,
                 needs="simulations of continuous-spin models, which this book does not run "
                       "(in 2D the literature says no: a BKT transition for XY, none for "
                       "Heisenberg)"),
        uc.Claim("ising.limits.help", source="essay", section="vii",
                 text="Not all social phenomena are binary; Potts/continuous‑spin "
                      "generalizations help",
                 quantity="whether a multi-option model describes multi-option social data "
                          "better than a binary one",
                 criterion=None,
                 needs="social data with more than two options, to fit binary and "
                       "multi-option models and compare them"),
        uc.Claim("ising.limits.exact_checks", source="ours", section="",
                 text="the heat-bath simulation reproduces exact results",
                 quantity="measured minus exact value (energy, order parameter, specific heat) "
                          "against complete enumeration and, for q = 2, Kaufman's solution",
                 criterion=uc.Agreement(0.0, k=k_exact),
                 scope="enumeration: L = 2 (q = 3, 5), L = 4 (q = 2), 10⁵ sweeps; Kaufman: "
                       "q = 2 energy at L = 16 and three T, specific heat at T_c for L = 8–24",
                 note=f"k follows from the number of comparisons: familywise_k({n_exact}) = "
                      f"{k_exact:g}, Bonferroni's bound that keeps the chance of a false failure "
                      f"among the {n_exact} values at 5 %. It was chosen after the first run, "
                      "which used k = 2: under k = 2 two of the 16 deviations (the L = 2, q = 3 "
                      "energy and the L = 24, q = 2 specific heat at T_c) fail and the verdict "
                      "is held with caveats"),
        uc.Claim("ising.limits.cluster_check", source="ours", section="",
                 text="the Wolff cluster simulation reproduces the exact q = 2 (Ising) values",
                 quantity="measured minus exact energy and specific heat at T_c (Kaufman)",
                 criterion=uc.Agreement(0.0, k=k_cluster),
                 scope="q = 2, L = 8–128, 40 000 cluster steps per size (stored)",
                 note=f"k follows from the number of comparisons: familywise_k({n_cluster}) = "
                      f"{k_cluster:g}; chosen after the first run, with the heat-bath check's k. "
                      "Under k = 2 this check's L = 8 energy (+2.7 standard errors) fails and "
                      "the verdict is held with caveats"),
        uc.Claim("ising.limits.energy_exponent", source="ours", section="",
                 text="the energy at T_c approaches e_c like L^(1/ν − 2) with the exact ν: "
                      "−1 (q = 2), −4/5 (q = 3), −1/2 (q = 4)",
                 quantity="effective exponent of |e(L) − e_c| over L = 16–128, minus the exact "
                          "one",
                 criterion=uc.Agreement(0.0, k=2),
                 scope="Wolff, 40 000 cluster steps per size (stored)",
                 note="q = 4 has logarithmic corrections to scaling (Salas & Sokal 1997), "
                      "so its effective exponent converges slowly"),
        uc.Claim("ising.limits.latent_heat", source="ours", section="",
                 text="for q = 10 the two coexisting phases at T_c differ in energy by Baxter's "
                      "latent heat",
                 quantity="distance between the mean energies of the two peaks of the energy "
                          "histogram at T_c",
                 criterion=uc.Agreement(latent_heat(10), k=2),
                 scope="heat-bath at the exact T_c, L = 12, 16, 24"),
        uc.Claim("ising.limits.first_order_c", source="ours", section="",
                 text="at a first-order transition C(T_c) grows like L²",
                 quantity="slope of ln C(T_c) against ln L, q = 10",
                 criterion=uc.Agreement(2.0, k=2),
                 scope="heat-bath, L = 12–24"),
        uc.Claim("ising.limits.bk_weight", source="ours", section="",
                 text="at the exact transition point the q ordered phases together carry the weight q/(q + 1) "
                      "(Borgs & Kotecký), for q = 10: 10/11",
                 quantity="fraction of sweeps whose energy lies below the dip of the energy histogram, at "
                          "the exact β_t; mean ± standard error over independent replicas",
                 criterion=uc.Agreement(10 / 11, k=k_bk),
                 scope=f"q = 10, heat-bath at β_t from random starts, L = {sizes_txt}; {q10_replicas} "
                       "replicas per size (stored)",
                 note=f"k = familywise_k({len(q10_sizes)}) = {k_bk:g}, one comparison per size. When this k "
                      "was chosen is not recorded: not recorded as fixed before the data; treated as chosen "
                      "after. The stored q = 10 data were computed at 12:08 UTC and both Borgs–Kotecký "
                      f"criteria first appear in commit ee6cb60 (12:17 UTC), where this claim used k = {k_bk:g} "
                      "and bk_shift used k = 2; only this claim's verdict depends on the choice. "
                      f"{k2_txt}. The two-phase picture holds up to corrections exponentially small in L, "
                      "which are not negligible when L is not large against the correlation length"),
        uc.Claim("ising.limits.bk_shift", source="ours", section="",
                 text="the ordered and the disordered phase carry equal weight at "
                      "β_eqw = β_t − ln q/(L² Δe) + O(L⁻⁴) (Borgs & Kotecký; Janke 1993)",
                 quantity="(β_t − β_eqw) L² (β_eqw per replica, by reweighting; mean ± standard error "
                          "over the replicas) minus the two-phase value to second order, "
                          "ln q/Δe − (ln q)²/(2√q Δe² L²), with Baxter's Δe; one comparison per size",
                 criterion=uc.Agreement(0.0, k=k_bk),
                 scope=f"q = 10, L = {sizes_txt}; {q10_replicas} replicas per size (stored)",
                 note=f"criterion revised after the data were seen, following a referee's report: "
                      f"k = familywise_k({len(q10_sizes)}), one comparison per size, against the "
                      "second-order formula (its 1/L⁴ term is fixed by self-duality, "
                      f"b = −(ln q)²/(2√q Δe²) = {b_th_txt}). The first criterion was the intercept a of a "
                      "free fit a + b/L² against ln q/Δe at k = 2, a form not recorded as fixed before "
                      f"the L = 12 point was seen (treated as chosen after); {fit_txt}"),
    ]


def explore_potts(q=10, T_over_Tc=1.0, *, L=32, sweeps=3000, seed=1):
    """Widget body: one run at T = T_over_Tc * T_c(q); draw the final state and the energy histogram.

    Returns the figure (two panels: the lattice coloured by state, and the
    histogram of the energy per spin over the recorded sweeps with Baxter's
    phase energies at T_c marked).
    """
    import matplotlib.pyplot as plt
    q = v.integer("q", q, low=2, high=Q_MAX)
    T_over_Tc = v.real("T_over_Tc", T_over_Tc, positive=True)
    T = T_over_Tc * potts_tc(q)
    r = simulate_potts(L, T, q=q, sweeps=sweeps, burn_in=500, seed=seed)
    fig, axes = plt.subplots(1, 2, figsize=(9.0, 3.8))
    axes[0].imshow(r.spins, cmap="tab10" if q <= 10 else "tab20", vmin=0, vmax=max(q - 1, 1),
                   interpolation="nearest")
    axes[0].set_xticks([])
    axes[0].set_yticks([])
    axes[0].grid(False)
    axes[0].set_title(f"q={q}, T={T:.4f} = {T_over_Tc:.3f} T_c, L={L}", fontsize=9)
    axes[1].hist(r.energy, bins=40, density=True, color="#1f77b4")
    for x in transition_energies(q):
        axes[1].axvline(x, color="k", ls="--", lw=0.8)
    e, de = r.mean_energy
    m, dm = r.mean_order
    axes[1].set_title(f"<e> = {e:.4f} ± {de:.4f}, <m> = {m:.3f} ± {dm:.3f}", fontsize=9)
    axes[1].set_xlabel("energy per spin $e$ (dashed: exact phase energies at $T_c$)")
    axes[1].set_ylabel("histogram")
    return fig
