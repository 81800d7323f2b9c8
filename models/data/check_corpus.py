#!/usr/bin/env python3
"""Validate the project's labelled sentence corpus (label schema v1) and print its counts.

Usage:
    python3 models/data/check_corpus.py [PATH] [--min-lines N] [--against DIR ...] [--ngram N]

PATH defaults to sentences.jsonl next to this script. Every line must be one JSON object with
exactly the fields of schema v1 (see DESIGN.md, "Label schema (v1)"):

    text, stance, speaker, action, target, actor, target_actor, genre, family

Checks: allowed values, actor-code syntax, the null rules (target / actor / target_actor are
null when action is "none"; target is set when action is "strike"), no duplicate texts (exact
or after case and whitespace folding), at least --min-lines lines. With --against DIR (any
number), also checks that no sentence shares a run of --ngram consecutive words with any text
file under DIR (a guard against copying from real articles).

Exit status: 0 when every check passes, 1 when any fails (each problem on its own line on
stderr, with its line number), 2 for usage errors. Standard library only.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections import Counter
from pathlib import Path

FIELDS = ("text", "stance", "speaker", "action", "target", "actor", "target_actor", "genre", "family")
STANCES = ("willing", "unwilling", "none")
ACTIONS = ("strike", "none")
TARGETS = ("energy", "civilian", "military", "unspecified")
GENRES = ("statement", "briefing", "telegram", "headline", "news_strike", "other")
CODE_RE = re.compile(r"^[A-Z]{2,6}$")  # ISO 3166 alpha-3 for states; short codes for others (EU, UN, HAMAS)
FAMILY_RE = re.compile(r"^[a-z][a-z0-9_-]{1,31}$")
WORD_RE = re.compile(r"[a-z0-9]+")
TEXT_SUFFIXES = {".txt", ".md", ".csv", ".json", ".jsonl", ".xml", ".atom", ".rss", ".tsv", ".html"}


def norm(text: str) -> str:
    return " ".join(text.casefold().split())


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
    return errs


def iter_text_files(root: Path):
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            p = Path(dirpath) / name
            if p.suffix.lower() in TEXT_SUFFIXES:
                yield p


def ngrams(words: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def check_overlap(records: list[tuple[int, dict]], dirs: list[Path], n: int) -> list[str]:
    """Lines whose text shares an n-word run with any text file under dirs."""
    wanted: dict[tuple[str, ...], list[int]] = {}
    for lineno, rec in records:
        for g in ngrams(WORD_RE.findall(rec["text"].casefold()), n):
            wanted.setdefault(g, []).append(lineno)
    hits: dict[int, str] = {}
    for d in dirs:
        for path in iter_text_files(d):
            try:
                words = WORD_RE.findall(path.read_text(encoding="utf-8", errors="ignore").casefold())
            except OSError:
                continue
            for i in range(len(words) - n + 1):
                g = tuple(words[i:i + n])
                if g in wanted:
                    for lineno in wanted[g]:
                        hits.setdefault(lineno, f"{path}: '{' '.join(g)}'")
    return [f"line {ln}: shares {n} consecutive words with {where}" for ln, where in sorted(hits.items())]


def print_counter(title: str, counter: Counter, total: int) -> None:
    print(f"\n{title}")
    for key, count in sorted(counter.items(), key=lambda kv: (-kv[1], str(kv[0]))):
        print(f"  {str(key):<14} {count:5d}  {100.0 * count / total:5.1f}%")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path", nargs="?", default=str(Path(__file__).with_name("sentences.jsonl")))
    ap.add_argument("--min-lines", type=int, default=900)
    ap.add_argument("--against", action="append", default=[], metavar="DIR",
                    help="directory of real texts that no sentence may copy from (repeatable)")
    ap.add_argument("--ngram", type=int, default=8, help="run length for --against (default 8 words)")
    ap.add_argument("--quiet-families", action="store_true", help="do not list every family")
    args = ap.parse_args(argv)

    path = Path(args.path)
    if not path.is_file():
        print(f"error: {path}: no such file; pass the corpus path", file=sys.stderr)
        return 2

    errors: list[str] = []
    records: list[tuple[int, dict]] = []
    seen_exact: dict[str, int] = {}
    seen_norm: dict[str, int] = {}
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                errors.append(f"line {lineno}: blank line")
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                errors.append(f"line {lineno}: invalid JSON ({exc.msg})")
                continue
            problems = validate_record(rec)
            errors.extend(f"line {lineno}: {p}" for p in problems)
            if problems:
                continue
            text = rec["text"]
            if text in seen_exact:
                errors.append(f"line {lineno}: duplicate text of line {seen_exact[text]}")
            elif norm(text) in seen_norm:
                errors.append(f"line {lineno}: near-duplicate (case/space) of line {seen_norm[norm(text)]}")
            seen_exact.setdefault(text, lineno)
            seen_norm.setdefault(norm(text), lineno)
            records.append((lineno, rec))

    if len(records) < args.min_lines:
        errors.append(f"{path}: {len(records)} valid lines, fewer than --min-lines {args.min_lines}")
    if args.against:
        errors.extend(check_overlap(records, [Path(d) for d in args.against], args.ngram))

    recs = [r for _, r in records]
    total = len(recs) or 1
    strikes = [r for r in recs if r["action"] == "strike"]
    print(f"{path}: {len(recs)} valid sentences, {len({r['family'] for r in recs})} families")
    print_counter("stance", Counter(r["stance"] for r in recs), total)
    print_counter("action", Counter(r["action"] for r in recs), total)
    print_counter("target (of strikes)", Counter(r["target"] for r in strikes), len(strikes) or 1)
    print_counter("stance (of strikes)", Counter(r["stance"] for r in strikes), len(strikes) or 1)
    print_counter("genre", Counter(r["genre"] for r in recs), total)
    print_counter("speaker", Counter(r["speaker"] or "null" for r in recs), total)
    print_counter("actor -> target_actor (of strikes)",
                  Counter(f"{r['actor'] or 'null'}->{r['target_actor'] or 'null'}" for r in strikes),
                  len(strikes) or 1)
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
        for fam in sorted(fams):
            sub = [r for r in recs if r["family"] == fam]
            st = Counter(r["stance"] for r in sub)
            ac = Counter(r["action"] for r in sub)
            gn = Counter(r["genre"] for r in sub).most_common(1)[0][0]
            print(f"  {fam:<8} {fams[fam]:3d}  willing {st['willing']:2d}  unwilling {st['unwilling']:2d}"
                  f"  none {st['none']:2d}  strike {ac['strike']:2d}  genre {gn}")

    if errors:
        print(f"\nFAILED: {len(errors)} problem(s)", file=sys.stderr)
        for e in errors:
            print(e, file=sys.stderr)
        return 1
    print("\nOK: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
