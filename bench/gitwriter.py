"""``python -m bench.gitwriter ROOT``: rewrite the branch corpus from outside.

A branch switch is written by another process (git), not by the process
that reloads; writing from inside the measured process would make the writer
compete with the tool's own threads for the GIL. For each version number read
from stdin, this rewrites all modules the way git does and prints the
``time.monotonic()`` of the first and the last write (the same clock in every
process on Linux).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from bench import corpus
from bench.saves import save_git


def main(root: Path) -> None:
    for line in sys.stdin:
        version = int(line)
        files = [
            (root / f"{corpus.branch_name(i)}.py", corpus.branch_module(i, version))
            for i in range(corpus.BRANCH_SIZE)
        ]
        first = time.monotonic()
        for path, source in files:  # git writes in index (name) order
            save_git(path, source)
        print(first, time.monotonic(), flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
