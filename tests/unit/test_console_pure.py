"""The console's pure parts: shape diagnosis, workflow health and the stopped rule."""

from __future__ import annotations

from datetime import UTC, datetime

from pipeline import diagnose, workflowhealth
from tests.conftest import load_fixture


def test_diagnosis_of_a_recognised_payload_names_its_markers() -> None:
    found = diagnose.diagnose_shape(load_fixture("payloads/pdl_a.json")["raw_payload"])
    assert found.detected == "pdl" and found.problem is None
    assert len(found.markers["pdl"]) >= 2 and found.markers["clay"] == []


def test_diagnosis_of_an_unknown_shape() -> None:
    raw = {"status": 200, "data": {"slug": "x", "full_name": "{{Name}}"}, "likelihood": 3}
    found = diagnose.diagnose_shape(raw)
    assert found.detected is None and found.wrapped
    assert found.markers["clay"] == ["slug"]
    assert found.keys_seen == ["full_name", "slug"]
    assert found.unresolved == [("$.data.full_name", "{{Name}}")]
    assert found.problem and "marker scores" in found.problem and "keys seen" not in found.problem


def test_diagnosis_of_a_body_that_is_not_an_object() -> None:
    found = diagnose.diagnose_shape(["{{Enrich Person}}"])
    assert found.problem == "the body is a list"
    assert found.unresolved == [("$[0]", "{{Enrich Person}}")]


def test_stopped_rule() -> None:
    assert workflowhealth.is_stopped(last_day=0, before=7)
    assert not workflowhealth.is_stopped(last_day=0, before=6)  # under one a day: not usual
    assert not workflowhealth.is_stopped(last_day=1, before=700)


def test_health_rows() -> None:
    at = datetime(2026, 12, 3, tzinfo=UTC)
    rows = workflowhealth.health(
        registered=[{"workflow_slug": "quiet", "provider": "clay"}, {"workflow_slug": "new"}],
        activity=[
            {"workflow": "busy", "last_day": 10, "before": 3, "succeeded": 8, "raw_only": 2},
            {"workflow": "quiet", "last_day": 0, "before": 20, "succeeded": 0, "raw_only": 0},
        ],
        last_success={"busy": at},
    )
    assert [r["workflow"] for r in rows] == ["quiet", "busy", "new"]
    quiet, busy, new = rows
    assert quiet["stopped"] and quiet["registered"] and quiet["extracted_share"] is None
    assert busy["extracted_share"] == 0.75 and not busy["registered"]
    assert busy["last_success"] == at and new["last_day"] == 0 and not new["stopped"]
