"""Who struck whom: the parse rules, "the enemy", interceptions and the adversary fallback."""

import pytest

from detector.nlp.gazetteer import load_gazetteer
from detector.nlp.strike_attribution import StrikeAttributor, load_adversaries


@pytest.fixture(scope="module")
def strikes():
    return StrikeAttributor()


def one(strikes, sentence, home=None, places=(), default=None):
    return strikes.attribute([sentence], [home], [list(places)], [default])[0]


@pytest.mark.parametrize(
    "sentence, expected",
    [
        # the subject of an active strike verb
        ("The Kiev regime attacked a substation in Belgorod region overnight.", ("UKR", "RUS")),
        ("Russian forces shelled the riverside districts of Kherson again.", ("RUS", "UKR")),
        # the by-phrase of a passive one
        ("The oil depot in Feodosia was hit by Ukrainian drones.", ("UKR", "RUS")),
        # the modifier of a strike noun, and the subject of the verb that carries the noun out
        ("Kyiv's attack on the pumping station was condemned in Moscow.", ("UKR", "RUS")),
        (
            "Moscow again broke its promise, launching a massive attack on power plants in Lviv.",
            ("RUS", "UKR"),
        ),
        # headline verbs the parser reads as nouns
        ("Ukraine strikes Kursk region nine times in a day", ("UKR", "RUS")),
        # a unit only one side fields, in a post written in lower case
        (
            "💥 gunners of the vostok group of forces destroyed two strongholds of the afu near pokrovsk",
            ("RUS", "UKR"),
        ),
    ],
)
def test_the_named_striker(strikes, sentence, expected):
    assert one(strikes, sentence) == expected


def test_no_striker_named_means_the_sole_adversary_of_the_side_hit(strikes):
    assert one(strikes, "A missile hit an apartment block in Dnipro at dawn.", places=["UKR"]) == (
        "RUS",
        "UKR",
    )
    assert one(strikes, "Drones set a refinery in Ryazan on fire.", places=["RUS"]) == (
        "UKR",
        "RUS",
    )


def test_an_unknown_named_group_is_not_replaced_by_a_guess(strikes):
    actor, target = one(strikes, "Rebel forces fired mortars at army positions near Donetsk.")
    assert actor is None


def test_several_adversaries_give_no_inference(strikes):
    # Israel has several listed adversaries: a strike on it names no striker by elimination.
    assert one(strikes, "Rockets hit a town in northern Israel.")[0] is None


def test_the_enemy_is_the_adversary_of_the_channel(strikes):
    assert one(
        strikes, "Overnight the enemy attacked with 60 drones, the air force said.", home="UKR"
    ) == ("RUS", "UKR")
    assert (
        one(strikes, "Overnight the enemy attacked with 60 drones, the air force said.", home=None)[
            0
        ]
        is None
    )


def test_the_channels_own_side_striking_the_enemy(strikes):
    assert one(strikes, "An Iskander crew hit enemy reserves in the south.", home="RUS")[0] == "RUS"
    assert one(strikes, "A howitzer crew hit enemy positions at dawn.", home="UKR") == (
        "UKR",
        "RUS",
    )


def test_an_interception_names_the_weapons_side(strikes):
    assert one(strikes, "Ukrainian air defences shot down 40 Russian drones over Odesa.") == (
        "RUS",
        "UKR",
    )
    assert one(
        strikes, "A Pantsir crew destroyed an enemy unmanned aerial vehicle.", home="RUS"
    ) == ("UKR", "RUS")


def test_default_actor_is_the_last_resort(strikes):
    assert one(strikes, "Explosions were heard at the port.", default="ISR")[0] == "ISR"


def test_strike_names_stay_out_of_speaker_lookups():
    # Weapons and units are strike-only names: the speaker gazetteer does not know them.
    assert load_gazetteer().lookup("Iskander") is None
    assert load_gazetteer().lookup("the Vostok Group of Forces") is None


def test_adversaries_file_is_symmetric():
    adv = load_adversaries()
    for actor, others in adv.items():
        for other in others:
            assert actor in adv.get(other, ()), f"{actor}->{other} has no {other}->{actor} line"


def test_without_the_parser_the_patterns_still_work():
    s = StrikeAttributor(use_parser=False)
    assert s.attribute(["Russian drones hit a substation in Kharkiv."])[0] == ("RUS", "UKR")
