"""Tests of utacbook.studies.ising.river_valley: entropic force toy and the domino toys, against exact results."""

import math

import numpy as np
import pytest

from utacbook.studies.ising import river_valley as rv

# ----------------------------------------------------------------------------------------------- Part 1


@pytest.mark.parametrize("a,dt", [(1.0, 0.001), (2.0, 0.005)])
def test_fixed_x_y2_is_T_over_a_for_small_step(a, dt):
    # continuous limit: <y^2> = T/a; the Euler bias a*dt/2 is far below the error at these steps
    T = 0.1
    m, e = rv.fixed_x_y2(T=T, a=a, dt=dt, n_steps=int(10 / (a * dt)), n_replicas=4000, seed=11)
    assert abs(m - T / a) < 4 * e + T / a * a * dt
    assert e < 0.03 * T / a


@pytest.mark.parametrize("adt", [0.3, 0.8, 1.2])
def test_fixed_x_y2_discrete_time_correction(adt):
    T, a = 0.1, 1.0
    m, e = rv.fixed_x_y2(T=T, a=a, dt=adt, n_steps=int(20 / adt) + 50, n_replicas=6000, seed=12)
    exact = rv.euler_y2(T, a, adt)
    assert exact == pytest.approx(T / (a * (1 - adt / 2)))
    assert abs(m - exact) < 4 * e
    # and the continuous value is excluded at these steps
    assert abs(m - T / a) > 4 * e


def test_euler_y2_solves_the_discrete_recursion():
    T, a, dt = 0.3, 1.7, 0.4
    v = rv.euler_y2(T, a, dt)
    assert v == pytest.approx((1 - a * dt) ** 2 * v + 2 * T * dt, rel=1e-14)


def test_drift_in_adiabatic_limit_matches_entropic_force():
    d = rv.drift_velocity(T=0.01, kappa=1.0, a0=2.0, dt=0.002, t_run=4.0, n_replicas=300, seed=13)
    assert d["predicted"] == pytest.approx(-0.005)
    assert abs(d["drift"] - d["predicted"]) < 4 * d["drift_err"] + 0.01 * abs(d["predicted"])
    # the displacement estimates the same expectation (with a larger error)
    assert abs(d["disp"] - d["predicted"]) < 4 * d["disp_err"]


def test_force_on_x_has_one_sign_at_every_step():
    # -dL/dx = -(1/2) kappa a y^2 <= 0 for kappa > 0: the sign of the drift cannot fail, whatever T
    for T in (0.01, 1.0):
        r = rv.langevin(n_replicas=50, n_steps=200, dt=0.005, T=T, a0=1.0, kappa=1.0, seed=21)
        assert np.all(r["drift"] <= 0)


def test_entropic_drift_is_proportional_to_T():
    # adiabatic regime (kappa^2 T / a0 <= 0.02): |drift| = T kappa / 2, so ln|drift| against ln T has slope 1
    ds = [rv.drift_velocity(T=T, kappa=1.0, a0=2.0, dt=0.002, t_run=4.0, n_replicas=300, seed=30 + i)
          for i, T in enumerate((0.01, 0.04))]
    m, e = rv.power_law_slope([d["T"] for d in ds], [d["drift"] for d in ds], [d["drift_err"] for d in ds])
    assert e < 0.05
    assert abs(m - 1.0) < 4 * e + 0.02          # 0.02: first-order deficit kappa^2 T/(4a) at these T


def test_power_law_slope_exact_and_error():
    x = np.array([0.5, 1.0, 2.0, 8.0])
    m, e = rv.power_law_slope(x, 3.0 * x ** 1.5, 0.1 * x ** 1.5)
    assert m == pytest.approx(1.5, abs=1e-12)
    lx = np.log(x)                                  # equal relative errors: ordinary least squares in logs
    assert e == pytest.approx((0.1 / 3.0) / np.sqrt(np.sum((lx - lx.mean()) ** 2)), rel=1e-12)
    m0, _ = rv.power_law_slope(x, -np.ones(4), 0.01 * np.ones(4))
    assert m0 == pytest.approx(0.0, abs=1e-12)


