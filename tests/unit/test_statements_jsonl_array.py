"""statements_jsonl reads a JSON array of objects as well as JSON Lines (dashboard exports such
as headline files: {t, d, u, s, cat}), with the same column mapping."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from detector.config import SourceConfig
from detector.errors import ParseError
from detector.ingest import parse_payload

ROWS = [  # headline-style rows written for this test
    {
        "t": "Country A ready for talks on the plan — Minister",
        "d": "2025-11-27",
        "u": "https://example.org/a/1",
        "s": "CAPITAL, November 27. /AGENCY/. Country A is",
        "cat": "Politics",
    },
    {
        "t": "Exports fell in October",
        "d": "2025-11-28",
        "u": "https://example.org/a/2",
        "s": "CAPITAL, November 28. /AGENCY/. Exports of",
        "cat": "Economy",
    },
]


def src(**kw):
    return SourceConfig(
        name="headlines",
        kind="statements_jsonl",
        path=Path("h.json"),
        options=dict(text_column="t", date_column="d", url_column="u", id_column="u", **kw),
    )


def test_array_and_lines_give_the_same_documents():
    as_array = json.dumps(ROWS, ensure_ascii=False, indent=1).encode()
    as_lines = "\n".join(json.dumps(r, ensure_ascii=False) for r in ROWS).encode()
    a = parse_payload(as_array, src(), "h").documents
    b = parse_payload(as_lines, src(), "h").documents
    assert [(d.id, d.text, d.url, d.published_at) for d in a] == [
        (d.id, d.text, d.url, d.published_at) for d in b
    ]
    assert [d.text for d in a] == [r["t"] for r in ROWS]  # the snippet's dateline stays out
    assert a[0].published_at == datetime(2025, 11, 27, tzinfo=UTC)
    assert a[0].speaker is None and a[0].external_id == "https://example.org/a/1"


def test_array_with_leading_whitespace_and_bom():
    payload = b"\xef\xbb\xbf\n  " + json.dumps(ROWS).encode()
    assert len(parse_payload(payload, src(), "h").documents) == 2


@pytest.mark.parametrize(
    "payload, match",
    [
        (b'[{"t": "x", "d": "2025-11-27"}, 3]', "item 2 is a JSON int"),
        (b'[{"t": "x"},', "not a valid JSON array"),
        (b'[{"body": "x"}]', "no line has the key 't'"),
        (b'[{"t": "x", "d": "yesterday"}]', "line 1: date 'yesterday'"),
    ],
)
def test_array_errors_name_the_item(payload, match):
    with pytest.raises(ParseError, match=match):
        parse_payload(payload, src(), "h")
