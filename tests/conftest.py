from __future__ import annotations

import contextlib
import glob
import io
import itertools
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from detector.nlp.classifier import HeadOutput

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "real"


class KeywordClassifier:
    """A small fake behind the classifier interface, for unit tests only."""

    version = "fake-keywords-v0"

    def predict(self, texts):
        out = []
        for t in texts:
            low = t.lower()
            if re.search(r"not ready|unacceptable|reject", low):
                stance = "unwilling"
            elif re.search(r"ready for (peace|talks)|open to (talks|a settlement)", low):
                stance = "willing"
            else:
                stance = "none"
            strike = bool(re.search(r"\b(struck|drones? hit|missiles? hit|attacked)\b", low))
            target = None
            if strike:
                target = "energy" if re.search(r"power|energy|substation", low) else "civilian"
            out.append(
                HeadOutput(
                    stance=stance,
                    stance_score=0.9,
                    stance_probs={stance: 0.9},
                    action="strike" if strike else "none",
                    action_score=0.9,
                    target=target,
                    target_score=0.9 if strike else None,
                )
            )
        return out


@pytest.fixture
def fake_classifier():
    return KeywordClassifier()


# --- database backends -------------------------------------------------------------------------
# `db_url` is a SQLite file; a test or module marked `@pytest.mark.backends("sqlite",
# "postgresql")` runs once per backend (the postgresql case is marked slow). The PostgreSQL tier starts its own throwaway server
# (initdb + pg_ctl in a temp dir, unix socket only, one database per test) and skips, saying
# why, when no server binaries are installed.


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "backends(*names): run the test on each database "
        "backend named (sqlite, postgresql) through db_url",
    )


def pytest_generate_tests(metafunc):
    marker = metafunc.definition.get_closest_marker("backends")
    if marker and "db_url" in metafunc.fixturenames:
        # The PostgreSQL tier (a server of its own, a database per test) is in the slow tier.
        metafunc.parametrize(
            "db_url",
            [
                pytest.param(
                    name, id=name, marks=[pytest.mark.slow] if name == "postgresql" else []
                )
                for name in marker.args
            ],
            indirect=True,
        )


DEMO_FIXTURES = {"shared_demo_db", "hostile_demo_db"}


def pytest_collection_modifyitems(config, items):
    # Always in the slow tier: real-data tests (they read the large files in
    # ../shared/data/real) and tests on the demo database (built with the real classifier).
    for item in items:
        if item.get_closest_marker("slow"):
            continue
        if item.get_closest_marker("realdata") or DEMO_FIXTURES & set(item.fixturenames):
            item.add_marker(pytest.mark.slow)


def _pg_bindir() -> Path | None:
    def version(p):
        return [int(x) for x in re.findall(r"\d+", p)] or [0]

    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=version)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb and shutil.which("pg_ctl") else None


class PostgresServer:
    """A private PostgreSQL cluster for the test session. initdb refuses to run as root, so as
    root the cluster belongs to the `postgres` user (else `nobody`) and runs through runuser."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="detector-pg-"))
        self.data, self.sock, self.log = self.root / "data", self.root / "sock", self.root / "log"
        self.sock.mkdir()
        self.user = None
        if os.geteuid() == 0:
            import pwd

            for name in ("postgres", "nobody"):
                try:
                    pw = pwd.getpwnam(name)
                except KeyError:
                    continue
                self.user = name
                for p in (self.root, self.sock):
                    os.chown(p, pw.pw_uid, pw.pw_gid)
                break
            else:
                raise RuntimeError("running as root and neither user postgres nor nobody exists")
        with socket.socket() as s:  # a free port: it also names the socket file
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self._names = itertools.count(1)

    def _run(self, *cmd: str) -> None:
        argv = [str(self.bindir / cmd[0]), *cmd[1:]]
        if self.user:
            argv = ["runuser", "-u", self.user, "--", *argv]
        res = subprocess.run(argv, capture_output=True, text=True, cwd=self.root)
        if res.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(argv)} failed: {res.stderr}{res.stdout}{log[-2000:]}")

    def start(self) -> PostgresServer:
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-w",
            "-t",
            "60",
            "-o",
            f"-F -p {self.port} -k {self.sock} -c listen_addresses='' -c max_connections=200",
            "start",
        )
        return self

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@/{database}?host={self.sock}&port={self.port}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(
            host=str(self.sock), port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(sql)

    def create_database(self) -> str:
        name = f"t{next(self._names)}"
        self._admin(f"CREATE DATABASE {name}")
        return name

    def drop_database(self, name: str) -> None:
        self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def pg_server():
    bindir = _pg_bindir()
    if bindir is None:
        pytest.skip(
            "PostgreSQL tier: no server binaries (initdb, pg_ctl) in "
            "/usr/lib/postgresql/*/bin or on PATH; install postgresql to run it"
        )
    server = PostgresServer(bindir).start()
    yield server
    server.stop()


@pytest.fixture
def db_url(request, tmp_path):
    """A fresh, empty database: a SQLite file, or (parametrized) a PostgreSQL database."""
    if getattr(request, "param", "sqlite") == "postgresql":
        server = request.getfixturevalue("pg_server")
        name = server.create_database()
        yield server.url(name)
        server.drop_database(name)
    else:
        yield f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def real_dir():
    if not REAL.is_dir():
        pytest.skip("../shared/data/real is absent (real data is only on development machines)")
    return REAL


@pytest.fixture(scope="session")
def shared_demo_db(tmp_path_factory):
    """The demo database, built once per session with the real classifier through the CLI (so
    the demo run's HTML report is there too): url, path, and what `detector demo` printed."""
    from detector.cli import main

    folder = tmp_path_factory.mktemp("shared_demo")
    url = f"sqlite:///{folder / 'demo.db'}"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["-q", "demo", "--db", url])
    assert code == 0, out.getvalue()
    return SimpleNamespace(url=url, path=folder / "demo.db", stdout=out.getvalue())


