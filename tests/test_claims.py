"""utacbook.claims: verdicts computed from criteria, never typed."""

import math

import numpy as np
import pytest

import utacbook.claims as uc


def claim(criterion, **kw):
    kw.setdefault("id", "t.claim")
    return uc.Claim(source=kw.pop("source", "guide"), section="§", text="the text says so",
                    quantity="q", criterion=criterion, **kw)


def M(v, e=0.0, c=""):
    return uc.Measurement(v, e, condition=c)


def test_agreement_within_k_sigma_and_tolerance():
    a = uc.Agreement(3.25, k=2)
    assert a.test(M(3.25 + 2.0, 1.0))[0] and not a.test(M(3.25 + 2.01, 1.0))[0]
    # the target's own error adds in quadrature
    b = uc.Agreement(0.0, target_err=0.3, k=1)
    assert b.test(M(0.5, 0.4))[0] and not b.test(M(0.51, 0.4))[0]
    # the text's tolerance widens the band; k sigma adds to it
    t = uc.Agreement(10.0, rel_tol=0.3, k=0)
    assert t.test(M(13.0))[0] and not t.test(M(13.01))[0]
    assert uc.Agreement(10.0, rel_tol=0.3, k=1).test(M(13.5, 0.5))[0]
    assert "±30 %" in t.describe() and "within 2 standard errors" in a.describe()
    assert "(the text's tolerance)" in t.describe()
    assert "(ours: grid spacing)" in uc.Agreement(1.0, abs_tol=0.1, tolerance_from="ours: grid spacing").describe()
    # with a tolerance the errors add to the band (|d| <= tol + k sigma): the text must say "plus", not "and within"
    both = uc.Agreement(10.0, rel_tol=0.3, k=1)
    assert both.describe().endswith("plus 1 standard errors") and "and within" not in both.describe()
    with pytest.raises(ValueError):
        uc.Agreement(1.0, tolerance_from="")
    with pytest.raises(TypeError):
        a.test(M(True))


def test_bound_sign_effect_holds():
    b = uc.Bound(lower=0.7, k=2)
    assert b.test(M(0.69, 0.01))[0] and not b.test(M(0.67, 0.01))[0]
    assert uc.Bound(upper=100, k=0).test(M(100))[0] and not uc.Bound(upper=100, k=0).test(M(101))[0]
    with pytest.raises(ValueError):
        uc.Bound()
    with pytest.raises(ValueError):
        uc.Bound(2, 1)
    s = uc.Sign(-1, k=3)
    assert s.test(M(-3.01, 1))[0] and not s.test(M(-2.99, 1))[0] and not s.test(M(5, 1))[0]
    assert uc.Sign(+1).test(M(0.1))[0] and not uc.Sign(+1).test(M(0.0))[0]
    with pytest.raises(ValueError):
        uc.Sign(0)
    e = uc.Effect(alpha=0.01, direction=+1)
    z = 2.3263478740408408                      # one-sided 1 % point of the normal
    assert e.test(M(z + 1e-6, 1))[0] and not e.test(M(z - 1e-6, 1))[0]
    assert math.isclose(uc.Effect(0.05).p_value(M(1.959963984540054, 1)), 0.05)
    assert uc.Effect(0.05).test(uc.Measurement(0.0, 1.0, p_value=0.01))[0]
    with pytest.raises(ValueError):
        uc.Effect(0.05).test(M(1.0))            # no error and no p-value
    h = uc.Holds("runs as written")
    assert h.test(M(True))[0] and not h.test(M(np.bool_(False)))[0]
    with pytest.raises(TypeError):
        h.test(M(1.0))


def test_verdicts_follow_the_conditions():
    c = claim(uc.Bound(upper=100, k=0))
    assert c.judge([M(50, c="K = 3"), M(80, c="K = 4.21")]).verdict == uc.HELD
    j = c.judge([M(50, c="K = 3"), M(340, c="K = 5.54"), M(210, c="K = 6")])
    assert j.verdict == uc.CAVEATS
    assert j.caveat == "holds at K = 3; fails at K = 5.54, K = 6"
    assert j.n_met == 1 and "fails at K = 5.54" in j.verdict_text()
    assert c.judge(M(101)).verdict == uc.NOT_REPRODUCED and c.judge(M(101)).caveat == ""
    # a summary never changes the verdict
    assert c.judge(M(101), summary="held, really").verdict == uc.NOT_REPRODUCED
    assert "(fine below)" in c.judge([M(1, c="a"), M(200, c="b")], summary="fine below").finding()