def test_drift_is_zero_without_stiffness_gradient():
    d = rv.drift_velocity(T=0.05, kappa=0.0, a0=1.0, dt=0.01, t_run=2.0, n_replicas=100, seed=14)
    assert d["drift"] == 0.0 and d["predicted"] == 0.0


def test_langevin_seed_reproducible_and_fix_x():
    r1 = rv.langevin(n_replicas=5, n_steps=50, seed=3)
    r2 = rv.langevin(n_replicas=5, n_steps=50, seed=3)
    np.testing.assert_array_equal(r1["x"], r2["x"])
    r3 = rv.langevin(n_replicas=5, n_steps=50, seed=3, fix_x=True, x0=0.5)
    np.testing.assert_array_equal(r3["x"], np.full(5, 0.5))


def test_stationary_density_entropic_shift():
    T, kappa, c = 0.2, 1.0, 0.5
    mu, var = rv.stationary_exact(T, kappa, c)
    assert (mu, var) == pytest.approx((-0.2, 0.4))
    # numerically: the x-marginal of exp(-L/T) integrated over y
    xs = np.linspace(-6, 6, 4001)
    w = np.exp(-kappa * xs / 2 - c * xs ** 2 / (2 * T))
    w /= w.sum()
    assert np.sum(w * xs) == pytest.approx(mu, abs=1e-9)
    r = rv.stationary_run(T=T, kappa=kappa, c=c, a0=1.0, dt=0.004, t_run=16.0, n_replicas=600, seed=15)
    assert abs(r["mean"] - mu) < 4 * r["mean_err"]
    assert abs(r["var"] - var) < 4 * r["var_err"]


@pytest.mark.parametrize("a,B", [(0.5, 1), (4.0, 4)])
def test_minibatch_y2_exact(a, B):
    eta = 0.05
    m, e = rv.minibatch_y2(a=a, eta=eta, batch=B, sigma_r=1.0, n_steps=int(8 / (eta * a)) + 50, n_replicas=3000,
                           seed=16)
    assert abs(m - rv.minibatch_y2_exact(a, eta=eta, batch=B, sigma_r=1.0)) < 4 * e


def test_minibatch_y2_exact_solves_recursion():
    a, eta, B, sr = 2.0, 0.1, 3, 0.7
    v = rv.minibatch_y2_exact(a, eta=eta, batch=B, sigma_r=sr)
    e2 = (1 - eta * a) ** 2 + eta ** 2 * a ** 2 * 2 / B
    assert v == pytest.approx(e2 * v + eta ** 2 * a * sr ** 2 / B, rel=1e-13)


# ----------------------------------------------------------------------------------------------- Part 2


@pytest.mark.parametrize("s,u0", [(3.0, 1e-4), (0.5, 1e-2), (1.0, 0.3)])
def test_saxe_closed_form_solves_its_ode(s, u0):
    t = np.linspace(0.0, 8.0 / s, 200)
    h = 1e-5
    u = rv.saxe_strength(t, s=s, u0=u0)
    du = (rv.saxe_strength(t + h, s=s, u0=u0) - rv.saxe_strength(t - h, s=s, u0=u0)) / (2 * h)
    np.testing.assert_allclose(du, 2 * u * (s - u), rtol=1e-6, atol=1e-9)
    assert u[0] == pytest.approx(u0)
    th = rv.saxe_half_time(s, u0)
    assert float(rv.saxe_strength(th, s=s, u0=u0)) == pytest.approx(s / 2, rel=1e-12)
    assert th == pytest.approx(math.log(s / u0 - 1) / (2 * s))


