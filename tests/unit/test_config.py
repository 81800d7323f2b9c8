import pytest

from detector.config import parse_config
from detector.errors import ConfigError

GOOD = """
[scoring]
period = "day"
lag_days = 3
[scoring.target_weights]
energy = 2.0

[[sources]]
name = "a"
kind = "feed"
path = "feed.xml"
speaker = "RUS"

[[sources]]
name = "b"
kind = "airforce_csv"
url = "http://127.0.0.1:1/x.csv"
actor = "RUS"
timezone = "Europe/Kyiv"

[[commitments]]
actor = "RUS"
scope = "energy"
start = 2025-03-18
end = 2025-04-17
"""


def test_parses_sources_scoring_and_commitments(tmp_path):
    cfg = parse_config(GOOD, tmp_path)
    assert [s.name for s in cfg.sources] == ["a", "b"]
    assert cfg.sources[0].path == (tmp_path / "feed.xml").resolve()
    assert cfg.sources[1].options.timezone == "Europe/Kyiv"
    assert cfg.sources[1].options.target_type == "unspecified"  # the default
    assert cfg.scoring.period == "day" and cfg.scoring.lag_days == 3
    assert cfg.scoring.target_weights["energy"] == 2.0
    assert cfg.scoring.target_weights["civilian"] == 1.0  # defaults kept for the rest
    assert cfg.commitments[0].scope == "energy"
    assert len(cfg.hash) == 16


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("[[sources]]\nname='a'\nkind='nope'\npath='x'", "kind 'nope'"),
        ("[[sources]]\nname='a'\nkind='feed'", "exactly one of url"),
        (
            "[[sources]]\nname='a'\nkind='feed'\npath='x'\n[[sources]]\nname='a'\nkind='feed'\npath='y'",
            "used twice",
        ),
        ("[[sources]]\nname='a'\nkind='feed'\nurl='ftp://x'", "must start with http"),
        ("[scoring]\nbogus = 1", "unknown [scoring] keys"),
        ("[scoring]\nv3_min_share = 0", "v3_min_share = 0 must be a number > 0"),
        ("[scoring]\nv3_min_share = 'x'", "must be a number > 0"),
        ("this is = = not toml", "not valid TOML"),
        ("[[commitments]]\nactor='RUS'\nscope='energy'\nstart=2025-01-01", "lacks end"),
    ],
)
def test_bad_configs_give_one_clear_line(tmp_path, text, fragment):
    with pytest.raises(ConfigError) as exc:
        parse_config(text, tmp_path)
    assert fragment in str(exc.value)
    assert "\n" not in str(exc.value)


def test_target_weights_name_target_types(tmp_path):
    with pytest.raises(ConfigError, match="'energie' is not a target type"):
        parse_config("[scoring.target_weights]\nenergie = 2.0", tmp_path)
