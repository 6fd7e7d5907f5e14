"""Tests of utacbook.beta_grid and of the mean-field additions to utacbook.theory.

Statistical tolerances are 4 standard errors of the replica mean; exact
identities (mean field against mean field) are checked to rounding error.
"""

from __future__ import annotations

import numpy as np
import pytest

import utacbook as ub
from utacbook.studies.rg import mean_field as bg
from utacbook.theory import _mean_field as th
from utacbook.stats import extract_emergent_beta

SMALL = dict(lattice_size=8, n_steps=3, n_replicas=2, n_points=5)


# --------------------------------------------------------------------------- physics


def test_J0_row_matches_the_exact_single_site_fit():
    """At J = 0 agents are independent and E[sigma-bar] = g(h/T) exactly.

    So the simulated fitted beta must agree with the logistic fitted to the
    exact curve, within 4 s.e.m.; the mean-field numbers must equal it exactly.
    """
    T_values = [0.15, 0.5]
    res = bg.beta_grid([0.0, 0.4], T_values, lattice_size=32, n_steps=30, n_replicas=8,
                       seed=11)
    R = res["R"]
    for b, T in enumerate(T_values):
        exact = extract_emergent_beta(R, th.single_site_response(R, T))[0]
        mean, sem = res["beta_mean"][0, b], res["beta_sem"][0, b]
        assert np.isfinite(sem) and 0 < 4 * sem < 0.05 * exact  # the test has teeth
        assert abs(mean - exact) <= 4 * sem, (T, mean, sem, exact)
        assert res["beta_mf_fit"][0, b] == pytest.approx(exact, rel=1e-8)
        assert res["beta_mf_slope"][0, b] == pytest.approx(4 * th.GPRIME0 / T, rel=1e-12)
        # the J = 0.4 row is steeper than the J = 0 row (coupling on axis 0)
        assert res["beta_mean"][1, b] > res["beta_mean"][0, b] + 4 * np.hypot(
            res["beta_sem"][1, b], sem)


def test_response_is_point_symmetric_about_minus_half_J():
    """sigma -> 1 - sigma, h -> -J - h is an exact symmetry of the lattice model.

    So sigma(-J/2 - d) + sigma(-J/2 + d) - 1 has mean zero, at any coupling
    (here below and above the mean-field threshold).
    """
    res = bg.midpoint_slope([0.6, 1.0], [0.3, 0.15], lattice_size=32, n_replicas=10, seed=5)
    s = res["sigma"].sum(axis=-1) - 1.0                   # (n_rep, 2 systems, 2 deltas)
    sem = s.std(axis=0, ddof=1) / np.sqrt(s.shape[0])
    assert np.all(np.abs(s.mean(axis=0)) <= 4 * sem)
    # and the pair is not trivially symmetric: the two sides differ a lot
    assert np.all(res["sigma"][..., 1].mean(axis=0) - res["sigma"][..., 0].mean(axis=0) > 0.05)
    # fitted midpoints are on the J axis (orientation check of thetas)
    fit = bg.beta_systems([0.0, 0.6], 0.3, lattice_size=16, n_replicas=3, seed=5)
    assert abs(fit["theta_mean"][0]) < 0.05 and abs(fit["theta_mean"][1] + 0.3) < 0.05


def test_midpoint_slope_at_J0_matches_the_exact_central_difference():
    T, c = 0.3, np.array([0.1, 0.2])
    res = bg.midpoint_slope(0.0, T, rel_deltas=c, lattice_size=64, n_steps=30,
                            n_replicas=12, seed=3)
    exact = 4 * (th.single_site_response(c * T, T) - th.single_site_response(-c * T, T)) / (
        2 * c * T)
    for k in range(c.size):
        sem = res["beta_slope_sem"][k]
        assert 0 < 4 * sem < 0.2 * exact[k]
        assert abs(res["beta_slope_mean"][k] - exact[k]) <= 4 * sem
    # smooth response: the two deltas agree (step_ratio near 1, not near 2)
    assert abs(res["step_ratio"] - 1) < 0.5


