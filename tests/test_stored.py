"""utacbook.stored: results too slow for a chapter, stored with provenance."""

import json

import numpy as np
import pytest

import utacbook.stored as st


def toy(*, n=3, seed=0):
    """A seeded computation to store (importable as tests.test_stored:toy is not needed)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return {"mean": float(x.mean()), "x": x, "n": np.int64(n)}


def test_compute_load_recompute(tmp_path, monkeypatch):
    import sys
    sys.modules.setdefault("toy_mod", sys.modules[__name__])
    r = st.compute("toy", "toy_mod:toy", data_dir=tmp_path, n=4, seed=7)
    assert r["n"] == 4 and len(r["x"]) == 4
    d = json.loads((tmp_path / "toy.json").read_text())
    assert d["provenance"]["params"] == {"n": 4, "seed": 7}
    again = st.load("toy", data_dir=tmp_path)
    assert again.values == r.values
    txt = again.provenance_text()
    assert "toy_mod:toy(n=4, seed=7)" in txt and "python -m utacbook.stored toy" in txt
    old, new = st.recompute("toy", data_dir=tmp_path, write=False)
    assert old.values == new.values          # same seed, same numbers


def test_bad_input(tmp_path):
    with pytest.raises(FileNotFoundError, match="compute"):
        st.load("nope", data_dir=tmp_path)
    with pytest.raises(ValueError, match="module:qualname"):
        st.compute("x", "no_colon", data_dir=tmp_path)
    with pytest.raises(ValueError, match="name"):
        st.compute("bad name", "json:dumps", data_dir=tmp_path)
    with pytest.raises(ValueError, match="non-finite"):
        st._jsonable({"a": float("nan")})
    with pytest.raises(TypeError, match="JSON"):
        st._jsonable({"a": object()})


def test_every_stored_result_has_provenance():
    for path in sorted(st.DATA_DIR.glob("*.json")):
        d = json.loads(path.read_text(encoding="utf-8"))
        p = d["provenance"]
        for key in ("function", "params", "version", "created", "seconds", "cores"):
            assert key in p, f"{path.name}: provenance lacks {key}"
        st._resolve(p["function"])           # still importable
        assert "seed" in p["params"] or p.get("deterministic"), f"{path.name}: no seed recorded"
