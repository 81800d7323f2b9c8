"""Score strike-detail extraction (launched, destroyed, weapons, places) against the corpus gold.

    python -m models.strike_details_eval [PATH ...]     # default: models/data/sentences*.jsonl

The command runs ``detector.nlp.strike_details`` on the gold strike sentences (gold ``action``
is "strike", so the classifier's errors are left out) and prints the scores. ``score_details``
is the function ``models/evaluate.py`` calls with the labels the full pipeline produced.

Scores, over the rows whose gold ``action`` is "strike":
* ``launched_acc`` / ``destroyed_acc``: exact match of the value, null included;
  ``launched_stated_acc`` / ``destroyed_stated_acc``: the same over rows whose gold is a number;
* ``weapons`` / ``places``: micro precision, recall and F1 of the mention sets, compared
  case-insensitively ("Kharkiv region" == "kharkiv region");
* ``weapon_types`` / ``place_names``: the same after mapping both sides to canonical types and
  names with the extractor's gazetteers ("Shahed-type drones" and "Shaheds" are both "shahed",
  "Kiev" and "Kyiv" both "Kyiv").
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _get(label, field):
    return label.get(field) if isinstance(label, dict) else getattr(label, field, None)


def _prf(tp: int, fp: int, fn: int) -> dict:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return dict(precision=round(p, 4), recall=round(r, 4), f1=round(f, 4), tp=tp, fp=fp, fn=fn)


def _types(extractor, mentions) -> set[str]:
    # A mention the gazetteer does not know stays itself, so that it still counts as a miss.
    return {extractor.weapon_type(m) or f"?{m.casefold()}" for m in mentions}


def score_details(gold_rows: list[dict], labels: list, extractor=None) -> dict:
    """Scores of predicted details (``labels``: SentenceLabel records or dicts with launched,
    destroyed, weapons, places; aligned with ``gold_rows``) on the gold strike rows."""
    if len(gold_rows) != len(labels):
        raise ValueError(f"{len(gold_rows)} gold rows but {len(labels)} labels")
    if extractor is None:
        from detector.nlp.strike_details import DetailsExtractor
        extractor = DetailsExtractor(use_ner=False)
    counts = {"launched": [0, 0, 0, 0], "destroyed": [0, 0, 0, 0]}  # ok, n, ok_stated, n_stated
    sets = {k: [0, 0, 0] for k in ("weapons", "places", "weapon_types", "place_names")}
    n = 0
    for gold, lab in zip(gold_rows, labels):
        if gold.get("action") != "strike":
            continue
        n += 1
        for f in ("launched", "destroyed"):
            ok = _get(lab, f) == gold.get(f)
            c = counts[f]
            c[0] += ok
            c[1] += 1
            if gold.get(f) is not None:
                c[2] += ok
                c[3] += 1
        pred_w, gold_w = list(_get(lab, "weapons") or ()), list(gold.get("weapons") or ())
        pred_p, gold_p = list(_get(lab, "places") or ()), list(gold.get("places") or ())
        pairs = {
            "weapons": ({m.casefold() for m in pred_w}, {m.casefold() for m in gold_w}),
            "places": ({m.casefold() for m in pred_p}, {m.casefold() for m in gold_p}),
            "weapon_types": (_types(extractor, pred_w), _types(extractor, gold_w)),
            "place_names": ({x.casefold() for x in extractor.place_names(pred_p)},
                            {x.casefold() for x in extractor.place_names(gold_p)}),
        }
        for k, (pred, gld) in pairs.items():
            sets[k][0] += len(pred & gld)
            sets[k][1] += len(pred - gld)
            sets[k][2] += len(gld - pred)
    out: dict = {"n_strike_rows": n}
    for f, (ok, tot, oks, tots) in counts.items():
        out[f"{f}_acc"] = round(ok / tot, 4) if tot else None
        out[f"{f}_stated_acc"] = round(oks / tots, 4) if tots else None
        out[f"{f}_stated_n"] = tots
    for k, (tp, fp, fn) in sets.items():
        out[k] = _prf(tp, fp, fn)
    return out


def load_rows(paths: list[Path]) -> list[dict]:
    rows = []
    for p in paths:
        rows.extend(json.loads(line) for line in p.read_text(encoding="utf-8").splitlines() if line.strip())
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="*", help="corpus files (default: models/data/sentences*.jsonl)")
    ap.add_argument("--no-ner", action="store_true", help="gazetteer places only (no spaCy NER)")
    ap.add_argument("--errors", type=int, default=0, metavar="N", help="print N mismatching rows")
    args = ap.parse_args(argv)
    from detector.nlp.strike_details import DetailsExtractor

    paths = [Path(p) for p in args.paths] or sorted((ROOT / "models" / "data").glob("sentences*.jsonl"))
    rows = [r for r in load_rows(paths) if r.get("action") == "strike" and "launched" in r]
    ex = DetailsExtractor(use_ner=not args.no_ner)
    preds = ex.extract_many([r["text"] for r in rows])
    scores = score_details(rows, preds, ex)
    print(f"{scores['n_strike_rows']} gold strike sentences in {', '.join(p.name for p in paths)}")
    for f in ("launched", "destroyed"):
        print(f"  {f:<12} exact {scores[f + '_acc']:.3f}   where stated ({scores[f + '_stated_n']}) "
              f"{scores[f + '_stated_acc'] if scores[f + '_stated_acc'] is not None else float('nan'):.3f}")
    for k in ("weapons", "weapon_types", "places", "place_names"):
        s = scores[k]
        print(f"  {k:<12} P {s['precision']:.3f}  R {s['recall']:.3f}  F1 {s['f1']:.3f}  "
              f"(tp {s['tp']}, fp {s['fp']}, fn {s['fn']})")
    shown = 0
    for r, d in zip(rows, preds):
        if shown >= args.errors:
            break
        if (d.launched, d.destroyed) != (r["launched"], r["destroyed"]) or \
                {w.casefold() for w in d.weapons} != {w.casefold() for w in r["weapons"]} or \
                {p.casefold() for p in d.places} != {p.casefold() for p in r["places"]}:
            shown += 1
            print(f"\n{r['text']}\n  gold {r['launched']} {r['destroyed']} {r['weapons']} {r['places']}"
                  f"\n  pred {d.launched} {d.destroyed} {list(d.weapons)} {list(d.places)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
