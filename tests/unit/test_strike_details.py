"""Strike details: counts, weapons and places of hand-written strike sentences."""

import json
from datetime import UTC

import pytest

from detector.nlp.annotate import Annotator, SentenceInput, document_details, document_label
from detector.nlp.strike_details import DetailsExtractor
from detector.records import SentenceLabel
from models.strike_details_eval import score_details


@pytest.fixture(scope="module")
def ex():
    return DetailsExtractor()  # with spaCy NER, as the classifier uses it


@pytest.mark.parametrize(
    "text, launched, destroyed",
    [
        (
            "Russia launched 476 drones and 48 missiles overnight, with air defences downing 439 drones "
            "and 42 missiles.",
            524,
            481,
        ),
        ("The enemy attacked with 37 missiles and 405 drones, the air force said.", 442, None),
        (
            "The air force said Russia attacked with 125 Shahed-type drones overnight; 101 were shot down.",
            125,
            101,
        ),
        ("Air defence units shot down 31 of 40 attack drones over the northern regions.", 40, 31),
        ("Ukraine's air force said it destroyed 54 of 72 drones launched from Kursk.", 72, 54),
        ("Six Kinzhal missiles were fired from MiG-31K jets and all were intercepted.", 6, 6),
        ("Russia fires 40 missiles, 600 drones in overnight barrage", 640, None),
        ("Russia fired twenty-five cruise missiles at the grid.", 25, None),
        (
            "Over 100 drones attacked the north; two hundred were counted by the end of the week.",
            100,
            None,
        ),
        ("Between 80 and 90 Shaheds were launched, 70 to 75 drones were neutralised.", 90, 75),
        ("Russia fired 23 missiles of various types, of which 16 were shot down.", 23, 16),
        (
            "810 drones and 13 missiles were used; 747 drones and 4 missiles were neutralised.",
            823,
            751,
        ),
        ("Russia says it downed 121 Ukrainian drones overnight", None, 121),
        ("Two ballistic missiles from Crimea at Odesa! Not intercepted, impact recorded.", 2, 0),
        ("All 14 Shahed drones over Cherkasy region shot down overnight.", 14, 14),
        ("42 of 48 attack drones downed overnight, six hit targets in Kharkiv region.", 48, 42),
        # no counts: casualties, dates, other numbers
        (
            "A missile struck a shopping centre in Odesa, killing two employees and wounding six shoppers.",
            None,
            None,
        ),
        (
            "Since March 2024, Russian missiles and drones have destroyed about half of the capacity.",
            None,
            None,
        ),
        (
            "Governor Fedorov said Russian forces launched 412 attacks on 14 settlements.",
            None,
            None,
        ),
        (
            "A Russian missile struck a grain elevator, destroying 1,500 tonnes of wheat.",
            None,
            None,
        ),
        ("Five drones destroyed a depot near Kupiansk.", 5, None),
        ("A strike on a children's hospital in Kyiv damaged the toxicology ward.", None, None),
    ],
)
def test_counts(ex, text, launched, destroyed):
    d = ex.extract(text)
    assert (d.launched, d.destroyed) == (launched, destroyed)


@pytest.mark.parametrize(
    "text, weapons, types",
    [
        (
            "Russian forces fired 18 Kh-101 cruise missiles and 4 Iskander-M ballistic missiles.",
            ["Kh-101 cruise missiles", "Iskander-M ballistic missiles"],
            ["cruise_missile", "ballistic_missile"],
        ),
        (
            "The air force said Russia attacked with 125 Shahed-type drones and decoys.",
            ["Shahed-type drones", "decoys"],
            ["shahed", "decoy_drone"],
        ),
        (
            "A Russian missile and drone attack hit a thermal power plant.",
            ["missile", "drone"],
            ["missile", "drone"],
        ),
        (
            "A FAB-500 bomb with a gliding kit hit a five-storey building.",
            ["FAB-500 bomb"],
            ["glide_bomb"],
        ),
        (
            "Tube artillery and Grad rockets pounded the riverside.",
            ["Tube artillery", "Grad rockets"],
            ["artillery", "mlrs"],
        ),
        (
            "Russian troops shelled the town with multiple rocket launchers.",
            ["multiple rocket launchers"],
            ["mlrs"],
        ),
        (
            "Storm Shadow missiles struck the headquarters of the fleet.",
            ["Storm Shadow missiles"],
            ["cruise_missile"],
        ),
        ("Shaheds hit the district again.", ["Shaheds"], ["shahed"]),
        ("Russian forces shelled a ferry crossing, destroying boats.", [], []),
        ("A grad student said the taurus constellation was bright.", [], []),  # names need capitals
    ],
)
def test_weapons(ex, text, weapons, types):
    d = ex.extract(text)
    assert list(d.weapons) == weapons
    assert ex.weapon_types(d.weapons) == types


