r"""Study for the page "The text's examples as written" (book/multiscale/03_as_written).

The multiscale text ("Multiscale Dynamics Integration") gives its examples as
code blocks that import from the source repository's modules
(``src.simulations.multiscale_dynamics`` and two more).  This module runs
every block of the text as a reader would, with one change stated once, the
import mapping :data:`IMPORT_MAPPING`, and with every addition of ours shown:

* :func:`text` reads the committed copy of the text (the file
  ``multiscale-dynamics.md`` next to this module, shipped as package data);
  :func:`extract_blocks` returns its fenced code blocks in order, each with
  the heading it stands under; :func:`apply_mapping` rewrites the imports of
  a block.
* :data:`PLANS` says, for every fenced block of the text, how it is run:
  in which *scenario* (one namespace per scenario, shared by its blocks in
  the text's order, as in one interactive session), with which *preamble*
  (the names the text leaves undefined, e.g. ``policy = policies[0]``), with
  which *state adjustment* (code that changes the state the blocks before
  left, rather than defining a name), and for a method or class body, the
  *harness* that places it in a subclass (``wrap``) and instantiates and runs
  it for a few steps (``after``).  A block that cannot run (not Python, or
  failing by design) says why.  A block that depends on a change made to the
  models for this page (issue 14) names the change and what the block did
  before it, on commit :data:`BEFORE_COMMIT`: either it raised an error
  (:data:`RUNS_ONLY_WITH_CHANGE`), or it ran without one but did nothing or
  the wrong thing (:data:`WRONG_WITHOUT_CHANGE`).  The preambles, adjustments
  and harnesses are data: the page prints them beside the text's code, and
  the test runs exactly them.
* :class:`Session` runs the blocks and returns a :class:`BlockResult` per
  block (what was executed, the printed output, the error if any, the names
  a block defined); :func:`show` displays one result; :func:`summary_table`
  tabulates them all; :func:`plan_counts` and :func:`tally` count what the
  blocks needed and how they ran (the page glues these counts);
  :func:`hook_contracts` shows the extension hooks' contracts (what they
  accept and the errors they raise); :func:`claims` is the page's claim.

The blocks call the models with the text's sizes and without seeds (the
text passes none), so each run draws fresh random numbers; the seed each
model drew is printed with the names a block defines, so that a run can be
repeated.  Everything the page quotes as a number is a count or a size, not a
random outcome.
"""

from __future__ import annotations

import contextlib
import io
import re
import textwrap
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from utacbook import claims as uc

__all__ = ["IMPORT_MAPPING", "TEXT_FILE", "Block", "Plan", "PLANS", "BlockResult", "Session", "text",
           "extract_blocks", "apply_mapping", "show", "show_mapping", "summary_table", "hook_contracts",
           "claims", "measurements", "N_BLOCKS", "N_PYTHON_BLOCKS", "BEFORE_COMMIT", "RUNS_ONLY_WITH_CHANGE",
           "WRONG_WITHOUT_CHANGE", "plan_counts", "tally"]

#: The import mapping, the only change made to the text's own lines: each module of the
#: source repository -> the utacbook module that implements its API.
IMPORT_MAPPING = {
    "src.simulations.multiscale_dynamics": "utacbook.models",
    "src.simulations.integrated_multiscale": "utacbook.models",
    "src.simulations.government_simulation": "utacbook.models",
}

#: The committed copy of the text (byte-for-byte; shipped as package data).
TEXT_FILE = Path(__file__).with_name("multiscale-dynamics.md")

#: Fenced code blocks in the text (all languages); the test checks the count against the
#: text, so a block added to the text cannot be skipped.
N_BLOCKS = 21
#: Python blocks among them.
N_PYTHON_BLOCKS = 17

#: The commit before the model changes of issue 14, on which ``Plan.before`` was measured.
BEFORE_COMMIT = "bc50497"
#: A block that raised an error before a change of ours (``Plan.before_error`` set): it runs only because of it.
RUNS_ONLY_WITH_CHANGE = "runs only because of our change"
#: A block that ran without an error before a change of ours, but did nothing or the wrong thing.
WRONG_WITHOUT_CHANGE = "ran before, but did nothing or the wrong thing"


def text():
    """The committed copy of the multiscale text (str)."""
    return TEXT_FILE.read_text(encoding="utf-8")


# ------------------------------------------------------------------- blocks
@dataclass(frozen=True)
class Block:
    """One fenced code block of the text.

    Attributes
    ----------
    number : int
        1-based position among all fenced blocks of the text.
    language : str
        The fence's info string (``"python"``, ``"bash"``, ``"bibtex"``, or
        ``""``).
    heading : str
        The text of the nearest heading above the block.
    code : str
        The block's lines, verbatim, newline-terminated.
    line : int
        1-based line of the opening fence in the text.
    """

    number: int
    language: str
    heading: str
    code: str
    line: int


_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*$")
_FENCE = re.compile(r"^```(\S*)\s*$")


