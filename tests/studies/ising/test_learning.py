"""Tests of utacbook.learning: SGD stationary variance against the exact
discrete-time formula, exact second-moment recursion, schedule shapes and
budgets, softmax-temperature limits, the Hopfield network and the AGS theory,
and the double-well Boltzmann check.  Statistical tolerances are 4 sigma,
sigma from independent seeds.
"""

import math

import numpy as np
import pytest

from utacbook.studies.ising import learning as L

NSIG = 4.0


@pytest.mark.parametrize("noise", ["isotropic", "hessian"])
def test_sgd_stationary_variance_matches_exact_discrete_formula(noise):
    h = np.array([1.5, 0.4, 0.1])
    eta, B = 0.5, 4          # eta*h up to 0.75: far from the small-eta limit
    r = L.sgd_quadratic(h, eta=eta, batch=B, noise=noise, n_steps=20000, n_seeds=64,
                        burn_in=2000, seed=1)
    ms = r["mean_sq"]
    mean, err = ms.mean(0), ms.std(0, ddof=1) / math.sqrt(ms.shape[0])
    exact = L.stationary_variance(h, eta=eta, batch=B, noise=noise)
    assert np.all(np.abs(mean - exact) <= NSIG * err), (mean, err, exact)
    # and the small-eta formula eta s^2/(2 B h) is off by the factor 2/(2 - eta h)
    small = eta * (1.0 if noise == "isotropic" else h) / (2 * B * h)
    assert np.allclose(exact / small, 2 / (2 - eta * h))


def test_t_train_equipartition_small_eta():
    h = np.array([2.0, 0.5, 0.05])
    eta, B = 0.002, 8
    var = L.stationary_variance(h, eta=eta, batch=B)
    T = L.t_train(eta, B)
    # equipartition: h_i Var_i = T for every mode, up to O(eta h)
    assert np.allclose(h * var, T, rtol=eta * h.max())
    # T scales as eta / B
    assert L.t_train(2 * eta, 2 * B) == pytest.approx(T)


def test_second_moment_recursion_matches_simulation_under_schedule():
    h = np.array([1.0, 0.1, 0.01])
    sch = L.schedule("wsd", 3000, peak=0.4, final=0.004)
    ex = L.second_moment_trajectory(h, eta=sch, batch=2, n_steps=3000, theta0_var=1.0)[-1]
    sim = L.sgd_quadratic(h, eta=sch, batch=2, n_steps=3000, n_seeds=400, theta0_var=1.0,
                          seed=3)["theta"] ** 2
    err = sim.std(0, ddof=1) / math.sqrt(sim.shape[0])
    assert np.all(np.abs(sim.mean(0) - ex) <= NSIG * err)


@pytest.mark.parametrize("kind", ["constant", "exponential", "cosine", "wsd"])
def test_schedules_budget_endpoints_and_area(kind):
    n, peak, final = 1000, 0.3, 0.003
    eta = L.schedule(kind, n, peak=peak, final=final, warmup_frac=0.1, decay_frac=0.2)
    assert eta.shape == (n,)
    assert np.all(eta > 0) and eta.max() <= peak * (1 + 1e-12)
    if kind == "constant":
        area = n * peak
    elif kind == "exponential":
        q = (final / peak) ** (1 / (n - 1))
        area = peak * (1 - q ** n) / (1 - q)
        assert eta[0] == pytest.approx(peak) and eta[-1] == pytest.approx(final)
    elif kind == "cosine":
        area = n * (peak + final) / 2          # the cosine sums to zero on a symmetric grid
        assert eta[0] == pytest.approx(peak) and eta[-1] == pytest.approx(final)
    else:
        W, D = 100, 200
        area = peak * (W + 1) / 2 + peak * (n - W - D) + D * peak + (final - peak) * (D + 1) / 2
        assert eta[W - 1] == pytest.approx(peak) and eta[-1] == pytest.approx(final)
        assert np.all(np.diff(eta[:W]) > 0) and np.all(eta[W:n - D] == peak)
    assert eta.sum() == pytest.approx(area, rel=1e-12)


def test_softmax_temperature_limits():
    z = np.array([2.0, 1.0, 0.5, -1.0, 0.0])
    K = z.size
    assert L.entropy(L.softmax(z, tau=1e-3)) < 1e-12
    assert L.entropy(L.softmax(z, tau=1e6)) == pytest.approx(math.log(K), abs=1e-5)
    taus = np.logspace(-2, 2, 30)
    H = np.array([L.entropy(L.softmax(z, tau=t)) for t in taus])
    assert np.all(np.diff(H) > 0)                # entropy rises monotonically with tau
    assert np.allclose(L.softmax(z, tau=1.0).sum(), 1.0)
    # argmax is tau-independent
    assert {int(np.argmax(L.softmax(z, tau=t))) for t in taus} == {0}


