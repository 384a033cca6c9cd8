"""Read routes beyond people: companies, workflows, enrichment status."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
