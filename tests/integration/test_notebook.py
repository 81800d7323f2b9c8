"""notebooks/explore_scores.ipynb runs top to bottom on the demo database (so it cannot rot),
named the way a user names it ($DETECTOR_DB_URL), and its figures are the CLI's.

The kernel is this interpreter (a kernel spec written to tmp_path), not whatever `python3`
kernel the machine has registered, so it works from a clean clone with only the venv.
"""

import json
import sys
from pathlib import Path

import nbformat
import pytest

from detector.nlp.classifier import DEFAULT_MODEL_VERSION
from detector.query import flags_frame
from detector.store.db import open_database

pytestmark = pytest.mark.integration

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "explore_scores.ipynb"


def test_committed_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)


@pytest.mark.slow  # a Jupyter kernel on the demo database
def test_notebook_executes(shared_demo_db, tmp_path, monkeypatch):
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    spec = tmp_path / "kernels" / "detector-tests"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "detector tests",
                "language": "python",
            }
        )
    )
    ksm = KernelSpecManager(kernel_dirs=[str(tmp_path / "kernels")])
    km = KernelManager(kernel_name="detector-tests", kernel_spec_manager=ksm)
    monkeypatch.setenv("DETECTOR_DB_URL", shared_demo_db.url)
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel's inline backend draws

    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        nb, km=km, timeout=180, resources={"metadata": {"path": str(tmp_path)}}
    ).execute()

    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "\n".join(
        o.get("text", "") if o.output_type == "stream" else o.get("data", {}).get("text/plain", "")
        for o in outputs
    )
    assert f"{shared_demo_db.url}: run 1 (ok), model {DEFAULT_MODEL_VERSION}" in text
    engine = open_database(shared_demo_db.url)
    top = flags_frame(engine).sort_values("score", ascending=False).iloc[0]
    engine.dispose()
    # the flag walked is the strongest, explained as `detector show` does
    assert (
        f"flag {top['id']}: {top['kind']} by {top['actor']}, {top['start']} .. {top['end']}" in text
    )
    assert "flags table matches detector flags --format json: True" in text
    assert f"episode {top['details']['episode_id']}: " in text
    assert f"coupling {top['actor']} (" in text
    pngs = [o["data"]["image/png"] for o in outputs if "image/png" in o.get("data", {})]
    assert len(pngs) == 2  # the R/A timeline and the two actors' weekly willingness R


def test_opens_the_readme_demo_database_by_default():
    """No database of its own in a temp folder: DB_URL, else $DETECTOR_DB_URL, else detector.db."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    source = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert nb.cells[1].source.startswith("DB_URL = None")
    assert "Settings.from_env(db_url=DB_URL)" in source and "open_readonly" in source
    assert "tempfile" not in source and "run_pipeline" not in source
