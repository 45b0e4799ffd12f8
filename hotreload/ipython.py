"""``%load_ext hotreload``: the ``%hotreload`` magic for IPython and Jupyter.

The same `Reloader` as everywhere else, with the shell's user namespace
tracked, so ``from m import f`` typed in a cell follows edits of ``m``.

- In a terminal IPython reloads apply as files are saved, on the watcher's
  thread (a loop running in a cell picks up the new code), and each report
  line goes through prompt-toolkit's `StdoutProxy`: above the prompt, which
  is drawn again below it, or straight out while a cell runs.
- In a kernel (ipykernel) or any other shell without a terminal prompt,
  changes queue (``apply="manual"``) and are applied from the shell's
  ``pre_run_cell`` event, before the cell's code runs: a safe point, never in
  the middle of a running cell. The cell's output starts with one line per
  reload.

IPython's own ``%autoreload`` would reload the same modules a second, cruder
way: it is turned off, with a message, when found on.

``import hotreload`` never imports this module; ``load_ipython_extension`` in
``hotreload/__init__.py`` does, when IPython asks for it.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, Final, Literal

from hotreload.commands import cmd_errors, cmd_history, cmd_status, event_line
from hotreload.errors import ReloadError
from hotreload.events import ReloadEvent, error_text
from hotreload.reloader import Reloader

__all__ = [
    "HELP",
    "USAGE",
    "HotreloadMagic",
    "active_reloader",
    "detect_mode",
    "load",
    "unload",
]

Mode = Literal["terminal", "kernel"]

USAGE: Final = (
    "usage: %hotreload [watch [PATH ...] | errors [NAME] | history [N]"
    " | pause | resume | off]"
)

HELP: Final = f"""Reload edited modules in place (hotreload).

{USAGE}

  %hotreload                   roots, watcher backend, paused or not, changes
                               not applied yet
  %hotreload watch [PATH ...]  watch these roots (default: the working
                               directory); a second watch replaces them
  %hotreload errors [NAME]     the full traceback of the last failure (of NAME)
  %hotreload history [N]       the last N reloads (default 20)
  %hotreload pause             hold reloads; changes queue up
  %hotreload resume            apply what was held, reported here
  %hotreload off               stop watching; imported modules stay and work

