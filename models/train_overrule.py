"""An overrule cascade: a base model labels every sentence; a stance head on mpnet overrules the
base's willing / unwilling labels it finds implausible (``stance_head.mode = "overrule"`` in
``detector/nlp/cascade.py``: where the head gives the base's label less than
``overrule_below``, the head's most probable other label). The one number, ``overrule_below``,
is chosen on the real dev set; the real test set is not read here.

    python -m models.train_overrule [--base minilm-lora-v10] [--head-from minilm-mpnet-cascade-v6]
        [--stream-db sqlite:///REAL_RUN.db] [--version minilm-mpnet-overrule-v11]
        [--reporting-tail keep|strip] [--save]

The head is the one of ``--head-from`` (a "decide" cascade, v6: trained on the project corpus
and the open-licensed sentences, see its card), copied unchanged; only how it is used changes.

Choice: the largest sum of the parties' willing and unwilling F1 (speaker right) on the real dev
set; of equal sums, the smaller bar (fewer changes). With ``--stream-db`` (a real run's
database holding the base's predictions, ``models/stream_claims.py``) only bars that keep at
least ``--keep`` (95%) of the labelled right claims the base makes on the real stream
(``--stream-batches``, the label batches drawn before this model) are eligible: the scorer's
claim share moves from one model to another on the assumption that both find about the same
right claims (docs/scoring.md). ``0`` in the table is the base alone.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from detector.errors import ModelError
from detector.nlp.annotate import Annotator
from detector.nlp.cascade import (
    REPORTING_TAIL,
    CascadeClassifier,
    overruled,
    save_cascade,
    stage2_text,
)
from detector.nlp.classifier import load_classifier, shipped_artifacts
from detector.settings import Settings
from models.evaluate import bootstrap_f1, party_stance, predict_model
from models.real_dev import REAL_DIR, load_real_dev
from models.stream_claims import claims, load_labels

BARS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5)
GATED = ("willing", "unwilling")


def overrule(stances: list[str], probs: dict[int, np.ndarray], labels: list[str], bar: float):
    """The base's stances with those the head gives less than ``bar`` replaced by the head's
    most probable other label (``probs``: the head's probabilities by index, gated rows)."""
    out = list(stances)
    for i, p in probs.items():
        k = overruled(p, labels.index(stances[i]), bar)
        if k is not None:
            out[i] = labels[k]
    return out


def head_probs(
    texts: list[str], head_from: str, settings, reporting_tail: str = "keep"
) -> tuple[np.ndarray, list[str]]:
    """The head's probabilities on ``texts``, read as a cascade with ``reporting_tail`` reads
    them (``keep`` or ``strip``)."""
    texts = [stage2_text(t, reporting_tail) for t in texts]
    casc = CascadeClassifier(
        shipped_artifacts() / head_from,
        load_classifier("minilm-lora-v5"),
        threads=settings.threads,
        cache_dir=settings.cache_dir,
    )
    if not texts:
        return np.zeros((0, len(casc.head.labels))), casc.head.labels
    return casc.head.probs(casc.stage2.encode(texts)), casc.head.labels


def stream_right_kept(
    db: str, base: str, batches: list[int], head_from: str, settings, reporting_tail: str = "keep"
):
    """Per bar: the labelled right claims of the base on the real stream that stay willing."""
    rows = claims(db, base, "RUS", "2025-10-06", "2026-03-01")
    labels = load_labels()
    right = [
        r
        for r in rows
        if (lab := labels.get((r["source"], r["hash"])))
        and lab.get("batch") in batches
        and lab["stance"] == "willing"
    ]
    P, order = head_probs([r["text"] for r in right], head_from, settings, reporting_tail)
    k = order.index("willing")
    return {bar: (int((P[:, k] >= bar).sum()), len(right)) for bar in BARS}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", default="minilm-lora-v10")
    ap.add_argument("--head-from", default="minilm-mpnet-cascade-v6")
    ap.add_argument("--version", default="minilm-mpnet-overrule-v11")
    ap.add_argument("--real", default=str(REAL_DIR))
    ap.add_argument("--stream-db", default=None, help="sqlite:///PATH of a real run (optional)")
    ap.add_argument("--stream-batches", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--keep", type=float, default=0.95)
    ap.add_argument(
        "--reporting-tail",
        choices=REPORTING_TAIL,
        default="keep",
        help="strip: the head reads sentences without their closing reporting frame",
    )
    ap.add_argument("--out", default=str(shipped_artifacts()))
    ap.add_argument("--save", action="store_true", help="write the chosen model's artifact")
    args = ap.parse_args(argv)
    if not Path(args.real).is_dir():
        print(f"train_overrule: {args.real} is absent; the bar is chosen on the real dev set")
        return 0
    settings = Settings.from_env()
    items, missing = load_real_dev(Path(args.real))
    base_pred = predict_model(items, Annotator.load(args.base, settings))
    idx = [i for i, r in enumerate(base_pred) if r["stance"] in GATED]
    P, order = head_probs(
        [items[i]["text"] for i in idx], args.head_from, settings, args.reporting_tail
    )
    probs = dict(zip(idx, P))
    kept = (
        stream_right_kept(
            args.stream_db,
            args.base,
            args.stream_batches,
            args.head_from,
            settings,
            args.reporting_tail,
        )
        if args.stream_db
        else None
    )
    print(
        f"real dev: {len(items)} sentences ({len(missing)} without text); the base labels "
        f"{len(idx)} willing or unwilling (the gate)"
    )
    results = []
    for bar in BARS:
        stances = overrule([r["stance"] for r in base_pred], probs, order, bar)
        pred = [dict(r, stance=s) for r, s in zip(base_pred, stances)]
        party = party_stance(items, pred)
        r = {
            "overrule_below": bar,
            "changed": sum(s != b["stance"] for s, b in zip(stances, base_pred)),
            "party_willing_f1": party["willing"]["f1"],
            "party_unwilling_f1": party["unwilling"]["f1"],
            "stream_right_kept": list(kept[bar]) if kept else None,
            "boot": bootstrap_f1(items, pred),
        }
        r["eligible"] = not kept or kept[bar][0] >= args.keep * kept[bar][1]
        results.append(r)
        print(
            f"overrule below {bar:<4} changed {r['changed']:>3}  parties willing "
            f"{r['party_willing_f1']:.3f} unwilling {r['party_unwilling_f1']:.3f}  sum "
            f"{r['party_willing_f1'] + r['party_unwilling_f1']:.3f}"
            + (f"  stream right claims kept {kept[bar][0]} of {kept[bar][1]}" if kept else "")
            + ("" if r["eligible"] else "  (not eligible)")
        )
    best = max(
        (r for r in results if r["eligible"]),
        key=lambda r: (
            round(r["party_willing_f1"] + r["party_unwilling_f1"], 4),
            -r["overrule_below"],
        ),
    )
    print("chosen:", {k: v for k, v in best.items() if k != "boot"})
    if not args.save:
        return 0
    if best["overrule_below"] == 0:
        raise ModelError("no bar beats the base alone on the real dev set; nothing saved")
    src = shipped_artifacts() / args.head_from
    src_meta = json.loads((src / "model.json").read_text())
    head = dict(src_meta["stance_head"], mode="overrule", overrule_below=best["overrule_below"])
    head["preprocessing"] = dict(head.get("preprocessing", {}), reporting_tail=args.reporting_tail)
    head.pop("file", None)
    meta = {
        "version": args.version,
        "label_schema": src_meta.get("label_schema", "labels.v1"),
        "base": args.base,
        "gate": {
            "threshold": 0.0,
            "keywords": False,
            "labels": list(GATED),
            "rule": "the base labels the sentence willing or unwilling",
        },
        "stance_head": head,
        "head_from": {
            "version": args.head_from,
            "training_data": src_meta.get("training_data"),
            "training": src_meta.get("training"),
            "stance_head_sha256": hashlib.sha256(
                (src / src_meta["stance_head"]["file"]).read_bytes()
            ).hexdigest(),
        },
        "selection": {
            "set": "real dev set (models/real_dev.py); never trained on",
            "rule": "max parties' willing + unwilling F1 (speaker right); ties: the smaller bar"
            + (
                f"; eligible: keeps >= {args.keep:.0%} of the base's labelled right claims on "
                f"the real stream (label batches {args.stream_batches})"
                if kept
                else ""
            ),
            "table": [{k: v for k, v in r.items() if k != "boot"} for r in results],
        },
        "dev_metrics": {"real_dev": best["boot"]},
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    w = np.load(src / src_meta["stance_head"]["file"])
    folder = save_cascade(Path(args.out) / args.version, meta, w["W"], w["b"])
    if (src / "lora.npz").exists():
        shutil.copyfile(src / "lora.npz", folder / "lora.npz")
    print(f"saved {folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
