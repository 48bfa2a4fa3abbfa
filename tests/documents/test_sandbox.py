"""The child-process sandbox under inspection and watermarking: every way a child can end
comes back as a distinct, catchable outcome, and the limits are really applied."""

from __future__ import annotations

import os
import resource
import time
from pathlib import Path

import pytest

from phonghop.documents import blob_path
from phonghop.documents._sandbox import (
    ProcessLimits,
    WorkerCrashed,
    WorkerFailed,
    WorkerOutOfMemory,
    WorkerTimeout,
    run_limited,
)
from phonghop.errors import InvalidInput

LIMITS = ProcessLimits(memory_bytes=512 << 20, cpu_seconds=2, wall_seconds=20)


def test_result_comes_back() -> None:
    assert run_limited(sorted, ([3, 1, 2],), LIMITS) == [1, 2, 3]


def test_limits_are_applied_in_the_child() -> None:
    assert run_limited(resource.getrlimit, (resource.RLIMIT_AS,), LIMITS) == (512 << 20, 512 << 20)
    assert run_limited(resource.getrlimit, (resource.RLIMIT_CORE,), LIMITS) == (0, 0)
    soft_cpu, _hard = run_limited(resource.getrlimit, (resource.RLIMIT_CPU,), LIMITS)
    assert soft_cpu == 2


def test_child_runs_in_another_process() -> None:
    assert run_limited(os.getpid, (), LIMITS) != os.getpid()


def test_domain_error_is_raised_again_with_its_code() -> None:
    # (Parameters surviving the trip are checked by the inspection tests.)
    with pytest.raises(InvalidInput) as raised:
        run_limited(blob_path, (Path("/nowhere"), "../etc/passwd"), LIMITS)
    assert raised.value.code == "document_id_invalid"


def test_abort_is_a_crash_not_a_dead_server() -> None:
    with pytest.raises(WorkerCrashed) as crashed:
        run_limited(os.abort, (), LIMITS)
    assert crashed.value.exitcode is not None and crashed.value.exitcode < 0


def test_exit_without_answer_is_a_crash() -> None:
    with pytest.raises(WorkerCrashed) as crashed:
        run_limited(os._exit, (3,), LIMITS)
    assert crashed.value.exitcode == 3


def test_allocation_past_the_ceiling_is_out_of_memory() -> None:
    with pytest.raises(WorkerOutOfMemory):
        run_limited(bytearray, (1 << 30,), LIMITS)


def test_hang_is_killed_at_the_wall_clock_limit() -> None:
    started = time.monotonic()
    with pytest.raises(WorkerTimeout):
        run_limited(time.sleep, (60,), ProcessLimits(wall_seconds=0.5))
    assert time.monotonic() - started < 5


def test_busy_loop_is_killed_at_the_cpu_limit() -> None:
    # The wall-clock limit is far away: only RLIMIT_CPU can stop this.
    with pytest.raises(WorkerTimeout):
        run_limited(sum, (range(10**12),), ProcessLimits(cpu_seconds=1, wall_seconds=60))


def test_unexpected_exception_is_reported() -> None:
    with pytest.raises(WorkerFailed, match="ValueError"):
        run_limited(int, ("not a number",), LIMITS)
