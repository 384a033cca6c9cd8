"""Dramatiq's message encoder on orjson: the same JSON as dramatiq's, several times faster.

Every message carries a webhook body of 8–30 KB, encoded by the gateway and decoded and
re-encoded at each hop, so the encoder is on the hot path of both. orjson writes the same
compact JSON as `dramatiq.JSONEncoder`, so messages sent by either decode with the other.
It refuses what plain JSON accepts in two corners (integers beyond 64 bits, non-string
keys), and it would read an integer beyond 64 bits back as a float: those few messages go
through the standard library both ways, so no value ever changes on the way.
"""

from __future__ import annotations

import json
import re
from typing import Any

import dramatiq
import orjson
from dramatiq.encoder import Encoder

#: A run of 19+ digits may be an integer orjson cannot read exactly (int64 has 19 digits).
_LONG_DIGITS = re.compile(rb"[0-9]{19}")


class OrjsonEncoder(Encoder):
    """`dramatiq.JSONEncoder`, with orjson doing the work."""

    def encode(self, data: Any) -> bytes:
        try:
            return orjson.dumps(data)
        except TypeError:  # > 64-bit integers, non-str keys: rare, stdlib handles them
            return json.dumps(data, separators=(",", ":")).encode("utf-8")

    def decode(self, data: bytes) -> Any:
        if _LONG_DIGITS.search(data):  # maybe a huge integer: exact, but slower
            return json.loads(data)
        return orjson.loads(data)


def install() -> None:
    """Make orjson dramatiq's encoder in this process (gateway and workers both call it)."""
    if not isinstance(dramatiq.get_encoder(), OrjsonEncoder):
        dramatiq.set_encoder(OrjsonEncoder())
