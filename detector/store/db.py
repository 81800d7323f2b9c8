"""Opening a database: SQLite (WAL, foreign keys on) or PostgreSQL, migrated to head on first use."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError

from ..errors import StorageError, UsageError

DEFAULT_URL = "sqlite:///detector.db"


def default_url() -> str:
    return os.environ.get("DETECTOR_DB_URL") or DEFAULT_URL


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def create_db_engine(url: str | None = None) -> Engine:
    """An engine for ``url`` (default: $DETECTOR_DB_URL, else sqlite:///detector.db). No I/O yet."""
    url = url or default_url()
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise UsageError(f"--db {url!r} is not a SQLAlchemy URL; use e.g. sqlite:///detector.db "
                         "or postgresql+psycopg://user@host/db") from exc
    if parsed.get_backend_name() == "sqlite":
        db = parsed.database
        if db and db != ":memory:":
            parent = Path(db).expanduser().resolve().parent
            if not parent.is_dir():
                raise UsageError(f"--db {url!r}: folder {parent} does not exist; create it first")
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    try:
        return create_engine(url, pool_pre_ping=True)
    except (ArgumentError, ImportError) as exc:
        raise UsageError(f"--db {url!r}: cannot use this database ({exc}); for PostgreSQL "
                         "install psycopg (pip install 'psycopg[binary]')") from exc


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (a no-op when it is there already)."""
    from alembic import command
    from alembic.config import Config

    script_dir = resources.files("detector") / "migrations"
    cfg = Config()
    cfg.set_main_option("script_location", str(script_dir))
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except OperationalError as exc:
        raise StorageError(f"cannot open or migrate database {engine.url!r} "
                           f"({exc.orig}); check --db / DETECTOR_DB_URL") from exc
    except SQLAlchemyError as exc:
        raise StorageError(f"migrating database {engine.url!r} failed ({exc})") from exc


def open_database(url: str | None = None) -> Engine:
    """An engine whose schema is current: what every command calls first."""
    engine = create_db_engine(url)
    migrate(engine)
    return engine
