"""``python -m bench.worker SPEC``: run one row for one tool in a fresh process.

SPEC is a JSON object ``{"row": ..., "tool": ..., "root": ..., "params": {...}}``.
The result is printed as one JSON line after ``RESULT_MARK`` (anything the
tools print before it is ignored). A worker never asserts: a tool that fails
still yields a result, with its errors listed.
"""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import live, manual, realwork
from bench.tools import TOOLS, Tool

RESULT_MARK = "@@bench-result@@ "

Row = Callable[[Tool, Path, dict[str, Any]], dict[str, Any]]
ROWS: dict[str, Row] = {
    "latency": live.latency,
    "busy": live.busy,
    "idle": live.idle,
    "branch": live.branch,
    "checkout": live.branch,  # the same switch at 3,000 files
    "heap": manual.heap,
    "session": manual.session,
    "slowimport": realwork.slowimport,
    "models": realwork.models,
}


def main(argv: list[str]) -> int:
    spec = json.loads(argv[0])
    tool = TOOLS[spec["tool"]]()
    try:
        result = ROWS[spec["row"]](tool, Path(spec["root"]), spec["params"])
    except Exception:
        result = {"crash": traceback.format_exc(limit=8)}
    result["errors"] = tool.errors[:5]
    result["error_count"] = len(tool.errors)
    result["info"] = tool.info
    print(RESULT_MARK + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
