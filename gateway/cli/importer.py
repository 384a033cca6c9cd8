"""Bulk import of historical payloads through a running service.

Each line of a JSONL file (or row of a CSV file) is one request body, exactly what Clay would
POST. Person profiles (the default route) go many lines at a time to `POST
/run/people/import` (`BatchSender`): each line is validated as the person-profile route
validates it, and each request is stored and run as one batch, the reprocess's path
(`workers.importer`), instead of three stage messages per line. Lines for any other route
are POSTed one by one to that route, so validation and de-duplication are the webhook
path's. Every line carries an idempotency key derived from the file name, the line number
and the line's content: a rerun, or a request retried after a lost answer, maps to the job
already accepted. A state file beside the input (`<file>.import-state.json`) remembers the
last line up to which everything was answered, so an interrupted import resumes there.
"""

from __future__ import annotations

import csv
import hashlib
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

#: The route a line goes to unless told otherwise.
PERSON_ROUTE = "/run/people/clay-native/person-profile/ingest"

#: Where person-profile lines go many at a time (`BatchSender`), and how many at most.
BATCH_ROUTE, MAX_LINES = "/run/people/import", 500

#: Bytes of bodies per batch request, under the service's default 2 MiB body limit.
BATCH_BYTES = 1_500_000

#: CSV cells holding JSON (objects or lists) that are decoded before sending.
JSON_COLUMNS = frozenset({"raw_payload"})

#: Tries of one line while the service is unavailable, and the first pause between them.
UNAVAILABLE_TRIES, FIRST_PAUSE_S = 6, 0.5


#: What happened to one line: a verdict and, for a rejected line, why.
Answer = tuple[str, str | None]


class ImportAborted(Exception):
    """Raised when the import cannot go on (bad key, service down); the state is saved."""


@dataclass
class Line:
    """One input line: its number and its body, or why it could not be read."""

    number: int
    body: dict[str, Any] | None
    raw: bytes
    error: str | None = None


@dataclass
class Tally:
    """What happened to the lines answered so far."""

    accepted: int = 0
    duplicate: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)

    @property
    def answered(self) -> int:
        return self.accepted + self.duplicate + len(self.rejected)


def read_lines(path: Path) -> Iterator[Line]:
    """The file's bodies: JSONL (one object a line) or CSV (`.csv`, a header row)."""
    if path.suffix.lower() == ".csv":
        yield from _csv_lines(path)
        return
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if raw.strip():
                yield _json_line(number, raw.strip())


def _json_line(number: int, raw: bytes) -> Line:
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as err:
        return Line(number, None, raw, f"not valid JSON: {err}")
    if not isinstance(body, dict):
        return Line(number, None, raw, "not a JSON object")
    return Line(number, body, raw)


def _csv_lines(path: Path) -> Iterator[Line]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            raw = orjson.dumps(row)
            body: dict[str, Any] = {k: v for k, v in row.items() if k and v not in (None, "")}
            try:
                for column in JSON_COLUMNS & body.keys():
                    body[column] = orjson.loads(body[column])
            except orjson.JSONDecodeError as err:
                yield Line(reader.line_num, None, raw, f"{column}: not valid JSON: {err}")
                continue
            yield Line(reader.line_num, body, raw)


def count_lines(path: Path) -> int:
    """How many bodies the file holds (for a progress bar; nothing is parsed)."""
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8-sig") as handle:
            return sum(1 for _ in csv.DictReader(handle))
    with path.open("rb") as handle:
        return sum(1 for raw in handle if raw.strip())


def idempotency_key(path: Path, line: Line) -> str:
    """The same file name, line number and content always give the same key."""
    digest = hashlib.sha256(f"{path.name}\0{line.number}\0".encode() + line.raw)
    return "import-" + digest.hexdigest()


