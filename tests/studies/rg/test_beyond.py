"""Tests of utacbook.studies: finite size, update order, hysteresis, adaptive scans.

Statistical tolerances come from replica standard errors (4 s.e.m. unless
stated); every stochastic check has a fixed seed, so a pass or fail is
reproducible.  Lattices are small (8 to 64 sites a side) to keep the file fast.
"""

from __future__ import annotations

import numpy as np
import pytest

import utacbook as ub
from utacbook.stats import _curves as curves
from utacbook.studies.rg import beyond
from _identity import assert_identical as same

# --------------------------------------------------------------------------- loop area


def test_loop_area_of_constructed_paths():
    # up along sigma = 0 from h = 0 to 1, back along sigma = 1: the unit square
    h = np.array([0.0, 0.5, 1.0, 1.0, 0.5, 0.0])
    s = np.array([0.0, 0.0, 0.0, 1.0, 1.0, 1.0])
    assert curves.loop_area(h, s) == pytest.approx(1.0, abs=1e-15)
    # the same loop run the other way round has the opposite sign
    assert curves.loop_area(h[::-1], s[::-1]) == pytest.approx(-1.0, abs=1e-15)
    # a path that retraces itself encloses nothing
    up = np.linspace(-1, 1, 11)
    sig = 0.5 + 0.3 * np.tanh(3 * up)
    assert curves.loop_area(np.r_[up, up[::-1]], np.r_[sig, sig[::-1]]) == pytest.approx(0.0, abs=1e-15)
    # a regular n-gon of circumradius r: n/2 r^2 sin(2 pi / n), close to pi r^2
    n, r = 64, 0.3
    phi = 2 * np.pi * np.arange(n) / n
    area = curves.loop_area(0.2 + r * np.cos(phi), 0.5 + r * np.sin(phi))
    assert area == pytest.approx(0.5 * n * r ** 2 * np.sin(2 * np.pi / n), rel=1e-12)
    # leading axes (replicas) are kept: a stack of two scaled squares
    two = curves.loop_area(h, np.stack([s, 0.5 * s]))
    np.testing.assert_allclose(two, [1.0, 0.5], atol=1e-15)


def test_switching_fields_of_a_constructed_loop():
    u = np.linspace(-0.5, 0.5, 11)                 # spacing 0.1
    up = np.where(u < 0.25, 0.0, 1.0)              # jumps between u = 0.2 and 0.3
    down = np.where(u > -0.25, 1.0, 0.0)           # on the way down, between -0.2 and -0.3
    path = np.r_[u, u[::-1]]
    sig = np.r_[up, down[::-1]]
    h_up, h_dn = beyond.switching_fields(path, sig)
    assert h_up == pytest.approx(0.25)
    assert h_dn == pytest.approx(-0.25)
    flat = np.zeros_like(path)
    assert all(np.isnan(beyond.switching_fields(path, flat)))


# --------------------------------------------------------------------------- hysteresis


def test_loop_area_zero_without_coupling_and_positive_when_bistable():
    # J = 0: an update ignores the old state, so the up and the down leg sample the
    # same distribution at every field (up to the e^-20 chance that a site was not
    # updated at a field): the area is zero within its error.  J/T = 11: bistable.
    res = beyond.hysteresis_study([0.0, 0.88], 0.08, h_offsets=np.linspace(-0.3, 0.3, 25),
                              rates=(20,), lattice_size=32, n_replicas=6, seed=11)
    a0, e0 = res["area_mean"][0, 0], res["area_sem"][0, 0]
    assert e0 > 0
    assert abs(a0) < 4 * e0
    a11, e11 = res["area_mean"][1, 0], res["area_sem"][1, 0]
    assert a11 > 20 * e11
    assert a11 > 0.1          # a loop of order (spinodal width) x (jump of ~1)


