"""Open every page of the built book in headless Chromium and check what a reader sees.

For each HTML page under ``_build/html`` (``make book``) the test checks that

* no JavaScript error is raised or logged, no file is missing (HTTP 404) and no
  request leaves this machine (the book must work offline);
* every image has loaded;
* the maths is typeset by MathJax (every maths element rendered, no TeX error,
  no raw ``$$`` or ``\\(`` left in the text);
* no cell output shows an error traceback, and no ipywidgets control is left
  without a kernel (a dead slider);

and saves a full-page screenshot of a failing page (of every page with UTACBOOK_SCREENSHOTS=1)
to ``_build/screenshots/<path, / replaced by __>.png``.
On the pages with a static exploration (a matplotlib jshtml player) it moves the
slider and checks that the figure shown changes.  It also checks that the search page
finds chapters, and that every chapter page offers its notebook for download (the link
serves the committed notebook).

Each check is also run on deliberately broken pages (``test_checks_catch_*``), so a
check that silently stops working fails too.
"""

from __future__ import annotations

import os
import re
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin
from urllib.request import urlopen

import pytest

REPO = Path(__file__).resolve().parents[2]
# The book to test and where its screenshots go; both can be moved by environment variables.
HTML_DIR = Path(os.environ.get("UTACBOOK_HTML_DIR", REPO / "_build" / "html")).resolve()
SCREENSHOT_DIR = Path(os.environ.get("UTACBOOK_SCREENSHOT_DIR", REPO / "_build" / "screenshots")).resolve()

# --------------------------------------------------------------------------- pages


def book_pages(html_dir: Path) -> list[str]:
    """Every HTML page of a built book, as paths relative to ``html_dir`` (with /).

    Sphinx's own folders (``_static``, ``_sources``, ``_images``, ...) hold
    templates and assets, not pages, and are left out.
    """
    if not html_dir.is_dir():
        return []
    pages = []
    for path in sorted(html_dir.rglob("*.html")):
        rel = path.relative_to(html_dir)
        if any(part.startswith("_") for part in rel.parts[:-1]):
            continue
        pages.append(rel.as_posix())
    return pages


PLAYER_RE = re.compile(r'class="animation"[\s\S]*?type="range"')


def player_pages(html_dir: Path, pages: list[str]) -> list[str]:
    """The pages holding a matplotlib jshtml player (a div.animation with a range slider)."""
    return [p for p in pages if PLAYER_RE.search((html_dir / p).read_text(encoding="utf-8", errors="replace"))]


# Collected at import time, so that every page is a test of its own.
PAGES = book_pages(HTML_DIR)
PLAYER_PAGES = player_pages(HTML_DIR, PAGES)
NO_BOOK = f"no built book at {HTML_DIR}: run `make book` first (or set UTACBOOK_HTML_DIR)"


REDIRECT_RE = re.compile(r'<meta http-equiv="Refresh" content="\d+;\s*url=([^"]+)"', re.IGNORECASE)


def redirect_target(html_file: Path) -> str | None:
    """Where a redirect page (``<meta http-equiv="Refresh">``, e.g. index.html) sends the reader."""
    m = REDIRECT_RE.search(html_file.read_text(encoding="utf-8", errors="replace"))
    return m.group(1) if m else None


def screenshot_path(page_path: str) -> Path:
    """``_build/screenshots/<page path with / replaced by __>.png``."""
    return SCREENSHOT_DIR / (Path(page_path).with_suffix("").as_posix().replace("/", "__") + ".png")


# --------------------------------------------------------------------------- checks

# Messages that are known, harmless and not ours to fix. Each entry is one exact
# message; never add a pattern here.
IGNORED_PAGE_ERRORS = {
    # sphinx-thebe 0.3.1 adds its inline config script (`const THEBE_JS_URL = ...`)
    # with app.add_js_file(None, body=...) after the HTML builder has started;
    # Sphinx 7.4 then lists it twice (once as filename None, once as ''), so the
    # second copy fails to redeclare the constants. The first copy has defined
    # them, and Thebe is switched off in _config.yml (launch_buttons.thebe: false).
    "Identifier 'THEBE_JS_URL' has already been declared",
}


