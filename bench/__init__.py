"""``python -m bench``: hotreload's performance budget, measured beside its peers.

Every row of DESIGN.md's "Performance budget" is measured for hotreload and,
on the same generated files with the same save code in the same run, for
jurigged (its watcher) and IPython's autoreload (its reload machinery), plus a
plain ``importlib.reload`` as the floor. Each tool runs in its own subprocess
per row (``bench.worker``), so no tool inherits another's heap or hooks.

Layout:

- ``corpus``: the module files every tool gets (deterministic, versioned);
- ``saves``: how editors, git and the manual rows write those files;
- ``tools``: one small adapter per tool, used inside the workers;
- ``live``, ``manual``, ``startup``: the rows (``worker`` runs the first two);
- ``runner``: spawns the workers; ``table``: the budget, the table, RESULTS.md.

Benchmarks assert nothing: they measure and print.
"""