In a terminal, reloads apply as files are saved and are reported above the
prompt; in a kernel, they apply before each cell runs, whose output starts
with one line per reload.
"""

#: How long ``pre_run_cell`` waits for changes the watcher is still settling.
SETTLE_TIMEOUT: Final = 1.0

_EXTENSIONS: dict[int, HotreloadMagic] = {}  # id(shell) -> its extension


def detect_mode(shell: Any) -> Mode:
    """``"kernel"`` for ipykernel (and any shell without a terminal prompt).

    A terminal IPython has a prompt-toolkit session (``pt_app``) and reports
    above its prompt; anything else shows output per cell.
    """
    if any(cls.__module__.startswith("ipykernel") for cls in type(shell).__mro__):
        return "kernel"
    return "terminal" if getattr(shell, "pt_app", None) is not None else "kernel"


def active_reloader(shell: Any = None) -> Reloader | None:
    """The `Reloader` that ``%hotreload watch`` started in ``shell``, if any.

    Args:
        shell: an IPython shell; by default the running one.
    """
    if shell is None:
        from IPython import get_ipython

        shell = get_ipython()
    ext = _EXTENSIONS.get(id(shell))
    return None if ext is None else ext.reloader


class HotreloadMagic:
    """The ``%hotreload`` line magic and the reloader it drives in one shell."""

    def __init__(self, shell: Any, mode: Mode | None = None) -> None:
        self.shell = shell
        self.mode: Mode = mode or detect_mode(shell)
        self.reloader: Reloader | None = None
        self._stop: list[Callable[[], None]] = []  # untrack, unsubscribe
        self._lock = threading.Lock()
        self._held: list[ReloadEvent] = []  # reported at the next safe point
        # Kernel: the file identity of each loaded module as last applied.
        self._seen: dict[Path, tuple[int, ...]] = {}
        self._failed: dict[str, str] = {}  # module -> its failure last reported
        self._collecting = 0  # inside a magic: report in its own output
        self._proxy: Any = None
        if self.mode == "terminal":
            # Imported here: a kernel has no prompt to print above.
            from prompt_toolkit.patch_stdout import StdoutProxy

            self._proxy = StdoutProxy(raw=True, sleep_between_writes=0.02)

    # -- the magic -----------------------------------------------------------

    def __call__(self, line: str = "") -> None:
        """Run ``%hotreload LINE`` and print what it says."""
        self.check_autoreload()
        name, *args = line.split() or [""]
        with self._collect():
            text = self._run(name.lower(), args)
            lines = self._take_held()
        _say("\n".join([*lines, text] if text else lines))

    def _run(self, name: str, args: list[str]) -> str:
        if name == "watch":
            return self.watch(args)
        if name in ("help", "-h", "--help"):
            return HELP.rstrip()
        reloader = self.reloader
        if reloader is None:
            if name in ("", "off", "errors", "history", "pause", "resume", "status"):
                return "hotreload: not watching; %hotreload watch [PATH ...] starts"
            return f"unknown sub-command {name!r}\n{USAGE}"
        if name in ("", "status"):
            return self._status(reloader)
        if name == "errors":
            return cmd_errors(reloader, args)
        if name == "history":
            return cmd_history(reloader, args)
        if name == "pause":
            if reloader.is_paused:
                return "reloads are already paused; %hotreload resume applies them"
            reloader.pause()
            return "reloads paused; changes queue until %hotreload resume"
        if name == "resume":
            return self._resume(reloader)
        if name == "off":
            roots = _roots(reloader)
            self.stop()
            return f"hotreload: stopped watching {roots}; imported modules stay"
        return f"unknown sub-command {name!r}\n{USAGE}"

    def watch(self, paths: list[str]) -> str:
        """Start watching ``paths`` (default: the working directory).

        A second call replaces the roots; roots that do not exist leave the
        running watcher as it was.
        """
        apply: Literal["auto", "manual"] = (
            "auto" if self.mode == "terminal" else "manual"
        )
        try:
            reloader = Reloader(paths or [Path.cwd()], apply=apply)
        except ReloadError as exc:
            return f"hotreload: {exc}"
        self.stop()
        for root in reversed(reloader.roots):
            # Kept after %hotreload off, so that what is imported keeps working.
            if str(root) not in sys.path:
                sys.path.insert(0, str(root))
        try:
            reloader.start()
        except (ReloadError, OSError) as exc:
            return f"hotreload: cannot watch {_roots(reloader)}: {exc}"
        self._stop = [
            reloader.track(self.shell.user_ns),
            reloader.subscribe(self._on_event),
        ]
        self.reloader = reloader
        self._seen = {}
        when = "as files are saved" if self.mode == "terminal" else "before each cell"
        return f"hotreload: watching {_roots(reloader)} ({reloader.backend}); reloads apply {when}"

    def stop(self) -> None:
        """Stop watching; modules already imported stay and keep working."""
        reloader, self.reloader = self.reloader, None
        while self._stop:
            self._stop.pop()()
        if reloader is not None:
            reloader.stop()

    def close(self) -> None:
        """Stop watching and let go of the terminal (``%unload_ext``)."""
        self.stop()
        if self._proxy is not None:
            self._proxy.close()

    def _status(self, reloader: Reloader) -> str:
        text = cmd_status(reloader, [])
        if self.mode == "kernel" and not reloader.is_paused:
            text = text.replace("applied as files change", "applied before each cell")
        return text.replace(":resume", "%hotreload resume")

    def _resume(self, reloader: Reloader) -> str:
        if not reloader.is_paused:
            return "reloads are not paused"
        reloader.resume()  # applies the queue where reloads are automatic
        if self.mode == "kernel":
            self._apply(reloader)
        with self._lock:
            applied = len(self._held)
        plural = "s" if applied != 1 else ""
        return f"reloads resumed; {applied} held reload{plural} applied"

    # -- reports ---------------------------------------------------------------

    def _on_event(self, event: ReloadEvent) -> None:
        """A reload happened (any thread): hold the line or print it above."""
        with self._lock:
            if self.mode == "kernel" or self._collecting:
                self._held.append(event)
                return
        text = self._colored(event) + "\n"
        app = getattr(getattr(self.shell, "pt_app", None), "app", None)
        if app is not None and app.is_running:
            self._proxy.write(text)  # above the prompt, drawn again below
            self._proxy.flush()
            return
        # A cell is running: straight to the terminal, ahead of the part of
        # a line the cell has printed but not flushed, never inside it.
        try:
            fd = sys.__stdout__.fileno()  # type: ignore[union-attr]
            os.write(fd, text.encode(errors="replace"))
        except (AttributeError, OSError, ValueError):
            self._proxy.write(text)

    def _colored(self, event: ReloadEvent) -> str:
        line = event_line(event)
        colors = str(getattr(self.shell, "colors", "nocolor")).lower()
        if colors == "nocolor" or not sys.stdout.isatty():
            return line
        code = "32" if event.ok and not event.warnings else "33" if event.ok else "31"
        return f"\x1b[{code}m{line}\x1b[0m"

    @contextmanager
    def _collect(self) -> Any:
        """Meanwhile, reports join the magic's own output instead."""
        with self._lock:
            self._collecting += 1
        try:
            yield
        finally:
            with self._lock:
                self._collecting -= 1

    def _take_held(self) -> list[str]:
        with self._lock:
            events, self._held = self._held, []
        return [event_line(e) for e in events if self._news(e)]

    def _news(self, event: ReloadEvent) -> bool:
        """False for a failure already reported, met again (the same bytes
        reloaded before a cell, then handed over by the watcher)."""
        err = event.error
        if event.ok or err is None:
            self._failed.pop(event.module, None)
            return True
        what = error_text(err)  # a user's __str__ may raise
        if self._failed.get(event.module) == what:
            return False
        self._failed[event.module] = what
        return True

    # -- the shell's events ---------------------------------------------------

    def pre_run_cell(self, info: object = None) -> None:
        """Before a cell: apply what changed (kernel) and report it first."""
        self.check_autoreload()
        reloader = self.reloader
        if reloader is None:
            return
        if self.mode == "kernel" and not reloader.is_paused:
            try:
                self._apply(reloader)
            except Exception as exc:  # never let a reload stop the cell
                _say(f"hotreload: applying changes failed: {exc!r}", err=True)
        lines = self._take_held()
        if lines:
            _say("\n".join(lines))

    def _apply(self, reloader: Reloader) -> None:
        """Apply the queue, then what was saved a moment ago.

        A cell run right after a save (an editor's "save and run") may come
        before the watcher has handed the change over: a batch still settling
        is waited for, and a loaded module whose file is no longer the one
        last applied (by a stat, the way ``%autoreload`` notices) is reloaded
        now. The watcher's own event for it then finds those bytes live.
        """
        events = reloader.apply_pending()
        deadline = time.monotonic() + SETTLE_TIMEOUT
        while reloader.pending_paths() and time.monotonic() < deadline:
            time.sleep(0.002)  # a save landed a moment ago: its batch is due
            events += reloader.apply_pending()
        for event in events:
            if event.path is not None:
                self._note(event.path)
        for path in self._loaded_files(reloader):
            before = self._seen.get(path)
            now = self._note(path)
            if None not in (before, now) and now != before:
                with suppress(ReloadError):  # unloaded meanwhile
                    reloader.reload(path)

    def post_run_cell(self, result: object = None) -> None:
        """After a cell: note the files of the modules it imported."""
        reloader = self.reloader
        if self.mode == "kernel" and reloader is not None:
            for path in self._loaded_files(reloader):
                if path not in self._seen:
                    self._note(path)

    @staticmethod
    def _loaded_files(reloader: Reloader) -> list[Path]:
        files = (getattr(m, "__file__", None) for m in reloader.modules.values())
        return [Path(f) for f in files if isinstance(f, str)]

    def _note(self, path: Path) -> tuple[int, ...] | None:
        """Remember (and return) the identity of ``path`` as it is now."""
        try:
            st = os.stat(path)
        except OSError:
            self._seen.pop(path, None)
            return None
        key = (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)
        self._seen[path] = key
        return key

    def check_autoreload(self) -> None:
        """Turn ``%autoreload`` off, saying so, if it is on."""
        magics = self.shell.magics_manager.registry.get("AutoreloadMagics")
        inner = getattr(magics, "_reloader", None)
        if inner is not None and getattr(inner, "enabled", False):
            inner.enabled = False
            _say(
                "hotreload: %autoreload was on; turned it off"
                " (%hotreload watch reloads modules in its place)",
                err=True,
            )


