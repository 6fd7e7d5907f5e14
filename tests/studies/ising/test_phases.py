"""Tests of utacbook.phases: correlation functions, ξ, power-law fits, physics checks."""

import math

import numpy as np
import pytest

from utacbook.theory import _exact as exact
from utacbook.stats import _fitting as fitting
from utacbook.studies.ising import phases as ph


# ---------------------------------------------------------------- G(r)

def test_correlation_all_up_is_one():
    r, G = ph.correlation_function(np.ones((16, 16), dtype=np.int8))
    assert list(r) == list(range(9))
    np.testing.assert_allclose(G, 1.0, atol=1e-12)


def test_correlation_stripes_exact():
    L = 12
    j = np.arange(L)
    s = np.tile(np.where(j % 2 == 0, 1, -1), (L, 1))          # columns alternate
    _, G = ph.correlation_function(s)
    # along rows (-1)^r, along columns 1
    np.testing.assert_allclose(G, 0.5 * (1 + (-1.0) ** np.arange(L // 2 + 1)), atol=1e-12)
    s4 = np.tile(np.array([1, 1, -1, -1] * (L // 4)), (L, 1))  # period-4 stripes
    _, G4 = ph.correlation_function(s4.T)                     # now along columns
    g = np.array([1, 0, -1, 0, 1, 0, -1])
    np.testing.assert_allclose(G4, 0.5 * (1 + g), atol=1e-12)


def test_correlation_equals_direct_sum_and_minus_energy():
    rng = np.random.default_rng(5)
    L = 10
    s = rng.choice([-1, 1], size=(3, L, L))
    _, G = ph.correlation_function(s)
    for rr in range(L // 2 + 1):
        direct = 0.5 * np.mean(s * np.roll(s, rr, axis=2)) + 0.5 * np.mean(s * np.roll(s, rr, axis=1))
        assert G[rr] == pytest.approx(direct, abs=1e-12)
    # G(1) is minus the nearest-neighbour energy per spin (J = 1, h = 0), configuration by configuration
    e = -np.mean(s * np.roll(s, 1, 1), axis=(1, 2)) - np.mean(s * np.roll(s, 1, 2), axis=(1, 2))
    assert G[1] == pytest.approx(-0.5 * e.mean(), abs=1e-12)


def test_correlation_random_is_zero_within_error():
    rng = np.random.default_rng(11)
    n, L = 20, 32
    s = rng.choice([-1, 1], size=(n, L, L))
    _, G = ph.correlation_function(s)
    # each G(r >= 1) averages 2 n N products of independent +-1 (pairs overlap at r = L/2)
    err = 1.0 / math.sqrt(2 * n * L * L)
    assert np.all(np.abs(G[1:-1]) < 4 * err)
    assert abs(G[-1]) < 4 * math.sqrt(2) * err


def test_correlation_bad_input():
    with pytest.raises(ValueError, match="spins"):
        ph.correlation_function(np.zeros((4, 4)))
    with pytest.raises(ValueError, match="spins"):
        ph.correlation_function(np.ones((4, 5)))


# ---------------------------------------------------------------- S(k), ξ

def test_structure_factors_direct():
    rng = np.random.default_rng(2)
    L = 8
    s = rng.choice([-1, 1], size=(2, L, L))
    S0, Sk = ph.structure_factors(s)
    x = np.arange(L)
    for i in range(2):
        assert S0[i] == pytest.approx(s[i].sum() ** 2 / L ** 2)
        ph_row = np.exp(2j * np.pi * x / L)
        a = abs(np.sum(s[i] * ph_row[None, :])) ** 2
        b = abs(np.sum(s[i] * ph_row[:, None])) ** 2
        assert Sk[i] == pytest.approx(0.5 * (a + b) / L ** 2)
    S0, Sk = ph.structure_factors(np.ones((L, L)))
    assert S0[0] == pytest.approx(L * L) and Sk[0] == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("L", [6, 16, 24, 104])
def test_structure_factors_are_those_of_fft2_bit_for_bit(L):
    s = np.random.default_rng(L).choice([-1, 1], size=(5, L, L))
    F = np.fft.fft2(s.astype(np.float64))
    S0, Sk = ph.structure_factors(s)
    assert np.array_equal(S0, np.abs(F[:, 0, 0]) ** 2 / L ** 2)
    assert np.array_equal(Sk, 0.5 * (np.abs(F[:, 0, 1]) ** 2 + np.abs(F[:, 1, 0]) ** 2) / L ** 2)


@pytest.mark.parametrize("xi, L", [(2.0, 32), (7.5, 64), (0.3, 16)])
def test_second_moment_xi_ornstein_zernike(xi, L):
    chi = 13.0
    khat2 = 4 * math.sin(math.pi / L) ** 2
    assert ph.second_moment_xi(chi, chi / (1 + xi ** 2 * khat2), L) == pytest.approx(xi, rel=1e-12)
    assert math.isnan(ph.second_moment_xi(1.0, 2.0, L))


def test_exact_xi_duality_and_asymptote():
    K = np.array([0.2, 0.3, 0.4])
    Kd = np.arctanh(np.exp(-2 * K))
    np.testing.assert_allclose(np.exp(-2 * Kd), np.tanh(K), rtol=1e-12)   # symmetric duality
    Kc = 1 / ph.TC
    for t in (1e-3, 1e-4):
        T = 1 / (Kc * (1 - t))
        assert ph.exact_xi(T) * 4 * Kc * t == pytest.approx(1.0, rel=5 * t)
    # at high T, 2(K* - K) -> -ln tanh K - 2K: xi -> 1/ln(1/tanh K) as K -> 0
    T = 50.0
    assert ph.exact_xi(T) == pytest.approx(1 / (-math.log(math.tanh(1 / T)) - 2 / T))
    with pytest.raises(ValueError, match="T must"):
        ph.exact_xi(2.0)


# ---------------------------------------------------------------- fits

def test_power_law_fit_exact_and_pulls():
    x = np.array([8, 16, 32, 64, 128.0])
    y = 0.9 * x ** 1.75
    f = fitting.power_law_fit(x, y, 0.01 * y)
    assert f["exponent"] == pytest.approx(1.75, abs=1e-12)
    assert f["amplitude"] == pytest.approx(0.9, rel=1e-12)
    assert f["chi2"] == pytest.approx(0.0, abs=1e-18)
    rng = np.random.default_rng(3)
    pulls = []
    for _ in range(400):
        err = 0.03 * y
        yn = y * np.exp(rng.normal(0, 0.03, size=x.size))
        g = fitting.power_law_fit(x, yn, err, scale_by_chi2=False)
        pulls.append((g["exponent"] - 1.75) / g["exponent_err"])
    pulls = np.array(pulls)
    # the stated errors are right: pull mean 0 and s.d. 1 within sampling error
    assert abs(pulls.mean()) < 4 / math.sqrt(pulls.size)
    assert abs(pulls.std() - 1) < 4 / math.sqrt(2 * pulls.size)


def test_power_law_fit_validation():
    with pytest.raises(ValueError, match="yerr"):
        fitting.power_law_fit([1, 2], [1, 2], [0.1, 0])
    with pytest.raises(ValueError, match="> 0"):
        fitting.power_law_fit([1, 2], [1, -2], [0.1, 0.1])
    with pytest.raises(ValueError, match="same length"):
        fitting.power_law_fit([1, 2, 3], [1, 2], [0.1, 0.1])


def test_crossing_linear():
    T = np.array([2.0, 2.1, 2.2, 2.3])
    d = 0.5 * (2.17 - T)
    assert ph._crossing(T, d) == pytest.approx(2.17)
    assert math.isnan(ph._crossing(T, np.ones(4)))


def test_tau_error_formula():
    assert ph.tau_error(10.0, 10000) == pytest.approx(10 * math.sqrt(2 * 101 / 10000))
    with pytest.raises(ValueError, match="n"):
        ph.tau_error(1.0, 0)


# ---------------------------------------------------------------- physics

def test_thermo_scan_matches_kaufman():
    """Both algorithms of the scan reproduce the exact finite-lattice e and C (L = 8)."""
    T = np.array([2.0, ph.TC, 3.0])
    sc = ph.thermo_scan(sizes=(8,), temperatures=T, sweeps=20000, wolff_steps=20000,
                        wolff_window=0.1, seed=4)
    assert list(sc["algorithm"][0]) == ["metropolis", "wolff", "metropolis"]
    ex = exact.kaufman(8, T)
    for j in range(3):
        e, de = sc["e"][0, j]
        c, dc = sc["C"][0, j]
        assert abs(e - ex["energy"][j]) < 4 * de, (T[j], e, de, ex["energy"][j])
        assert abs(c - ex["specific_heat"][j]) < 4 * dc, (T[j], c, dc, ex["specific_heat"][j])


def test_high_t_scan_xi_and_g1_identity():
    h = ph.high_t_scan(temperatures=(3.0,), L_over_xi=8, n_blocks=200, block_sweeps=10,
                       burn_in=200, seed=2)
    xi, dxi = h["xi"][0]
    # second-moment vs exponential xi and finite L differ by a few per cent at most here
    assert abs(xi - h["xi_exact"][0]) < 4 * dxi + 0.03 * h["xi_exact"][0]
    assert h["G"][0][0] == pytest.approx(1.0)
    assert 0 < h["G"][0][1] < 1 and h["G"][0][1] > h["G"][0][2]


def test_seed_required_and_reproducible():
    with pytest.raises(ValueError, match="seed"):
        ph.fss_at_tc(sizes=(8,), steps=200, seed=None)
    a = ph.fss_at_tc(sizes=(8,), steps=500, seed=3)
    b = ph.fss_at_tc(sizes=(8,), steps=500, seed=3)
    np.testing.assert_array_equal(a["chi"], b["chi"])


# ---------------------------------------------------------------- claims

def test_thermo_scan_records_tau_and_steps():
    sc = ph.thermo_scan(sizes=(8,), temperatures=(2.0, ph.TC), sweeps=500, wolff_steps=300,
                        wolff_window=0.1, seed=1)
    assert sc["tau_e"].shape == (1, 2) and np.all(sc["tau_e"] >= 0.5)
    assert list(sc["steps"][0]) == [500, 300]


def test_claims_sources_and_scopes():
    import utacbook.claims as uc
    cl = ph.claims(seed=7, high_T=(2.5, 3.0), fss_sizes=(16, 32), binder_sizes=(8, 16),
                   L_thermo=(16, 32))
    ids = [c.id for c in cl]
    assert len(set(ids)) == len(ids) and all(i.startswith("ising.phases.") for i in ids)
    essay = {c.id.split(".")[-1] for c in cl if c.source == "essay"}
    # the essay states no exponent values: every numeric exponent is ours
    assert essay == {"order-below", "disorder-above", "slowing", "slowing-any-dynamics",
                     "fluctuations", "correlations"}
    assert all(isinstance(c.criterion, uc.Criterion) for c in cl)
    assert all("seed 7" in c.scope for c in cl)
    assert "T = 3, 2.5" in next(c for c in cl if c.id.endswith(".slowing")).scope
    # critical slowing is judged for the local dynamics only (Wolff's z is our own claim)
    anyd = next(c for c in cl if c.id.endswith(".slowing-any-dynamics"))
    assert "Wolff" not in anyd.scope and "Metropolis" in anyd.scope
    assert "revised after the first run" in anyd.note
    for name in ("order-below", "disorder-above"):
        assert "revised after the first run" in next(c for c in cl if c.id.endswith(name)).note
    assert any(c.id.endswith(".yang-l64") and c.source == "ours" for c in cl)


def test_claim_measurements_from_synthetic_results():
    import utacbook.claims as uc
    T = np.array([2.0, ph.TC, 2.6])
    m0 = exact.yang_magnetization(2.0)
    scan = {"T": T, "sizes": np.array([16, 64]),
            "abs_m": np.array([[[m0 + 0.01, 0.01], [0.7, 0.01], [0.30, 0.01]],
                               [[m0, 0.001], [0.6, 0.01], [0.10, 0.01]]])}
    (below,) = ph.order_below_measurements(scan, L=64)          # T_c itself is not "below"
    assert below.value == pytest.approx(0.0) and below.condition == "T = 2"
    (above,) = ph.disorder_measurements(scan, L_small=16, L_large=64)
    assert above.value == pytest.approx(-0.2) and above.err == pytest.approx(math.hypot(0.01, 0.01))
    # the finite-size-scaling test of order: R = <|m|>_64/<|m|>_16 against its T_c value 4^(-1/8)
    rc = ph.critical_ratio(16, 64)
    assert rc == pytest.approx(4 ** (-1 / 8))
    (rb,) = ph.order_ratio_measurements(scan, L_small=16, L_large=64, side="below")
    r = m0 / (m0 + 0.01)
    assert rb.value == pytest.approx(r - rc) and rb.condition == "T = 2"
    assert rb.err == pytest.approx(r * math.hypot(0.01 / (m0 + 0.01), 0.001 / m0))
    (ra,) = ph.order_ratio_measurements(scan, L_small=16, L_large=64, side="above")
    assert ra.value == pytest.approx(0.10 / 0.30 - rc) and ra.condition == "T = 2.6"
    cl = {c.id.split(".")[-1]: c for c in ph.claims()}
    assert cl["order-below"].judge([rb]).verdict == uc.HELD          # R ~ 1: ordered
    assert cl["disorder-above"].judge([ra]).verdict == uc.HELD       # R ~ 1/3: disordered
    assert cl["order-below"].judge([ra]).verdict == uc.NOT_REPRODUCED
    with pytest.raises(ValueError):
        ph.order_ratio_measurements(scan, side="at")
    high = {"T": np.array([2.4, 2.6, 3.0]), "chi": np.array([[50.0, 2], [15, 1], [4, 0.2]])}
    ms = ph.approach_measurements(high, "chi")
    assert [m.condition for m in ms] == ["T = 3", "T = 2.6", "T = 2.4"]
    c = next(c for c in ph.claims() if c.id.endswith(".fluctuations"))
    assert c.judge(ms).verdict == uc.HELD
    fit = {"exponent": -0.12, "exponent_err": 0.01}
    assert ph.exponent_measurement(fit, sign=-1).value == pytest.approx(0.12)
    binder = {"pairs": [(8, 16), (16, 32)], "T_cross": np.array([2.27, np.nan]),
              "T_cross_err": np.array([0.01, np.nan])}
    (cr,) = ph.crossing_measurements(binder)
    assert cr.condition == "L = 8/16"


# ---------------------------------------------------------------- stored results of the chapter

def _as_stored(res):
    import json
    from utacbook.stored import _jsonable
    return json.loads(json.dumps(_jsonable(res)))            # as stored and loaded


def _same(a, b):
    assert set(b) >= set(a)
    for k in a:
        if isinstance(a[k], np.ndarray):
            assert b[k].dtype == a[k].dtype and np.array_equal(a[k], b[k]), k
        else:
            assert b[k] == a[k], k


def test_stored_results_rebuild_the_studies_bit_for_bit():
    kw = dict(sizes=(4, 8), seed=5)
    run = ph.metropolis_tau_at_tc(sweeps=(2000, 3000), burn_in=100, **kw)
    res = _as_stored(ph.metropolis_tau_result(sweeps=(2000, 3000), burn_in=100, **kw))
    _same(run, ph.from_stored(res))
    assert ph.metropolis_tau_spot_check(res, size_index=1)["identical"]
    run = ph.fss_at_tc(steps=500, burn_in=50, **kw)
    res = _as_stored(ph.fss_result(steps=500, burn_in=50, **kw))
    _same(run, ph.from_stored(res))
    assert ph.fss_spot_check(res, size_index=1)["identical"]
    run = ph.binder_crossings(temperatures=(2.0, 2.2, ph.TC, 2.4, 2.6), steps=500, burn_in=50, n_boot=50, **kw)
    res = _as_stored(ph.binder_result(temperatures=(2.0, 2.2, ph.TC, 2.4, 2.6), steps=500, burn_in=50,
                                      n_boot=50, **kw))
    _same(run, ph.from_stored(res))
    spot = ph.binder_spot_check(res, size_index=1)
    assert spot["identical"] and spot["L"] == 8 and spot["T"] == ph.TC


def _chapter_constants():
    """SEED, FSS_SIZES, METRO_SWEEPS, BINDER_SIZES as book/ising/02_phases.ipynb sets them."""
    import ast
    import json
    from pathlib import Path
    nb = json.loads((Path(__file__).resolve().parents[3] / "book/ising/02_phases.ipynb").read_text())
    src = next("".join(c["source"]) for c in nb["cells"] if c.get("id") == "e2crit01")
    out = {}
    for node in ast.parse(src).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            try:
                out[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                pass
    return out


def test_chapter_stored_results_have_the_chapter_parameters_and_reproduce():
    from utacbook import stored
    c = _chapter_constants()
    fn = "utacbook.studies.ising.phases:"
    st = stored.load("ising_phases_metropolis_tau")
    assert st.provenance["function"] == fn + "metropolis_tau_result"
    assert st.provenance["params"] == {"sizes": list(c["FSS_SIZES"]), "sweeps": list(c["METRO_SWEEPS"]),
                                       "seed": c["SEED"]}
    assert ph.metropolis_tau_spot_check(st)["identical"]           # L = 8, 40000 sweeps
    st = stored.load("ising_phases_fss")
    assert st.provenance["function"] == fn + "fss_result"
    assert st.provenance["params"] == {"sizes": list(c["FSS_SIZES"]), "steps": 10000, "seed": c["SEED"]}
    assert ph.fss_spot_check(st)["identical"]
    st = stored.load("ising_phases_binder")
    assert st.provenance["function"] == fn + "binder_result"
    assert st.provenance["params"] == {"sizes": list(c["BINDER_SIZES"]), "steps": 10000, "seed": c["SEED"]}
    assert ph.binder_spot_check(st)["identical"]


def test_stored_thermo_scan_rebuilds_the_scan_bit_for_bit():
    kw = dict(sizes=(4, 8), temperatures=(1.8, ph.TC, 3.0), sweeps=300, wolff_steps=300, burn_in=30, seed=6)
    run = ph.thermo_scan(**kw)
    res = _as_stored(ph.thermo_result(**kw))
    _same(run, ph.from_stored(res))
    for T_index in (1, 2):                                    # a Wolff and a Metropolis run
        spot = ph.thermo_spot_check(res, size_index=1, T_index=T_index)
        assert spot["identical"] and spot["algorithm"] == spot["algorithm_stored"]


def test_chapter_thermo_scan_stored_result():
    from utacbook import stored
    c = _chapter_constants()
    st = stored.load("ising_phases_thermo")
    assert st.provenance["function"] == "utacbook.studies.ising.phases:thermo_result"
    assert st.provenance["params"] == {"sizes": list(c["SIZES"]), "sweeps": 4000, "wolff_steps": 4000,
                                       "wolff_window": c["WOLFF_WINDOW"], "seed": c["SEED"]}
    spot = ph.thermo_spot_check(st)                           # L = 16, T = 3.5, Metropolis
    assert spot["identical"] and spot["algorithm"] == "metropolis"
