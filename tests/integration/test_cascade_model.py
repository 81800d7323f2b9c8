"""The shipped cascade models (minilm + mpnet stance head) on the threats the issue names:
readiness to reach war aims by force, or to meet a war, is not a peace claim, also when a
reporting frame closes the sentence (", Putin said.")."""

import pytest

from detector.nlp.classifier import DEFAULT_MODEL_VERSION, load_classifier

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CASCADE = "minilm-mpnet-cascade-v6"
THREATS = [
    "Russia is also prepared to achieve the goals of the special military operation by "
    "military means.",
    "If Europe starts a war, Russia is prepared for that too.",
]


def _load(version, tmp_path_factory):
    try:
        from detector.nlp.mpnet import part_files

        part_files()
    except Exception as exc:  # the parts are installed by the README's commands
        pytest.skip(f"mpnet parts not installed: {exc}")
    return load_classifier(version, "auto", cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def cascade(tmp_path_factory):
    return _load(CASCADE, tmp_path_factory)


@pytest.fixture(scope="module")
def default(tmp_path_factory):
    return _load(DEFAULT_MODEL_VERSION, tmp_path_factory)


def test_threats_are_not_willing(cascade):
    out = cascade.predict(THREATS)
    assert cascade.last_gated >= 1
    assert [o.stance for o in out] != ["willing"] * 2
    assert all(o.stance != "willing" for o in out), [(o.stance, o.stance_score) for o in out]


def test_plain_offer_stays_willing_and_strikes_stay_base(cascade):
    out = cascade.predict(
        [
            "Russia is ready to resume the negotiations with Ukraine in Istanbul, "
            "the Kremlin said.",
            "Russian drones hit a power plant in Kharkiv overnight.",
        ]
    )
    assert out[0].stance == "willing"
    assert (out[1].action, out[1].target) == ("strike", "energy")
    assert cascade.version.startswith(CASCADE)


def test_the_cascade_is_optional():
    # v6 is better on the real dev set, but on the real stream it makes 61 of the 81 labelled
    # right peace claims (v10: 79) and, at its claim share, no longer flags the 2 Feb 2026
    # negotiation week (its model card): not the default.
    assert DEFAULT_MODEL_VERSION != CASCADE


def test_the_default_takes_the_threats_for_no_peace_claim_with_or_without_a_reporting_frame(
    default,
):
    framed = [t[:-1] + ", Putin said." for t in THREATS]
    out = default.predict(THREATS + framed)
    assert all(o.stance != "willing" for o in out), [(o.stance, o.stance_score) for o in out]
    offers = default.predict(
        [
            "Russia is ready to resume the negotiations with Ukraine in Istanbul, "
            "the Kremlin said.",
            "We are ready for talks with Ukraine without preconditions, Peskov told reporters.",
        ]
    )
    assert [o.stance for o in offers] == ["willing", "willing"]
