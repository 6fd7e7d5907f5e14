"""Tests of utacbook.engine_checks: small runs against exact results (4 sigma), structure, input checks."""

import numpy as np
import pytest

from utacbook.theory import _exact as exact
from utacbook.stats import _significance as signif
from utacbook.studies.ising import engine as ec
from _identity import assert_identical


def test_enumeration_small_run_agrees_with_exact():
    rows = ec.enumeration_table(temperatures=(2.0, 3.0), sweeps=5_000, burn_in=200, seed=11)
    assert len(rows) == 3 * 2 * 4
    for r in rows:
        ref = exact.enumerate_lattice(4, r["T"])[ec.QUANTITIES[r["quantity"]][1]]
        assert r["exact"] == pytest.approx(ref)
        assert r["error"] > 0
        assert abs(r["value"] - ref) < 4 * r["error"], r


def test_zero_field_trap_states_and_relaxation():
    states = ec.trap_states(4)
    for s in states.values():
        assert np.all(ec.local_fields(s) == 0)
        # the old rule maps the state onto its mirror image: a period-2 cycle
        s1 = ec.naive_checkerboard_sweep(s, 2.0)
        assert np.array_equal(s1, -s)
    rows = ec.zero_field_trap(sweeps=5_000, burn_in=200, seed=5)
    ref = exact.enumerate_lattice(4, 2.0)["energy"]
    for r in rows:
        assert r["naive_cycle"] and r["e_initial"] == 0.0
        assert abs(r["energy"] - ref) < 4 * r["energy_err"]
        assert r["exact"] == pytest.approx(ref)


def test_wolff_run_length_is_in_sweep_equivalents():
    r = ec.run_lattice(8, 2.5, algorithm="wolff", sweeps=1_000, burn_in=100, seed=3)
    flipped = r.cluster_sizes.sum() / r.N
    assert 0.8 * 1_000 < flipped < 1.25 * 1_000


def test_kaufman_scan_energy_and_specific_heat():
    scan = ec.kaufman_scan(sizes=(8,), temperatures=(2.0, ec.TC, 2.5), sweeps=4_000,
                           burn_in=200, seed=17)
    d = scan[0]
    ex = exact.kaufman(8, d["T"])
    np.testing.assert_allclose(d["exact_energy"], ex["energy"])
    assert np.all(np.abs(d["energy"] - ex["energy"]) < 4 * d["energy_err"])
    assert np.all(np.abs(d["C"] - ex["specific_heat"]) < 4 * d["C_err"])
    assert list(d["algorithm"]) == ["metropolis", "wolff", "wolff"]
    table = ec.kaufman_table(scan, sizes=(8,), temperatures=(2.0, 2.5))
    assert table.count("\n") == 3
    with pytest.raises(ValueError, match="temperatures"):
        ec.kaufman_table(scan, sizes=(8,), temperatures=(2.2,))


def test_onsager_yang_low_temperature():
    scan = ec.onsager_yang_scan(L=16, temperatures=(1.8, 2.0), sweeps=2_000, burn_in=200, seed=2)
    assert np.all(np.abs(scan["z_energy"]) < 4)
    # below T_c the finite-size correction to Yang's m0 is exponentially small
    assert np.all(np.abs(scan["abs_m"] - scan["yang"]) < 4 * scan["abs_m_err"])


def test_curie_weiss_and_ring_against_exact():
    cw = ec.curie_weiss_scan(sizes=(32,), temperatures=(0.8, 1.5), sweeps=2_000, burn_in=200,
                             seed=7)
    d = cw[0]
    ex = exact.curie_weiss(32, d["T"])
    np.testing.assert_allclose(d["exact_abs_m"], ex["abs_magnetization"])
    for key, err, ref in (("energy", "energy_err", ex["energy"]),
                          ("abs_m", "abs_m_err", ex["abs_magnetization"]),
                          ("U", "U_err", ex["binder"])):
        assert np.all(np.abs(d[key] - ref) < 4 * d[err]), key
    rows = ec.ring_check(N=16, temperatures=(1.0,), fields=(0.0, 0.5), sweeps=4_000,
                         burn_in=200, seed=8)
    assert len(rows) == 6
    for r in rows:
        assert abs(r["value"] - r["exact"]) < 4 * r["error"], r


