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


# ------------------------------------------------------------------ speed-ups that keep every number

def _chapter_source(cell_id):
    import json
    from pathlib import Path
    nb = json.loads((Path(__file__).resolve().parents[3] / "book/ising/05_echo_chambers.ipynb").read_text())
    return "".join(next(c for c in nb["cells"] if c.get("id") == cell_id)["source"])


def test_fast_modularity_is_networkx_bit_for_bit():
    """The survival scan's modularity of the opinion camps is networkx's number exactly."""
    G, lab, _, _ = echo.two_block_sbm(0.3, block_size=60, k_mean=6.0, seed=4)
    q = echo._modularity_function(G)
    rng = np.random.default_rng(0)
    for _ in range(50):
        spins = np.where(rng.random(120) < rng.random(), 1, -1).astype(np.int8)
        assert q(spins) == nw.modularity(G, spins)
    assert q(lab) == nw.modularity(G, lab)
    assert q(np.arange(120) % 3) == nw.modularity(G, np.arange(120) % 3)       # three groups
    import networkx as nx
    H = nx.karate_club_graph()                                                # weighted: networkx itself
    assert echo._modularity_function(H)(np.arange(34) % 2) == nw.modularity(H, np.arange(34) % 2)


def test_shared_graphs_keep_the_survival_scan_and_the_lifetimes():
    """The survival scan and the lifetimes share their graphs (one build): same graph as two_block_sbm."""
    kw = dict(block_size=40, k_mean=6.0, seed=11)
    surv = echo.polarisation_survival(ratios=(0.1, 0.3), temperatures=(1.0, 3.0), sweeps=20, n_seeds=2, **kw)
    life = echo.polarisation_lifetimes((0.1, 0.3), [1.0, 3.0], max_sweeps=20, n_checkpoints=4, n_seeds=2, **kw)
    for i, r in enumerate((0.1, 0.3)):
        G, lab, _, _ = echo.two_block_sbm(r, block_size=40, k_mean=6.0, seed=11 + i)
        assert surv["Q_blocks"][i] == life["Q_blocks"][i] == nw.modularity(G, lab)
    qo = surv["Q_opinions"]
    assert np.all(np.isfinite(qo)) and np.all(qo <= 0.5)


def test_stored_tc_scans_have_the_chapter_parameters_and_reproduce():
    """book/data/echo_tc_scans.json: the chapter's call (its TC_PARAMS), and seed 0 of one scan re-runs exactly."""
    import ast
    src = _chapter_source("c19")
    line = next(x for x in src.splitlines() if x.startswith("TC_PARAMS = "))
    call = ast.parse(line.split("=", 1)[1].strip(), mode="eval").body
    params = {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords}
    scans, rec = echo.load_tc_scans()
    assert rec.provenance["function"] == "utacbook.studies.ising.echo_chambers:tc_scans"
    assert rec.provenance["params"] == params
    assert params == dict(graph_seed=3, rel_grid=[0.6, 1.3, 12], sweeps=1000, burn_in=200, n_seeds=4, seed=55)
    assert list(scans) == list(echo.TC_GRAPH_NAMES) and scans[echo.TC_GRAPH_NAMES[1]]["chi"].shape == (12,)
    graphs = echo.tc_graphs(graph_seed=3)
    chk = echo.spot_check_tc_scans(rec, graphs, name=echo.TC_GRAPH_NAMES[1], n_seeds=2)
    assert chk["identical"] and chk["grid_same"]


