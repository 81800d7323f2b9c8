"""docs/timeline_rus.png cannot go stale: pipelines/docs/make_figures.py regenerates it from the
demo database into a temp folder, and it must match the README's caption (the number of flagged
periods shaded is the number of flags in the demo database) and the committed image."""

import re
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.integration, pytest.mark.slow]  # the demo database


def test_timeline_figure_matches_readme_and_commit(shared_demo_db, tmp_path):
    from matplotlib.image import imread

    sys.path.insert(0, str(ROOT / "pipelines" / "docs"))
    try:
        import make_figures
    finally:
        sys.path.pop(0)
    drawn = make_figures.timeline_rus(shared_demo_db.url, tmp_path)
    assert drawn["path"] == tmp_path / "timeline_rus.png"
    assert drawn["shaded"] == drawn["flags"] > 0

    readme = (ROOT / "README.md").read_text()
    caption = re.search(
        r"!\[[^\]]*\]\(docs/timeline_rus\.png\)\s*\n\s*\n\*(.+?)\*\n\n", readme, re.S
    )
    assert caption, "the README shows docs/timeline_rus.png with a caption under it"
    claimed = re.search(r"(\d+) flagged weeks? shaded", caption.group(1))
    assert claimed and int(claimed.group(1)) == drawn["flags"], (
        "regenerate: python pipelines/docs/make_figures.py, and fix the caption"
    )

    new, old = imread(drawn["path"]), imread(ROOT / "docs" / "timeline_rus.png")
    assert new.shape == old.shape
    # the same picture (a moved flag or bar changes far more than this; fonts a little)
    assert float(np.abs(new - old).mean()) < 0.002, (
        "docs/timeline_rus.png is stale: python pipelines/docs/make_figures.py"
    )
