"""Tests of the representation-convergence study (book/ising/17_representations.ipynb)."""

import math

import numpy as np
import pytest

from utacbook.studies.ising import representations as rp
from utacbook.theory import kaufman_energy


def _orth(p, seed):
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(p, p)))
    return q


# ---------------------------------------------------------------------------------------------------- CKA


def test_cka_identities():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 5)) @ rng.normal(size=(5, 5))
    Y = np.tanh(X[:, :3]) + 0.3 * rng.normal(size=(300, 3))
    assert rp.linear_cka(X, X) == pytest.approx(1.0, abs=1e-12)
    c = rp.linear_cka(X, Y)
    assert 0 < c < 1
    assert rp.linear_cka(Y, X) == pytest.approx(c, abs=1e-12)
    # orthogonal transformations and isotropic scaling of either side, and translations
    assert rp.linear_cka(X @ _orth(5, 1), Y) == pytest.approx(c, abs=1e-12)
    assert rp.linear_cka(X, 7.5 * Y @ _orth(3, 2) + 3.0) == pytest.approx(c, abs=1e-12)
    # not invariant to an anisotropic scaling (a known property of linear CKA)
    assert abs(rp.linear_cka(X * np.array([1, 1, 1, 1, 10.0]), Y) - c) > 1e-3


def test_cka_exact_value_orthogonal_columns():
    # X = [x], Y = [x, z] with z ⟂ x, |z| = |x| (both centred): CKA = a² / (a · a √2) = 1/√2
    rng = np.random.default_rng(3)
    A = rng.normal(size=(50, 2))
    A -= A.mean(0)
    q, _ = np.linalg.qr(A)
    x, z = q[:, 0], q[:, 1]
    assert rp.linear_cka(x, np.c_[x, z]) == pytest.approx(1 / math.sqrt(2), abs=1e-12)
    assert rp.linear_cka(x, z) == pytest.approx(0.0, abs=1e-12)
    assert rp.linear_cka(np.ones((10, 2)), np.arange(10.0)) == 0.0


def test_cka_independent_gaussians_scale_as_sqrt_pq_over_n():
    # E[CKA] ≈ sqrt(pq)/n for independent isotropic Gaussians (n >> p, q); average over draws
    p, q, draws = 4, 4, 60
    for n in (500, 4000):
        rng = np.random.default_rng(n)
        vals = np.array([rp.linear_cka(rng.normal(size=(n, p)), rng.normal(size=(n, q))) for _ in range(draws)])
        ratio = vals * n / math.sqrt(p * q)
        se = ratio.std(ddof=1) / math.sqrt(draws)
        assert abs(ratio.mean() - 1.0) < 4 * se + 0.05, (n, ratio.mean(), se)


def test_bootstrap_and_permutation_null():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(400, 3))
    c, e = rp.bootstrap_cka(X, X, n_boot=30)
    assert c == pytest.approx(1.0) and e < 1e-10
    null = rp.permutation_null(X, X + 0.1 * rng.normal(size=X.shape), n_perm=40, seed=1)
    # shuffled rows: the independent-feature value sqrt(pq)/n = 3/400, within a factor of 3 on average
    assert 0.0025 < null.mean() < 0.0225
    knull = rp.permutation_null(X, X, n_perm=5, metric="knn", k=10, seed=1)
    assert np.all(np.abs(knull - 10 / 399) < 0.02)
    with pytest.raises(ValueError, match="metric"):
        rp.permutation_null(X, X, metric="rbf")


def test_partial_out_and_fraction():
    rng = np.random.default_rng(5)
    z = rng.normal(size=(500, 2))
    X = np.c_[z @ np.array([1.0, -2.0]) + 3, rng.normal(size=500)]
    R = rp.partial_out(X, z)
    assert np.allclose(R.mean(0), 0, atol=1e-12)
    assert np.allclose(z.T @ R, 0, atol=1e-9)
    assert np.allclose(R[:, 0], 0, atol=1e-9)
    # two representations sharing only z: almost nothing remains once z is removed
    Y = np.c_[z[:, 0] - 2 * z[:, 1], rng.normal(size=500)]
    part, f, e = rp.partial_cka_fraction(X, Y, z, n_boot=30)
    assert f < 0.02 and e < 0.02
    assert rp.linear_probe_r2(z, X[:, 0]) == pytest.approx(1.0)


# ---------------------------------------------------------------------------------------------------- mutual k-NN