def is_favicon_404(message: dict, base_url: str) -> bool:
    """Chromium asks every site for /favicon.ico; the book has no favicon, which is not an error
    of the page. Matches only that one request, at the root of the test server."""
    return (
        message["text"].startswith("Failed to load resource: the server responded with a status of 404")
        and message["url"] == f"{base_url}/favicon.ico"
    )


# MathJax 3 finishes its first typesetting pass when MathJax.startup.promise resolves.
MATH_JS = """
async () => {
  const maths = Array.from(document.querySelectorAll('.math'));
  const out = {n_math: maths.length, loaded: false, n_rendered: 0, untypeset: [], tex_errors: []};
  if (!maths.length) return out;
  if (!(window.MathJax && window.MathJax.startup && window.MathJax.startup.promise)) return out;
  out.loaded = true;
  await Promise.race([window.MathJax.startup.promise,
                      new Promise((_, reject) => setTimeout(() => reject('MathJax timed out'), 30000))]);
  out.n_rendered = document.querySelectorAll('mjx-container').length;
  out.untypeset = maths.filter(m => !m.querySelector('mjx-container'))
                       .map(m => m.textContent.trim().slice(0, 80));
  out.tex_errors = Array.from(document.querySelectorAll('mjx-merror'))
                        .map(e => (e.getAttribute('data-mjx-error') || e.textContent).slice(0, 80));
  return out;
}
"""

# Text a reader sees that still holds TeX delimiters: maths that was never typeset.
# Code (pre, code, .highlight) may show TeX on purpose and is skipped.
RAW_TEX_JS = r"""
() => {
  // .sig: an API signature shows default values as code (e.g. ylabel=r"$\\beta$")
  const skip = 'pre, code, script, style, textarea, .highlight, .sig, mjx-container, mjx-assistive-mml';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const raw = /\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{|\$[^$\n]*\\[A-Za-z]+[^$\n]*\$/;
  const hits = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest(skip)) continue;
    const m = node.textContent.match(raw);
    if (m) {
      const i = Math.max(0, m.index - 30);
      hits.push(node.textContent.slice(i, m.index + 50).replace(/\s+/g, ' '));
    }
  }
  return hits;
}
"""

IMAGES_JS = """
async () => {
  const imgs = Array.from(document.images);
  imgs.forEach(i => { if (i.loading === 'lazy') i.loading = 'eager'; });
  const settled = i => i.complete ? Promise.resolve() : new Promise(resolve => {
    i.addEventListener('load', resolve, {once: true});
    i.addEventListener('error', resolve, {once: true});
  });
  await Promise.race([Promise.all(imgs.map(settled)), new Promise(r => setTimeout(r, 15000))]);
  return {n: imgs.length,
          broken: imgs.filter(i => !(i.complete && i.naturalWidth > 0))
                      .map(i => (i.getAttribute('src') || '(no src)').slice(0, 100))};
}
"""

# MyST-NB renders an error output as <div class="output traceback ...">; a traceback
# printed to stderr or stdout shows up as text in a cell output.
TRACEBACK_JS = """
() => {
  const found = Array.from(document.querySelectorAll('.output.traceback'))
                     .map(e => 'error output: ' + e.textContent.trim().split('\\n').pop().slice(0, 120));
  for (const out of document.querySelectorAll('.cell_output, .output')) {
    if (out.textContent.includes('Traceback (most recent call last)'))
      found.push('traceback text in a cell output: ' + out.textContent.trim().split('\\n').pop().slice(0, 120));
  }
  return Array.from(new Set(found));
}
"""

# ipywidgets need a kernel, or the widget manager scripts that _config.yml leaves
# out (they load from a CDN): a widget view left in the HTML is a dead control.
DEAD_WIDGETS_JS = """
() => document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]').length
"""


