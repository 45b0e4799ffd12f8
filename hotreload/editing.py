"""Editing a statement over several lines: Enter, indentation, Tab, Backspace.

The prompt holds a whole statement in one multi-line buffer, as IPython's
does: Enter runs the input when it is complete and otherwise opens a new line
(shown after ``... ``) indented for what comes next, one level deeper after
a line ending in ``:``, one level shallower after ``return``, ``pass``,
``break``, ``continue`` or ``raise``. An empty line ends a block. Up and Down
move between the lines of the statement (prompt-toolkit's own behaviour in a
multi-line buffer) and reach the history only from its first or last line.

The decisions are plain functions of the text (`input_is_complete`,
`next_indent`), tested without a terminal; `editing_bindings` wires them to
keys.
"""

from __future__ import annotations

import codeop
import io
import re
import tokenize
import warnings
from collections.abc import Callable
from typing import Final

from prompt_toolkit.application import get_app
from prompt_toolkit.filters import Condition, completion_is_selected
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent

__all__ = ["INDENT", "editing_bindings", "input_is_complete", "next_indent"]

#: One level of indentation.
INDENT: Final = "    "

# A line whose statement ends its block: the next line goes one level out.
_BLOCK_ENDERS: Final = re.compile(r"(return|pass|break|continue|raise)\b")
_OPENERS: Final = "([{"


def _compiles(source: str, symbol: str) -> bool | None:
    """True: complete; None: more input is needed; False: a syntax error."""
    try:
        with warnings.catch_warnings():
            # The statement is compiled again when it runs; warn only then.
            warnings.simplefilter("ignore")
            code = codeop.compile_command(source, "<input>", symbol)
    except (SyntaxError, ValueError, OverflowError):
        return False
    return None if code is None else True


def input_is_complete(text: str) -> bool:
    """Whether Enter at the end of ``text`` should run it.

    The rules of Python's own REPL, over a whole buffer: a simple statement
    runs at once, a compound one once an empty line ends it, and an open
    bracket or a block still waiting for its body asks for more. Input that
    can never compile runs too, so its error is shown rather than hidden.
    Several statements (a pasted block) run together once the last line
    is back at the left margin or followed by an empty line.
    """
    lines = text.split("\n")
    if not text.strip():
        return True
    blank_end = len(lines) > 1 and not lines[-1].strip()
    source = text.rstrip() + ("\n" if blank_end else "")
    single = _compiles(source, "single")
    if single is not False:
        return bool(single)
    whole = _compiles(source, "exec")
    if whole is None:
        return False
    if whole is False:
        return True  # a genuine error: run it to show it
    last = text.rstrip().split("\n")[-1]
    return blank_end or not last[:1].isspace()


def _open_brackets(text: str) -> bool:
    """Whether ``text`` leaves a bracket open (strings and comments ignored)."""
    depth = 0
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.OP and tok.string in _OPENERS:
                depth += 1
            elif tok.type == tokenize.OP and tok.string in ")]}":
                depth -= 1
    except (tokenize.TokenError, SyntaxError):
        pass  # the end of input inside the bracket: what we are asking
    return depth > 0


def _code_part(line: str) -> str:
    """``line`` without a trailing comment (a ``#`` inside a string stays)."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(line).readline))
    except (tokenize.TokenError, SyntaxError):
        return line.rstrip()
    for tok in tokens:
        if tok.type == tokenize.COMMENT:
            return line[: tok.start[1]].rstrip()
    return line.rstrip()


def next_indent(text: str) -> str:
    """The indentation of a new line opened after ``text``.

    The last line's indentation, one level deeper after a ``:`` (or an open
    bracket at the end of the line), one level shallower after a statement
    that ends its block.
    """
    last = text.split("\n")[-1]
    indent = last[: len(last) - len(last.lstrip())].replace("\t", INDENT)
    code = _code_part(last).strip()
    if code.endswith(":") and not _open_brackets(text):
        return indent + INDENT
    if code.endswith(tuple(_OPENERS)):
        return indent + INDENT
    if _BLOCK_ENDERS.match(code) and not _open_brackets(text):
        return indent[: max(0, len(indent) - len(INDENT))]
    return indent


def editing_bindings(is_special: Callable[[str], bool]) -> KeyBindings:
    """Keys for a multi-line Python prompt.

    Args:
        is_special: whether a one-line input is not Python but runs as it is
            (a ``:command``, ``!shell`` or ``name?``); Enter runs it at once.
    """
    bindings = KeyBindings()

    @Condition
    def in_indentation() -> bool:
        before = get_app().current_buffer.document.current_line_before_cursor
        return not before.strip()

    @bindings.add("enter")
    def _enter(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        document = buffer.document
        text = document.text
        # On the last line (anywhere in it, as in IPython) Enter runs
        # complete input; on an earlier line it opens a line there.
        on_last_line = "\n" not in document.text_after_cursor.rstrip()
        special = "\n" not in text and is_special(text)
        if on_last_line and (special or input_is_complete(text)):
            # Trailing blank lines are not part of the statement (nor of
            # the history entry it becomes).
            lines = text.split("\n")
            while len(lines) > 1 and not lines[-1].strip():
                lines.pop()
            if "\n" in text:
                buffer.text = "\n".join(lines)
            buffer.validate_and_handle()
            return
        buffer.insert_text("\n" + next_indent(document.text_before_cursor))

    @bindings.add("enter", filter=completion_is_selected)
    def _take_completion(event: KeyPressEvent) -> None:
        """Enter on a completion of the menu takes it and goes on editing."""
        event.current_buffer.complete_state = None

    @bindings.add("escape", "enter")
    def _run_now(event: KeyPressEvent) -> None:
        """Alt-Enter (Esc Enter) runs the input as it is."""
        event.current_buffer.validate_and_handle()

    @bindings.add("tab", filter=in_indentation)
    def _indent(event: KeyPressEvent) -> None:
        """Tab in the indentation (or on an empty line) indents one level."""
        before = event.current_buffer.document.current_line_before_cursor
        event.current_buffer.insert_text(" " * (len(INDENT) - len(before) % 4))

    @Condition
    def after_indentation() -> bool:
        before = get_app().current_buffer.document.current_line_before_cursor
        return bool(before) and not before.strip()

    @bindings.add("backspace", filter=after_indentation)
    def _dedent(event: KeyPressEvent) -> None:
        """Backspace in the indentation goes back one level."""
        before = event.current_buffer.document.current_line_before_cursor
        event.current_buffer.delete_before_cursor(len(before) % 4 or len(INDENT))

    return bindings