def test_mutual_knn_identical_and_random():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(300, 5))
    assert rp.mutual_knn(X, X, k=10) == 1.0
    assert rp.mutual_knn(X, X @ _orth(5, 7) * 3 - 1, k=10) == 1.0  # distances preserved up to scale
    n, k = 600, 10
    Y = rng.normal(size=(n, 5))
    Z = rng.normal(size=(n, 5))
    fr = rp.mutual_knn(Y, Z, k=k, per_sample=True)
    assert fr.shape == (n,)
    assert abs(fr.mean() - k / (n - 1)) < 4 * fr.std(ddof=1) / math.sqrt(n)


def test_mutual_knn_bad_input():
    X = np.zeros((10, 2))
    with pytest.raises(ValueError, match="k"):
        rp.mutual_knn(X, X, k=9)
    with pytest.raises(ValueError, match="same number of rows"):
        rp.mutual_knn(X, np.zeros((11, 2)))
    with pytest.raises(TypeError, match="k"):
        rp.mutual_knn(X, X, k=2.5)


# ---------------------------------------------------------------------------------------------------- PCA


def test_pca_recovers_planted_direction():
    rng = np.random.default_rng(8)
    p, n, amp, sig = 20, 2000, 3.0, 1.0
    u = rng.normal(size=p)
    u /= np.linalg.norm(u)
    X = amp * rng.normal(size=(n, 1)) * u + sig * rng.normal(size=(n, p)) + 5.0
    pca = rp.pca_fit(X, n_components=2)
    assert abs(pca["components"][0] @ u) > 0.99
    assert np.allclose(pca["components"] @ pca["components"].T, np.eye(2), atol=1e-12)
    # explained fraction of PC1: (amp² + sig²) / (amp² + p sig²), sampling error a few per cent
    assert pca["explained"][0] == pytest.approx((amp ** 2 + sig ** 2) / (amp ** 2 + p * sig ** 2), rel=0.05)
    S = rp.pca_transform(pca, X)
    assert np.allclose(S.mean(0), 0, atol=1e-10)
    assert S[:, 0].var() == pytest.approx(amp ** 2 + sig ** 2, rel=0.1)


def test_pca_bad_input():
    with pytest.raises(ValueError, match="n_components"):
        rp.pca_fit(np.zeros((5, 3)), n_components=4)
    with pytest.raises(ValueError, match="finite"):
        rp.pca_fit(np.array([[1.0, np.nan], [0.0, 1.0]]), n_components=1)
    with pytest.raises(TypeError, match="pca"):
        rp.pca_transform({"a": 1}, np.zeros((2, 2)))


# ---------------------------------------------------------------------------------------------------- MLP


def test_mlp_gradient_matches_finite_differences():
    rng = np.random.default_rng(9)
    X = rng.normal(size=(12, 5))
    y = (rng.random(12) < 0.5).astype(float)
    p = rp.mlp_init(5, 4, seed=3)
    p["b1"] = rng.normal(size=4)
    p["b2"] = np.asarray(0.3)
    lam = 0.05
    _, g = rp.mlp_loss_grad(p, X, y, weight_decay=lam)
    h = 1e-6
    for key in p:
        flat = p[key].reshape(-1)
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + h
            lp = rp.mlp_loss_grad(p, X, y, weight_decay=lam)[0]
            flat[i] = old - h
            lm = rp.mlp_loss_grad(p, X, y, weight_decay=lam)[0]
            flat[i] = old
            num = (lp - lm) / (2 * h)
            assert g[key].reshape(-1)[i] == pytest.approx(num, abs=1e-7), (key, i)


def test_train_mlp_learns_and_is_seeded():
    rng = np.random.default_rng(10)
    X = rng.normal(size=(400, 3))
    y = (X[:, 0] - X[:, 1] > 0).astype(int)
    a = rp.train_mlp(X, y, width=8, epochs=15, seed=2)
    b = rp.train_mlp(X, y, width=8, epochs=15, seed=2)
    assert a["accuracy"] > 0.97
    assert a["loss"][-1] < 0.5 * a["loss"][0]
    assert np.array_equal(a["params"]["W1"], b["params"]["W1"])
    with pytest.raises(ValueError, match="y"):
        rp.train_mlp(X, np.full(400, 2), width=2)
    with pytest.raises(ValueError, match="lr"):
        rp.train_mlp(X, y, lr=0.0)
    with pytest.raises(ValueError, match="width"):
        rp.mlp_init(3, 0)


# ---------------------------------------------------------------------------------------------------- the world