def _root_search_response(h_values, J, T):
    """Independent reference for the scan protocol's mean field (m0 = 1/2).

    All fixed points by bracketing + brentq (theory.mean_field_fixed_points); from
    m0 = 1/2 the iteration moves in the direction of F(1/2) = g((J/2 + h)/T) - 1/2
    and stops at the first stable fixed point on that side.
    """
    out = []
    for h in np.atleast_1d(h_values):
        roots, stable = th.mean_field_fixed_points(J, h, T)
        rs = roots[stable]
        F = th.logistic_normal_mean((0.5 * J + h) / T) - 0.5
        out.append(rs[rs >= 0.5].min() if F > 0 else rs[rs <= 0.5].max() if F < 0 else 0.5)
    return np.array(out)


@pytest.mark.parametrize("J,T", [(0.0, 0.2), (0.4, 0.2), (0.8, 0.3), (0.8, 0.19), (0.15, 0.11)])
def test_mean_field_beta_is_four_times_the_slope_of_the_response(J, T):
    eps = 1e-4
    h = np.array([-J / 2 - eps, -J / 2 + eps])
    m = ub.mean_field_response(h, J, T)
    fd = 4 * (m[1] - m[0]) / (2 * eps)
    res = bg.beta_systems(J, T, **SMALL, seed=0)
    assert float(res["beta_mf_slope"]) == pytest.approx(fd, rel=1e-5)
    mid = bg.midpoint_slope(J, T, lattice_size=4, n_steps=1, n_replicas=2, seed=0)
    assert float(mid["beta_mf_slope"]) == pytest.approx(fd, rel=1e-5)
    assert th.mean_field_beta_scaled(J / T) / T == pytest.approx(fd, rel=1e-5)


@pytest.mark.parametrize("J,T,grid", [(0.8, 0.19, (-2, 2, 25)), (0.98, 0.053, (-2, 2, 25)),
                                      (0.6, 0.15, (-1.5, 1.0, 17)), (0.0, 0.5, (-2, 2, 25))])
def test_mean_field_fit_equals_theory_emergent_beta(J, T, grid):
    """The vectorised mean-field curve and fit equal utacbook.theory's, bistable or not."""
    R_min, R_max, n = grid
    res = bg.beta_systems(J, T, lattice_size=4, n_steps=1, n_replicas=2, R_min=R_min,
                          R_max=R_max, n_points=n, seed=0)
    R = np.linspace(R_min, R_max, n)
    np.testing.assert_allclose(res["mf_curve"], _root_search_response(R, J, T), atol=1e-12)
    ref = th.mean_field_emergent_beta(J, T, R_min=R_min, R_max=R_max, n_points=n)[0]
    assert float(res["beta_mf_fit"]) == pytest.approx(ref, rel=1e-7, nan_ok=True)


def test_mean_field_scan_response_agrees_near_the_midpoint_and_is_point_symmetric():
    for J, T in [(0.8, 0.19), (1.2, 0.2), (0.3, 0.4)]:
        h = -J / 2 + np.linspace(-0.05, 0.05, 20)  # no point exactly at the jump
        m = th.mean_field_scan_response(h, J, T)
        np.testing.assert_allclose(m, _root_search_response(h, J, T), atol=1e-12)
        np.testing.assert_allclose(ub.mean_field_response(h, J, T), m, atol=0)  # the fast path
        np.testing.assert_allclose(m + m[::-1], 1.0, atol=1e-12)
    # a genuine jump in the bistable case
    m = th.mean_field_scan_response([-0.5 - 1e-9, -0.5 + 1e-9], 1.0, 0.15)
    assert m[1] - m[0] > 0.5


def test_probit_approximation_is_close_but_not_exact():
    x = np.linspace(-8, 8, 401)
    diff = np.abs(th.probit_approximation(x) - th.logistic_normal_mean(x))
    assert diff.max() < 6e-3
    assert diff.max() > 1e-3
    assert th.probit_approximation(0.0) == 0.5