def _roots(reloader: Reloader) -> str:
    return ", ".join(str(r) for r in reloader.roots)


def _say(text: str, *, err: bool = False) -> None:
    """Print ``text`` on a line of its own (nothing when it is empty)."""
    if not text:
        return
    stream = sys.stderr if err else sys.stdout
    stream.write(text + "\n")
    stream.flush()


def load(shell: Any) -> None:
    """Add ``%hotreload`` to ``shell``; it watches nothing yet."""
    if id(shell) in _EXTENSIONS:
        return
    ext = HotreloadMagic(shell)
    _EXTENSIONS[id(shell)] = ext

    def hotreload(line: str = "") -> None:
        ext(line)

    hotreload.__doc__ = HELP  # what %hotreload? shows
    shell.register_magic_function(hotreload, magic_kind="line")
    # First in line: %autoreload, if on, is turned off before its own hook runs.
    shell.events.callbacks["pre_run_cell"].insert(0, ext.pre_run_cell)
    shell.events.register("post_run_cell", ext.post_run_cell)
    ext.check_autoreload()


def unload(shell: Any) -> None:
    """Stop watching and remove ``%hotreload`` from ``shell``."""
    ext = _EXTENSIONS.pop(id(shell), None)
    if ext is None:
        return
    for event, callback in (
        ("pre_run_cell", ext.pre_run_cell),
        ("post_run_cell", ext.post_run_cell),
    ):
        with suppress(ValueError):
            shell.events.unregister(event, callback)
    shell.magics_manager.magics["line"].pop("hotreload", None)
    ext.close()
