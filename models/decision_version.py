"""A new model version that is an existing model's weights plus a decision rule.

    python -m models.decision_version --base minilm-lora-v7 --version minilm-lora-v8 \\
        --min-prob willing=0.725 [--out detector/artifacts]
    python -m models.decision_version --base minilm-lora-v5 --version minilm-lora-v10 --topic

Copies the base artifact's heads and adapter files unchanged, writes its model.json with the
new version, the ``decision`` block (``detector.nlp.classifier.Decision``) and a
``decision_base`` record (base version and the sha256 of every copied file), and adds the
stance figures of the project dev split under the rule and under the argmax, both through
the inference encoder (``decision_dev_metrics``); ``dev_metrics`` stays the base's (argmax,
at the training length). The rule is chosen elsewhere, on the real dev set
(models/sweep_decision.py); nothing here reads the real sets.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
from pathlib import Path

import numpy as np

from detector.errors import ModelError
from detector.nlp.classifier import STANCES, HeadClassifier, shipped_artifacts
from models.evaluate import project_dev_items
from models.metrics import classification_report, expected_calibration_error

# ``--topic``: a stance claim (willing / unwilling) must name peace, talks, a settlement, the war
# or its places and formats. Written from the error kinds of the real stream's claims (greetings,
# thanks, other business; models/stream_claims.py, first labelled batch) and checked on the
# second batch, which was drawn and labelled after it was written.
TOPIC_PATTERN = (
    r"\b(peace\w*|talks?|negotiat\w*|ceasefire|cease-fire|truce|armistice|settl\w*|conflict|war|"
    r"hostilities|ukrain\w*|kiev|kyiv|zelensk\w*|donbass|donbas|crimea|istanbul|anchorage|"
    r"geneva|abu dhabi|riyadh|root causes|delegations?|memorandum|moratorium|prisoners?|"
    r"exchange|special (?:military )?operation|plan|agreements?|deal|diplomatic|dialogue|"
    r"contacts?|round|meeting|summit)\b"
)
TOPIC_LABELS = ["willing", "unwilling"]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _stance_report(clf: HeadClassifier, X: np.ndarray, gold: list[str], texts: list[str]) -> dict:
    out = clf.predict_embeddings(X, texts)
    pred = [o.stance for o in out]
    rep = classification_report(gold, pred, STANCES)
    rep["ece"] = expected_calibration_error(
        [o.stance_score for o in out], [g == p for g, p in zip(gold, pred)]
    )
    return rep


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", required=True, help="the model whose weights are copied")
    ap.add_argument("--version", required=True, help="the new version")
    ap.add_argument(
        "--min-prob",
        action="append",
        default=[],
        metavar="LABEL=P",
        help="stance minimum probability of a label (repeatable)",
    )
    ap.add_argument(
        "--topic",
        action="store_true",
        help="stance willing/unwilling only where TOPIC_PATTERN occurs (a topic rule)",
    )
    ap.add_argument("--out", default=str(shipped_artifacts()))
    ap.add_argument("--chosen", default=None, help="how the rule was chosen (for model.json)")
    args = ap.parse_args(argv)

    base = shipped_artifacts() / args.base
    meta = json.loads((base / "model.json").read_text())
    if meta.get("kind", "heads") != "heads" or meta.get("decision"):
        raise ModelError(f"{args.base} is not a plain heads model without a decision rule")
    mins = {}
    for item in args.min_prob:
        label, _, value = item.partition("=")
        mins[label] = float(value)
    if not mins and not args.topic:
        ap.error("give --min-prob LABEL=P and/or --topic")
    decision: dict = {"stance": {"min_prob": mins}}
    if args.topic:
        decision["stance"]["topic"] = {"labels": TOPIC_LABELS, "pattern": TOPIC_PATTERN}

    folder = Path(args.out) / args.version
    if folder.exists():
        raise ModelError(f"{folder} exists; pick another version")
    files = ["heads.npz"] + ([meta["adapter"]["file"]] if meta.get("adapter") else [])
    folder.mkdir(parents=True)
    for f in files:
        shutil.copyfile(base / f, folder / f)
    meta = dict(
        meta,
        version=args.version,
        decision=decision,
        decision_base={
            "version": args.base,
            "files_sha256": {f: _sha(base / f) for f in files},
            "chosen": args.chosen,
        },
    )
    (folder / "model.json").write_text(json.dumps(meta, indent=1) + "\n")

    try:
        clf = HeadClassifier(folder)
    except ModelError:
        shutil.rmtree(folder)
        raise
    plain = HeadClassifier(base, encoder=clf.encoder)
    items = project_dev_items()
    texts = [it["text"] for it in items]
    X = clf.encoder.encode(texts)
    gold = [it["stance"] for it in items]
    meta["decision_dev_metrics"] = {
        "note": "project dev split, encoder at the inference length; stance only (the other "
        "heads keep the argmax)",
        "n": len(items),
        "stance": _stance_report(clf, X, gold, texts),
        "stance_argmax": _stance_report(plain, X, gold, texts),
    }
    (folder / "model.json").write_text(json.dumps(meta, indent=1) + "\n")
    for key in ("stance", "stance_argmax"):
        rep = meta["decision_dev_metrics"][key]
        f1s = ", ".join(f"{k} F1={v['f1']:.3f}" for k, v in rep["per_class"].items())
        print(f"project dev {key}: acc={rep['accuracy']:.3f} ECE={rep['ece']:.3f} | {f1s}")
    print(f"wrote {folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
