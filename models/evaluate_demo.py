"""Entry-level stance on the demo feeds against their author's labels (tests/data/...).

    python models/evaluate_demo.py [--model VERSION]

The demo feeds were written apart from the training corpus (another author, not used in
training), so this is an out-of-sample check, though on project-written text, not real text.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import feedparser

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from detector.nlp.annotate import annotate_sentences, document_label  # noqa: E402
from detector.nlp.attribution import Attributor  # noqa: E402
from detector.nlp.classifier import STANCES, load_classifier  # noqa: E402
from detector.nlp.sentences import split_sentences  # noqa: E402
from detector.ingest.feed import strip_html  # noqa: E402
from models.metrics import classification_report  # noqa: E402

SPEAKERS = {"kremlin.atom.xml": "RUS", "mfa_russia.rss.xml": "RUS", "ukraine_president.atom.xml": "UKR",
            "us_state.rss.xml": "USA", "europe.atom.xml": "FRA"}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=None)
    args = ap.parse_args()
    labels = {json.loads(line)["id"]: json.loads(line)
              for line in (ROOT / "tests" / "data" / "demo_statement_labels.jsonl").read_text().splitlines()}
    texts, gold, gold_speaker, defaults = [], [], [], []
    for name, speaker in SPEAKERS.items():
        for e in feedparser.parse(str(ROOT / "detector" / "demo_data" / "feeds" / name)).entries:
            texts.append(strip_html(e.get("summary", "")))
            gold.append(labels[e.id]["stance_for_speaker"])
            gold_speaker.append(labels[e.id]["speaker"])
            defaults.append(speaker)
    clf = load_classifier(args.model)
    att = Attributor()
    pred, pred_speaker = [], []
    for text, default in zip(texts, defaults):
        sents = split_sentences([text])[0]
        labs = annotate_sentences(sents, [default] * len(sents), clf, att)
        # The entry is willing/unwilling for its speaker when a sentence says so in its voice.
        d = document_label(labs)
        pred.append(d["stance"])
        pred_speaker.append(d["speaker"])
    rep = classification_report(gold, pred, STANCES)
    print(f"model {clf.version}: {len(gold)} demo entries, stance accuracy {rep['accuracy']:.3f}, "
          f"macro-F1 {rep['macro_f1']:.3f}")
    for k, v in rep["per_class"].items():
        print(f"  {k:9s} P={v['precision']:.3f} R={v['recall']:.3f} F1={v['f1']:.3f} n={v['support']}")
    print("  confusion (rows gold, cols pred):", rep["confusion"]["labels"])
    for lab, row in zip(rep["confusion"]["labels"], rep["confusion"]["matrix"]):
        print(f"    {lab:9s} {row}")
    acc = sum(p == g for p, g in zip(pred_speaker, gold_speaker)) / len(gold)
    print(f"  entry speaker accuracy {acc:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
