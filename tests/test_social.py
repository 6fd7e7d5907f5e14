"""Tests of utacbook.social: two-block mean field, loop areas, budgets and physics checks.

Exact references: the two-block mean-field equations solved by direct
iteration, finite differences of an independently written free energy, the
Bethe T_c of utacbook.exact, shoelace areas of constructed loops, the exact
ring (transfer matrix) and Yang's spontaneous magnetisation.  Stochastic
checks use tolerances of 4 standard errors from the runs themselves.
"""

import math

import networkx as nx
import numpy as np
import pytest

import utacbook as ub
from utacbook import networks as nw
from utacbook import social as so


# ------------------------------------------------------------------ two-block mean field

@pytest.mark.parametrize("k_in,k_out,T", [(7.0, 1.0, 4.0), (6.0, 2.0, 2.5), (5.0, 0.0, 3.0),
                                          (6.0, -2.0, 6.0), (4.0, 1.0, 2.0)])
def test_two_block_solutions_match_direct_iteration(k_in, k_out, T):
    ma = so.two_block_solution(T, k_in=k_in, k_out=k_out, kind="antisymmetric")
    ms = so.two_block_solution(T, k_in=k_in, k_out=k_out, kind="symmetric")
    if k_out >= 0:
        # (with k_out < 0 the symmetric state is unstable against polarisation and
        # rounding alone drives the iteration away from m_A = m_B)
        fs = so.two_block_fixed_point(T, k_in=k_in, k_out=k_out, m0=(1.0, 1.0))
        assert fs == pytest.approx([ms, ms], abs=1e-9)
    fa = so.two_block_fixed_point(T, k_in=k_in, k_out=k_out, m0=(1.0, -1.0))
    assert fa == pytest.approx([ma, -ma], abs=1e-9)
    # both satisfy the equations
    assert ma == pytest.approx(math.tanh((k_in - k_out) * ma / T), abs=1e-12)
    assert ms == pytest.approx(math.tanh((k_in + k_out) * ms / T), abs=1e-12)


def test_polarised_solution_exists_only_below_T_exist():
    k_in, k_out = 6.0, 1.5
    T_ex = k_in - k_out
    assert so.two_block_solution(T_ex * 1.01, k_in=k_in, k_out=k_out) == 0.0
    assert so.two_block_solution(T_ex * 0.99, k_in=k_in, k_out=k_out) > 0.0


def _free_energy(ma, mb, T, k_in, k_out):
    def s(x):
        p, q = (1 + x) / 2, (1 - x) / 2
        return -(p * math.log(p) + q * math.log(q))
    return -(k_in * (ma ** 2 + mb ** 2) + 2 * k_out * ma * mb) / 4 - T * (s(ma) + s(mb)) / 2


def test_hessian_equals_finite_differences_of_free_energy():
    T, k_in, k_out = 3.0, 6.0, 1.0
    ma, mb = 0.6, -0.45
    H = so.two_block_hessian(ma, mb, T, k_in=k_in, k_out=k_out)
    e = 1e-4
    f = lambda a, b: _free_energy(a, b, T, k_in, k_out)  # noqa: E731
    faa = (f(ma + e, mb) - 2 * f(ma, mb) + f(ma - e, mb)) / e ** 2
    fab = (f(ma + e, mb + e) - f(ma + e, mb - e) - f(ma - e, mb + e) + f(ma - e, mb - e)) / (4 * e * e)
    fbb = (f(ma, mb + e) - 2 * f(ma, mb) + f(ma, mb - e)) / e ** 2
    assert H == pytest.approx(np.array([[faa, fab], [fab, fbb]]), abs=1e-5)


def test_stability_boundary_matches_perturbed_iteration():
    """Just below T_stable a perturbed polarised state returns; just above it runs to consensus."""
    k_in, k_out = 6.0, 1.5
    b = so.polarisation_boundary(k_in=k_in, k_out=k_out)
    assert 0 < b["T_stable"] < b["T_exist"] == pytest.approx(k_in - k_out)
    assert b["T_c"] == pytest.approx(k_in + k_out)
    for T, back in ((0.97 * b["T_stable"], True), (1.03 * b["T_stable"], False)):
        m = so.two_block_solution(T, k_in=k_in, k_out=k_out)
        fp = so.two_block_fixed_point(T, k_in=k_in, k_out=k_out, m0=(m + 1e-3, -m + 1e-3),
                                      damping=1.0, max_iter=200000)
        polarised = abs(fp[0] + fp[1]) < 1e-6
        assert polarised == back, (T, fp)
        st = so.polarised_stability(T, k_in=k_in, k_out=k_out)
        assert st["stable"] == back
        if st["exists"]:
            # metastable at best: consensus has the lower free energy when k_out > 0
            assert st["df"] > 0


