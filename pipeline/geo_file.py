"""The container of ``pipeline/data/gazetteer.zlib``: a JSON header plus flat binary sections.

Uncompressed, the file is `MAGIC`, a 4-byte little-endian header length, the JSON header
(whose `sections` entry lists each section's name, type code and byte length), then every
section's bytes in that order. A section is a byte string (type code ``"s"``) or an
`array.array` of integers, stored little-endian. What the sections and the header mean is
`pipeline.geo_index`'s business (reading) and `pipeline.geo_build`'s (writing).
"""

from __future__ import annotations

import json
import sys
import zlib
from array import array
from importlib import resources
from typing import Any, TypeAlias

#: The data file inside ``pipeline/data``.
FILE_NAME = "gazetteer.zlib"
#: First bytes of the uncompressed file; bump the digit when the layout changes.
MAGIC = b"HQGAZ1\n"

#: A section: a byte string or an array of integers.
Section: TypeAlias = "bytes | array[int]"


def pack(header: dict[str, Any], sections: dict[str, Section]) -> bytes:
    """The uncompressed file; the header is written with sorted keys, so output is stable."""
    raw = {name: _little_endian(data) for name, data in sections.items()}
    listing = [[name, _typecode(data), len(raw[name])] for name, data in sections.items()]
    text = json.dumps(
        header | {"sections": listing}, ensure_ascii=False, sort_keys=True, separators=(",", ":")
    ).encode()
    return b"".join([MAGIC, len(text).to_bytes(4, "little"), text, *raw.values()])


def unpack(raw: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split an uncompressed file into its header and its sections (bytes or arrays)."""
    if not raw.startswith(MAGIC):
        raise ValueError("not a gazetteer file of this layout: rebuild it (pipeline.geo_build)")
    view = memoryview(raw)
    start = len(MAGIC) + 4
    end = start + int.from_bytes(view[len(MAGIC) : start], "little")
    header: dict[str, Any] = json.loads(view[start:end].tobytes())
    sections: dict[str, Any] = {}
    for name, typecode, size in header.pop("sections"):
        chunk = view[end : end + size]
        sections[name] = chunk.tobytes() if typecode == "s" else _machine_order(typecode, chunk)
        end += size
    return header, sections


def compress(raw: bytes) -> bytes:
    """The file as committed: zlib keeps it to a few MB and inflates in ~50 ms (xz: ~0.3 s)."""
    return zlib.compress(raw, 9)


def shipped() -> bytes:
    """The uncompressed file shipped in ``pipeline/data``."""
    packed = resources.files("pipeline").joinpath("data", FILE_NAME).read_bytes()
    return zlib.decompress(packed)


def _typecode(data: Section) -> str:
    """The type code written for a section: "s" for a byte string."""
    return "s" if isinstance(data, bytes) else data.typecode


def _little_endian(data: Section) -> bytes:
    """A section's bytes as stored."""
    if isinstance(data, bytes):
        return data
    if sys.byteorder == "big":
        data = array(data.typecode, data)
        data.byteswap()
    return data.tobytes()


def _machine_order(typecode: str, chunk: memoryview) -> array[int]:
    """A stored integer section as an array in this machine's byte order."""
    values = array(typecode)
    values.frombytes(chunk)
    if sys.byteorder == "big":
        values.byteswap()
    return values
