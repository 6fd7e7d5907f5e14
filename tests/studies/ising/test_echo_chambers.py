"""Tests of utacbook.studies.ising.echo_chambers: survival and lifetimes of a polarised two-community network.

Stochastic checks use tolerances of 4 standard errors from the runs themselves.
"""

import math

import numpy as np
import pytest

from utacbook.models import _networks as nw
from utacbook.stats import _mcstats as mcstats
from utacbook.studies.ising import echo_chambers as echo
from utacbook.studies.ising import hub_targeting as hubs
from utacbook.studies.ising import hysteresis as hyst
from utacbook.theory import _exact as exact
from utacbook.theory import _two_community as two_community


def _fake_lifetimes(T, tau, cps=None):
    cps = np.arange(1, 10001) if cps is None else np.asarray(cps)
    return {"temperatures": [np.asarray(T, float)], "tau": [np.asarray(tau, float)],
            "checkpoints": cps, "max_sweeps": int(cps[-1])}


def test_stability_boundary_matches_perturbed_iteration():
    """Just below T_stable a perturbed polarised state returns; just above it runs to consensus."""
    k_in, k_out = 6.0, 1.5
    b = echo.polarisation_boundary(k_in=k_in, k_out=k_out)
    assert 0 < b["T_stable"] < b["T_exist"] == pytest.approx(k_in - k_out)
    assert b["T_c"] == pytest.approx(k_in + k_out)
    for T, back in ((0.97 * b["T_stable"], True), (1.03 * b["T_stable"], False)):
        m = two_community.two_block_solution(T, k_in=k_in, k_out=k_out)
        fp = two_community.two_block_fixed_point(T, k_in=k_in, k_out=k_out, m0=(m + 1e-3, -m + 1e-3),
                                      damping=1.0, max_iter=200000)
        polarised = abs(fp[0] + fp[1]) < 1e-6
        assert polarised == back, (T, fp)
        st = two_community.polarised_stability(T, k_in=k_in, k_out=k_out)
        assert st["stable"] == back
        if st["exists"]:
            # metastable at best: consensus has the lower free energy when k_out > 0
            assert st["df"] > 0


def test_no_interblock_links_means_blocks_order_independently():
    b = echo.polarisation_boundary(k_in=5.0, k_out=0.0)
    assert b["T_stable"] == b["T_exist"] == b["T_c"] == pytest.approx(5.0)


def test_bethe_boundary_reduces_to_exact_bethe_tc_for_poisson_graph():
    k = 8.0
    # Poisson degrees: <k^2> = k^2 + k
    b = echo.polarisation_boundary(k_in=k, k_out=0.0, method="bethe")
    kappa = k + 1.0
    T_bethe = 2.0 / math.log(kappa / (kappa - 2.0))
    assert b["T_exist"] == pytest.approx(T_bethe, rel=1e-12)
    # and the same number from utacbook.exact with a sequence of mean k, second moment k^2 + k
    seq = np.array([k - math.sqrt(k), k + math.sqrt(k)])
    assert exact.bethe_tc(seq) == pytest.approx(T_bethe, rel=1e-12)
    # with inter-block links, bethe T_stable < T_exist < T_c and below the MF values
    bb = echo.polarisation_boundary(k_in=6.0, k_out=1.5, method="bethe")
    bm = echo.polarisation_boundary(k_in=6.0, k_out=1.5, method="mf")
    assert bb["T_stable"] < bb["T_exist"] < bb["T_c"]
    assert bb["T_stable"] < bm["T_stable"] and bb["T_exist"] < bm["T_exist"]


def test_polarisation_survival_limits():
    res = echo.polarisation_survival(ratios=(0.05,), temperatures=(2.0, 10.0), block_size=100,
                                   k_mean=8.0, sweeps=100, n_seeds=4, seed=2)
    # far below the boundary every run stays polarised; above the graph's T_c none does
    assert res["frac"][0, 0] == 1.0 and res["frac"][0, 1] == 0.0
    assert res["P"][0, 0] > 0.9
    # the planted blocks: Q = k_in/(k_in + k_out) - 1/2 within sampling noise
    assert abs(res["Q_blocks"][0] - (1 / 1.05 - 0.5)) < 0.05


# ------------------------------------------------------------------ lifetimes of the polarised state

def test_two_block_sbm_is_the_graph_of_the_survival_scan():
    res = echo.polarisation_survival(ratios=(0.05, 0.3), temperatures=(2.0,), block_size=60, k_mean=6.0,
                                   sweeps=5, n_seeds=2, seed=40)
    for i, r in enumerate((0.05, 0.3)):
        G, lab, k_in, k_out = echo.two_block_sbm(r, block_size=60, k_mean=6.0, seed=40 + i)
        assert nw.modularity(G, lab) == pytest.approx(res["Q_blocks"][i], abs=1e-12)
        assert k_in + k_out == pytest.approx(6.0) and k_out == pytest.approx(r * k_in)
    with pytest.raises(ValueError, match="ratio"):
        echo.two_block_sbm(1.0)


def test_lifetime_checkpoints_start_at_one_and_end_at_the_run_length():
    c = echo.lifetime_checkpoints(3000, 32)
    assert c[0] == 1 and c[-1] == 3000 and np.all(np.diff(c) > 0)
    assert echo.lifetime_checkpoints(5, 48).tolist() == [1, 2, 3, 4, 5]