def test_no_interblock_links_means_blocks_order_independently():
    b = so.polarisation_boundary(k_in=5.0, k_out=0.0)
    assert b["T_stable"] == b["T_exist"] == b["T_c"] == pytest.approx(5.0)


def test_bethe_boundary_reduces_to_exact_bethe_tc_for_poisson_graph():
    k = 8.0
    # Poisson degrees: <k^2> = k^2 + k
    b = so.polarisation_boundary(k_in=k, k_out=0.0, method="bethe")
    kappa = k + 1.0
    T_bethe = 2.0 / math.log(kappa / (kappa - 2.0))
    assert b["T_exist"] == pytest.approx(T_bethe, rel=1e-12)
    # and the same number from utacbook.exact with a sequence of mean k, second moment k^2 + k
    seq = np.array([k - math.sqrt(k), k + math.sqrt(k)])
    assert ub.exact.bethe_tc(seq) == pytest.approx(T_bethe, rel=1e-12)
    # with inter-block links, bethe T_stable < T_exist < T_c and below the MF values
    bb = so.polarisation_boundary(k_in=6.0, k_out=1.5, method="bethe")
    bm = so.polarisation_boundary(k_in=6.0, k_out=1.5, method="mf")
    assert bb["T_stable"] < bb["T_exist"] < bb["T_c"]
    assert bb["T_stable"] < bm["T_stable"] and bb["T_exist"] < bm["T_exist"]


def test_antagonism_threshold_is_where_polarisation_loses_stability():
    T, k_in, k_out = 3.0, 6.0, 2.0
    w = so.antagonism_threshold(T, k_in=k_in, k_out=k_out)
    assert 0 < w < k_in / k_out
    assert so.polarised_stability(T, k_in=k_in, k_out=(w - 1e-6) * k_out)["stable"]
    assert not so.polarised_stability(T, k_in=k_in, k_out=(w + 1e-6) * k_out)["stable"]
    assert math.isnan(so.antagonism_threshold(7.0, k_in=k_in, k_out=k_out))


def test_block_parameter_validation():
    with pytest.raises(ValueError, match="T"):
        so.two_block_solution(-1.0)
    with pytest.raises(ValueError, match="kind"):
        so.two_block_solution(1.0, kind="sideways")
    with pytest.raises(ValueError, match="m0"):
        so.two_block_fixed_point(1.0, m0=(2.0, 0.0))


# ------------------------------------------------------------------ loops and fits

def test_loop_area_of_rectangle_is_exact():
    # up branch along m = -1 from h = -1 to 1, down branch along m = +1 back: area 2 * 2 = 4
    h_up = np.linspace(-1, 1, 50)
    h = np.concatenate([h_up, h_up[::-1]])
    m = np.concatenate([-np.ones(50), np.ones(50)])
    assert so.loop_area(h, m) == pytest.approx(4.0, abs=1e-12)
    # traversed the other way round the sign flips; a retraced path has no area
    assert so.loop_area(h[::-1], m[::-1]) == pytest.approx(-4.0, abs=1e-12)
    assert so.loop_area(h, np.tanh(3 * h)) == pytest.approx(0.0, abs=1e-12)
    assert so.loop_area([0, 2, 2, 0], [0, 0, 3, 3]) == pytest.approx(6.0)
    with pytest.raises(ValueError, match="same length"):
        so.loop_area([0, 1, 2], [0, 1, 2, 3])


def test_fit_power_law_recovers_exponent():
    x = np.geomspace(0.01, 1, 7)
    y = 3.0 * x ** 0.7
    f = so.fit_power_law(x, y, 0.02 * y)
    assert f["b"] == pytest.approx(0.7, abs=1e-10)
    assert f["a"] == pytest.approx(3.0, rel=1e-10)
    # noisy data: the exponent lies within 4 of its own error bars
    rng = np.random.default_rng(1)
    yn = y * (1 + 0.02 * rng.standard_normal(x.size))
    g = so.fit_power_law(x, yn, 0.02 * y)
    assert abs(g["b"] - 0.7) < 4 * g["b_err"]


