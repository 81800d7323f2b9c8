"""The CLI wrinkles of issue 19, each fixed or documented: `export --out -` without --format,
`plot --out` in the suffix's format, `flags --min-score` and violations, `-q` after the
command, a bad `[model] version` refused before ingest."""

import json
from datetime import date

import pytest

from detector.cli import build_parser, main
from detector.demo import demo_config
from detector.pipeline import run_pipeline
from detector.records import Commitment


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    from conftest import KeywordClassifier

    url = f"sqlite:///{tmp_path_factory.mktemp('wr') / 'wr.db'}"
    config = demo_config()
    config.commitments.append(
        Commitment(
            actor="RUS",
            scope="all",
            start=date(2025, 11, 24),
            end=date(2025, 11, 25),
            source="test truce",
        )
    )
    run_pipeline(config, url, classifier=KeywordClassifier())
    return url


def test_export_to_stdout_defaults_to_csv(db, capsys):
    assert main(["export", "--db", db, "--what", "flags", "--out", "-"]) == 0
    assert capsys.readouterr().out.startswith("id,kind,actor,start,end")
    assert main(["export", "--db", db, "--what", "flags", "--out", "-", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["kind"] == "violation"


@pytest.mark.parametrize(
    "suffix, magic", [("png", b"\x89PNG\r\n\x1a\n"), ("pdf", b"%PDF"), ("svg", b"<?xml")]
)
def test_plot_writes_the_format_of_its_suffix(db, tmp_path, capsys, suffix, magic):
    out = tmp_path / f"t.{suffix}"
    assert main(["plot", "--db", db, "--actor", "RUS", "--out", str(out)]) == 0
    assert out.read_bytes().startswith(magic)


def test_plot_refuses_other_suffixes_in_one_line(db, tmp_path, capsys):
    out = tmp_path / "t.jpg"
    assert main(["plot", "--db", db, "--actor", "RUS", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "t.jpg" in err and ".png, .pdf, .svg" in err and err.count("\n") == 1
    assert not out.exists()


def test_min_score_and_violations_documented_and_consistent(db, capsys):
    # A violation's score is 1.0: --min-score up to 1 keeps it, above 1 drops it, and --help
    # says so.
    assert main(["flags", "--db", db, "--format", "json", "--min-score", "0.99"]) == 0
    kept = json.loads(capsys.readouterr().out)
    assert {f["kind"] for f in kept} == {"violation"} and {f["score"] for f in kept} == {1.0}
    assert main(["flags", "--db", db, "--format", "json", "--min-score", "1.01"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    with pytest.raises(SystemExit):
        main(["flags", "--help"])
    helptext = " ".join(capsys.readouterr().out.split())
    assert "violation's score is always 1.0" in helptext and "--kind contradiction" in helptext


@pytest.mark.parametrize(
    "argv",
    [
        ["-q", "flags"],
        ["flags", "-q"],
        ["flags", "--quiet"],
        ["commitments", "list", "-q"],
        ["db", "status", "-q"],
    ],
)
def test_quiet_before_or_after_the_command(argv):
    assert build_parser().parse_args(argv).quiet is True


def test_quiet_absent_is_false():
    assert build_parser().parse_args(["flags"]).quiet is False
    assert build_parser().parse_args(["commitments", "list"]).quiet is False


def test_bad_model_version_fails_before_ingest(tmp_path, capsys):
    feed = tmp_path / "feed.xml"
    feed.write_text("not read: the run stops before ingest")
    config = tmp_path / "c.toml"
    config.write_text(
        '[model]\nversion = "no-such-model"\n\n'
        '[[sources]]\nname = "f"\nkind = "feed"\npath = "feed.xml"\nspeaker = "RUS"\n'
    )
    db = tmp_path / "x.db"
    assert main(["run", "--config", str(config), "--db", f"sqlite:///{db}", "--no-report"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "[model] version 'no-such-model' is not installed" in err
    assert "python -m models.train_lora" in err and "train_head" not in err
    assert not db.exists()  # nothing was opened, let alone ingested
