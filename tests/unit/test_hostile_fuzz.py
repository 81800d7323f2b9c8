"""Issue 16: fuzzing every source kind through ``parse_payload`` (no database).

Structure-aware rows (dates at the calendar's ends and in many time zones, numbers negative,
infinite, NaN or huge, strings with surrogates and control characters, JSON nesting, sizes)
plus byte mutation of the demo files and, when present, of a few real files read in place.
The only outcomes allowed: records, refused rows, or the project's own DetectorError (one line).
A quick sample runs by default; ``-m slow`` runs at least 10,000 cases.
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detector.config import SourceConfig
from detector.errors import DetectorError
from detector.ingest import SOURCE_KINDS, parse_payload
from detector.ingest.validate import DATE_MAX, DATE_MIN

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "detector" / "demo_data"
REAL = ROOT.parent / "shared" / "data" / "real"
TZS = [
    "UTC",
    "Asia/Tokyo",
    "America/Los_Angeles",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
    "Europe/Kyiv",
]
HEADERS = {
    "statements_csv": ["id", "text", "date", "url", "speaker", "title"],
    "telegram_csv": ["message_id", "date", "text", "urls"],
    "airforce_csv": ["time_start", "time_end", "model", "target", "launched", "destroyed"],
    "acled_csv": [
        "event_id_cnty",
        "event_date",
        "event_type",
        "sub_event_type",
        "actor1",
        "actor2",
        "location",
        "notes",
        "civilian_targeting",
        "timestamp",
    ],
    "ucdp_ged_csv": [
        "id",
        "type_of_violence",
        "side_a",
        "side_b",
        "country",
        "date_start",
        "date_end",
        "source_headline",
    ],
}

dates = st.one_of(
    st.sampled_from(
        [
            "0001-01-01",
            "0001-01-01 00:30",
            "9999-12-31 23:00",
            "9999-12-31",
            "2999-01-01",
            "1899-12-31",
            "2025-11-21",
            "2025-11-21T10:00:00+03:00",
            "21.11.2025",
            "31/12/9999",
            "12/31/9999 11:00:00 PM",
            "",
            "nan",
            "x",
        ]
    ),
    st.datetimes().map(lambda d: d.isoformat(sep=" ")),
    st.text(max_size=30),
)
numbers = st.one_of(
    st.sampled_from(
        ["-500", "inf", "-inf", "1e999", "NaN", "nan", "1" * 5001, "0", "12 drones", "4.5e8", ""]
    ),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
)
texts = st.one_of(
    st.text(max_size=60),
    st.text(
        alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF, categories=None),
        max_size=40,
    ),
    st.sampled_from(["\ud800", "a\x00b", "\x1b]0;owned\x07", "x" * 20_000, "<p>&#xD800;</p>"]),
)
cells = st.one_of(dates, numbers, texts)


def src(kind: str, tz: str) -> SourceConfig:
    has_tz = "timezone" in SOURCE_KINDS[kind].options.__dataclass_fields__
    return SourceConfig(
        name="fuzz",
        kind=kind,
        path="fuzz",
        actor="RUS",
        speaker="RUS",
        options={"timezone": tz} if has_tz else None,
    )


def csv_cell(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


@st.composite
def csv_payload(draw, kind):
    header = HEADERS[kind]
    rows = draw(st.lists(st.lists(cells, min_size=len(header), max_size=len(header)), max_size=4))
    if kind == "acled_csv":
        for r in rows:
            r[3] = draw(st.sampled_from(["Air/drone strike", r[3]]))
    lines = [",".join(header)] + [",".join(csv_cell(c) for c in r) for r in rows]
    return "\n".join(lines).encode("utf-8", "surrogatepass")


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.floats(), st.integers(), texts),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def jsonl_payload(draw):
    lines = []
    for _ in range(draw(st.integers(0, 4))):
        shape = draw(st.sampled_from(["row", "deep", "digits", "raw"]))
        if shape == "row":
            obj = {
                "text": draw(st.one_of(texts, json_values)),
                "date": draw(st.one_of(dates, json_values)),
                "id": draw(st.one_of(st.integers(), texts, json_values)),
            }
            lines.append(json.dumps(obj, ensure_ascii=draw(st.booleans()), allow_nan=True))
        elif shape == "deep":
            n = draw(st.sampled_from([10, 65, 1000, 100_000]))
            lines.append('{"text": ' + "[" * n + "]" * n + "}")
        elif shape == "digits":
            lines.append(
                '{"text": "x", "id": ' + "9" * draw(st.sampled_from([10, 4301, 5001])) + "}"
            )
        else:
            lines.append(draw(texts))
    text = "\n".join(lines)
    if draw(st.booleans()) and lines:
        text = "[" + ",".join(lines) + "]"
    return text.encode("utf-8", "surrogatepass")


@st.composite
def feed_payload(draw):
    items = []
    for i in range(draw(st.integers(0, 3))):
        guid = draw(st.sampled_from(["g1", "g2", str(i)]))
        body = draw(
            st.one_of(
                texts, st.sampled_from(["&#xD800;", "&#x110000;", "&#0;", "<![CDATA[\x1b[2J]]>"])
            )
        )
        date = draw(
            st.sampled_from(
                [
                    "Fri, 21 Nov 2025 12:00:00 +0300",
                    "Fri, 31 Dec 9999 23:00:00 -0500",
                    "Mon, 01 Jan 0001 00:00:00 +1400",
                    "2025-11-21",
                    "x",
                ]
            )
        )
        items.append(
            f"<item><guid>{guid}</guid><title>{draw(texts)}</title><pubDate>{date}"
            f"</pubDate><description>{body}</description></item>"
        )
    head = draw(
        st.sampled_from(
            [
                '<?xml version="1.0"?><rss version="2.0"><channel>',
                "<!DOCTYPE html><html><body>",
                "<feed>",
                "",
            ]
        )
    )
    return (head + "".join(items) + "</channel></rss>").encode("utf-8", "surrogatepass")


@st.composite
def gdelt_payload(draw):
    rows = []
    for _ in range(draw(st.integers(0, 4))):
        r = [""] * 61
        r[0] = draw(st.one_of(st.sampled_from(["1", "2", "1" * 600]), texts))
        r[1] = draw(st.sampled_from(["20250101", "99991231", "00010101", "2025", "x"]))
        r[26] = draw(st.sampled_from(["190", "036", "0357", "x"]))
        r[28] = r[26][:2]
        r[30] = draw(numbers)
        rows.append("\t".join(c.replace("\t", " ").replace("\n", " ") for c in r))
    return "\n".join(rows).encode("utf-8", "surrogatepass")


def structured(kind: str):
    if kind in HEADERS:
        return csv_payload(kind)
    return {
        "statements_jsonl": jsonl_payload(),
        "feed": feed_payload(),
        "gdelt_events": gdelt_payload(),
    }[kind]


@st.composite
def mutate(draw, data: bytes):
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "dup"]))
        pos = draw(st.integers(0, max(len(out) - 1, 0)))
        if op == "flip" and out:
            out[pos] = draw(st.integers(0, 255))
        elif op == "insert":
            out[pos:pos] = draw(
                st.sampled_from(
                    [
                        b"\xff",
                        b"\xed\xa0\x80",
                        b"\x00",
                        b'"',
                        b",",
                        b"\n",
                        b"&#xD800;",
                        b"[" * 200,
                        b"-1e999",
                    ]
                )
            )
        elif op == "delete" and out:
            del out[pos : pos + draw(st.integers(1, 40))]
        elif op == "dup" and out:
            out[pos:pos] = out[pos : pos + 200]
    return bytes(out)


def seed_files() -> list[tuple[str, bytes]]:
    files = [("airforce_csv", (DEMO / "airforce_daily.csv").read_bytes())]
    files += [("feed", p.read_bytes()) for p in sorted((DEMO / "feeds").glob("*"))[:3]]
    if REAL.is_dir():  # a few real files, read in place (never copied into the repo)
        for kind, pattern in (
            ("statements_jsonl", "*.jsonl"),
            ("telegram_csv", "*telegram*.csv"),
            ("acled_csv", "*acled*.csv"),
            ("feed", "*.xml"),
        ):
            for p in sorted(REAL.rglob(pattern))[:1]:
                if p.is_file() and p.stat().st_size < 2_000_000:
                    files.append((kind, p.read_bytes()[:200_000]))
    return files


SEEDS = seed_files()


def check(kind: str, payload: bytes, tz: str) -> None:
    try:
        batch = parse_payload(payload, src(kind, tz), "h")
    except DetectorError as exc:
        assert "\n" not in str(exc)
        return
    for r in batch.documents + batch.events:
        when = getattr(r, "published_at", None) if hasattr(r, "published_at") else r.start
        assert when is None or DATE_MIN <= when <= DATE_MAX
        for value in vars(r).values():
            if isinstance(value, str):
                value.encode("utf-8")
                assert "\x00" not in value
            if isinstance(value, float):
                assert math.isfinite(value) and value >= 0
        if getattr(r, "end", None) is not None:
            assert r.end >= r.start
    ids = [r.id for r in batch.documents + batch.events + batch.structured]
    assert len(ids) == len(set(ids))  # nothing stored twice


cases = st.one_of(
    st.sampled_from(sorted(SOURCE_KINDS)).flatmap(
        lambda k: st.tuples(st.just(k), structured(k), st.sampled_from(TZS))
    ),
    st.sampled_from(SEEDS).flatmap(
        lambda s: st.tuples(
            st.sampled_from([s[0], s[0], *sorted(SOURCE_KINDS)]), mutate(s[1]), st.sampled_from(TZS)
        )
    ),
)


def _fuzz(n: int):
    @settings(max_examples=n, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(case=cases)
    def run(case):
        check(*case)

    return run


def test_fuzz_quick_sample():
    _fuzz(200)()


@pytest.mark.slow
def test_fuzz_10000_cases(request):
    if "slow" not in (request.config.getoption("-m") or ""):
        pytest.skip("slow: run with -m slow")
    _fuzz(10_000)()


def test_byte_mutation_of_demo_files_seeded():
    rng = random.Random(16)
    for kind, data in SEEDS:
        for _ in range(30):
            buf = bytearray(data)
            for _ in range(rng.randint(1, 10)):
                buf[rng.randrange(len(buf))] = rng.randrange(256)
            check(kind, bytes(buf), rng.choice(TZS))
