"""Tests of the inverse Ising engine (pseudolikelihood) against exact results.

Samples are drawn exactly from the Boltzmann distribution of small models (all 2**N states enumerated), so
the truth is known; tolerances come from the estimated errors (Šidák-corrected over the parameters) or from
the spread over independent data sets, never from printed values.
"""

import itertools
import warnings

import networkx as nx
import numpy as np
import pytest

import utacbook as ub
from utacbook.stats import (
    ALPHA_CHECK, ALPHA_TEST, InverseIsingResult, fit_ising_plm, integrated_autocorrelation_time,
    pseudo_loglikelihood, select_l2, sidak_k, z_stats,
)


def _states(N):
    return np.array(list(itertools.product([-1, 1], repeat=N)), dtype=np.int8)


def _model(N, seed, *, j_scale=0.4, h_scale=0.3):
    """Random couplings (both signs) and fields, in units of T."""
    rng = np.random.default_rng(seed)
    J = np.triu(rng.normal(0.0, j_scale, (N, N)), 1)
    return J + J.T, rng.normal(0.0, h_scale, N)


def _draw(J, h, M, seed):
    """M independent exact samples of P(s) ∝ exp(sum_{i<j} J_ij s_i s_j + sum_i h_i s_i)."""
    st = _states(len(h))
    s = st.astype(float)
    logp = 0.5 * np.einsum("ki,ij,kj->k", s, J, s) + s @ h
    p = np.exp(logp - logp.max())
    return st[np.random.default_rng(seed).choice(len(st), size=M, p=p / p.sum())]


def _z(r, J, h):
    iu = np.triu_indices(len(h), 1)
    return np.r_[(r.J[iu] - J[iu]) / r.J_err[iu], (r.h - h) / r.h_err]


def _assert_max_z(z):
    """The largest |z| of n deviations, Šidák-corrected, at the book's per-test level ALPHA_TEST."""
    st = z_stats(z)
    assert st["p_max"] > ALPHA_TEST, (st["max_abs_z"], sidak_k(z.size, ALPHA_TEST))


# --------------------------------------------------------------------------- exact samples


def test_consistency_at_large_M_within_corrected_errors():
    J, h = _model(8, seed=11)
    s = _draw(J, h, 200_000, seed=12)
    r = fit_ising_plm(s)
    assert r.converged and r.error_method == "asymptotic"
    z = _z(r, J, h)
    assert z.size == 8 * 9 // 2
    _assert_max_z(z)
    # the estimates are also close in absolute terms: errors ~ M^-1/2
    assert np.max(r.J_err) < 0.02


def test_asymptotic_errors_are_calibrated():
    """The z-scores have mean square 1: mean over 20 independent data sets, error from their spread."""
    J, h = _model(6, seed=21)
    msq = []
    for seed in range(20):
        r = fit_ising_plm(_draw(J, h, 20_000, seed=100 + seed))
        msq.append(np.mean(_z(r, J, h) ** 2))
    msq = np.asarray(msq)
    mean, sem = msq.mean(), msq.std(ddof=1) / np.sqrt(msq.size)
    assert abs(mean - 1.0) < sidak_k(1, ALPHA_CHECK) * sem, (mean, sem)


def test_bootstrap_errors_agree_with_asymptotic():
    J, h = _model(6, seed=31)
    s = _draw(J, h, 5000, seed=32)
    ra = fit_ising_plm(s)
    rb = fit_ising_plm(s, bootstrap=200, seed=5)
    assert rb.error_method == "bootstrap" and rb.n_bootstrap == 200
    np.testing.assert_array_equal(rb.J, ra.J)                  # the estimate itself is not resampled
    iu = np.triu_indices(6, 1)
    ratio = np.r_[rb.J_err[iu] / ra.J_err[iu], rb.h_err / ra.h_err]
    # each bootstrap s.e. has relative sampling error ~ 1/sqrt(2 (B - 1)) = 0.05; the mean ratio less
    assert abs(ratio.mean() - 1.0) < 3 * 0.05, ratio.mean()
    rb2 = fit_ising_plm(s, bootstrap=200, seed=5)
    np.testing.assert_array_equal(rb2.J_err, rb.J_err)        # seeded