def test_mean_field_beta_scaled_diverges_at_the_threshold():
    Kc = th.critical_coupling_ratio()
    assert th.mean_field_beta_scaled(0.0) == pytest.approx(4 * th.GPRIME0)
    assert np.isinf(th.mean_field_beta_scaled(Kc * 1.0001))
    assert th.mean_field_beta_scaled(Kc * 0.999) > 100


# --------------------------------------------------------------------------- machinery


def test_shapes():
    res = bg.beta_grid([0.0, 0.3, 0.6], [0.2, 0.4], **SMALL, seed=1)
    S = (3, 2)
    for key in ("J", "T", "J_over_T", "beta_mf_slope", "beta_mf_fit", "mf_grid_limited",
                "beta_mean", "beta_std", "beta_sem", "n_ok", "theta_mean", "r2_mean",
                "grid_limited_any"):
        assert res[key].shape == S, key
    for key in ("betas", "thetas", "r2", "grid_limited"):
        assert res[key].shape == (2,) + S, key
    assert res["sigma"].shape == (2,) + S + (5,)
    assert res["mf_curve"].shape == S + (5,)
    np.testing.assert_array_equal(res["J"][:, 0], [0.0, 0.3, 0.6])
    np.testing.assert_array_equal(res["T"][0], [0.2, 0.4])
    one = bg.beta_systems(0.5, 0.2, **SMALL, seed=1)
    assert one["beta_mean"].shape == () and one["betas"].shape == (2,)
    mid = bg.midpoint_slope([0.0, 0.2, 0.4], 0.3, rel_deltas=(0.05, 0.1, 0.2),
                            lattice_size=4, n_steps=1, n_replicas=3)
    assert mid["beta_slope"].shape == (3, 3, 3)
    assert mid["beta_slope_mean"].shape == (3, 3)
    assert mid["step_ratio"].shape == (3,)
    assert mid["sigma"].shape == (3, 3, 3, 2)


def test_seed_reproduces_and_everything_runs_in_one_scan_field_call():
    kw = dict(lattice_size=8, n_steps=5, n_replicas=3, n_points=6)
    a = bg.beta_grid([0.0, 0.5], [0.2, 0.3, 0.5], **kw, seed=42)
    b = bg.beta_grid([0.0, 0.5], [0.2, 0.3, 0.5], **kw, seed=42)
    c = bg.beta_grid([0.0, 0.5], [0.2, 0.3, 0.5], **kw, seed=43)
    np.testing.assert_array_equal(a["sigma"], b["sigma"])
    np.testing.assert_array_equal(a["betas"], b["betas"])
    assert a["seed"] == 42
    assert not np.array_equal(a["sigma"], c["sigma"])
    # identical to one scan_field call over (replica, J, T, R)
    J, T = np.array([0.0, 0.5]), np.array([0.2, 0.3, 0.5])
    ref = ub.scan_field(J[:, None, None], T[None, :, None], np.linspace(-2, 2, 6),
                        lattice_size=8, n_steps=5, n_replicas=3, seed=42)
    np.testing.assert_array_equal(a["sigma"], ref["sigma"])
    m1 = bg.midpoint_slope([0.2, 0.4], 0.3, lattice_size=8, n_steps=5, n_replicas=3, seed=9)
    m2 = bg.midpoint_slope([0.2, 0.4], 0.3, lattice_size=8, n_steps=5, n_replicas=3, seed=9)
    np.testing.assert_array_equal(m1["beta_slope"], m2["beta_slope"])


