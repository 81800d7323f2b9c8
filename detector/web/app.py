"""The read-only HTTP API and its one web page (FastAPI; served by uvicorn).

JSON endpoints: ``/flags``, ``/flags/{id}``, ``/series``, ``/statements``, ``/strikes``,
``/commitments``, ``/coupling`` (contradiction.v3's per-actor test); the list endpoints are
paginated (``limit``, ``offset``; the answer carries ``total``) and take the CLI's filters
(``actor``, ``since``, ``until``, ``min_score``, ``kind``), checked by
``detector.query.make_filters``: a bad value is a 422 with a one-line ``detail``.
``/docs`` lists the endpoints and their parameters from ``/openapi.json`` (a local page: no
Swagger UI from a CDN). ``/`` is a static page whose script (``static/app.js``) fetches the JSON
and builds the DOM with ``textContent`` only, so feed text is never parsed as HTML.

Read-only: the database is opened with ``Store.open_readonly``, so the schema is checked, never
migrated, and the connections themselves refuse every write (SQLite ``mode=ro``, PostgreSQL
read-only transactions), whatever the SQL looks like.
"""

from __future__ import annotations

import logging
import threading
import time
from importlib import resources
from pathlib import Path

from sqlalchemy.engine import Engine

from ..errors import NotFoundError, StorageError, UsageError
from ..export import jsonable, to_records
from ..query import (
    MAX_ROWS,
    commitments_frame,
    coupling_frame,
    flag_evidence_frames,
    make_filters,
    page,
)
from ..settings import Settings
from ..store.store import Store

log = logging.getLogger("detector.web")

MAX_LIMIT = 1000
# No inline scripts or styles, nothing from another origin: injected markup could not run.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def static_dir() -> Path:
    return Path(str(resources.files("detector.web") / "static"))


def open_readonly(db_url: str | None = None) -> Store:
    """A read-only Store on an existing, migrated detector database (UsageError otherwise)."""
    return Store.open_readonly(db_url)


