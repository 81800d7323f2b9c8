"""Export a queried table (flags, statements, strikes, series) to CSV, JSON or Parquet.

The rows are exactly what ``detector.query`` returns for the same filters. Dates are ISO strings
in CSV and JSON, date/timestamp (UTC) columns in Parquet; the flags' ``details`` (a JSON object)
is kept as an object in JSON and written as JSON text in CSV and Parquet.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from .errors import UsageError
from .query import WHAT, Filters, Source, page

FORMATS = ("csv", "json", "parquet")


def format_for(out: str | os.PathLike, fmt: str | None) -> str:
    """``fmt`` if given, else the one named by the file's suffix."""
    if fmt:
        if fmt not in FORMATS:
            raise UsageError(f"format {fmt!r} is not supported; use one of {', '.join(FORMATS)}")
        return fmt
    suffix = Path(str(out)).suffix.lower().lstrip(".")
    if suffix in FORMATS:
        return suffix
    raise UsageError(f"--out {out}: cannot tell the format from the name; "
                     f"give --format {'|'.join(FORMATS)}")


def jsonable(value):
    """A JSON-ready value: ISO dates, None for missing, plain Python numbers."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def to_records(df: pd.DataFrame) -> list[dict]:
    """Rows as JSON-ready dicts: ISO dates, None for missing values."""
    cols = list(df.columns)
    return [{c: jsonable(v) for c, v in zip(cols, row)}
            for row in df.astype(object).itertuples(index=False, name=None)]


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
    path = Path(out).expanduser()
    if not path.parent.is_dir():
        raise UsageError(f"--out {out}: folder {path.parent} does not exist; create it first")
    # Write beside the target and rename, so a failed export never leaves half a file.
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        if fmt == "parquet":
            _flat(df).to_parquet(tmp, index=False)
        else:
            Path(tmp).write_text(_render_text(df, fmt), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise UsageError(f"--out {out}: cannot write ({exc.strerror or exc})") from exc
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _render_text(df: pd.DataFrame, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(to_records(df), ensure_ascii=False, indent=1) + "\n"
    flat = _flat(df)
    for col in flat.columns:  # ISO 8601 with offset, as in the JSON
        if isinstance(flat[col].dtype, pd.DatetimeTZDtype):
            flat[col] = flat[col].map(lambda t: None if pd.isna(t) else t.isoformat())
    return flat.to_csv(index=False)


def export(store: Source, what: str, out: str | os.PathLike, fmt: str | None = None,
           filters: Filters | None = None) -> int:
    """Write table ``what`` (filtered) to ``out``; returns the number of rows written."""
    if what not in WHAT:
        raise UsageError(f"--what {what!r}: use one of {', '.join(WHAT)}")
    fmt = format_for(out, fmt)
    df, _total = page(store, what, filters)
    write_frame(df, fmt, out)
    return len(df)
