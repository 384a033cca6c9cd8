"""A worker collects less often while it runs, and puts the collector back when it stops."""

from __future__ import annotations

import gc
from typing import Any

from workers import runtime


def test_the_collector_is_tuned_while_the_worker_runs_and_restored_after() -> None:
    before = gc.get_threshold()
    tuning = runtime.TunedGc()
    broker: Any = None
    worker: Any = None

    tuning.after_worker_boot(broker, worker)
    try:
        assert gc.get_threshold() == runtime.GC_THRESHOLDS
        assert gc.get_freeze_count() > 0
    finally:
        tuning.after_worker_shutdown(broker, worker)

    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
    tuning.after_worker_shutdown(broker, worker)  # a second stop changes nothing
    assert gc.get_threshold() == before
