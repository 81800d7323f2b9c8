"""Evaluation metrics (no sklearn needed): per-class P/R/F1, confusion matrix, calibration error."""

from __future__ import annotations

import numpy as np


def classification_report(gold: list[str], pred: list[str], labels) -> dict:
    labels = list(labels)
    per = {}
    for lab in labels:
        tp = sum(g == lab and p == lab for g, p in zip(gold, pred))
        fp = sum(g != lab and p == lab for g, p in zip(gold, pred))
        fn = sum(g == lab and p != lab for g, p in zip(gold, pred))
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        per[lab] = {"precision": round(prec, 4), "recall": round(rec, 4), "f1": round(f1, 4),
                    "support": tp + fn}
    present = [lab for lab in labels if per[lab]["support"] > 0]
    confusion = [[sum(g == a and p == b for g, p in zip(gold, pred)) for b in labels] for a in labels]
    acc = sum(g == p for g, p in zip(gold, pred)) / len(gold) if gold else 0.0
    return {"accuracy": round(acc, 4),
            "macro_f1": round(float(np.mean([per[lab]["f1"] for lab in present])) if present else 0.0, 4),
            "per_class": per, "confusion": {"labels": labels, "matrix": confusion}}


def expected_calibration_error(confidence, correct, bins: int = 10) -> float:
    confidence, correct = np.asarray(confidence, float), np.asarray(correct, float)
    if len(confidence) == 0:
        return 0.0
    edges = np.linspace(0, 1, bins + 1)
    ece = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        m = (confidence > lo) & (confidence <= hi)
        if m.any():
            ece += m.mean() * abs(confidence[m].mean() - correct[m].mean())
    return round(float(ece), 4)


def cohen_kappa(a: list[str], b: list[str]) -> float:
    """Agreement of two annotators beyond chance: (p_o - p_e) / (1 - p_e)."""
    n = len(a)
    if n == 0:
        return 0.0
    labels = sorted(set(a) | set(b))
    p_o = sum(x == y for x, y in zip(a, b)) / n
    p_e = sum((a.count(lab) / n) * (b.count(lab) / n) for lab in labels)
    return round((p_o - p_e) / (1 - p_e), 4) if p_e < 1 else 1.0
