"""Latency of the read-only HTTP API: `/flags` under 50 concurrent requests over loopback.

    python pipelines/benchmarks/bench_serve.py [--db URL] [--requests 1000] [--concurrency 50]

Starts `detector serve` (uvicorn, one process) on a free loopback port over the demo database
(built into a temporary folder first unless --db is given), then fires the requests from an
httpx AsyncClient, at most --concurrency in flight, and prints the median and 95th-percentile
latency and the throughput. The server runs in its own process so that client and server do not
share one interpreter lock. Figures, not assertions: the machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if proc.poll() is not None:
            raise SystemExit(f"detector serve exited with {proc.returncode}")
        if time.monotonic() > deadline:
            raise SystemExit("detector serve did not start within 60 s")
        time.sleep(0.2)


async def fire(url: str, n: int, concurrency: int) -> tuple[list[float], float]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    sem = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        async def one() -> None:
            async with sem:
                t0 = time.perf_counter()
                r = await client.get(url)
                latencies.append(time.perf_counter() - t0)
                r.raise_for_status()

        await asyncio.gather(*(one() for _ in range(concurrency)))  # warm-up: open connections
        latencies.clear()
        t0 = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(n)))
        wall = time.perf_counter() - t0
    return latencies, wall


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default=None, help="database URL (default: a fresh demo database)")
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--concurrency", type=int, default=50)
    ap.add_argument("--path", default="/flags", help="endpoint to query (default /flags)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db
        if db is None:
            db = f"sqlite:///{Path(tmp) / 'demo.db'}"
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "detector", "-q", "demo", "--db", db,
                            "--no-report"], check=True, stdout=subprocess.DEVNULL)
            print(f"demo database built in {time.perf_counter() - t0:.1f}s")
        port = free_port()
        proc = subprocess.Popen([sys.executable, "-m", "detector", "-q", "serve", "--db", db,
                                 "--port", str(port)], stdout=subprocess.DEVNULL)
        try:
            url = f"http://127.0.0.1:{port}{args.path}"
            wait_ready(url, proc)
            total = httpx.get(url).json().get("total")
            lat, wall = asyncio.run(fire(url, args.requests, args.concurrency))
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    lat_ms = sorted(x * 1000 for x in lat)
    p95 = lat_ms[min(len(lat_ms) - 1, int(round(0.95 * len(lat_ms))) - 1)]
    print(f"GET {args.path} ({total} flags per answer): {len(lat_ms)} requests, "
          f"{args.concurrency} concurrent, over loopback to one uvicorn process")
    print(f"latency median {statistics.median(lat_ms):.1f} ms, p95 {p95:.1f} ms, "
          f"max {lat_ms[-1]:.1f} ms; throughput {len(lat_ms) / wall:.0f} requests/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