def extract_blocks(md=None, *, language="python"):
    """The fenced code blocks of the text, in order, each with its heading.

    Parameters
    ----------
    md : str, optional
        Markdown to read (default: :func:`text`).
    language : str or None, default "python"
        Keep the blocks whose fence names this language; ``None`` keeps all.

    Returns
    -------
    list of Block
        ``number`` counts all fenced blocks, whatever ``language`` keeps.

    Raises
    ------
    ValueError
        A fence that is never closed.
    """
    md = text() if md is None else md
    lines = md.splitlines()
    heading, blocks, i = "", [], 0
    while i < len(lines):
        h, f = _HEADING.match(lines[i]), _FENCE.match(lines[i])
        if f:
            j = i + 1
            while j < len(lines) and lines[j].rstrip() != "```":
                j += 1
            if j == len(lines):
                raise ValueError(f"the code fence opened at line {i + 1} is never closed")
            blocks.append(Block(len(blocks) + 1, f.group(1), heading, "".join(ln + "\n" for ln in lines[i + 1:j]),
                                i + 1))
            i = j + 1
            continue
        if h:
            heading = h.group(1)
        i += 1
    return [b for b in blocks if language is None or b.language == language]


_IMPORT = re.compile(r"^(\s*)(from|import)(\s+)([\w.]+)", re.MULTILINE)


def apply_mapping(code, mapping=None):
    """Rewrite the modules of the import statements of ``code`` by ``mapping``.

    Only module names right after ``from``/``import`` at the start of a line
    are changed; nothing else in the code is touched.

    Parameters
    ----------
    code : str
    mapping : dict of str -> str, optional
        Default :data:`IMPORT_MAPPING`.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        An import from the source repository (``src.``) that the mapping does
        not cover.
    """
    mapping = IMPORT_MAPPING if mapping is None else mapping

    def sub(m):
        mod = m.group(4)
        if mod in mapping:
            return f"{m.group(1)}{m.group(2)}{m.group(3)}{mapping[mod]}"
        if mod == "src" or mod.startswith("src."):
            raise ValueError(f"the import mapping does not cover {mod!r}")
        return m.group(0)

    return _IMPORT.sub(sub, code)


# -------------------------------------------------------------------- plans
@dataclass(frozen=True)
class Plan:
    """How one fenced block of the text is run (all code here is printed on the page).

    Attributes
    ----------
    heading : str
        The block's heading (checked against the text, in order).
    scenario : str or None
        The namespace it runs in (blocks of one scenario share it, in the
        text's order); ``None``: not run (``note`` says why).
    preamble : str
        Code run before the block: the names the text leaves undefined.
    adjust : str
        A state adjustment: code run after the preamble and before the block
        that changes the state the earlier blocks left (not only defining a
        name); printed apart from the preamble.
    wrap : str
        For a method body: a template holding the line ``{block}``, where the
        block's lines go, indented like that line (a subclass around it).
    after : str
        Code run after the block: instantiate what it defines, run a few steps
        and print what happens.
    expect : str
        The exception the block raises by design ("" if none).
    equivalent : str
        After an expected failure: what does the job with utacbook's API.
    needs : str
        The change of ours the block needs (issue 14), if any.
    before : str
        With ``needs``: what the block did before that change, on commit
        :data:`BEFORE_COMMIT` (required with ``needs``).
    before_error : str
        With ``needs``: the exception the block raised before the change, or
        ``""`` if it ran without an error (but did nothing or the wrong
        thing).
    note : str
        What the reader should know (shown in the summary table).

    Raises
    ------
    ValueError
        ``needs`` without ``before``, or ``before``/``before_error`` without
        ``needs``.
    """

    heading: str
    scenario: str | None
    preamble: str = ""
    adjust: str = ""
    wrap: str = ""
    after: str = ""
    expect: str = ""
    equivalent: str = ""
    needs: str = ""
    before: str = ""
    before_error: str = ""
    note: str = ""

    def __post_init__(self):
        if bool(self.needs) != bool(self.before) or (self.before_error and not self.needs):
            raise ValueError(f"plan for {self.heading!r}: a change of ours (needs) goes with what the block did "
                             f"before it (before, and before_error if it raised one), and only with it")

    @property
    def change(self):
        """How the block depends on a change of ours (str).

        :data:`RUNS_ONLY_WITH_CHANGE`, :data:`WRONG_WITHOUT_CHANGE`, or ``""``
        (no change needed).
        """
        if not self.needs:
            return ""
        return RUNS_ONLY_WITH_CHANGE if self.before_error else WRONG_WITHOUT_CHANGE


def _c(code):
    return textwrap.dedent(code).strip("\n") + "\n"


_SESSION = "reader session"

