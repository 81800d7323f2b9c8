"""telegram_csv, statements_jsonl and acled_csv on small payloads written for these tests."""

from datetime import UTC, datetime

import pytest

from detector.config import SourceConfig
from detector.errors import ParseError
from detector.ingest import parse_payload

TELEGRAM = (
    b"message_id,date,text,urls,views\n"
    b"101,2025-11-21T10:00:00+03:00,We are ready for talks.,"
    b"?q=%23tag|https://example.org/a|https://example.org/b,10\n"
    b"102,2025-11-21T11:00:00+00:00,   ,,3\n"
    b'103,2025-11-22T09:30:00+00:00,"Second, with a comma.",,5\n'
    b'103,2025-11-22T09:30:00+00:00,"Second, with a comma.",,5\n'
)

JSONL = (
    b'{"id": 7, "text": "We are open to a settlement.", "date": "2025-11-21 10:00", '
    b'"link": "https://example.org/7", "who": "UKR"}\n'
    b"\n"
    b'{"text": "No id here.", "date": null}\n'
    b'{"id": "9", "text": "", "date": "2025-11-23"}\n'
)

ACLED = (
    b"event_id_cnty,event_date,event_type,sub_event_type,actor1,actor2,location,notes,"
    b"civilian_targeting,timestamp\n"
    b"UKR1,21/11/2025 00:00:00,Explosions/Remote violence,Air/drone strike,"
    b"Military Forces of Russia (2000-) Air Force,,Town A,"
    b"Drones hit a power substation near Town A.,,1700000000\n"
    b"UKR2,2025-11-22,Explosions/Remote violence,Shelling/artillery/missile attack,"
    b"Unidentified Military Forces,Civilians (Ukraine),Town B,"
    b"Shelling of Town B.,Civilian targeting,1700000001\n"
    b"UKR3,22 November 2025,Explosions/Remote violence,Shelling/artillery/missile attack,"
    b"Military Forces of Ukraine (2019-),,Town C,Shelling of Town C.,,1700000002\n"
    b"UKR4,2025-11-22,Explosions/Remote violence,Remote explosive/landmine/IED,"
    b"Military Forces of Russia (2000-),,Town D,A mine exploded.,,1700000003\n"
    b"UKR5,2025-11-22,Battles,Armed clash,Military Forces of Russia (2000-),,Town E,"
    b"Clashes.,,1700000004\n"
)


def src(kind, **kw):
    return SourceConfig(name="s", kind=kind, path=kw.pop("path", None), **kw)


# --- telegram_csv ------------------------------------------------------------------------------


def test_telegram_one_document_per_non_empty_message():
    docs = parse_payload(TELEGRAM, src("telegram_csv", speaker="RUS"), "h").documents
    assert [d.external_id for d in docs] == ["101", "103"]  # empty text skipped, repeat kept once
    a, b = docs
    assert a.url == "https://example.org/a"  # first absolute URL; relative hashtag link skipped
    assert a.published_at == datetime(2025, 11, 21, 7, 0, tzinfo=UTC)
    assert a.speaker == "RUS" and a.text == "We are ready for talks."
    assert b.url is None and b.text == "Second, with a comma."


def test_telegram_missing_column_and_bad_date_are_parse_errors():
    with pytest.raises(ParseError, match="lacks column"):
        parse_payload(b"message_id,date,text\n1,2025-01-01,x\n", src("telegram_csv"), "h")
    with pytest.raises(ParseError, match="line 2: date"):
        parse_payload(b"message_id,date,text,urls\n1,yesterday,x,\n", src("telegram_csv"), "h")


def test_telegram_conflicting_repeat_is_a_parse_error():
    payload = b"message_id,date,text,urls\n1,2025-01-01,x,\n1,2025-01-01,y,\n"
    with pytest.raises(ParseError, match="line 3: message_id 1 appears twice"):
        parse_payload(payload, src("telegram_csv"), "h")


# --- statements_jsonl --------------------------------------------------------------------------


def test_jsonl_uses_the_column_mapping():
    s = src(
        "statements_jsonl",
        speaker="RUS",
        options={"url_column": "link", "speaker_column": "who", "timezone": "Europe/Kyiv"},
    )
    docs = parse_payload(JSONL, s, "h").documents
    assert len(docs) == 2
    a, b = docs
    assert a.external_id == "7" and a.url == "https://example.org/7" and a.speaker == "UKR"
    assert a.published_at == datetime(2025, 11, 21, 8, 0, tzinfo=UTC)
    assert b.published_at is None and b.speaker == "RUS" and len(b.external_id) == 32