def test_fraction_error_is_posterior_sd():
    assert so.fraction_error(0, 8) == pytest.approx(math.sqrt(1 * 9 / (100 * 11)))
    assert so.fraction_error(8, 8) == so.fraction_error(0, 8) > 0


def test_hysteresis_loop_chains_branches_and_closes():
    r = so.hysteresis_loop(16, 1.5, h_max=2.0, sweeps_per_branch=60, seed=3)
    assert r["h_up"][0] == -2.0 and r["h_down"][0] == 2.0
    assert r["m_up"][0] < -0.9 and r["m_up"][-1] > 0.9 and r["m_down"][-1] < -0.9
    assert r["area"] > 0
    # reproducible
    assert so.hysteresis_loop(16, 1.5, h_max=2.0, sweeps_per_branch=60, seed=3)["area"] == r["area"]


def test_remanence_below_tc_equals_yang_and_vanishes_above():
    res = so.remanence(32, temperatures=(1.8, 3.5), ramp_sweeps=50, hold_sweeps=300, n_seeds=4, seed=7)
    m0 = ub.exact.yang_magnetization(1.8)
    assert abs(res["m_rem"][0] - m0) < 4 * res["m_rem_err"][0] + 1e-3
    # above T_c the field-induced order relaxes away: zero within 4 s.e.m.
    assert abs(res["m_rem"][1]) < 4 * res["m_rem_err"][1]
    assert res["m_field"][1] > 0.2  # while the field was on, it was magnetised


# ------------------------------------------------------------------ budgets and targets

def test_budget_allocation_sums_to_H_and_targets_right_nodes():
    deg = np.array([5, 1, 9, 3, 9, 2, 7, 1])
    for st in so.STRATEGIES:
        h = so.allocate_budget(deg, H=12.5, k=3, strategy=st, seed=1)
        assert h.sum() == pytest.approx(12.5) and np.all(h >= 0)
    assert np.array_equal(np.sort(so.target_nodes(deg, k=3, strategy="hubs")), [2, 4, 6])
    assert np.array_equal(np.sort(so.target_nodes(deg, k=3, strategy="low")), [1, 5, 7])
    assert np.array_equal(so.target_nodes(deg, strategy="uniform"), np.arange(8))
    r1 = so.target_nodes(deg, k=4, strategy="random", seed=5)
    assert np.array_equal(r1, so.target_nodes(deg, k=4, strategy="random", seed=5))
    assert np.unique(r1).size == 4
    h = so.allocate_budget(deg, H=6.0, k=3, strategy="hubs")
    assert np.allclose(h[[2, 4, 6]], 2.0) and h.sum() == pytest.approx(6.0)
    with pytest.raises(ValueError, match="strategy"):
        so.target_nodes(deg, strategy="celebrities")
    with pytest.raises(ValueError, match="k"):
        so.target_nodes(deg, k=9)
    with pytest.raises(ValueError, match="H"):
        so.allocate_budget(deg, H=-1.0)


def test_mf_susceptibility_matrix_matches_finite_differences():
    G = nw.barabasi_albert(n=60, m=2, seed=3)
    A = nw.adjacency(G)
    lam = np.linalg.eigvalsh(A.toarray()).max()
    eps = 1e-6
    for T, m0 in ((1.5 * lam, 0.0), (0.5 * lam, 1.0)):
        m = so.mf_magnetisations(A, T, m0=m0)
        chi = so.mf_susceptibility_matrix(A, T, m=m)
        j = 5
        hp = np.zeros(60)
        hp[j] = eps
        mp = so.mf_magnetisations(A, T, h=hp, m0=m, tol=1e-14)
        mm = so.mf_magnetisations(A, T, h=-hp, m0=m, tol=1e-14)
        assert (mp - mm) / (2 * eps) == pytest.approx(chi[:, j], abs=1e-5)
    # high-T limit: chi -> beta * I
    T = 1e4
    assert so.mf_susceptibility_matrix(A, T) == pytest.approx(np.eye(60) / T, abs=1e-7)


def test_field_gain_uniform_on_ring_matches_exact_transfer_matrix():
    N, T, H = 400, 1.0, 40.0  # h = 0.1 per node
    ring = nx.cycle_graph(N)
    res = so.field_gain(ring, temperatures=(T,), H=H, strategies=("uniform",), sweeps=1500,
                        burn_in=200, init="up", n_seeds=6, seed=11)
    exact = ub.exact.ring(N, T, h=H / N)["magnetization"]
    g, e = res["gain"]["uniform"][0], res["gain_err"]["uniform"][0]
    # M0 -> 0 at h = 0 on the ring (no order in 1-D), so the gain is <m>(h)
    assert abs(res["M0"][0]) < 4 * res["M0_err"][0] + 0.02
    assert abs(g - exact) < 4 * math.hypot(e, res["M0_err"][0])


