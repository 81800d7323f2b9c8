"""commitments.v1: scope, places, local-day windows; the config entry; the store; the CLI."""

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from detector.cli import main
from detector.config import parse_config
from detector.errors import ConfigError
from detector.records import Commitment, stable_hash
from detector.score import find_violations
from detector.store import repository as repo
from detector.store.db import open_database


def strikes(*rows):
    df = pd.DataFrame(
        [
            dict(
                event_id=r[0],
                start=pd.Timestamp(r[1], tz="UTC"),
                actor=r[2],
                target_type=r[3],
                launched=r[4],
                place=r[5],
            )
            for r in rows
        ]
    )
    df["date"] = df["start"].dt.tz_localize(None).dt.normalize()
    return df


SK = strikes(
    ("a", "2026-01-30 22:00", "RUS", "unspecified", 50.0, "Kyiv oblast and Odesa oblast"),
    ("b", "2026-01-31 10:00", "RUS", "energy", 10.0, "Ukraine"),
    ("c", "2026-01-31 12:00", "RUS", "civilian", None, "Kyiv"),
    ("d", "2026-02-01 21:30", "RUS", "unspecified", 90.0, "Kyiv"),  # 2 Feb 00:30 in Moscow
    ("e", "2026-01-31 03:00", "UKR", "energy", 5.0, "Kyiv"),
    ("f", "2026-01-31 04:00", "RUS", "military", 3.0, "Kyivska Sloboda"),
)


def test_place_scoped_commitment_counts_only_strikes_naming_the_place():
    c = Commitment(
        "RUS",
        "all",
        date(2026, 1, 30),
        date(2026, 2, 1),
        places=("Kyiv",),
        timezone="Europe/Moscow",
    )
    flags = find_violations([c], SK)
    # a: 31 Jan 01:00 Moscow, "Kyiv oblast" names Kyiv; c: names Kyiv; b: country-wide, no;
    # d: after the window in Moscow time; e: another actor; f: "Kyivska" is another word.
    assert [(f.start, f.strike_ids) for f in flags] == [(date(2026, 1, 31), ["a", "c"])]
    (f,) = flags
    assert f.kind == "violation" and f.method == "commitments.v1" and f.action == 51.0
    assert f.details["places"] == ["Kyiv"] and f.details["commitment_id"] == c.id


def test_target_scopes_and_utc_days():
    energy = find_violations(
        [Commitment("RUS", "energy", date(2026, 1, 31), date(2026, 1, 31))], SK
    )
    assert [f.strike_ids for f in energy] == [["b"]]
    civilian = find_violations(
        [Commitment("RUS", "civilian", date(2026, 1, 31), date(2026, 1, 31))], SK
    )
    assert [sorted(f.strike_ids) for f in civilian] == [["b", "c"]]
    # In UTC, d falls on 1 February and a on 30 January.
    everything = find_violations(
        [Commitment("RUS", "all", date(2026, 1, 30), date(2026, 2, 1))], SK
    )
    assert [(f.start.day, sorted(f.strike_ids)) for f in everything] == [
        (30, ["a"]),
        (31, ["b", "c", "f"]),
        (1, ["d"]),
    ]


def test_frames_without_start_times_use_the_day():
    sk = SK.drop(columns=["start"])
    flags = find_violations([Commitment("RUS", "energy", date(2026, 1, 31), date(2026, 1, 31))], sk)
    assert [f.strike_ids for f in flags] == [["b"]]


def test_commitment_ids_stay_stable_without_places_or_timezone():
    plain = Commitment("RUS", "energy", date(2025, 3, 18), date(2025, 4, 17))
    # The id formula of commitments stored before places and timezones existed.
    assert plain.id == stable_hash("commitment", "RUS", "energy", "2025-03-18", "2025-04-17")
    assert (
        Commitment("RUS", "energy", date(2025, 3, 18), date(2025, 4, 17), places=("Kyiv",)).id
        != plain.id
    )


