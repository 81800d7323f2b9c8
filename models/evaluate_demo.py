"""Entry-level stance on the demo feeds against their author's labels (tests/data/...).

    python -m models.evaluate_demo [--model VERSION]

The demo feeds were written apart from the training corpus (another author, not used in
training), so this is an out-of-sample check, though on project-written text, not real text.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import feedparser


from detector.ingest.feed import strip_html
from detector.nlp.annotate import Annotator, DocumentInput
from detector.nlp.classifier import STANCES
from detector.settings import Settings
from models.metrics import classification_report

ROOT = Path(__file__).resolve().parents[1]

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
    clf = Annotator.load(args.model, Settings.from_env())
    # The entry is willing/unwilling for its speaker when a sentence says so in its voice.
    docs = clf.classify_documents([DocumentInput(t, d) for t, d in zip(texts, defaults)])
    pred = [d.stance for d in docs]
    pred_speaker = [d.speaker for d in docs]
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