def test_hysteresis_switches_before_mean_field_spinodal_and_depends_on_rate():
    # J/T = 11, slow sweep: nucleation on the lattice switches the state before the
    # mean-field spinodal; a faster sweep gives a larger loop
    res = beyond.hysteresis_study(0.88, 0.08, h_offsets=np.linspace(-0.25, 0.25, 26),
                              rates=(5, 100), lattice_size=32, n_replicas=4, seed=3)
    hw, hw_err = res["halfwidth_mean"][0], res["halfwidth_sem"][0]
    mf = res["mf_halfwidth"][0]
    assert mf == pytest.approx(0.1475, abs=1e-3)
    assert hw[1] + 4 * hw_err[1] < mf
    am, ae = res["area_mean"][0], res["area_sem"][0]
    assert am[0] - am[1] > 4 * np.hypot(ae[0], ae[1])


def test_mean_field_branches_match_theory():
    for J, T in ((0.88, 0.08), (0.48, 0.08), (0.24, 0.08)):
        br = beyond.mean_field_branches(J, T, -J / 2 - 0.2, -J / 2 + 0.2)
        assert br["bistable"] == (J / T > 1 / 0.2066)
        hs = np.linspace(-J / 2 - 0.19, -J / 2 + 0.19, 7)
        for name in ("lower", "upper"):
            hb, mb = br[name]
            assert np.all(np.diff(hb) > 0)
            inside = (hs >= hb[0]) & (hs <= hb[-1])
            ref = ub.mean_field_response(hs[inside], J, T, branch=name)
            np.testing.assert_allclose(np.interp(hs[inside], hb, mb), ref, atol=1e-4)


def test_midpoint_memory_separates_monostable_and_bistable():
    res = beyond.midpoint_memory([0.0, 0.88], 0.08, n_blocks=3, block_steps=50, lattice_size=32,
                             n_replicas=4, seed=5)
    gap, err = res["gap"], res["gap_err"]
    assert abs(gap[0]) < 4 * err[0]            # J = 0 forgets its start
    assert gap[1] > 20 * err[1]                # J/T = 11 keeps it
    assert res["mf_high"][1] - res["mf_low"][1] == pytest.approx(0.9857, abs=1e-3)


# --------------------------------------------------------------------------- update order


def test_update_orders_agree_without_coupling():
    # J = 0: every site is an independent draw sigmoid(h/T + xi) once it has been
    # updated, whatever the order, so sigma-bar has the same distribution
    res = beyond.update_order_comparison(0.0, 0.19, lattice_size=16, n_steps=20, n_replicas=12,
                                     n_points=13, seed=7)
    d, e = res["diff"][0], res["diff_err"][0]
    assert np.all(e > 0)
    pooled = d.sum() / np.sqrt(np.sum(e ** 2))
    assert abs(pooled) < 4
    assert np.max(np.abs(res["z"][0])) < 5
    assert abs(res["beta_diff"][0]) < 4 * res["beta_diff_err"][0]
    # and both equal the exact single-site response within 4 s.e.m.
    exact = ub.single_site_response(res["R"], 0.19)
    for order in ("sequential", "checkerboard"):
        m, sem = res["sigma_mean"][order][0], res["sigma_sem"][order][0]
        assert np.all(np.abs(m - exact) < 4 * sem + 1e-12)


# --------------------------------------------------------------------------- finite size


def test_finite_size_beta_is_exact_at_J0_and_spread_falls_as_one_over_L():
    res = beyond.finite_size_study(0.0, 0.19, sizes=(8, 64), n_replicas=16, n_points=9,
                               n_steps=10, seed=3)
    # J = 0 is solved exactly by the single-site response, which is what the
    # mean-field fit reproduces
    exact = ub.extract_emergent_beta(res["R"], ub.single_site_response(res["R"], 0.19))[0]
    assert res["beta_mf_fit"] == pytest.approx(exact, rel=1e-9)
    for m, sem in zip(res["beta_mean"], res["beta_sem"]):
        assert abs(m - exact) < 4 * sem
    # a self-averaging mean: std ~ 1/L
    s, e = res["std_slope"], res["std_slope_err"]
    assert abs(s + 1) < 4 * e
    assert s < -0.5
    assert res["p_const"] > 1e-3