def check_page(
    open_page, url: str, screenshot: Path | None = None, *, redirect_to: str | None = None
) -> tuple[list[str], dict]:
    """Open ``url`` and return (problems a reader would meet, facts about the page).

    ``open_page`` is the ``new_page`` fixture. A failing page is saved as a
    full-page screenshot so that it can be looked at (every page with
    ``UTACBOOK_SCREENSHOTS=1``). ``redirect_to``: the
    URL a redirect page must land on; the checks then apply to that page.
    """
    base_url = re.match(r"https?://[^/]+", url).group(0)
    messages, page_errors, external, missing = [], [], [], []
    page = open_page(on_external=external.append)
    page.on("console", lambda m: messages.append({"type": m.type, "text": m.text, "url": m.location.get("url", "")}))
    page.on("pageerror", lambda e: page_errors.append(getattr(e, "message", str(e))))
    page.on("response", lambda r: missing.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)

    t0 = time.perf_counter()
    page.goto(url, wait_until="load")
    if redirect_to is not None:
        page.wait_for_url(redirect_to, wait_until="load", timeout=10_000)
    facts = {"final_url": page.url}
    math = page.evaluate(MATH_JS)
    images = page.evaluate(IMAGES_JS)
    raw_tex = page.evaluate(RAW_TEX_JS)
    tracebacks = page.evaluate(TRACEBACK_JS)
    dead_widgets = page.evaluate(DEAD_WIDGETS_JS)
    facts.update(math=math, n_images=images["n"])
    facts["seconds"] = time.perf_counter() - t0

    problems = []
    problems += [f"JavaScript error: {e}" for e in page_errors if e not in IGNORED_PAGE_ERRORS]
    problems += [
        f"console error: {m['text']} ({m['url']})"
        for m in messages
        if m["type"] == "error" and not is_favicon_404(m, base_url)
    ]
    problems += [m for m in missing if not m.endswith(f"{base_url}/favicon.ico")]
    problems += [f"request leaves this machine (the book must work offline): {u}" for u in external]
    problems += [f"image did not load: {src}" for src in images["broken"]]
    if math["n_math"]:
        if not math["loaded"]:
            problems.append(f"{math['n_math']} maths element(s) but MathJax did not load")
        elif math["n_rendered"] == 0:
            problems.append("MathJax loaded but typeset nothing (no mjx-container)")
        problems += [f"maths not typeset: {t}" for t in math["untypeset"][:5]]
        problems += [f"TeX error: {t}" for t in math["tex_errors"][:5]]
    problems += [f"raw TeX in the text: ...{t}..." for t in raw_tex[:5]]
    problems += tracebacks
    if dead_widgets:
        problems.append(f"{dead_widgets} ipywidgets view(s) with no widget manager (dead controls)")
    # Full-page screenshots of long pages cost seconds each: taken of a page with a problem,
    # or of every page with UTACBOOK_SCREENSHOTS=1.
    if screenshot is not None and (problems or os.environ.get("UTACBOOK_SCREENSHOTS") == "1"):
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshot), full_page=True)
        facts["screenshot"] = str(screenshot)
    return problems, facts


# --------------------------------------------------------------------------- the book


@pytest.fixture(scope="session")
def book_url(serve):
    """Base URL of the built book (``HTML_DIR``), served for the whole session."""
    if not (HTML_DIR / "index.html").is_file():
        pytest.fail(NO_BOOK)
    with serve(HTML_DIR) as url:
        yield url


@pytest.mark.parametrize("path", PAGES or [pytest.param(None, id="no-book")])
def test_page(path, book_url, new_page):
    """Every page: no JS error, images loaded, maths typeset, no traceback (screenshot if it fails)."""
    if path is None:
        pytest.fail(NO_BOOK)
    url = f"{book_url}/{path}"
    target = redirect_target(HTML_DIR / path)
    if target is not None:
        assert (HTML_DIR / path).parent.joinpath(target).is_file(), f"{path} redirects to a missing page: {target}"
        target = urljoin(url, target)
    problems, facts = check_page(new_page, url, screenshot_path(path), redirect_to=target)
    print(f"{path}: {facts}")
    assert not problems, f"{path}: " + "\n  ".join(["problems a reader would meet:"] + problems)