def test_hebbian_couplings_symmetric_zero_diagonal():
    rng = np.random.default_rng(0)
    xi = rng.choice([-1, 1], size=(7, 50))
    J = L.hebbian_couplings(xi)
    assert np.allclose(J, J.T) and np.all(np.diag(J) == 0)
    assert J[3, 8] == pytest.approx(np.dot(xi[:, 3], xi[:, 8]) / 50)


def test_hopfield_one_pattern_recalls_exactly():
    rng = np.random.default_rng(1)
    N = 200
    xi = rng.choice([-1, 1], size=(1, N))
    J = L.hebbian_couplings(xi)
    cue = xi[0].copy()
    cue[rng.permutation(N)[:80]] *= -1          # 40 % of the spins wrong
    s, sweeps = L.hopfield_recall(J, cue, seed=2)
    assert np.array_equal(s, xi[0]) and sweeps <= 3
    # the stored pattern is a fixed point
    s2, k2 = L.hopfield_recall(J, xi[0], seed=3)
    assert np.array_equal(s2, xi[0]) and k2 == 1


def test_ags_theory_limits_and_alpha_c():
    assert L.ags_overlap(0.0)[0] == 1.0
    assert L.ags_overlap(0.01)[0] == pytest.approx(1.0, abs=1e-9)
    ac = L.ags_alpha_c()
    assert ac == pytest.approx(0.138, abs=0.001)      # Amit, Gutfreund & Sompolinsky
    assert L.ags_overlap(ac - 1e-6)[0] == pytest.approx(0.967, abs=0.002)
    assert np.isnan(L.ags_overlap(0.15)[0])


def test_hopfield_low_load_retrieval_and_high_load_failure():
    r = L.recall_vs_load([0.03, 0.3], N=300, n_sets=4, n_cues=5, seed=4)
    # at alpha = 0.03 the AGS overlap is 1 - O(1e-7): every cue must be recalled almost exactly
    assert r["overlap"][0] > 0.99
    assert r["overlap"][1] < 0.8


def test_double_well_boltzmann_fraction():
    T = 0.2
    eta = 0.005
    sg = math.sqrt(2 * T / eta)
    r = L.sgd_double_well(eta=eta, sigma_g=sg, n_steps=30000, n_seeds=128, burn_in=3000,
                          theta0=L.double_well_barrier(), seed=5)
    f = r["wide_time_fraction"]
    exact = L.boltzmann_wide_fraction(T)[0]
    assert abs(f.mean() - exact) <= NSIG * f.std(ddof=1) / math.sqrt(f.size)


def test_bad_input_names_parameter():
    with pytest.raises(ValueError, match="kind"):
        L.schedule("linear", 10)
    with pytest.raises(ValueError, match="eta"):
        L.stationary_variance([1.0], eta=3.0)
    with pytest.raises(ValueError, match="tau"):
        L.softmax([1.0, 2.0], tau=0.0)
    with pytest.raises(ValueError, match="patterns"):
        L.hebbian_couplings(np.zeros((2, 3)))


def test_lineage_years_and_diagram():
    years = {k: v[1] for k, v in L.LINEAGE.items()}
    assert years["Ising"] == "1925" and years["SG"] == "1975" and years["Hop"] == "1982"
    assert years["BM"] == "1983" and years["RBM"] == "1986" and years["DBN"] == "2006"
    assert years["AN"] == "1943" and years["Perc"] == "1957"
    nodes = {n for e in L.LINEAGE_EDGES for n in e}
    assert nodes == set(L.LINEAGE)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = L.plot_lineage()
    arrows = [c for c in ax.get_children() if type(c).__name__ == "Annotation"]
    assert len(arrows) == len(L.LINEAGE_EDGES) == 10
    plt.close(fig)


# ----------------------------------------------------------- SGD on a linear regression

def test_linreg_data_minimum_and_noise_covariance():
    d = L.linreg_data(n=400, seed=3)
    X, y, w = d["X"], d["y"], d["w_star"]
    # the exact minimum: the normal equations hold, so the per-sample gradients average to 0
    assert np.allclose(X.T @ (X @ w - y) / X.shape[0], 0.0, atol=1e-12)
    G = X * (X @ w - y)[:, None]
    assert np.allclose(d["C"], G.T @ G / X.shape[0], atol=1e-12)
    assert np.allclose(d["C_chol"] @ d["C_chol"].T, d["C"])
    assert np.allclose(d["H"], X.T @ X / X.shape[0])


