"""Client lead routes: ingest and read, scoped by client_domain."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