def test_error_shrinks_as_inverse_sqrt_M():
    """Mean squared error at M over that at 4M is 4 (RMS error halves), within the spread over seeds."""
    J, h = _model(6, seed=41)
    iu = np.triu_indices(6, 1)
    mse = {}
    for M in (2000, 8000):
        vals = []
        for seed in range(16):
            r = fit_ising_plm(_draw(J, h, M, seed=1000 * M + seed), errors=None)
            vals.append(np.mean(np.r_[r.J[iu] - J[iu], r.h - h] ** 2))
        mse[M] = np.asarray(vals)
    a, b = mse[2000].mean(), mse[8000].mean()
    sa, sb = mse[2000].std(ddof=1) / 4, mse[8000].std(ddof=1) / 4
    R = a / b
    sR = R * np.hypot(sa / a, sb / b)
    assert abs(R - 4.0) < sidak_k(1, ALPHA_CHECK) * sR, (R, sR)
    assert abs(np.sqrt(R) - 2.0) < 0.5


def test_independent_spins():
    """J = 0: the couplings are 0 within errors; the fields are right within errors."""
    N = 6
    h = np.array([0.5, -0.3, 0.0, 0.2, -0.8, 0.1])
    s = _draw(np.zeros((N, N)), h, 50_000, seed=51)
    r = fit_ising_plm(s)
    z = _z(r, np.zeros((N, N)), h)
    _assert_max_z(z)
    assert z_stats(z)["p_chi2"] > ALPHA_TEST


def test_independent_spins_closed_form_when_couplings_are_suppressed():
    """With the couplings held at 0 (a huge penalty; fields are not penalised) the PLM field is the
    closed-form MLE of independent spins, h_i = atanh(<s_i>)."""
    N = 6
    h = np.array([0.5, -0.3, 0.0, 0.2, -0.8, 0.1])
    s = _draw(np.zeros((N, N)), h, 5000, seed=52)
    r = fit_ising_plm(s, l2=1e5, errors=None)
    assert r.converged and r.n_iter >= 1
    assert 0 < np.max(np.abs(r.J)) < 1e-6                     # suppressed (~ correlation / 2 l2), not 0
    np.testing.assert_allclose(r.h, np.arctanh(s.mean(axis=0)), atol=1e-6, rtol=0)


def _two_spin_closed_form(s):
    n = {k: np.sum(np.all(s == np.array(k), axis=1)) for k in [(1, 1), (1, -1), (-1, 1), (-1, -1)]}
    pp, pm, mp, mm = n[(1, 1)], n[(1, -1)], n[(-1, 1)], n[(-1, -1)]
    J = 0.25 * np.log(pp * mm / (pm * mp))
    h1 = 0.25 * np.log(pp * pm / (mp * mm))
    h2 = 0.25 * np.log(pp * mp / (pm * mm))
    return J, np.array([h1, h2])


@pytest.mark.parametrize("Jt,ht", [(0.5, (0.0, 0.0)), (-0.8, (0.3, -0.2)), (1.2, (0.5, 0.4))])
def test_two_spins_exact_mle(Jt, ht):
    """N = 2: three parameters for three free frequencies, so PLM = MLE in closed form: J is a quarter of
    the log odds ratio, h_1, h_2 the log ratios of the marginal-conditional counts."""
    s = _draw(np.array([[0.0, Jt], [Jt, 0.0]]), np.array(ht), 20_000, seed=61)
    r = fit_ising_plm(s, symmetrize=False)
    J, h = _two_spin_closed_form(s)
    assert r.converged
    np.testing.assert_allclose(r.J_asym[0, 1], J, atol=1e-6)
    np.testing.assert_allclose(r.J_asym[1, 0], J, atol=1e-6)   # both node-wise estimates agree
    np.testing.assert_allclose(r.h, h, atol=1e-6)


