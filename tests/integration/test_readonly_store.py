"""A read-only Store (and the web API's engine, which is one) refuses writes at the connection:
INSERT, UPDATE, DELETE, DROP and a data-modifying CTE all fail and leave the data as it was, on
SQLite (mode=ro) and PostgreSQL (read-only transactions)."""

from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from detector.records import Commitment
from detector.store import Store

pytestmark = [pytest.mark.integration, pytest.mark.backends("sqlite", "postgresql")]

WRITES = [
    'INSERT INTO commitments (id, actor, scope, start, "end") '
    "VALUES ('x', 'UKR', 'all', '2025-01-01', '2025-01-02')",
    "UPDATE commitments SET actor = 'UKR'",
    "DELETE FROM commitments",
    "DROP TABLE commitments",
    # Starts with WITH, as a text guard would let through; PostgreSQL runs the DELETE inside.
    "WITH d AS (DELETE FROM commitments RETURNING id) SELECT id FROM d",
    "CREATE TABLE intruder (x INTEGER)",
]


def _snapshot(url: str) -> list:
    with Store.open_readonly(url) as store, store.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(text("SELECT id, actor, scope FROM commitments ORDER BY id"))
        ]


def _filled(url: str) -> list:
    with Store.open(url) as store:
        store.save_commitments(
            [Commitment("RUS", "energy", date(2025, 3, 18), date(2025, 4, 17), source="test")]
        )
    rows = _snapshot(url)
    assert len(rows) == 1
    return rows


def _try_all(engine) -> list[str]:
    refused = []
    for sql in WRITES:
        try:
            with engine.begin() as conn:
                conn.execute(text(sql)).all() if sql.startswith("WITH") else conn.execute(text(sql))
        except DBAPIError as exc:
            refused.append(str(exc.orig).splitlines()[0])
        else:
            raise AssertionError(f"a read-only connection ran: {sql}")
    return refused


def test_readonly_store_refuses_every_write(db_url):
    before = _filled(db_url)
    with Store.open_readonly(db_url) as store:
        assert store.readonly
        refused = _try_all(store.engine)
        # Also after the transaction characteristics are asked to change.
        if store.engine.dialect.name == "postgresql":
            with pytest.raises(DBAPIError, match="read-only transaction"):
                with store.engine.begin() as conn:
                    conn.execute(text("DELETE FROM commitments"))
        with pytest.raises(Exception, match="read-only"):
            store.upgrade()
    assert all("read" in r.lower() or "syntax" in r.lower() for r in refused), refused
    assert _snapshot(db_url) == before
    with Store.open(db_url) as store:  # nor was a table created or dropped
        assert store.table_counts()["commitments"] == 1


def test_web_api_engine_refuses_every_write(db_url):
    from detector.web.app import create_app

    before = _filled(db_url)
    app = create_app(db_url)
    try:
        _try_all(app.state.engine)
    finally:
        app.state.store.close()
    assert _snapshot(db_url) == before
