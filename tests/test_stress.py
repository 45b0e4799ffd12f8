"""A short, fixed-seed slice of ``make stress``, run in its own process.

The full run (``make stress``: 10,000 saves, a 3,000-file checkout) is too
long for the suite; this slice goes through the same phases in a few
seconds, with a hard limit on the process so that a hang fails the test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.timeout(120)
def test_a_stress_slice_loses_nothing_doubles_nothing_and_never_hangs() -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-m", "bench.stress", "--saves", "400", "--checkout",
         "300", "--seed", "7", "--json"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=100,
    )  # fmt: skip
    assert done.stdout.strip(), done.stderr[-2000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    report = done.stdout
    assert figures["lost"] == 0, report
    assert figures["doubled"] == 0, report
    assert figures["out_of_order"] == 0, report
    assert figures["hangs"] == [], report
    assert figures["crashes"] == [], report
    assert figures["caller_errors"] == 0, report
    assert all(v.startswith("ok") for v in figures["bad_input"].values()), report
    assert figures["after"]["threads"] <= figures["before"]["threads"], report
    assert figures["after"]["fds"] <= figures["before"]["fds"], report
    assert done.returncode == 0, report
