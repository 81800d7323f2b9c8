"""Ingest the real files in ../shared/data/real (read in place; skipped where absent)."""

import pytest

from detector.config import SourceConfig
from detector.pipeline import ingest_source
from detector.records import IngestCounts
from detector.store import repository as repo
from detector.store.db import open_database

pytestmark = pytest.mark.realdata


@pytest.mark.parametrize(
    "kind, rel, options, table, expected",
    [
        (
            "airforce_csv",
            "massive-missile-attacks/missile_attacks_daily.csv",
            {},
            "strike_events",
            3468,
        ),
        (
            "statements_csv",
            "russian-state-channels/mfa_telegram_fulltext_2025-12_2026-03.csv",
            {"id_column": "message_id", "url_column": "urls"},
            "documents",
            505,
        ),
        (
            "feed",
            "kremlin-atom-feed/en_kremlin_president_news_feed_2020-08-27.atom.xml",
            {},
            "documents",
            20,
        ),
        (
            "telegram_csv",
            "russian-state-channels/mfa_telegram_fulltext_2025-12_2026-03.csv",
            {},
            "documents",
            505,
        ),
        # The ACLED sample has 1,000 events; acled_csv keeps only strikes (sub_event_type
        # Air/drone strike 91 + Shelling/artillery/missile attack 660 = 751) and drops battles,
        # protests, landmines/IEDs, grenades and interceptions (see detector/ingest/acled.py).
        ("acled_csv", "acled-ukraine-sample/ACLED-Ukraine_sample.csv", {}, "strike_events", 751),
        # With every sub_event_type kept, all 1,000 events are stored (one per event_id_cnty).
        (
            "acled_csv",
            "acled-ukraine-sample/ACLED-Ukraine_sample.csv",
            {
                "sub_event_types": [
                    "Shelling/artillery/missile attack",
                    "Armed clash",
                    "Air/drone strike",
                    "Disrupted weapons use",
                    "Remote explosive/landmine/IED",
                    "Peaceful protest",
                    "Attack",
                    "Looting/property destruction",
                    "Non-state actor overtakes territory",
                    "Headquarters or base established",
                    "Violent demonstration",
                    "Abduction/forced disappearance",
                    "Grenade",
                ]
            },
            "strike_events",
            1000,
        ),
    ],
)
def test_real_file_counts_and_second_ingest_adds_nothing(
    real_dir, db_url, kind, rel, options, table, expected
):
    src = SourceConfig(
        name="real", kind=kind, path=real_dir / rel, actor="RUS", speaker="RUS", options=options
    )
    engine = open_database(db_url)
    ingest_source(engine, src)
    with engine.begin() as conn:
        assert repo.table_counts(conn)[table] == expected
    again = ingest_source(engine, src)
    assert again == IngestCounts(unchanged_payload=1)
    with engine.begin() as conn:
        # the parse of the same payload also stores nothing new
        from detector.ingest import fetch_source, parse_payload

        fetched = fetch_source(src)
        batch = parse_payload(fetched.content, src, fetched.raw_hash)
        if table == "documents":
            c = repo.save_documents(conn, batch.documents, fetched.fetched_at)
        else:
            c = repo.save_strike_events(conn, batch.events, fetched.fetched_at)
        assert (c.inserted, c.updated) == (0, 0)
        assert repo.table_counts(conn)[table] == expected
