"""`detector db upgrade|status`, and the read commands on a database that is missing or not
migrated: exit 2 with one line saying what to run, creating and migrating nothing."""

import contextlib
import sqlite3

import pytest

from detector.cli import main
from detector.store import Store

READ_COMMANDS = [
    ["flags"],
    ["show", "abc"],
    ["runs"],
    ["commitments", "list"],
    ["export", "--what", "flags", "--out", "OUT/x.csv"],
    ["plot", "--actor", "RUS", "--out", "OUT/x.png"],
    ["serve", "--port", "1"],
]


def _argv(cmd, url, tmp_path):
    return [a.replace("OUT", str(tmp_path)) for a in cmd] + ["--db", url]


def _one_error_line(capsys) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert captured.out == "" and len(lines) == 1, captured
    return lines[0]


@pytest.mark.parametrize("cmd", READ_COMMANDS, ids=lambda c: c[0])
def test_read_commands_on_a_missing_database_exit_2_and_create_nothing(cmd, tmp_path, capsys):
    path = tmp_path / "x.db"
    url = f"sqlite:///{path}"
    assert main(_argv(cmd, url, tmp_path)) == 2
    line = _one_error_line(capsys)
    assert line == (
        f"detector: error: database {url} does not exist; run detector demo or "
        f"detector run first, or detector db upgrade --db {url} to create an "
        "empty one"
    )
    assert not path.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("cmd", READ_COMMANDS, ids=lambda c: c[0])
def test_read_commands_on_an_unmigrated_database_exit_2(cmd, tmp_path, capsys):
    path = tmp_path / "x.db"
    url = f"sqlite:///{path}"
    with contextlib.closing(sqlite3.connect(path)) as conn:  # a SQLite file, no schema
        conn.execute("CREATE TABLE other (x)")
        conn.commit()
    assert main(_argv(cmd, url, tmp_path)) == 2
    assert f"has no detector schema; run detector db upgrade --db {url}" in _one_error_line(capsys)
    with contextlib.closing(sqlite3.connect(path)) as conn:  # nothing was created
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert tables == {"other"}


def _database_at(url: str, revision: str) -> None:
    from alembic import command

    from detector.store.db import _alembic_config, create_db_engine

    engine = create_db_engine(url)
    cfg = _alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    engine.dispose()


def test_read_command_on_an_old_revision_names_both_revisions(db_url, capsys):
    _database_at(db_url, "0003")
    assert main(["flags", "--db", db_url]) == 2
    head = Store.head()
    assert _one_error_line(capsys) == (
        f"detector: error: database {db_url} is at revision "
        f"0003, this detector needs {head}; run detector db "
        f"upgrade --db {db_url}"
    )
    assert main(["db", "status", "--db", db_url]) == 0
    assert "schema 0003" in capsys.readouterr().out
    assert main(["db", "upgrade", "--db", db_url]) == 0
    assert capsys.readouterr().out.strip() == f"database {db_url}: schema {head} (was 0003)"
    assert main(["flags", "--db", db_url]) == 0
    assert capsys.readouterr().out.strip() == "no flags"


def test_db_upgrade_creates_then_finds_it_current(db_url, tmp_path, capsys):
    head = Store.head()
    assert main(["db", "status", "--db", db_url]) == 0
    assert "does not exist" in capsys.readouterr().out
    assert not (tmp_path / "test.db").exists()
    assert main(["db", "upgrade", "--db", db_url]) == 0
    assert capsys.readouterr().out.strip() == f"database {db_url}: schema {head} (was empty)"
    assert main(["db", "upgrade", "--db", db_url]) == 0
    assert capsys.readouterr().out.strip() == f"database {db_url}: schema {head} (already current)"
    assert main(["db", "status", "--db", db_url]) == 0
    assert (
        capsys.readouterr().out.strip()
        == f"database {db_url}: schema {head}, this detector needs {head} (current)"
    )
    with Store.open_readonly(db_url) as store:
        assert store.is_current() and store.table_counts()["runs"] == 0


def test_write_commands_still_create_the_database(db_url, tmp_path, capsys):
    assert (
        main(
            [
                "commitments",
                "add",
                "--actor",
                "RUS",
                "--scope",
                "energy",
                "--start",
                "2025-03-18",
                "--end",
                "2025-04-17",
                "--source",
                "Kremlin",
                "--db",
                db_url,
            ]
        )
        == 0
    )
    assert "added: commitment" in capsys.readouterr().out
    assert main(["commitments", "list", "--db", db_url]) == 0
    assert "RUS  energy" in capsys.readouterr().out
