"""The run lock on real files and processes: re-entrant in its own process, exclusive across
processes, and patient for a moment (the daemon's repair sensor holds it briefly each minute)."""

from __future__ import annotations

import subprocess
import sys
import time

from ntm_pipeline.run import RunLock

HOLD = """
import sys, time
from pathlib import Path
from ntm_pipeline.run import RunLock
lock = RunLock(Path(sys.argv[1]))
assert lock.acquire()
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


def hold_in_another_process(path, seconds: float) -> subprocess.Popen:
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(path), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_the_lock_is_exclusive_across_processes_and_patient_for_a_moment(tmp_path):
    path = tmp_path / "ntm.duckdb.run.lock"
    holder = hold_in_another_process(path, 1.5)
    lock = RunLock(path)
    started = time.monotonic()
    assert not lock.acquire(patience=0.3)  # held elsewhere: refused after trying for 0.3 s
    assert 0.3 <= time.monotonic() - started < 1.5
    assert f"pid {holder.pid} on " in lock.holder()
    assert lock.acquire(patience=10)  # the other process lets go after 1.5 s
    assert time.monotonic() - started < 10
    holder.wait(10)
    lock.release()


TRY = """
import sys
from pathlib import Path
from ntm_pipeline.run import RunLock
print(RunLock(Path(sys.argv[1])).acquire())
"""


def taken_by_another_process(path) -> bool:
    return subprocess.run([sys.executable, "-c", TRY, str(path)], capture_output=True, text=True,
                          timeout=60, check=True).stdout.strip() == "True"


def test_the_lock_is_re_entrant_within_its_process(tmp_path):
    path = tmp_path / "ntm.duckdb.run.lock"
    outer, inner = RunLock(path), RunLock(path)
    assert outer.acquire() and not outer.reentered
    assert inner.acquire() and inner.reentered  # `ntm run` holds it; its run's resource takes it again
    inner.release()
    assert not taken_by_another_process(path)  # the outer holder still has it
    outer.release()
    assert taken_by_another_process(path)
