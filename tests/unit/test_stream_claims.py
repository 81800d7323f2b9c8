"""models/stream_claims.py: the claims the scorer counts, their precision on a labelled sample."""

import sqlite3

import pytest

from models.real_dev import text_hash
from models.stream_claims import (
    claims,
    draw,
    load_labels,
    precision,
    report,
    stratified_precision,
    transfer_share,
)


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "run.db"
    con = sqlite3.connect(path)
    con.executescript(
        "CREATE TABLE documents (id TEXT, source TEXT, published_at TEXT);"
        "CREATE TABLE sentences (id TEXT, document_id TEXT, text TEXT);"
        "CREATE TABLE predictions (sentence_id TEXT, model_version TEXT, stance TEXT, "
        "stance_score REAL, speaker TEXT);"
    )
    rows = [  # (sentence, text, day, {model: (stance, score, speaker)})
        (
            "s1",
            "Russia is ready for talks.",
            "2025-11-25",
            {"a": ("willing", 0.9, "RUS"), "b": ("willing", 0.8, "RUS")},
        ),
        (
            "s2",
            "Stay tuned!",
            "2025-11-26",
            {"a": ("willing", 0.7, "RUS"), "b": ("none", 0.9, "RUS")},
        ),
        (
            "s3",
            "We appreciate this.",
            "2025-11-27",
            {"a": ("willing", 0.6, "RUS"), "b": ("none", 0.9, "RUS")},
        ),
        (
            "s4",
            "Kyiv is ready for talks.",
            "2025-11-27",
            {"a": ("willing", 0.9, "UKR"), "b": ("willing", 0.9, "UKR")},
        ),
        (
            "s5",
            "Unsure claim.",
            "2025-11-28",
            {"a": ("willing", 0.4, "RUS"), "b": ("willing", 0.55, "RUS")},
        ),
        ("s6", "Too late.", "2026-03-05", {"a": ("willing", 0.9, "RUS")}),
    ]
    for sid, text, day, preds in rows:
        con.execute("INSERT INTO documents VALUES (?, 'tass', ?)", (f"d{sid}", day))
        con.execute("INSERT INTO sentences VALUES (?, ?, ?)", (sid, f"d{sid}", text))
        for model, (stance, score, speaker) in preds.items():
            con.execute(
                "INSERT INTO predictions VALUES (?, ?, ?, ?, ?)",
                (sid, model, stance, score, speaker),
            )
    con.commit()
    con.close()
    return f"sqlite:///{path}"


def test_claims_are_confident_willing_of_the_actor_in_the_span(db):
    got = {r["text"] for r in claims(db, "a", "RUS", "2025-10-06", "2026-03-01")}
    assert got == {"Russia is ready for talks.", "Stay tuned!", "We appreciate this."}
    got = {r["text"] for r in claims(db, "b", "RUS", "2025-10-06", "2026-03-01")}
    assert got == {"Russia is ready for talks.", "Unsure claim."}


def test_precision_per_model_on_its_own_sample(db):
    labels = {
        key("Russia is ready for talks."): {"stance": "willing", "sampled_from": ["a", "b"]},
        key("Stay tuned!"): {"stance": "none", "sampled_from": ["a"]},
        key("We appreciate this."): {"stance": "none", "sampled_from": ["a"]},
        key("Unsure claim."): {"stance": "none", "sampled_from": ["b"]},
    }
    res = report(db, ["a", "b"], "RUS", "2025-10-06", "2026-03-01", labels)
    assert (res["a"]["claims"], res["a"]["n"], res["a"]["precision"]) == (3, 3, 0.3333)
    assert (res["b"]["claims"], res["b"]["n"], res["b"]["precision"]) == (2, 2, 0.5)
    assert res["a"]["est_right_claims"] == 1
    assert res["b"]["labelled_willing_also_claimed"] == 1