def test_book_has_a_static_exploration():
    """At least one page carries a precomputed player for a widget exploration."""
    if not PAGES:
        pytest.fail(NO_BOOK)
    assert PLAYER_PAGES, (
        "no page of the built book holds a static exploration (a matplotlib jshtml player: "
        "div.animation with an input[type=range]); the HTML book must show one for each widget exploration"
    )


# --------------------------------------------------------------------------- the player

# Matplotlib's jshtml player: <div class="animation"> <img> ... <input type="range"
# oninput="animXXX.set_frame(...)"> and step buttons. It is driven as a reader would:
# the slider is moved with an input event and the "Next frame" button is clicked.
PLAYER_JS = """
(root) => {
  const img = root.querySelector('img');
  const slider = root.querySelector('input[type=range]');
  return {src: img.getAttribute('src') || '', value: slider.value,
          min: slider.min, max: slider.max, complete: img.complete, width: img.naturalWidth};
}
"""

MOVE_SLIDER_JS = """
(root, value) => {
  const slider = root.querySelector('input[type=range]');
  slider.value = String(value);
  slider.dispatchEvent(new Event('input', {bubbles: true}));
  slider.dispatchEvent(new Event('change', {bubbles: true}));
}
"""


def player_problems(root) -> list[str]:
    """Move one player's slider and click its step button; report what did not change the figure."""
    problems = []
    before = root.evaluate(PLAYER_JS)
    if not before["src"] or before["width"] == 0:
        return [f"the player shows no frame before it is touched (img src {before['src'][:40]!r})"]
    lo, hi = int(before["min"]), int(before["max"])
    if hi <= lo:
        return [f"the slider has a single position ({lo}..{hi}): nothing to explore"]
    # Move the slider to the far end from where it starts.
    target = hi if int(before["value"]) - lo < hi - int(before["value"]) else lo
    root.evaluate(MOVE_SLIDER_JS, target)
    after = root.evaluate(PLAYER_JS)
    if after["src"] == before["src"]:
        problems.append(f"moving the slider from {before['value']} to {target} did not change the figure")
    elif not (after["complete"] and after["width"] > 0):
        problems.append(f"the frame at slider position {target} did not load")
    # Back to the start, then one step with the reader's "Next frame" button.
    root.evaluate(MOVE_SLIDER_JS, lo)
    first = root.evaluate(PLAYER_JS)
    root.locator("button[title='Next frame']").click()
    stepped = root.evaluate(PLAYER_JS)
    if stepped["src"] == first["src"] or stepped["value"] == first["value"]:
        problems.append("the 'Next frame' button did not move the player")
    return problems


@pytest.mark.parametrize("path", PLAYER_PAGES or [pytest.param(None, id="no-player")])
def test_player_changes_figure(path, book_url, new_page):
    """On each page with a static exploration, moving the control changes the figure shown."""
    if path is None:
        pytest.skip("no page with a static exploration (test_book_has_a_static_exploration reports it)")
    page = new_page()
    page.goto(f"{book_url}/{path}", wait_until="load")
    players = page.locator("div.animation:has(input[type=range])")
    n = players.count()
    assert n > 0, f"{path}: the player markup is in the HTML but not in the page"
    problems = []
    for i in range(n):
        root = players.nth(i)
        root.scroll_into_view_if_needed()
        problems += [f"player {i + 1} of {n}: {p}" for p in player_problems(root)]
    assert not problems, f"{path}:\n  " + "\n  ".join(problems)


# --------------------------------------------------------------------------- the checks themselves