#: One plan per fenced block of the text, in the text's order.
PLANS = (
    Plan("Core Components", None,
         note="not code: the source repository's file layout; the import mapping replaces its three modules"),
    Plan("Class Hierarchy", None,
         note="not code: a diagram. In utacbook IntegratedGovernmentModel is not a subclass of MultiscaleModel: "
              "it holds one GovernmentMultiscaleModel (attribute model) and forwards upscale, downscale, "
              "micro_state, meso_state, macro_state, agents and n_agents to it"),
    Plan("Basic Multiscale Simulation", _SESSION,
         note="runs the text's sizes (1000 citizens, 10 communities, 50 steps)"),
    Plan("Integrated Government + Multiscale", _SESSION,
         note="replaces model and history by the integrated model's; the later blocks use these"),
    Plan("Scale Transitions", _SESSION,
         note="on the integrated model of the block before"),
    Plan("1. Automatic Scale Coupling", _SESSION,
         preamble=_c("""
             from utacbook.models import ScaleLevel   # used by the text, never imported
             """),
         needs="IntegratedGovernmentModel.upscale and .downscale (forwarded to its model)",
         before="AttributeError: 'IntegratedGovernmentModel' object has no attribute 'upscale'",
         before_error="AttributeError",
         note="model is the integrated model; the four results are dicts of per-community (C) or "
              "per-citizen (N) arrays"),
    Plan("2. Cross-Scale Analysis", _SESSION),
    Plan("3. Policy Impact Across Scales", _SESSION,
         preamble=_c("""
             policy = policies[0]                    # targeted_welfare, the first example policy
             """),
         adjust=_c("""
             model.model.remove_policy(policy.name)  # model.run(policies) left it active; the block re-applies it
             """),
         note="the integrated example left all four example policies active, and a model refuses a policy "
              "whose name is active; the block measures targeted_welfare with the other three active"),
    Plan("4. Scale Separation Analysis", _SESSION,
         needs="analyze_scale_separation accepts an IntegratedGovernmentModel (it analyses its model)",
         before="TypeError: model must be a MultiscaleModel, got IntegratedGovernmentModel",
         before_error="TypeError"),
    Plan("1. Understanding Emergence", _SESSION,
         preamble=_c("""
             import numpy as np   # used by the text, never imported
             """),
         note="history is the integrated example's (with policies); the block prints nothing"),
    Plan("2. Community Dynamics", _SESSION,
         note="the block prints nothing"),
    Plan("3. Policy Design", _SESSION,
         preamble=_c("""
             from utacbook.models import GovernmentSimulation, IntegratedGovernmentModel
             # the text names gov_sim and integrated_model but never builds them: the integrated
             # example's sizes, one seed for both (the same citizens); policy is targeted_welfare
             gov_sim = GovernmentSimulation(population_size=5000, seed=0)
             integrated_model = IntegratedGovernmentModel(population_size=5000, n_communities=20,
                                                          time_steps=100, seed=0)
             """),
         note="fresh models: the integrated example's model already has every example policy active"),
    Plan("4. Scale Transitions", _SESSION,
         note="on the integrated example's history"),
    Plan("Comparison with Single-Scale", _SESSION,
         needs="compare_single_vs_multiscale does not apply a community policy to the single-scale model "
               "(it would target nobody and tax everyone); its entry says so",
         before="ran without an error, but applied community_grants to the single-scale model, where it "
                "targeted nobody while its cost taxed every citizen (also in the runs of the other policies)",
         note="policies are the four example policies of the integrated example"),
    Plan("Scale States", "scale state",
         preamble=_c("""
             from typing import Any, Dict
             from utacbook.models import ScaleLevel   # the annotations are evaluated when the class is built
             """),
         after=_c("""
             import typing
             from utacbook.models import GovernmentMultiscaleModel
             from utacbook.models import ScaleState as OurScaleState
             print("the text's fields:", ScaleState.__annotations__)
             print("same names and types as utacbook.models.ScaleState:",
                   typing.get_type_hints(OurScaleState) == ScaleState.__annotations__)
             m = GovernmentMultiscaleModel(n_agents=1000, n_communities=10, seed=0)
             m.run(3)
             for st in (m.micro_state, m.meso_state, m.macro_state):
                 print(f"{st.level}: timestamp {st.timestamp}, variables {sorted(st.variables)}")
             """),
         note="the text's description of a scale's state: compared with utacbook's ScaleState and "
              "with a model's three states"),
    Plan("Synchronization", "synchronisation",
         preamble=_c("""
             from utacbook.models import GovernmentMultiscaleModel, GovernmentSimulation
             # the method reads two globals the text never defines: the government simulation's
             # citizens (records with .satisfaction and .wealth) ...
             gov_sim = GovernmentSimulation(population_size=1000, seed=1)
             gov_agents = gov_sim.model.micro_state.get_variable('agents')
             """),
         wrap=_c("""
             class SynchronizedModel(GovernmentMultiscaleModel):
                 {block}
             """),
         after=_c("""
             model = SynchronizedModel(n_agents=1000, n_communities=10, seed=0)
             # ... and the multiscale model's citizens
             multi_agents = model.micro_state.get_variable('agents')
             model._synchronize_states()
             """),
         expect="TypeError",
         equivalent=_c("""
             import numpy as np
             model.set_agent_variable('satisfaction', gov_sim.model.agents['satisfaction'])
             model.set_agent_variable('wealth', gov_sim.model.agents['wealth'])
             print("copied:", np.array_equal(model.agents['satisfaction'], gov_sim.model.agents['satisfaction']))
             """),
         note="the writes are refused because utacbook's agent records are read-only (our choice); with "
              "writable records the text's key 'state' would still not exist (utacbook's is 'satisfaction'). "
              "utacbook's integrated model holds a single state, so there is nothing to synchronise, and a copy "
              "from another model goes through set_agent_variable (shown)"),
    Plan("Testing", None,
         note="not Python: shell commands for the source repository's test files "
              "(tests/test_multiscale_dynamics.py, tests/test_integrated_multiscale.py), which do not exist "
              "here; utacbook's are tests/models/test_multiscale.py, tests/models/test_integrated.py and, "
              "for this page, tests/studies/multiscale/test_as_written.py"),
    Plan("Custom Scale Dynamics", "custom dynamics",
         preamble=_c("""
             from utacbook.models import MultiscaleModel   # used by the text, never imported
             """),
         after=_c("""
             import numpy as np
             model = CustomMultiscaleModel(n_agents=1000, n_communities=10, seed=0)
             s0, trust0 = model.agents['satisfaction'].copy(), model.trust
             history = model.run(10)
             agents = model.micro_state.get_variable('agents', [])
             print("what _update_micro reads:", agents)
             print("its first record:", agents[0])
             print("satisfaction after 10 steps unchanged:", np.array_equal(s0, model.agents['satisfaction']))
             print("trust unchanged:", model.trust == trust0,
                   "| community means still computed:", bool(np.all(model.mean_satisfaction > 0)))
             """),
         needs="micro_state.get_variable('agents') returns an AgentView of the citizens",
         before="ran without an error, but agents was [] (get_variable returned the default: the micro state "
                "did not hold the citizens under 'agents')",
         note="the three overrides hold only comments, so the citizens, cohesion and trust stay frozen; "
              "the base aggregation still runs"),
    Plan("Alternative Aggregation Methods", "alternative aggregation",
         preamble=_c("""
             import numpy as np
             # the text returns custom_groups without defining it: a grouping by index (citizen i
             # joins community i // 100), one integer label per citizen (N = 1000 labels in 0..9)
             custom_groups = np.arange(1000) * 10 // 1000
             """),
         wrap=_c("""
             from utacbook.models import GovernmentMultiscaleModel

             class AlternativeAggregationModel(GovernmentMultiscaleModel):
                 {block}
             """),
         after=_c("""
             model = AlternativeAggregationModel(n_agents=1000, n_communities=10, seed=0)
             history = model.run(10)
             print("membership is custom_groups:", np.array_equal(model.agents['community'], custom_groups))
             print("community sizes:", model.size.tolist())
             print("community means after 10 steps:", np.round(model.mean_satisfaction, 3).tolist())
             print("approval:", round(model.approval, 3))
             """),
         needs="groups returned by _micro_to_meso become the membership",
         before="ran without an error, but the returned groups were ignored and every community mean, and the "
                "approval, stayed 0",
         note="a return value that is not groups raises an error saying what to return"),
    Plan("Multi-Timescale Modeling", "multi-timescale",
         wrap=_c("""
             from utacbook.models import GovernmentMultiscaleModel
             NEVER = 10**9   # the model's own schedule is switched off: the text's block schedules meso and macro

             class MultiTimescaleModel(GovernmentMultiscaleModel):
                 def __init__(self, *args, **kwargs):
                     super().__init__(*args, meso_interval=NEVER, macro_interval=NEVER, **kwargs)

                 def step(self, *, quantiles=True):
                     super().step(quantiles=quantiles)   # micro update and community means
                     {block}
                     return self._record(quantiles)
             """),
         after=_c("""
             text_model = MultiTimescaleModel(n_agents=1000, n_communities=10, seed=0)
             ours = GovernmentMultiscaleModel(n_agents=1000, n_communities=10, seed=0,
                                              meso_interval=5, macro_interval=10)
             h_text, h_ours = text_model.run(30), ours.run(30)
             print("identical to meso_interval=5, macro_interval=10:",
                   h_text.to_dataframe().equals(h_ours.to_dataframe()))
             print(h_text.to_dataframe()[['meso_metrics.avg_cohesion', 'macro.trust']].iloc[3:11].round(4))
             """),
         note="the scheduling lines of a step; the model's meso_interval and macro_interval do the same"),
    Plan("Citation", None, note="not code: a BibTeX entry for the source repository"),
)