def test_two_spins_symmetric_data_gives_atanh_correlation():
    """With p(++) = p(--) and p(+-) = p(-+): h = 0 and J = atanh(<s1 s2>) exactly."""
    s = np.array([[1, 1]] * 30 + [[-1, -1]] * 30 + [[1, -1]] * 10 + [[-1, 1]] * 10)
    r = fit_ising_plm(s)
    c = np.mean(s[:, 0] * s[:, 1])
    np.testing.assert_allclose(r.J[0, 1], np.arctanh(c), atol=1e-6)
    np.testing.assert_allclose(r.h, 0.0, atol=1e-6)


def test_l2_shrinks_couplings_monotonically():
    """For a convex loss with penalty λ||J||², ||J(λ)|| is non-increasing in λ (node by node, exactly)."""
    J, h = _model(8, seed=71)
    s = _draw(J, h, 3000, seed=72)
    l2s = [0.0, 1e-4, 1e-3, 1e-2, 1e-1, 1.0]
    norms = [np.linalg.norm(fit_ising_plm(s, l2=lam, errors=None).J_asym) for lam in l2s]
    assert np.all(np.diff(norms) < 1e-6), norms
    assert norms[-1] < 0.5 * norms[0]


def test_select_l2_small_and_large_M():
    """Few samples: shrinkage wins (a positive penalty); many: the chosen penalty is ~0.

    For couplings drawn from N(0, σ²) the Bayes-optimal ridge is λ* ≈ 1/(2 M_train σ²) per sample
    (prior precision 2 λ M): about 0.1 for 225 training samples and 3e-4 for 75 000 with σ = 0.15."""
    J, _ = _model(10, seed=3, j_scale=0.15)
    h = np.zeros(10)
    grid = [0.0, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1]
    small = select_l2(_draw(J, h, 300, seed=81), grid, seed=0, refit=False)
    large = select_l2(_draw(J, h, 100_000, seed=82), grid, seed=0)
    assert small.best_l2 >= 1e-2, small.to_dataframe()
    assert large.best_l2 <= 1e-3, large.to_dataframe()
    # the large-M choice is no better than l2 = 0 by more than its error
    d = large.scores[large.best_index] - large.scores[0]
    assert d < 3 * large.scores_err[0]
    assert isinstance(large.fit, InverseIsingResult) and large.fit.l2 == large.best_l2
    folds = select_l2(_draw(J, h, 300, seed=81), grid, n_folds=4, refit=False)
    assert folds.best_l2 >= 1e-2 and folds.n_folds == 4
    assert "L2Selection(best_l2=" in repr(small)


# --------------------------------------------------------------------------- Monte Carlo samples


def test_monte_carlo_samples_recover_J_over_T():
    """Heat-bath time series of a 20-node graph, thinned: PLM recovers J_ij/T and h_i/T within errors."""
    N, T = 20, 2.5
    g = nx.random_regular_graph(3, N, seed=4)
    rng = np.random.default_rng(9)
    for u, w in g.edges:
        g[u][w]["weight"] = rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 1.5)
    hE = rng.normal(0.0, 0.3, N)
    G = ub.prepare_graph(g)
    thin, M = 4, 6000
    r = ub.simulate_graph(G, T, h=hE[None, :], sweeps=1, burn_in=200, algorithm="heatbath", seed=1)
    state, rows = r.spins, []
    for k in range(M):
        r = ub.simulate_graph(G, T, h=hE[None, :], sweeps=thin, burn_in=0, algorithm="heatbath", init=state,
                              seed=np.random.SeedSequence(7, spawn_key=(k,)))
        state = r.spins
        rows.append(state.copy())
    s = np.asarray(rows)
    # the thinned samples must be (nearly) independent for the errors to hold
    for obs in (s.mean(axis=1), s[:, 0], s[:, np.argmax(np.abs(hE))]):
        assert integrated_autocorrelation_time(obs) < 1.0
    fit = fit_ising_plm(s)
    Jt = np.zeros((N, N))
    for u, w in g.edges:
        Jt[u, w] = Jt[w, u] = g[u][w]["weight"] / T
    z = _z(fit, Jt, hE / T)
    assert z.size == N * (N + 1) // 2
    _assert_max_z(z)
    assert z_stats(z)["p_chi2"] > ALPHA_TEST
    # the edges are found: every true coupling is many errors from 0
    iu = np.triu_indices(N, 1)
    edge = Jt[iu] != 0
    assert np.min(np.abs(fit.J[iu][edge] / fit.J_err[iu][edge])) > 4