def create_app(
    db_url: str | None = None,
    engine: Store | Engine | None = None,
    *,
    settings: Settings | None = None,
):
    """The FastAPI application over ``engine`` (a Store or an Engine), else over a read-only
    Store on ``db_url``, else on ``settings.db_url`` (``settings`` default:
    ``Settings.from_env()``)."""
    from fastapi import FastAPI, Query, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import FileResponse, JSONResponse
    from fastapi.staticfiles import StaticFiles

    store = (
        Store.of(engine)
        if engine is not None
        else open_readonly(db_url or (settings or Settings.from_env()).db_url)
    )
    # No Swagger UI or ReDoc: FastAPI's pages load their assets from a CDN. /docs is a local
    # page (static/docs.html) built from /openapi.json.
    app = FastAPI(
        title="detector",
        description="Read-only API over a detector database",
        version="1",
        docs_url=None,
        redoc_url=None,
    )
    app.state.store = store
    app.state.engine = store.engine

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    @app.exception_handler(RequestValidationError)
    async def bad_request(_request: Request, exc: RequestValidationError):
        parts = []
        for err in exc.errors():
            name = ".".join(str(x) for x in err.get("loc", ())[1:]) or "request"
            parts.append(f"{name}: {err.get('msg')} (got {err.get('input')!r})")
        return JSONResponse({"detail": "; ".join(parts)}, status_code=422)

    @app.exception_handler(UsageError)
    async def usage_error(_request: Request, exc: UsageError):
        status = 404 if isinstance(exc, NotFoundError) else 422
        return JSONResponse({"detail": str(exc)}, status_code=status)

    def listing(
        what: str, actor, since, until, min_score, kind, limit: int, offset: int, **options
    ) -> dict:
        filters = make_filters(what, actor, since, until, min_score, kind)
        df, total = page(store, what, filters, limit=limit, offset=offset, **options)
        return {"total": total, "limit": limit, "offset": offset, "items": to_records(df)}

    limit_q = Query(50, ge=1, le=MAX_LIMIT, description=f"rows per page, 1..{MAX_LIMIT}")
    offset_q = Query(0, ge=0, le=MAX_ROWS, description=f"rows to skip, 0..{MAX_ROWS}")
    # Dates are taken as text and parsed by make_filters, for the same messages as the CLI.
    since_q = Query(None, description="YYYY-MM-DD, inclusive")
    until_q = Query(None, description="YYYY-MM-DD, inclusive")

    @app.get("/flags")
    def get_flags(
        actor: str | None = None,
        since: str | None = since_q,
        until: str | None = until_q,
        min_score: float | None = None,
        kind: str | None = None,
        limit: int = limit_q,
        offset: int = offset_q,
    ):
        """Flags overlapping [since, until]; kind: contradiction | violation."""
        out = listing("flags", actor, since, until, min_score, kind, limit, offset)
        return out

    @app.get("/flags/{flag_id}")
    def get_flag(flag_id: str):
        """One flag with its evidence: statements and strike events."""
        flag, st, sk = flag_evidence_frames(store, flag_id)
        return {
            "flag": {k: jsonable(v) for k, v in flag.items()},
            "statements": to_records(st),
            "strikes": to_records(sk),
        }

    @app.get("/series")
    def get_series(
        actor: str | None = None,
        since: str | None = since_q,
        until: str | None = until_q,
        min_score: float | None = None,
        model_version: str | None = None,
        method: str | None = None,
        limit: int = limit_q,
        offset: int = offset_q,
    ):
        """R (rhetoric) and A (action) per actor and period."""
        return listing(
            "series",
            actor,
            since,
            until,
            min_score,
            None,
            limit,
            offset,
            model_version=model_version,
            method=method,
        )

    @app.get("/statements")
    def get_statements(
        actor: str | None = None,
        since: str | None = since_q,
        until: str | None = until_q,
        min_score: float | None = None,
        kind: str | None = None,
        model_version: str | None = None,
        limit: int = limit_q,
        offset: int = offset_q,
    ):
        """Classified sentences; actor = speaker, kind = stance, min_score = its confidence."""
        return listing(
            "statements",
            actor,
            since,
            until,
            min_score,
            kind,
            limit,
            offset,
            model_version=model_version,
        )

    @app.get("/strikes")
    def get_strikes(
        actor: str | None = None,
        since: str | None = since_q,
        until: str | None = until_q,
        kind: str | None = None,
        limit: int = limit_q,
        offset: int = offset_q,
    ):
        """Strike events; actor = who struck, kind = target type."""
        return listing("strikes", actor, since, until, None, kind, limit, offset)

    @app.get("/commitments")
    def get_commitments(
        actor: str | None = None, since: str | None = since_q, until: str | None = until_q
    ):
        """Declared ceasefires and moratoria (few: not paginated)."""
        f = make_filters("flags", actor, since, until)
        items = to_records(commitments_frame(store, f.actor, f.since, f.until))
        return {"total": len(items), "items": items}

    @app.get("/coupling")
    def get_coupling(
        actor: str | None = None, method: str | None = None, model_version: str | None = None
    ):
        """Per actor: are strikes on energy/civilian targets heavier in claim periods?
        (effect, 95% CI, circular-shift p-value; contradiction.v3)"""
        items = to_records(
            coupling_frame(
                store,
                actor=make_filters("flags", actor).actor,
                method=method,
                model_version=model_version,
            )
        )
        return {"total": len(items), "items": items}

    @app.get("/", include_in_schema=False)
    def index():
        return FileResponse(static_dir() / "index.html", media_type="text/html")

    @app.get("/docs", include_in_schema=False)
    def docs():
        return FileResponse(static_dir() / "docs.html", media_type="text/html")

    app.mount("/static", StaticFiles(directory=static_dir()), name="static")
    return app


class BackgroundServer:
    """A uvicorn server in a daemon thread (tests, benchmarks, notebooks); ``url`` once started."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0):
        import uvicorn

        self.server = uvicorn.Server(
            uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off")
        )
        self.host = host
        self.thread = threading.Thread(target=self.server.run, name="detector-web", daemon=True)
        self.url = ""

    def start(self, timeout: float = 20.0) -> BackgroundServer:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise StorageError(f"the web server did not start on {self.host}")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]  # the real one when port=0
        self.url = f"http://{self.host}:{port}"
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def serve(
    db_url: str | None = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    quiet: bool = False,
    *,
    settings: Settings | None = None,
) -> None:
    """Run the API with uvicorn until interrupted. ``db_url`` (a --db flag) overrides
    ``settings.db_url``; ``settings`` default: ``Settings.from_env()``."""
    import uvicorn

    settings = (settings or Settings.from_env()).with_(db_url=db_url)
    app = create_app(settings=settings)
    print(
        f"serving {settings.db_url} read-only on http://{host}:{port}/ (Ctrl+C to stop)", flush=True
    )
    uvicorn.run(app, host=host, port=port, log_level="warning" if quiet else "info")