# ------------------------------------------------------------------ running
@dataclass
class BlockResult:
    """What running one block did.

    Attributes
    ----------
    block : Block
    plan : Plan
    code : str
        The block after :func:`apply_mapping` (and, with a harness, inside
        its ``wrap``): what was executed.
    stdout : str
        Everything printed (the block's prints, then the harness's).
    error : str or None
        ``"Type: message"`` of an exception, else ``None``.
    error_type : str or None
    defined : dict of str -> str
        Names the block (with preamble, adjustment and harness) defined or rebound, each
        with a short description (type, size, the seed of a model).
    warnings : list of str
    seconds : float
        Wall time of preamble, state adjustment, block and harness.
    equivalent_stdout : str
        Output of ``Plan.equivalent`` after an expected failure.
    """

    block: Block
    plan: Plan
    code: str = ""
    stdout: str = ""
    error: str | None = None
    error_type: str | None = None
    defined: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)
    seconds: float = 0.0
    equivalent_stdout: str = ""

    @property
    def run(self):
        """Whether the block is Python and was run (False: not applicable)."""
        return self.plan.scenario is not None

    @property
    def ok(self):
        """It ran without an error (False for a block that fails by design or was not run)."""
        return self.run and self.error is None

    @property
    def as_expected(self):
        """It ran without an error, or raised exactly the error its plan expects."""
        if not self.run:
            return False
        return self.error_type == (self.plan.expect or None)

    @property
    def runs_as_written(self):
        """It ran without an error, with the import mapping only (no preamble, adjustment or harness)."""
        return self.ok and not (self.plan.preamble or self.plan.adjust or self.plan.wrap or self.plan.after)