@pytest.mark.parametrize(
    "text, places, names",
    [
        ("Russian drones hit Kyiv overnight.", ["Kyiv"], ["Kyiv"]),
        ("Russian drones hit Kiev overnight.", ["Kiev"], ["Kyiv"]),  # the gazetteer wins over spaCy
        (
            "Missiles hit energy facilities in Kharkiv region and Poltava Oblast.",
            ["Kharkiv region", "Poltava Oblast"],
            ["Kharkiv Oblast", "Poltava Oblast"],
        ),
        (
            "Drones struck a market in Kharkiv's Saltivskyi district.",
            ["Kharkiv", "Saltivskyi district"],
            ["Kharkiv", "Saltivskyi district"],
        ),
        (
            "Shelling hit Zaporozhye and Nikolaev.",
            ["Zaporozhye", "Nikolaev"],
            ["Zaporizhzhia", "Mykolaiv"],
        ),
        ("Russian forces shelled a ferry crossing on the Dnipro.", [], []),  # the river
        ("A missile hit a building in Dnipro.", ["Dnipro"], ["Dnipro"]),
        (
            "Russia attacked Ukraine with drones launched over the Black Sea.",
            [],
            [],
        ),  # no countries, seas
        ("Ukrainian drones struck the Ryazan oil refinery.", ["Ryazan"], ["Ryazan"]),
    ],
)
def test_places(ex, text, places, names):
    d = ex.extract(text)
    assert list(d.places) == places
    assert ex.place_names(d.places) == names


def test_no_numbers_no_weapons_no_places(ex):
    d = ex.extract("The strikes will continue, the ministry said.")
    assert (d.launched, d.destroyed, d.weapons, d.places) == (None, None, (), ())


def test_annotate_fills_details_for_strikes_only(fake_classifier):
    sents = [
        "Russian drones hit a substation in Kharkiv region; 12 drones were launched.",
        "We remain ready for talks on 20 points in Kyiv.",
    ]
    labs = Annotator(fake_classifier, use_parser=False).annotate(
        [SentenceInput(s, d) for s, d in zip(sents, ["UKR", "RUS"])]
    )
    assert labs[0].action == "strike"
    assert (labs[0].launched, labs[0].weapons, labs[0].places) == (
        12,
        ("drones",),
        ("Kharkiv region",),
    )
    assert labs[0].details() == dict(
        launched=12, destroyed=None, weapons=["drones"], places=["Kharkiv region"]
    )
    assert labs[1].action == "none"
    assert (labs[1].launched, labs[1].weapons, labs[1].places, labs[1].details()) == (
        None,
        (),
        (),
        None,
    )


def _strike(**kw) -> SentenceLabel:
    return SentenceLabel("none", 0.9, "strike", 0.9, "energy", 0.9, None, "RUS", "UKR", **kw)


def test_document_details_take_the_largest_count_not_the_sum():
    labs = [
        _strike(launched=476, destroyed=439, weapons=("drones",), places=("Kyiv",)),
        _strike(launched=476, weapons=("drones", "missiles"), places=("Lviv region",)),
        _strike(launched=48),
    ]
    assert document_details(labs) == dict(
        launched=476, destroyed=439, weapons=["drones", "missiles"], places=["Kyiv", "Lviv region"]
    )
    doc = document_label(
        labs + [SentenceLabel("willing", 0.9, "none", 0.9, None, None, "RUS", None)]
    )
    assert (doc["launched"], doc["destroyed"]) == (476, 439)
    assert document_label([])["weapons"] == []


