"""Build the demo's Air Force-schema strike file from the real dataset, as daily aggregates.

    python pipelines/demo/build_demo_strikes.py [--real ../shared/data/real/massive-missile-attacks]

The figures are facts (launched and destroyed per day and weapon class, Kyiv dates of the attack
window's start); no row or text of the real file is copied. Output:
detector/demo_data/airforce_daily.csv, 2025-10-01 .. 2026-02-28.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
COLUMNS = ["time_start", "time_end", "model", "launch_place", "target", "target_main", "launched",
           "destroyed", "not_reach_goal", "still_attacking", "border_crossing", "is_shahed",
           "num_hit_location", "num_fall_fragment_location", "carrier", "turbojet",
           "turbojet_destroyed", "affected region", "destroyed_details", "launched_details",
           "launch_place_details", "source"]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--real", default=str(ROOT.parent / "shared" / "data" / "real" / "massive-missile-attacks"))
    ap.add_argument("--out", default=str(ROOT / "detector" / "demo_data" / "airforce_daily.csv"))
    args = ap.parse_args()
    real = Path(args.real)
    daily = pd.read_csv(real / "missile_attacks_daily.csv")
    kinds = pd.read_csv(real / "missiles_and_uavs.csv")
    category = dict(zip(kinds["model"], kinds["category"]))
    daily["day"] = daily["time_start"].str[:10]
    daily = daily[(daily["day"] >= "2025-10-01") & (daily["day"] <= "2026-02-28")]
    # A bundled or unknown model with "UAV"/"Shahed" in its name is a drone; the rest missiles.
    def weapon_class(model: str) -> str:
        cat = category.get(model)
        if cat is None:
            cat = "UAV" if any(w in str(model) for w in ("UAV", "Shahed", "Gerbera", "drone")) else "missile"
        return "drones (all types)" if cat == "UAV" else "missiles (all types)"
    daily["model_class"] = daily["model"].map(weapon_class)
    agg = (daily.groupby(["day", "model_class"])[["launched", "destroyed"]].sum(min_count=1)
           .reset_index().sort_values(["day", "model_class"]))
    out = Path(args.out)
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(COLUMNS)
        for r in agg.itertuples():
            if pd.isna(r.launched):
                continue
            day = pd.Timestamp(r.day)
            row = {c: "" for c in COLUMNS}
            row.update(time_start=f"{r.day} 18:00",
                       time_end=(day + pd.Timedelta(days=1)).strftime("%Y-%m-%d") + " 09:00",
                       model=r.model_class, target="Ukraine", launched=f"{r.launched:.1f}",
                       destroyed="" if pd.isna(r.destroyed) else f"{r.destroyed:.1f}",
                       source="daily total aggregated by detector from Ukrainian Air Force reports")
            w.writerow([row[c] for c in COLUMNS])
    print(f"wrote {len(agg)} daily rows to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