def _wrap(code, template):
    """Put ``code`` where the template's ``{block}`` line is, indented like that line."""
    lines = template.splitlines()
    at = [i for i, ln in enumerate(lines) if ln.strip() == "{block}"]
    if len(at) != 1:
        raise ValueError("a wrap template needs exactly one line holding {block}")
    indent = lines[at[0]][:len(lines[at[0]]) - len(lines[at[0]].lstrip())]
    body = textwrap.indent(code.rstrip("\n"), indent, lambda ln: True).splitlines()
    body = [ln if ln.strip() else "" for ln in body]
    return "\n".join(lines[:at[0]] + body + lines[at[0] + 1:]) + "\n"


def _describe(value):
    """One line about a value a block defined."""
    name = type(value).__name__
    if isinstance(value, type):
        return f"class {value.__name__}({', '.join(b.__name__ for b in value.__bases__)})"
    if hasattr(value, "seed") and hasattr(value, "n_communities"):
        n = getattr(value, "n_agents", None) or getattr(value, "population_size", None)
        return f"{name} (N = {n}, C = {value.n_communities}, seed {value.seed})"
    if hasattr(value, "model") and hasattr(value.model, "seed"):
        return f"{name} (N = {value.model.n_agents}, seed {value.model.seed})"
    if hasattr(value, "scale") and hasattr(value, "effects"):
        return f"{name} {value.name!r} ({value.scale})"
    if isinstance(value, np.ndarray):
        return f"ndarray, shape {value.shape}, dtype {value.dtype}"
    if isinstance(value, dict):
        keys = [str(k) for k in value]
        return f"dict, keys {', '.join(keys[:8])}{', ...' if len(keys) > 8 else ''}"
    if isinstance(value, (list, tuple)):
        return f"{name} of {len(value)}"
    if isinstance(value, float):
        return f"float {value:.6g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"int {value}"
    return name


class Session:
    """Runs the text's blocks: one namespace per scenario, blocks in the text's order.

    Parameters
    ----------
    md : str, optional
        The text (default: :func:`text`).
    plans : sequence of Plan, optional
        Default :data:`PLANS`; one per fenced block of ``md``, in order (the
        headings must match).

    Attributes
    ----------
    blocks : list of Block
        Every fenced block of the text.
    namespaces : dict of str -> dict
        The namespace of each scenario (its variables after the blocks run).
    results : dict of int -> BlockResult
        By block number, for the blocks run so far.

    Examples
    --------
    >>> from utacbook.studies.multiscale.as_written import Session
    >>> s = Session()
    >>> r = s.run("Scale States")
    >>> r.ok, r.stdout.splitlines()[1]
    (True, 'same names and types as utacbook.models.ScaleState: True')
    """

    def __init__(self, md=None, plans=None):
        self.blocks = extract_blocks(md, language=None)
        self.plans = tuple(PLANS if plans is None else plans)
        got = [b.heading for b in self.blocks]
        want = [p.heading for p in self.plans]
        if got != want:
            raise ValueError(f"the text's blocks stand under the headings {got}, the plans are for {want}: "
                             "every block needs a plan, in the text's order")
        for b, p in zip(self.blocks, self.plans):
            if (b.language == "python") != (p.scenario is not None):
                raise ValueError(f"block {b.number} ({b.heading!r}, {b.language or 'no language'}) "
                                 f"{'needs' if b.language == 'python' else 'cannot have'} a scenario")
        self.namespaces = {}
        self.results = {}

    def _find(self, key):
        if isinstance(key, str):
            hits = [b for b in self.blocks if b.heading == key]
            if len(hits) != 1:
                raise KeyError(f"no block stands under the heading {key!r}; headings: "
                               f"{[b.heading for b in self.blocks]}")
            return hits[0]
        if not 1 <= key <= len(self.blocks):
            raise KeyError(f"block numbers run from 1 to {len(self.blocks)}, got {key}")
        return self.blocks[key - 1]

    def run(self, key):
        """Run one block (by heading or 1-based number) with its plan; return its BlockResult.

        Earlier blocks of the same scenario must have been run first (as a
        reader would have); :meth:`run_all` runs every block in order.
        """
        block = self._find(key)
        plan = self.plans[block.number - 1]
        res = BlockResult(block, plan)
        if plan.scenario is None:
            self.results[block.number] = res
            return res
        code = apply_mapping(block.code)
        if plan.wrap:
            code = _wrap(code, plan.wrap)
        res.code = code
        ns = self.namespaces.setdefault(plan.scenario, {"__name__": f"text_{block.number}"})
        before = {k: id(v) for k, v in ns.items()}
        out = io.StringIO()
        t0 = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(out):
            warnings.simplefilter("always")
            try:
                for part in (plan.preamble, plan.adjust, code, plan.after):
                    if part:
                        exec(compile(part, f"<block {block.number}: {block.heading}>", "exec", dont_inherit=True), ns)
            except Exception as exc:  # the error is the result: shown on the page, checked by the test
                res.error_type = type(exc).__name__
                res.error = f"{res.error_type}: {exc}"
        res.seconds = time.perf_counter() - t0
        res.stdout = out.getvalue()
        res.warnings = [f"{w.category.__name__}: {w.message}" for w in caught]
        if res.error_type and res.error_type == plan.expect and plan.equivalent:
            eq = io.StringIO()
            with contextlib.redirect_stdout(eq):
                exec(compile(plan.equivalent, f"<equivalent of block {block.number}>", "exec", dont_inherit=True),
                     ns)
            res.equivalent_stdout = eq.getvalue()
        res.defined = {k: _describe(v) for k, v in ns.items()
                       if not k.startswith("__") and before.get(k) != id(v) and not _is_module(v)}
        self.results[block.number] = res
        return res

    def run_all(self):
        """Run every block in the text's order; return the list of BlockResult."""
        return [self.run(b.number) for b in self.blocks]


