"""``Store``: the one handle on a detector database.

It owns the engine, the schema check and migrations, every read (``reads``), every write
(``repository``, inside ``transaction()``) and the run lock. Opened read-write (migrated to the
newest schema unless ``migrate=False``) or read-only: then the schema must be current already
(nothing is created or migrated) and the connections themselves refuse writes (SQLite ``mode=ro``,
PostgreSQL read-only transactions), so no SQL string can get a write through.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime

import pandas as pd
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from ..config import SourceConfig
from ..errors import StorageError, UsageError
from ..records import (
    Commitment,
    Document,
    Flag,
    PendingDocument,
    PendingSentence,
    Quarantined,
    RunCounts,
    Sentence,
    SentenceLabel,
    StrikeEvent,
    StructuredStatement,
)
from . import reads, repository
from .db import (
    create_db_engine,
    current_revision,
    default_url,
    display_url,
    known_revisions,
    migrate,
    schema_head,
    sqlite_path,
)
from .lock import PIPELINE_LOCK, RunLock
from .reads import Filters
from .repository import SaveCounts


class Store:
    """``with Store.open(url) as store: ...``; ``Store.open_readonly(url)`` for the read commands.

    ``Store.of(engine)`` wraps an Engine opened elsewhere (the older API) without owning it.
    """

    def __init__(self, engine: Engine, url: str, *, readonly: bool = False, owned: bool = True):
        self.engine = engine
        self.url = url
        self.readonly = readonly
        self._owned = owned

    # --- opening -----------------------------------------------------------------------------

    @classmethod
    def open(cls, url: str | None = None, *, readonly: bool = False, migrate: bool = True) -> Store:
        """A store on ``url`` (default: $DETECTOR_DB_URL, else sqlite:///detector.db).

        Read-write: migrated to the newest schema (``migrate=False``: as it is). Read-only:
        UsageError (exit 2) naming the command to run when the database does not exist or its
        schema is not current (``migrate=False``: not checked, e.g. to read its revision);
        nothing is created or migrated."""
        url = url or default_url()
        if readonly:
            path = sqlite_path(url)
            if path is not None and not path.is_file():
                raise UsageError(
                    f"database {display_url(url)} does not exist; run detector demo "
                    f"or detector run first, or detector db upgrade --db {url} to "
                    "create an empty one"
                )
        store = cls(create_db_engine(url, readonly=readonly), url, readonly=readonly)
        try:
            if migrate:
                store.require_current() if readonly else store.upgrade()
        except BaseException:
            store.close()
            raise
        return store

    @classmethod
    def open_readonly(cls, url: str | None = None) -> Store:
        return cls.open(url, readonly=True)

    @classmethod
    def of(cls, handle: Store | Engine) -> Store:
        """``handle`` itself when it is a Store; a non-owning Store around an Engine."""
        if isinstance(handle, Store):
            return handle
        if isinstance(handle, Engine):
            return cls(handle, handle.url.render_as_string(hide_password=False), owned=False)
        raise TypeError(f"expected a Store or an Engine, got {type(handle).__name__}")

    def close(self) -> None:
        if self._owned:
            self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({display_url(self.url)!r}{', readonly' if self.readonly else ''})"

    # --- schema ------------------------------------------------------------------------------

    @staticmethod
    def head() -> str:
        """The schema revision this detector reads and writes."""
        return schema_head()

    def revision(self) -> str | None:
        """The database's schema revision (None: no detector schema)."""
        try:
            return current_revision(self.engine)
        except SQLAlchemyError as exc:
            raise StorageError(
                f"cannot open database {display_url(self.url)} "
                f"({getattr(exc, 'orig', None) or exc}); check --db / "
                "DETECTOR_DB_URL"
            ) from exc

    def is_current(self) -> bool:
        return self.revision() == self.head()

    def require_current(self) -> None:
        """UsageError saying what to run unless the schema is the newest."""
        rev, head, url = self.revision(), self.head(), display_url(self.url)
        if rev == head:
            return
        if rev is None:
            raise UsageError(
                f"database {url} has no detector schema; run detector db upgrade "
                f"--db {self.url} (or detector demo / detector run to fill it)"
            )
        if rev in known_revisions():
            raise UsageError(
                f"database {url} is at revision {rev}, this detector needs {head}; "
                f"run detector db upgrade --db {self.url}"
            )
        raise UsageError(
            f"database {url} is at revision {rev}, which this detector does not "
            f"know (it needs {head}); use a newer detector"
        )

    def upgrade(self) -> None:
        """Migrate to the newest schema (creating it on an empty database); a no-op when
        current. Safe when several processes open a new database at once."""
        if self.readonly:
            raise UsageError(
                f"database {display_url(self.url)} is open read-only; run "
                f"detector db upgrade --db {self.url}"
            )
        migrate(self.engine)

    # --- transactions and the lock -----------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """``with store.transaction() as tx: tx.save_...`` commits together or not at all."""
        with self.engine.begin() as conn:
            yield Transaction(conn)

    def connect(self) -> contextlib.AbstractContextManager[Connection]:
        """A plain connection (reads, tests); writes belong in ``transaction()``."""
        return self.engine.connect()

    def run_lock(self, name: str = PIPELINE_LOCK, **kwargs) -> RunLock:
        """The database's run lock (not acquired yet): ``with store.run_lock(): ...``."""
        return RunLock(self.engine, name, **kwargs)

    # --- reads: the query API's tables ---------------------------------------------------------

    def _read(self, fn, *args, **kwargs):
        with self.engine.connect() as conn:
            return fn(conn, *args, **kwargs)

    def page(
        self,
        what: str,
        filters: Filters | None = None,
        limit: int | None = None,
        offset: int = 0,
        **options,
    ) -> tuple[pd.DataFrame, int]:
        """(rows limit..offset, total matching) of table ``what`` (flags, statements, strikes,
        series; checked by the caller). ``options``: ``model_version``, ``method``."""
        return self._read(reads.page, what, filters or Filters(), limit, offset, **options)

    def commitments_frame(self, filters: Filters | None = None) -> pd.DataFrame:
        return self._read(reads.commitments_frame, filters or Filters())

    def run_info(self, run_id: int | None = None) -> dict:
        """One run's row (the newest when ``run_id`` is None); NotFoundError when missing."""
        return self._read(reads.run_info, run_id)

    def run_counts(self, run_id: int | None = None) -> RunCounts:
        return RunCounts.from_json(self.run_info(run_id)["counts"])

    def flags_of_run(self, run_id: int) -> list[str]:
        return self._read(reads.flags_of_run, run_id)

    def flag_evidence(self, flag_id: str) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
        return self._read(reads.flag_evidence_frames, flag_id)

    def current_model_version(self) -> str | None:
        return self._read(reads.current_model_version)

    def recent_runs(self, limit: int = 20) -> list[dict]:
        return self._read(reads.recent_runs, limit)

    def table_counts(self) -> dict[str, int]:
        return self._read(reads.table_counts)

    # --- reads: what the pipeline's stages need ------------------------------------------------

    def fetch_state(self, source: str) -> dict:
        return self._read(reads.get_fetch_state, source)

    def documents_without_sentences(self) -> list[PendingDocument]:
        return self._read(reads.documents_without_sentences)

    def sentences_without_prediction(self, model_version: str) -> list[PendingSentence]:
        return self._read(reads.sentences_without_prediction, model_version)

    def quarantined(self) -> list[dict]:
        return self._read(reads.quarantined)

    def load_statements(self, model_version: str) -> pd.DataFrame:
        return self._read(reads.load_statements, model_version)

    def load_strikes(self, merged: bool = False) -> pd.DataFrame:
        """The structured strike rows; ``merged``: the deeds stage's events (reads.load_strikes)."""
        return self._read(reads.load_strikes, merged)

    def load_strike_sentences(self, model_version: str) -> pd.DataFrame:
        return self._read(reads.load_strike_sentences, model_version)

    def coupling_frame(
        self,
        filters: Filters | None = None,
        model_version: str | None = None,
        method: str | None = None,
    ) -> pd.DataFrame:
        return self._read(reads.coupling_frame, filters or Filters(), model_version, method)

    def load_structured_statements(self) -> pd.DataFrame:
        return self._read(reads.load_structured_statements)

    def load_commitments(self, actor: str | None = None) -> list[Commitment]:
        return self._read(reads.load_commitments, actor)

    # --- single writes (each commits) ----------------------------------------------------------

    def save_commitments(self, items: Iterable[Commitment]) -> int:
        with self.transaction() as tx:
            return tx.save_commitments(items)


class Transaction:
    """The writes, on one connection in one open transaction (``Store.transaction()``)."""

    def __init__(self, conn: Connection):
        self.conn = conn

    def upsert_source(self, src: SourceConfig) -> None:
        repository.upsert_source(self.conn, src)

    def fetch_state(self, source: str) -> dict:
        return reads.get_fetch_state(self.conn, source)

    def set_fetch_state(
        self,
        source: str,
        *,
        etag: str | None,
        last_modified: str | None,
        raw_hash: str | None,
        fetched_at: datetime,
    ) -> None:
        repository.set_fetch_state(
            self.conn,
            source,
            etag=etag,
            last_modified=last_modified,
            raw_hash=raw_hash,
            fetched_at=fetched_at,
        )

    def save_quarantine(self, items: Iterable[Quarantined], run_id: int | None) -> int:
        return repository.save_quarantine(self.conn, items, run_id)

    def save_documents(self, docs: Iterable[Document], fetched_at: datetime) -> SaveCounts:
        return repository.save_documents(self.conn, docs, fetched_at)

    def save_strike_events(self, events: Iterable[StrikeEvent], fetched_at: datetime) -> SaveCounts:
        return repository.save_strike_events(self.conn, events, fetched_at)

    def save_structured_statements(
        self, items: Iterable[StructuredStatement], fetched_at: datetime
    ) -> SaveCounts:
        return repository.save_structured_statements(self.conn, items, fetched_at)

    def save_sentences(self, rows: Sequence[Sentence]) -> int:
        return repository.save_sentences(self.conn, rows)

    def save_predictions(self, items: list[tuple[str, SentenceLabel]], model_version: str) -> int:
        return repository.save_predictions(self.conn, items, model_version)

    def save_commitments(self, items: Iterable[Commitment]) -> int:
        return repository.save_commitments(self.conn, items)

    def replace_flags(
        self,
        methods: Sequence[str],
        items: list[Flag],
        run_id: int | None,
        model_version: str | None,
        since: date | None = None,
    ) -> dict[str, int]:
        return repository.replace_flags(
            self.conn, methods, items, run_id, model_version, since=since
        )

    def replace_series(
        self,
        method: str,
        model_version: str,
        frame: pd.DataFrame,
        period_days: int,
        run_id: int | None,
        since: date | None = None,
    ) -> int:
        return repository.replace_series(
            self.conn, method, model_version, frame, period_days, run_id, since=since
        )

    def replace_deeds(
        self, events: pd.DataFrame, links: pd.DataFrame, model_version: str
    ) -> repository.DeedsSaveCounts:
        return repository.replace_deeds(self.conn, events, links, model_version)

    def replace_coupling(
        self, method: str, model_version: str, frame: pd.DataFrame, run_id: int | None
    ) -> int:
        return repository.replace_coupling(self.conn, method, model_version, frame, run_id)

    def start_run(
        self, config_hash: str | None, model_version: str | None, scorer_version: str | None
    ) -> int:
        return repository.start_run(self.conn, config_hash, model_version, scorer_version)

    def finish_run(self, run_id: int, status: str, counts: RunCounts, errors: list[str]) -> None:
        repository.finish_run(self.conn, run_id, status, counts, errors)

    def mark_interrupted_runs(self) -> int:
        return repository.mark_interrupted_runs(self.conn)


__all__ = ["Store", "Transaction", "Filters"]