def test_finite_size_seed_reproduces_and_sizes_are_independent():
    kw = dict(n_points=7, n_steps=5, n_replicas=2)
    a = beyond.finite_size_study(0.8, 0.19, sizes=(8, 16), seed=42, **kw)
    b = beyond.finite_size_study(0.8, 0.19, sizes=(8, 16), seed=42, **kw)
    c = beyond.finite_size_study(0.8, 0.19, sizes=(16,), seed=42, **kw)
    d = beyond.finite_size_study(0.8, 0.19, sizes=(8, 16), seed=43, **kw)
    for x, y in zip(a["betas"], b["betas"]):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(a["betas"][1], c["betas"][0])
    assert not np.array_equal(a["betas"][0], d["betas"][0])
    assert a["seed"] == 42


def test_stored_finite_size_round_trips_and_the_spot_check_reproduces_it(tmp_path):
    import utacbook.stored as stored
    kw = dict(J=0.8, T=0.19, sizes=[8, 16, 32], n_replicas=[4, 3, 2], n_points=7, n_steps=5, seed=7)
    res = stored.compute("fs_small", "utacbook.studies.rg.beyond:finite_size_study", data_dir=tmp_path, **kw)
    direct = beyond.finite_size_study(**kw)
    back = beyond.stored_finite_size(stored.load("fs_small", data_dir=tmp_path))
    # the arrays come back as arrays, equal to the direct run
    for key in ("sizes", "n_replicas", "beta_mean", "beta_sem_pooled", "sigma_mean"):
        assert isinstance(back[key], np.ndarray)
        np.testing.assert_allclose(back[key], direct[key], rtol=1e-12)
    for x, y in zip(back["betas"], direct["betas"]):
        np.testing.assert_array_equal(x, y)
    assert back["std_slope"] == pytest.approx(direct["std_slope"], rel=1e-12)
    # a subset of sizes, rerun with the stored arguments, reproduces the stored betas exactly
    ck = beyond.spot_check_finite_size(res, sizes=(8, 32))
    assert ck["identical"] and ck["max_abs_diff"] == 0.0 and ck["n_replicas"] == [4, 2]
    # ... and a changed stored value is caught
    altered = stored.StoredResult(res.name, dict(res.values), res.provenance)
    altered.values["betas"] = [list(b) for b in res["betas"]]
    altered.values["betas"][2][0] += 1e-9
    assert not beyond.spot_check_finite_size(altered, sizes=(32,))["identical"]
    with pytest.raises(ValueError, match="not in the stored study"):
        beyond.spot_check_finite_size(res, sizes=(64,))


def test_plot_finite_size_uses_the_pooled_error():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    r = beyond.finite_size_study(0.8, 0.19, sizes=(8, 16, 32), n_replicas=(4, 3, 3), n_points=7,
                             n_steps=5, seed=3)
    fig, (ax0, _) = beyond.plot_finite_size_study([r], ["LLM"])
    segs = ax0.collections[0].get_segments()           # the error bars, one per size
    half = np.array([abs(s[1][1] - s[0][1]) / 2 for s in segs])
    np.testing.assert_allclose(half, r["beta_sem_pooled"] / r["beta_mf_fit"], rtol=1e-9)
    plt.close(fig)


def test_other_studies_reproduce_with_a_seed():
    kw = dict(lattice_size=8, n_replicas=2, seed=9)
    u1 = beyond.update_order_comparison(0.8, 0.19, n_points=5, n_steps=5, **kw)
    u2 = beyond.update_order_comparison(0.8, 0.19, n_points=5, n_steps=5, **kw)
    np.testing.assert_array_equal(u1["diff"], u2["diff"])
    h1 = beyond.hysteresis_study(0.88, 0.08, h_offsets=[-0.1, 0.0, 0.1], rates=(3,), **kw)
    h2 = beyond.hysteresis_study(0.88, 0.08, h_offsets=[-0.1, 0.0, 0.1], rates=(3,), **kw)
    np.testing.assert_array_equal(h1["sigma"], h2["sigma"])
    c1 = beyond.compare_adaptive(0.8, 0.19, n_points=11, n_initial=5, n_steps=5, **kw)
    c2 = beyond.compare_adaptive(0.8, 0.19, n_points=11, n_initial=5, n_steps=5, **kw)
    np.testing.assert_array_equal(c1["adaptive"]["R"], c2["adaptive"]["R"])
    np.testing.assert_array_equal(c1["adaptive"]["sigma"], c2["adaptive"]["sigma"])


# --------------------------------------------------------------------------- adaptive