HOSTILE_TEXT = (
    'Moscow is ready for talks <script>window.__pwned = "script"</script>'
    "<img src=x onerror=\"window.__pwned = 'img'\"> said the feed."
)


@pytest.fixture(scope="session")
def hostile_demo_db(shared_demo_db, tmp_path_factory):
    """A copy of the demo database where a hostile feed statement (a <script> and an
    <img onerror>, a javascript: URL) is the first evidence statement of the first flag."""
    path = tmp_path_factory.mktemp("hostile") / "hostile.db"
    with (
        contextlib.closing(sqlite3.connect(shared_demo_db.path)) as src,
        contextlib.closing(sqlite3.connect(path)) as dst,
    ):
        src.backup(dst)
        flag_id, mv = dst.execute(
            "SELECT id, model_version FROM flags ORDER BY actor, start LIMIT 1"
        ).fetchone()
        dst.execute(
            "INSERT INTO documents (id, source, external_id, content_hash, published_at, "
            "url, title, text, speaker) VALUES ('hostiledoc', 'demo-kremlin', 'hostile-1', "
            "'h', '2025-11-25 10:00:00.000000', 'javascript:window.__pwned=1', "
            "'<b>title</b>', ?, 'RUS')",
            (HOSTILE_TEXT,),
        )
        dst.execute(
            "INSERT INTO sentences (id, document_id, idx, text) VALUES "
            "('hostilesent', 'hostiledoc', 0, ?)",
            (HOSTILE_TEXT,),
        )
        dst.execute(
            "INSERT INTO predictions (sentence_id, model_version, label_schema, stance, "
            "stance_score, action, action_score, speaker, created_at) VALUES "
            "('hostilesent', ?, 'labels.v1', 'willing', 0.99, 'none', 0.99, 'RUS', "
            "'2025-11-25 10:00:00.000000')",
            (mv,),
        )
        dst.execute(
            "INSERT INTO flag_evidence (flag_id, item_type, item_id, rank) VALUES "
            "(?, 'statement', 'hostilesent', -1)",
            (flag_id,),
        )
        dst.commit()
    return SimpleNamespace(url=f"sqlite:///{path}", path=path, flag_id=flag_id, text=HOSTILE_TEXT)


# --- the real case through `detector run` -------------------------------------------------------
# TASS headlines, MFA Telegram and the Air Force reports (the sources of pipelines/real_data.toml
# named below), classified once per session: the expensive part (~4 minutes on 2 cores). The
# v3 regression test and the v1 scoring checks both read it. DETECTOR_REAL_V3_DB keeps (or
# reuses) the database at that path.

REAL_RUN_SOURCES = ("airforce", "mfa-telegram", "tass-2025", "tass-2026")


def real_run_toml(folder: Path) -> Path:
    """pipelines/real_data.toml with only REAL_RUN_SOURCES, its paths made absolute."""
    text = (ROOT / "pipelines" / "real_data.toml").read_text(encoding="utf-8")
    head, *blocks = text.split("[[sources]]")
    keep = [
        b for b in blocks if re.search(r'^name = "([^"]+)"', b, re.M).group(1) in REAL_RUN_SOURCES
    ]
    body = "[[sources]]".join([head] + keep).replace(
        'path = "../../shared/data/real/', f'path = "{REAL}/'
    )
    out = folder / "real_run.toml"
    out.write_text(body, encoding="utf-8")
    return out


@pytest.fixture(scope="session")
def real_run_db(tmp_path_factory):
    """(database URL, seconds the first `detector run` took, config path). Under pytest-xdist
    the workers share it: the first builds it under a file lock, the others wait and reuse it."""
    import time

    from filelock import FileLock

    from detector.cli import main

    if not REAL.is_dir():
        pytest.skip("../shared/data/real is absent (real data is only on development machines)")
    # The session's base folder is per worker; its parent is shared by the workers of a run.
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent
    tmp = shared / "real_run"
    tmp.mkdir(parents=True, exist_ok=True)
    path = Path(os.environ.get("DETECTOR_REAL_V3_DB") or tmp / "real.db")
    path.parent.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{path}"
    config = real_run_toml(tmp)
    done = tmp / "built.txt"  # the first build's seconds, once it is complete
    with FileLock(str(tmp / "build.lock")):
        if not done.is_file():
            t0 = time.perf_counter()
            assert main(["-q", "run", "--config", str(config), "--db", url, "--no-report"]) == 0
            done.write_text(f"{time.perf_counter() - t0:.1f}", encoding="utf-8")
    return url, float(done.read_text(encoding="utf-8")), config
