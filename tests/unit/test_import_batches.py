"""`hq-ingest import`'s batch sender: lines grouped into requests, a 413 split in halves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import orjson

from gateway.cli import importer


def _lines(count: int) -> list[importer.Line]:
    bodies = [{"raw_payload": {"n": i, "pad": "x" * 100}} for i in range(count)]
    return [importer.Line(i + 1, b, orjson.dumps(b)) for i, b in enumerate(bodies)]


def _service(limit: int, seen: list[int]) -> httpx.Client:
    """A fake import route: 413 over `limit` bytes, else every line accepted."""

    def answer(request: httpx.Request) -> httpx.Response:
        if len(request.content) > limit:
            return httpx.Response(413, json={"error": {"message": "too large"}})
        items: list[dict[str, Any]] = orjson.loads(request.content)["items"]
        seen.append(len(items))
        verdicts = [{"status": "accepted", "job_id": item["key"]} for item in items]
        return httpx.Response(202, json={"job_id": "batch", "items": verdicts})

    return httpx.Client(base_url="http://svc", transport=httpx.MockTransport(answer))


def test_lines_are_grouped_by_count_and_bytes() -> None:
    lines = _lines(7)
    sender = importer.BatchSender(httpx.Client(), max_bytes=3 * len(lines[0].raw))
    assert [len(g) for g in sender.group(iter(lines))] == [3, 3, 1]
    many = importer.BatchSender(httpx.Client(), max_bytes=10**9)
    assert [len(g) for g in many.group(iter(_lines(1001)))] == [500, 500, 1]


def test_a_request_over_the_body_limit_is_split_until_it_fits(tmp_path: Path) -> None:
    seen: list[int] = []
    lines = _lines(8)
    one = len(orjson.dumps({"items": [{"key": "import-" + "0" * 64, "body": lines[0].body}]}))
    sender = importer.BatchSender(_service(3 * one, seen))
    unreadable = importer.Line(9, None, b"{", "not valid JSON")

    answers = sender.send(tmp_path / "f.jsonl", [*lines, unreadable])

    assert seen == [2, 2, 2, 2]  # 8 → 4 + 4 → 2 + 2 + 2 + 2
    assert [a[0] for a in answers] == ["accepted"] * 8 + ["rejected"]
    assert answers[-1] == ("rejected", "not valid JSON")


def test_a_single_line_over_the_limit_is_rejected_not_retried(tmp_path: Path) -> None:
    seen: list[int] = []
    sender = importer.BatchSender(_service(10, seen))
    [answer] = sender.send(tmp_path / "f.jsonl", _lines(1))
    assert answer == ("rejected", "too large")
    assert seen == []