class State:
    """Where an input file's import stands, kept beside it: resume point and every answer."""

    def __init__(self, path: Path) -> None:
        self.path = path.with_name(path.name + ".import-state.json")
        data = orjson.loads(self.path.read_bytes()) if self.path.exists() else {}
        self.done: int = int(data.get("done_through_line", 0))
        self.tally = Tally(
            accepted=int(data.get("accepted", 0)),
            duplicate=int(data.get("duplicate", 0)),
            rejected=[(int(n), str(e)) for n, e in data.get("rejected", [])],
        )

    def save(self, done: int) -> None:
        """Record that every line up to `done` was answered."""
        self.done = done
        data = {
            "done_through_line": done,
            "accepted": self.tally.accepted,
            "duplicate": self.tally.duplicate,
            "rejected": self.tally.rejected,
        }
        self.path.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2))

    def clear(self) -> None:
        """Start over: forget the resume point and the answers."""
        self.path.unlink(missing_ok=True)
        self.done = 0
        self.tally = Tally()


class Sender:
    """POSTs bodies to the service, waiting out rate limits and short outages."""

    def __init__(self, client: httpx.Client, route: str) -> None:
        self.client = client
        self.route = route

    def send(self, body: dict[str, Any], key: str) -> Answer:
        """('accepted' | 'duplicate' | 'rejected', error) for one body."""
        answer = self.post(body, headers={"Idempotency-Key": key})
        if answer.status_code == 202:
            return ("duplicate" if answer.json().get("duplicate") else "accepted"), None
        return "rejected", _error_text(answer)

    def post(self, body: Any, *, headers: dict[str, str] | None = None) -> httpx.Response:
        """The final answer to one request: a 202, or a rejection (400, 413, 415, 422).

        A 429 waits its `Retry-After` and does not count as a failure; network errors and
        5xx are tried `UNAVAILABLE_TRIES` times with growing pauses, then abort the import.
        """
        failures, pause = 0, FIRST_PAUSE_S
        while True:
            try:
                answer = self.client.post(self.route, json=body, headers=headers)
            except httpx.TransportError as err:
                problem = f"{type(err).__name__}: {err}"
            else:
                if _final(answer):
                    return answer
                wait = answer.headers.get("retry-after", "")
                if answer.status_code == 429:
                    time.sleep(float(wait) if wait.isdigit() else 1.0)
                    continue
                problem = f"HTTP {answer.status_code}: {_error_text(answer)}"
            failures += 1
            if failures >= UNAVAILABLE_TRIES:
                raise ImportAborted(f"the service is unavailable ({problem})")
            time.sleep(pause)
            pause *= 2


def _final(answer: httpx.Response) -> bool:
    """Whether an answer is final (else the request is retried); a refused key or a
    missing route aborts the import."""
    if answer.status_code in (202, 400, 413, 415, 422):
        return True
    if answer.status_code in (401, 403, 404, 405):
        raise ImportAborted(f"HTTP {answer.status_code}: {_error_text(answer)}")
    return False


def _error_text(answer: httpx.Response) -> str:
    try:
        error = answer.json()["error"]
    except (ValueError, KeyError, TypeError):
        return answer.text[:300] or f"HTTP {answer.status_code}"
    details = error.get("details") or []
    if len(details) > 1:
        return "; ".join(f"{d['field']}: {d['message']}" for d in details)
    return str(error.get("message", f"HTTP {answer.status_code}"))


