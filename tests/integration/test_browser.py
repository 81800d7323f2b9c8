"""The web page in a real headless browser (Debian's chromium driven by Playwright): list the
flags, click one, see its evidence and timeline; a hostile feed statement stays text; a deep
link (`/#flag=ID`, `/#actor=...&since=...`) opens the same view without a click; the layout fits
1280-1600 px; screenshots of a deep-linked flag are stored as test artifacts
($DETECTOR_TEST_ARTIFACTS, default pytest's tmp dir)."""

import os
import struct
from pathlib import Path

import pytest

from detector.query import flag_evidence_frames, flags_frame
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
        # (evidence is in date order now, so it is found by its text, not its rank)
        texts = page.locator("#evidence .statement .text").all_text_contents()
        assert hostile_demo_db.text in texts
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


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory):
    folder = os.environ.get("DETECTOR_TEST_ARTIFACTS")
    out = Path(folder) if folder else tmp_path_factory.mktemp("browser_artifacts")
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.fixture(scope="module")
def demo_server(shared_demo_db):
    app = create_app(shared_demo_db.url)
    with BackgroundServer(app) as srv:
        yield srv, app
    app.state.engine.dispose()


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")


def test_deep_link_opens_the_flag_with_its_evidence(browser, demo_server, artifacts):
    srv, app = demo_server
    flags = flags_frame(app.state.engine)
    flag = flags.sort_values("score", ascending=False).iloc[0]
    _, statements, strikes = flag_evidence_frames(app.state.engine, flag["id"])
    first = statements.iloc[0]  # rank 0: the scorer's first statement
    earliest = statements.sort_values("published_at").iloc[0]
    shots = []
    for width in (1400, 1280, 1600):
        page = browser.new_page(viewport={"width": width, "height": 1000})
        errors, requests = [], []
        page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
        page.on("request", lambda req, requests=requests: requests.append(req.url))
        page.goto(f"{srv.url}/#flag={flag['id']}")
        page.locator("#evidence .statement").first.wait_for()
        page.locator("#timeline svg rect.evidence-window").wait_for()
        evidence = page.inner_text("#evidence")
        # without a click: the flag, its first statement, the explanation and the legend
        assert first["text"] in evidence
        assert (
            f"{flag['kind']} by {flag['actor']}, {flag['start']} \u2013 {flag['end']}" in evidence
        )
        assert "rule" in evidence and flag["details"]["rule"] in evidence
        assert "p n/a" in evidence and "coupling (RUS)" in evidence
        assert "evidence window" in evidence and "episode" in evidence
        assert page.locator("#explanation").is_visible()
        assert "not proof of intent" in page.inner_text("#explanation")
        assert "Dates are UTC" in page.inner_text("#explanation")
        legend = page.inner_text("#legend")
        assert page.locator("#legend").is_visible()
        for key in ("contradiction flag", "episode", "evidence window", "commitment", "statement"):
            assert key in legend
        # evidence in date order, the earliest first; times in UTC with the zone named
        texts = page.locator("#evidence .statement .text").all_text_contents()
        assert texts[0] == earliest["text"] and len(texts) == len(statements)
        assert " UTC" in page.inner_text("#evidence .statement .meta >> nth=0")
        assert page.locator("#evidence table.strikes tbody tr").count() == len(strikes)
        # the timeline: selected flag shaded, episode, marks with hover titles, y-axis ticks
        assert page.locator("#timeline rect.flag-band.selected").count() == 2
        assert page.locator("#timeline rect.episode-band").count() >= 2
        assert page.locator("#timeline circle.statement-mark").count() == len(statements)
        assert page.locator("#timeline circle.statement-mark title").count() == len(statements)
        assert page.locator("#timeline path.strike-mark").count() == len(strikes)
        assert page.locator("#flags tbody tr.selected").count() == 1
        assert no_horizontal_scroll(page), f"horizontal scroll at {width} px"
        if width != 1400:
            shot = artifacts / f"flag-{flag['id']}-{width}.png"
            page.screenshot(path=str(shot))
            shots.append((shot, width))
        page.close()
        assert errors == []
        assert requests and all(u.startswith(srv.url) for u in requests)
    for shot, width in shots:
        assert png_size(shot) == (width, 1000) and shot.stat().st_size > 30_000
        print(f"screenshot: {shot}")


def test_filter_deep_link(browser, demo_server):
    from playwright.sync_api import expect  # (wait_for_function would need 'unsafe-eval')

    srv, app = demo_server
    flags = flags_frame(app.state.engine)
    one = flags.sort_values("start").iloc[-1]
    since, until = one["start"].isoformat(), one["end"].isoformat()
    want = flags_frame(app.state.engine, actor="RUS", since=one["start"], until=one["end"])
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(f"{srv.url}/#actor=RUS&since={since}&until={until}")
    expect(page.locator("#count")).to_contain_text(f"of {len(want)})")
    assert page.locator("#flags tbody tr").count() == len(want)
    assert page.input_value('input[name="actor"]') == "RUS"
    assert page.input_value('input[name="since"]') == since
    assert no_horizontal_scroll(page)
    # choosing a flag keeps the filters in the address: a link to share
    page.locator("#flags tbody tr").first.click()
    page.locator("#evidence .statement").first.wait_for()
    assert f"flag={want.iloc[0]['id']}" in page.url and f"since={since}" in page.url
    # a filter that matches nothing says so
    page.goto(f"{srv.url}/#kind=violation&actor=UKR")
    expect(page.locator("#count")).to_contain_text("of 0)")
    assert "no flags match" in page.inner_text("#flags")
    page.close()


def test_docs_page_without_network(browser, demo_server):
    srv, _ = demo_server
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    requests = []
    page.on("request", lambda req: requests.append(req.url))
    page.goto(f"{srv.url}/docs")
    page.locator(".endpoint").first.wait_for()
    text = page.inner_text("#endpoints")
    assert "GET /flags/{flag_id}" in text and "min_score" in text and "GET /coupling" in text
    assert requests and all(u.startswith(srv.url) for u in requests)
    page.close()
