"""A directory that looks like a real project, for the command-line tests.

::

    proj/pyproject.toml          [tool.hotreload] exclude = ["build/*"]
    proj/app/                    the working directory of the tests
        adv/__init__.py          a package: the text adventure
        adv/game.py              class Player
        adv/npc.py
        play.py                  a script with no __main__ guard (a game loop)
        serve.py                 a script with a guard: a module
        setup.py, conftest.py    tools' files
        scripts/migrate.py       writes to "the database" when run
        tests/__init__.py, tests/test_game.py
        util.py
        my-file.py               no import can name it
        build/junk.py            excluded by the pyproject.toml above

Every file that must never run leaves a marker file in ``proj/`` when it
does, so a test can tell.
"""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

__all__ = ["MARKERS", "make_project", "subprocess_env"]

REPO = Path(__file__).resolve().parent.parent

#: Marker files that appear in ``proj/`` when a file that must not run runs.
MARKERS = ("PLAYED", "SETUP_RAN", "CONFTEST_RAN", "MIGRATED", "JUNK_RAN")


def _marker(name: str) -> str:
    return f"open(PROJ_DIR + {'/' + name!r}, 'w').close()"


FILES = {
    "adv/__init__.py": '"""A text adventure."""\nfrom adv.game import Player\n',
    "adv/game.py": """\
        class Player:
            def __init__(self, name):
                self.name = name

            def look(self):
                return f"{self.name} sees a room"
        """,
    "adv/npc.py": "def talk():\n    return 'hello, traveller'\n",
    "play.py": f"""\
        from adv import Player
        {_marker("PLAYED")}
        player = Player("Ada")
        while True:
            print(player.look(), input("> "))
        """,
    "serve.py": """\
        import sys

        def handle(request):
            return request.upper()

        if __name__ == "__main__":
            for line in sys.stdin:
                print(handle(line))
        """,
    "setup.py": f"""\
        import sys
        {_marker("SETUP_RAN")}
        if len(sys.argv) < 2:
            raise SystemExit("usage:\\n  setup.py COMMAND")
        """,
    "conftest.py": f"{_marker('CONFTEST_RAN')}\n",
    "scripts/migrate.py": f"{_marker('MIGRATED')}\n",
    "tests/__init__.py": "",
    "tests/test_game.py": """\
        from adv import Player

        def test_look():
            assert "room" in Player("x").look()
        """,
    "util.py": "def double(x):\n    return 2 * x\n",
    "my-file.py": "X = 1\n",
    "build/junk.py": f"{_marker('JUNK_RAN')}\nraise RuntimeError('excluded')\n",
}


def make_project(tmp_path: Path) -> Path:
    """Create the project; return ``proj/app``, the working directory."""
    proj = tmp_path / "proj"
    app = proj / "app"
    for rel, text in FILES.items():
        path = app / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).replace("PROJ_DIR", repr(str(proj))))
    (proj / "pyproject.toml").write_text(
        '[project]\nname = "adventure"\n\n[tool.hotreload]\nexclude = ["build/*"]\n'
    )
    return app


def subprocess_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a child ``hotreload``: this interpreter, no repo path.

    ``PYTHONPATH`` is left out on purpose: the installed environment alone
    must provide ``hotreload`` (and only it).
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(
        HOME=str(tmp_path / "home"),
        XDG_STATE_HOME=str(tmp_path / "state"),
        TERM="xterm",
        PROMPT_TOOLKIT_NO_CPR="1",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
    )
    return env
