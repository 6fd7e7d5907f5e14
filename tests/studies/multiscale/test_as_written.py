"""The multiscale text's code blocks, extracted from the committed copy and run with only the import mapping.

Every Python block runs at the text's own sizes (all of them together take well under a second), with the
preambles and harnesses that the page prints (``utacbook.studies.multiscale.as_written.PLANS``) and nothing else.
"""

import dataclasses
import math
import re
from pathlib import Path

import numpy as np
import pytest

import utacbook.claims as uc
from utacbook.models import GovernmentSimulation, IntegratedGovernmentModel, create_example_policies
from utacbook.models._multiscale import AgentView
from utacbook.studies.multiscale import as_written as aw

#: where the source text lives on the development machine (absent on a clean clone)
SOURCE = Path("/work/shared/seeds/multiscale-dynamics.md")

PYTHON_HEADINGS = [b.heading for b in aw.extract_blocks()]


@pytest.fixture(scope="module")
def session():
    s = aw.Session()
    s.run_all()
    return s


def _result(session, heading):
    return next(r for r in session.results.values() if r.block.heading == heading)


# ------------------------------------------------------------------ the text
def test_committed_copy_is_the_source_text():
    if not SOURCE.exists():
        pytest.skip(f"{SOURCE} is not on this machine")
    assert aw.TEXT_FILE.read_bytes() == SOURCE.read_bytes()


def test_every_block_of_the_text_is_counted():
    md = aw.text()
    fences = [ln for ln in md.splitlines() if ln.lstrip().startswith("```")]
    assert len(fences) == 2 * aw.N_BLOCKS                 # every fence opens or closes a counted block
    blocks = aw.extract_blocks(language=None)
    assert len(blocks) == aw.N_BLOCKS == 21
    assert [b.number for b in blocks] == list(range(1, 22))
    assert len(PYTHON_HEADINGS) == aw.N_PYTHON_BLOCKS == 17
    assert sorted({b.language for b in blocks}) == ["", "bash", "bibtex", "python"]
    # the code is verbatim: each block is the text between its fences
    lines = md.splitlines()
    for b in blocks:
        n = b.code.count("\n")
        assert lines[b.line - 1].startswith("```") and lines[b.line + n] == "```"
        assert b.code == "".join(ln + "\n" for ln in lines[b.line:b.line + n])
    # one plan per block, in the text's order (a block added to the text fails here)
    assert [p.heading for p in aw.PLANS] == [b.heading for b in blocks]
    with pytest.raises(ValueError, match="every block needs a plan"):
        aw.Session(md + "\n## New\n\n```python\nprint(1)\n```\n")
    with pytest.raises(ValueError, match="never closed"):
        aw.extract_blocks("```python\nx = 1\n")


def test_the_import_mapping_is_the_only_change_to_the_text():
    assert set(aw.IMPORT_MAPPING.values()) == {"utacbook.models"}
    for b in aw.extract_blocks():
        mapped = aw.apply_mapping(b.code)
        old, new = b.code.splitlines(), mapped.splitlines()
        assert len(old) == len(new)
        for a, c in zip(old, new):
            if a != c:
                assert re.match(r"^(from|import) src\.simulations\.\w+ import ", a), a
                assert c == re.sub(r"src\.simulations\.\w+", "utacbook.models", a)
        assert "src." not in mapped
    assert aw.apply_mapping("from src.simulations.multiscale_dynamics import X\n") == \
        "from utacbook.models import X\n"
    assert aw.apply_mapping("import numpy as np\nx = 'src.simulations.a'\n") == \
        "import numpy as np\nx = 'src.simulations.a'\n"
    with pytest.raises(ValueError, match="does not cover 'src.simulations.other'"):
        aw.apply_mapping("from src.simulations.other import Y\n")


# ---------------------------------------------------------- every block runs
@pytest.mark.parametrize("heading", PYTHON_HEADINGS)
def test_each_python_block_runs_with_the_mapping_and_the_printed_additions(session, heading):
    r = _result(session, heading)
    assert r.run and r.as_expected, r.error
    assert not r.warnings, r.warnings
    if r.plan.expect:
        assert r.error_type == r.plan.expect
    else:
        assert r.ok and r.error is None
    assert r.seconds < 5.0            # the text's sizes are fast: nothing was scaled down


