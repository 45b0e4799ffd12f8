"""``python -m hotreload``: the same as the ``hotreload`` command."""

from hotreload.cli import main

raise SystemExit(main())
