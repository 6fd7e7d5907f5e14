"""Tests of utacbook.studies.rg.quickstart: the sweeps study.

Statistical tolerances come from the replica standard errors of the quantity
tested (4 s.e.m.), never from values the code happened to print.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import utacbook as ub
from utacbook.theory import _mean_field as theory
from utacbook.studies.rg import quickstart

# small, fast settings shared by the tests
SMALL = dict(R_min=-2.0, R_max=2.0, n_points=9, n_steps=10, n_replicas=3, seed=11)


def small_base(**kw):
    return ub.ABMParams(J=kw.pop("J", 0.8), T=kw.pop("T", 0.3), lattice_size=kw.pop("L", 8), **kw)


# --------------------------------------------------------------------------- equilibration


def test_convergence_sweep_on_known_traces():
    t = np.arange(1, 101)
    tau, A, tol = 7.0, 0.4, 1e-3
    trace = 0.25 + A * np.exp(-t / tau)
    expected = math.ceil(tau * math.log(A / tol))   # first t with A e^(-t/tau) <= tol
    assert quickstart.convergence_sweep(trace, 0.25, tol) == expected
    spike = np.full(100, 0.5)
    spike[40] += 0.1                                 # sweep 41 leaves the band
    assert quickstart.convergence_sweep(spike, 0.5, 0.01) == 42
    assert quickstart.convergence_sweep(spike, 0.5, 0.2) == 1
    assert quickstart.convergence_sweep(np.ones(10), 0.0, 0.5) == 11
    with pytest.raises(ValueError, match="tol"):
        quickstart.convergence_sweep(spike, 0.5, -1.0)


def test_equilibration_study_at_zero_coupling_settles_to_the_exact_mean():
    """At J = 0 a site forgets its start at its first update, so after ~ln(N)
    sweeps the mean is g(h/T); the final value must match it within 4 s.e.m."""
    h = np.array([-0.3, 0.0, 0.4])
    T, n_rep, tail = 0.25, 6, 30
    st = quickstart.equilibration_study(0.0, T, h, lattice_size=32, n_steps=60, n_replicas=n_rep,
                                seed=7, tail=tail)
    assert st["mean"].shape == (3, 60) and st["sem"].shape == (3, 60)
    assert list(st["sweeps"][:2]) == [1, 2] and st["seed"] == 7
    exact = theory.single_site_response(h, T)
    # error of the final value: the tail average of the replica-mean trace;
    # its s.e.m. is at most the per-sweep s.e.m. (tail averaging only helps)
    assert np.all(np.abs(st["final"] - exact) < 4 * st["sem"][:, -tail:].mean(axis=1))
    assert np.all(st["settled"]) and np.all(st["converged_at"] <= 20)
    # the h = 0 start (uniform, mean 1/2) is already the stationary mean
    assert st["converged_at"][1] <= 3


def test_equilibration_study_validates_its_arguments():
    with pytest.raises(ValueError, match="tail"):
        quickstart.equilibration_study(0.8, 0.2, [0.0], n_steps=10, tail=10)
    with pytest.raises(ValueError, match="T must be > 0"):
        quickstart.equilibration_study(0.8, 0.0, [0.0])
    with pytest.raises(ValueError, match="n_replicas"):
        quickstart.equilibration_study(0.8, 0.2, [0.0], n_replicas=1)
    with pytest.raises(ValueError, match="h_values"):
        quickstart.equilibration_study(0.8, 0.2, [np.nan])


# --------------------------------------------------------------------------- sweeps study (issue 11)


def test_scan_points_next_to_midpoint():
    np.testing.assert_allclose(quickstart.scan_points_next_to_midpoint(0.8), [-0.5, -1 / 3])
    np.testing.assert_allclose(quickstart.scan_points_next_to_midpoint(0.15), [-1 / 6, 0.0], atol=1e-12)
    np.testing.assert_allclose(quickstart.scan_points_next_to_midpoint(1.0), [-0.5])       # on the grid
    np.testing.assert_allclose(quickstart.scan_points_next_to_midpoint(5.0), [-2.0])       # off the grid
    with pytest.raises(ValueError, match="n_points"):
        quickstart.scan_points_next_to_midpoint(0.8, n_points=2)


def test_sweeps_study_at_zero_coupling_relaxes_to_the_exact_values():
    """At J = 0 the long-run replica mean of sigma-bar is g(h/T) exactly, and q has the
    exact mean (g - 1/2)^2 + Var(sigma)/N; both within 4 standard errors.  The spot check
    reproduces the stored traces exactly, and a condition near K_c is added on request."""
    from utacbook.studies.rg.coarse_graining import single_site_variance
    T, L = 0.25, 16
    st = quickstart.sweeps_study(systems={"free": {"J": 0.0, "T": T}}, K_near=5.5, lattice_size=L,
                         n_sweeps=120, tail=60, n_replicas=8, check_sweeps=(5, 20, 50),
                         n_stored=30, seed=4)
    free, near = st["conditions"]
    assert near["K"] == pytest.approx(5.5) and near["h"].tolist() == [-0.5]
    assert free["h"].tolist() == [0.0]                         # J = 0: -J/2 = 0 is a grid point
    h = free["h"][0]
    g = float(theory.single_site_response(h, T))
    var = float(single_site_variance(h, T))
    r_sig, r_q = free["points"][0]["sigma"], free["points"][0]["q"]
    assert abs(r_sig["final"] - g) <= 4 * r_sig["final_err"]
    assert abs(r_q["final"] - ((g - 0.5) ** 2 + var / L ** 2)) <= 4 * r_q["final_err"]
    assert r_q["final_err"] > 0
    # independent agents forget the start after a few sweeps: within 4 s.e. from sweep 20 on
    assert np.all(np.abs(r_sig["z"][1:]) < 4) and np.all(np.abs(r_q["z"][1:]) < 4)
    assert quickstart.first_within(free, st["check_sweeps"], n_sigma=4) in (5, 20)
    assert r_sig["tau_int"] < 2
    w = quickstart.worst_deviation(free, st["check_sweeps"], 20)
    assert w["observable"] in ("sigma", "q") and abs(w["z"]) < 4
    with pytest.raises(ValueError, match="check sweeps"):
        quickstart.worst_deviation(free, st["check_sweeps"], 7)
    for c in (0, "K = 5.5 (near K_c)"):
        chk = quickstart.sweeps_spot_check(st, c, n_check=40)
        assert chk["max_abs_diff"] == 0.0 and chk["n_compared"] > 5
    with pytest.raises(ValueError, match="condition"):
        quickstart.sweeps_spot_check(st, "nope")


def test_first_within_and_worst_deviation_on_a_made_up_condition():
    checks = [10, 100, 1000]
    cond = {"points": [{"h": -0.5, "sigma": {"z": [5.0, 2.0, -3.5], "dev": [1, 2, 3], "dev_err": [1, 1, 1]},
                        "q": {"z": [-9.0, -1.0, 0.5], "dev": [4, 5, 6], "dev_err": [1, 1, 1]}}]}
    assert quickstart.first_within(cond, checks) == 100               # first entry, not "stays"
    assert quickstart.first_within(cond, checks, n_sigma=1.5) is None
    w = quickstart.worst_deviation(cond, checks, 10)
    assert (w["observable"], w["z"], w["dev"]) == ("q", -9.0, 4.0)


def test_worst_deviation_from_scans_the_stored_sweeps_in_range():
    """z = (mean - final) / sqrt(sem^2 + final_err^2) at every stored sweep in [start, stop];
    the largest |z| over points and observables is returned with where it occurred."""
    sweeps = [1, 10, 100, 1000, 5000]
    pt = {"h": -0.5,
          "sigma": {"mean": [0.9, 0.5, 0.56, 0.46, 0.5], "sem": [0.01, 0.01, 0.03, 0.03, 0.03],
                    "final": 0.5, "final_err": 0.04},
          "q": {"mean": [0.0, 0.0, 0.01, 0.01, 0.01], "sem": [0.0, 0.0, 0.0, 0.0, 0.0],
                "final": 0.01, "final_err": 0.002}}
    cond = {"points": [pt]}
    w = quickstart.worst_deviation_from(cond, sweeps, 1)                 # sweep 1: (0.9-0.5)/hypot(0.01, 0.04)
    assert (w["sweep"], w["observable"]) == (1, "sigma")
    assert w["z"] == pytest.approx(0.4 / math.hypot(0.01, 0.04))
    w = quickstart.worst_deviation_from(cond, sweeps, 100)               # 0.06/0.05 at 100 beats -0.04/0.05
    assert (w["sweep"], w["observable"], w["n_sweeps"]) == (100, "sigma", 3)
    assert w["z"] == pytest.approx(1.2) and w["dev_err"] == pytest.approx(0.05)
    w = quickstart.worst_deviation_from(cond, sweeps, 100, stop=100)
    assert w["n_sweeps"] == 1
    w = quickstart.worst_deviation_from(cond, sweeps, 2, stop=10)        # q at sweep 10: -0.01/0.002
    assert (w["sweep"], w["observable"]) == (10, "q") and w["z"] == pytest.approx(-5.0)
    with pytest.raises(ValueError, match="no stored sweep"):
        quickstart.worst_deviation_from(cond, sweeps, 6000)


def test_sweeps_study_validates_and_plots():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    with pytest.raises(ValueError, match="check_sweeps"):
        quickstart.sweeps_study(systems={"a": {"J": 0.0, "T": 0.3}}, n_sweeps=50, tail=20, check_sweeps=(40,))
    with pytest.raises(ValueError, match="tail"):
        quickstart.sweeps_study(systems={"a": {"J": 0.0, "T": 0.3}}, n_sweeps=50, tail=50)
    st = quickstart.sweeps_study(systems={"a": {"J": 0.4, "T": 0.3}}, lattice_size=8, n_sweeps=40, tail=20,
                         n_replicas=3, check_sweeps=(5, 10), n_stored=10, seed=1)
    ax = quickstart.plot_sweeps_study(st)
    assert len(ax.get_lines()) >= 2
    plt.close(ax.figure)