def test_binder_crossing_structure_and_physics():
    res = ec.lattice_binder_crossing(sizes=(4, 8), temperatures=(2.1, 2.2, ec.TC, 2.35, 2.45),
                             sweeps=2_000, burn_in=100, degree=1, n_boot=200, seed=9)
    assert res["U"].shape == (2, 5) and np.all(res["U_err"] > 0)
    # U of a larger lattice is larger below T_c and smaller well above it
    assert res["U"][1, 0] > res["U"][0, 0] and res["U"][1, -1] < res["U"][0, -1]
    (c,) = res["crossings"]
    assert c["pair"] == (4, 8) and np.isfinite(c["err"])
    # small lattices: the crossing lies within 0.1 of T_c (finite-size shift), at U near U*
    assert abs(c["T_cross"] - ec.TC) < 0.1
    assert 0.55 < c["U_cross"] < 0.66
    assert "U*" in ec.format_binder_at_tc(res)


def test_autocorrelation_critical_slowing_down():
    res = ec.autocorrelation_times(sizes=(8, 16), sweeps=20_000, burn_in=200, seed=4)
    met, wolff = res["tau_abs_m"]
    # Metropolis slows down with L (tau ~ L^2: about 6 -> 24 sweeps), by more than 3 sigma;
    # Wolff stays near one sweep
    assert met[1] - met[0] > 3 * np.hypot(*res["tau_err"][0])
    assert np.all(wolff < 3)
    assert res["z_fit"][0] > 1.0 and res["z_fit"][1] < 1.0
    # the slope is a weighted fit with an error; with two sizes it is the slope between them
    assert np.all(res["z_fit_err"] > 0)
    slope = np.log(met[1] / met[0]) / np.log(2.0)
    assert res["z_fit"][0] == pytest.approx(slope, rel=1e-9)
    assert "±" in ec.format_autocorrelation(res)


def test_algorithm_comparison_tau_errors_follow_sokal():
    comp = ec.algorithm_comparison(L=8, sweeps=4000, burn_in=200, seed=3)
    for r in comp["rows"]:
        f = r["sweeps_per_step"]
        for name in ("tau_energy", "tau_abs_m"):
            ts = r[name + "_steps"]
            expected = ts * np.sqrt(2 * (2 * 5 * ts + 1) / r["steps"]) * f
            assert r[name + "_err"] == pytest.approx(expected, rel=1e-12)
            assert 0 < r[name + "_err"] < r[name]
    assert comp["rows"][0]["tau_abs_m_err"] > 0 and "±" in ec.format_comparison(comp)


def test_sidak_bound_and_z_stats():
    from scipy.stats import norm
    # one comparison: the usual two-sided bound; n comparisons: all within k with prob 1 - alpha
    assert signif.sidak_k(1, 0.05) == pytest.approx(1.959964, abs=1e-5)
    for n in (3, 36):
        k = signif.sidak_k(n, 0.01)
        assert (1 - 2 * norm.sf(k)) ** n == pytest.approx(0.99, abs=1e-12)
    st = signif.z_stats([1.0, -2.0, float("nan")])
    assert st["n"] == 2 and st["chi2"] == pytest.approx(5.0) and st["max_abs_z"] == 2.0
    assert st["p_chi2"] == pytest.approx(np.exp(-2.5))                  # chi2 sf, 2 dof
    assert st["p_max"] == pytest.approx(1 - (1 - 2 * norm.sf(2.0)) ** 2)
    # the largest |z| test rejects exactly at the Sidak bound
    k = signif.sidak_k(36, signif.ALPHA_TEST)
    assert signif.z_stats([k] + [0.0] * 35)["p_max"] == pytest.approx(signif.ALPHA_TEST)
    with pytest.raises(ValueError):
        signif.z_stats([float("nan")])


