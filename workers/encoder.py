"""Dramatiq's message encoder on orjson: the same JSON as dramatiq's, several times faster.

Every message carries a webhook body of 8–30 KB, encoded by the gateway and decoded and
re-encoded at each hop, so the encoder is on the hot path of both. `pipeline.jsoncodec`
writes the same compact JSON as `dramatiq.JSONEncoder` (and falls back to the standard
library where orjson would refuse or round a value), so messages sent by either decode
with the other.
"""

from __future__ import annotations

from typing import Any

import dramatiq
from dramatiq.encoder import Encoder

from pipeline import jsoncodec


class OrjsonEncoder(Encoder):
    """`dramatiq.JSONEncoder`, with orjson doing the work."""

    def encode(self, data: Any) -> bytes:
        return jsoncodec.dumps(data)

    def decode(self, data: bytes) -> Any:
        return jsoncodec.loads(data)


def install() -> None:
    """Make orjson dramatiq's encoder in this process (gateway and workers both call it)."""
    if not isinstance(dramatiq.get_encoder(), OrjsonEncoder):
        dramatiq.set_encoder(OrjsonEncoder())
