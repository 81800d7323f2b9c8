"""A source's `home` (the outlet's own country) reaches attribution: a bare title in a headline
("... — diplomat") speaks for the home; a source without one attributes as before."""

import json

from sqlalchemy import text

from detector import ATTRIBUTION_VERSION
from detector.config import parse_config
from detector.pipeline import run_pipeline

HEADLINES = [  # written for this test
    {
        "t": "Contacts on the settlement continue as agreed — diplomat",
        "d": "2025-11-27",
        "u": "https://example.org/h/1",
    },
    {
        "t": "Country talks resume next week — Iranian Foreign Ministry",
        "d": "2025-11-28",
        "u": "https://example.org/h/2",
    },
]


def _config(tmp_path, home_line):
    (tmp_path / "h.jsonl").write_text("\n".join(json.dumps(r) for r in HEADLINES))
    return parse_config(
        f"""
[[sources]]
name = "wire"
kind = "statements_jsonl"
path = "h.jsonl"
text_column = "t"
date_column = "d"
url_column = "u"
id_column = "u"
{home_line}
""",
        tmp_path,
    )


def _speakers(db_url):
    from sqlalchemy import create_engine

    engine = create_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT s.text, p.speaker FROM predictions p "
                "JOIN sentences s ON s.id = p.sentence_id"
            )
        ).all()
        versions = conn.execute(text("SELECT DISTINCT attribution FROM predictions")).scalars()
        assert list(versions) == [ATTRIBUTION_VERSION]
    engine.dispose()
    return {t.split(" — ")[1]: sp for t, sp in rows}


def test_home_is_stored_and_used_for_bare_titles(tmp_path, fake_classifier):
    config = _config(tmp_path, 'home = "RUS"')
    assert config.sources[0].home == "RUS" and config.sources[0].speaker is None
    db = f"sqlite:///{tmp_path / 'a.db'}"
    run_pipeline(config, db, classifier=fake_classifier)
    assert _speakers(db) == {"diplomat": "RUS", "Iranian Foreign Ministry": "IRN"}


def test_without_home_a_bare_title_names_nobody(tmp_path, fake_classifier):
    db = f"sqlite:///{tmp_path / 'b.db'}"
    run_pipeline(_config(tmp_path, ""), db, classifier=fake_classifier)
    assert _speakers(db) == {"diplomat": None, "Iranian Foreign Ministry": "IRN"}