def test_points_in_transition_counts_the_fitted_rise():
    R = np.linspace(-1, 1, 21)                     # spacing 0.1
    beta = np.log(9.0) / 0.25                      # half 10-90 % width 0.25
    assert beyond.points_in_transition(R, beta, 0.0) == 5   # |R| < 0.25: -0.2 ... 0.2
    assert beyond.points_in_transition(R, -beta, 0.0) == 5
    assert beyond.points_in_transition(R, np.nan, 0.0) == 0


def test_adaptive_scan_puts_more_points_into_the_transition():
    res = beyond.compare_adaptive(0.8, 0.19, lattice_size=32, n_steps=50, n_replicas=3, seed=4)
    uni, ada = res["uniform"], res["adaptive"]
    assert ada["min_spacing"] < uni["min_spacing"]
    assert np.all(ada["n_in_transition"] > uni["n_in_transition"])
    assert ada["R"].shape == (3, 25)
    assert np.all(np.diff(ada["R"], axis=1) > 0)


# --------------------------------------------------------------------------- plots


def test_plot_hysteresis_draws_every_leg_and_both_branches():
    import matplotlib.pyplot as plt
    res = beyond.hysteresis_study([0.24, 0.88], 0.08, h_offsets=np.linspace(-0.2, 0.2, 5),
                              rates=(2, 4), lattice_size=8, n_replicas=2, seed=1)
    fig, axes = beyond.plot_hysteresis(res)
    assert len(axes) == 2
    for ax, n_spinodals in zip(axes, (0, 2)):   # J/T = 3 is monostable, 11 bistable
        lines = ax.get_lines()
        curves = [ln for ln in lines if len(ln.get_xdata()) > 2]
        # 2 mean-field branches + (up, down) per rate; the rest are spinodal markers
        assert len(curves) == 2 + 2 * 2
        assert len(lines) - len(curves) == n_spinodals
    plt.close(fig)


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize("call, name", [
    (lambda: beyond.finite_size_study(0.8, 0.19, sizes=(64, 32)), "sizes"),
    (lambda: beyond.finite_size_study(0.8, 0.19, sizes=(2, 8)), "sizes"),
    (lambda: beyond.finite_size_study(0.8, 0.19, sizes=(8, 16), n_replicas=1), "n_replicas"),
    (lambda: beyond.finite_size_study(0.8, 0.19, sizes=(8, 16), n_replicas=(3, 3, 3)),
     "n_replicas"),
    (lambda: beyond.finite_size_study(0.8, 0.0), "T"),
    (lambda: beyond.finite_size_study(0.8, 0.19, R_min=1.0, R_max=-1.0), "R_min"),
    (lambda: beyond.finite_size_study(0.8, 0.19, update="parallel"), "update"),
    (lambda: beyond.update_order_comparison(0.8, 0.19, lattice_size=15), "lattice_size"),
    (lambda: beyond.update_order_comparison([0.8, 0.1], [0.19, -0.1]), "T"),
    (lambda: beyond.update_order_comparison(0.8, 0.19, n_replicas=1), "n_replicas"),
    (lambda: beyond.hysteresis_study(0.88, 0.08, rates=(0,)), "rates"),
    (lambda: beyond.hysteresis_study(0.88, 0.08, h_offsets=[0.1, 0.0, -0.1]), "h_offsets"),
    (lambda: beyond.hysteresis_study(0.88, 0.08, h_offsets=[0.0, np.nan]), "h_offsets"),
    (lambda: beyond.midpoint_memory(0.88, 0.08, prepare_offset=0.0), "prepare_offset"),
    (lambda: beyond.compare_adaptive(0.8, 0.19, n_initial=30), "n_initial"),
    (lambda: beyond.compare_adaptive(0.8, 0.19, n_points=2), "n_points"),
    (lambda: curves.loop_area([0.0, 1.0, 2.0], [0.0, 1.0]), "sigma"),
    (lambda: curves.loop_area([0.0, 1.0], [0.0, 1.0]), "h_path"),
    (lambda: beyond.switching_fields([0.0, 1.0, 2.0, 1.0, 0.0], [0.0] * 5), "h_path"),
    (lambda: beyond.mean_field_branches(0.8, 0.19, 1.0, 0.0), "h_min"),
])
def test_bad_input_raises_value_error_naming_the_parameter(call, name):
    with pytest.raises(ValueError, match=name):
        call()