def test_the_blocks_run_at_the_texts_sizes_and_read_the_documented_keys(session):
    ns = session.namespaces[aw._SESSION]
    # basic simulation: 1000 citizens, 10 communities, 50 steps
    basic = _result(session, "Basic Multiscale Simulation")
    assert "GovernmentMultiscaleModel (N = 1000, C = 10" in basic.defined["model"]
    assert basic.stdout.startswith("Micro: {'mean'") and "\nMeso: {'satisfaction'" in basic.stdout
    # integrated example: 5000 citizens, 20 communities, 100 steps with the four example policies
    model, history = ns["model"], ns["history"]
    assert (model.population_size, model.n_communities, len(history)) == (5000, 20, 100)
    assert history[-1]["active_policies"] == [p.name for p in create_example_policies()]
    rec = history[-1]
    for group, key in (("micro_metrics", "avg_satisfaction"), ("macro_metrics", "policy_effectiveness"),
                       ("meso_metrics", "avg_cohesion"), ("meso_metrics", "resource_inequality")):
        assert np.isfinite(rec[group][key])
    assert all({"step", "type", "description"} <= set(t) for t in ns["transitions"])
    # upscale/downscale on the integrated model (forwarded)
    assert set(ns["macro_data"]) >= {"satisfaction", "cohesion", "resources"}
    assert ns["micro_data"]["cohesion"].shape == (5000,) and ns["meso_data"]["trust"].shape == (20,)
    # scale separation of the integrated model: the exact decomposition
    sep = ns["separation"]
    assert sep["total_variance"] == pytest.approx(sep["within_group_variance"] + sep["between_group_variance"],
                                                  rel=1e-10)
    assert math.isfinite(ns["correlation"]) and len(ns["cohesions"]) == len(ns["inequality"]) == 100
    # policy design: the two models' results, what each "sees"
    design = _result(session, "3. Policy Design").stdout
    assert "Single-scale only sees: dict_keys(['avg_satisfaction_before'" in design
    assert "Multi-scale also sees: dict_keys(['micro_impact', 'meso_impact', 'macro_impact'" in design
    assert ns["policy"].name == "targeted_welfare" and "targeted_welfare" in [p.name for p in model.model.policies]
    # comparison: the community policy is not applied to the single-scale model, and says so
    comp = ns["comparison"]
    entry = comp["single_scale"]["policy_results"]["community_grants"]
    assert entry["applicable"] is False and "one community" in entry["reason"]
    assert len(comp["single_scale"]["history"]) == 50 and comp["insights"]["use_multiscale_when"]


def test_the_class_and_method_bodies_do_what_the_harness_shows(session):
    st = _result(session, "Scale States")
    assert "same names and types as utacbook.models.ScaleState: True" in st.stdout
    sync = _result(session, "Synchronization")
    assert sync.error.startswith("TypeError: the agents view is read-only")
    assert sync.equivalent_stdout == "copied: True\n"
    custom = _result(session, "Custom Scale Dynamics")
    assert "what _update_micro reads: AgentView(1000 citizens" in custom.stdout
    assert "satisfaction after 10 steps unchanged: True" in custom.stdout
    assert isinstance(session.namespaces["custom dynamics"]["agents"], AgentView)
    agg = session.namespaces["alternative aggregation"]
    model = agg["model"]
    np.testing.assert_array_equal(model.agents["community"], agg["custom_groups"])
    assert np.all(model.mean_satisfaction > 0.3) and 0.3 < model.approval < 0.7
    mt = _result(session, "Multi-Timescale Modeling")
    assert "identical to meso_interval=5, macro_interval=10: True" in mt.stdout


# ------------------------------------------------ what the blocks depend on
def test_each_block_that_depends_on_a_change_of_ours_says_how():
    kinds = {i: p.change for i, p in enumerate(aw.PLANS, 1) if p.needs}
    assert kinds == {6: aw.RUNS_ONLY_WITH_CHANGE, 9: aw.RUNS_ONLY_WITH_CHANGE, 14: aw.WRONG_WITHOUT_CHANGE,
                     18: aw.WRONG_WITHOUT_CHANGE, 19: aw.WRONG_WITHOUT_CHANGE}
    assert [aw.PLANS[i - 1].heading for i in (6, 9, 14, 18, 19)] == [
        "1. Automatic Scale Coupling", "4. Scale Separation Analysis", "Comparison with Single-Scale",
        "Custom Scale Dynamics", "Alternative Aggregation Methods"]
    for i, p in enumerate(aw.PLANS, 1):
        if p.change == aw.RUNS_ONLY_WITH_CHANGE:        # the error it raised before, as recorded
            assert p.before.startswith(p.before_error + ": "), i
        elif p.change == aw.WRONG_WITHOUT_CHANGE:
            assert p.before.startswith("ran without an error, but "), i
        else:
            assert not (p.before or p.before_error), i
    assert {aw.PLANS[i].before_error for i in (5, 8)} == {"AttributeError", "TypeError"}
    with pytest.raises(ValueError, match="goes with what the block did before it"):
        aw.Plan("x", "s", needs="a change")
    with pytest.raises(ValueError, match="goes with what the block did before it"):
        aw.Plan("x", "s", before="ran", before_error="TypeError")
    assert aw.Plan("x", "s").change == ""


