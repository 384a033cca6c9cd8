"""Reference routes: job-title and location lookups, updates and backfills."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