def _is_module(v):
    return type(v).__name__ == "module"


# ----------------------------------------------------------------- display
def _fence(code, lang=""):
    return f"```{lang}\n{code.rstrip()}\n```"


def _quote(md):
    return "\n".join("> " + ln if ln else ">" for ln in md.splitlines())


def _clip(out, max_lines):
    lines = out.splitlines()
    if max_lines is None or len(lines) <= max_lines:
        return out
    return "\n".join(lines[:max_lines]) + f"\n... ({len(lines) - max_lines} more lines not shown)"


def show(result, *, display=True, max_lines=24):
    """Show one block: the text's code (quoted), our additions, what ran, and its output.

    Parameters
    ----------
    result : BlockResult
    display : bool, default True
        Display the Markdown in the notebook.
    max_lines : int or None, default 24
        Show at most this many lines of the block's printed output (the
        rest is counted); ``None`` shows all.

    Returns
    -------
    str
        The Markdown.
    """
    b, p = result.block, result.plan
    parts = [_quote(f"The text, block {b.number} of {N_BLOCKS} (line {b.line}, under “{b.heading}”):\n\n"
                    + _fence(b.code, b.language))]
    if not result.run:
        parts.append(f"**Not run**: {p.note}.")
    else:
        mapped = apply_mapping(b.code)
        changed = mapped != b.code
        if p.preamble:
            parts.append("**Our preamble** (run before the block; not in the text):\n\n"
                         + _fence(p.preamble, "python"))
        if p.adjust:
            parts.append("**Our state adjustment** (run before the block; not in the text; it changes the "
                         "state the blocks before left):\n\n" + _fence(p.adjust, "python"))
        if p.wrap:
            parts.append("**Our harness** (the text's lines go where `{block}` stands"
                         + (", with the import mapping applied" if changed else "") + "):\n\n"
                         + _fence(p.wrap, "python"))
        elif changed:
            parts.append("**Run with the import mapping applied:**\n\n" + _fence(mapped, "python"))
        else:
            parts.append("**Run as written** (no import to map).")
        if p.after:
            parts.append("**Then our harness runs:**\n\n" + _fence(p.after, "python"))
        out = _clip(result.stdout, max_lines)
        if result.error:
            out += ("" if not out or out.endswith("\n") else "\n") + result.error
        if result.warnings:
            out += ("" if not out or out.endswith("\n") else "\n") + "\n".join(result.warnings)
        parts.append("**Output:**\n\n" + _fence(out or "(nothing printed)"))
        if result.defined:
            parts.append("**Names defined or rebound:**\n\n" + _fence(
                "\n".join(f"{k}: {v}" for k, v in result.defined.items())))
        if result.error and result.error_type == p.expect:
            parts.append(f"**The error is by design:** {p.note}.")
            if p.equivalent:
                parts.append("**utacbook's way:**\n\n" + _fence(p.equivalent, "python")
                             + "\n\n" + _fence(result.equivalent_stdout or "(nothing printed)"))
        if p.change == RUNS_ONLY_WITH_CHANGE:
            parts.append(f"**Runs only because of a change of ours** (issue 14): {p.needs}. "
                         f"Before it (commit {BEFORE_COMMIT}) the block raised `{p.before}`.")
        elif p.change == WRONG_WITHOUT_CHANGE:
            parts.append(f"**Ran before, but did nothing or the wrong thing; a change of ours fixes that** "
                         f"(issue 14): {p.needs}. Before it (commit {BEFORE_COMMIT}) the block {p.before}.")
    md = "\n\n".join(parts)
    if display:
        _display_markdown(md)
    return md