def test_consistency_stats_weighted_mean():
    st = signif.consistency_stats([1.0, 3.0], [1.0, 1.0])
    assert st["mean"] == pytest.approx(2.0) and st["chi2"] == pytest.approx(2.0) and st["dof"] == 1
    with pytest.raises(ValueError):
        signif.consistency_stats([1.0, 2.0], [1.0, 0.0])


def test_claims_are_ours_and_judged_from_deviations():
    import utacbook.claims as uc
    cl = ec.claims()
    ids = [c.id for c in cl]
    assert len(set(ids)) == len(ids) and all(i.startswith("ising.engine.") for i in ids)
    assert all(c.source == "ours" for c in cl)
    # a z-check passes for standard normal deviations and fails for one 6-sigma outlier
    c = next(c for c in cl if c.id == "ising.engine.ring")
    assert c.judge(signif.z_measurements([0.3, -1.1, 0.8, 1.5])).verdict == uc.HELD
    j = c.judge(signif.z_measurements([1.0, -1.0] * 20 + [5.0]))           # chi2 = 65 for 41
    assert j.verdict == uc.CAVEATS and "fails at largest |z|" in j.caveat
    assert c.judge(signif.z_measurements([5.0] * 10)).verdict == uc.NOT_REPRODUCED


def test_claim_scopes_name_the_default_seeds():
    import inspect
    scope = {c.id.split(".")[-1]: c.scope for c in ec.claims()}
    for name, fn in (("enumeration", ec.enumeration_table), ("trap-escape", ec.zero_field_trap),
                     ("energy-l64", ec.onsager_yang_scan), ("kaufman-heat", ec.kaufman_scan),
                     ("binder", ec.lattice_binder_crossing), ("algorithms-exact", ec.algorithm_comparison),
                     ("curie-weiss", ec.curie_weiss_scan), ("ring", ec.ring_check)):
        seed = inspect.signature(fn).parameters["seed"].default
        assert f"seed {seed}" in scope[name], name
    default = {name: inspect.signature(fn).parameters[p].default
               for name, fn, p in (("shift", ec.binder_shift_result, "seed"),
                                   ("yang", ec.check_deviations, "yang_T_max"))}
    assert f"seed {default['shift']}" in scope["binder"]
    assert f"T ≤ {default['yang']}" in scope["yang"]


def test_binder_measurements_against_prediction():
    binder = {"tc": ec.TC, "crossings": [{"pair": (16, 32), "T_cross": ec.TC - 0.003, "err": 0.003}]}
    pred = [{"pair": [16, 32], "delta": -0.002, "delta_err": 0.004}]
    (m,) = ec.binder_measurements(binder, pred)
    assert m.value == pytest.approx(-0.001) and m.err == pytest.approx(0.005)
    assert m.condition == "L = 16/32"


def test_judge_checks_on_small_runs():
    import utacbook.claims as uc
    enum = ec.enumeration_table(temperatures=(2.0,), sweeps=3_000, burn_in=200, seed=11)
    trap = ec.zero_field_trap(sweeps=3_000, burn_in=200, seed=5)
    ring = ec.ring_check(N=16, temperatures=(1.0,), fields=(0.0, 0.5), sweeps=3_000,
                         burn_in=200, seed=8)
    cl = [c for c in ec.claims() if c.id.split(".")[-1] in ("enumeration", "trap-cycle",
                                                             "trap-escape", "ring")]
    js = ec.judge_checks(cl, enumeration=enum, trap=trap, onsager=None, kaufman=None,
                         binder=None, prediction=None, comparison=None, curie_weiss=None,
                         ring=ring)
    assert [j.claim.id for j in js] == [c.id for c in cl]
    assert all(j.verdict in uc.VERDICTS for j in js)
    assert next(j for j in js if j.claim.id.endswith("trap-cycle")).verdict == uc.HELD


