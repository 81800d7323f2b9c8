"""Evaluate a sentence classifier (with attribution) and two baselines on two dev sets.

    python -m models.evaluate [--model VERSION] [--json OUT] [--real DIR]

(a) the project dev split: rows of models/data/sentences*.jsonl whose family is in the dev
    bucket (``is_dev`` of models/train_head.py);
(b) the real dev set: hand-labelled sentences from ../shared/data/real (models/real_dev.py);
(c) the real TEST set (models/real_test.py): disjoint from the dev set, held out; no model
    choice, rule or threshold is tuned on it. (b) and (c) are skipped with a message when that
    folder is absent.

For each: per-class P/R/F1 and confusion matrices for stance, action and target (target on gold
strikes), ECE of the stance and action confidences, speaker accuracy on sentences with an
explicit speaker (through the Annotator, i.e. the real attribution path, with the source's
default speaker), actor and target-actor accuracy on gold strikes (a missed strike counts
as wrong), strike-detail scores when the labels carry
them; and the same metrics for the keyword and label-description baselines (models/baselines.py).

The real sets are double-annotated for stance (models/ANNOTATION.md): ``stance_a`` is the first
annotator's label, ``stance_b`` the second, blind one's, ``stance`` the gold (theirs where they
agree, adjudicated where not). For them the report adds the annotators' agreement (Cohen's kappa
and willing / unwilling F1 of one against the other) beside the model's against each: the
agreement of two careful people is the ceiling a model's figures can be read against.

Stance figures added for issue 15: per-error-kind counts (``error_kind``: other topic or
conflict, threat, condition, accusation or report about others, third party, other; keyword
rules over the sentence, a rough sorting of what went wrong), party-only figures
(``party_stance``: willing / unwilling F1 of the statements of the parties that strike, RUS and
UKR, where a hit needs the speaker right too), bootstrap 95% intervals of the willing and
unwilling F1 (``bootstrap_f1``: 1,000 resamples of the sentences, seed 15) and, with
``--compare VERSION`` (default: the previous default model, minilm-lora-v5), the same stance
figures of that model on the same sets and the difference of the two with a paired bootstrap
interval (``paired_f1_difference``: the same resamples for both).
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections import Counter
from pathlib import Path

import numpy as np



from detector.nlp.annotate import Annotator, SentenceInput
from detector.nlp.classifier import ACTIONS, STANCES, TARGETS
from detector.settings import Settings
from models.baselines import keyword_predict, similarity_predict
from models.metrics import classification_report, cohen_kappa, expected_calibration_error
from models.real_dev import HOMES, LABELS_PATH, REAL_DIR, candidates, load_real_dev
from models.real_test import load_real_test
from models.train_head import is_dev

ROOT = Path(__file__).resolve().parents[1]

DATA_DIR = ROOT / "models" / "data"
DETAIL_FIELDS = ("launched", "destroyed", "weapons", "places")


def project_dev_items(data_dir: Path = DATA_DIR) -> list[dict]:
    """Dev-family rows of every sentences*.jsonl; the corpus' speaker is the explicit one."""
    items = []
    for path in sorted(Path(data_dir).glob("sentences*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            if is_dev(row["family"]):
                items.append({**row, "speaker_explicit": row.get("speaker") is not None,
                              "default_speaker": None, "source": path.name})
    return items


def real_dev_items(real_dir: Path = REAL_DIR, labels_path: Path = LABELS_PATH
                   ) -> tuple[list[dict], list[dict]]:
    return load_real_dev(real_dir, labels_path)


# --- predictions ----------------------------------------------------------------------------
def predict_model(items: list[dict], annotator: Annotator) -> list[dict]:
    """All sentences in one batch through the Annotator (classifier + attribution)."""
    labels = annotator.annotate([
        SentenceInput(it["text"], it.get("default_speaker"),
                      it.get("home", HOMES.get(it.get("source")))) for it in items])
    out = []
    for lab in labels:
        row = {"stance": lab.stance, "stance_score": lab.stance_score, "action": lab.action,
               "action_score": lab.action_score, "target": lab.target, "speaker": lab.speaker,
               "actor": lab.actor, "target_actor": lab.target_actor}
        for f in DETAIL_FIELDS:  # present once SentenceLabel carries strike details
            if hasattr(lab, f):
                row[f] = getattr(lab, f)
        out.append(row)
    return out


def predict_keywords(items: list[dict]) -> list[dict]:
    return keyword_predict([it["text"] for it in items], [it.get("default_speaker") for it in items])


def predict_similarity(items: list[dict], encoder=None) -> list[dict]:
    if encoder is None:
        from detector.nlp.encoder import load_encoder
        encoder = load_encoder(threads=Settings.from_env().threads)
    return similarity_predict([it["text"] for it in items],
                              [it.get("default_speaker") for it in items], encoder)


# --- metrics --------------------------------------------------------------------------------
def _accuracy(pairs: list[tuple]) -> dict:
    n = len(pairs)
    return {"accuracy": round(sum(g == p for g, p in pairs) / n, 4) if n else None, "n": n}


def _mentions_f1(gold_lists, pred_lists) -> dict:
    """Micro P/R/F1 of mentions; a predicted mention matches a gold one when either contains
    the other (case-insensitive): "Kherson" matches "Kherson Region"."""
    tp = n_pred = n_gold = 0
    for gold, pred in zip(gold_lists, pred_lists):
        gold = [g.lower() for g in gold or []]
        pred = [p.lower() for p in pred or []]
        n_gold += len(gold)
        n_pred += len(pred)
        used = set()
        for p in pred:
            for j, g in enumerate(gold):
                if j not in used and (p in g or g in p):
                    used.add(j)
                    tp += 1
                    break
    prec = tp / n_pred if n_pred else 0.0
    rec = tp / n_gold if n_gold else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return {"precision": round(prec, 4), "recall": round(rec, 4), "f1": round(f1, 4),
            "n_gold": n_gold, "n_pred": n_pred}


def _detail_scores(gold_items: list[dict], preds: list[dict]) -> dict | None:
    if not preds or not all(f in preds[0] for f in DETAIL_FIELDS):
        return None
    strikes = [(g, p) for g, p in zip(gold_items, preds) if g["action"] == "strike"]
    out = {}
    for f in ("launched", "destroyed"):
        pairs = [(float(g[f]), p[f]) for g, p in strikes if g.get(f) is not None]
        out[f] = {"exact": round(sum(p is not None and abs(float(p) - gv) < 1e-9 for gv, p in pairs)
                                 / len(pairs), 4) if pairs else None, "n": len(pairs)}
    for f in ("weapons", "places"):
        out[f] = _mentions_f1([g.get(f) or [] for g, _ in strikes], [p.get(f) or [] for _, p in strikes])
    return out


def evaluate(gold: list[dict], pred: list[dict]) -> dict:
    res: dict = {"n": len(gold)}
    for name, labels in (("stance", STANCES), ("action", ACTIONS)):
        g = [x[name] for x in gold]
        p = [x[name] for x in pred]
        rep = classification_report(g, p, labels)
        conf = [x.get(f"{name}_score") for x in pred]
        rep["ece"] = (expected_calibration_error(conf, [a == b for a, b in zip(g, p)])
                      if all(c is not None for c in conf) and conf else None)
        res[name] = rep
    idx = [i for i, x in enumerate(gold) if x["action"] == "strike"]
    # A missed strike has no target; it counts as wrong (label "none" in the matrix's columns).
    res["target"] = classification_report([gold[i]["target"] for i in idx],
                                          [pred[i]["target"] or "none" for i in idx], TARGETS)
    res["speaker"] = _accuracy([(g["speaker"], p["speaker"]) for g, p in zip(gold, pred)
                                if g.get("speaker_explicit")])
    res["actor"] = _accuracy([(gold[i]["actor"], pred[i]["actor"]) for i in idx
                              if gold[i].get("actor") is not None])
    res["target_actor"] = _accuracy([(gold[i]["target_actor"], pred[i].get("target_actor"))
                                     for i in idx if gold[i].get("target_actor") is not None])
    res["details"] = _detail_scores(gold, pred)
    return res


def headline(res: dict) -> dict:
    """The done-when figures: stance willing/unwilling F1, strike F1, target macro-F1, speaker."""
    return {"willing_f1": res["stance"]["per_class"]["willing"]["f1"],
            "unwilling_f1": res["stance"]["per_class"]["unwilling"]["f1"],
            "stance_macro_f1": res["stance"]["macro_f1"],
            "strike_f1": res["action"]["per_class"]["strike"]["f1"],
            "target_macro_f1": res["target"]["macro_f1"],
            "speaker_acc": res["speaker"]["accuracy"]}


def stance_agreement(items: list[dict], pred: list[dict]) -> dict | None:
    """Stance of the two annotators and the model, pair by pair, on the items both annotators
    labelled: the first annotator (``stance_a``), the second, blind one (``stance_b``) and the
    adjudicated gold (``stance``). Annotator-vs-annotator figures bound what a model can be
    expected to score against either of them. None when the set is not double-annotated."""
    idx = [i for i, it in enumerate(items) if it.get("stance_a") and it.get("stance_b")]
    if not idx:
        return None
    columns = {"first": [items[i]["stance_a"] for i in idx],
               "second": [items[i]["stance_b"] for i in idx],
               "gold": [items[i]["stance"] for i in idx],
               "model": [pred[i]["stance"] for i in idx]}
    out = {"n": len(idx), "unsure_second": sum(bool(items[i].get("stance_unsure_b")) for i in idx),
           "changed_by_adjudication": sum(a != g for a, g in zip(columns["first"], columns["gold"]))}
    for x, y in (("first", "second"), ("first", "model"), ("second", "model"), ("gold", "model")):
        rep = classification_report(columns[x], columns[y], STANCES)
        out[f"{y}_vs_{x}"] = {"willing_f1": rep["per_class"]["willing"]["f1"],
                              "unwilling_f1": rep["per_class"]["unwilling"]["f1"],
                              "macro_f1": rep["macro_f1"], "accuracy": rep["accuracy"],
                              "kappa": cohen_kappa(columns[x], columns[y])}
    return out


# --- stance errors, party figures, intervals ----------------------------------------------
PARTIES = ("RUS", "UKR")  # the parties that strike: whose stance the flags read
ERROR_KINDS = ("other_topic", "threat", "condition", "accusation", "third_party", "other")
_OTHER_TOPIC_RE = re.compile(
    r"\b(gaza|israel\w*|palestin\w*|hamas|iran\w*|syria\w*|lebanon|yemen|sudan|libya|"
    r"transnistria|moldova\w*|karabakh|armenia\w*|azerbaijan\w*|georgia|serbia|kosovo|"
    r"korea\w*|taiwan|venezuela\w*|afghanistan|middle east|new start|strategic stability|"
    r"arms control|nuclear arms|sco|brics|trade|tariff\w*|flights?|air (?:travel|traffic)|"
    r"aviation|visa\w*|embass\w*|diplomatic property|economic|energy cooperation|arctic)\b",
    re.IGNORECASE)
_THREAT_RE = re.compile(
    r"\b(military means|by force|force of arms|retaliat\w*|respond\w*|legitimate targets?|"
    r"nuclear|prepared for (?:that|this|it|war|any)|ready for (?:war|any)|starts? a war|"
    r"countermeasures?|punish\w*|warn\w*|threat\w*)\b", re.IGNORECASE)
_CONDITION_RE = re.compile(
    r"\b(if|unless|until|only|provided|on condition|precondition\w*|as soon as|once|"
    r"in exchange|terms)\b", re.IGNORECASE)
_ACCUSE_RE = re.compile(
    r"\b(accus\w*|sabotag\w*|obstruct\w*|pretend\w*|claim\w*|allege\w*|drag\w* out|"
    r"disrupt\w*|does ?n[o']t want|do ?n[o']t want|not interested|never|refus\w*|"
    r"rejected|unwilling\w*|provocation\w*|lies?|propaganda|blame\w*|"
    r"(?:kiev|kyiv|zelensky\w*|the west|europe\w*|washington|nato|london|brussels)\b.{0,40}"
    r"\b(?:wants?|seeks?|tries|trying|is not|are not|continues?|prepar\w*))", re.IGNORECASE)
_THIRD_RE = re.compile(
    r"\b(mediat\w*|host\w*|facilitat\w*|good offices|turk\w*|vatican|pope|china|chinese|"
    r"hungar\w*|saudi\w*|qatar\w*|emirat\w*|abu dhabi|trump|witkoff|kellogg|rubio|"
    r"the un\b|united nations|guterres|red cross|icrc|iaea|brazil\w*|india\w*|africa\w*)\b",
    re.IGNORECASE)


def error_kind(item: dict) -> str:
    """The kind of a stance error on ``item`` (its text and gold speaker), by keyword rules
    tried in ``ERROR_KINDS`` order; a sentence whose gold speaker is not a party is a third
    party's when no earlier rule matched."""
    text = item["text"]
    if _OTHER_TOPIC_RE.search(text):
        return "other_topic"
    if _THREAT_RE.search(text):
        return "threat"
    if _CONDITION_RE.search(text):
        return "condition"
    if _ACCUSE_RE.search(text):
        return "accusation"
    if _THIRD_RE.search(text) or (item.get("speaker") not in PARTIES):
        return "third_party"
    return "other"


def error_kinds(items: list[dict], pred: list[dict]) -> dict:
    """Stance errors per kind, split by direction: ``false_stance`` (gold none, a stance
    predicted), ``missed`` (gold stance, none predicted), ``swapped`` (willing <-> unwilling)."""
    out = {d: Counter() for d in ("false_stance", "missed", "swapped")}
    for it, p in zip(items, pred):
        g, q = it["stance"], p["stance"]
        if g == q:
            continue
        d = "false_stance" if g == "none" else ("missed" if q == "none" else "swapped")
        out[d][error_kind(it)] += 1
    return {d: {k: c[k] for k in ERROR_KINDS if c[k]} for d, c in out.items()} | {
        "total": sum(sum(c.values()) for c in out.values())}


def _party_counts(items: list[dict], pred: list[dict], label: str,
                  parties: tuple[str, ...] = PARTIES) -> np.ndarray:
    """Per item (tp, fp, fn) of ``label`` said by a party: gold = gold speaker a party and gold
    stance ``label``; predicted = predicted speaker a party and predicted stance ``label``; a
    hit needs the predicted speaker to be the gold one."""
    rows = []
    for it, p in zip(items, pred):
        g = it["stance"] == label and it.get("speaker") in parties
        q = p["stance"] == label and p.get("speaker") in parties
        tp = g and q and p.get("speaker") == it.get("speaker")
        rows.append((tp, q and not tp, g and not tp))
    return np.array(rows, dtype=float).reshape(-1, 3)


def _all_counts(items: list[dict], pred: list[dict], label: str) -> np.ndarray:
    rows = [(it["stance"] == label and p["stance"] == label,
             it["stance"] != label and p["stance"] == label,
             it["stance"] == label and p["stance"] != label) for it, p in zip(items, pred)]
    return np.array(rows, dtype=float).reshape(-1, 3)


def _f1(counts: np.ndarray) -> float:
    tp, fp, fn = counts.sum(axis=0)
    return float(2 * tp / (2 * tp + fp + fn)) if tp + fp + fn else 0.0


def party_stance(items: list[dict], pred: list[dict], parties: tuple[str, ...] = PARTIES) -> dict:
    """Willing and unwilling P/R/F1 of the parties' own statements, speaker right."""
    out = {"parties": list(parties)}
    for label in ("willing", "unwilling"):
        tp, fp, fn = _party_counts(items, pred, label, parties).sum(axis=0)
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        out[label] = {"precision": round(prec, 4), "recall": round(rec, 4),
                      "f1": round(_f1(np.array([[tp, fp, fn]])), 4), "support": int(tp + fn)}
    return out


def _resampled_f1(counts: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """F1 of per-item (tp, fp, fn) ``counts`` on each resample (a row of item indices)."""
    sums = counts[idx].sum(axis=1)  # (n, 3)
    denom = 2 * sums[:, 0] + sums[:, 1] + sums[:, 2]
    return np.divide(2 * sums[:, 0], denom, out=np.zeros(len(idx)), where=denom > 0)


def bootstrap_f1(items: list[dict], pred: list[dict], n: int = 1000, seed: int = 15) -> dict:
    """95% percentile intervals of willing and unwilling F1 (all sentences, and the parties'
    own with the speaker right), resampling the sentences ``n`` times."""
    rng = np.random.default_rng(seed)
    counts = {"willing_f1": _all_counts(items, pred, "willing"),
              "unwilling_f1": _all_counts(items, pred, "unwilling"),
              "party_willing_f1": _party_counts(items, pred, "willing"),
              "party_unwilling_f1": _party_counts(items, pred, "unwilling")}
    if not items:
        return {}
    idx = rng.integers(0, len(items), size=(n, len(items)))
    out = {}
    for name, c in counts.items():
        f1 = _resampled_f1(c, idx)
        out[name] = {"f1": round(_f1(c), 4), "ci95": [round(float(np.percentile(f1, 2.5)), 4),
                                                      round(float(np.percentile(f1, 97.5)), 4)]}
    return out


def paired_f1_difference(items: list[dict], new: list[dict], old: list[dict], n: int = 1000,
                         seed: int = 15) -> dict:
    """The new model's F1 minus the old one's on the same sentences, with a paired bootstrap 95%
    interval (both scored on the same ``n`` resamples, seed 15) and the share of resamples in
    which the new one is better: whether it is "clearly above" is this interval, not the overlap
    of the two models' own intervals (their errors are correlated)."""
    if not items:
        return {}
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(items), size=(n, len(items)))
    out = {}
    for name, counts in (("willing_f1", lambda p: _all_counts(items, p, "willing")),
                         ("unwilling_f1", lambda p: _all_counts(items, p, "unwilling")),
                         ("party_willing_f1", lambda p: _party_counts(items, p, "willing")),
                         ("party_unwilling_f1", lambda p: _party_counts(items, p, "unwilling"))):
        cn, co = counts(new), counts(old)
        d = _resampled_f1(cn, idx) - _resampled_f1(co, idx)
        out[name] = {"diff": round(_f1(cn) - _f1(co), 4),
                     "ci95": [round(float(np.percentile(d, 2.5)), 4),
                              round(float(np.percentile(d, 97.5)), 4)],
                     "p_better": round(float((d > 0).mean()), 4)}
    return out


def stance_figures(items: list[dict], pred: list[dict]) -> dict:
    """The issue-15 stance figures of one model on one set."""
    return {"errors": error_kinds(items, pred), "party": party_stance(items, pred),
            "bootstrap": bootstrap_f1(items, pred)}


def evaluate_all(items: list[dict], annotator: Annotator, encoder=None,
                 pred: list[dict] | None = None) -> dict:
    """Model (through the Annotator; ``pred``: its predictions when the caller has them) and
    both baselines on the same items."""
    if pred is None:
        pred = predict_model(items, annotator)
    model_res = evaluate(items, pred)
    model_res["agreement"] = stance_agreement(items, pred)
    model_res["stance_figures"] = stance_figures(items, pred)
    return {annotator.version: model_res,
            "keywords": evaluate(items, predict_keywords(items)),
            "similarity": evaluate(items, predict_similarity(items, encoder))}


# --- printing -------------------------------------------------------------------------------
def _print_report(title: str, res: dict) -> None:
    print(f"\n== {title} (n={res['n']})")
    for name in ("stance", "action", "target"):
        rep = res[name]
        ece = f" ECE={rep['ece']:.3f}" if rep.get("ece") is not None else ""
        print(f"{name}: acc={rep['accuracy']:.3f} macro-F1={rep['macro_f1']:.3f}{ece}")
        for lab, v in rep["per_class"].items():
            print(f"  {lab:11s} P={v['precision']:.3f} R={v['recall']:.3f} F1={v['f1']:.3f} "
                  f"n={v['support']}")
        labels = rep["confusion"]["labels"]
        print("  confusion (rows gold, cols pred): " + " ".join(f"{x[:6]:>6s}" for x in labels)
              + ("   none" if name == "target" else ""))
        for lab, row in zip(labels, rep["confusion"]["matrix"]):
            extra = ""
            if name == "target":  # missed strikes: gold target, no prediction
                extra = f" {rep['per_class'][lab]['support'] - sum(row):6d}"
            print(f"    {lab:11s} " + " ".join(f"{c:6d}" for c in row) + extra)
    for name in ("speaker", "actor", "target_actor"):
        v = res.get(name) or {"accuracy": None, "n": 0}
        acc = "n/a" if v["accuracy"] is None else f"{v['accuracy']:.3f}"
        print(f"{name} accuracy: {acc} (n={v['n']})")
    if res["details"] is None:
        print("strike details: not produced by this model's labels")
    else:
        print("strike details: " + json.dumps(res["details"]))
    if res.get("agreement"):
        _print_agreement(res["agreement"])
    if res.get("stance_figures"):
        _print_stance_figures(res["stance_figures"])


def _print_stance_figures(fig: dict) -> None:
    b = fig["bootstrap"]
    print("stance F1 with bootstrap 95% intervals: " + ", ".join(
        f"{k} {v['f1']:.3f} [{v['ci95'][0]:.3f}, {v['ci95'][1]:.3f}]" for k, v in b.items()))
    for lab in ("willing", "unwilling"):
        v = fig["party"][lab]
        print(f"  parties {'/'.join(fig['party']['parties'])} {lab} (speaker right): "
              f"P={v['precision']:.3f} R={v['recall']:.3f} F1={v['f1']:.3f} n={v['support']}")
    e = fig["errors"]
    print(f"stance errors by kind ({e['total']}): " + "; ".join(
        f"{d}: " + ", ".join(f"{k} {c}" for k, c in e[d].items())
        for d in ("false_stance", "missed", "swapped") if e[d]))


def _print_comparison(name: str, figs: dict[str, dict]) -> None:
    print(f"\n{name}: stance, old and new default on the same sentences")
    cols = ("willing_f1", "unwilling_f1", "party_willing_f1", "party_unwilling_f1")
    print(f"{'model':30s}" + "".join(f"{c:>24s}" for c in cols) + f"{'errors':>8s}")
    for version, fig in figs.items():
        if version == "difference":
            continue
        b = fig["bootstrap"]
        print(f"{version:30s}" + "".join(
            f"{b[c]['f1']:>8.3f} [{b[c]['ci95'][0]:.2f},{b[c]['ci95'][1]:.2f}]" for c in cols)
            + f"{fig['errors']['total']:>8d}")
    d = figs.get("difference")
    if d:
        print(f"{'new - old (paired bootstrap)':30s}" + "".join(
            f"{d[c]['diff']:>+8.3f} [{d[c]['ci95'][0]:+.2f},{d[c]['ci95'][1]:+.2f}]"
            for c in cols))
        print(f"{'share of resamples new > old':30s}"
              + "".join(f"{d[c]['p_better']:>24.3f}" for c in cols))


def _print_agreement(ag: dict) -> None:
    print(f"stance agreement on {ag['n']} double-annotated sentences (the second annotator blind; "
          f"{ag['unsure_second']} marked unsure by them; adjudication changed "
          f"{ag['changed_by_adjudication']} first labels):")
    print(f"  {'pair':26s}{'willing F1':>12s}{'unwilling F1':>14s}{'macro-F1':>10s}{'kappa':>8s}")
    for key, name in (("second_vs_first", "second vs first annotator"),
                      ("model_vs_first", "model vs first"), ("model_vs_second", "model vs second"),
                      ("model_vs_gold", "model vs adjudicated")):
        v = ag[key]
        print(f"  {name:26s}{v['willing_f1']:12.3f}{v['unwilling_f1']:14.3f}{v['macro_f1']:10.3f}"
              f"{v['kappa']:8.3f}")


def _print_table(title: str, results: dict) -> None:
    print(f"\n{title}")
    cols = ["willing_f1", "unwilling_f1", "stance_macro_f1", "strike_f1", "target_macro_f1",
            "speaker_acc"]
    print(f"{'system':20s}" + "".join(f"{c:>16s}" for c in cols))
    for system, res in results.items():
        h = headline(res)
        print(f"{system:20s}" + "".join(
            f"{'n/a' if h[c] is None else format(h[c], '.3f'):>16s}" for c in cols))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="model version (default: the current one)")
    ap.add_argument("--json", default=None, help="also write all metrics to this JSON file")
    ap.add_argument("--real", default=str(REAL_DIR), help="the real data folder")
    ap.add_argument("--compare", default="minilm-lora-v5",
                    help="also the stance figures of this model on the same sets (the old "
                         "default); 'none' to skip")
    ap.add_argument("--sets", default="project_dev,real_dev,real_test",
                    help="comma-separated: project_dev, real_dev, real_test (default: all); "
                         "leave real_test out while choosing between models")
    args = ap.parse_args(argv)
    wanted = {s.strip() for s in args.sets.split(",") if s.strip()}
    unknown = wanted - {"project_dev", "real_dev", "real_test"}
    if unknown:
        ap.error(f"--sets: unknown set(s) {sorted(unknown)}; use project_dev, real_dev, real_test")

    t0 = time.time()
    settings = Settings.from_env()
    clf = Annotator.load(args.model, settings)
    from detector.nlp.encoder import load_encoder
    enc = load_encoder(threads=settings.threads, cache_dir=settings.cache_dir)
    out: dict = {"model": clf.version}
    sets = {"project_dev": project_dev_items()} if "project_dev" in wanted else {}
    if not wanted & {"real_dev", "real_test"}:
        pass
    elif Path(args.real).is_dir():
        cands = candidates(Path(args.real))
        for name, loader, script in (("real_dev", load_real_dev, "real_dev.py"),
                                     ("real_test", load_real_test, "real_test.py")):
            if name not in wanted:
                continue
            found, missing = loader(Path(args.real), cands=cands)
            if missing:
                print(f"warning: {len(missing)} {name} labels have no text in {args.real} "
                      f"(run python -m models.{script[:-3]} for the list)")
            sets[name] = found
    else:
        print(f"real dev and test sets skipped: {args.real} is absent")
    preds = {}
    for name, items in sets.items():
        preds[name] = predict_model(items, clf)
        results = evaluate_all(items, clf, enc, preds[name])
        out[name] = results
        for system, res in results.items():
            _print_report(f"{name} / {system}", res)
    old = None
    for name, items in sets.items():
        new_figs = out[name].get(clf.version, {}).get("stance_figures")
        if not args.compare or args.compare in ("none", clf.version) or new_figs is None:
            continue
        old = old or Annotator.load(args.compare, settings)
        old_pred = predict_model(items, old)
        figs = {clf.version: new_figs, old.version: stance_figures(items, old_pred),
                "difference": paired_f1_difference(items, preds[name], old_pred)}
        out.setdefault("comparison", {})[name] = figs
        _print_comparison(name, figs)
    for name in sets:
        _print_table(f"{name}: model vs baselines", out[name])
    print(f"\n{time.time() - t0:.1f}s")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
