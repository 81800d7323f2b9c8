"""Why a flag is there, in words: the rule that fired, its evidence window, why each statement
and strike is in the evidence (a strike's text reports under it), the commitment a violation
broke; and the per-actor coupling line. Used by ``detector show``/``flags`` and the run report."""

from __future__ import annotations

import json

import pandas as pd


def pvalue_text(v) -> str:
    """A p-value as printed: 4 decimals, or n/a where the rule gives none (v3, violations)."""
    return "n/a" if v is None or v != v else f"{v:.4f}"


def num_text(v, fmt: str = "{:.1f}") -> str:
    return "n/a" if v is None or v != v else fmt.format(v)


def coupling_lines(coupling) -> list[str]:
    """One line per actor: the coupling test of contradiction.v3 (empty without one)."""
    out = []
    for r in coupling.itertuples():
        if r.note:
            out.append(
                f"coupling {r.actor} ({r.method}): {r.note} "
                f"({r.n_claim_periods} claim periods of {r.n_periods})"
            )
            continue
        out.append(
            f"coupling {r.actor} ({r.method}): strikes on energy/civilian targets "
            f"{num_text(r.mean_claim)} per claim period vs {num_text(r.mean_other)} otherwise, "
            f"effect {num_text(r.effect, '{:+.1f}')} [95% CI {num_text(r.ci_low)}, "
            f"{num_text(r.ci_high)}], p {pvalue_text(r.p_value)} ({r.n_claim_periods} claim "
            f"periods of {r.n_periods})"
        )
    return out


def explain_flag(flag: dict, st, sk) -> list[str]:
    """The lines of ``detector show``: the rule that fired, the evidence window, and why each
    statement and strike is in the evidence (text reports of a strike under it)."""
    d = flag["details"] or {}
    lines = [
        f"flag {flag['id']}: {flag['kind']} by {flag['actor']}, {flag['start']} .. {flag['end']}",
        f"score {flag['score']:.3f}, p-value {pvalue_text(flag['p_value'])}, method "
        f"{flag['method']}, model {flag['model_version']}",
    ]
    if flag["kind"] == "violation":
        window = d.get("window") or [str(flag["start"]), str(flag["end"])]
        lines.append(
            f"rule: violation of commitment {d.get('commitment_id')} (scope "
            f"{d.get('scope')}, {window[0]} .. {window[1]} {d.get('timezone') or 'UTC'}"
            + (f", places {', '.join(d['places'])}" if d.get("places") else "")
            + f"): {d.get('commitment') or '(no description)'}"
            + (f" [source: {d['source']}]" if d.get("source") else "")
        )
        lines.append(f"why: strikes in its scope on {flag['start']}, a day inside its window")
    elif d.get("rule"):
        lines.append(f"rule: {d['rule']} (thresholds {json.dumps(d.get('thresholds', {}))})")
        lines.append(f"why: {d.get('why', '')}")
        if d.get("evidence_window"):
            lines.append(f"evidence window: {d['evidence_window'][0]} .. {d['evidence_window'][1]}")
        if d.get("episode_id"):
            lines.append(
                f"episode {d['episode_id']}: {d['episode_start']} .. "
                f"{d['episode_end']}, peak {d['episode_peak']}, "
                f"{d['episode_periods']} period(s)"
            )
        if d.get("coupling"):
            lines.append(f"coupling of {flag['actor']}: {json.dumps(d['coupling'])}")
    else:
        lines.append(
            f"rule: z-scores of rhetoric and action against the actor's trailing "
            f"baseline ({flag['method']}); rhetoric index {flag['rhetoric']}, action "
            f"index {flag['action']}"
        )
        lines.append(f"details {json.dumps(d)}")
    st_reasons = d.get("statement_reasons", {})
    # One line per list item: the CLI sanitises each line for the terminal.
    lines += ["", f"statements ({len(st)}):"]
    for r in st.itertuples():
        when = r.published_at.date().isoformat() if r.published_at is not None else "undated"
        why = f" -- {st_reasons[r.id]}" if r.id in st_reasons else ""
        lines += [
            f"  [{when}] {r.speaker} {r.stance} ({r.stance_score:.2f}) {r.source}{why}",
            f"    {r.text}",
            f"    {r.url or '(no URL)'}",
        ]
    sk_reasons = d.get("strike_reasons", {})
    lines += ["", f"strike events ({len(sk)}):"]
    for r in sk.itertuples():
        launched = "?" if pd.isna(r.launched) else f"{r.launched:g}"
        destroyed = "?" if pd.isna(r.destroyed) else f"{r.destroyed:g}"
        why = f" -- {sk_reasons[r.id]}" if r.id in sk_reasons else ""
        lines.append(
            f"  [{r.start:%Y-%m-%d %H:%M}Z] {r.actor}->{r.target_actor or '?'} "
            f"{r.target_type}: {r.weapon} launched {launched}, destroyed {destroyed} "
            f"({r.source}, origin {r.origin}){why}"
        )
        for text in list(r.sentence_texts)[:3]:
            lines.append(f"    report: {text}")
        if len(r.sentence_texts) > 3:
            lines.append(f"    ... {len(r.sentence_texts) - 3} more report(s)")
    return lines