def jshtml_player(n_frames: int, *, vary: bool = True) -> str:
    """HTML of a matplotlib jshtml player whose frames differ (or not, if ``vary`` is False).

    Matplotlib's template links Font Awesome from a CDN; that link is dropped so the
    page is offline, as the book's players must be.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation

    fig, ax = plt.subplots(figsize=(2, 2), dpi=50)
    (line,) = ax.plot([0, 1], [0, 0])
    ax.set_ylim(-1, n_frames)

    def update(i):
        line.set_data([0, 1], [0, i if vary else 0])
        return (line,)

    html = FuncAnimation(fig, update, frames=n_frames).to_jshtml(default_mode="once")
    plt.close(fig)
    return re.sub(r'<link rel="stylesheet"\s+href="https://[^"]*font-awesome[^"]*">', "", html)


@pytest.fixture
def scratch_site(tmp_path, serve):
    """Serve ``tmp_path``; yield (directory, base URL)."""
    with serve(tmp_path) as url:
        yield tmp_path, url


def test_checks_catch_player_problems(scratch_site, new_page):
    """The player test passes on a working player and fails on one whose frames are all alike."""
    site, url = scratch_site
    (site / "good.html").write_text(f"<html><body>{jshtml_player(4)}</body></html>", encoding="utf-8")
    (site / "flat.html").write_text(f"<html><body>{jshtml_player(4, vary=False)}</body></html>", encoding="utf-8")
    assert player_pages(site, ["good.html", "flat.html"]) == ["good.html", "flat.html"]

    page = new_page()
    page.goto(f"{url}/good.html", wait_until="load")
    assert player_problems(page.locator("div.animation").first) == []

    page = new_page()
    page.goto(f"{url}/flat.html", wait_until="load")
    problems = player_problems(page.locator("div.animation").first)
    assert any("did not change the figure" in p for p in problems), problems
    assert any("'Next frame' button" in p for p in problems), problems


BROKEN_PAGE = r"""<!DOCTYPE html>
<html><head><title>broken</title>
<link rel="stylesheet" href="https://cdn.example.org/style.css">
</head><body>
<p>Unparsed maths: $$E = mc^2$$ and $\beta J$.</p>
<p><span class="math notranslate nohighlight">\(x^2\)</span></p>
<img src="missing.png" alt="missing">
<div class="cell_output docutils container">
  <div class="output traceback highlight-ipythontb notranslate"><pre>
