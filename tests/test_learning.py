"""Tests of utacbook.learning: SGD stationary variance against the exact
discrete-time formula, exact second-moment recursion, schedule shapes and
budgets, softmax-temperature limits, the Hopfield network and the AGS theory,
and the double-well Boltzmann check.  Statistical tolerances are 4 sigma,
sigma from independent seeds.
"""

import math

import numpy as np
import pytest

from utacbook import learning as L

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
