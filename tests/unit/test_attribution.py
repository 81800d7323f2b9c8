import pytest

from detector.nlp.attribution import Attributor
from detector.nlp.gazetteer import load_gazetteer


@pytest.fixture(scope="module")
def attributor():
    return Attributor()


@pytest.mark.parametrize("sentence, speaker", [
    ("Moscow is ready for talks on the US plan - Kremlin", "RUS"),
    ("Peskov: the door to negotiations remains open.", "RUS"),
    ("According to the Kremlin, contacts will continue.", "RUS"),
    ("Russia is open to a settlement, Lavrov said.", "RUS"),
    ("Macron said Moscow shows no real will for peace.", "FRA"),
    ("Zelensky told reporters that Kyiv is ready to meet.", "UKR"),
    ("We remain ready for a ceasefire.", None),
])
def test_speakers(attributor, sentence, speaker):
    assert attributor.speakers([sentence], [None]) == [speaker]


def test_default_speaker_is_the_fallback(attributor):
    assert attributor.speakers(["We remain ready."], ["UKR"]) == ["UKR"]


def test_strike_actors(attributor):
    assert attributor.strike_actors("Russian drones hit a substation in Kharkiv.") == ("RUS", "UKR")
    assert attributor.strike_actors("Ukrainian drones struck a refinery in Saratov.") == ("UKR", "RUS")


def test_gazetteer_ignores_lowercase_common_words():
    gaz = load_gazetteer()
    assert gaz.lookup("the costa of living") is None
    assert gaz.lookup("Kremlin spokesman Dmitry Peskov") == "RUS"