@pytest.mark.parametrize(
    "entry, match",
    [
        ('actor = "RUS"\nscope = "kyiv"\nstart = 2026-01-30\nend = 2026-02-01', "scope"),
        ('actor = "RUS"\nscope = "all"\nstart = 2026-02-03\nend = 2026-02-01', "before start"),
        (
            'actor = "RUS"\nscope = "all"\nstart = 2026-01-30\nend = 2026-02-01\nplaces = "Kyiv"',
            "places must be a list",
        ),
        (
            'actor = "RUS"\nscope = "all"\nstart = 2026-01-30\nend = 2026-02-01\ntimezone = "Kyiv"',
            "timezone",
        ),
        ('actor = "RUS"\nscope = "all"\nstart = 2026-01-30', "lacks end"),
    ],
)
def test_config_refuses_bad_commitments(entry, match):
    with pytest.raises(ConfigError, match=match):
        parse_config(f"[[commitments]]\n{entry}\n", Path("."))


def test_config_reads_places_and_timezone():
    cfg = parse_config(
        '[[commitments]]\nactor = "rus"\nscope = "all"\nplaces = ["Kyiv"]\n'
        'start = 2026-01-30\nend = 2026-02-01\ntimezone = "Europe/Moscow"\n',
        Path("."),
    )
    (c,) = cfg.commitments
    assert (c.actor, c.places, c.timezone) == ("RUS", ("Kyiv",), "Europe/Moscow")


def test_store_round_trip_is_idempotent(db_url):
    c = Commitment(
        "RUS",
        "all",
        date(2026, 1, 30),
        date(2026, 2, 1),
        source="Peskov",
        places=("Kyiv",),
        timezone="Europe/Moscow",
    )
    engine = open_database(db_url)
    with engine.begin() as conn:
        assert repo.save_commitments(conn, [c, c]) == 1
        assert repo.save_commitments(conn, [c]) == 0
        assert repo.load_commitments(conn) == [c]
        assert repo.load_commitments(conn, actor="ukr") == []
    engine.dispose()


def test_cli_add_and_list(db_url, capsys):
    args = [
        "commitments",
        "add",
        "--actor",
        "RUS",
        "--scope",
        "all",
        "--start",
        "2026-01-30",
        "--end",
        "2026-02-01",
        "--source",
        "Peskov, 30 January 2026",
        "--place",
        "Kyiv",
        "--timezone",
        "Europe/Moscow",
        "--description",
        "pause on Kyiv",
        "--db",
        db_url,
    ]
    assert main(args) == 0
    assert "added: commitment" in capsys.readouterr().out
    assert main(args) == 0
    assert "already stored" in capsys.readouterr().out
    assert main(["commitments", "list", "--format", "json", "--db", db_url]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["places"] == ["Kyiv"] and row["start"] == "2026-01-30" and row["scope"] == "all"
    assert main(["commitments", "list", "--db", db_url]) == 0
    assert "RUS  all in Kyiv  2026-01-30 .. 2026-02-01 (Europe/Moscow)" in capsys.readouterr().out
    bad = args[:9] + ["2026-01-29"] + args[10:]
    assert main(bad) == 2
    assert "before start" in capsys.readouterr().err


def test_demo_config_holds_the_real_commitments():
    from detector.demo import demo_config

    cs = {c.description.split(" (")[0]: c for c in demo_config().commitments}
    assert (
        cs["30-day moratorium on strikes on energy infrastructure"].start,
        cs["30-day moratorium on strikes on energy infrastructure"].scope,
    ) == (date(2025, 3, 18), "energy")
    assert (cs["Easter truce"].start, cs["Easter truce"].end) == (
        date(2025, 4, 19),
        date(2025, 4, 20),
    )
    assert (cs["Victory Day truce"].start, cs["Victory Day truce"].end) == (
        date(2025, 5, 8),
        date(2025, 5, 10),
    )
    kyiv = next(c for c in cs.values() if c.places)
    assert kyiv.places == ("Kyiv",) and kyiv.end == date(2026, 2, 1)