class BatchSender:
    """POSTs person-profile lines many at a time to `BATCH_ROUTE`: each request is stored
    and run as one batch (the reprocess's path), each line keeps its own job and verdict.

    A request is at most `MAX_LINES` lines and about `max_bytes` of bodies (under the
    service's body limit); one answered 413 is split in halves and sent again.
    """

    def __init__(self, client: httpx.Client, *, max_bytes: int = BATCH_BYTES) -> None:
        self.client = client
        self.max_bytes = max_bytes
        self.one = Sender(client, BATCH_ROUTE)

    def group(self, lines: Iterator[Line]) -> Iterator[list[Line]]:
        """The lines in requests' worth: up to `MAX_LINES` and about `max_bytes` each."""
        group: list[Line] = []
        size = 0
        for line in lines:
            if group and (len(group) >= MAX_LINES or size + len(line.raw) > self.max_bytes):
                yield group
                group, size = [], 0
            group.append(line)
            size += len(line.raw)
        if group:
            yield group

    def send(self, path: Path, lines: list[Line]) -> list[Answer]:
        """Every line's answer, in order (unreadable lines are rejected without a request)."""
        readable = [line for line in lines if line.body is not None]
        answers = dict(self._send(path, readable)) if readable else {}
        return [answers.get(line.number, ("rejected", line.error)) for line in lines]

    def _send(self, path: Path, lines: list[Line]) -> list[tuple[int, Answer]]:
        items = [{"key": idempotency_key(path, line), "body": line.body} for line in lines]
        answer = self.one.post({"items": items})
        if answer.status_code == 413 and len(lines) > 1:
            half = len(lines) // 2
            return self._send(path, lines[:half]) + self._send(path, lines[half:])
        if answer.status_code != 202:  # the request as a whole: every line gets its reason
            return [(line.number, ("rejected", _error_text(answer))) for line in lines]
        verdicts = answer.json()["items"]
        return [
            (line.number, (v["status"], v.get("error")))
            for line, v in zip(lines, verdicts, strict=True)
        ]


def run(
    path: Path,
    sender: Sender | BatchSender,
    *,
    state: State,
    concurrency: int,
    progress: Callable[[int], None],
) -> Tally:
    """Send every line after the resume point; returns the tally of every run so far.

    Requests (one line each, or a batch of lines with a `BatchSender`) are sent
    `concurrency` at a time and answered in line order; the state file advances to the
    last line before which every line was answered, so a resume never skips an unanswered
    line.
    """
    lines = (line for line in read_lines(path) if line.number > state.done)
    groups = sender.group(lines) if isinstance(sender, BatchSender) else ([ln] for ln in lines)
    pending: deque[tuple[list[Line], Future[list[Answer]]]] = deque()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        try:
            for group in groups:
                pending.append((group, _submit(pool, sender, path, group)))
                if len(pending) >= concurrency * 4:
                    _settle(pending, state, progress, wait_for=1)
            _settle(pending, state, progress, wait_for=len(pending))
        finally:
            for _, future in pending:
                future.cancel()
    return state.tally


def _submit(
    pool: ThreadPoolExecutor, sender: Sender | BatchSender, path: Path, group: list[Line]
) -> Future[list[Answer]]:
    if isinstance(sender, BatchSender):
        return pool.submit(sender.send, path, group)
    [line] = group
    if line.body is None:
        unreadable: Future[list[Answer]] = Future()
        unreadable.set_result([("rejected", line.error)])
        return unreadable
    return pool.submit(lambda: [sender.send(line.body or {}, idempotency_key(path, line))])


def _settle(
    pending: deque[tuple[list[Line], Future[list[Answer]]]],
    state: State,
    progress: Callable[[int], None],
    *,
    wait_for: int,
) -> None:
    """Collect answers in line order (at least `wait_for` requests) and save the state."""
    settled, tally = 0, state.tally
    while pending and (settled < wait_for or pending[0][1].done()):
        group, future = pending[0]
        try:
            answers = future.result()
        except ImportAborted:
            state.save(group[0].number - 1)
            raise
        pending.popleft()
        for line, (verdict, error) in zip(group, answers, strict=True):
            if verdict == "rejected":
                tally.rejected.append((line.number, error or "rejected"))
            else:
                setattr(tally, verdict, getattr(tally, verdict) + 1)
            state.done = line.number
        progress(len(group))
        settled += 1
    if settled:
        state.save(state.done)