def test_lifetimes_study_round_trips_and_spot_check_reproduces():
    import json
    from utacbook import stored
    from utacbook.stored import _jsonable
    kw = dict(ratios=[0.1, 0.4], temperatures=[[0.5, 4.0], [0.2, 0.8]], block_size=40, k_mean=6.0, max_sweeps=30,
              n_checkpoints=5, n_seeds=2, threshold=0.25, graph_seeds=[3, 4], seed=8)
    direct = echo.polarisation_lifetimes(kw["ratios"], kw["temperatures"],
                                         **{k: v for k, v in kw.items() if k not in ("ratios", "temperatures")})
    rec = stored.StoredResult("x", json.loads(json.dumps(_jsonable(echo.lifetimes_study(**kw)))), {"params": kw})
    import unittest.mock as mock
    with mock.patch.object(stored, "load", lambda name, data_dir=None: rec):
        back, _ = echo.load_lifetimes("x")
    assert back.keys() == direct.keys()
    for k in ("tau", "m_end", "temperatures"):
        assert all(np.array_equal(a, b) for a, b in zip(back[k], direct[k]))
    assert any(np.isinf(t).any() for t in back["tau"]) and any(np.isfinite(t).any() for t in back["tau"])
    for i, j, s in ((0, 0, 0), (1, 1, 1), (0, 1, 0)):
        assert echo.spot_check_lifetimes(rec, index=i, t_index=j, seed_index=s)["identical"]


def test_stored_lifetimes_have_the_chapter_parameters_and_reproduce():
    """book/data/echo_lifetimes.json is the chapter's polarisation_lifetimes call; one run re-runs exactly."""
    life, rec = echo.load_lifetimes()
    p = rec.provenance["params"]
    assert rec.provenance["function"] == "utacbook.studies.ising.echo_chambers:lifetimes_study"
    assert p == dict(ratios=[0.1, 0.2, 0.25, 0.3, 0.4],
                     temperatures=[[4.75, 5.0, 5.25, 5.5, 5.75, 6.0], [2.5, 2.75, 3.0, 3.25, 3.5],
                                   [1.75, 2.0, 2.25, 2.5], [0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.8],
                                   [0.25, 0.35, 0.5, 0.7, 1.0]],
                     block_size=500, k_mean=8.0, max_sweeps=3000, n_checkpoints=32, n_seeds=8, threshold=0.25,
                     graph_seeds=[507, 509, 510, 511, 512], seed=525)
    assert "LIFE_PARAMS = dict(ratios=list(LIFE_RATIOS)" in _chapter_source("c14")
    assert [t.shape for t in life["tau"]] == [(6, 8), (5, 8), (4, 8), (8, 8), (5, 8)]
    assert echo.spot_check_lifetimes(rec, index=4, t_index=-1, seed_index=7)["identical"]      # r = 0.4, lost early


def test_survival_study_round_trips_and_spot_check_reproduces():
    import json
    import unittest.mock as mock
    from utacbook import stored
    from utacbook.stored import _jsonable
    kw = dict(ratios=[0.1, 0.4], temperatures=[1.0, 4.0], block_size=40, k_mean=6.0, sweeps=20, n_seeds=3,
              threshold=0.25, seed=12)
    direct = echo.polarisation_survival(**kw)
    rec = stored.StoredResult("x", json.loads(json.dumps(_jsonable(echo.survival_study(**kw)))), {"params": kw})
    with mock.patch.object(stored, "load", lambda name, data_dir=None: rec):
        back, _ = echo.load_survival("x")
    assert list(back) == list(direct)
    for k in direct:
        assert np.array_equal(np.asarray(back[k]), np.asarray(direct[k])), k
        assert np.asarray(back[k]).dtype == np.asarray(direct[k]).dtype, k
    for i, j, s in ((0, 0, 0), (1, 1, 2)):
        assert echo.spot_check_survival(rec, index=i, t_index=j, seed_index=s)["identical"]


def test_stored_survival_has_the_chapter_parameters_and_reproduces():
    surv, rec = echo.load_survival()
    assert rec.provenance["function"] == "utacbook.studies.ising.echo_chambers:survival_study"
    assert rec.provenance["params"] == dict(ratios=[0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4],
                                            temperatures=[0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], block_size=500,
                                            k_mean=8.0, sweeps=300, n_seeds=8, threshold=0.25, seed=505)
    assert "SURV_PARAMS = dict(ratios=list(RATIOS)" in _chapter_source("c07")
    assert surv["P_all"].shape == (8, 8, 8)
    assert echo.spot_check_survival(rec, index=7, t_index=7, seed_index=7)["identical"]
