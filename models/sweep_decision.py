"""Sweep a stance decision rule (per-class minimum probabilities, or log-prior offsets) on the
real DEV set and the project dev split, from probabilities computed once per model.

    python -m models.sweep_decision [--models minilm-lora-v5,minilm-lora-v7] [--real DIR]
                                    [--cache DIR] [--boot 1000]

Issue 15: the stance label is the argmax of the temperature-scaled softmax, and on real text
the weakness is the precision of ``willing``. Two families of rules are tried on top of the
same probabilities (labels willing, unwilling, none):

* ``min_prob`` (t_w, t_u): a label is eligible when its probability reaches its minimum
  (``none`` always is); the decided label is the most probable eligible one. Raising t_w only
  turns some willing calls into the next-best label.
* ``log_prior`` (b_w, b_u): argmax of log p + b (b_none = 0), i.e. shifted class priors; moves
  calls both ways.

Selection: the sum of the parties' willing and unwilling F1 (RUS/UKR statements, speaker
right: ``party_stance`` of models/evaluate.py) on the real DEV set. Stability: bootstrap of the
dev sentences (the chosen rule's gain over argmax per resample), and an out-of-bag check (the
best rule picked on each resample, its gain measured on the sentences that resample left out),
which says whether picking a rule on 735 sentences generalises at all. The real TEST set is
never read here.

The speakers come from the attribution (independent of the stance head), run once. The real
texts are read in place; only probabilities are cached (``--cache``, default a folder under
/tmp), never the texts.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import numpy as np

from models.evaluate import PARTIES, project_dev_items
from models.real_dev import HOMES, REAL_DIR, candidates, load_real_dev

LABELS = ("willing", "unwilling", "none")
T_GRID = np.round(np.arange(0.0, 0.951, 0.025), 3)
B_GRID = np.round(np.arange(-3.0, 3.001, 0.1), 2)


# --- probabilities and speakers, computed once -----------------------------------------------
def stance_probs(version: str, texts: list[str], cache: Path) -> np.ndarray:
    """(n, 3) stance probabilities of ``version`` in LABELS order, cached by texts' hash."""
    key = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    path = cache / f"{version}-{key}.npy"
    if path.is_file():
        return np.load(path)
    from detector.nlp.classifier import load_classifier
    from detector.settings import Settings

    s = Settings.from_env()
    clf = load_classifier(
        version, s.encoder, models_dir=s.models_dir, threads=s.threads, cache_dir=s.cache_dir
    )
    X = clf.encoder.encode(texts)
    p = clf._probs("stance", X)
    order = [clf.labels["stance"].index(lab) for lab in LABELS]
    p = p[:, order]
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, p)
    return p


def speakers(items: list[dict]) -> list[str | None]:
    from detector.nlp.attribution import Attributor
    from detector.nlp.gazetteer import actor_gazetteer

    att = Attributor(actor_gazetteer())
    return att.speakers(
        [it["text"] for it in items],
        [it.get("default_speaker") for it in items],
        [it.get("home", HOMES.get(it.get("source"))) for it in items],
    )


# --- decision rules ----------------------------------------------------------------------------
def decide_min_prob(p: np.ndarray, t_w: float, t_u: float) -> np.ndarray:
    ok = p >= np.array([t_w, t_u, 0.0])
    return np.where(ok, p, -1.0).argmax(axis=1)


def decide_log_prior(p: np.ndarray, b_w: float, b_u: float) -> np.ndarray:
    return (np.log(np.clip(p, 1e-12, None)) + np.array([b_w, b_u, 0.0])).argmax(axis=1)


# --- per-item counts, F1 --------------------------------------------------------------------------
def party_counts(
    gold: np.ndarray, gold_spk: list, pred: np.ndarray, pred_spk: list, label: int
) -> np.ndarray:
    """(n, 3) tp, fp, fn of ``label`` said by a party, speaker right (evaluate._party_counts)."""
    gp = np.array([s in PARTIES for s in gold_spk])
    qp = np.array([s in PARTIES for s in pred_spk])
    same = np.array([a == b for a, b in zip(gold_spk, pred_spk)])
    g = (gold == label) & gp
    q = (pred == label) & qp
    tp = g & q & same
    return np.stack([tp, q & ~tp, g & ~tp], axis=1).astype(float)


def all_counts(gold: np.ndarray, pred: np.ndarray, label: int) -> np.ndarray:
    g, q = gold == label, pred == label
    return np.stack([g & q, ~g & q, g & ~q], axis=1).astype(float)


def f1(c: np.ndarray) -> np.ndarray:
    """F1 from summed counts (..., 3)."""
    tp, fp, fn = c[..., 0], c[..., 1], c[..., 2]
    d = 2 * tp + fp + fn
    return np.divide(2 * tp, d, out=np.zeros_like(d, dtype=float), where=d > 0)


