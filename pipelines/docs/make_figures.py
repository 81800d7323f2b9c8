"""Regenerate the figures under docs/ from the demo database, so they cannot go stale.

    python pipelines/docs/make_figures.py [--db URL] [--out-dir docs]

Without --db the demo is built into a temporary folder first (``detector demo``, about a
minute). ``tests/integration/test_docs_figures.py`` regenerates the figure into a temp folder
and checks it against the README's caption and the committed image.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ACTOR = "RUS"


def timeline_rus(db_url: str, out_dir: str | Path) -> dict:
    """Write ``timeline_rus.png`` (``detector plot --actor RUS``) into ``out_dir``; returns what
    it drew: the path, the flags in the database for RUS and the flagged periods shaded."""
    from detector.plot import FLAG_COLOURS, plot_timeline, timeline_figure
    from detector.query import flags_frame
    from detector.store import Store

    out = Path(out_dir) / "timeline_rus.png"
    with Store.open_readonly(db_url) as store:
        path = plot_timeline(store, ACTOR, out)
        flags = flags_frame(store, actor=ACTOR)
        fig = timeline_figure(store, ACTOR)
    # The flag shading of the upper panel: one axvspan per flagged period.
    flag_colours = {_rgb(c) for c in FLAG_COLOURS.values()}
    shaded = sum(1 for p in fig.axes[0].patches if _rgb(p.get_facecolor()) in flag_colours)
    return {"path": path, "flags": len(flags), "shaded": shaded}


def _rgb(colour) -> tuple:
    from matplotlib.colors import to_rgb

    return tuple(round(v, 3) for v in to_rgb(colour))


def build_demo(folder: Path) -> str:
    from detector.cli import main

    url = f"sqlite:///{folder / 'demo.db'}"
    with contextlib.redirect_stdout(io.StringIO()):
        if main(["-q", "demo", "--db", url, "--no-report"]) != 0:
            raise SystemExit("detector demo failed")
    return url


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default=None, help="a demo database (default: build one)")
    ap.add_argument("--out-dir", default=str(ROOT / "docs"))
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or build_demo(Path(tmp))
        drawn = timeline_rus(url, args.out_dir)
    print(f"{drawn['path']}: {drawn['shaded']} flagged periods shaded ({drawn['flags']} flags)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