def test_draw_is_seeded_and_names_the_models_a_sentence_came_from(db):
    per = {m: claims(db, m, "RUS", "2025-10-06", "2026-03-01") for m in ("a", "b")}
    one, two = draw(per, 2), draw(per, 2)
    assert [r["hash"] for r in one] == [r["hash"] for r in two]
    assert sum(len(r["sampled_from"]) for r in one) == 4


def test_precision_interval_brackets_the_estimate():
    p = precision(["willing"] * 30 + ["none"] * 10)
    assert p["precision"] == 0.75 and p["ci95"][0] < 0.75 < p["ci95"][1]
    assert precision([])["precision"] is None


def test_a_further_draw_leaves_out_what_is_labelled(db):
    per = {"a": claims(db, "a", "RUS", "2025-10-06", "2026-03-01")}
    first = {("tass", r["hash"]) for r in draw(per, 2)}
    rest = draw(per, 2, seed=7, exclude=frozenset(first))
    assert len(rest) == 1 and ("tass", rest[0]["hash"]) not in first


def _add_predictions(db, model, rows):
    """Predictions of ``model``: (sentence id, stance, score), all spoken by RUS."""
    con = sqlite3.connect(db[len("sqlite:///") :])
    for sid, stance, score in rows:
        con.execute(
            "INSERT INTO predictions VALUES (?, ?, ?, ?, 'RUS')", (sid, model, stance, score)
        )
    con.commit()
    con.close()


def key(text):
    return ("tass", text_hash(text))


def test_a_model_without_a_sample_is_measured_on_its_superset_models_sample(db):
    _add_predictions(db, "c", [("s1", "willing", 0.9), ("s2", "none", 0.6)])
    labels = {
        key("Russia is ready for talks."): {"stance": "willing", "sampled_from": ["a"]},
        key("Stay tuned!"): {"stance": "none", "sampled_from": ["a"]},
    }
    res = report(db, ["a", "c"], "RUS", "2025-10-06", "2026-03-01", labels)
    assert (res["c"]["sample_of"], res["c"]["n"], res["c"]["precision"]) == ("a", 1, 1.0)
    assert (res["a"]["sample_of"], res["a"]["n"], res["a"]["precision"]) == ("a", 2, 0.5)


def test_a_model_with_claims_of_its_own_is_measured_by_strata(db):
    # d shares s1, s2 with a (measured on a's sample) and adds s5 (labelled in full).
    _add_predictions(db, "d", [(sid, "willing", 0.8) for sid in ("s1", "s2", "s5")])
    labels = {
        key("Russia is ready for talks."): {"stance": "willing", "sampled_from": ["a"]},
        key("Stay tuned!"): {"stance": "none", "sampled_from": ["a"]},
        key("Unsure claim."): {"stance": "none", "sampled_from": []},
    }
    res = report(db, ["a", "d"], "RUS", "2025-10-06", "2026-03-01", labels)
    assert res["d"]["sample_of"] == "a and 1 labelled in full"
    assert (res["d"]["n"], res["d"]["precision"]) == (3, round((2 * 0.5 + 0) / 3, 4))
    # Without the census label the rest is unmeasured, and so is the model.
    del labels[key("Unsure claim.")]
    res = report(db, ["a", "d"], "RUS", "2025-10-06", "2026-03-01", labels)
    assert res["d"]["precision"] is None and res["d"]["sample_of"] == "-"


def test_transfer_keeps_the_share_of_right_claims():
    res = {
        "base": stratified_precision(["willing"] + ["none"] * 3, 4, []),
        "clean": stratified_precision(["willing", "none"], 2, []),
    }
    t = transfer_share(res, "base", 0.06)
    assert t["base"]["share"] == 0.06 and t["clean"]["share"] == 0.03
    lo, hi = t["clean"]["ci95"]
    assert lo <= 0.03 <= hi


def test_a_sentence_labelled_twice_is_refused(tmp_path):
    line = '{"source": "tass", "hash": "ab", "stance": "none", "batch": %d}\n'
    path = tmp_path / "labels.jsonl"
    path.write_text(line % 1 + line % 2)
    with pytest.raises(SystemExit, match="labelled twice"):
        load_labels(path)