@pytest.mark.parametrize("kwargs,name", [
    (dict(J_values=[0.2], T_values=[0.2, 0.0]), "T_values"),
    (dict(J_values=[-0.1, 0.2], T_values=[0.2]), "J_values"),
    (dict(J_values=[], T_values=[0.2]), "J_values"),
    (dict(J_values=[[0.2]], T_values=[0.2]), "J_values"),
    (dict(J_values=[0.2], T_values=[float("nan")]), "T_values"),
    (dict(J_values=[0.2], T_values=[0.2], n_replicas=1), "n_replicas"),
    (dict(J_values=[0.2], T_values=[0.2], R_min=2.0, R_max=-2.0), "R_min"),
    (dict(J_values=[0.2], T_values=[0.2], n_points=2), "n_points"),
    (dict(J_values=[0.2], T_values=[0.2], lattice_size=1), "lattice_size"),
    (dict(J_values=[0.2], T_values=[0.2], n_steps=0), "n_steps"),
    (dict(J_values=[0.2], T_values=[0.2], update="parallel"), "update"),
])
def test_beta_grid_rejects_bad_input_naming_the_parameter(kwargs, name):
    with pytest.raises(ValueError, match=name):
        bg.beta_grid(**kwargs)


@pytest.mark.parametrize("call,name", [
    (lambda: bg.beta_systems([0.2, 0.3], [0.1, 0.2, 0.3]), "J and T"),
    (lambda: bg.beta_systems(0.2, -0.1), "T"),
    (lambda: bg.midpoint_slope(0.2, 0.2, rel_deltas=[0.1, 0.0]), "rel_deltas"),
    (lambda: bg.midpoint_slope(-0.2, 0.2), "J"),
    (lambda: bg.midpoint_slope(0.2, 0.2, n_replicas=1), "n_replicas"),
    (lambda: th.mean_field_scan_response([0.0], -1.0, 0.2), "J"),
    (lambda: th.mean_field_scan_response([0.0], 1.0, 0.0), "T"),
    (lambda: th.mean_field_beta_scaled(float("inf")), "ratio"),
    (lambda: bg.plot_beta_comparison({}, reference="guide"), "reference"),
])
def test_other_functions_reject_bad_input(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def _fake_grid(beta, sem, limited=None):
    beta, sem = np.asarray(beta, float), np.asarray(sem, float)
    J = np.array([0.2, 0.4])[:, None] * np.ones_like(beta)
    T = np.array([0.1, 0.2])[None, :] * np.ones_like(beta)
    lim = np.zeros(beta.shape, bool) if limited is None else np.asarray(limited)
    return {"J": J, "T": T, "J_over_T": J / T, "beta_mean": beta, "beta_sem": sem,
            "beta_std": sem * 2, "grid_limited_any": lim, "grid_limited": lim[None],
            "beta_mf_slope": np.array([[14.0, 5.2], [np.inf, 7.0]]),
            "beta_mf_fit": np.array([[13.0, 5.1], [22.0, 6.4]]),
            "mf_grid_limited": np.zeros(beta.shape, bool), "r2_mean": np.ones(beta.shape)}


def test_derivative_signs_counts_significant_changes():
    r = _fake_grid([[12.0, 5.0], [22.0, 6.0]], [[0.1, 0.1], [0.1, 0.1]])
    s = bg.derivative_signs(r)
    assert (s["J"]["up"], s["J"]["down"], s["J"]["not_significant"]) == (2, 0, 0)
    assert (s["T"]["up"], s["T"]["down"], s["T"]["not_significant"]) == (0, 2, 0)
    r = _fake_grid([[12.0, 5.0], [12.2, 6.0]], [[0.1, 0.1], [0.1, 0.1]],
                   limited=[[False, False], [True, False]])
    s = bg.derivative_signs(r)
    assert s["J"]["grid_limited"] == 1 and s["J"]["up"] == 1
    assert s["T"]["grid_limited"] == 1 and s["T"]["down"] == 1
    r = _fake_grid([[12.0, 11.9], [12.1, 12.0]], [[0.5, 0.5], [0.5, 0.5]])
    assert bg.derivative_signs(r)["J"]["not_significant"] == 2
    with pytest.raises(ValueError, match="beta_grid"):
        bg.derivative_signs({**r, "beta_mean": np.ones(3), "beta_sem": np.ones(3),
                             "grid_limited_any": np.zeros(3, bool)})


def test_ratio_families_groups_equal_J_over_T():
    r = {"J_over_T": np.array([[2.0, 1.0], [4.0, 2.0], [0.0, 0.0]])}
    fam = bg.ratio_families(r)
    assert [k for k, _ in fam] == [2.0]
    np.testing.assert_array_equal(fam[0][1][0], [0, 1])
    assert [k for k, _ in bg.ratio_families(r, min_size=1)] == [1.0, 2.0, 4.0]


def test_grid_table_rows_and_infinite_mean_field():
    r = _fake_grid([[12.0, 5.0], [22.0, 6.0]], [[0.1, 0.1], [0.1, 0.1]])
    text = bg.grid_table(r, display=False, names=["a", "b", "c", "d"])
    lines = text.splitlines()
    assert len(lines) == 2 + 4
    assert lines[4].split("|")[5].strip() == "∞"  # (J=0.4, T=0.1): bistable mean field
    with pytest.raises(ValueError, match="names"):
        bg.grid_table(r, display=False, names=["a"])


def test_plots_draw_the_data_on_log_axes():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    r = _fake_grid([[12.0, 5.0], [22.0, 6.0]], [[0.1, 0.1], [0.1, 0.1]])
    ax = bg.plot_beta_comparison(r, reference="mf_slope")
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    data = [line for line in ax.lines if line.get_marker() in ("o", "<", ">")]
    ys = sorted(float(y) for line in data for y in line.get_ydata())
    assert ys == sorted([12.0, 5.0, 22.0, 6.0])  # every system, the infinite one at the edge
    xs = [float(x) for line in ax.lines if line.get_marker() == ">" for x in line.get_xdata()]
    assert len(xs) == 1 and xs[0] >= 14.0
    axes = bg.plot_collapse(r["J"], r["T"], r["beta_mean"], r["beta_std"])
    yT = sorted(float(y) for line in axes[1].lines if line.get_marker() == "o"
                for y in line.get_ydata())
    np.testing.assert_allclose(yT, sorted((r["beta_mean"] * r["T"]).ravel()))
    plt.close("all")


def test_plot_midpoint_slope_draws_beta_times_T_at_each_delta():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    mid = bg.midpoint_slope([0.2, 0.4], 0.3, rel_deltas=(0.2, 0.1), lattice_size=8,
                            n_steps=5, n_replicas=3, seed=1)
    ax = bg.plot_midpoint_slope(mid, all_deltas=True)
    data = [line for line in ax.lines if line.get_marker() in ("o", "s")]
    assert len(data) == 2
    # the smallest delta (0.1, index 1) is drawn first, as beta * T
    np.testing.assert_allclose(data[0].get_ydata(), mid["beta_slope_mean"][1] * 0.3)
    np.testing.assert_allclose(data[1].get_ydata(), mid["beta_slope_mean"][0] * 0.3)
    assert ax.get_yscale() == "log"
    plt.close("all")


def test_mean_field_s_curve_is_the_set_of_fixed_points():
    J, T = 0.8, 0.1
    h, m, stable = th.mean_field_s_curve(J, T, n=801)
    # every point solves the self-consistency
    np.testing.assert_allclose(th.logistic_normal_mean((J * m + h) / T), m, atol=1e-12)
    # at the midpoint there are three fixed points, the middle one unstable
    roots, st = ub.mean_field_fixed_points(J, -J / 2, T)
    assert roots.size == 3 and list(st) == [True, False, True]
    k = np.argmin(np.abs(m - 0.5))
    assert not stable[k] and abs(h[k] + J / 2) < 1e-3
    # the unstable part lies between the spinodals
    lo, hi = ub.mean_field_spinodals(J, T)
    assert h[~stable].min() >= lo - 1e-9 and h[~stable].max() <= hi + 1e-9
    # below the threshold every point is stable and h increases along the curve
    h2, _, s2 = th.mean_field_s_curve(0.8, 0.3)
    assert s2.all() and np.all(np.diff(h2) > 0)


def test_midpoint_slope_flags_a_jump_beyond_the_threshold_only():
    # J/T = 0: smooth (step ratio ~ 1); J/T = 8: a jump (step ratio ~ 2 = ratio of deltas)
    res = bg.midpoint_slope([0.0, 0.8], 0.1, rel_deltas=(0.1, 0.2), lattice_size=32,
                            n_replicas=4, seed=8)
    assert list(res["jump"]) == [False, True]
    assert res["step_ratio"][1] > 1.8
    text = bg.grid_table(bg.beta_systems([0.0, 0.8], 0.1, lattice_size=8, n_steps=3,
                                         n_replicas=2), midpoint=res, display=False)
    assert text.count("(jump)") == 1


# --------------------------------------------------------------------------- additions for issue 11


def test_mean_field_secant_is_exact_at_J0_and_tends_to_the_slope():
    """At J = 0 the mean-field response is g(h/T) exactly, so its central difference
    is known in closed form; for small delta it approaches beta_MF (a derivative)."""
    T, c = 0.3, np.array([0.001, 0.1, 0.2])
    res = bg.midpoint_slope([0.0, 0.4], T, rel_deltas=c, lattice_size=4, n_steps=1,
                            n_replicas=2, seed=1)
    exact = 4 * (th.single_site_response(c * T, T) - th.single_site_response(-c * T, T)) / (2 * c * T)
    np.testing.assert_allclose(res["beta_mf_secant"][:, 0], exact, rtol=1e-9)
    assert res["beta_mf_secant"].shape == (3, 2)
    # delta -> 0: the secant becomes the slope beta_MF; larger delta: smaller (the curve bends)
    np.testing.assert_allclose(res["beta_mf_secant"][0], res["beta_mf_slope"], rtol=1e-4)
    assert np.all(np.diff(res["beta_mf_secant"][:, 1]) < 0)



# --------------------------------------------------------------------------- coupling's share (referee, issue 11)


def test_uncoupled_beta_is_the_exact_J0_fit_and_matches_the_simulated_J0_row():
    """beta(0, T) is the logistic fitted to g(h/T) on the grid (mean field is exact at J = 0);
    on a grid scaled with T, beta(0, T) * T does not depend on T (an identity); and the
    simulated J = 0 fit agrees with it within 4 s.e.m."""
    T = np.array([0.15, 0.5])
    b0 = bg.uncoupled_beta(T)
    R = np.linspace(-2, 2, 25)
    for t, b in zip(T, b0):
        assert b == pytest.approx(extract_emergent_beta(R, th.single_site_response(R, t))[0], rel=1e-8)
    assert isinstance(bg.uncoupled_beta(0.3), float)
    scaled = [bg.uncoupled_beta(t, R_min=-2 * t, R_max=2 * t) * t for t in (0.1, 0.3, 0.7)]
    np.testing.assert_allclose(scaled, scaled[0], rtol=1e-6)
    res = bg.beta_systems([0.0, 0.4], [0.3, 0.3], lattice_size=32, n_steps=30, n_replicas=6, seed=5)
    ex = bg.coupling_excess(res)
    np.testing.assert_allclose(ex["beta0"], bg.uncoupled_beta(0.3))
    assert abs(res["beta_mean"][0] - ex["beta0"][0]) <= 4 * res["beta_sem"][0]
    assert abs(ex["share"][0]) <= 4 * res["beta_sem"][0] / ex["beta0"][0]      # J = 0: no share
    # the coupling adds to beta at J/T = 4/3 (significantly), but less than the agents' own beta
    assert res["beta_mean"][1] - ex["beta0"][1] > 4 * res["beta_sem"][1]
    assert ex["excess"][1] < -4 * ex["excess_err"][1]
    with pytest.raises(ValueError, match="T"):
        bg.uncoupled_beta([0.2, 0.0])


def test_coupling_excess_arithmetic_and_share_plot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    T = np.array([0.2, 0.5])
    b0 = bg.uncoupled_beta(T)
    fake = {"T": T, "beta_mean": np.array([3.0, 1.5]) * b0, "beta_sem": np.array([0.1, 0.2]),
            "settings": {"R_min": -2.0, "R_max": 2.0, "n_points": 25}}
    ex = bg.coupling_excess(fake)
    np.testing.assert_allclose(ex["excess"], np.array([1.0, -0.5]) * b0)
    np.testing.assert_allclose(ex["share"], [2 / 3, 1 / 3])
    np.testing.assert_array_equal(ex["excess_err"], [0.1, 0.2])
    ax = bg.plot_coupling_share([0.4, 0.5], T, ex["share"], [0.01, 0.02], open_mask=[False, True])
    assert len(ax.containers) == 2 and any(line.get_ydata()[0] == 0.5 for line in ax.get_lines())
    bg.plot_coupling_share([0.4], [0.2], [0.5], ax=ax, marker="*", color="k", label="six", mean_field=False)
    assert len(ax.containers) == 3
    with pytest.raises(ValueError, match="same size"):
        bg.plot_coupling_share([0.4, 0.5], T, [0.5])
    plt.close(ax.figure)


def _same(a, b):
    assert set(a) == set(b), set(a) ^ set(b)
    for k, x in b.items():
        if isinstance(x, np.ndarray):
            assert a[k].dtype == x.dtype and np.array_equal(a[k], x, equal_nan=True), k
        else:
            assert a[k] == x, k


def test_stored_grid_study_is_the_direct_calls_and_its_spot_check_can_fail(tmp_path):
    """A stored grid_study, analysed on loading, equals beta_grid and midpoint_slope; the re-run detects a change."""
    import json

    import utacbook.stored as st

    kw = dict(J_values=[0.0, 0.5, 1.0], T_values=[0.2, 0.4], lattice_size=8, n_steps=10)
    st.compute("grid_small", "utacbook.studies.rg.mean_field:grid_study", data_dir=tmp_path,
               seed=5, seed_midpoint=6, **kw)
    grid, mid, rec = bg.load_grid_study("grid_small", data_dir=tmp_path)
    direct = bg.beta_grid(kw["J_values"], kw["T_values"], lattice_size=8, n_steps=10, seed=5)
    _same(grid, direct)
    _same(mid, bg.midpoint_slope(direct["J"], direct["T"], lattice_size=8, n_steps=10, seed=6))
    chk = bg.spot_check_grid_study(rec, n_couplings=2)
    assert chk["identical"] and chk["max_abs_diff"] == 0.0
    assert chk["n_runs"] == 2 * 2 * 25 + 2 * 2 * 2 * 2     # replica 0: 2 couplings x 2 T x (25 fields + 2 deltas x 2)
    # a changed stored response is caught
    path = tmp_path / "grid_small.json"
    data = json.loads(path.read_text())
    data["values"]["sigma_grid"][0][1][0][3] += 0.25
    path.write_text(json.dumps(data))
    assert not bg.spot_check_grid_study(st.load("grid_small", data_dir=tmp_path))["identical"]
    with pytest.raises(ValueError, match="n_couplings"):
        bg.spot_check_grid_study(rec, n_couplings=0)


def test_book_grid_is_stored_with_the_chapter_parameters():
    """book/data/rg_mean_field_grid.json: the guide's protocol (L = 64, 25 fields, 100 sweeps), seeds 2025/2027."""
    grid, mid, rec = bg.load_grid_study()
    assert rec["lattice_size"] == 64 and rec["n_steps"] == 100 and rec["update"] == "sequential"
    assert grid["sigma"].shape == (5, 6, 5, 25) and mid["sigma"].shape == (10, 6, 5, 2, 2)
    assert (rec["seed_grid"], rec["seed_midpoint"]) == (2025, 2027)
