"""The run report: one self-contained HTML file per run (new flags with their evidence, the
timeline plots, run statistics), written after ``detector run`` and ``detector demo``.

Everything from the database is HTML-escaped (feed text is untrusted), links are kept only for
http(s) URLs, and the plots are embedded as data: URIs, so the file opens anywhere offline.
"""

from __future__ import annotations

import base64
import os
from html import escape
from pathlib import Path

import pandas as pd
from sqlalchemy.engine import make_url

from .errors import NotFoundError, UsageError
from .explain import coupling_lines, explain_flag, pvalue_text
from .outfile import write_atomic
from .plot import timeline_png
from .query import Source, coupling_frame, flag_evidence_frames, flags_frame, run_info, series_frame
from .records import RunCounts
from .store.store import Store

MAX_PLOTS = 4  # actors plotted per report


def default_reports_dir(db_url: str) -> Path:
    """``reports/`` beside a SQLite database file, else in the working directory."""
    try:
        url = make_url(db_url)
    except Exception:  # an unparsable URL fails earlier, when the database is opened
        return Path.cwd() / "reports"
    if (
        url.get_backend_name() == "sqlite"
        and url.database
        and url.database != ":memory:"
        and not url.database.startswith("file:")
    ):
        return Path(url.database).expanduser().resolve().parent / "reports"
    return Path.cwd() / "reports"


def _safe_url(url) -> str | None:
    if isinstance(url, str) and url.lower().startswith(("http://", "https://")):
        return url
    return None


def _cell(v) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return ""
    if isinstance(v, float):
        return f"{v:.4g}"
    if hasattr(v, "isoformat"):
        return escape(
            v.isoformat(sep=" ", timespec="minutes") if hasattr(v, "hour") else v.isoformat()
        )
    return escape(str(v))


