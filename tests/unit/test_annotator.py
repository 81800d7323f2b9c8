"""The Annotator: sentence labels and whole documents (split -> annotate -> regroup -> label)."""

import pytest

from detector.nlp.annotate import (
    Annotator,
    DocumentInput,
    DocumentLabel,
    SentenceInput,
    document_label,
)
from detector.records import SentenceLabel


@pytest.fixture(scope="module")
def annotator():
    from tests.conftest import KeywordClassifier

    return Annotator(KeywordClassifier())


def test_parts_are_siblings_sharing_one_spacy_load(fake_classifier):
    a = Annotator(fake_classifier)
    assert a.speakers.spacy is a.strikes.spacy is a.details.spacy is a.spacy
    assert a.details.actors is a.speakers.gaz  # one actor gazetteer
    assert not hasattr(a.speakers, "strikes")


def test_annotate_speakers_strikes_and_details(annotator):
    labs = annotator.annotate(
        [
            SentenceInput("Russian drones hit a substation in Kharkiv; 12 drones were launched."),
            SentenceInput("We remain ready for talks.", default_speaker="UKR"),
            SentenceInput("Peace is possible, Lavrov said.", default_speaker="UKR"),
            SentenceInput("At night the enemy attacked Odesa with drones.", home="UKR"),
        ]
    )
    assert all(isinstance(x, SentenceLabel) for x in labs)
    strike, ready, lavrov, enemy = labs
    assert (strike.action, strike.target, strike.actor, strike.target_actor) == (
        "strike",
        "energy",
        "RUS",
        "UKR",
    )
    assert (strike.launched, strike.weapons) == (12, ("drones",))
    assert (ready.stance, ready.speaker, ready.action, ready.weapons) == (
        "willing",
        "UKR",
        "none",
        (),
    )
    assert lavrov.speaker == "RUS"  # the sentence's own speaker beats the default
    assert (enemy.actor, enemy.target_actor) == ("RUS", "UKR")  # the channel's adversary
    assert annotator.annotate([]) == []


def test_classify_documents_regroups_and_labels(annotator):
    docs = annotator.classify_documents(
        [
            DocumentInput(
                "Moscow is ready for talks on the plan - Kremlin. Russian drones hit a "
                "power plant in Kyiv.\nThe statement ends here."
            ),
            DocumentInput("We remain ready for peace.", default_speaker="UKR"),
            DocumentInput(""),
            DocumentInput("Nothing to see.", default_speaker="FRA"),
        ]
    )
    assert [type(d) for d in docs] == [DocumentLabel] * 4
    first, second, empty, plain = docs
    assert len(first.sentences) == len(first.labels) == 3
    assert first.sentences[-1] == "The statement ends here."
    assert (first.stance, first.speaker, first.action, first.target, first.actor) == (
        "willing",
        "RUS",
        "strike",
        "energy",
        "RUS",
    )
    assert first.model_version == "fake-keywords-v0"
    assert (second.stance, second.speaker) == ("willing", "UKR")
    assert (empty.sentences, empty.stance, empty.speaker, empty.weapons) == ((), "none", None, ())
    # a document whose sentences name no speaker gets its default
    assert plain.speaker == "FRA"
    # the document fields are document_label's, over the same sentence labels
    fields = document_label(list(first.labels))
    assert {k: getattr(first, k) for k in ("stance", "stance_score", "actor", "launched")} == {
        k: fields[k] for k in ("stance", "stance_score", "actor", "launched")
    }


def test_record_keeps_the_classify_contract_order(annotator):
    doc = annotator.classify_documents([DocumentInput("Russian drones hit Kharkiv.", "UKR")])[0]
    rec = doc.record()
    assert list(rec) == [
        "stance",
        "stance_score",
        "speaker",
        "action",
        "target",
        "actor",
        "launched",
        "destroyed",
        "weapons",
        "places",
        "model_version",
        "sentences",
    ]
    assert list(rec["sentences"][0]) == [
        "text",
        "stance",
        "stance_score",
        "speaker",
        "action",
        "target",
        "actor",
        "target_actor",
        "launched",
        "destroyed",
        "weapons",
        "places",
    ]
    assert rec["sentences"][0]["text"] == "Russian drones hit Kharkiv."


def test_load_names_the_model_and_backend(tmp_path):
    from detector.settings import Settings

    a = Annotator.load("minilm-head-v1", Settings(cache_dir=tmp_path), encoder="onnx-int8")
    assert a.version == "minilm-head-v1+onnx-int8"
    # a version's own backend suffix is not overridden by the settings' backend
    b = Annotator.load("minilm-head-v1+onnx-int8", Settings(encoder="torch"))
    assert b.classifier.encoder_backend == "onnx-int8"