# --------------------------------------------------------------------------- API


def test_result_api_and_determinism():
    J, h = _model(5, seed=91)
    s = _draw(J, h, 2000, seed=92)
    r = fit_ising_plm(s)
    r2 = fit_ising_plm(s)
    np.testing.assert_array_equal(r.J, r2.J)
    np.testing.assert_array_equal(r.J_err, r2.J_err)
    assert r.J.shape == (5, 5) and np.all(np.diag(r.J) == 0) and np.allclose(r.J, r.J.T)
    assert repr(r).startswith("InverseIsingResult(N=5, M=2000, l2=0, objective=")
    ds = r.to_xarray()
    assert ds.J.dims == ("i", "j") and ds.h.dims == ("i",) and "J_err" in ds
    assert r.to_dataset().attrs["M"] == 2000
    df = r.to_dataframe()
    assert len(df) == 10 and list(df.columns) == ["i", "j", "J", "J_err"]
    # training pseudolikelihood as reported, and held out on new samples (lower on average)
    pl, sem = r.pseudo_loglik_on(s)
    assert pl == pytest.approx(r.pseudo_loglik, abs=1e-12) and sem > 0
    pl_new, sem_new = r.pseudo_loglik_on(_draw(J, h, 2000, seed=93))
    assert pl_new < 0 and sem_new > 0
    # unsymmetrised estimates: rows from each node's problem
    ra = fit_ising_plm(s, symmetrize=False, errors=None)
    np.testing.assert_allclose(0.5 * (ra.J + ra.J.T), r.J, atol=1e-6)
    assert ra.J_err is None and ra.error_method is None


def test_weights_and_thin_equal_repeated_and_sliced_samples():
    J, h = _model(5, seed=95)
    s = _draw(J, h, 400, seed=96)
    counts = np.random.default_rng(0).integers(1, 4, size=400)
    rw = fit_ising_plm(s, weights=counts)
    rr = fit_ising_plm(np.repeat(s, counts, axis=0))
    np.testing.assert_allclose(rw.J, rr.J, atol=1e-6)
    np.testing.assert_allclose(rw.h, rr.h, atol=1e-6)
    rt = fit_ising_plm(s, thin=3, errors=None)
    rs = fit_ising_plm(s[::3], errors=None)
    np.testing.assert_array_equal(rt.J, rs.J)
    assert rt.M == len(s[::3]) and rt.thin == 3


def test_pseudo_loglikelihood_exact_value():
    """For two spins PL = sum_i log sigma(2 s_i (h_i + J s_j)), checked by hand."""
    s = np.array([[1, 1], [1, -1], [-1, -1]])
    J = np.array([[0.0, 0.4], [0.4, 0.0]])
    h = np.array([0.1, -0.2])

    def ls(x):
        return -np.log1p(np.exp(-x))
    x = [ls(2 * a * (h[0] + 0.4 * b)) + ls(2 * b * (h[1] + 0.4 * a)) for a, b in s]
    pl, sem = pseudo_loglikelihood(s, J, h)
    assert pl == pytest.approx(np.mean(x), abs=1e-12)
    assert sem == pytest.approx(np.std(x) / np.sqrt(3), abs=1e-12)


def test_nonconvergence_warns():
    """Two spins always equal: their coupling's MLE is infinite; l2 = 0 warns, l2 > 0 converges."""
    rng = np.random.default_rng(0)
    s = rng.choice([-1, 1], size=(200, 3))
    s[:, 1] = s[:, 0]
    with pytest.warns(RuntimeWarning, match="separation.*l2 > 0"):
        r = fit_ising_plm(s, errors=None)
    assert not r.converged
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert fit_ising_plm(s, l2=0.01, errors=None).converged