def show_mapping(*, display=True):
    """The import mapping as a Markdown table (displayed), returned as str."""
    lines = ["| the text imports from | we import from |", "|---|---|"]
    lines += [f"| `{k}` | `{v}` |" for k, v in IMPORT_MAPPING.items()]
    md = "\n".join(lines)
    if display:
        _display_markdown(md)
    return md


def _display_markdown(md):
    try:
        from IPython.display import Markdown, display
    except ImportError:  # pragma: no cover
        return
    display(Markdown(md))


def summary_table(results):
    """One row per fenced block of the text.

    Parameters
    ----------
    results : sequence of BlockResult
        From :meth:`Session.run_all`.

    Returns
    -------
    pandas.DataFrame
        Indexed by block number, with columns ``heading``, ``language``,
        ``runs as written (mapping only)``, ``runs with our additions``,
        ``preamble``, ``state adjustment``, ``harness``, the two kinds of
        dependence on a change of ours (:data:`RUNS_ONLY_WITH_CHANGE`: the
        change, and the error the block raised before it;
        :data:`WRONG_WITHOUT_CHANGE`: the change; ``"no"`` otherwise) and
        ``notes``.
    """
    import pandas as pd
    rows = []
    for r in results:
        p = r.plan
        if not r.run:
            ran = written = "n/a"
        else:
            written = "yes" if r.runs_as_written else "no"
            ran = "yes" if r.ok else (f"raises {r.error_type} (by design)" if r.as_expected
                                      else f"fails: {r.error_type}")
        rows.append({"block": r.block.number, "heading": r.block.heading,
                     "language": r.block.language or "(none)",
                     "runs as written (mapping only)": written,
                     "runs with our additions": ran,
                     "preamble": "yes" if p.preamble else "no",
                     "state adjustment": "yes" if p.adjust else "no",
                     "harness": "yes" if (p.wrap or p.after) else "no",
                     RUNS_ONLY_WITH_CHANGE: (f"{p.needs} (before: {p.before_error})"
                                             if p.change == RUNS_ONLY_WITH_CHANGE else "no"),
                     WRONG_WITHOUT_CHANGE: p.needs if p.change == WRONG_WITHOUT_CHANGE else "no",
                     "notes": p.note})
    return pd.DataFrame(rows).set_index("block")


def _numbers(ns):
    """``[6]`` -> ``"6"``, ``[6, 9]`` -> ``"6 and 9"``, ``[14, 18, 19]`` -> ``"14, 18 and 19"``."""
    ns = [str(n) for n in ns]
    if len(ns) <= 1:
        return ns[0] if ns else "none"
    return ", ".join(ns[:-1]) + " and " + ns[-1]


def plan_counts(plans=None):
    """What the Python blocks need, counted from their plans (nothing is run).

    Parameters
    ----------
    plans : sequence of Plan, optional
        Default :data:`PLANS`.

    Returns
    -------
    dict
        Counts (int) of Python blocks: ``n_python``, ``n_preamble`` (with a
        preamble), ``n_adjust`` (with a state adjustment), ``n_harness``
        (with a harness), ``n_run_change`` (:data:`RUNS_ONLY_WITH_CHANGE`),
        ``n_wrong_change`` (:data:`WRONG_WITHOUT_CHANGE`); and the block
        numbers of the last three as text (``adjust_blocks``,
        ``run_change_blocks``, ``wrong_change_blocks``, e.g. ``"6 and 9"``).

    Examples
    --------
    >>> from utacbook.studies.multiscale.as_written import plan_counts
    >>> c = plan_counts()
    >>> c["n_python"], c["n_harness"], c["run_change_blocks"], c["wrong_change_blocks"]
    (17, 5, '6 and 9', '14, 18 and 19')
    """
    plans = PLANS if plans is None else plans
    py = [(i, p) for i, p in enumerate(plans, 1) if p.scenario is not None]
    which = {
        "adjust": [i for i, p in py if p.adjust],
        "run_change": [i for i, p in py if p.change == RUNS_ONLY_WITH_CHANGE],
        "wrong_change": [i for i, p in py if p.change == WRONG_WITHOUT_CHANGE],
    }
    out = {"n_python": len(py), "n_preamble": sum(bool(p.preamble) for _, p in py),
           "n_adjust": len(which["adjust"]), "n_harness": sum(bool(p.wrap or p.after) for _, p in py),
           "n_run_change": len(which["run_change"]), "n_wrong_change": len(which["wrong_change"])}
    out.update({f"{k}_blocks": _numbers(v) for k, v in which.items()})
    return out


def tally(results):
    """:func:`plan_counts` of the results' plans, with how the blocks ran.

    Parameters
    ----------
    results : sequence of BlockResult
        From :meth:`Session.run_all` (every block of the text).

    Returns
    -------
    dict
        The keys of :func:`plan_counts`, and ``n_written`` (Python blocks
        that run with the import mapping alone), ``n_ok`` (run without an
        error with our additions), ``n_fail`` (raise an error) and
        ``fail_blocks`` (their numbers as text).
    """
    out = plan_counts([r.plan for r in results])
    py = [r for r in results if r.run]
    out.update(n_written=sum(r.runs_as_written for r in py), n_ok=sum(r.ok for r in py),
               n_fail=sum(not r.ok for r in py), fail_blocks=_numbers([r.block.number for r in py if not r.ok]))
    return out