def test_polarisation_lifetimes_limits():
    # disconnected blocks at T -> 0 never lose polarisation; far above T_c it is lost at once
    res = echo.polarisation_lifetimes([0.0, 0.3], [[0.01], [30.0]], block_size=80, k_mean=6.0,
                                    max_sweeps=200, n_checkpoints=12, n_seeds=3, seed=5)
    assert np.all(np.isinf(res["tau"][0]))
    assert np.all(np.isfinite(res["tau"][1])) and np.all(res["tau"][1] <= 10)
    ma, mb = res["m_end"][0][0].mean(axis=0)
    assert ma > 0.9 and mb < -0.9
    # reproducible, and the survival fractions come from tau
    again = echo.polarisation_lifetimes([0.3], [30.0], block_size=80, k_mean=6.0, max_sweeps=200,
                                      n_checkpoints=12, n_seeds=3, graph_seeds=[6], seed=5)
    assert np.array_equal(again["tau"][0], res["tau"][1])
    frac, err = echo.survival_after(res, [0, 200])
    assert frac[0].tolist() == [[1.0], [1.0]] and frac[1].tolist() == [[1.0], [0.0]]
    assert err[1][1, 0] == pytest.approx(mcstats.fraction_error(0, 3))
    with pytest.raises(ValueError, match="one temperature grid per ratio"):
        echo.polarisation_lifetimes([0.1, 0.2], [[1.0]], max_sweeps=10)


def test_lifetime_boundary_interpolates_exactly():
    inf = np.inf
    # survival after 100 sweeps: 1, 3/4, 1/4, 0 at T = 1, 2, 3, 4 -> half at T = 2.5
    tau = [[inf] * 4, [50, inf, inf, inf], [50, 50, 50, inf], [50] * 4]
    b = echo.lifetime_boundary(_fake_lifetimes([1, 2, 3, 4], tau), [100, 40], n_boot=50, seed=1)
    assert b["T_half"][0, 0] == pytest.approx(2.5)
    assert np.isfinite(b["T_half_err"][0, 0]) and b["T_half_err"][0, 0] > 0
    # after 40 sweeps every run still lives: the boundary lies above the grid
    assert b["T_half"][0, 1] == np.inf
    lost = echo.lifetime_boundary(_fake_lifetimes([1, 2], [[3, 4], [2, 2]]), [10], n_boot=10)
    assert lost["T_half"][0, 0] == -np.inf


def test_arrhenius_fit_recovers_the_barrier():
    rng = np.random.default_rng(3)
    T = np.array([0.3, 0.4, 0.5, 0.7, 1.0])
    B, ln0 = 1.5, 0.5
    tau = np.exp(ln0 + B / T[:, None] + 0.05 * rng.standard_normal((T.size, 8)))
    f = echo.arrhenius_fit(_fake_lifetimes(T, tau, cps=np.geomspace(1, 1e5, 400)), 0)
    assert abs(f["B"] - B) < 4 * f["B_err"] and f["B_err"] < 0.1
    assert abs(f["ln_tau0"] - ln0) < 4 * f["ln_tau0_err"]
    # censored temperatures are left out; fewer than two usable -> nan
    tau[0, 0] = np.inf
    assert echo.arrhenius_fit(_fake_lifetimes(T, tau, cps=np.geomspace(1, 1e5, 400)), 0)["T"].size == 4
    assert math.isnan(echo.arrhenius_fit(_fake_lifetimes([1.0], [[5.0, 6.0]]), 0)["B"])


def test_surviving_alignment_uses_only_polarised_runs():
    # one (r, T) cell, three runs: two polarised (m_A, m_B) = (0.9, -0.7), (1, -1); one consensus
    ma = np.array([0.9, 1.0, 0.95])
    mb = np.array([-0.7, -1.0, 0.9])
    surv = {"P_all": ((ma - mb) / 2)[None, None, :], "M_all": ((ma + mb) / 2)[None, None, :]}
    mean, err, n = echo.surviving_alignment(surv)
    assert n[0, 0] == 2
    assert mean[0, 0] == pytest.approx((0.8 + 1.0) / 2)
    assert err[0, 0] == pytest.approx(np.std([0.8, 1.0], ddof=1) / math.sqrt(2))


def test_claims_of_the_social_chapters_are_well_formed():
    import utacbook.claims as uc
    claims = echo.echo_claims() + hyst.hysteresis_claims() + hubs.hub_claims()
    ids = [c.id for c in claims]
    assert len(set(ids)) == len(ids)
    prefixes = {"ising.echo.", "ising.hysteresis.", "ising.hubs."}
    assert all(any(i.startswith(p) for p in prefixes) for i in ids)
    for c in claims:
        assert isinstance(c, uc.Claim)
        if c.criterion is None:
            assert c.source == "essay" and c.needs
    # the essay's claims quote it word for word
    from pathlib import Path
    essay = Path("/work/shared/seeds/ising-enigma.md")
    if essay.exists():
        text = essay.read_text(encoding="utf-8").replace("**", "")
        for c in claims:
            if c.source == "essay":
                for part in c.text.split(" … "):
                    assert part in text, part


def test_essay_quotes_are_single_passages_and_revisions_are_disclosed():
    # a quote is one passage of one section (no splice across sections with " … ")
    for c in echo.echo_claims() + hyst.hysteresis_claims() + hubs.hub_claims():
        if c.source == "essay":
            assert " … " not in c.text, c.id
    # claims revised after a first run say so in their note
    notes = {c.id: c.note for c in echo.echo_claims() + hyst.hysteresis_claims()}
    for cid in ("ising.echo.activated", "ising.echo.tc_modularity", "ising.hysteresis.loops"):
        assert "after the first run" in notes[cid], cid