def _table(df: pd.DataFrame, columns: list[str], link: str | None = None) -> str:
    if df.empty:
        return "<p class=empty>none</p>"
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = []
    for row in df.to_dict("records"):
        cells = []
        for c in columns:
            if c == link and _safe_url(row.get(c)):
                u = escape(row[c], quote=True)
                cells.append(f'<td><a href="{u}" rel="noopener noreferrer">{u}</a></td>')
            else:
                cells.append(f"<td>{_cell(row.get(c))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _flag_section(store: Source, flag_id: str) -> str:
    flag, st, sk = flag_evidence_frames(store, flag_id)
    pv = pvalue_text(flag["p_value"])
    d = flag["details"] or {}
    # Why each item is there (v3 details), and a strike's text reports (its provenance).
    st = st.assign(why=st["id"].map(d.get("statement_reasons", {})))
    sk = sk.assign(
        why=sk["id"].map(d.get("strike_reasons", {})),
        reports=sk["sentence_texts"].map(lambda t: " | ".join(list(t)[:3])),
    )
    head = explain_flag(flag, st.iloc[:0], sk.iloc[:0])[2:]
    explanation = "".join(
        f"<li>{escape(line)}</li>" for line in head if line.strip() and not line.startswith("\n")
    )
    return (
        f"<section class=flag><h3>{escape(flag['kind'])} by {escape(flag['actor'])}, "
        f"{flag['start']} .. {flag['end']} <code>{escape(flag['id'])}</code></h3>"
        f"<p>score {flag['score']:.3f}, p-value {pv}, method {escape(flag['method'])}, "
        f"model {escape(str(flag['model_version']))}; "
        f"rhetoric index {_cell(flag['rhetoric'])}, "
        f"action index {_cell(flag['action'])}</p>"
        f"<ul class=why>{explanation}</ul>"
        f"<h4>Statements ({len(st)})</h4>"
        + _table(
            st,
            ["published_at", "speaker", "stance", "stance_score", "source", "why", "text", "url"],
            link="url",
        )
        + f"<h4>Strike events ({len(sk)})</h4>"
        + _table(
            sk,
            [
                "start",
                "actor",
                "target_actor",
                "target_type",
                "weapon",
                "launched",
                "destroyed",
                "place",
                "source",
                "origin",
                "why",
                "reports",
            ],
        )
        + "</section>"
    )


def _flat_counts(counts: dict, prefix: str = "") -> list[tuple[str, object]]:
    out = []
    for k, v in (counts or {}).items():
        if isinstance(v, dict):
            out.extend(_flat_counts(v, f"{prefix}{k}."))
        else:
            out.append((f"{prefix}{k}", v))
    return out


def render_run_report(store: Source, run_id: int | None = None) -> str:
    """The HTML of the report of run ``run_id`` (default: the newest run)."""
    run = run_info(store, run_id)
    all_flags = flags_frame(store)
    new = all_flags[all_flags["id"].isin(Store.of(store).flags_of_run(run["id"]))]
    stats = [
        ("run", run["id"]),
        ("status", run["status"]),
        ("started", run["started_at"]),
        ("finished", run["finished_at"]),
        ("model", run["model_version"]),
        ("scorer", run["scorer_version"]),
        ("config hash", run["config_hash"]),
    ]
    stats += _flat_counts(RunCounts.from_json(run["counts"]).to_json())
    stats.append(("flags in the database", len(all_flags)))
    stat_rows = "".join(f"<tr><th>{escape(str(k))}</th><td>{_cell(v)}</td></tr>" for k, v in stats)
    errors = "".join(f"<li>{escape(str(e))}</li>" for e in run["errors"] or [])

    actors = list(dict.fromkeys(list(new["actor"]) + list(all_flags["actor"])))
    if not actors:
        actors = list(dict.fromkeys(series_frame(store)["actor"]))
    plots = []
    for actor in actors[:MAX_PLOTS]:
        try:
            png = timeline_png(store, actor)
        except NotFoundError:  # a violation-only actor has no R/A series
            continue
        b64 = base64.b64encode(png).decode("ascii")
        plots.append(
            f'<figure><img alt="R and A timeline of {escape(actor, quote=True)}" '
            f'src="data:image/png;base64,{b64}"><figcaption>{escape(actor)}: rhetoric '
            f"(R) and action (A) per period; flagged periods shaded, commitments "
            f"hatched</figcaption></figure>"
        )
    coupling = "".join(f"<li>{escape(line)}</li>" for line in coupling_lines(coupling_frame(store)))
    flag_list = _table(
        all_flags.drop(columns=["details"]).assign(p_value=all_flags["p_value"].map(pvalue_text)),
        [
            "id",
            "kind",
            "actor",
            "start",
            "end",
            "score",
            "p_value",
            "n_statements",
            "n_strikes",
            "method",
        ],
    )
    new_sections = (
        "".join(_flag_section(store, fid) for fid in new["id"])
        or "<p class=empty>No new flags in this run.</p>"
    )
    coupling_html = (
        f"<ul class=coupling>{coupling}</ul>"
        if coupling
        else "<p class=empty>no coupling test stored (v3 not run)</p>"
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy"
 content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>detector run {run["id"]} report</title>
<style>
body {{ font: 14px/1.4 system-ui, sans-serif; margin: 1.5em auto; max-width: 1100px; color: #222; }}
table {{ border-collapse: collapse; margin: .5em 0 1em; font-size: 13px; }}
th, td {{ border: 1px solid #ccc; padding: 2px 6px; text-align: left; vertical-align: top; }}
thead th {{ background: #f0f0f0; }} .empty {{ color: #777; }} code {{ font-size: 12px; }}
section.flag {{ border-left: 4px solid #f28e2b; padding-left: 1em; margin: 1em 0; }}
figure img {{ max-width: 100%; }} .errors {{ color: #a00; }}
</style></head><body>
<h1>detector run {run["id"]}: {escape(str(run["status"]))}</h1>
<h2>New flags ({len(new)})</h2>
{new_sections}
<h2>Timeline</h2>
{"".join(plots) or "<p class=empty>no R/A series in the database</p>"}
<h2>All flags ({len(all_flags)})</h2>
{flag_list}
<h2>Coupling: strikes in claim periods vs other periods (contradiction.v3)</h2>
{coupling_html}
<h2>Run statistics</h2>
<table>{stat_rows}</table>
{f"<h2>Errors</h2><ul class=errors>{errors}</ul>" if errors else ""}
</body></html>
"""


def write_run_report(
    store: Source, reports_dir: str | os.PathLike, run_id: int | None = None
) -> Path:
    """Write ``run-<id>.html`` into ``reports_dir`` (created if missing); returns its path."""
    html = render_run_report(store, run_id)
    run = run_id if run_id is not None else run_info(store)["id"]
    folder = Path(reports_dir).expanduser()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(
            f"--reports {reports_dir}: cannot write the run report "
            f"({exc.strerror or exc}); give a writable folder or --no-report"
        ) from exc
    return write_atomic(
        folder / f"run-{run:04d}.html",
        lambda tmp: tmp.write_text(html, encoding="utf-8"),
        option="--reports",
    )