def test_stored_zero_cost_result_and_spot_check():
    res = ec.zero_cost_tau_result(sizes=(4, 8), accept=(1.0, 0.5), n_seeds=2, sweeps=2_000,
                                  burn_in=100, seed=3)
    assert res["L"] == [4, 4, 8, 8] and res["a0"] == [1.0, 0.5, 1.0, 0.5]
    rows = ec.zero_cost_tau(sizes=(4, 8), accept=(1.0, 0.5), n_seeds=2, sweeps=2_000,
                            burn_in=100, seed=3)
    assert res["taus"] == [list(r["taus"]) for r in rows]
    spot = ec.zero_cost_tau_spot_check(res, L=8, replica=1)
    assert spot["identical"] and spot["a0"] == [1.0, 0.5]
    assert ec.zero_cost_tau_rows(res)[3]["tau"] == res["tau"][3]
    with pytest.raises(ValueError, match="L"):
        ec.zero_cost_tau_spot_check(res, L=16)


def test_stored_binder_result_and_spot_check():
    import json
    res = ec.binder_shift_result(sizes=(4, 8), temperatures=(2.1, 2.2, ec.TC, 2.35, 2.45),
                                 sweeps=500, burn_in=50, degree=1, n_boot=100, seed=9)
    from utacbook.stored import _jsonable
    res = json.loads(json.dumps(_jsonable(res)))            # as stored and loaded
    assert len(res["prediction"]) == 1 and res["prediction"][0]["pair"] == [4, 8]
    spot = ec.binder_spot_check(res, size_index=1)
    assert spot["identical"] and spot["L"] == 8 and spot["T"] == pytest.approx(ec.TC)


def test_plots_return_axes():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    scan = ec.kaufman_scan(sizes=(4,), temperatures=(2.0, 2.5), sweeps=200, burn_in=20, seed=1)
    ax = ec.plot_kaufman(scan)
    assert len(ax.lines) >= 2
    plt.close("all")


@pytest.mark.parametrize("fn, kwargs, exc, name", [
    (ec.enumeration_table, {"L": 6}, ValueError, "L"),
    (ec.enumeration_table, {"L": 3}, ValueError, "L"),
    (ec.enumeration_table, {"algorithms": ("metropolis_msc",)}, ValueError, "algorithms"),
    (ec.enumeration_table, {"temperatures": (1.0, -1.0)}, ValueError, "temperatures"),
    (ec.enumeration_table, {"seed": -1}, ValueError, "seed"),
    (ec.kaufman_scan, {"sizes": (8, 9)}, ValueError, "sizes"),
    (ec.kaufman_scan, {"sizes": "8"}, TypeError, "sizes"),
    (ec.lattice_binder_crossing, {"sizes": (8,)}, ValueError, "sizes"),
    (ec.lattice_binder_crossing, {"temperatures": (2.3, 2.2, 2.25, 2.4)}, ValueError, "temperatures"),
    (ec.lattice_binder_crossing, {"degree": 4}, ValueError, "degree"),
    (ec.run_lattice, {"L": 8, "T": 2.0, "sweeps": 10}, ValueError, "sweeps"),
    (ec.curie_weiss_scan, {"algorithm": "wolff"}, ValueError, "algorithm"),
    (ec.ring_check, {"N": 2}, ValueError, "N"),
    (ec.trap_states, {"L": 6}, ValueError, "L"),
    (ec.zero_field_trap, {"T": 0.0}, ValueError, "T"),
])
def test_bad_input_raises(fn, kwargs, exc, name):
    with pytest.raises(exc, match=name):
        fn(**kwargs)


def test_zero_cost_tau_half_acceptance_is_slower():
    """a(0) = 1/2 roughly doubles tau_int(|m|) at T_c compared with a(0) = 1 (L = 8);
    the gap must exceed 4 combined standard errors over the seeds."""
    rows = ec.zero_cost_tau(sizes=(8,), accept=(1.0, 0.5), n_seeds=4, sweeps=20_000,
                            burn_in=1_000, seed=3)
    fast, slow = rows
    assert fast["accept"] == 1.0 and slow["accept"] == 0.5
    gap = slow["tau"] - fast["tau"]
    assert gap > 4 * np.hypot(fast["tau_err"], slow["tau_err"]), rows
    assert "63/64" in ec.format_zero_cost_tau(ec.zero_cost_tau(sizes=(4,), accept=(63 / 64,),
                                                               n_seeds=2, sweeps=1000))