# --------------------------------------------------------------------------- claims


def test_claims_of_the_chapter_and_their_judgement():
    cs = beyond.claims(K_c=5.54)
    ids = [c.id for c in cs]
    assert len(set(ids)) == len(ids) and all(i.startswith("rg.beyond.") for i in ids)
    # the guide's "Larger lattices (N=256, 512)": both systems are judged on the same sizes
    fs = {c.id: c for c in cs}["rg.beyond.convergence"].scope
    assert fs.count("L = 32–512") == 2
    # small runs of every study, judged: the verdicts are computed from the numbers
    llm = beyond.finite_size_study(0.8, 0.19, sizes=(8, 16, 32), n_replicas=(6, 4, 3), n_steps=20, seed=1)
    qv = beyond.finite_size_study(0.15, 0.11, sizes=(8, 16, 32), n_replicas=(6, 4, 3), n_steps=20, seed=1)
    order = beyond.update_order_comparison([0.15, 0.8], [0.11, 0.19], lattice_size=8, n_steps=10,
                                       n_replicas=4, n_points=9, seed=2)
    hyst = beyond.hysteresis_study(np.array([3.0, 11.0]) * 0.08, 0.08, rates=(2, 10),
                               h_offsets=np.linspace(-0.2, 0.2, 9), lattice_size=16,
                               n_replicas=3, seed=3)
    memory = beyond.midpoint_memory(np.array([3.0, 11.0]) * 0.08, 0.08, n_blocks=2, block_steps=20,
                                lattice_size=16, n_replicas=3, seed=4)
    adaptive = {name: beyond.compare_adaptive(J, T, n_points=13, n_initial=5, batch=4, n_replicas=3,
                                          lattice_size=16, n_steps=20, seed=5)
                for name, J, T in (("Urban Heat", 0.88, 0.08), ("LLM", 0.8, 0.19))}
    js = beyond.judge_claims(llm=llm, qv=qv, order=order, order_names=["QV", "LLM"], hyst=hyst,
                         memory=memory, adaptive=adaptive,
                         claimed_beta={"LLM": 3.25, "Quantum Vacuum": 1.2, "Urban Heat": 9.5},
                         K_c=5.54)
    J = {j.claim.id: j for j in js}
    assert [j.claim.id for j in js] == ids
    # memory: the deep-ordered coupling remembers (gap near 1), the disordered one not
    mem = J["rg.beyond.memory"].results
    assert not mem[0].met and mem[1].met
    # the claimed betas are far below what the model gives at any size
    assert J["rg.beyond.claimed_beta"].verdict == ub.claims.NOT_REPRODUCED
    # the update-order p-values are the study's own
    ps = [r.measurement.value for r in J["rg.beyond.update_order"].results]
    np.testing.assert_allclose(ps[0::2], order["p_min_bonferroni"])
    np.testing.assert_allclose(ps[1::2], order["p_beta"])
    # only the mean-field-bistable coupling enters the switching and rate claims
    assert len(J["rg.beyond.early_switch"].results) == 1


# --------------------------------------------------------------------------- stored runs of the chapter


