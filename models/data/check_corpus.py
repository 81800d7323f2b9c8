#!/usr/bin/env python3
"""Validate the project's labelled sentence corpus (label schema v1) and print its counts.

Usage:
    python3 models/data/check_corpus.py [PATH ...] [--min N] [--strict] [--against DIR ...]
                                        [--ngram N] [--near T]

PATH defaults to every sentences*.jsonl file next to this script (sentences.jsonl and the batch
files such as sentences_rhetoric.jsonl, sentences_action.jsonl). Every line must be one JSON
object with exactly the fields of schema v1 (see DESIGN.md, "Label schema (v1)"):

    text, stance, speaker, action, target, actor, target_actor, genre, family,
    launched, destroyed, weapons, places

Checks, per line: allowed values, actor-code syntax, the null rules (target / actor /
target_actor are null when action is "none"; target is set when action is "strike"), the strike
details (launched and destroyed are null or an int >= 0; weapons and places are lists of
non-empty strings, each a substring of the text; for action "none" the counts are null and the
lists empty).

Checks across files: no duplicate texts (exact or after case and whitespace folding), every
family id belongs to one file only, and no near-duplicate across the train/dev split (dev =
families with sha256(family) % 5 == 0, as models/train_head.py `is_dev`): a train and a dev
sentence whose word 3-gram sets have Jaccard similarity >= --near (0.6) fail, pair by pair.
The pair search uses prefix filtering on the rarest 3-grams, so it stays fast for thousands of
lines. Fewer than --min lines overall (default 3000) is a warning, and a failure only with
--strict (batch files are written incrementally).

With --against DIR (any number), also checks that no sentence shares a run of --ngram (8)
consecutive words with any text file under DIR (a guard against copying from real articles),
reported per corpus file.

Exit status: 0 when every check passes, 1 when any fails (each problem on its own line on
stderr, as FILE:LINE: problem), 2 for usage errors. Standard library only.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

LABEL_FIELDS = ("text", "stance", "speaker", "action", "target", "actor", "target_actor", "genre", "family")
DETAIL_FIELDS = ("launched", "destroyed", "weapons", "places")
FIELDS = LABEL_FIELDS + DETAIL_FIELDS
STANCES = ("willing", "unwilling", "none")
ACTIONS = ("strike", "none")
TARGETS = ("energy", "civilian", "military", "unspecified")
GENRES = ("statement", "briefing", "telegram", "headline", "news_strike", "other")
CODE_RE = re.compile(r"^[A-Z]{2,6}$")  # ISO 3166 alpha-3 for states; short codes for others (EU, UN, HAMAS)
FAMILY_RE = re.compile(r"^[a-z][a-z0-9_-]{1,31}$")
WORD_RE = re.compile(r"[a-z0-9]+")
TEXT_SUFFIXES = {".txt", ".md", ".csv", ".json", ".jsonl", ".xml", ".atom", ".rss", ".tsv", ".html"}
DEV_BUCKETS = 5  # must match models/train_head.py


def is_dev(family: str) -> bool:
    """The dev split of models/train_head.py (kept in step by hand; standard library only here)."""
    return int(hashlib.sha256(family.encode()).hexdigest(), 16) % DEV_BUCKETS == 0


def norm(text: str) -> str:
    return " ".join(text.casefold().split())


def _is_count(v: object) -> bool:
    return v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= 0)


def validate_details(rec: dict) -> list[str]:
    """Problems with the strike-detail fields of a record that has all fields."""
    errs: list[str] = []
    text = rec["text"] if isinstance(rec["text"], str) else ""
    for f in ("launched", "destroyed"):
        if not _is_count(rec[f]):
            errs.append(f"{f} {rec[f]!r} is not null or an int >= 0")
    for f in ("weapons", "places"):
        v = rec[f]
        if not isinstance(v, list):
            errs.append(f"{f} must be a list of strings (got {v!r})")
            continue
        for item in v:
            if not isinstance(item, str) or not item.strip() or item != item.strip():
                errs.append(f"{f} item {item!r} is not a non-empty trimmed string")
            elif item not in text:
                errs.append(f"{f} item {item!r} is not a substring of the text")
    if rec["action"] == "none":
        for f in ("launched", "destroyed"):
            if rec[f] is not None:
                errs.append(f"{f} must be null when action is none (got {rec[f]!r})")
        for f in ("weapons", "places"):
            if rec[f]:
                errs.append(f"{f} must be empty when action is none (got {rec[f]!r})")
    return errs


def validate_record(rec: object) -> list[str]:
    """Return the problems with one parsed record (empty list when valid)."""
    if not isinstance(rec, dict):
        return ["not a JSON object"]
    errs: list[str] = []
    keys = set(rec)
    missing = [f for f in FIELDS if f not in keys]
    extra = sorted(keys - set(FIELDS))
    if missing:
        errs.append(f"missing fields: {', '.join(missing)}")
    if extra:
        errs.append(f"unknown fields: {', '.join(extra)}")
    if missing:
        return errs
    text = rec["text"]
    if not isinstance(text, str) or not text.strip():
        errs.append("text must be a non-empty string")
    elif text != text.strip() or "\n" in text:
        errs.append("text has leading/trailing whitespace or a newline")
    if rec["stance"] not in STANCES:
        errs.append(f"stance {rec['stance']!r} not in {STANCES}")
    if rec["action"] not in ACTIONS:
        errs.append(f"action {rec['action']!r} not in {ACTIONS}")
    if rec["genre"] not in GENRES:
        errs.append(f"genre {rec['genre']!r} not in {GENRES}")
    for f in ("speaker", "actor", "target_actor"):
        v = rec[f]
        if v is not None and (not isinstance(v, str) or not CODE_RE.match(v)):
            errs.append(f"{f} {v!r} is not null or an actor code (2-6 capital letters)")
    fam = rec["family"]
    if not isinstance(fam, str) or not FAMILY_RE.match(fam):
        errs.append(f"family {fam!r} is not a short lowercase id")
    if rec["action"] == "none":
        for f in ("target", "actor", "target_actor"):
            if rec[f] is not None:
                errs.append(f"{f} must be null when action is none (got {rec[f]!r})")
    elif rec["action"] == "strike":
        if rec["target"] not in TARGETS:
            errs.append(f"target {rec['target']!r} not in {TARGETS} for a strike")
    errs.extend(validate_details(rec))
    return errs


# --- near-duplicates across the train/dev split -------------------------------------------------

def shingles(text: str, n: int = 3) -> frozenset[tuple[str, ...]]:
    words = WORD_RE.findall(text.casefold())
    if len(words) < n:
        return frozenset([tuple(words)]) if words else frozenset()
    return frozenset(tuple(words[i:i + n]) for i in range(len(words) - n + 1))


def near_duplicate_pairs(train: list[tuple[str, str]], dev: list[tuple[str, str]],
                         threshold: float) -> list[tuple[str, str, float]]:
    """(train_where, dev_where, jaccard) for pairs with Jaccard(3-gram sets) >= threshold.

    Prefix filtering: order every set's 3-grams by global frequency (rarest first); two sets
    with Jaccard >= t must share one of the first |x| - ceil(t*|x|) + 1 grams of each, so only
    the rare prefixes are indexed and probed, and each candidate is then verified exactly.
    """
    tsets = [(where, shingles(text)) for where, text in train]
    dsets = [(where, shingles(text)) for where, text in dev]
    freq: Counter = Counter()
    for _, s in tsets + dsets:
        freq.update(s)

    def prefix(s: frozenset) -> list:
        ordered = sorted(s, key=lambda g: (freq[g], g))
        return ordered[:len(s) - math.ceil(threshold * len(s)) + 1]

    index: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i, (_, s) in enumerate(tsets):
        if s:
            for g in prefix(s):
                index[g].append(i)
    pairs: list[tuple[str, str, float]] = []
    for dwhere, ds in dsets:
        if not ds:
            continue
        cands = {i for g in prefix(ds) for i in index.get(g, ())}
        for i in cands:
            twhere, ts = tsets[i]
            inter = len(ts & ds)
            jac = inter / (len(ts) + len(ds) - inter)
            if jac >= threshold:
                pairs.append((twhere, dwhere, jac))
    return sorted(pairs, key=lambda p: -p[2])


# --- copy check against real texts --------------------------------------------------------------

def iter_text_files(root: Path):
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            p = Path(dirpath) / name
            if p.suffix.lower() in TEXT_SUFFIXES:
                yield p


def ngrams(words: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def check_overlap(records: list[tuple[str, dict]], dirs: list[Path], n: int) -> list[tuple[str, str]]:
    """(where, problem) for lines whose text shares an n-word run with any text file under dirs."""
    wanted: dict[tuple[str, ...], list[str]] = {}
    for where, rec in records:
        for g in ngrams(WORD_RE.findall(rec["text"].casefold()), n):
            wanted.setdefault(g, []).append(where)
    hits: dict[str, str] = {}
    for d in dirs:
        for path in iter_text_files(d):
            try:
                words = WORD_RE.findall(path.read_text(encoding="utf-8", errors="ignore").casefold())
            except OSError:
                continue
            for i in range(len(words) - n + 1):
                g = tuple(words[i:i + n])
                if g in wanted:
                    for where in wanted[g]:
                        hits.setdefault(where, f"{path}: '{' '.join(g)}'")
    return [(w, f"shares {n} consecutive words with {src}") for w, src in hits.items()]


# --- reporting ----------------------------------------------------------------------------------

def print_counter(title: str, counter: Counter, total: int) -> None:
    print(f"\n{title}")
    for key, count in sorted(counter.items(), key=lambda kv: (-kv[1], str(kv[0]))):
        print(f"  {str(key):<14} {count:5d}  {100.0 * count / total:5.1f}%")


def print_file_summary(name: str, recs: list[dict]) -> None:
    st = Counter(r["stance"] for r in recs)
    strikes = [r for r in recs if r["action"] == "strike"]
    dev = sum(1 for r in recs if is_dev(r["family"]))
    print(f"  {name:<28} {len(recs):5d} lines  {len({r['family'] for r in recs}):3d} families  "
          f"dev {dev:4d}  willing {st['willing']:4d}  unwilling {st['unwilling']:4d}  none {st['none']:4d}  "
          f"strike {len(strikes):4d} (launched {sum(r['launched'] is not None for r in strikes)}, "
          f"destroyed {sum(r['destroyed'] is not None for r in strikes)}, "
          f"weapons {sum(bool(r['weapons']) for r in strikes)}, places {sum(bool(r['places']) for r in strikes)})")


def default_paths() -> list[Path]:
    return sorted(Path(__file__).resolve().parent.glob("sentences*.jsonl"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="*", metavar="PATH",
                    help="corpus files (default: every sentences*.jsonl beside this script)")
    ap.add_argument("--min", "--min-lines", dest="min_lines", type=int, default=3000,
                    help="expected valid lines overall (default 3000): a warning, a failure with --strict")
    ap.add_argument("--strict", action="store_true", help="fail (not warn) below --min lines")
    ap.add_argument("--against", action="append", default=[], metavar="DIR",
                    help="directory of real texts that no sentence may copy from (repeatable)")
    ap.add_argument("--ngram", type=int, default=8, help="run length for --against (default 8 words)")
    ap.add_argument("--near", type=float, default=0.6,
                    help="Jaccard threshold on word 3-gram sets for train/dev near-duplicates (default 0.6)")
    ap.add_argument("--quiet-families", action="store_true", help="do not list every family")
    args = ap.parse_args(argv)

    paths = [Path(p) for p in args.paths] or default_paths()
    if not paths:
        print(f"error: no sentences*.jsonl beside {__file__}; pass the corpus paths", file=sys.stderr)
        return 2
    for path in paths:
        if not path.is_file():
            print(f"error: {path}: no such file; pass the corpus path", file=sys.stderr)
            return 2

    errors: list[str] = []
    warnings: list[str] = []
    records: list[tuple[str, dict]] = []          # ("file:line", record)
    per_file: dict[str, list[dict]] = {}
    seen_exact: dict[str, str] = {}
    seen_norm: dict[str, str] = {}
    family_file: dict[str, str] = {}
    for path in paths:
        name = path.name
        per_file[name] = []
        with path.open(encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                where = f"{name}:{lineno}"
                if not line.strip():
                    errors.append(f"{where}: blank line")
                    continue
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError as exc:
                    errors.append(f"{where}: invalid JSON ({exc.msg})")
                    continue
                problems = validate_record(rec)
                errors.extend(f"{where}: {p}" for p in problems)
                if problems:
                    continue
                text = rec["text"]
                if text in seen_exact:
                    errors.append(f"{where}: duplicate text of {seen_exact[text]}")
                elif norm(text) in seen_norm:
                    errors.append(f"{where}: near-duplicate (case/space) of {seen_norm[norm(text)]}")
                seen_exact.setdefault(text, where)
                seen_norm.setdefault(norm(text), where)
                fam = rec["family"]
                if family_file.setdefault(fam, name) != name:
                    errors.append(f"{where}: family {fam} is already used in {family_file[fam]}; "
                                  f"family ids must be unique to one file")
                if rec["launched"] is not None and rec["destroyed"] is not None \
                        and rec["destroyed"] > rec["launched"]:
                    warnings.append(f"{where}: destroyed {rec['destroyed']} > launched {rec['launched']}")
                for f in ("weapons", "places"):
                    if len(set(rec[f])) != len(rec[f]):
                        warnings.append(f"{where}: {f} lists an item twice (mentions are compared as a set)")
                records.append((where, rec))
                per_file[name].append(rec)

    # Family ids that clash across files are already errors; split the rest as training does.
    train = [(w, r["text"]) for w, r in records if not is_dev(r["family"])]
    dev = [(w, r["text"]) for w, r in records if is_dev(r["family"])]
    for twhere, dwhere, jac in near_duplicate_pairs(train, dev, args.near):
        errors.append(f"{dwhere}: dev sentence near-duplicates train sentence {twhere} "
                      f"(3-gram Jaccard {jac:.2f} >= {args.near})")

    if len(records) < args.min_lines:
        msg = f"{len(records)} valid lines overall, fewer than --min {args.min_lines}"
        (errors if args.strict else warnings).append(msg)
    if args.against:
        hits = check_overlap(records, [Path(d) for d in args.against], args.ngram)
        by_file = Counter(w.split(":", 1)[0] for w, _ in hits)
        print(f"copy check (--against, {args.ngram}-word runs):")
        for name in per_file:
            print(f"  {name:<28} {by_file[name]:4d} line(s) share a run")
        errors.extend(f"{w}: {p}" for w, p in sorted(hits, key=lambda h: h[0]))

    recs = [r for _, r in records]
    total = len(recs) or 1
    strikes = [r for r in recs if r["action"] == "strike"]
    print("per file:")
    for name, frecs in per_file.items():
        print_file_summary(name, frecs)
    print_file_summary("ALL", recs)
    print(f"\n{len(recs)} valid sentences in {len(per_file)} file(s), "
          f"{len({r['family'] for r in recs})} families; train {len(train)}, dev {len(dev)}")
    print_counter("stance", Counter(r["stance"] for r in recs), total)
    print_counter("action", Counter(r["action"] for r in recs), total)
    print_counter("target (of strikes)", Counter(r["target"] for r in strikes), len(strikes) or 1)
    print_counter("stance (of strikes)", Counter(r["stance"] for r in strikes), len(strikes) or 1)
    print_counter("genre", Counter(r["genre"] for r in recs), total)
    print_counter("speaker", Counter(r["speaker"] or "null" for r in recs), total)
    print_counter("actor -> target_actor (of strikes)",
                  Counter(f"{r['actor'] or 'null'}->{r['target_actor'] or 'null'}" for r in strikes),
                  len(strikes) or 1)
    print(f"\nstrike details (of {len(strikes)} strikes)")
    print(f"  launched set {sum(r['launched'] is not None for r in strikes)}, "
          f"destroyed set {sum(r['destroyed'] is not None for r in strikes)}, "
          f"with weapons {sum(bool(r['weapons']) for r in strikes)} "
          f"({sum(len(r['weapons']) for r in strikes)} mentions), "
          f"with places {sum(bool(r['places']) for r in strikes)} "
          f"({sum(len(r['places']) for r in strikes)} mentions)")
    peace_words = re.compile(r"\b(peace|talks?|negotiat\w*|settle\w*|ceasefire|truce)\b", re.I)
    strike_words = re.compile(r"\b(strik\w*|struck|attack\w*|hits?|shell\w*|drills?|exercises?)\b", re.I)
    print("\nhard negatives")
    print(f"  stance none with a peace word (peace/talks/negotiate/settle/ceasefire/truce): "
          f"{sum(1 for r in recs if r['stance'] == 'none' and peace_words.search(r['text']))}")
    print(f"  action none with a strike word (strike/struck/attack/hit/shell/drill/exercise): "
          f"{sum(1 for r in recs if r['action'] == 'none' and strike_words.search(r['text']))}")
    fams = Counter(r["family"] for r in recs)
    sizes = sorted(fams.values())
    print(f"\nfamilies: {len(fams)} (sizes min {sizes[0] if sizes else 0}, "
          f"max {sizes[-1] if sizes else 0})")
    if not args.quiet_families:
        by_fam: dict[str, list[dict]] = defaultdict(list)
        for r in recs:
            by_fam[r["family"]].append(r)
        for fam in sorted(fams):
            sub = by_fam[fam]
            st = Counter(r["stance"] for r in sub)
            ac = Counter(r["action"] for r in sub)
            gn = Counter(r["genre"] for r in sub).most_common(1)[0][0]
            print(f"  {fam:<8} {fams[fam]:3d}  {family_file[fam]:<24} {'dev' if is_dev(fam) else 'train':<5}"
                  f"  willing {st['willing']:2d}  unwilling {st['unwilling']:2d}"
                  f"  none {st['none']:2d}  strike {ac['strike']:2d}  genre {gn}")

    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    if errors:
        print(f"\nFAILED: {len(errors)} problem(s)", file=sys.stderr)
        for e in errors:
            print(e, file=sys.stderr)
        return 1
    print(f"\nOK: all checks passed ({len(warnings)} warning(s))")
    return 0


if __name__ == "__main__":
    sys.exit(main())
