"""The open-licensed stance labels (models/open_corpus.py): the committed label file is valid and
carries no text, it is disjoint from the real dev/test sets, and every label resolves to a
sentence of the open sources. The resolve test is skipped where the sources are absent."""

from __future__ import annotations

import json
import re

import pytest

from models import open_corpus, real_dev, real_test

FIELDS = {
    "source",
    "doc",
    "block",
    "sent",
    "hash",
    "pool",
    "cand",
    "stance",
    "speaker",
    "kind",
    "stance_a",
    "stance_b",
    "passes",
    "note",
}
REQUIRED = FIELDS - {"stance_b", "note"}
STANCES = {"willing", "unwilling", "none"}
KINDS = {
    "other_topic",
    "other_conflict",
    "threat",
    "condition",
    "accusation",
    "third_party",
    "report",
    "plain",
    "own_willing",
    "own_unwilling",
}
CODE_RE = re.compile(r"^[A-Z]{2,5}$")


@pytest.fixture(scope="module")
def labels():
    return open_corpus.load_labels(open_corpus.LABELS_PATH)


def test_label_file_is_valid_and_has_no_text(labels):
    assert len(labels) >= 2000
    assert len({x["hash"] for x in labels}) == len(labels)
    for x in labels:
        assert REQUIRED <= set(x) <= FIELDS, x
        assert x["source"] in open_corpus.SOURCES
        assert x["stance"] in STANCES and x["stance_a"] in STANCES
        assert x["kind"] in KINDS
        assert x["speaker"] is None or CODE_RE.match(x["speaker"])
        assert re.fullmatch(r"[0-9a-f]{64}", x["hash"])
        if x["passes"] == 2:
            assert x["stance_b"] in STANCES
            # Where the passes disagree the final label was adjudicated, with a note.
            if x["stance_a"] != x["stance_b"]:
                assert x.get("note", "").startswith("adjudicated")
        else:
            assert "stance_b" not in x and x["stance"] == x["stance_a"]
        if (
            x["stance"] == "willing"
            or x["stance"] == "unwilling"
            or x["kind"]
            in {"threat", "condition", "accusation", "third_party", "other_topic", "other_conflict"}
        ):
            assert x["passes"] == 2, x  # the subtle ones were checked twice


def test_disjoint_from_the_real_evaluation_sets(labels):
    evaluation = {x["hash"] for x in real_dev.load_labels(real_dev.LABELS_PATH)}
    evaluation |= {x["hash"] for x in real_dev.load_labels(real_test.TEST_LABELS_PATH)}
    assert not evaluation & {x["hash"] for x in labels}


def test_absent_sources_skip_cleanly(tmp_path, capsys):
    assert open_corpus.main(["--open", str(tmp_path / "no"), "--real", str(tmp_path / "no")]) == 0
    assert "nothing to do" in capsys.readouterr().out


def test_whitehouse_transcript_turns(tmp_path):
    md = tmp_path / "x.md"
    md.write_text(
        "---\ntitle: 'A title'\n---\n\nMS. SMITH:  We are here.\n\nMore of it.\n\n"
        "Q    A question?\n\nPRESIDENT DOE:  An answer.\n",
        encoding="utf-8",
    )
    blocks = open_corpus._wh_blocks(md)
    assert blocks == [
        ("A title", None),
        ("We are here.", "MS. SMITH"),
        ("More of it.", "MS. SMITH"),
        ("A question?", "Q"),
        ("An answer.", "PRESIDENT DOE"),
    ]


@pytest.mark.realdata
def test_every_label_resolves_to_a_text(labels):
    paths = open_corpus.source_paths()
    if set(open_corpus.available(paths)) != set(paths):
        pytest.skip("the open sources are absent (they are only on development machines)")
    found, missing = open_corpus.resolve(labels, paths)
    assert not missing, [(m["source"], m["doc"], m["block"], m["sent"]) for m in missing[:5]]
    assert len(found) == len(labels)
    assert all(r["text"] and r["licence"] in {"CC0-1.0", "CC-BY-4.0"} for r in found)
    json.dumps(found[0])  # plain records


def _wh_folder(tmp_path):
    folder = tmp_path / "wh"
    (folder / "press").mkdir(parents=True)
    lines = [
        "PRESIDENT ZELENSKYY:  We are ready for talks with Russia at any level, round {n}.",
        "MS. SMITH:  We remain committed to a diplomatic solution with Russia, round {n}.",
        "MR. JONES:  We will not negotiate with Moscow until round {n} of the withdrawal.",
        "The United States is ready to meet Russia on trade talks in Geneva, round {n}.",
        "Q    Are you ready for talks with Russia, round {n}?",
        "MR. JONES:  The weather in Washington was fine today and nobody asked, round {n}.",
    ]
    for n in range(3):
        body = "\n\n".join(line.format(n=n) for line in lines)
        (folder / "press" / f"doc{n}.md").write_text(
            f"---\ntitle: 'Doc {n}'\n---\n\n{body}\n", encoding="utf-8"
        )
    return {"whitehouse": folder}


def test_stage3_is_seeded_and_appended_after_stages_1_2(tmp_path):
    paths = _wh_folder(tmp_path)
    quotas = {"whitehouse": {"talks": 2, "other_topic": 1}}
    stage3 = {"whitehouse": {p: 5 for p in open_corpus.STAGE3_POOLS}}
    before = open_corpus.candidates(paths, quotas=quotas, stage3={})
    full = open_corpus.candidates(paths, quotas=quotas, stage3=stage3)
    assert full[: len(before)] == before  # stage 3 never changes stages 1-2
    third = full[len(before) :]
    assert third and all(r["pool"] in open_corpus.STAGE3_POOLS for r in third)
    assert full == open_corpus.candidates(paths, quotas=quotas, stage3=stage3)  # seeded
    texts = [r["text"] for r in full]
    assert len(set(texts)) == len(texts)  # each sentence drawn once over the stages
    assert all(r["turn"] != "Q" for r in third)
    assert not any("weather" in r["text"] for r in third)


def test_own_pool_patterns_choose_only_what_is_read():
    pool = open_corpus.own_pool
    assert pool("We are ready to negotiate with Ukraine.", None, "kremlin") == "own_ready"
    assert pool("There will be no talks until Kiev accepts.", None, "kremlin") == "own_refuse"
    assert (
        pool("The goals of the special military operation will be achieved.", None, "kremlin")
        == "own_goals"
    )
    assert pool("We remain committed to diplomacy.", "MS. PSAKI", "whitehouse") == "own_commit"
    assert pool("We want this war to end.", "PRESIDENT ZELENSKYY", "whitehouse") == "own_ukr"
    assert pool("Are you ready to negotiate with Russia?", "Q", "whitehouse") is None
    assert pool("The weather is fine.", None, "kremlin") is None
