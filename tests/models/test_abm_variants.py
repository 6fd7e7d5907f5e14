"""scan_field_extended: exact limits (mean field for all-to-all, independent agents) and argument checks.

Statistical tolerances are 5 standard errors of the quantity tested, with the
standard error computed exactly where it can be (independent agents) or from
replicas.
"""

import numpy as np
import pytest

from utacbook.models import quenched_samples, scan_field_extended
from utacbook.theory import logistic_normal_mean, mean_field_fixed_points, mean_field_response


def test_independent_agents_with_field_and_noise_disorder_match_the_exact_sample_average():
    # J = 0: after >= 1 update each agent is sigmoid((h + dh b_k)/T_k + xi) independently, so given the
    # quenched sample E[sigma_bar] = mean_k g((h + dh b_k)/T_k), and Var <= sum_k m_k (1 - m_k) / N^2.
    L, n_rep, dh, s, T = 24, 4, 0.5, 0.3, 0.4
    h = np.array([-0.6, 0.0, 0.3])
    res = scan_field_extended(0.0, T, h, lattice_size=L, n_steps=25, n_replicas=n_rep, field_disorder=dh,
                              noise_disorder=s, seed=11)
    N = L * L
    for r in range(n_rep):
        _, _, b, c = quenched_samples(res["seed"], r, N)
        m = logistic_normal_mean((h[:, None] + dh * b[None, :]) / (T * np.exp(s * c[None, :])))
        exact = m.mean(axis=1)
        se = np.sqrt((m * (1 - m)).sum(axis=1)) / N
        assert np.all(np.abs(res["sigma"][r] - exact) < 5 * se), (r, res["sigma"][r], exact, se)


def test_all_to_all_matches_mean_field_response_below_the_mean_field_critical_coupling():
    # K = 3 < 1/g'(0) = 4.84: a single mean-field solution; N = 4096 makes the O(1/N) bias ~1e-4,
    # far below the replica error of ~1e-3 tested against.
    J, T = 0.6, 0.2
    h = np.array([-0.7, -0.3, 0.0])
    res = scan_field_extended(J, T, h, lattice_size=64, n_steps=60, n_replicas=6, global_coupling=1.0, seed=5)
    mean = res["sigma"].mean(axis=0)
    se = res["sigma"].std(axis=0, ddof=1) / np.sqrt(6)
    mf = mean_field_response(h, J, T)
    assert np.all(np.abs(mean - mf) < 5 * np.maximum(se, 2e-4)), (mean, mf, se)


def test_all_to_all_is_bistable_above_the_mean_field_critical_coupling():
    # K = 8 at the symmetric field h = -J/2: started at 0 and at 1 the system stays near the two stable
    # mean-field fixed points m- and m+.
    J, T = 1.6, 0.2
    roots, stable = mean_field_fixed_points(J, -J / 2, T)
    lo, hi = roots[stable][0], roots[stable][-1]
    for init, target in ((0.0, lo), (1.0, hi)):
        res = scan_field_extended(J, T, [-J / 2], lattice_size=32, n_steps=40, n_replicas=4, global_coupling=1.0,
                                  initial=init, seed=3)
        sig = res["sigma"][:, 0]
        se = max(sig.std(ddof=1) / 2, 1e-3)
        assert abs(sig.mean() - target) < 5 * se, (init, sig, target)


def test_quenched_samples_are_reproducible_and_differ_between_replicas():
    p0, a0, b0, c0 = quenched_samples(5, 0, 100, n_links=3)
    p0b, a0b, _, _ = quenched_samples(5, 0, 100, n_links=3)
    p1, a1, _, _ = quenched_samples(5, 1, 100, n_links=3)
    np.testing.assert_array_equal(p0, p0b)
    np.testing.assert_array_equal(a0, a0b)
    assert not np.array_equal(a0, a1) and not np.array_equal(p0, p1)
    assert (p0 >= 0).all() and (p0 < 100).all() and (p0 != np.arange(100)[:, None]).all()
    # partners are uniform on the other agents: each agent is chosen ~ n_links times on average
    counts = np.bincount(quenched_samples(1, 0, 400, n_links=50)[0].ravel(), minlength=400)
    assert abs(counts.mean() - 50) < 1e-9 and counts.std() < 3 * np.sqrt(50)


def test_options_are_recorded_in_the_exports():
    res = scan_field_extended(0.8, 0.2, [0.0], lattice_size=8, n_steps=2, long_range=0.4, n_links=2,
                              field_disorder=0.1, initial=0.5, seed=1)
    attrs = res.to_xarray().attrs
    assert attrs["long_range"] == 0.4 and attrs["n_links"] == 2 and attrs["field_disorder"] == 0.1
    assert attrs["initial"] == 0.5 and attrs["function"] == "scan_field_extended"


@pytest.mark.parametrize("kw, exc, words", [
    (dict(long_range=0.7, global_coupling=0.5), ValueError, r"long_range \+ global_coupling"),
    (dict(long_range=-0.1), ValueError, "long_range"),
    (dict(global_coupling=1.5), ValueError, "global_coupling"),
    (dict(long_range=0.5, n_links=0), ValueError, "n_links"),
    (dict(field_disorder=-1.0), ValueError, "field_disorder"),
    (dict(noise_disorder=6.0), ValueError, "noise_disorder"),
    (dict(coupling_disorder=float("nan")), ValueError, "coupling_disorder"),
    (dict(initial="ones"), ValueError, "initial"),
    (dict(initial=1.5), ValueError, "initial"),
    (dict(initial=True), TypeError, "initial"),
    (dict(lattice_size=5000), ValueError, "lattice_size"),
])
def test_bad_arguments_name_the_parameter(kw, exc, words):
    with pytest.raises(exc, match=words):
        scan_field_extended(0.8, 0.2, [0.0], **{"lattice_size": 8, "n_steps": 2, **kw})