def test_full_batch_without_replacement_has_no_noise():
    # B = n: a minibatch drawn without replacement is the whole data set, the gradient at w*
    # is zero, and SGD never leaves the minimum (with replacement it would)
    d = L.linreg_data(n=30, seed=4)
    r = L.sgd_linear_regression(d, eta=0.1, batch=30, n_steps=500, burn_in=10, n_replicas=3, seed=1)
    assert np.all(r["msd"] < 1e-25)


def test_gaussian_noise_model_matches_exact_discrete_lyapunov():
    from scipy.linalg import solve_discrete_lyapunov
    d = L.linreg_data(n=500, seed=5)
    eta, B = 0.1, 4
    A = np.eye(3) - eta * d["H"]
    exact = np.trace(solve_discrete_lyapunov(A, eta ** 2 * d["C"] / B))
    r = L.sgd_linear_regression(d, eta=eta, batch=B, noise="gaussian", n_steps=40000, burn_in=400,
                                n_replicas=16, seed=2)
    assert abs(r["mean"] - exact) <= NSIG * r["err"], (r["mean"], r["err"], exact)


def test_minibatch_spread_carries_the_finite_population_factor():
    # small data set, B = n/2: the minibatch-mean noise is C/B * (n - B)/(n - 1), about half of C/B;
    # at small eta the spread is eta tr(H^-1 C)/(2B) times that factor (corrections O(eta h))
    n, B, eta = 40, 20, 0.005
    d = L.linreg_data(n=n, seed=6)
    r = L.sgd_linear_regression(d, eta=eta, batch=B, n_steps=200000, burn_in=4000, n_replicas=16, seed=3)
    pred = eta * np.trace(np.linalg.solve(d["H"], d["C"])) / (2 * B) * (n - B) / (n - 1)
    tol = NSIG * r["err"] + 0.02 * pred               # 2 %: the O(eta h) and multiplicative corrections
    assert abs(r["mean"] - pred) <= tol, (r["mean"], r["err"], pred)
    assert r["mean"] < 0.6 * pred * (n - 1) / (n - B)  # and clearly not the with-replacement value


def test_power_law_exponents_recover_exact_exponents():
    E, Bg = np.meshgrid([0.01, 0.02, 0.04], [2, 8, 32], indexing="ij")
    E, Bg = E.ravel(), Bg.ravel()
    V = 3.0 * E ** 1.2 / Bg ** 0.9
    fit = L.power_law_exponents(E, Bg, V, 0.01 * V)
    assert fit["a"] == pytest.approx(1.2, abs=1e-10) and fit["b"] == pytest.approx(0.9, abs=1e-10)
    assert fit["chi2_dof"] < 1e-12
    # one-sigma errors: 1 % relative errors over a factor-4 range in eta
    assert 0 < fit["a_err"] < 0.02 and 0 < fit["b_err"] < 0.01


def test_scaling_measurements_labels():
    ms = L.scaling_measurements({"a": 1.01, "a_err": 0.01, "b": 0.99, "b_err": 0.01}, "X")
    assert [m.condition for m in ms] == ["X, η exponent", "X, 1/B exponent"]


# ----------------------------------------------------------- Hopfield capacity

def test_hopfield_overlap_kernel_ends_at_a_fixed_point_of_the_coupling_matrix():
    rng = np.random.default_rng(7)
    N, P = 120, 30                                   # alpha = 0.25: retrieval fails, many flips
    xi = rng.choice(np.array([-1, 1], dtype=np.int8), size=(P, N))
    J = L.hebbian_couplings(xi)
    m, sw, s = L.hopfield_from_patterns(xi, np.arange(5), seed=1, return_states=True)
    for k in range(5):
        h = J @ s[k]
        assert np.all(s[k] * h >= -1e-12)              # every spin agrees with its field (ties kept)
        assert m[k] == pytest.approx(np.dot(s[k], xi[k]) / N)
    assert np.all(sw >= 1) and np.any(m < 0.9)


def test_hopfield_stored_pattern_is_stable_at_low_load():
    rng = np.random.default_rng(8)
    xi = rng.choice(np.array([-1, 1], dtype=np.int8), size=(2, 400))
    m, sw = L.hopfield_from_patterns(xi, [0, 1], seed=0)
    assert np.all(m == 1.0) and np.all(sw == 1)


