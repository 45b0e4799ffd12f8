"""Colours that read on dark and light terminals alike, and what uses them.

Every colour is one of the terminal's own sixteen ANSI colours, never a
fixed RGB value: the terminal's theme picks the actual shade, and themes
choose those to read on their own background. (Pygments' default style,
which prompt-toolkit falls back to, is made for white backgrounds: its dark
blue names vanish on a black one.) Grey and bright black are avoided, as
some dark themes draw them in the background colour.

`PALETTE` styles the input as it is typed; `highlight` colours source for
``obj??``; `colour_traceback` colours a traceback, the user's own frames
in full and library frames dimmed, so the eye lands on the user's lines.
"""

from __future__ import annotations

import os
import re
import sys
from functools import cache
from typing import Any, Final

__all__ = [
    "PALETTE",
    "colour_traceback",
    "highlight",
    "is_library_file",
    "prompt_style_rules",
]

#: Pygments token name -> prompt-toolkit style, ANSI colour names only.
PALETTE: Final[dict[str, str]] = {
    "Keyword": "bold ansigreen",
    "Keyword.Constant": "bold ansigreen",
    "Operator.Word": "bold ansigreen",
    "Name.Builtin": "ansigreen",
    "Name.Builtin.Pseudo": "ansigreen",
    "Name.Function": "ansiblue bold",
    "Name.Class": "ansiblue bold",
    "Name.Namespace": "ansiblue bold",
    "Name.Decorator": "ansimagenta",
    "Name.Exception": "ansired bold",
    "String": "ansiyellow",
    "String.Doc": "ansiyellow italic",
    "String.Escape": "ansimagenta",
    "String.Interpol": "ansimagenta",
    "Number": "ansicyan",
    "Comment": "ansicyan italic",
}

# The same palette as SGR codes for text written straight to the terminal.
_SGR: Final = {
    "bold": "1",
    "italic": "3",
    "ansired": "31",
    "ansigreen": "32",
    "ansiyellow": "33",
    "ansiblue": "34",
    "ansimagenta": "35",
    "ansicyan": "36",
}
_RESET: Final = "\x1b[0m"
_DIM: Final = "\x1b[2m"
_BOLD: Final = "\x1b[1m"
_RED_BOLD: Final = "\x1b[1;31m"

_FRAME: Final = re.compile(r'^(\s*File ")(.+?)(", line )(\d+)(.*)$')
# The last line, "ZeroDivisionError: division by zero" or "KeyboardInterrupt".
_EXCEPTION: Final = re.compile(r"^([A-Za-z_][\w.]*)(:.*|)$")


def prompt_style_rules() -> dict[str, str]:
    """`PALETTE` as prompt-toolkit style rules for its Pygments lexer's classes."""
    from prompt_toolkit.styles.pygments import pygments_token_to_classname
    from pygments.token import string_to_tokentype  # type: ignore[import-untyped]

    return {
        pygments_token_to_classname(string_to_tokentype(name)): style
        for name, style in PALETTE.items()
    }


def _sgr(style: str) -> str:
    codes = [_SGR[part] for part in style.split() if part in _SGR]
    return f"\x1b[{';'.join(codes)}m" if codes else ""


@cache
def _token_codes() -> dict[Any, str]:
    from pygments.token import string_to_tokentype

    return {string_to_tokentype(name): _sgr(style) for name, style in PALETTE.items()}


def _code_for(token: Any) -> str:
    codes = _token_codes()
    while token is not None:
        if token in codes:
            return codes[token]
        token = token.parent
    return ""


def highlight(source: str) -> str:
    """``source`` as Python with ANSI colours from `PALETTE`."""
    from pygments.lexers.python import PythonLexer  # type: ignore[import-untyped]

    out: list[str] = []
    for token, text in PythonLexer(stripnl=False, ensurenl=False).get_tokens(source):
        code = _code_for(token)
        if code and text.strip():
            # Colour each line separately so a pager or a line cut keeps it.
            out.append(
                "\n".join(f"{code}{t}{_RESET}" if t else t for t in text.split("\n"))
            )
        else:
            out.append(text)
    return "".join(out)


@cache
def _library_dirs() -> tuple[str, ...]:
    import sysconfig  # with the first traceback, not with the REPL

    paths = sysconfig.get_paths()
    dirs = {paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib")}
    dirs.add(os.path.dirname(os.path.abspath(__file__)))  # hotreload's own
    dirs.update(p for p in sys.path if p.endswith(("site-packages", "dist-packages")))
    return tuple(os.path.join(os.path.abspath(d), "") for d in dirs)


def is_library_file(filename: str) -> bool:
    """Whether a traceback frame's file belongs to Python or an installed package.

    Frozen modules (``<frozen runpy>``) count as Python's; the user's typed
    input (``<input-3>``) and files elsewhere are the user's.
    """
    if filename.startswith("<frozen "):
        return True
    if filename.startswith("<"):
        return False
    return os.path.abspath(filename).startswith(_library_dirs())


def colour_traceback(text: str) -> str:
    """Colour a formatted traceback for the terminal.

    Frames in the user's files show the file and line in bold, the source
    line highlighted and the ``^^^`` markers in red; frames in Python's or
    installed packages' files are dimmed. The exception line is bold red.
    """
    out: list[str] = []
    dim = False
    for line in text.split("\n"):
        frame = _FRAME.match(line)
        if frame:
            dim = is_library_file(frame[2])
            if dim:
                out.append(f"{_DIM}{line}{_RESET}")
            else:
                lead, name, mid, number, rest = frame.groups()
                out.append(
                    f"{lead}{_BOLD}{name}{_RESET}{mid}{_BOLD}{number}{_RESET}{rest}"
                )
        elif line.startswith("    ") and line.strip():
            if dim:
                out.append(f"{_DIM}{line}{_RESET}")
            elif set(line.strip()) <= set("^~"):
                out.append(f"{_RED_BOLD}{line}{_RESET}")
            else:
                out.append(highlight(line))
        elif match := _EXCEPTION.match(line):
            dim = False
            out.append(f"{_RED_BOLD}{match[1]}{_RESET}{match[2]}")
        else:
            dim = False if not line.startswith(" ") else dim
            out.append(line)
    return "\n".join(out)
