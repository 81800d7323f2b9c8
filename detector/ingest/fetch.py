"""Getting a source's bytes: a local file, or HTTP(S) with conditional GET."""

from __future__ import annotations

import hashlib
import os
import stat
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from ..config import SourceConfig
from ..errors import FetchError
from .options import SourceOptions, options_of

MAX_BYTES = 50 * 1024 * 1024
USER_AGENT = "detector/0.1 (research feed reader)"


@dataclass(frozen=True)
class FetchResult:
    content: bytes | None  # None when the server answered 304 Not Modified
    raw_hash: str | None
    fetched_at: datetime
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.content is None


def _hash(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def fetch_source(
    src: SourceConfig,
    etag: str | None = None,
    last_modified: str | None = None,
    *,
    timeout: float | None = None,
    retries: int | None = None,
    client: httpx.Client | None = None,
) -> FetchResult:
    """Read a source's raw payload. Network and disk only: no parsing, no database."""
    now = datetime.now(UTC)
    options = options_of(src, SourceOptions)
    timeout = float(options.timeout if timeout is None else timeout)
    retries = int(options.retries if retries is None else retries)
    if src.path is not None:
        return _read_file(src, Path(src.path), now)
    url = src.url or ""
    if url.startswith("file://"):
        return _read_file(src, Path(url[len("file://") :]), now)
    return _fetch_http(src, url, etag, last_modified, timeout, retries, client, now)


def _read_file(src: SourceConfig, path: Path, now: datetime) -> FetchResult:
    """A regular file's bytes. Opened non-blocking and checked with fstat before reading, so a
    FIFO, a device or a folder is refused at once instead of hanging or reading forever."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError as exc:
        raise FetchError(
            src.name, f"file {path} does not exist; fix path = ... in the config"
        ) from exc
    except OSError as exc:
        raise FetchError(src.name, f"file {path} cannot be read ({exc.strerror})") from exc
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise FetchError(
                src.name,
                f"{path} is not a regular file (a folder, FIFO or device); "
                "give the path of a data file",
            )
        if st.st_size > MAX_BYTES:
            raise FetchError(src.name, f"file {path} is larger than {MAX_BYTES} bytes; split it")
        with os.fdopen(fd, "rb", closefd=False) as f:
            content = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise FetchError(src.name, f"file {path} cannot be read ({exc.strerror})") from exc
    finally:
        os.close(fd)
    if len(content) > MAX_BYTES:
        raise FetchError(src.name, f"file {path} is larger than {MAX_BYTES} bytes; split it")
    return FetchResult(content=content, raw_hash=_hash(content), fetched_at=now)


class _DeadlinePassed(httpx.TimeoutException):
    """The whole attempt took longer than its ``timeout`` (e.g. a body dripped byte by byte,
    each read well within the per-read timeout)."""


def _read_capped(
    src: SourceConfig, url: str, resp: httpx.Response, deadline: float | None = None
) -> bytes:
    """The (decompressed) body, refused as soon as it passes MAX_BYTES or ``deadline``
    (time.monotonic)."""
    chunks, size = [], 0
    for chunk in resp.iter_bytes():
        if deadline is not None and time.monotonic() > deadline:
            raise _DeadlinePassed(f"{url} took longer than the timeout")
        size += len(chunk)
        if size > MAX_BYTES:
            raise FetchError(src.name, f"{url} sent more than {MAX_BYTES} bytes; refusing it")
        chunks.append(chunk)
    return b"".join(chunks)


def _fetch_http(src, url, etag, last_modified, timeout, retries, client, now) -> FetchResult:
    headers = {"User-Agent": USER_AGENT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    own = client is None
    client = client or httpx.Client(
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)), follow_redirects=True
    )
    try:
        last_exc: Exception | None = None
        for attempt in range(retries + 1):
            if attempt:
                time.sleep(min(2**attempt * 0.5, 8))
            # The timeout bounds each attempt as a whole, not only each read.
            deadline = time.monotonic() + timeout
            try:
                with client.stream("GET", url, headers=headers) as resp:
                    if resp.status_code == 304:
                        return FetchResult(
                            content=None,
                            raw_hash=None,
                            fetched_at=now,
                            etag=etag,
                            last_modified=last_modified,
                        )
                    if resp.status_code >= 500:
                        last_exc = FetchError(src.name, f"{url} answered HTTP {resp.status_code}")
                        continue
                    if resp.status_code >= 400:
                        raise FetchError(
                            src.name, f"{url} answered HTTP {resp.status_code}; check the URL"
                        )
                    content = _read_capped(src, url, resp, deadline)
                    return FetchResult(
                        content=content,
                        raw_hash=_hash(content),
                        fetched_at=now,
                        etag=resp.headers.get("ETag"),
                        last_modified=resp.headers.get("Last-Modified"),
                    )
            except httpx.TimeoutException as exc:
                last_exc = exc
                continue
            except httpx.HTTPError as exc:
                raise FetchError(
                    src.name,
                    f"cannot reach {url} ({exc.__class__.__name__}: {exc}); "
                    "check the URL and the network",
                ) from exc
        what = "timed out" if isinstance(last_exc, httpx.TimeoutException) else str(last_exc)
        raise FetchError(
            src.name, f"{url} failed after {retries + 1} tries ({what}); try again later"
        ) from last_exc
    finally:
        if own:
            client.close()