def test_views_of_configurations():
    rng = np.random.default_rng(11)
    s = np.where(rng.random((3, 6, 6)) < 0.5, -1, 1)
    b = rp.bond_view(s)
    e = -(s * (np.roll(s, 1, 1) + np.roll(s, 1, 2))).mean(axis=(1, 2))
    assert np.allclose(b.mean(1) * 2, -e)
    assert np.array_equal(rp.bond_view(-s), b)
    p = rp.spectrum_view(s)
    assert np.allclose(p[:, 0], 36 * s.mean(axis=(1, 2)) ** 2)
    assert np.allclose(p.sum(1), 36)  # Parseval: sum |ŝ|²/N = sum s² = N
    assert np.allclose(rp.spectrum_view(np.roll(s, 2, axis=1)), p)
    with pytest.raises(ValueError, match="±1"):
        rp.bond_view(np.zeros((1, 4, 4)))
    with pytest.raises(ValueError, match="shape"):
        rp.spectrum_view(np.ones((4, 4)))


def test_world_energy_matches_kaufman():
    # finite-L exact energy on the 8 x 8 torus; errors from blocks of 20 configurations
    T = 2.5
    w = rp.ising_world(L=8, temperatures=(T,), n_per_T=400, seed=3)
    blocks = w["e"].reshape(20, 20).mean(1)
    se = blocks.std(ddof=1) / math.sqrt(20)
    assert abs(blocks.mean() - kaufman_energy(8, T)) < 4 * se
    assert np.all(w["ordered"] == (T < 2.269185314213022))
    w2 = rp.ising_world(L=8, temperatures=(T,), n_per_T=400, seed=3)
    assert np.array_equal(w["spins"], w2["spins"])


def test_world_bad_input():
    with pytest.raises(ValueError, match="temperatures"):
        rp.ising_world(L=8, temperatures=(2.0, -1.0), n_per_T=2)
    with pytest.raises(ValueError, match="L"):
        rp.ising_world(L=2)
    with pytest.raises(TypeError, match="seed"):
        rp.ising_world(L=8, temperatures=(2.0,), n_per_T=2, seed=1.5)
    with pytest.raises(TypeError, match="world"):
        rp.build_representations({"x": 1})


def test_representations_of_a_small_world_see_the_order_parameter():
    # low and high temperature only: PCA of the spins is m, PCA of the bonds is e (exactly linear: mean bond = -e/2)
    w = rp.ising_world(L=8, temperatures=(1.8, 2.3, 3.2), n_per_T=60, seed=4)
    r = rp.build_representations(w, n_train=120, width=8, epochs=10, seed=1)
    assert rp.linear_probe_r2(r["reps"]["PCA spins"], r["order"][:, 0]) > 0.95
    assert rp.linear_probe_r2(r["reps"]["PCA bonds"][:, :1], r["order"][:, 2]) > 0.9
    # a flip-invariant view cannot carry the sign of m
    assert rp.linear_probe_r2(r["reps"]["MLP spectrum"], r["order"][:, 0]) < 0.3


def test_claims():
    import utacbook.claims as uc
    cl = rp.representation_claims(partial_max=0.2, same_way=0.4)
    assert [c.source for c in cl] == ["essay", "ours", "ours", "essay", "essay", "ours"]
    assert isinstance(cl[0].criterion, uc.Bound) and cl[0].criterion.lower == 0.4
    assert isinstance(cl[1].criterion, uc.Effect) and isinstance(cl[3].criterion, uc.Ordering)
    assert cl[-1].criterion.upper == 0.2
    # criteria revised after the data were seen say so in the claim's note
    for c in (cl[0], cl[1], cl[2], cl[4]):
        assert "after the data were seen" in c.note
    assert "pilot run" in cl[-1].note
    # ... and in the "we measure" column that the criteria table shows (the note is not in that table)
    for c in (cl[0], cl[1], cl[2], cl[4]):
        assert "revised after the data" in c.quantity
    assert "pilot run" in cl[-1].quantity and "residuals" in cl[-1].quantity
    with pytest.raises(ValueError, match="alpha"):
        rp.representation_claims(alpha=0.9)
    with pytest.raises(ValueError, match="same_way"):
        rp.representation_claims(same_way=1.5)