def test_only_block_8_adjusts_state_and_its_preamble_only_defines_a_name():
    assert [i for i, p in enumerate(aw.PLANS, 1) if p.adjust] == [8]
    p8 = aw.PLANS[7]
    assert p8.preamble.split("#")[0].strip() == "policy = policies[0]"
    assert p8.adjust.split("#")[0].strip() == "model.model.remove_policy(policy.name)"
    # no other preamble calls a method on a name an earlier block defined
    for p in aw.PLANS:
        assert "remove_policy" not in p.preamble and ".run(" not in p.preamble


def test_plan_counts():
    c = aw.plan_counts()
    assert c == {"n_python": 17, "n_preamble": 8, "n_adjust": 1, "n_harness": 5, "n_run_change": 2,
                 "n_wrong_change": 3, "adjust_blocks": "8", "run_change_blocks": "6 and 9",
                 "wrong_change_blocks": "14, 18 and 19"}
    assert aw._numbers([]) == "none" and aw._numbers([3]) == "3"


def test_block_6_raises_without_the_forwarded_upscale(monkeypatch):
    """Undo the change block 6 needs: the error recorded for the commit before it comes back."""
    model = IntegratedGovernmentModel(1000, 10, 5, seed=0)
    model.run()
    s = aw.Session()
    s.namespaces[aw._SESSION] = {"__name__": "text", "model": model}
    assert s.run("1. Automatic Scale Coupling").ok
    monkeypatch.delattr(IntegratedGovernmentModel, "upscale")
    r = s.run("1. Automatic Scale Coupling")
    assert r.error == aw.PLANS[5].before


def test_block_9_raises_without_the_integrated_model_case(monkeypatch):
    """analyze_scale_separation with its IntegratedGovernmentModel case disabled refuses the integrated model."""
    model = IntegratedGovernmentModel(1000, 10, 5, seed=0)
    model.run()
    s = aw.Session()
    s.namespaces[aw._SESSION] = {"__name__": "text", "model": model}
    assert s.run("4. Scale Separation Analysis").ok
    monkeypatch.setattr("utacbook.models._integrated.IntegratedGovernmentModel", type("Other", (), {}))
    r = s.run("4. Scale Separation Analysis")
    assert r.error_type == aw.PLANS[8].before_error == "TypeError"
    assert "got IntegratedGovernmentModel" in r.error


# ----------------------------------------------------------- hook contracts
def test_the_texts_aggregation_block_returning_anything_but_groups_is_refused():
    """The text's own "Alternative Aggregation" block, with custom_groups that are not groups."""
    for bad, exc in (("np.linspace(0, 9, 1000)", "TypeError"), ("np.arange(500) % 10", "ValueError"),
                     ("[]", "ValueError")):
        plans = tuple(dataclasses.replace(p, preamble=f"import numpy as np\ncustom_groups = {bad}\n")
                      if p.heading == "Alternative Aggregation Methods" else p for p in aw.PLANS)
        r = aw.Session(plans=plans).run("Alternative Aggregation Methods")
        assert r.error_type == exc
        assert r.error.startswith(f"{exc}: AlternativeAggregationModel._micro_to_meso returned ")
        assert "return the groups: an integer array of 1000 community labels in 0..9" in r.error


