"""The web page in a real headless browser (Debian's chromium driven by Playwright): list the
flags, click one, see its evidence and timeline; a hostile feed statement stays text."""

import struct
from pathlib import Path

import pytest

from detector.query import flags_frame
from detector.web.app import BackgroundServer, create_app

pytestmark = [pytest.mark.integration, pytest.mark.slow]  # a headless browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is missing (install Debian's chromium package)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


def test_click_a_flag_shows_its_evidence(browser, hostile_demo_db, tmp_path):
    app = create_app(hostile_demo_db.url)
    flags = flags_frame(app.state.engine)
    hostile = flags[flags["id"] == hostile_demo_db.flag_id].iloc[0]
    with BackgroundServer(app) as srv:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        errors, requests = [], []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("request", lambda req: requests.append(req.url))
        page.goto(srv.url + "/")
        rows = page.locator("#flags tbody tr")
        rows.first.wait_for()
        assert rows.count() == min(len(flags), 25)
        listing = page.inner_text("#flags")
        assert "contradiction" in listing and "2025-11-24" in listing
        assert f"(1\u2013{rows.count()} of {len(flags)})" in page.inner_text("#count")
        # the timeline of the first flag's actor is drawn before any click
        page.locator("#timeline svg rect.flag-band").first.wait_for()

        page.locator(f'#flags tbody tr[data-flag-id="{hostile_demo_db.flag_id}"]').click()
        page.locator("#evidence .statement").first.wait_for()
        evidence = page.locator("#evidence")
        # the flag's own statements plus the hostile one
        assert f"Statements ({hostile.n_statements + 1})" in evidence.inner_text()
        assert f"Strike events ({hostile.n_strikes})" in evidence.inner_text()
        assert page.locator("#evidence table.strikes tbody tr").count() == hostile.n_strikes
        assert "https://demo.detector.example/" in evidence.inner_text()
        # the hostile statement is shown as its literal text and nothing in it ran
        first = page.locator("#evidence .statement .text").first
        assert first.text_content() == hostile_demo_db.text
        assert page.evaluate("window.__pwned") is None
        assert page.locator("#evidence script, #evidence img").count() == 0
        assert page.locator('#evidence a[href^="javascript"]').count() == 0
        assert page.locator("#flags tbody tr.selected").count() == 1
        # two bars per period (R and A) and the flag bands
        assert page.locator("#timeline svg rect").count() > 40
        assert page.locator("#timeline svg rect.flag-band").count() >= 2

        shot = tmp_path / "page.png"
        page.screenshot(path=str(shot), full_page=True)
        data = shot.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", data[16:24])
        assert width == 1400 and height >= 1000 and len(data) > 50_000

        # a bad filter shows the API's message, and no request left the loopback server
        page.fill('input[name="since"]', "2025-13-01")
        page.click('#filters button[type="submit"]')
        page.locator("#error:not([hidden])").wait_for()
        assert "is not a date" in page.inner_text("#error")
        page.close()
    app.state.engine.dispose()
    assert errors == []
    assert requests and all(u.startswith(srv.url) for u in requests)