def test_pca_both_branches_match_numpy_svd():
    rng = np.random.default_rng(12)
    for n, p in ((30, 20), (300, 20)):  # SVD branch (n <= 2p) and scatter-matrix branch
        X = rng.normal(size=(n, p)) * np.linspace(3, 0.5, p)
        pca = rp.pca_fit(X, n_components=3)
        _, s, Vt = np.linalg.svd(X - X.mean(0), full_matrices=False)
        for i in range(3):
            assert abs(pca["components"][i] @ Vt[i]) == pytest.approx(1.0, abs=1e-9)
        assert np.allclose(pca["explained"], s[:3] ** 2 / np.sum(s ** 2), rtol=1e-9)


def test_world_is_flip_symmetric_in_the_ordered_phase():
    # deep in the ordered phase a few Wolff steps rarely reverse m; the random global flips make the sign of m
    # of the recorded configurations a fair coin, independent from one record to the next
    n = 200
    w = rp.ising_world(L=16, temperatures=(1.6,), n_per_T=n, seed=1)
    sg = np.sign(w["m"])
    assert np.all(sg != 0)
    assert abs(np.mean(sg > 0) - 0.5) < 4 * math.sqrt(0.25 / n)
    assert abs(np.corrcoef(sg[:-1], sg[1:])[0, 1]) < 4 / math.sqrt(n)
    # the flip is an exact symmetry: |m| and e are those of the unflipped chain, configuration by configuration
    w0 = rp.ising_world(L=16, temperatures=(1.6,), n_per_T=n, random_flip=False, seed=1)
    assert np.array_equal(w["abs_m"], w0["abs_m"]) and np.array_equal(w["e"], w0["e"])
    assert np.all(np.abs(w["spins"].astype(int)) == 1)
    assert np.array_equal(w["spins"] * np.sign(w["m"])[:, None, None].astype(np.int8),
                          w0["spins"] * np.sign(w0["m"])[:, None, None].astype(np.int8))
    with pytest.raises(TypeError, match="random_flip"):
        rp.ising_world(L=8, temperatures=(2.0,), n_per_T=2, random_flip="yes")


def test_permutation_null_within_groups():
    # a representation that is a function of the group label is unchanged by within-group shuffles: null = 1 exactly
    rng = np.random.default_rng(13)
    g = np.repeat([0, 1, 2], 50)
    X = np.c_[g == 0, g == 1].astype(float)
    Y = X @ np.array([[2.0, 0.0], [1.0, 3.0]])
    null = rp.permutation_null(X, Y, n_perm=5, groups=g)
    assert np.allclose(null, rp.linear_cka(X, Y))
    # a within-group signal is destroyed: independent-feature value sqrt(pq)/n
    W = rng.normal(size=(150, 2))
    assert rp.permutation_null(W, W, n_perm=20, groups=g).mean() < 0.05
    with pytest.raises(ValueError, match="groups"):
        rp.permutation_null(X, Y, groups=g[:10])


def test_train_mlp_steps():
    rng = np.random.default_rng(14)
    X = rng.normal(size=(100, 3))
    y = (X[:, 0] > 0).astype(int)
    # 100 samples in batches of 64: 2 steps per epoch; 6 steps = 3 epochs exactly
    a = rp.train_mlp(X, y, width=4, epochs=3, seed=1)
    b = rp.train_mlp(X, y, width=4, steps=6, seed=1)
    assert np.array_equal(a["params"]["W1"], b["params"]["W1"]) and b["loss"].size == 3
    # 5 steps: 3 epochs, the last cut short after one step
    c = rp.train_mlp(X, y, width=4, steps=5, seed=1)
    assert c["loss"].size == 3 and not np.array_equal(c["params"]["W1"], a["params"]["W1"])
    with pytest.raises(ValueError, match="steps"):
        rp.train_mlp(X, y, steps=0)


def test_knn_permutation_null_matches_direct_shuffle():
    # the relabelled neighbour lists give the mutual k-NN of the explicitly shuffled representation
    rng = np.random.default_rng(15)
    X, Y = rng.normal(size=(120, 3)), rng.normal(size=(120, 2))
    g = np.repeat([0, 1, 2], 40)
    for groups in (None, g):
        null = rp.permutation_null(X, Y, n_perm=3, metric="knn", k=5, groups=groups, seed=4)
        prng = np.random.default_rng(np.random.SeedSequence([4, 5]))
        for i in range(3):
            if groups is None:
                idx = prng.permutation(120)
            else:
                idx = np.arange(120)
                for u in range(3):
                    blk = np.flatnonzero(g == u)
                    idx[blk] = blk[prng.permutation(blk.size)]
            assert null[i] == pytest.approx(rp.mutual_knn(X, Y[idx], k=5), abs=1e-12)