def test_flip_budget_zero_never_flips_large_uniform_always_does():
    G = nw.random_regular(n=200, k=4, seed=2)
    res = so.flip_budget(G, T=1.5, budgets=[0.0, 2000.0], k=5, strategies=("uniform", "low"),
                         sweeps=100, n_seeds=3, refine=2, seed=1)
    assert res["n_flipped"]["uniform"] == 3
    assert np.all(res["H_min"]["uniform"] <= 2000.0) and np.all(res["H_min"]["uniform"] > 0)
    assert not res["flipped"]["uniform"][0].any()
    # 5 low-degree nodes with 400 each cannot flip an ordered 4-regular graph
    assert res["n_flipped"]["low"] == 0


def test_polarisation_survival_limits():
    res = so.polarisation_survival(ratios=(0.05,), temperatures=(2.0, 10.0), block_size=100,
                                   k_mean=8.0, sweeps=100, n_seeds=4, seed=2)
    # far below the boundary every run stays polarised; above the graph's T_c none does
    assert res["frac"][0, 0] == 1.0 and res["frac"][0, 1] == 0.0
    assert res["P"][0, 0] > 0.9
    # the planted blocks: Q = k_in/(k_in + k_out) - 1/2 within sampling noise
    assert abs(res["Q_blocks"][0] - (1 / 1.05 - 0.5)) < 0.05


# ------------------------------------------------------------------ lifetimes of the polarised state

def test_two_block_sbm_is_the_graph_of_the_survival_scan():
    res = so.polarisation_survival(ratios=(0.05, 0.3), temperatures=(2.0,), block_size=60, k_mean=6.0,
                                   sweeps=5, n_seeds=2, seed=40)
    for i, r in enumerate((0.05, 0.3)):
        G, lab, k_in, k_out = so.two_block_sbm(r, block_size=60, k_mean=6.0, seed=40 + i)
        assert nw.modularity(G, lab) == pytest.approx(res["Q_blocks"][i], abs=1e-12)
        assert k_in + k_out == pytest.approx(6.0) and k_out == pytest.approx(r * k_in)
    with pytest.raises(ValueError, match="ratio"):
        so.two_block_sbm(1.0)


def test_lifetime_checkpoints_start_at_one_and_end_at_the_run_length():
    c = so.lifetime_checkpoints(3000, 32)
    assert c[0] == 1 and c[-1] == 3000 and np.all(np.diff(c) > 0)
    assert so.lifetime_checkpoints(5, 48).tolist() == [1, 2, 3, 4, 5]


def test_polarisation_lifetimes_limits():
    # disconnected blocks at T -> 0 never lose polarisation; far above T_c it is lost at once
    res = so.polarisation_lifetimes([0.0, 0.3], [[0.01], [30.0]], block_size=80, k_mean=6.0,
                                    max_sweeps=200, n_checkpoints=12, n_seeds=3, seed=5)
    assert np.all(np.isinf(res["tau"][0]))
    assert np.all(np.isfinite(res["tau"][1])) and np.all(res["tau"][1] <= 10)
    ma, mb = res["m_end"][0][0].mean(axis=0)
    assert ma > 0.9 and mb < -0.9
    # reproducible, and the survival fractions come from tau
    again = so.polarisation_lifetimes([0.3], [30.0], block_size=80, k_mean=6.0, max_sweeps=200,
                                      n_checkpoints=12, n_seeds=3, graph_seeds=[6], seed=5)
    assert np.array_equal(again["tau"][0], res["tau"][1])
    frac, err = so.survival_after(res, [0, 200])
    assert frac[0].tolist() == [[1.0], [1.0]] and frac[1].tolist() == [[1.0], [0.0]]
    assert err[1][1, 0] == pytest.approx(so.fraction_error(0, 3))
    with pytest.raises(ValueError, match="one temperature grid per ratio"):
        so.polarisation_lifetimes([0.1, 0.2], [[1.0]], max_sweeps=10)


