"""Opening a database: SQLite (WAL, foreign keys on) or PostgreSQL, migrated to head on first
use."""

from __future__ import annotations

import json
import math
from importlib import resources
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError

from ..errors import StorageError, UsageError
from ..settings import DEFAULT_DB_URL as DEFAULT_URL  # noqa: F401  (the old name)
from ..settings import Settings


def default_url() -> str:
    """The database of a library call that names none: the environment's settings."""
    return Settings.from_env().db_url


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _sqlite_readonly_pragmas(dbapi_conn, _record) -> None:
    # No journal_mode here: switching it is a write, which a mode=ro connection refuses.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA query_only=ON")  # a second layer under mode=ro
    cur.close()


def _pg_readonly(dbapi_conn, _record) -> None:
    # Beside default_transaction_read_only in the connect options: every transaction of this
    # session is READ ONLY, so the server refuses any write, whatever the statement looks like.
    cur = dbapi_conn.cursor()
    cur.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    cur.close()
    dbapi_conn.commit()


def display_url(url: str) -> str:
    """``url`` for messages: the password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None: another backend, or an in-memory database)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    db = parsed.database
    if not db or db == ":memory:" or db.startswith("file:"):
        return None
    return Path(db).expanduser()


def _finite(obj):
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def _json_default(obj):
    if hasattr(obj, "item"):  # numpy scalars from the scorer
        return obj.item()
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def json_dumps(obj) -> str:
    """JSON for every backend: NaN and infinities become null (PostgreSQL's json refuses them,
    SQLite would keep a value no other reader accepts), numpy scalars plain numbers."""
    try:
        return json.dumps(obj, default=_json_default, allow_nan=False)
    except ValueError:
        return json.dumps(
            _finite(json.loads(json.dumps(obj, default=_json_default))),
            default=_json_default,
            allow_nan=False,
        )


def create_db_engine(url: str | None = None, *, readonly: bool = False) -> Engine:
    """An engine for ``url`` (default: $DETECTOR_DB_URL, else sqlite:///detector.db). No I/O yet.

    ``readonly``: the connections themselves refuse writes (SQLite ``mode=ro`` URI, PostgreSQL
    read-only transactions), whatever SQL is sent through them."""
    url = url or default_url()
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise UsageError(
            f"--db {url!r} is not a SQLAlchemy URL; use e.g. sqlite:///detector.db "
            "or postgresql+psycopg://user@host/db"
        ) from exc
    if parsed.get_backend_name() == "sqlite":
        db = parsed.database
        if db and db != ":memory:":
            parent = Path(db).expanduser().resolve().parent
            if not parent.is_dir():
                raise UsageError(f"--db {url!r}: folder {parent} does not exist; create it first")
        if readonly and db and db != ":memory:" and not db.startswith("file:"):
            # file: URI, so that sqlite3 opens it with mode=ro (pysqlite passes uri=True).
            uri = "file:" + quote(str(Path(db).expanduser().resolve()))
            parsed = parsed.set(database=uri, query={**parsed.query, "mode": "ro", "uri": "true"})
        engine = create_engine(parsed, json_serializer=json_dumps)
        event.listen(engine, "connect", _sqlite_readonly_pragmas if readonly else _sqlite_pragmas)
        return engine
    # Sessions in UTC: a naive datetime means UTC here as it does in SQLite, whatever the
    # server's TimeZone setting.
    postgres = parsed.get_backend_name() == "postgresql"
    connect_args = {}
    if postgres:
        connect_args["options"] = "-c timezone=UTC" + (
            " -c default_transaction_read_only=on" if readonly else ""
        )
    try:
        engine = create_engine(
            url, pool_pre_ping=True, json_serializer=json_dumps, connect_args=connect_args
        )
    except (ArgumentError, ImportError) as exc:
        raise UsageError(
            f"--db {url!r}: cannot use this database ({exc}); for PostgreSQL "
            "install psycopg (pip install 'psycopg[binary]')"
        ) from exc
    if readonly and postgres:
        event.listen(engine, "connect", _pg_readonly)
    elif readonly:
        raise UsageError(
            f"--db {url!r}: read-only access is supported for SQLite and PostgreSQL only"
        )
    return engine


def _alembic_config():
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("detector") / "migrations"))
    return cfg


def schema_head() -> str:
    """The newest migration's revision: what this detector reads and writes."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    if head is None:  # only a broken install lacks the migration scripts
        raise StorageError("no schema migrations found in detector/migrations; reinstall detector")
    return head


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {s.revision for s in ScriptDirectory.from_config(_alembic_config()).walk_revisions()}


def current_revision(engine: Engine) -> str | None:
    """The database's schema revision (None: no detector schema). Reads only."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (a no-op when it is there already)."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    cfg = _alembic_config()
    head = schema_head()
    sqlite = engine.dialect.name == "sqlite"
    try:
        with engine.connect() as conn:  # the common case: already current, no lock needed
            if MigrationContext.configure(conn).get_current_revision() == head:
                return
        # Two processes opening a new database at once must not both create the tables: the
        # migration runs under an exclusive lock, and the second one then finds head.
        if sqlite:
            # pysqlite would run DDL outside any transaction; take the write lock by hand.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                try:
                    cfg.attributes["connection"] = conn
                    command.upgrade(cfg, "head")
                except BaseException:
                    conn.exec_driver_sql("ROLLBACK")
                    raise
                conn.exec_driver_sql("COMMIT")
        else:
            with engine.begin() as conn:
                if engine.dialect.name == "postgresql":
                    conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7245310981)")
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
    except OperationalError as exc:
        raise StorageError(
            f"cannot open or migrate database {engine.url!r} "
            f"({exc.orig}); check --db / DETECTOR_DB_URL"
        ) from exc
    except SQLAlchemyError as exc:
        raise StorageError(f"migrating database {engine.url!r} failed ({exc})") from exc


def open_database(url: str | None = None) -> Engine:
    """An engine whose schema is current (the older form of ``Store.open(url).engine``)."""
    engine = create_db_engine(url)
    migrate(engine)
    return engine
