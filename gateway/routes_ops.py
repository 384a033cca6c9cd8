"""Dead-letter routes: list, inspect and replay messages that will not be retried."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