def _fake_lifetimes(T, tau, cps=None):
    cps = np.arange(1, 10001) if cps is None else np.asarray(cps)
    return {"temperatures": [np.asarray(T, float)], "tau": [np.asarray(tau, float)],
            "checkpoints": cps, "max_sweeps": int(cps[-1])}


def test_lifetime_boundary_interpolates_exactly():
    inf = np.inf
    # survival after 100 sweeps: 1, 3/4, 1/4, 0 at T = 1, 2, 3, 4 -> half at T = 2.5
    tau = [[inf] * 4, [50, inf, inf, inf], [50, 50, 50, inf], [50] * 4]
    b = so.lifetime_boundary(_fake_lifetimes([1, 2, 3, 4], tau), [100, 40], n_boot=50, seed=1)
    assert b["T_half"][0, 0] == pytest.approx(2.5)
    assert np.isfinite(b["T_half_err"][0, 0]) and b["T_half_err"][0, 0] > 0
    # after 40 sweeps every run still lives: the boundary lies above the grid
    assert b["T_half"][0, 1] == np.inf
    lost = so.lifetime_boundary(_fake_lifetimes([1, 2], [[3, 4], [2, 2]]), [10], n_boot=10)
    assert lost["T_half"][0, 0] == -np.inf


def test_arrhenius_fit_recovers_the_barrier():
    rng = np.random.default_rng(3)
    T = np.array([0.3, 0.4, 0.5, 0.7, 1.0])
    B, ln0 = 1.5, 0.5
    tau = np.exp(ln0 + B / T[:, None] + 0.05 * rng.standard_normal((T.size, 8)))
    f = so.arrhenius_fit(_fake_lifetimes(T, tau, cps=np.geomspace(1, 1e5, 400)), 0)
    assert abs(f["B"] - B) < 4 * f["B_err"] and f["B_err"] < 0.1
    assert abs(f["ln_tau0"] - ln0) < 4 * f["ln_tau0_err"]
    # censored temperatures are left out; fewer than two usable -> nan
    tau[0, 0] = np.inf
    assert so.arrhenius_fit(_fake_lifetimes(T, tau, cps=np.geomspace(1, 1e5, 400)), 0)["T"].size == 4
    assert math.isnan(so.arrhenius_fit(_fake_lifetimes([1.0], [[5.0, 6.0]]), 0)["B"])


def test_surviving_alignment_uses_only_polarised_runs():
    # one (r, T) cell, three runs: two polarised (m_A, m_B) = (0.9, -0.7), (1, -1); one consensus
    ma = np.array([0.9, 1.0, 0.95])
    mb = np.array([-0.7, -1.0, 0.9])
    surv = {"P_all": ((ma - mb) / 2)[None, None, :], "M_all": ((ma + mb) / 2)[None, None, :]}
    mean, err, n = so.surviving_alignment(surv)
    assert n[0, 0] == 2
    assert mean[0, 0] == pytest.approx((0.8 + 1.0) / 2)
    assert err[0, 0] == pytest.approx(np.std([0.8, 1.0], ddof=1) / math.sqrt(2))


# ------------------------------------------------------------------ antagonism window and rate exponents

def test_antagonism_window_interpolates_both_branches():
    w = np.linspace(-1, 1, 5)                       # -1, -0.5, 0, 0.5, 1
    up = np.array([1.0, 1.0, 0.9, 0.1, 0.0])         # crosses 1/2 going up in w at w = 0.25
    down = np.array([1.0, 0.7, 0.3, 0.0, 0.0])       # crosses 1/2 coming down in w at w = -0.25
    loop = {"w": w, "P_all": np.stack([np.stack([up, up]), np.stack([down, down])])}
    win = so.antagonism_window(loop)
    assert win["w_lost"] == pytest.approx(0.25) and win["w_regained"] == pytest.approx(-0.25)
    assert win["half_width"] == pytest.approx(0.25) and win["n"] == 2


def test_antagonism_loop_reports_per_seed_branches():
    al = so.antagonism_loop(block_size=60, k_in=5.0, k_out=1.0, T=1.5, n_w=5, sweeps_per_step=10,
                            n_seeds=2, seed=3)
    assert al["P_all"].shape == (2, 2, 5)
    assert np.allclose(al["P_all"][0].mean(axis=0), al["P_up"])
    assert al["areas"].shape == (2,) and al["area"] == pytest.approx(al["areas"].mean())


