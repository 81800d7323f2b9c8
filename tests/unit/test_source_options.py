"""Typed source options: unknown keys, wrong types and unknown time zones are one-line
ConfigErrors naming the source and the key; the kinds are listed once (the registry)."""

import re
from pathlib import Path

import pytest

from detector.cli import main
from detector.config import SOURCE_KINDS, STATEMENT_KINDS, SourceConfig, parse_config
from detector.errors import ConfigError
from detector.ingest import PARSERS
from detector.ingest.registry import SOURCE_KINDS as REGISTRY

ROOT = Path(__file__).resolve().parents[2]


def source(kind, **keys):
    lines = ["[[sources]]", "name = 'kremlin'", f"kind = '{kind}'", "path = 'x.csv'"]
    lines += [f"{k} = {v}" for k, v in keys.items()]
    return "\n".join(lines)


def error(text, tmp_path):
    with pytest.raises(ConfigError) as exc:
        parse_config(text, tmp_path)
    message = str(exc.value)
    assert "\n" not in message and "source 'kremlin'" in message
    return message


def test_a_near_miss_key_names_the_right_one(tmp_path):
    message = error(source("feed", speker='"RUS"'), tmp_path)
    assert "unknown key 'speker' (did you mean 'speaker'?)" in message


def test_an_unknown_key_lists_what_the_kind_takes(tmp_path):
    message = error(source("acled_csv", bogus_flag="1"), tmp_path)
    assert "unknown key 'bogus_flag'" in message and "sub_event_types" in message


def test_an_option_of_another_kind_is_unknown(tmp_path):
    assert "unknown key 'text_column'" in error(source("airforce_csv", text_column='"t"'), tmp_path)


@pytest.mark.parametrize(
    "kind, key, value",
    [
        ("gdelt_events", "country_codes", '"x"'),
        ("ucdp_ged_csv", "types_of_violence", '["x"]'),
        ("ucdp_ged_csv", "types_of_violence", "[4]"),
        ("acled_csv", "sub_event_types", '"Air/drone strike"'),
        ("airforce_csv", "target_type", '"hospital"'),
        ("feed", "timeout", '"soon"'),
        ("feed", "retries", "true"),
        ("statements_csv", "text_column", "3"),
        ("feed", "speaker", "3"),
    ],
)
def test_a_wrongly_typed_option_names_the_key(tmp_path, kind, key, value):
    assert f"{key} = " in error(source(kind, **{key: value}), tmp_path)


@pytest.mark.parametrize(
    "kind", ["airforce_csv", "telegram_csv", "statements_csv", "statements_jsonl"]
)
def test_an_unknown_timezone_names_the_key(tmp_path, kind):
    message = error(source(kind, timezone='"Europe/Kyev"'), tmp_path)
    assert "timezone = 'Europe/Kyev' is not a known time zone" in message


def test_options_are_typed_with_defaults(tmp_path):
    cfg = parse_config(
        source(
            "gdelt_events",
            strike_root_codes="[18, 19]",
            country_codes='{ EUR = "EU" }',
            timeout="5",
        ),
        tmp_path,
    )
    o = cfg.sources[0].options
    assert o.strike_root_codes == ("18", "19") and o.country_codes == {"EUR": "EU"}
    assert o.timeout == 5.0 and o.retries == 2 and o.target_type == "unspecified"
    ucdp = parse_config(source("ucdp_ged_csv", types_of_violence='[1, "3"]'), tmp_path)
    assert ucdp.sources[0].options.types_of_violence == (1, 3)


def test_a_library_caller_may_pass_a_mapping():
    src = SourceConfig(
        name="kremlin", kind="telegram_csv", path="x", options={"timezone": "Europe/Moscow"}
    )
    assert src.options.timezone == "Europe/Moscow" and src.options.encoding == "utf-8-sig"
    with pytest.raises(ConfigError, match="source 'kremlin': unknown key 'timzone'"):
        SourceConfig(name="kremlin", kind="telegram_csv", path="x", options={"timzone": "UTC"})


def test_a_typo_exits_2_through_the_cli(tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text(source("feed", speker='"RUS"'))
    assert main(["run", "--config", str(cfg), "--db", f"sqlite:///{tmp_path / 'd.db'}"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "source 'kremlin': unknown key 'speker' (did you mean 'speaker'?)" in err


def _documented_kinds(text: str, heading: str) -> set[str]:
    """The kind names (`feed`, `..._csv`, `..._jsonl`, `..._events`) in the paragraph after
    ``heading``."""
    part = text.split(heading, 1)[1]
    if heading.startswith("#"):  # a heading line: the paragraph below it
        part = part.split("\n\n", 1)[1]
    part = part.split("\n\n", 1)[0]
    # README explains each kind in brackets after its name (other names there are tables).
    after = r"\s*\(" if not heading.startswith("#") else ""
    return set(re.findall(r"`(feed|[a-z_]+_(?:csv|jsonl|events))`" + after, part))


def test_the_registry_lists_every_documented_kind():
    readme = _documented_kinds((ROOT / "README.md").read_text(), "Source kinds so far:")
    assert readme == set(REGISTRY) == set(SOURCE_KINDS) == set(PARSERS)
    design = ROOT.parent / "shared" / "DESIGN.md"
    if design.exists():  # the design reference sits beside the checkout
        assert _documented_kinds(design.read_text(), "## Source kinds") == set(REGISTRY)
    assert set(STATEMENT_KINDS) == {k for k, v in REGISTRY.items() if v.produces == "statements"}
    assert {v.default_field for v in REGISTRY.values() if v.produces == "strikes"} == {"actor"}


def test_ingest_and_config_do_not_import_the_nlp_stage():
    import subprocess
    import sys

    code = (
        "import sys, detector.ingest, detector.config; "
        "print(sorted(m for m in sys.modules if m.startswith('detector.nlp')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_main_resolves_the_settings_once(monkeypatch, tmp_path):
    from detector import cli

    seen = []
    monkeypatch.setenv("DETECTOR_DB_URL", "sqlite:///from-env.db")
    monkeypatch.setenv("DETECTOR_THREADS", "3")
    monkeypatch.setitem(cli.COMMANDS, "flags", lambda args: seen.append(args.settings) or 0)
    assert cli.main(["flags", "--db", f"sqlite:///{tmp_path / 'x.db'}"]) == 0
    assert cli.main(["flags"]) == 0
    flag, env = seen
    assert flag.db_url == f"sqlite:///{tmp_path / 'x.db'}" and flag.threads == 3
    assert env.db_url == "sqlite:///from-env.db"
