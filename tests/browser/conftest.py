"""Fixtures for the browser test: a localhost server for the built book and a headless Chromium.

The browser is Debian's Chromium (``/usr/bin/chromium``, installed by ``make browser-deps``),
driven by Playwright through ``executable_path``; Playwright's own browser download
(``playwright install``) is never used.

``UTACBOOK_CHROMIUM`` names another Chromium binary (default ``/usr/bin/chromium``);
test_pages.py reads ``UTACBOOK_HTML_DIR`` and ``UTACBOOK_SCREENSHOT_DIR``.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = os.environ.get("UTACBOOK_CHROMIUM", "/usr/bin/chromium")

# Flags for a headless Chromium on a machine with a closed network. Without the
# background-networking flags Chromium keeps trying to reach Google's services.
# Playwright adds --headless and starts every launch with a fresh, empty profile.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files without logging every request to stderr."""

    def log_message(self, format, *args):  # noqa: A002 - signature of the base class
        pass


@contextlib.contextmanager
def serve_directory(directory: Path):
    """Serve ``directory`` over HTTP on a free localhost port; yield the base URL (no trailing /)."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host}:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# The same test as a regular expression, matched in the browser: Playwright then intercepts
# only the requests that leave the machine (a Python predicate would route every request
# of every page through Python and back).
EXTERNAL_URL = re.compile(r"^(?!(?:data|blob|about):|[a-z][a-z0-9+.-]*://(?:127\.0\.0\.1|localhost)(?:[:/?#]|$))")


def is_local(url: str) -> bool:
    """True if a request stays on this machine (the test server, or data:/blob: URLs)."""
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    return parts.hostname in ("127.0.0.1", "localhost")


@pytest.fixture(scope="session")
def serve():
    """``serve(directory)``: a context manager serving a folder on localhost, yielding its base URL."""
    return serve_directory


@pytest.fixture(scope="session")
def browser():
    """One headless Debian Chromium for the whole session."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the browser test needs Playwright: pip install -e '.[test]' (or `make install`)")
    if shutil.which(CHROMIUM) is None:
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: run `make browser-deps` "
            "(installs Debian's chromium package) or set UTACBOOK_CHROMIUM"
        )
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_page(browser):
    """Return ``open(on_external)``: a fresh page in its own context (empty storage).

    Every request that would leave this machine is aborted and passed to
    ``on_external(url)``, so a page that needs the network fails the same way
    on every machine, online or not.
    """
    contexts = []

    def open_page(on_external=None):
        context = browser.new_context(viewport=VIEWPORT)
        contexts.append(context)

        def block(route):
            if on_external is not None:
                on_external(route.request.url)
            route.abort()

        context.route(EXTERNAL_URL, block)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()
