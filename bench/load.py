"""HTTP load generators: a lean asyncio HTTP/1.1 client, and `wrk` when it is installed.

The asyncio client speaks just enough HTTP/1.1 (keep-alive, Content-Length bodies) to cost
far less per request than the server it loads; `check_loadgen` in `bench.accept` compares
it with `wrk` on the bare endpoint. `closed_loop` keeps N connections busy (throughput and
latency under load); `open_loop` sends at a fixed rate and times each request from when it
was due, so a slow answer is not hidden by the requests it delayed.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Builds the body of request number `seq` (each must be unique to dodge de-duplication).
BodyFn = Callable[[int], bytes]

#: Builds the path and body of request number `seq` (a body of None: a GET).
RequestFn = Callable[[int], tuple[str, bytes | None]]


@dataclass
class LoadResult:
    """What one load run saw."""

    seconds: float
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    tags: list[str] = field(default_factory=list)
    p50_ms: float | None = None
    p99_ms: float | None = None
    cpu_seconds: float | None = None

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    @property
    def errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if not 200 <= status < 300)

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile_ms(self, q: float, *, tag: str | None = None) -> float:
        """The q-quantile latency in ms (from wrk's own figures when wrk ran the load)."""
        if q == 0.5 and self.p50_ms is not None:
            return self.p50_ms
        if q == 0.99 and self.p99_ms is not None:
            return self.p99_ms
        values = self.latencies
        if tag is not None:
            values = [v for v, t in zip(values, self.tags, strict=True) if t == tag]
        ordered = sorted(values)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def request_bytes(path: str, headers: dict[str, str], body: bytes | None, *, port: int) -> bytes:
    """A complete HTTP/1.1 POST of `body`, or a GET when `body` is None."""
    if body is None:
        head = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    else:
        head = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
        head += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + (body or b"")


class Connection:
    """One keep-alive connection that sends a request and reads the status and body."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=2**20)
        return cls(reader, writer)

    async def send(self, raw: bytes) -> int:
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        match = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
        if match is None:
            raise RuntimeError(f"response without Content-Length: {head[:200]!r}")
        await self.reader.readexactly(int(match[1]))
        return status

    def close(self) -> None:
        self.writer.close()


async def _closed(
    port: int,
    path: str,
    headers: dict[str, str],
    body: BodyFn,
    connections: int,
    seconds: float,
    total: int | None,
) -> LoadResult:
    pool = [await Connection.open(port) for _ in range(connections)]
    result = LoadResult(seconds=seconds)
    seq = iter(range(total if total is not None else 1 << 62))
    start = time.perf_counter()
    stop = start + seconds

    async def run(conn: Connection) -> None:
        while (now := time.perf_counter()) < stop:
            number = next(seq, None)
            if number is None:
                return
            status = await conn.send(request_bytes(path, headers, body(number), port=port))
            result.latencies.append(time.perf_counter() - now)
            result.statuses[status] += 1

    await asyncio.gather(*(run(c) for c in pool))
    result.seconds = time.perf_counter() - start
    for conn in pool:
        conn.close()
    return result


async def _open(
    port: int, headers: dict[str, str], request: RequestFn, rate: float, seconds: float
) -> LoadResult:
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    opened: list[Connection] = []
    result = LoadResult(seconds=seconds)
    start = time.perf_counter()

    async def one(seq: int, due: float) -> None:
        conn = idle.get_nowait() if not idle.empty() else None
        if conn is None:
            conn = await Connection.open(port)
            opened.append(conn)
        path, body = request(seq)
        status = await conn.send(request_bytes(path, headers, body, port=port))
        result.latencies.append(time.perf_counter() - due)
        result.tags.append(path)
        result.statuses[status] += 1
        idle.put_nowait(conn)

    tasks = []
    for seq in range(int(rate * seconds)):
        due = start + seq / rate
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        tasks.append(asyncio.create_task(one(seq, due)))
    await asyncio.gather(*tasks)
    result.seconds = time.perf_counter() - start
    for conn in opened:
        conn.close()
    return result


def _run(coro: Coroutine[Any, Any, LoadResult]) -> LoadResult:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)


def closed_loop(
    port: int,
    path: str,
    *,
    headers: dict[str, str],
    body: BodyFn,
    connections: int,
    seconds: float,
    total: int | None = None,
) -> LoadResult:
    """Keep `connections` requests in flight for `seconds` (or until `total` were sent)."""
    return _run(_closed(port, path, headers, body, connections, seconds, total))


def open_loop(
    port: int, *, headers: dict[str, str], request: RequestFn, rate: float, seconds: float
) -> LoadResult:
    """Send `rate` requests per second for `seconds`, whatever the answers' pace."""
    return _run(_open(port, headers, request, rate, seconds))


# --- wrk ---------------------------------------------------------------------------------

#: Sends the bodies from the file given as the script's argument, each made unique by a
#: leading `clay_row_id` field (one wrk thread, so a counter is enough).
WRK_SCRIPT = """
local bodies, n, prefix = {}, 0, "wrk"
function init(args)
  prefix = args[2] or prefix
  for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
end
function request()
  n = n + 1
  local b = bodies[(n % #bodies) + 1]
  local body = '{"clay_row_id":"' .. prefix .. "-" .. n .. '",' .. string.sub(b, 2)
  return wrk.format("POST", nil, nil, body)
end
"""


def have_wrk() -> bool:
    """True when the `wrk` binary is on PATH."""
    return shutil.which("wrk") is not None


def wrk(
    port: int,
    path: str,
    *,
    headers: dict[str, str],
    bodies: list[bytes],
    connections: int,
    seconds: float,
    tag: str,
) -> LoadResult:
    """Run `wrk -t1 -c<connections> --latency` with a script cycling over `bodies`."""
    with tempfile.TemporaryDirectory(prefix="hq-bench-wrk-") as tmp:
        script, data = Path(tmp) / "bodies.lua", Path(tmp) / "bodies.jsonl"
        script.write_text(WRK_SCRIPT)
        data.write_bytes(b"\n".join(bodies) + b"\n")
        cmd = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency"]
        cmd += ["--timeout", "30s"]  # a slow answer is latency, not an error
        cmd += ["-s", str(script), "-H", "Content-Type: application/json"]
        for key, value in headers.items():
            cmd += ["-H", f"{key}: {value}"]
        cmd += [f"http://127.0.0.1:{port}{path}", "--", str(data), tag]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return parse_wrk(out)


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def parse_wrk(out: str) -> LoadResult:
    """Requests, duration, non-2xx count and p50/p99 from wrk's `--latency` report."""
    done = re.search(r"(\d+) requests in ([\d.]+)(ms|s|m)", out)
    if done is None:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    scale = {"ms": 0.001, "s": 1.0, "m": 60.0}[done[3]]
    requests, seconds = int(done[1]), float(done[2]) * scale
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = int(bad[1]) if bad else 0
    socket_errors = re.search(r"Socket errors: .*timeout (\d+)", out)
    result = LoadResult(seconds=seconds)
    result.statuses[202] = requests - errors
    if errors:
        result.statuses[599] = errors
    if socket_errors and int(socket_errors[1]):
        result.statuses[598] = int(socket_errors[1])
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, flags=re.M))
    result.p50_ms, result.p99_ms = _ms(percentiles["50"]), _ms(percentiles["99"])
    return result