def test_studies_on_stored_responses_are_the_direct_calls_and_spot_checks_can_fail(tmp_path):
    """Each study computed on its stored *_responses equals the direct call; a changed response is caught."""
    import utacbook.stored as st

    def stored(name, fn, **kw):
        st.compute(name, f"utacbook.studies.rg.beyond:{fn}", data_dir=tmp_path, **kw)
        return st.load(name, data_dir=tmp_path)

    J, T = [0.15, 0.8, 0.88], [0.11, 0.19, 0.08]
    kw = dict(lattice_size=8, n_replicas=3, n_steps=5, n_points=7, seed=9)
    rec = stored("uo", "update_order_responses", J=J, T=T, **kw)
    same(beyond.update_order_comparison(J, T, sigma=rec["sigma"], **kw), beyond.update_order_comparison(J, T, **kw))
    chk = beyond.spot_check_update_order(rec)
    assert chk["identical"] and chk["n_runs"] == 2 * 7
    HJ = [0.24, 0.88]
    hk = dict(rates=[3, 7], lattice_size=8, n_replicas=3, seed=5)
    rec = stored("hy", "hysteresis_responses", J=HJ, T=0.08, **hk)
    same(beyond.hysteresis_study(HJ, 0.08, sigma=rec["sigma"], **hk), beyond.hysteresis_study(HJ, 0.08, **hk))
    assert beyond.spot_check_hysteresis(rec, coupling=1, rate=1)["identical"]
    mk = dict(prepare_offset=0.2, n_blocks=3, block_steps=7, lattice_size=8, n_replicas=3, seed=6)
    rec = stored("me", "midpoint_memory_responses", J=HJ, T=0.08, **mk)
    same(beyond.midpoint_memory(HJ, 0.08, sigma=rec["sigma"], **mk), beyond.midpoint_memory(HJ, 0.08, **mk))
    assert beyond.spot_check_memory(rec, coupling=1, start=1)["identical"]
    ak = dict(n_replicas=3, lattice_size=8, n_steps=5, n_points=13, n_initial=5, seed=7)
    rec = stored("ad", "compare_adaptive_responses", J=0.88, T=0.08, **ak)
    same(beyond.compare_adaptive(0.88, 0.08, sigma=rec["sigma"], **ak), beyond.compare_adaptive(0.88, 0.08, **ak))
    assert beyond.spot_check_adaptive(rec, n_replicas=2)["identical"]
    fk = dict(sizes=[8, 16], n_replicas=[4, 3], n_points=7, n_steps=5, seed=11)
    rec = stored("fs", "finite_size_responses", J=0.8, T=0.19, **fk)
    same(beyond.finite_size_study(0.8, 0.19, sigma=rec["sigma"], **fk), beyond.finite_size_study(0.8, 0.19, **fk))
    assert beyond.spot_check_finite_size_responses(rec)["identical"]
    # a changed stored response is caught
    rec.values["sigma"][1][0][0] += 1e-12
    assert not beyond.spot_check_finite_size_responses(rec)["identical"]
    with pytest.raises(ValueError, match="shape"):
        beyond.hysteresis_study(HJ, 0.08, sigma=np.zeros((2, 2, 3, 5)), **hk)


def test_book_runs_are_stored_with_the_chapter_parameters_and_reproduce():
    """book/data/rg_beyond_*.json hold the chapter's calls (seed 2025); one cheap run of each re-runs bit for bit."""
    import utacbook.stored as st
    HJ = list(np.array([3.0, 6.0, 11.0]) * 0.08)
    expected = {
        "rg_beyond_update_order": dict(J=[0.15, 0.8, 0.88], T=[0.11, 0.19, 0.08], n_replicas=8, seed=2025),
        "rg_beyond_hysteresis": dict(J=HJ, T=0.08, rates=[10, 100], n_replicas=4, seed=2025),
        "rg_beyond_memory": dict(J=HJ, T=0.08, prepare_offset=0.2, n_blocks=10, block_steps=100, n_replicas=4,
                                 seed=2025),
        "rg_beyond_adaptive_urban_heat": dict(J=0.88, T=0.08, n_replicas=5, seed=2025),
        "rg_beyond_adaptive_llm": dict(J=0.8, T=0.19, n_replicas=5, seed=2025),
        "rg_beyond_llm_size_check": dict(J=0.8, T=0.19, sizes=[64], n_replicas=[32], seed=2025),
    }
    recs = {name: st.load(name) for name in expected}
    for name, params in expected.items():
        assert recs[name].provenance["params"] == params, name
    # the 32-replica check at L = 64 starts with the 8 replicas of the stored size study
    main = beyond.stored_finite_size(st.load("rg_beyond_llm_sizes"))
    again = beyond.finite_size_study(0.8, 0.19, sizes=[64], n_replicas=32, seed=2025,
                                     sigma=recs["rg_beyond_llm_size_check"]["sigma"])
    np.testing.assert_array_equal(again["betas"][0][:8], main["betas"][1])
    assert beyond.spot_check_hysteresis(recs["rg_beyond_hysteresis"], coupling=0, rate=0)["identical"]
    assert beyond.spot_check_memory(recs["rg_beyond_memory"], coupling=0, start=0)["identical"]
