"""contradiction.v3 on the real case through ``detector run``: TASS headlines, MFA Telegram and
the Air Force reports (pipelines/real_data.toml, its [scoring]: v3, deeds in Kyiv days).

One database per module, built by the CLI from a config holding those sources of
pipelines/real_data.toml (paths pointed at ../shared/data/real; nothing copied into the
project). Set DETECTOR_REAL_V3_DB to a database path to keep (or reuse) it. Prints the run time,
the flagged RUS weeks and the coupling line (pytest -s).
"""

import dataclasses
from pathlib import Path

import pandas as pd
import pytest
from conftest import REAL_RUN_SOURCES

from detector.cli import main
from detector.query import coupling_frame, flags_frame, strikes_frame
from detector.store.store import Store

pytestmark = [pytest.mark.realdata, pytest.mark.slow, pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[2]
REAL = ROOT.parent / "shared" / "data" / "real"
SPAN = (pd.Timestamp("2025-10-06"), pd.Timestamp("2026-02-23"))  # week starts, inclusive


@pytest.fixture(scope="module")
def real_v3(real_run_db):
    url, seconds, _ = real_run_db
    print(f"\nreal run: {seconds:.1f} s (detector run, {', '.join(REAL_RUN_SOURCES)})")
    return url, seconds


def test_real_v3_flags_weeks_and_energy_strikes(real_v3, real_run_db, capsys):
    url, _ = real_v3
    with Store.open_readonly(url) as store:
        flags = flags_frame(store, actor="RUS", kind="contradiction")
        energy = strikes_frame(
            store,
            actor="RUS",
            since=SPAN[0].date(),
            until=(SPAN[1] + pd.Timedelta(days=6)).date(),
            target="energy",
        )
        coupling = coupling_frame(store, actor="RUS")
        counts = store.run_counts()
    assert set(flags["method"]) == {"contradiction.v3"}
    weeks = {pd.Timestamp(d) for d in flags["start"]}
    span_weeks = pd.date_range(SPAN[0], SPAN[1], freq="7D")
    flagged = sorted(w for w in weeks if SPAN[0] <= w <= SPAN[1])
    with capsys.disabled():
        print(
            f"RUS flagged weeks {SPAN[0].date()}..{SPAN[1].date()}: {len(flagged)} of "
            f"{len(span_weeks)}: {[str(w.date()) for w in flagged]}"
        )
        print(
            f"RUS energy strike events in the span: {len(energy)} "
            f"(origin {energy['origin'].value_counts().to_dict()}); deeds {counts.deeds}"
        )
        print(coupling.drop(columns=["run_id"]).round(3).to_string(index=False))
    assert pd.Timestamp("2025-11-24") in weeks and pd.Timestamp("2026-02-02") in weeks
    assert len(flagged) <= len(span_weeks) / 3
    assert len(energy) > 0 and energy["sentence_texts"].map(len).gt(0).all()
    assert len(coupling) == 1
    # A second run adds nothing: no new documents, predictions, deeds or flags.
    assert main(["-q", "run", "--config", str(real_run_db[2]), "--db", url, "--no-report"]) == 0
    with Store.open_readonly(url) as store:
        again = store.run_counts()
        assert len(flags_frame(store, actor="RUS", kind="contradiction")) == len(flags)
    assert again.predictions_new == 0 and again.deeds.text_events_new == 0
    assert again.score.new_flags == 0
    assert again.deeds == dataclasses.replace(counts.deeds, text_events_new=0)