def party_sum_counts(gold, gold_spk, pred, pred_spk) -> np.ndarray:
    """(n, 6): party willing (tp, fp, fn), party unwilling (tp, fp, fn)."""
    return np.concatenate(
        [
            party_counts(gold, gold_spk, pred, pred_spk, 0),
            party_counts(gold, gold_spk, pred, pred_spk, 1),
        ],
        axis=1,
    )


def score(c6: np.ndarray) -> np.ndarray:
    """Party willing F1, unwilling F1 and their sum from summed (..., 6) counts."""
    w, u = f1(c6[..., :3]), f1(c6[..., 3:])
    return np.stack([w, u, w + u], axis=-1)


# --- sweep -------------------------------------------------------------------------------------
def grids(rule: str):
    """(grid of the first parameter, grid of the second, decision function) of a rule;
    ``min_prob_w`` is ``min_prob`` with t_u fixed at 0 (one parameter: less to overfit)."""
    if rule == "min_prob":
        return T_GRID, T_GRID, decide_min_prob
    if rule == "min_prob_w":
        return T_GRID, np.array([0.0]), decide_min_prob
    if rule == "log_prior":
        return B_GRID, B_GRID, decide_log_prior
    raise SystemExit(f"unknown rule {rule!r}; use min_prob, min_prob_w, log_prior")


def sweep(p, gold, gold_spk, pred_spk, rule: str):
    """Per grid point: (params, per-item (n, 6) counts)."""
    ga, gb, decide = grids(rule)
    params, counts = [], []
    for a in ga:
        for b in gb:
            params.append((float(a), float(b)))
            counts.append(party_sum_counts(gold, gold_spk, decide(p, a, b), pred_spk))
    return params, np.stack(counts)  # (G, n, 6)


def bootstrap(counts: np.ndarray, chosen: int, base: int, n_boot: int, seed: int = 15) -> dict:
    """Gain of grid point ``chosen`` over ``base`` (argmax) on resamples of the sentences, and
    the out-of-bag gain of the best point picked on each resample."""
    rng = np.random.default_rng(seed)
    n = counts.shape[1]
    gains, oob = [], []
    for _ in range(n_boot):
        idx = rng.integers(0, n, n)
        w = np.bincount(idx, minlength=n).astype(float)
        s_in = score(np.einsum("n,gnk->gk", w, counts))[:, 2]
        gains.append(s_in[chosen] - s_in[base])
        out = (w == 0).astype(float)
        s_out = score(np.einsum("n,gnk->gk", out, counts))[:, 2]
        best = int(np.argmax(s_in))
        oob.append(s_out[best] - s_out[base])
    gains, oob = np.array(gains), np.array(oob)
    return {
        "gain": float(np.mean(gains)),
        "gain_ci95": np.percentile(gains, [2.5, 97.5]).tolist(),
        "p_gain_pos": float(np.mean(gains > 0)),
        "oob_gain": float(np.mean(oob)),
        "oob_ci95": np.percentile(oob, [2.5, 97.5]).tolist(),
        "p_oob_pos": float(np.mean(oob > 0)),
    }


def table(params, sc, base_idx, best_idx, rule, width=2) -> None:
    """The neighbourhood of the best point: rows a, columns b, cells the dev sum."""
    ga, gb, _ = grids(rule)
    names = ("b_w", "b_u") if rule == "log_prior" else ("t_w", "t_u")
    k = len(gb)
    ia, ib = divmod(best_idx, k)
    rows = range(max(0, ia - width), min(len(ga), ia + width + 1))
    cols = range(max(0, ib - width), min(k, ib + width + 1))
    print(f"  neighbourhood (rows {names[0]}, cols {names[1]}; party willing F1 + unwilling F1):")
    print("  " + " " * 8 + "".join(f"{gb[j]:>8.3g}" for j in cols))
    for i in rows:
        print(f"  {ga[i]:>8.3g}" + "".join(f"{sc[i * k + j, 2]:>8.3f}" for j in cols))


def profile(p, gold, gold_spk, pred_spk, proj) -> None:
    """min_prob with t_u = 0, t_w from 0.40 by 0.05: calls changed, party willing P/R/F1,
    party unwilling F1, their sum; project dev willing / unwilling F1."""
    base = decide_min_prob(p, 0.0, 0.0)
    print(
        f"  {'t_w':>5s} {'changed':>8s} {'pw P':>6s} {'pw R':>6s} {'pw F1':>6s} {'pu F1':>6s} "
        f"{'sum':>6s} | {'proj w F1':>9s} {'proj u F1':>9s}"
    )
    for t in np.round(np.arange(0.40, 0.951, 0.05), 2):
        q = decide_min_prob(p, t, 0.0)
        c = party_sum_counts(gold, gold_spk, q, pred_spk).sum(0)
        prec = c[0] / (c[0] + c[1]) if c[0] + c[1] else 0.0
        rec = c[0] / (c[0] + c[2]) if c[0] + c[2] else 0.0
        w, u, sm = score(c)
        line = (
            f"  {t:5.2f} {int((q != base).sum()):8d} {prec:6.3f} {rec:6.3f} {w:6.3f} "
            f"{u:6.3f} {sm:6.3f}"
        )
        if proj is not None:
            pq = decide_min_prob(proj[0], t, 0.0)
            line += (
                f" | {f1(all_counts(proj[1], pq, 0).sum(0)):9.3f} "
                f"{f1(all_counts(proj[1], pq, 1).sum(0)):9.3f}"
            )
        print(line)


