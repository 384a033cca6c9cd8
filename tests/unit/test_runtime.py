"""The gateway's collector tuning is on while an app serves and undone when the last stops."""

from __future__ import annotations

import gc

from gateway import runtime


def test_thresholds_and_freeze_last_as_long_as_any_app_serves() -> None:
    before = gc.get_threshold()
    first, second = runtime.tuned_gc(), runtime.tuned_gc()
    first.__enter__()
    assert gc.get_threshold() == runtime.GC_THRESHOLDS
    assert gc.get_freeze_count() > 0
    second.__enter__()
    first.__exit__(None, None, None)  # apps may stop in any order
    assert gc.get_threshold() == runtime.GC_THRESHOLDS
    second.__exit__(None, None, None)
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