def test_balanced_network_follows_closed_form():
    s = (3.0, 2.0, 1.0, 0.5)
    r = rv.deep_linear_flow(s=s, hidden=6, t_max=12.0, dt=0.01, balanced_u0=1e-3, seed=3)
    exact = np.stack([rv.saxe_strength(r["t"], s=si, u0=1e-3) for si in s], axis=1)
    np.testing.assert_allclose(r["u"], exact, atol=1e-6)          # RK4 error at dt = 0.01
    th = rv.half_times(r["t"], r["u"], s)
    np.testing.assert_allclose(th, [rv.saxe_half_time(si, 1e-3) for si in s], rtol=1e-3)
    np.testing.assert_allclose(r["u0_eff"], 1e-3, rtol=1e-12)


def test_random_start_learns_modes_in_order():
    r = rv.domino_scan(s=(2.0, 1.0, 0.5), hidden=6, init_scale=0.01, t_max=14.0, dt=0.02, n_seeds=3, seed=5)
    assert r["ordered"].all()
    assert np.all(np.isfinite(r["t_half"]))
    # the nominal prediction uses the mean balanced strength hidden * init^2 / 2
    assert r["u_nominal"] == pytest.approx(6 * 1e-4 / 2)


def test_linear_net_gradient_by_finite_differences():
    rng = np.random.default_rng(0)
    W1, W2, S = rng.standard_normal((4, 3)), rng.standard_normal((2, 4)), rng.standard_normal((2, 3))
    L, g1, g2 = rv.linear_net_loss_grad(W1, W2, S)
    h = 1e-6
    for W, g, which in ((W1, g1, 0), (W2, g2, 1)):
        num = np.zeros_like(W)
        for idx in np.ndindex(W.shape):
            Wp, Wm = W.copy(), W.copy()
            Wp[idx] += h
            Wm[idx] -= h
            args_p = (Wp, W2, S) if which == 0 else (W1, Wp, S)
            args_m = (Wm, W2, S) if which == 0 else (W1, Wm, S)
            num[idx] = (rv.linear_net_loss_grad(*args_p)[0] - rv.linear_net_loss_grad(*args_m)[0]) / (2 * h)
        np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-8)


def test_compositional_b_waits_for_a():
    # composed: B's gradient carries A's output; with s_B = 2 s_A the control learns B first
    comp = rv.compositional_scan(s_a=1.0, s_b=2.0, init_scale=0.01, eta=0.02, n_steps=1000, n_seeds=4, seed=7)
    assert np.all(comp["composed"][:, 1] > comp["composed"][:, 0])
    assert np.all(comp["control"][:, 1] < comp["control"][:, 0])
    assert np.all(comp["delay"] > 0)


def test_compositional_control_depth():
    kw = dict(s_a=1.0, s_b=1.0, init_scale=0.01, eta=0.01, n_steps=2000, composed=False, seed=3)
    r2, r2b = rv.compositional_run(**kw), rv.compositional_run(control_depth=2, **kw)
    np.testing.assert_array_equal(r2["yb"], r2b["yb"])
    # depth three from a product of three weights of size 0.01: the plateau lasts ~ 1/(s * 0.01) = 100 >> 20
    r3 = rv.compositional_run(control_depth=3, **kw)
    assert np.isnan(r3["t_b"]) and np.max(np.abs(r3["yb"])) < 0.01
    # A is the same network in both controls
    np.testing.assert_array_equal(r2["ya"], r3["ya"])
    # the composed B, which reuses A's learned output, is learned within the same run
    rc = rv.compositional_run(**{**kw, "composed": True})
    assert np.isfinite(rc["t_b"]) and rc["t_b"] > rc["t_a"]


def test_half_times_interpolates_and_nan():
    out = rv.half_times([0, 1, 2], np.array([[0.0, 0.0], [0.5, 0.1], [1.0, 0.2]]), [1.0, 1.0])
    assert out[0] == pytest.approx(1.0) and np.isnan(out[1])


# ----------------------------------------------------------------------------------------------- bad inputs


