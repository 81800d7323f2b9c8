"""The held-out real TEST set (models/real_test.py): its labels resolve, are valid schema values,
and no test sentence is a dev sentence. Skipped where ../shared/data/real is absent."""

from __future__ import annotations

import json
import re

import pytest

from detector.errors import NotFoundError
from models import real_dev, real_test

pytestmark = pytest.mark.realdata

LABEL_FIELDS = {
    "source",
    "hash",
    "stance",
    "stance_a",
    "stance_b",
    "stance_unsure_b",
    "speaker",
    "speaker_explicit",
    "action",
    "target",
    "actor",
    "target_actor",
    "launched",
    "destroyed",
    "weapons",
    "places",
    "stratum",
}
CODE_RE = re.compile(r"^[A-Z]{2,5}$")


@pytest.fixture(scope="module")
def cands():
    if not real_dev.REAL_DIR.is_dir():
        pytest.skip("../shared/data/real is absent (real data is only on development machines)")
    return real_dev.candidates(real_dev.REAL_DIR)


@pytest.fixture(scope="module")
def loaded(cands):
    return real_test.load_real_test(real_dev.REAL_DIR, real_test.TEST_LABELS_PATH, cands)


def test_every_label_resolves_to_a_text(cands, loaded):
    found, missing = loaded
    assert not missing, [m["hash"] for m in missing]
    assert len(found) >= 300
    # The labels are exactly the current selection (the draw is deterministic).
    chosen = {(it["source"], it["hash"]): it["stratum"] for it in real_test.select_test(cands)}
    assert {(x["source"], x["hash"]): x["stratum"] for x in found} == chosen


def test_topup_leaves_the_first_draw_unchanged(cands):
    """The top-up stage is appended: without it the selection is the same items, in order."""
    full = real_test.select_test(cands)
    base = real_test.select_test(cands, topup_official={}, topup_party={})
    assert [it for it in full if not it["stratum"].startswith("topup_")] == base
    topup = [it for it in full if it["stratum"].startswith("topup_")]
    assert topup and full[len(base) :] == topup
    assert {it["stratum"] for it in topup} <= {"topup_official", "topup_party"}


def test_label_values_follow_the_schema(loaded):
    found, _ = loaded
    for x in found:
        where = f"{x['source']} {x['hash'][:12]}"
        assert set(x) == LABEL_FIELDS | {"text", "default_speaker", "home"}, where
        assert x["source"] in real_dev.DEFAULT_SPEAKERS, where
        assert x["default_speaker"] == real_dev.DEFAULT_SPEAKERS[x["source"]], where
        assert x["stance"] in ("willing", "unwilling", "none"), where
        assert x["action"] in ("strike", "none"), where
        assert isinstance(x["speaker_explicit"], bool), where
        for field in ("speaker", "actor", "target_actor"):
            assert x[field] is None or CODE_RE.match(x[field]), (where, field)
        for field in ("launched", "destroyed"):
            assert x[field] is None or (isinstance(x[field], int) and x[field] >= 0), where
        assert all(
            isinstance(s, str) and s and s == s.strip() and s in x["text"]
            for s in x["weapons"] + x["places"]
        ), where
        if x["action"] == "strike":
            assert x["target"] in ("energy", "civilian", "military", "unspecified"), where
        else:
            assert x["target"] is None and x["actor"] is None and x["target_actor"] is None, where
            assert x["launched"] is None and x["destroyed"] is None, where
            assert x["weapons"] == [] and x["places"] == [], where


def test_hashes_are_unique_and_no_text_is_stored(loaded):
    found, _ = loaded
    keys = [(x["source"], x["hash"]) for x in found]
    assert len(keys) == len(set(keys))
    for line in real_test.TEST_LABELS_PATH.read_text(encoding="utf-8").splitlines():
        assert "text" not in json.loads(line)


def test_no_test_item_is_a_dev_item(cands, loaded):
    found, _ = loaded
    dev_items, dev_missing = real_dev.load_real_dev(real_dev.REAL_DIR, real_dev.LABELS_PATH, cands)
    dev = {(it["source"], real_dev._loose(it["text"])) for it in dev_items}
    dev |= real_test.dev_keys(cands)
    test = [(x["source"], real_dev._loose(x["text"])) for x in found]
    assert not set(test) & dev
    assert len(test) == len(set(test))  # loose duplicates inside the test set count once


def test_absent_real_folder_is_a_clean_error(tmp_path):
    with pytest.raises(NotFoundError):
        real_test.load_real_test(tmp_path / "nowhere")


@pytest.mark.parametrize(
    "path", [real_dev.LABELS_PATH, real_test.TEST_LABELS_PATH], ids=["dev", "test"]
)
def test_stance_is_double_annotated_and_adjudicated(path):
    """Every real label carries the first and the second (blind) annotator's stance; the gold
    stance is theirs where they agree, an adjudicated one where they do not
    (models/ANNOTATION.md)."""
    stances = {"willing", "unwilling", "none"}
    rows = real_dev.load_labels(path)
    for r in rows:
        assert {r["stance"], r["stance_a"], r["stance_b"]} <= stances, r["hash"]
        assert isinstance(r["stance_unsure_b"], bool), r["hash"]
        if r["stance_a"] == r["stance_b"]:
            assert r["stance"] == r["stance_a"], r["hash"]
    disagreements = sum(r["stance_a"] != r["stance_b"] for r in rows)
    assert 0 < disagreements < 0.1 * len(rows)