@pytest.mark.parametrize("kwargs", [{"accept": (0.0,)}, {"accept": (1.2,)}, {"n_seeds": 1},
                                    {"sizes": (5,)}])
def test_zero_cost_tau_bad_input(kwargs):
    with pytest.raises((ValueError, TypeError)):
        ec.zero_cost_tau(**kwargs)


def test_crossing_shift_prediction_on_straight_lines():
    """Two straight lines U_a = 0.62 - 0.5 x and U_b = 0.61 - 1.5 x (x = T - T_c) cross
    at x = -0.01 exactly; errors 0.003 and 0.004 give delta_err = 0.005 / 1.0."""
    Ts = ec.TC + np.array([-0.02, 0.0, 0.02])
    x = Ts - ec.TC
    U = np.array([0.62 - 0.5 * x, 0.61 - 1.5 * x])
    res = {"T": Ts, "tc": ec.TC, "sizes": (16, 32), "U": U,
           "U_err": np.array([[0.003] * 3, [0.004] * 3]),
           "coef": [np.array([0.62, -0.5]), np.array([0.61, -1.5])]}
    (r,) = ec.crossing_shift_prediction(res)
    assert r["pair"] == (16, 32)
    assert r["dU"] == pytest.approx(0.01) and r["dU_err"] == pytest.approx(0.005)
    assert r["delta"] == pytest.approx(-0.01) and r["delta_err"] == pytest.approx(0.005)
    with pytest.raises(ValueError, match="T_c"):
        ec.crossing_shift_prediction({**res, "T": Ts + 0.001})


def _as_stored(res):
    import json
    from utacbook.stored import _jsonable
    return json.loads(json.dumps(_jsonable(res)))            # as stored and loaded


def test_stored_kaufman_scan_rebuilds_the_scan_bit_for_bit():
    kw = dict(sizes=(4, 8), temperatures=(2.0, ec.TC, 2.5), sweeps=500, burn_in=50,
              wolff_window=(2.2, 2.4), seed=7)
    scan = ec.kaufman_scan(**kw)
    res = _as_stored(ec.kaufman_scan_result(**kw))
    back = ec.kaufman_scan_from_stored(res)
    assert len(back) == len(scan)
    for a, b in zip(scan, back):
        assert set(a) == set(b) and a["L"] == b["L"]
        for k in a:
            if k != "L":
                assert a[k].dtype == b[k].dtype and np.array_equal(a[k], b[k]), k
    spot = ec.kaufman_spot_check(res, size_index=1)
    assert spot["identical"] and spot["L"] == 8 and spot["algorithm"] == ["metropolis", "wolff"]


def test_stored_binder_crossing_rebuilds_the_run_bit_for_bit():
    kw = dict(sizes=(4, 8), temperatures=(2.1, 2.2, ec.TC, 2.35, 2.45), sweeps=500, burn_in=50,
              degree=1, n_boot=100, seed=9)
    run = ec.lattice_binder_crossing(**kw)
    back = ec.binder_crossing_from_stored(_as_stored(ec.binder_shift_result(**kw)))
    assert set(back) == set(run) and back["sizes"] == run["sizes"]
    for k in ("T", "U", "U_err"):
        assert np.array_equal(back[k], run[k]), k
    assert all(np.array_equal(a, b) for a, b in zip(back["coef"], run["coef"]))
    assert back["crossings"] == run["crossings"]