# -------------------------------------------------------- hook contracts
def hook_contracts():
    """The extension hooks' contracts, shown by running them.

    Returns
    -------
    dict of str -> str
        ``agents_view`` (repr of the view and of its first record),
        ``float_groups``, ``wrong_length``, ``too_few_groups`` (the errors
        of ``_micro_to_meso`` overrides that return something other than
        groups), ``silent_override`` (an override that neither returns
        groups nor sets the means), ``index_groups`` (a sequence of index
        arrays, honoured: the resulting sizes), ``community_c1`` (a community
        policy on the single-scale model) and ``community_c1_integrated``
        (the same on an integrated model with one community).
    """
    from utacbook.models import (GovernmentMultiscaleModel, GovernmentSimulation, IntegratedGovernmentModel,
                                 MultiscaleModel, create_example_policies)
    out = {}
    m = MultiscaleModel(1000, 10, seed=0)
    agents = m.micro_state.get_variable("agents", [])
    out["agents_view"] = f"{agents!r}; agents[0] = {agents[0]!r}"

    def returning(value):
        class Returning(MultiscaleModel):
            def _micro_to_meso(self):
                return value(self) if callable(value) else value
        return Returning

    def error(fn):
        try:
            fn()
        except (TypeError, ValueError) as exc:
            return f"{type(exc).__name__}: {exc}"
        return "no error"

    out["float_groups"] = error(lambda: returning(np.linspace(0, 9, 1000))(1000, 10, seed=0))
    out["wrong_length"] = error(lambda: returning(np.arange(500) % 10)(1000, 10, seed=0))
    out["too_few_groups"] = error(lambda: returning([np.arange(500), np.arange(500, 1000)])(1000, 10, seed=0))

    class Silent(MultiscaleModel):
        def _micro_to_meso(self):
            pass

    out["silent_override"] = error(lambda: Silent(1000, 10, seed=0))
    parts = returning(lambda self: np.array_split(np.arange(1000), 10)[::-1])(1000, 10, seed=0)
    out["index_groups"] = f"sizes {parts.size.tolist()}, citizen 0 in community {int(parts.agents['community'][0])}"
    grants = create_example_policies()[1]
    out["community_c1"] = error(lambda: GovernmentSimulation(1000, seed=0).implement_policy(grants))
    out["community_c1_integrated"] = error(lambda: IntegratedGovernmentModel(1000, 1, 10, seed=0).run([grants]))
    out["community_c1_model"] = error(lambda: GovernmentMultiscaleModel(1000, 1, seed=0).apply_policy(grants))
    return out


# ------------------------------------------------------------------ claims
def _code_and_comment(code):
    """``"x = f()  # why"`` -> ``"`x = f()` (why)"``, line by line, joined by "; "."""
    out = []
    for ln in code.splitlines():
        stmt, _, why = ln.partition("#")
        if stmt.strip():
            out.append(f"`{stmt.strip()}`" + (f" ({why.strip()})" if why.strip() else ""))
    return "; ".join(out)


def claims():
    """The page's claim, with its criterion (fixed before the blocks run).

    Returns
    -------
    list of :class:`utacbook.claims.Claim`
        Its scope and note are computed from :data:`PLANS` (:func:`plan_counts`).
    """
    c = plan_counts()
    adjusted = "; ".join(f"block {i} (“{p.heading}”) is preceded by a state adjustment, which changes the "
                         f"state the blocks before left: {_code_and_comment(p.adjust)}"
                         for i, p in enumerate(PLANS, 1) if p.adjust)
    return [
        uc.Claim("ms.text.as_written", source="multiscale",
                 section="Usage Examples to Advanced Topics (every Python block)",
                 text="the code blocks of the usage examples, key features, research applications, "
                      "technical details and advanced topics",
                 quantity="each Python block, with the import mapping and our printed additions (preambles, "
                          "state adjustments, and harnesses: a method body placed in a subclass, a class "
                          "instantiated and run for a few steps), runs without an error",
                 criterion=uc.Holds("the block runs without an error"),
                 scope=f"all {c['n_python']} Python blocks, on the models as changed for this page: "
                       f"{c['n_preamble']} with a preamble, {c['n_adjust']} with a state adjustment, "
                       f"{c['n_harness']} with a harness; {c['n_run_change']} (blocks {c['run_change_blocks']}) "
                       f"raised an error before our changes to the models, {c['n_wrong_change']} (blocks "
                       f"{c['wrong_change_blocks']}) ran but did nothing or the wrong thing; the text's sizes, "
                       "fresh seeds (the text passes none)",
                 note="the preambles define names the text uses but never defines"
                      + (f"; {adjusted}" if adjusted else "")),
    ]


def measurements(results):
    """One yes/no :class:`utacbook.claims.Measurement` per Python block (condition: its heading)."""
    return [uc.Measurement(r.ok, condition=r.block.heading,
                           text="yes" if r.ok else f"no ({r.error_type})")
            for r in results if r.run]
