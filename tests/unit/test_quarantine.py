"""Stages after ingest never die on one document: what a stage cannot process is quarantined
(kept, marked, reported by `detector runs`), the rest goes on, and the next run is clean."""

from datetime import UTC, datetime

from detector.cli import main
from detector.config import Config, SourceConfig
from detector.nlp.annotate import Annotator
from detector.nlp.sentences import MAX_PARAGRAPH, _blocks
from detector.pipeline import classify_new, run_pipeline, split_new_documents
from detector.records import Document
from detector.store.store import Store

NOW = datetime(2025, 11, 21, 12, tzinfo=UTC)


def _docs(store, texts):
    with store.transaction() as tx:
        tx.upsert_source(SourceConfig(name="s", kind="feed", path="x", speaker="RUS"))
        tx.save_documents(
            [Document("s", f"e{i}", t, NOW, speaker="RUS") for i, t in enumerate(texts)], NOW
        )


class _Splitter:
    """An annotator's split that fails on one document (as spaCy might on a strange text)."""

    def split(self, texts):
        if any("BOOM" in t for t in texts):
            raise ValueError("E088 text too long")
        return [[t] for t in texts]


class _Plain:
    def split(self, texts):
        return [[t] for t in texts]


class _Labeller:
    def __init__(self, annotator):
        self.inner, self.version = annotator, annotator.version

    def annotate(self, sentences):
        if any("BOOM" in s.text for s in sentences):
            raise RuntimeError("tokenizer blew up")
        return self.inner.annotate(sentences)


def test_split_quarantines_the_bad_document_and_goes_on(db_url):
    with Store.open(db_url) as store:
        _docs(store, ["Russia is ready for talks.", "BOOM", "Kyiv was hit overnight."])
        assert split_new_documents(store, annotator=_Splitter(), run_id=None) == 2
        (held,) = store.quarantined()
        assert held["stage"] == "split" and "E088" in held["reason"]
        # Same content: not tried again, nothing stored twice.
        assert store.documents_without_sentences() == []
        assert split_new_documents(store, annotator=_Splitter()) == 0
        # A changed document is tried again.
        _docs(store, ["Russia is ready for talks.", "now fine", "Kyiv was hit overnight."])
        assert [d.text for d in store.documents_without_sentences()] == ["now fine"]


def test_classify_quarantines_the_bad_sentence(db_url, fake_classifier):
    with Store.open(db_url) as store:
        _docs(store, ["Russia is ready for talks.", "BOOM here", "Drones hit a power plant."])
        split_new_documents(store, annotator=_Plain())
        labeller = _Labeller(Annotator(fake_classifier))
        assert classify_new(store, labeller) == 2
        (held,) = store.quarantined()
        assert held["stage"] == "classify" and held["key"] == fake_classifier.version
        assert held["sentence_id"] and held["document_id"]
        assert store.sentences_without_prediction(fake_classifier.version) == []
        assert classify_new(store, labeller) == 0


def test_run_reports_quarantine_and_the_next_run_is_clean(
    tmp_path, db_url, fake_classifier, monkeypatch, capsys
):
    feed = tmp_path / "f.jsonl"
    feed.write_text(
        '{"text": "Russia is ready for talks.", "date": "2025-11-21"}\n'
        '{"text": "BOOM", "date": "2025-11-21"}\n',
        encoding="utf-8",
    )
    src = SourceConfig(name="j", kind="statements_jsonl", path=feed, speaker="RUS")
    config = Config(sources=[src])
    monkeypatch.setattr(Annotator, "split", lambda self, texts: _Splitter().split(texts))
    report = run_pipeline(config, db_url, fake_classifier)
    assert report.status == "ok" and report.counts.quarantined == 1
    assert report.counts.predictions_new == 1
    again = run_pipeline(config, db_url, fake_classifier)
    assert again.status == "ok" and not again.counts.quarantined
    assert main(["runs", "--db", db_url]) == 0
    out = capsys.readouterr().out
    assert "quarantined (1):" in out and "split" in out and "E088" in out


def test_a_strike_from_the_future_is_refused_at_ingest(tmp_path, db_url, fake_classifier):
    rows = tmp_path / "s.jsonl"
    rows.write_text(
        '{"text": "Russia is ready for talks.", "date": "2025-11-21"}\n'
        '{"text": "Drones hit a power plant.", "date": "2999-01-01"}\n',
        encoding="utf-8",
    )
    src = SourceConfig(name="j", kind="statements_jsonl", path=rows, speaker="RUS")
    report = run_pipeline(Config(sources=[src]), db_url, fake_classifier)
    assert report.counts.ingest.documents_new == 1 and report.counts.ingest.rows_refused == 1
    with Store.open_readonly(db_url) as store:
        assert store.load_statements(fake_classifier.version)["published_at"].max().year == 2025


def test_long_paragraphs_go_to_spacy_in_blocks():
    para = ("word " * (MAX_PARAGRAPH // 2)).strip()  # ~2.5 blocks' worth without a line break
    blocks = _blocks(para)
    assert len(blocks) == 3 and all(len(b) <= MAX_PARAGRAPH for b in blocks)
    assert " ".join(blocks) == para