def test_score_details():
    gold = [
        dict(
            action="strike", launched=10, destroyed=None, weapons=["Shahed drones"], places=["Kyiv"]
        ),
        dict(action="strike", launched=None, destroyed=None, weapons=["missile"], places=["Odesa"]),
        dict(action="none", launched=None, destroyed=None, weapons=[], places=[]),
    ]
    pred = [
        dict(launched=10, destroyed=3, weapons=["shahed drones"], places=["Kiev"]),
        dict(launched=None, destroyed=None, weapons=[], places=["Odesa", "Izmail"]),
        dict(launched=5, destroyed=None, weapons=["drones"], places=[]),
    ]  # not a gold strike
    s = score_details(gold, pred)
    assert s["n_strike_rows"] == 2
    assert (s["launched_acc"], s["destroyed_acc"], s["launched_stated_acc"]) == (1.0, 0.5, 1.0)
    assert (s["weapons"]["tp"], s["weapons"]["fp"], s["weapons"]["fn"]) == (1, 0, 1)
    assert (s["places"]["tp"], s["places"]["fp"], s["places"]["fn"]) == (1, 2, 1)  # Kiev != Kyiv
    assert s["place_names"]["tp"] == 2  # ... but the same place
    with pytest.raises(ValueError):
        score_details(gold, pred[:2])


def test_corpus_gold_fields_are_substrings():
    """The backfilled corpus fields are mentions as written (the checker enforces it too)."""
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "models" / "data" / "sentences.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    for r in rows:
        assert all(m in r["text"] for m in r["weapons"] + r["places"])
        if r["action"] == "none":
            assert (r["launched"], r["destroyed"], r["weapons"], r["places"]) == (
                None,
                None,
                [],
                [],
            )


@pytest.mark.backends("sqlite", "postgresql")
def test_save_predictions_stores_details(db_url):
    from datetime import datetime

    from sqlalchemy import select

    from detector.config import SourceConfig
    from detector.records import Document
    from detector.store import repository as repo
    from detector.store.db import open_database
    from detector.store.schema import predictions

    engine = open_database(db_url)
    d = Document(
        source="s", external_id="e1", text="x", published_at=datetime(2025, 11, 25, tzinfo=UTC)
    )
    with engine.begin() as conn:
        repo.upsert_source(conn, SourceConfig(name="s", kind="feed", path="x"))
        repo.save_documents(conn, [d], d.published_at)
        repo.save_sentences(
            conn,
            [
                dict(id="s1", document_id=d.id, idx=0, text="a"),
                dict(id="s2", document_id=d.id, idx=1, text="b"),
            ],
        )
        repo.save_predictions(
            conn,
            [
                ("s1", _strike(launched=12, weapons=("drones",), places=("Kyiv",))),
                ("s2", SentenceLabel("willing", 0.9, "none", 0.9, None, None, "RUS", None)),
            ],
            "m1",
        )
        rows = dict(conn.execute(select(predictions.c.sentence_id, predictions.c.details)).all())
    assert rows["s1"] == dict(launched=12, destroyed=None, weapons=["drones"], places=["Kyiv"])
    assert rows["s2"] is None


@pytest.mark.integration
@pytest.mark.slow  # loads the real classifier in a subprocess
def test_classify_outputs_details_per_sentence_and_document(tmp_path):
    import subprocess
    import sys

    inp = tmp_path / "in.jsonl"
    inp.write_text(
        json.dumps(
            {
                "id": "a",
                "text": (
                    "Russia launched 476 drones and 48 missiles at Ukraine overnight, the air force said. "
                    "Air defences shot down 439 drones and 42 missiles over Kyiv and Lviv region. "
                    "Moscow says it remains open to talks."
                ),
            }
        )
        + "\n"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "detector", "-q", "classify", "--input", str(inp)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    row = json.loads(proc.stdout)
    s1, s2, s3 = row["sentences"]
    assert (s1["action"], s1["launched"], s1["weapons"]) == ("strike", 524, ["drones", "missiles"])
    assert s3["action"] == "none" and (s3["launched"], s3["weapons"], s3["places"]) == (
        None,
        [],
        [],
    )
    if s2["action"] == "strike":
        assert s2["destroyed"] == 481 and s2["places"] == ["Kyiv", "Lviv region"]
    assert row["launched"] == 524  # the largest, never a sum over sentences
