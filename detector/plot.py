"""The timeline plot: an actor's rhetoric (R) and action (A) series over time, flagged periods
shaded and declared commitments marked.

Drawn on a bare matplotlib ``Figure`` with the Agg canvas: no pyplot, so no global backend is
chosen at import and nothing needs a display.
"""

from __future__ import annotations

import io
import os
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from .errors import NotFoundError, UsageError
from .outfile import write_atomic
from .query import Source, commitments_frame, flags_frame, series_frame

FLAG_COLOURS = {"contradiction": "#f28e2b", "violation": "#b07aa1"}
R_COLOUR, A_COLOUR, COMMIT_COLOUR = "#4e79a7", "#e15759", "#59a14f"


def draw_timeline(
    series: pd.DataFrame,
    flags: pd.DataFrame,
    commitments: pd.DataFrame,
    actor: str,
    title: str | None = None,
):
    """A two-panel figure (R above, A below) for one actor's series rows (``series_frame``)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    s = series.sort_values("period_start")
    starts = pd.to_datetime(s["period_start"])
    ends = pd.to_datetime(s["period_end"]) + timedelta(days=1)  # period_end is inclusive
    width = (ends - starts).dt.days.clip(lower=1) * 0.9
    lo, hi = starts.min(), ends.max()

    fig = Figure(figsize=(10, 5.2), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    ax_r, ax_a = fig.subplots(2, 1, sharex=True)
    ax_r.bar(starts, s["rhetoric"], width=width, align="edge", color=R_COLOUR)
    ax_a.bar(starts, s["action"], width=width, align="edge", color=A_COLOUR)
    # What R and A are depends on the scorer: v3's are a share and a launch count.
    v3 = "method" in s and len(s) and str(s["method"].iloc[0]).startswith("contradiction.v3")
    ax_r.set_ylabel(
        "R: willingness\n(share of claims)" if v3 else "R: willingness\n(weighted statements)"
    )
    ax_a.set_ylabel("A: launched on\nenergy/civilian" if v3 else "A: strikes\n(weighted launches)")

    handles = [
        Patch(color=R_COLOUR, label="R (rhetoric)"),
        Patch(color=A_COLOUR, label="A (action)"),
    ]
    for kind, colour in FLAG_COLOURS.items():
        rows = flags[flags["kind"] == kind] if len(flags) else flags
        for f in rows.itertuples():
            x0, x1 = pd.Timestamp(f.start), pd.Timestamp(f.end) + timedelta(days=1)
            for ax in (ax_r, ax_a):
                ax.axvspan(x0, x1, color=colour, alpha=0.3, lw=0, zorder=0)
        if len(rows):
            handles.append(Patch(color=colour, alpha=0.3, label=f"{kind} flag"))
    shown = 0
    for c in commitments.itertuples() if len(commitments) else ():
        x0, x1 = pd.Timestamp(c.start), pd.Timestamp(c.end) + timedelta(days=1)
        if x1 < lo or x0 > hi:
            continue
        shown += 1
        for ax in (ax_r, ax_a):
            ax.axvspan(
                x0, x1, facecolor="none", edgecolor=COMMIT_COLOUR, hatch="//", lw=1.2, zorder=1
            )
        where = f" ({', '.join(c.places)})" if isinstance(c.places, list) and c.places else ""
        ax_r.annotate(
            f"commitment: {c.scope}{where}",
            (x0, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(2, -2),
            textcoords="offset points",
            va="top",
            fontsize=8,
            color=COMMIT_COLOUR,
        )
    if shown:
        handles.append(
            Patch(facecolor="none", edgecolor=COMMIT_COLOUR, hatch="//", label="commitment")
        )
    locator = AutoDateLocator()
    ax_a.xaxis.set_major_locator(locator)
    ax_a.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    ax_a.set_xlim(lo, hi)
    for ax in (ax_r, ax_a):
        ax.grid(axis="y", alpha=0.3)
        ax.spines[["top", "right"]].set_visible(False)
    ax_r.legend(
        handles=handles,
        loc="upper left",
        fontsize=8,
        ncols=len(handles),
        frameon=False,
        bbox_to_anchor=(0, 1.22),
    )
    method = s["method"].iloc[0] if "method" in s and len(s) else ""
    fig.suptitle(title or f"{actor}: rhetoric vs action per period ({method})", fontsize=11)
    return fig


def timeline_figure(
    store: Source, actor: str, since: date | None = None, until: date | None = None
):
    """The timeline of ``actor`` from the database; NotFoundError when it has no series."""
    if not actor:
        raise UsageError("give an actor code, e.g. --actor RUS")
    s = series_frame(store, actor=actor, since=since, until=until)
    if s.empty:
        known = sorted(set(series_frame(store)["actor"]))
        where = "" if not (since or until) else f" between {since or '...'} and {until or '...'}"
        raise NotFoundError(
            f"no R/A series for actor {actor.upper()!r}{where}; actors with a "
            f"series: {', '.join(known) or 'none (run detector run first)'}"
        )
    # One method per plot: the contradiction scorer's periods.
    s = s[s["method"] == s["method"].iloc[0]]
    fl = flags_frame(store, actor=actor, since=since, until=until)
    cm = commitments_frame(store, actor=actor, since=since, until=until)
    return draw_timeline(s, fl, cm, actor.upper())


def timeline_png(
    store: Source, actor: str, since: date | None = None, until: date | None = None, dpi: int = 100
) -> bytes:
    """The timeline as PNG bytes (for reports and notebooks)."""
    buf = io.BytesIO()
    timeline_figure(store, actor, since, until).savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


PLOT_FORMATS = ("png", "pdf", "svg")


def plot_format(out: str | os.PathLike) -> str:
    """The image format named by ``out``'s suffix (png, pdf or svg); UsageError otherwise."""
    suffix = Path(str(out)).suffix.lower().lstrip(".")
    if suffix not in PLOT_FORMATS:
        raise UsageError(
            f"--out {out}: cannot write a {suffix or 'suffix-less'} file; "
            f"name it .{', .'.join(PLOT_FORMATS)}"
        )
    return suffix


def plot_timeline(
    store: Source,
    actor: str,
    out: str | os.PathLike,
    since: date | None = None,
    until: date | None = None,
    dpi: int = 100,
) -> Path:
    """Write the timeline of ``actor`` to ``out`` in the format of its suffix (PNG, PDF or
    SVG); returns the path."""
    fmt = plot_format(out)  # before the query: a bad name costs nothing
    buf = io.BytesIO()
    timeline_figure(store, actor, since, until).savefig(buf, format=fmt, dpi=dpi)
    data = buf.getvalue()
    return write_atomic(out, lambda tmp: tmp.write_bytes(data))
