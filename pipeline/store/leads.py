"""SQL for client leads: raw lead payloads, `client.leads`, people and companies per client."""

from __future__ import annotations