# --------------------------------------------------------------------------- bad input


_GOOD = np.array([[1, -1, 1], [-1, 1, 1], [1, 1, -1], [-1, -1, -1]])


@pytest.mark.parametrize("kwargs,exc,match", [
    ({"samples": np.array([[1, 0, 1], [-1, 1, -1]])}, ValueError, "samples"),
    ({"samples": np.array([[1.0, np.nan], [-1.0, 1.0]])}, ValueError, "samples.*NaN"),
    ({"samples": np.array([1, -1, 1])}, ValueError, "samples must be 2-dimensional"),
    ({"samples": np.array([[1, -1, 1]])}, ValueError, "at least 2 samples"),
    ({"samples": np.array([[1], [-1]])}, ValueError, "at least 2 spins"),
    ({"samples": np.array([[1, 1], [-1, 1], [1, 1]])}, ValueError, r"samples: spin\(s\) \[1\]"),
    ({"samples": np.array([[True, False], [False, True]])}, TypeError, "samples"),
    ({"samples": [["a", "b"], ["c", "d"]]}, TypeError, "samples"),
    ({"l2": -0.1}, ValueError, "l2"),
    ({"l2": "x"}, TypeError, "l2"),
    ({"thin": 0}, ValueError, "thin"),
    ({"thin": 4}, ValueError, "at least 2 samples"),
    ({"weights": [1, 1, 1]}, ValueError, "weights"),
    ({"weights": [1, -1, 1, 1]}, ValueError, "weights"),
    ({"errors": "hessian"}, ValueError, "errors"),
    ({"bootstrap": 1}, ValueError, "bootstrap"),
    ({"bootstrap": 3, "seed": -1}, ValueError, "seed"),
    ({"symmetrize": "yes"}, TypeError, "symmetrize"),
    ({"tol": 0.0}, ValueError, "tol"),
    ({"max_iter": 0}, ValueError, "max_iter"),
])
def test_fit_bad_input(kwargs, exc, match):
    kw = {"samples": _GOOD, **kwargs}
    with pytest.raises(exc, match=match):
        fit_ising_plm(kw.pop("samples"), **kw)


@pytest.mark.parametrize("kwargs,exc,match", [
    ({"l2_values": []}, ValueError, "l2_values"),
    ({"l2_values": [0.1, -1.0]}, ValueError, "l2_values"),
    ({"l2_values": [np.nan]}, ValueError, "l2_values"),
    ({"validation_fraction": 1.0}, ValueError, "validation_fraction"),
    ({"validation_fraction": 0.0}, ValueError, "validation_fraction"),
    ({"n_folds": 1}, ValueError, "n_folds"),
    ({"seed": -1}, ValueError, "seed"),
    ({"refit": "no"}, TypeError, "refit"),
])
def test_select_l2_bad_input(kwargs, exc, match):
    rng = np.random.default_rng(0)
    kw = {"l2_values": [0.0, 0.1], **kwargs}
    with pytest.raises(exc, match=match):
        select_l2(rng.choice([-1, 1], size=(40, 3)), **kw)


@pytest.mark.parametrize("J,h,match", [
    (np.zeros((2, 2)), np.zeros(3), "J must have shape"),
    (np.eye(3), np.zeros(3), "zero diagonal"),
    (np.zeros((3, 3)), np.zeros(2), "h must have shape"),
])
def test_pseudo_loglikelihood_bad_input(J, h, match):
    with pytest.raises(ValueError, match=match):
        pseudo_loglikelihood(_GOOD, J, h)


def test_memory_check(monkeypatch):
    monkeypatch.setenv("UTACBOOK_MEMORY_LIMIT", "1000")
    with pytest.raises(MemoryError, match="fit_ising_plm"):
        fit_ising_plm(_GOOD)