def test_capacity_scan_values_do_not_depend_on_the_other_sizes():
    a = L.capacity_scan([0.1, 0.2], sizes=(50,), n_sets=3, n_starts=4, seed=9)
    b = L.capacity_scan([0.1, 0.2], sizes=(60, 50), n_sets=3, n_starts=4, seed=9)
    assert a["50"] == b["50"]


def test_half_and_curve_crossings():
    al = np.array([0.1, 0.11, 0.12, 0.13])
    assert L._half_crossing(al, [1.0, 0.8, 0.4, 0.0]) == pytest.approx(0.1175)
    assert np.isnan(L._half_crossing(al, [1.0, 0.9, 0.8, 0.7]))
    # f1 - f2 = 0, -0.1, +0.1, +0.3: crossing halfway between 0.11 and 0.12
    assert L._curve_crossing(al, [1.0, 0.8, 0.6, 0.4], [1.0, 0.9, 0.5, 0.1]) == pytest.approx(0.115)


def test_capacity_estimates_recover_a_planted_transition():
    # success fractions that fall linearly through 1/2 at alpha_1/2(N) = 0.14 + 0.9/sqrt(N), with
    # small set-to-set noise: the N^(-1/2) extrapolation must return 0.14
    al = np.round(np.arange(0.05, 0.2501, 0.01), 4)
    rng = np.random.default_rng(10)
    scan = {"alpha": al.tolist(), "sizes": [100, 400, 1600, 6400], "threshold": 0.9}
    for N in scan["sizes"]:
        a_half = 0.14 + 0.9 / np.sqrt(N)
        f = np.clip(0.5 - (al - a_half) / 0.04, 0, 1)
        sets = np.clip(f[:, None] + 0.01 * rng.standard_normal((al.size, 20)), 0, 1)
        scan[str(N)] = {"success_sets": sets.tolist(), "overlap_sets": sets.tolist()}
    est = L.capacity_estimates(scan, n_boot=100, seed=1)
    assert est["alpha_inf"] == pytest.approx(0.14, abs=4 * est["alpha_inf_err"] + 1e-3)
    assert np.all(np.abs(est["alpha_half"] - (0.14 + 0.9 / np.sqrt(scan["sizes"]))) < 2e-3)


# ----------------------------------------------------------- double well, lineage

def test_double_well_transitions_counted_between_cores():
    lo, hi = L.double_well_cores()
    assert lo < L.double_well_barrier() < hi
    # deterministic descent (tiny noise) from each core: no transitions
    r = L.sgd_double_well(eta=0.005, sigma_g=1e-6, n_steps=2000, n_seeds=4, burn_in=100, theta0=-0.8, seed=0)
    assert np.all(r["transitions"] == 0)
    # hot: many transitions, and more at higher temperature
    rates = []
    for T in (0.15, 0.3):
        r = L.sgd_double_well(eta=0.005, sigma_g=np.sqrt(2 * T / 0.005), n_steps=20000, n_seeds=32,
                              burn_in=1000, theta0=L.double_well_barrier(), seed=1)
        rates.append(r["transitions"].mean())
    assert 0 < rates[0] < rates[1]


def test_lineage_checks_years_match_and_one_arrow_runs_backwards():
    checks = L.lineage_checks()
    years = checks[:len(L.LINEAGE_SOURCES)]
    arrows = checks[len(L.LINEAGE_SOURCES):]
    assert all(ok for _, ok in years)
    bad = [lab for lab, ok in arrows if not ok]
    assert bad == ["MLP, trained by backpropagation (1986) → Hopfield network (1982)"]
    # every essay arrow between dated nodes is checked (the MLP ones once per dating)
    n_mlp = sum("MLP" in e for e in L.LINEAGE_EDGES)
    n_dated = sum("ML" not in e and "MLP" not in e for e in L.LINEAGE_EDGES)
    assert len(arrows) == n_dated + n_mlp * len(L.MLP_DATINGS)
    # the essay's years in LINEAGE_SOURCES are those of the diagram
    for k, (_lab, essay, *_rest) in L.LINEAGE_SOURCES.items():
        assert L.LINEAGE[k][1] == str(essay)


def test_ratio_and_binomial_helpers():
    m = L.ratio_measurement(2.0, 0.2, 4.0, "c")
    assert m.value == pytest.approx(0.5) and m.err == pytest.approx(0.05)
    p, e = L.binomial_fraction(0, 100)
    assert p == 0 and e == pytest.approx(0.01)
    d, de = L.paired_difference([1.0, 2.0, 3.0], [0.5, 1.5, 2.5])
    assert d == pytest.approx(0.5) and de == pytest.approx(0.0)


