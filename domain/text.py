"""Control characters in text that reaches email headers, Slack, web pages and log lines: find them or remove them.

A *single-line* text (a title, a service, a reporter, a dedup key, a label) may hold no control character at all:
none of C0 (U+0000–U+001F, so no tab, line feed or carriage return), DEL (U+007F), C1 (U+0080–U+009F), and neither
of Unicode's line and paragraph separators (U+2028, U+2029). A *multi-line* text (a description) may hold line feeds
and tabs, and nothing else of those.

Two ways to deal with them: ``first_control_character`` finds one, for an edge that refuses the text and names it;
``without_control_characters`` removes them, for a format that must not lose an alert over a stray byte; line breaks
and tabs in a single line become a space, a CRLF or a lone CR in a multi-line text becomes a line feed, anything
else is dropped. ``replace_control_characters`` puts U+FFFD in place of each, one for one, so the length of the text
does not change.
"""

from __future__ import annotations

import re

REPLACEMENT = "\ufffd"

_SINGLE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_MULTI_LINE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACING = re.compile("[\t\n\x0b\x0c\r\x1c-\x1e\x85\u2028\u2029]+")
"""What ``str.splitlines`` breaks a line at, and tab: a space in a single line."""
_CARRIAGE_RETURN = re.compile("\r\n?")


def first_control_character(text: str, multiline: bool = False) -> str | None:
    """The first character ``text`` may not hold, as ``U+001B``; None when there is none."""
    found = (_MULTI_LINE if multiline else _SINGLE_LINE).search(text)
    return f"U+{ord(found.group()):04X}" if found else None


def without_control_characters(text: str, multiline: bool = False) -> str:
    """``text`` with every character it may not hold removed (line breaks and tabs of a single line: a space)."""
    if multiline:
        return _MULTI_LINE.sub("", _CARRIAGE_RETURN.sub("\n", text))
    return _SINGLE_LINE.sub("", _SPACING.sub(" ", text))


def replace_control_characters(text: str, multiline: bool = False) -> str:
    """``text`` with U+FFFD in place of each character it may not hold."""
    return (_MULTI_LINE if multiline else _SINGLE_LINE).sub(REPLACEMENT, text)
