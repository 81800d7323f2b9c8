"""Export a queried table (flags, statements, strikes, series) to CSV, JSON or Parquet.

The rows are exactly what ``detector.query`` returns for the same filters. Dates are ISO strings
in CSV and JSON, date/timestamp (UTC) columns in Parquet; the flags' ``details`` (a JSON object)
is kept as an object in JSON and written as JSON text in CSV and Parquet.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from .errors import UsageError
from .outfile import write_atomic
from .query import WHAT, Filters, Source, page
from .textsafe import strict

FORMATS = ("csv", "json", "parquet")


def format_for(out: str | os.PathLike, fmt: str | None) -> str:
    """``fmt`` if given, else the one named by the file's suffix; CSV for ``-`` (stdout)."""
    if fmt:
        if fmt not in FORMATS:
            raise UsageError(f"format {fmt!r} is not supported; use one of {', '.join(FORMATS)}")
        return fmt
    if str(out) == "-":
        return "csv"
    suffix = Path(str(out)).suffix.lower().lstrip(".")
    if suffix in FORMATS:
        return suffix
    raise UsageError(
        f"--out {out}: cannot tell the format from the name; give --format {'|'.join(FORMATS)}"
    )


def jsonable(value):
    """A JSON-ready value: ISO dates, None for missing and for numbers that are not finite
    (strict JSON has no NaN or Infinity), plain Python numbers, at any depth."""
    if value is None or (not isinstance(value, (dict, list, tuple)) and value != value):
        return None  # NaN, NaT
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (dict, list, tuple)):
        return strict(
            {k: jsonable(v) for k, v in value.items()}
            if isinstance(value, dict)
            else [jsonable(v) for v in value]
        )
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        value = value.item()
    return strict(value)


def to_records(df: pd.DataFrame) -> list[dict]:
    """Rows as JSON-ready dicts: ISO dates, None for missing values."""
    cols = list(df.columns)
    return [
        {c: jsonable(v) for c, v in zip(cols, row)}
        for row in df.astype(object).itertuples(index=False, name=None)
    ]


def _flat(df: pd.DataFrame) -> pd.DataFrame:
    """Columns a CSV or Parquet file can hold: nested values as JSON text, datetimes typed."""
    df = df.copy()
    if "details" in df:
        df["details"] = df["details"].map(lambda d: None if d is None else json.dumps(d))
    for col in ("published_at", "start", "end"):
        if col in df and df[col].map(lambda v: isinstance(v, datetime)).any():
            df[col] = pd.to_datetime(df[col], utc=True)
    return df


def write_frame(df: pd.DataFrame, fmt: str, out: str | os.PathLike) -> None:
    """Write ``df`` to ``out`` (``-``: stdout, CSV and JSON only), replacing it atomically."""
    if str(out) == "-":
        if fmt == "parquet":
            raise UsageError("--out -: Parquet is binary; give a file name")
        sys.stdout.write(_render_text(df, fmt))
        return

    def write(tmp: Path) -> None:
        if fmt == "parquet":
            _flat(df).to_parquet(tmp, index=False)
        else:
            tmp.write_text(_render_text(df, fmt), encoding="utf-8")

    write_atomic(out, write)  # whole or not at all, never through a symlink


def _render_text(df: pd.DataFrame, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(to_records(df), ensure_ascii=False, indent=1, allow_nan=False) + "\n"
    flat = _flat(df)
    for col in flat.columns:  # ISO 8601 with offset, as in the JSON
        if isinstance(flat[col].dtype, pd.DatetimeTZDtype):
            flat[col] = flat[col].map(lambda t: None if pd.isna(t) else t.isoformat())
    return flat.to_csv(index=False)


def export(
    store: Source,
    what: str,
    out: str | os.PathLike,
    fmt: str | None = None,
    filters: Filters | None = None,
) -> int:
    """Write table ``what`` (filtered) to ``out``; returns the number of rows written."""
    if what not in WHAT:
        raise UsageError(f"--what {what!r}: use one of {', '.join(WHAT)}")
    fmt = format_for(out, fmt)
    df, _total = page(store, what, filters)
    write_frame(df, fmt, out)
    return len(df)