def test_boltzmann_sample_has_the_exact_wide_fraction():
    for T in (0.05, 0.3):
        n = 40000
        x = L.sample_double_well_boltzmann(T, n, seed=3)
        p = np.mean(x > L.double_well_barrier())
        exact = L.boltzmann_wide_fraction(T)[0]
        assert abs(p - exact) < NSIG * math.sqrt(exact * (1 - exact) / n)
    with pytest.raises(ValueError):
        L.sample_double_well_boltzmann(0.0, 10)


def test_double_well_accepts_one_start_per_seed():
    th0 = np.array([-0.8, 0.8, -0.8, 0.8])
    r = L.sgd_double_well(eta=0.005, sigma_g=1e-6, n_steps=500, n_seeds=4, theta0=th0, seed=0)
    assert list(r["wide"]) == [False, True, False, True]
    with pytest.raises(ValueError, match="theta0"):
        L.sgd_double_well(eta=0.005, n_steps=10, n_seeds=3, theta0=th0)


def test_stored_double_well_equilibrium_is_the_chapters_call_and_reproduces():
    """book/ising/09_learning loads its equilibrium run on the double well (learning_double_well_equilibrium)."""
    from utacbook import stored
    rec = stored.load("learning_double_well_equilibrium")
    assert rec.provenance["function"] == "utacbook.studies.ising.learning:double_well_equilibrium"
    assert rec.provenance["params"] == {"temperatures": [0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3], "eta": 0.005,
                                        "n_per_T": 64, "n_steps": 60000, "burn_in": 5000, "check_steps": 6000,
                                        "seed": 21}
    assert len(rec["wide_time_fraction"]) == len(rec["transitions"]) == 7 * 64
    assert L.spot_check_double_well_equilibrium(rec) == {"steps": 6000, "identical": True}
    # the function is the chapter's sgd_double_well call (small version), its check run the same call shortened
    Ts = np.array([0.05, 0.2])
    res = L.double_well_equilibrium(temperatures=Ts, eta=0.01, n_per_T=3, n_steps=900, burn_in=100,
                                           check_steps=300, seed=4)
    sg = np.repeat(np.sqrt(2 * Ts / 0.01), 3)
    for n, got in ((900, res), (300, res["check"])):
        ref = L.sgd_double_well(eta=0.01, sigma_g=sg, n_seeds=6, n_steps=n, burn_in=100,
                                       theta0=L.double_well_barrier(), seed=4)
        assert all(np.array_equal(ref[k], got[k]) for k in ("theta", "wide_time_fraction", "transitions"))


def test_stored_double_well_anneals_are_the_chapters_runs_and_reproduce():
    """book/ising/09_learning loads its anneals and narrow-well starts (learning_double_well_anneals)."""
    from utacbook import stored
    rec = stored.load("learning_double_well_anneals")
    assert rec.provenance["function"] == "utacbook.studies.ising.learning:double_well_anneals"
    assert rec.provenance["params"] == {"T_hot": 0.3, "eta": 0.005, "eta_cold": 1e-4,
                                        "anneal_steps": [300, 3000, 30000],
                                        "n_seeds": 256, "start_seed": [22, 1], "seed": 22, "T0": 0.05,
                                        "etas_narrow": [0.005, 0.25], "seed_narrow": 23}
    assert [len(x) for x in rec["anneal_wide"] + rec["narrow_wide"]] == [256] * 5
    assert L.spot_check_double_well_anneals(rec) == {"anneal_steps": 300, "narrow_eta": 0.25, "identical": True}
    # small version against the direct calls
    res = L.double_well_anneals(anneal_steps=(50, 80), n_seeds=5, etas_narrow=(0.25,))
    theta_hot = L.sample_double_well_boltzmann(0.3, 5, seed=[22, 1])
    for n, got in zip((50, 80), res["anneal_wide"]):
        ref = L.sgd_double_well(eta=L.schedule("exponential", n, peak=0.005, final=1e-4),
                                sigma_g=np.sqrt(2 * 0.3 / 0.005), n_steps=n, n_seeds=5, theta0=theta_hot, seed=22)
        assert np.array_equal(ref["wide"], got)
    ref = L.sgd_double_well(eta=0.25, sigma_g=np.sqrt(2 * 0.05 / 0.25), n_steps=400, n_seeds=5,
                            theta0=L.DOUBLE_WELL["narrow"][1], seed=23)
    assert np.array_equal(ref["wide"], res["narrow_wide"][0])