def test_ordering_judges_every_step():
    c = claim(uc.Ordering(increasing=True, k=2))
    j = c.judge([M(1.0, 0.1, "J=0.5"), M(2.0, 0.1, "J=1"), M(2.1, 0.1, "J=1.5")])
    assert j.verdict == uc.CAVEATS
    assert j.caveat == "holds at J=0.5 → J=1; fails at J=1 → J=1.5"
    assert claim(uc.Ordering(increasing=False)).judge(
        [M(3, 0.1, "a"), M(2, 0.1, "b")]).verdict == uc.HELD
    with pytest.raises(ValueError):
        c.judge([M(1.0, 0.1, "a")])


def test_untested_claims_need_a_reason_and_no_data():
    c = claim(None, needs="follower graphs")
    j = c.judge()
    assert j.verdict == uc.NOT_TESTED and "follower graphs" in j.finding()
    with pytest.raises(ValueError):
        c.judge(M(1.0))
    with pytest.raises(ValueError, match="needs"):
        claim(None)


@pytest.mark.parametrize("bad, exc", [
    (dict(id="Bad Id"), ValueError), (dict(id="nodot"), ValueError),
    (dict(source="blog"), ValueError), (dict(text=""), ValueError),
    (dict(criterion="held"), TypeError), (dict(scope=3), TypeError),
])
def test_bad_claims_raise(bad, exc):
    kw = dict(id="t.x", source="essay", section="i", text="t", quantity="q", criterion=uc.Sign(+1))
    kw.update(bad)
    with pytest.raises(exc):
        uc.Claim(**kw)


@pytest.mark.parametrize("args, exc, word", [
    ((float("nan"),), ValueError, "value"), ((1.0, -1.0), ValueError, "err"),
    ((1.0, float("inf")), ValueError, "err"), (("1.0",), TypeError, "value"),
])
def test_bad_measurements_raise(args, exc, word):
    with pytest.raises(exc, match=word):
        uc.Measurement(*args)
    with pytest.raises(ValueError, match="p_value"):
        uc.Measurement(1.0, 0.1, p_value=1.5)


def test_judge_checks_its_input():
    c = claim(uc.Sign(+1))
    with pytest.raises(ValueError, match="at least one"):
        c.judge([])
    with pytest.raises(ValueError, match="condition"):
        c.judge([M(1, 0.1, "a"), M(2, 0.1, "a")])
    with pytest.raises(TypeError):
        c.judge([1.0])


def test_tables_render_and_refuse_duplicates():
    js = [claim(uc.Agreement(1.0), id="t.a").judge(uc.Measurement(1.1, 0.1, text="|m| = 1.1")),
          claim(None, id="t.b", source="ours", needs="data").judge()]
    md = uc.claims_table(js, glue=False, display=False)
    lines = md.splitlines()
    assert len(lines) == 4
    # the escaped pipes of |m| do not add cells
    assert lines[0].count("|") == lines[2].replace("\\|", "").count("|") == 8
    assert "\\|m\\|" in md and "**held**" in md and "**not tested**" in md and "*ours*" in md
    with pytest.raises(ValueError, match="unique"):
        uc.claims_table([js[0], js[0]], glue=False, display=False)
    with pytest.raises(TypeError):
        uc.claims_table([js[0].claim], glue=False, display=False)
    crit = uc.criteria_table([j.claim for j in js], display=False)
    assert "agrees with 1" in crit and "not testable here: needs data" in crit
    rec = js[0].to_record()
    assert rec["verdict"] == uc.HELD and rec["n_conditions"] == 1 and rec["measured"] == "|m| = 1.1"


def test_glue_keys_are_valid():
    from utacbook.report import KEY_PATTERN
    for suffix in ("claim", "verdict", "finding", "measured", "source"):
        assert KEY_PATTERN.match(f"claim.rg.quickstart.beta-fit_2.{suffix}")


def test_familywise_k():
    assert abs(uc.familywise_k(1) - 1.959963984540054) < 1e-12
    assert uc.familywise_k(20) > uc.familywise_k(5) > uc.familywise_k(1)
    assert abs(uc.familywise_k(1, 0.05, two_sided=False) - 1.6448536269514722) < 1e-12
    with pytest.raises(ValueError):
        uc.familywise_k(0)
    with pytest.raises(ValueError):
        uc.familywise_k(3, alpha=1.5)


def test_conditions_frame_lists_every_condition_untruncated():
    c = uc.Claim("demo.many", source="ours", section="", text="x > 0", quantity="x",
                 criterion=uc.Sign(+1, k=3))
    ms = [uc.Measurement(float(i) - 1.0, 0.1, condition=f"c{i}") for i in range(7)]
    j = c.judge(ms)
    df = j.conditions_frame()
    assert df["condition"].tolist() == [f"c{i}" for i in range(7)]
    assert df["met"].tolist() == [False, False] + [True] * 5
    assert df["value"].tolist() == [m.value for m in ms]
    assert "… (7 conditions)" in j.measured_text()          # the table shortens; the frame does not
    assert j.n_met == int(df["met"].sum())