def test_rate_exponent_is_exact_for_a_power_law():
    b, e = so.rate_exponent(2.0, 0.02, 2.0 * 4 ** -0.3, 0.01, 4.0)
    assert b == pytest.approx(0.3, abs=1e-12)
    assert e == pytest.approx(math.hypot(0.01, 0.01 / (2.0 * 4 ** -0.3)) / math.log(4))
    with pytest.raises(ValueError):
        so.rate_exponent(1.0, 0.1, -0.1, 0.1, 4.0)


# ------------------------------------------------------------------ T_c of growing BA graphs

def test_ba_tc_size_scan_is_separable_by_size_and_fits_ln_n():
    kw = dict(m=2, graph_seed=3, rel_temperatures=(0.4, 0.6, 0.8, 1.0), sweeps=60, burn_in=20,
              n_seeds=2, seed=9)
    both = so.ba_tc_size_scan(sizes=(60, 120), **kw)
    one = so.ba_tc_size_scan(sizes=(60,), **kw)
    # the entry of one size does not depend on the other sizes (the chapter's spot check)
    assert one["T_peaks"][0] == both["T_peaks"][0]
    # two sizes: the fit is the straight line through them
    dT = both["T_peak"][1] - both["T_peak"][0]
    assert both["slope"] == pytest.approx(dT / math.log(2), rel=1e-10)
    assert both["T_bethe"][0] == pytest.approx(ub.exact.bethe_tc(nw.barabasi_albert(n=60, m=2, seed=3)))
    # size_for_tc inverts the fit
    N, err = so.size_for_tc(both, both["T_peak"][1])
    assert N == pytest.approx(120, rel=1e-9) and err > 0


def test_claims_of_the_social_chapters_are_well_formed():
    import utacbook.claims as uc
    claims = so.echo_claims() + so.hysteresis_claims() + so.hub_claims()
    ids = [c.id for c in claims]
    assert len(set(ids)) == len(ids)
    prefixes = {"ising.echo.", "ising.hysteresis.", "ising.hubs."}
    assert all(any(i.startswith(p) for p in prefixes) for i in ids)
    for c in claims:
        assert isinstance(c, uc.Claim)
        if c.criterion is None:
            assert c.source == "essay" and c.needs
    # the essay's claims quote it word for word
    from pathlib import Path
    essay = Path("/work/shared/seeds/ising-enigma.md")
    if essay.exists():
        text = essay.read_text(encoding="utf-8").replace("**", "")
        for c in claims:
            if c.source == "essay":
                for part in c.text.split(" … "):
                    assert part in text, part


def test_essay_quotes_are_single_passages_and_revisions_are_disclosed():
    # a quote is one passage of one section (no splice across sections with " … ")
    for c in so.echo_claims() + so.hysteresis_claims() + so.hub_claims():
        if c.source == "essay":
            assert " … " not in c.text, c.id
    # claims revised after a first run say so in their note
    notes = {c.id: c.note for c in so.echo_claims() + so.hysteresis_claims()}
    for cid in ("ising.echo.activated", "ising.echo.tc_modularity", "ising.hysteresis.loops"):
        assert "after the first run" in notes[cid], cid


def test_plot_targeting_draws_a_tc_band_for_two_estimates():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    T = np.array([2.0, 5.0, 10.0])
    sim = {"temperatures": T,
           "gain": {st: np.array([1e-3, 2e-3, 3e-3]) for st in so.STRATEGIES},
           "gain_err": {st: np.full(3, 1e-4) for st in so.STRATEGIES}}
    mf = {"temperatures": T, "gain": sim["gain"], "gain_lin": sim["gain"], "T_c_mf": 8.0}
    fig = so.plot_targeting(sim, mf, T_c_sim=(8.6, 9.0))
    a1 = fig.axes[0]
    spans = [p for p in a1.patches if p.get_label().startswith("simulated")]
    assert len(spans) == 1
    span = spans[0]
    if hasattr(span, "get_width"):                    # Rectangle (matplotlib >= 3.9)
        x0, x1 = span.get_x(), span.get_x() + span.get_width()
    else:                                              # Polygon
        xs = [v[0] for v in span.get_xy()]
        x0, x1 = min(xs), max(xs)
    assert (x0, x1) == pytest.approx((8.6, 9.0))
    plt.close(fig)
    fig = so.plot_targeting(sim, mf, T_c_sim=9.0)           # one estimate: a dashed line
    assert any(ln.get_label().startswith("simulated") for ln in fig.axes[0].lines)
    plt.close(fig)