def report(
    version: str, rule: str, p, gold, gold_spk, pred_spk, n_boot: int, proj: tuple | None
) -> dict:
    params, counts = sweep(p, gold, gold_spk, pred_spk, rule)
    sc = score(counts.sum(axis=1))
    base_idx = params.index((0.0, 0.0))
    best_idx = int(np.argmax(sc[:, 2]))
    b, s = sc[base_idx], sc[best_idx]
    print(f"\n== {version} / {rule}")
    print(f"  argmax            party willing {b[0]:.3f} unwilling {b[1]:.3f} sum {b[2]:.3f}")
    print(
        f"  best {params[best_idx]!s:13s}party willing {s[0]:.3f} unwilling {s[1]:.3f} "
        f"sum {s[2]:.3f} (+{s[2] - b[2]:.3f})"
    )
    # How flat: how many grid points lie within 0.01 of the best, and their range of params.
    near = [params[i] for i in np.flatnonzero(sc[:, 2] >= s[2] - 0.01)]
    print(
        f"  {len(near)} grid points within 0.01 of the best; params range "
        f"a {min(x[0] for x in near)}..{max(x[0] for x in near)}, "
        f"b {min(x[1] for x in near)}..{max(x[1] for x in near)}"
    )
    table(params, sc, base_idx, best_idx, rule)
    if rule == "min_prob_w":
        profile(p, gold, gold_spk, pred_spk, proj)
    bs = bootstrap(counts, best_idx, base_idx, n_boot)
    print(
        f"  bootstrap ({n_boot}) gain of the best over argmax on dev: {bs['gain']:+.3f} "
        f"[{bs['gain_ci95'][0]:+.3f}, {bs['gain_ci95'][1]:+.3f}], "
        f"P(gain>0) {bs['p_gain_pos']:.2f}"
    )
    print(
        f"  out-of-bag gain of the best picked per resample: {bs['oob_gain']:+.3f} "
        f"[{bs['oob_ci95'][0]:+.3f}, {bs['oob_ci95'][1]:+.3f}], P(>0) {bs['p_oob_pos']:.2f}"
    )
    if proj is not None:
        pp, pg = proj
        decide = grids(rule)[2]
        for name, prm in (("argmax", (0.0, 0.0)), ("best", params[best_idx])):
            q = decide(pp, *prm)
            w, u = f1(all_counts(pg, q, 0).sum(0)), f1(all_counts(pg, q, 1).sum(0))
            acc = float(np.mean(q == pg))
            print(
                f"  project dev ({len(pg)}) {name:7s} willing F1 {w:.3f} unwilling F1 {u:.3f} "
                f"accuracy {acc:.3f}"
            )
    return {"params": params[best_idx], "base": b.tolist(), "best": s.tolist(), **bs}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="minilm-lora-v5,minilm-lora-v7")
    ap.add_argument("--real", default=str(REAL_DIR))
    ap.add_argument("--cache", default="/tmp/detector-sweep-decision")
    ap.add_argument("--boot", type=int, default=1000)
    ap.add_argument("--rules", default="min_prob,min_prob_w,log_prior")
    args = ap.parse_args(argv)
    items, missing = load_real_dev(Path(args.real), cands=candidates(Path(args.real)))
    if missing:
        print(f"warning: {len(missing)} real dev labels have no text")
    gold = np.array([LABELS.index(it["stance"]) for it in items])
    gold_spk = [it.get("speaker") for it in items]
    pred_spk = speakers(items)
    proj_items = project_dev_items()
    proj_gold = np.array([LABELS.index(it["stance"]) for it in proj_items])
    party = np.array([s in PARTIES for s in gold_spk])
    print(
        f"real dev: {len(items)} sentences; party willing {int(((gold == 0) & party).sum())}, "
        f"party unwilling {int(((gold == 1) & party).sum())}"
    )
    for version in args.models.split(","):
        p = stance_probs(version, [it["text"] for it in items], Path(args.cache))
        pp = stance_probs(version, [it["text"] for it in proj_items], Path(args.cache))
        for rule in args.rules.split(","):
            report(version, rule, p, gold, gold_spk, pred_spk, args.boot, (pp, proj_gold))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
