"""Telegram's HTML parse mode as the fake checks it: the markup the Bot API refuses with
400 "can't parse entities", and the length of the parsed text it counts for "message is
too long".

Like the real parser, a ``<`` must open or close one of the supported tags, tags must nest
and close, and ``&`` followed by a known entity is that character (any other ``&`` is kept
as it is). The limit is 4,096 code points of the text once parsed.
"""

from __future__ import annotations

import html
import re

MAX_TEXT = 4096
CANT_PARSE = "Bad Request: can't parse entities: "
TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a"}
    | {"code", "pre", "blockquote", "tg-emoji"}
)
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s[^<>]*)?)>")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#[0-9]+|#x[0-9a-fA-F]+);")


def _offset(text: str, at: int) -> int:
    return len(text[:at].encode("utf-8"))


def parse_problem(text: str) -> str | None:
    """What the Bot API would answer to ``text`` in HTML parse mode, or None if it parses."""
    stack: list[str] = []
    at = 0
    while (at := text.find("<", at)) != -1:
        tag = _TAG.match(text, at)
        if tag is None:
            return f"{CANT_PARSE}Unclosed start tag at byte offset {_offset(text, at)}"
        closing, name = tag.group(1) == "/", tag.group(2).lower()
        if name not in TAGS:
            kind = "end" if closing else "start"
            return (
                f'Bad Request: can\'t parse entities: Unsupported {kind} tag "{name}" '
                f"at byte offset {_offset(text, at)}"
            )
        if not closing:
            stack.append(name)
        elif not stack or stack.pop() != name:
            return (
                f"{CANT_PARSE}Unmatched end tag at byte offset {_offset(text, at)}, "
                f'expected "</{stack[-1] if stack else ""}>", found "</{name}>"'
            )
        at = tag.end()
    if stack:
        return (
            "Bad Request: can't parse entities: Can't find end tag corresponding to start "
            f'tag "{stack[-1]}"'
        )
    return None


def parsed(text: str) -> str:
    """The text a reader sees: tags gone, known entities decoded."""
    return _ENTITY.sub(lambda m: html.unescape(m.group(0)), _TAG.sub("", text))


def refusal(fields: dict[str, str]) -> str | None:
    """Why the Bot API refuses a message's ``text`` (and ``parse_mode``), or None."""
    text = fields.get("text", "")
    if fields.get("parse_mode") == "HTML":
        if (problem := parse_problem(text)) is not None:
            return problem
        text = parsed(text)
    if not text.strip():
        return "Bad Request: message text is empty"
    if len(text) > MAX_TEXT:
        return "Bad Request: message is too long"
    return None