def test_hook_contracts_shown_on_the_page():
    h = aw.hook_contracts()
    assert h["agents_view"].startswith("AgentView(1000 citizens; variables: satisfaction, wealth, community, field)")
    for key in ("float_groups", "wrong_length", "too_few_groups", "silent_override"):
        assert "it must return None after setting mean_satisfaction and std_satisfaction" in h[key], key
    assert h["float_groups"].startswith("TypeError") and h["silent_override"].startswith("TypeError")
    assert h["wrong_length"].startswith("ValueError") and h["too_few_groups"].startswith("ValueError")
    assert h["index_groups"] == "sizes [100, 100, 100, 100, 100, 100, 100, 100, 100, 100], citizen 0 in community 9"
    for key in ("community_c1", "community_c1_integrated", "community_c1_model"):
        assert h[key].startswith("ValueError") and "n_communities >= 2" in h[key], key


def test_a_community_policy_is_refused_by_the_single_scale_simulation():
    sim = GovernmentSimulation(1000, seed=0)
    with pytest.raises(ValueError, match="'community_grants' is a 'community' policy, which needs n_communities >= 2"):
        sim.implement_policy(create_example_policies()[1])
    assert sim.policies == []


# ------------------------------------------------------------- the page's outputs
def test_table_show_and_claim(session):
    results = list(session.results.values())
    table = aw.summary_table(results)
    assert len(table) == aw.N_BLOCKS and list(table.index) == list(range(1, 22))
    ran = table["runs with our additions"]
    assert (ran == "n/a").sum() == aw.N_BLOCKS - aw.N_PYTHON_BLOCKS
    assert (ran == "yes").sum() == aw.N_PYTHON_BLOCKS - 1
    assert ran[16] == "raises TypeError (by design)"
    run_only, wrong = table[aw.RUNS_ONLY_WITH_CHANGE], table[aw.WRONG_WITHOUT_CHANGE]
    assert list(run_only[run_only != "no"].index) == [6, 9] and list(wrong[wrong != "no"].index) == [14, 18, 19]
    assert run_only[6].endswith("(before: AttributeError)") and run_only[9].endswith("(before: TypeError)")
    assert list(table.index[table["state adjustment"] == "yes"]) == [8]
    assert "needs our change" not in table.columns
    t = aw.tally(results)
    assert {k: t[k] for k in ("n_written", "n_ok", "n_fail", "fail_blocks")} == \
        {"n_written": 8, "n_ok": 16, "n_fail": 1, "fail_blocks": "16"}
    assert t.items() >= aw.plan_counts().items()
    written = table["runs as written (mapping only)"]
    as_written = {results[i - 1].block.heading for i in written.index if written[i] == "yes"}
    assert as_written == {"Basic Multiscale Simulation", "Integrated Government + Multiscale", "Scale Transitions",
                          "2. Cross-Scale Analysis", "4. Scale Separation Analysis", "2. Community Dynamics",
                          "4. Scale Transitions", "Comparison with Single-Scale"}
    for r in results:
        md = aw.show(r, display=False)
        assert "\n".join("> " + ln if ln else ">" for ln in r.block.code.rstrip("\n").splitlines()) in md
        if r.plan.preamble:
            assert r.plan.preamble.rstrip() in md
        if r.plan.adjust:
            assert "**Our state adjustment**" in md and r.plan.adjust.rstrip() in md
            assert r.plan.adjust.rstrip() not in r.plan.preamble
        assert ("**Runs only because of a change of ours**" in md) == (r.plan.change == aw.RUNS_ONLY_WITH_CHANGE)
        assert ("**Ran before, but did nothing or the wrong thing" in md) == (
            r.plan.change == aw.WRONG_WITHOUT_CHANGE)
        assert "Works only because" not in md
        if r.plan.needs:
            assert r.plan.before in md and aw.BEFORE_COMMIT in md
    assert "... (" in aw.show(_result(session, "Scale Transitions"), display=False)   # long output clipped
    assert "`src.simulations.government_simulation` | `utacbook.models`" in aw.show_mapping(display=False)
    (claim,) = aw.claims()
    assert "2 (blocks 6 and 9) raised an error before our changes" in claim.scope
    assert "3 (blocks 14, 18 and 19) ran but did nothing or the wrong thing" in claim.scope
    assert "8 with a preamble, 1 with a state adjustment, 5 with a harness" in claim.scope
    assert "block 8 (“3. Policy Impact Across Scales”) is preceded by a state adjustment" in claim.note
    assert "`model.model.remove_policy(policy.name)`" in claim.note
    j = claim.judge(aw.measurements(results))
    assert len(j.results) == aw.N_PYTHON_BLOCKS
    assert j.verdict == uc.CAVEATS and "Synchronization" in j.caveat
