"""A short fixed-seed run of the differential fuzzer (``make fuzz`` runs 2,000).

The fuzzer runs in its own interpreter: it forks a live process per
sequence and a fresh one per version, which must not inherit this test
session's modules, threads or import hooks.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fuzz.gen import generate, probes_at, source
from fuzz.judge import normalize
from fuzz.run import canon

ROOT = Path(__file__).resolve().parent.parent


def test_generated_versions_are_reproducible_and_change():
    prog, plan = generate(12345)
    again, plan2 = generate(12345)
    assert [source(prog, v, "a") for v in range(len(prog.versions))] == [
        source(again, v, "a") for v in range(len(again.versions))
    ]
    assert plan == plan2
    for v in range(1, len(prog.versions)):
        assert any(source(prog, v, m) != source(prog, v - 1, m) for m in "ab")
    assert probes_at(prog, plan, 0)


def test_probe_values_are_plain_text():
    assert canon((1, "x", [True, None])) == "(1, 'x', [True, None])"
    assert canon((3,)) == "(3,)"
    assert canon(object()) == "<object>"
    assert normalize("H[0] is a.hook12") == "H[0] is a.hookN"


@pytest.mark.timeout(300)
def test_fixed_seed_slice_has_no_unexplained_divergence(tmp_path: Path):
    out = tmp_path / "fuzz.json"
    args = ["--seed", "7", "--sequences", "60", "--jobs", "1", "--minimize", "3"]
    proc = subprocess.run(
        [sys.executable, "-m", "fuzz", *args, "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    assert out.exists(), proc.stderr
    summary = json.loads(out.read_text())
    assert summary["sequences"] == 60
    assert summary["counts"].get("harness", 0) == 0, proc.stdout
    assert summary["failing"] == 0, proc.stdout[-12000:]
    assert proc.returncode == 0