def test_chapter_stored_results_have_the_chapter_parameters_and_reproduce():
    """book/ising/01_engine stores its Kaufman scan and its Binder crossing run (defaults)."""
    import inspect
    from utacbook import stored

    def defaults(fn):
        return {k: p.default for k, p in inspect.signature(fn).parameters.items()}

    ks = stored.load("ising_engine_kaufman_scan")
    d = defaults(ec.kaufman_scan)
    assert ks.provenance["function"] == "utacbook.studies.ising.engine:kaufman_scan_result"
    assert defaults(ec.kaufman_scan_result) == d
    assert ks["seed"] == d["seed"] == 303 and ks["sweeps"] == d["sweeps"] and ks["burn_in"] == d["burn_in"]
    assert ks["sizes"] == list(d["sizes"]) and ks["T"] == list(d["temperatures"])
    assert ks["wolff_window"] == [2.1, 2.6]                   # KAUF_WOLFF of the chapter
    spot = ec.kaufman_spot_check(ks, T_indices=(3,))          # L = 8 at T_c, one Wolff run
    assert spot["identical"]

    bc = stored.load("ising_engine_binder_crossing")
    d = defaults(ec.lattice_binder_crossing)
    assert bc.provenance["function"] == "utacbook.studies.ising.engine:binder_shift_result"
    assert bc["seed"] == d["seed"] == 404 and bc["sweeps"] == d["sweeps"] and bc["burn_in"] == d["burn_in"]
    assert bc["sizes"] == list(d["sizes"]) and bc["T"] == list(d["temperatures"])
    assert bc["degree"] == d["degree"] and bc.provenance["params"]["n_boot"] == d["n_boot"]
    assert ec.binder_spot_check(bc.values)["identical"]     # L = 8 at T_c


def test_stored_onsager_and_curie_weiss_rebuild_the_scans_bit_for_bit():
    kw = dict(L=8, temperatures=(1.8, 2.3, 3.0), sweeps=500, burn_in=50, wolff_window=(2.2, 2.4), seed=3)
    res = _as_stored(ec.onsager_yang_result(**kw))
    assert_identical(ec.onsager_yang_scan(**kw), ec.onsager_yang_from_stored(res))
    spot = ec.onsager_yang_spot_check(res, T_index=1)
    assert spot["identical"] and spot["algorithm"] == "wolff"
    kw = dict(sizes=(8, 16), temperatures=(0.8, 1.0, 1.4), sweeps=300, burn_in=30, seed=4)
    scan = ec.curie_weiss_scan(**kw)
    back = ec.curie_weiss_from_stored(_as_stored(ec.curie_weiss_result(**kw)))
    assert len(back) == len(scan)
    for a, b in zip(scan, back):
        assert_identical(a, b)
    spot = ec.curie_weiss_spot_check(_as_stored(ec.curie_weiss_result(**kw)), size_index=1)
    assert spot["identical"] and spot["N"] == 16 and spot["T"] == 1.0


def test_chapter_onsager_and_curie_weiss_stored_results():
    """book/ising/01_engine stores its Onsager/Yang scan (ONS_WOLFF = (2.15, 2.4)) and its Curie-Weiss scan."""
    import inspect
    from utacbook import stored

    def defaults(fn):
        return {k: p.default for k, p in inspect.signature(fn).parameters.items()}

    st = stored.load("ising_engine_onsager_yang")
    d = defaults(ec.onsager_yang_scan)
    assert defaults(ec.onsager_yang_result) == d
    assert st.provenance["function"] == "utacbook.studies.ising.engine:onsager_yang_result"
    assert (st["L"], st["T"], st["sweeps"], st["burn_in"], st["seed"]) == (
        d["L"], list(d["temperatures"]), d["sweeps"], d["burn_in"], d["seed"])
    assert st["wolff_window"] == [2.15, 2.4]
    assert ec.onsager_yang_spot_check(st)["identical"]                # L = 64, T = 3.4, Metropolis
    st = stored.load("ising_engine_curie_weiss")
    d = defaults(ec.curie_weiss_scan)
    assert defaults(ec.curie_weiss_result) == d
    assert st.provenance["function"] == "utacbook.studies.ising.engine:curie_weiss_result"
    assert (st["sizes"], st["T"], st["sweeps"], st["burn_in"], st["algorithm"], st["seed"]) == (
        list(d["sizes"]), list(d["temperatures"]), d["sweeps"], d["burn_in"], d["algorithm"], d["seed"])
    assert ec.curie_weiss_spot_check(st)["identical"]                 # N = 64, T = 1
