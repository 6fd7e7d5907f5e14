"""Text outputs of executed chapters, for proving a refactor neutral.

    python tests/chapter_text.py _build/jupyter_execute OUTDIR

writes one ``<part>__<chapter>.txt`` per executed notebook with every code cell's
source-free text outputs (streams, ``text/plain``, ``text/markdown``, ``text/html``
tables and error tracebacks), so that two builds can be compared with ``diff -r``.
Images are left out (Matplotlib's PNG bytes are not reproducible across versions);
consecutive chunks of one stream are merged (where the kernel splits them depends
on timing). Wall-clock times still differ between any two runs.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path



def chapter_text(nb_path: Path) -> str:
    nb = json.loads(nb_path.read_text())
    out = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        merged = []   # consecutive stream chunks of one name are one stream (the kernel's
        for o in cell.get("outputs", []):   # flush points depend on timing)
            if (o["output_type"] == "stream" and merged and merged[-1]["output_type"] == "stream"
                    and merged[-1]["name"] == o["name"]):
                merged[-1] = {**merged[-1], "text": "".join(merged[-1]["text"]) + "".join(o["text"])}
            else:
                merged.append(o)
        for o in merged:
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