def test_jsonl_same_documents_as_csv_for_the_same_rows():
    csv_payload = b"id,text,date\n7,Ready for peace.,2025-11-21\n"
    jsonl_payload = b'{"id": "7", "text": "Ready for peace.", "date": "2025-11-21"}\n'
    a = parse_payload(csv_payload, src("statements_csv"), "h").documents
    b = parse_payload(jsonl_payload, src("statements_jsonl"), "h").documents
    assert [(d.id, d.content_hash) for d in a] == [(d.id, d.content_hash) for d in b]


@pytest.mark.parametrize(
    "payload, match",
    [
        (b'{"text": "ok"}\n{"text": broken\n', "line 2 is not valid JSON"),
        (b'{"text": "ok"}\n\n[1, 2]\n', "line 3 is a JSON list"),
        (b'{"body": "x"}\n', "no line has the key 'text'"),
        (b'{"text": "x", "date": "someday"}\n', "line 1: date"),
        (b"  \n", "is empty"),
    ],
)
def test_jsonl_errors_name_the_line(payload, match):
    with pytest.raises(ParseError, match=match):
        parse_payload(payload, src("statements_jsonl"), "h")


# --- acled_csv ---------------------------------------------------------------------------------


def test_acled_keeps_strikes_and_maps_fields():
    s = src("acled_csv", actor="RUS", target_actor="UKR")
    events = parse_payload(ACLED, s, "h").events
    assert [e.external_id for e in events] == ["UKR1", "UKR2", "UKR3"]  # no IED, no battle
    e1, e2, e3 = events
    assert e1.start == datetime(2025, 11, 21, tzinfo=UTC)
    assert e2.start == e3.start == datetime(2025, 11, 22, tzinfo=UTC)
    assert (e1.actor, e2.actor, e3.actor) == ("RUS", "RUS", "UKR")  # unidentified -> default
    assert (e1.target_type, e2.target_type, e3.target_type) == ("energy", "civilian", "unspecified")
    assert e1.place == "Town A" and e1.description == "Drones hit a power substation near Town A."
    assert e1.launched is None and e1.end is None and e1.target_actor == "UKR"


def test_acled_sub_event_types_option():
    s = src("acled_csv", options={"sub_event_types": ["Remote explosive/landmine/IED"]})
    assert [e.external_id for e in parse_payload(ACLED, s, "h").events] == ["UKR4"]


def test_acled_newer_timestamp_changes_content_hash_only():
    s = src("acled_csv", actor="RUS")
    old = parse_payload(ACLED, s, "h").events[0]
    newer = parse_payload(ACLED.replace(b"1700000000", b"1700009999"), s, "h").events[0]
    assert old.id == newer.id and old.content_hash != newer.content_hash
    no_stamp = ACLED.replace(b",timestamp\n", b",ts\n")
    unstamped = parse_payload(no_stamp, s, "h").events[0]
    assert unstamped.revision is None and unstamped.id == old.id


def test_acled_newer_timestamp_updates_the_stored_event(db_url):
    from detector.store import repository as repo
    from detector.store.db import open_database

    s = src("acled_csv", actor="RUS")
    engine = open_database(db_url)
    fetched_at = datetime(2025, 12, 1, tzinfo=UTC)
    with engine.begin() as conn:
        repo.upsert_source(conn, s)
        first = repo.save_strike_events(conn, parse_payload(ACLED, s, "h").events, fetched_at)
        same = repo.save_strike_events(conn, parse_payload(ACLED, s, "h").events, fetched_at)
        newer = parse_payload(ACLED.replace(b"1700000000", b"1700009999"), s, "h2").events
        changed = repo.save_strike_events(conn, newer, fetched_at)
    assert (first.inserted, same.inserted, same.updated) == (3, 0, 0)
    assert (changed.inserted, changed.updated) == (0, 1)


@pytest.mark.parametrize(
    "payload, match",
    [
        (b"event_id_cnty,event_date\nUKR1,2025-01-01\n", "lacks column"),
        (ACLED.replace(b"UKR2", b"UKR1"), "line 3: event_id_cnty UKR1 appears twice"),
    ],
)
def test_acled_errors(payload, match):
    with pytest.raises(ParseError, match=match):
        parse_payload(payload, src("acled_csv"), "h")


def test_acled_bad_row_is_refused_alone():
    batch = parse_payload(ACLED.replace(b"21/11/2025 00:00:00", b"soon"), src("acled_csv"), "h")
    assert [e.external_id for e in batch.events] == ["UKR2", "UKR3"]
    (why,) = batch.refused
    assert "line 2: event_date 'soon' is not a date" in why