Traceback (most recent call last):
ValueError: T must be positive</pre></div>
</div>
<script type="application/vnd.jupyter.widget-view+json">{"model_id": "x", "version_major": 2}</script>
<script>console.error("a logged error");</script>
<script>undefinedFunction();</script>
<pre>Code may show $$TeX$$ and \(x\) on purpose.</pre>
</body></html>
"""


def test_checks_catch_a_broken_page(scratch_site, new_page):
    """check_page reports each kind of problem on a deliberately broken page."""
    site, url = scratch_site
    (site / "broken.html").write_text(BROKEN_PAGE, encoding="utf-8")
    problems, facts = check_page(new_page, f"{url}/broken.html", site / "shot.png")
    text = "\n".join(problems)
    expected = [
        "JavaScript error: undefinedFunction is not defined",
        "console error: a logged error",
        "HTTP 404: " + f"{url}/missing.png",
        "request leaves this machine (the book must work offline): https://cdn.example.org/style.css",
        "image did not load: missing.png",
        "1 maths element(s) but MathJax did not load",
        "raw TeX in the text",
        "error output: ValueError: T must be positive",
        "traceback text in a cell output",
        "1 ipywidgets view(s) with no widget manager",
    ]
    for item in expected:
        assert item in text, f"check_page missed {item!r}; it reported:\n{text}"
    # TeX inside code is allowed: only the two prose hits ($$...$$ and $\beta J$) are reported.
    assert len([p for p in problems if p.startswith("raw TeX")]) == 2, text
    assert (site / "shot.png").stat().st_size > 0


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8000/book/intro.html", "http://localhost/x", "http://localhost", "ws://127.0.0.1:9/a",
    "data:image/png;base64,xx", "blob:http://127.0.0.1/abc", "about:blank",
    "https://cdn.jsdelivr.net/npm/mathjax.js", "http://127.0.0.1.example.org/x", "https://localhost.example.org/",
    "https://fonts.googleapis.com/css",
])
def test_blocked_requests_are_the_external_ones(url):
    """The pattern Playwright intercepts in the browser blocks exactly the URLs ``is_local`` calls external."""
    from conftest import EXTERNAL_URL, is_local

    assert bool(EXTERNAL_URL.match(url)) == (not is_local(url))


def test_checks_pass_a_clean_page(scratch_site, new_page):
    """check_page reports nothing on a plain, working page (no false alarms)."""
    site, url = scratch_site
    (site / "clean.html").write_text(
        "<!DOCTYPE html><html><head><title>clean</title></head><body>"
        "<p>Prices in prose: $5 and $10.</p><pre>$$x$$</pre>"
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw==" alt="dot">'
        "</body></html>",
        encoding="utf-8",
    )
    problems, facts = check_page(new_page, f"{url}/clean.html")
    assert problems == [], problems
    assert facts["n_images"] == 1


# --------------------------------------------------------------------------- search


@pytest.mark.parametrize("query,expected_page", [
    ("Onsager", "book/ising/01_engine.html"),
    ("hysteresis", "book/ising/06_hysteresis.html"),
])
def test_search_finds_the_chapter(query, expected_page, book_url, new_page):
    """The book's search page (Sphinx's client-side index) lists the chapter for a query."""
    if not (HTML_DIR / "search.html").is_file():
        pytest.fail("the built book has no search.html")
    page = new_page()
    page.goto(f"{book_url}/search.html?q={query}", wait_until="load")
    # Sphinx fills #search-results asynchronously from searchindex.js
    page.wait_for_function(
        "() => { const r = document.querySelector('#search-results');"
        " return r && r.querySelectorAll('li a').length > 0; }", timeout=20_000)
    links = page.eval_on_selector_all("#search-results li a",
                                      "els => els.map(e => e.getAttribute('href'))")
    assert any(expected_page in (h or "") for h in links), (query, links[:10])


# --------------------------------------------------------------------------- download buttons

CHAPTERS = sorted(p.relative_to(REPO).with_suffix("").as_posix()
                  for p in (REPO / "book").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


class _Links(HTMLParser):
    """The ``href`` of every ``<a>`` of a page."""

    def __init__(self):
        super().__init__()
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs += [v for k, v in attrs if k == "href" and v]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_page_offers_its_notebook(chapter, book_url):
    """Each chapter page has a download link to its notebook, and the link serves the
    committed notebook (same cells as book/<chapter>.ipynb)."""
    import json

    if not (HTML_DIR / f"{chapter}.html").is_file():
        pytest.fail(f"{chapter}.html is missing from the built book")
    # The download menu is in the served HTML itself: read it over HTTP without rendering the
    # page (test_page renders every page; rendering again cost ~2 s per chapter).
    url = f"{book_url}/{chapter}.html"
    with urlopen(url, timeout=30) as resp:            # raises on a 4xx/5xx status
        links = _Links()
        links.feed(resp.read().decode("utf-8"))
    hrefs = [urljoin(url, h) for h in links.hrefs if h.endswith(".ipynb")]
    wanted = [h for h in hrefs if h.endswith(f"_sources/{chapter}.ipynb")]
    assert wanted, f"{chapter}: no download link to its notebook among {hrefs}"
    with urlopen(wanted[0], timeout=30) as resp:
        served = json.loads(resp.read())
    committed = json.loads((REPO / f"{chapter}.ipynb").read_text(encoding="utf-8"))
    assert [c["source"] for c in served["cells"]] == [c["source"] for c in committed["cells"]]