@pytest.mark.parametrize("call,exc,name", [
    (lambda: rv.euler_y2(T=-1.0), ValueError, "T"),
    (lambda: rv.euler_y2(a=1.0, dt=2.5), ValueError, "dt"),
    (lambda: rv.stiffness(0.0, a0=0.0), ValueError, "a0"),
    (lambda: rv.langevin(n_replicas=0), ValueError, "n_replicas"),
    (lambda: rv.langevin(seed=-1), ValueError, "seed"),
    (lambda: rv.langevin(fix_x="yes"), TypeError, "fix_x"),
    (lambda: rv.langevin(a0=10.0, dt=0.5), ValueError, "dt"),
    (lambda: rv.stationary_exact(c=0.0), ValueError, "c"),
    (lambda: rv.minibatch_y2_exact(10.0, eta=0.5, batch=1), ValueError, "eta"),
    (lambda: rv.minibatch_y2(batch=0), ValueError, "batch"),
    (lambda: rv.saxe_half_time(1.0, 0.6), ValueError, "u0"),
    (lambda: rv.saxe_strength(1.0, s="x"), TypeError, "s"),
    (lambda: rv.deep_linear_flow(s=(1.0, -1.0)), ValueError, "s"),
    (lambda: rv.deep_linear_flow(s=(1.0, 0.5), hidden=1), ValueError, "hidden"),
    (lambda: rv.linear_net_loss_grad(np.eye(2), np.eye(3), np.eye(2)), ValueError, "shapes"),
    (lambda: rv.compositional_run(eta=0.0), ValueError, "eta"),
    (lambda: rv.half_times([0, 1], np.zeros((3, 1)), [1.0]), ValueError, "u"),
    (lambda: rv.river_claims(k=0), ValueError, "k"),
    (lambda: rv.power_law_slope([1.0, 1.0], [1.0, 2.0], [0.1, 0.1]), ValueError, "x"),
    (lambda: rv.power_law_slope([1.0, 2.0], [1.0, -2.0], [0.1, 0.1]), ValueError, "y"),
    (lambda: rv.compositional_run(control_depth=4), ValueError, "control_depth"),
])
def test_bad_inputs(call, exc, name):
    with pytest.raises(exc, match=name):
        call()


def test_claims_ids_unique_and_typed():
    cs = rv.river_claims()
    assert len({c.id for c in cs}) == len(cs)
    assert {c.source for c in cs} <= {"essay", "ours"}
    by_id = {c.id: c for c in cs}
    # criteria or conditions chosen after seeing data are stated in the notes
    assert "after" in by_id["ising.river.entropic"].note
    note = by_id["ising.river.compositional"].note
    assert "exploratory" in note and "depth" in note


def test_plot_domino_draws_both_compositional_conditions():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    dom = rv.domino_scan(s=(2.0, 1.0), hidden=4, init_scale=0.01, t_max=8.0, dt=0.02, n_seeds=2, seed=1)
    kw = dict(s_a=1.0, init_scale=0.01, eta=0.02, n_steps=500, seed=5)
    runs = {sb: {name: rv.compositional_run(s_b=sb, composed=c, **kw) for name, c in (("composed", True),
                                                                                         ("control", False))}
            for sb in (1.0, 2.0)}
    fig = rv.plot_domino(dom, None, runs[2.0])
    assert len(fig.axes) == 3
    plt.close(fig)
    fig = rv.plot_domino(dom, None, runs[2.0], comp_runs_first=runs[1.0], first_title="c", comp_title="d")
    assert [ax.get_title() for ax in fig.axes[2:]] == ["c", "d"]
    # panel c carries the first runs, panel d the second: A composed, B composed, A control, B control
    for ax, r in zip(fig.axes[2:], (runs[1.0], runs[2.0])):
        ys = [line.get_ydata() for line in ax.get_lines()]
        expect = [r["composed"]["ya"], r["composed"]["yb"], r["control"]["ya"], r["control"]["yb"]]
        for y, e in zip(ys, expect):
            np.testing.assert_array_equal(y, e)
    plt.close(fig)
