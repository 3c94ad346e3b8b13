"""Feed HTML to clean, safe plain text.

Titles and descriptions arrive as HTML, escaped HTML, or text with stray entities. What leaves
here is plain text: no tags, no script or style content, entities decoded, whitespace collapsed,
block elements turned into paragraph breaks so a lead can still be cut at a paragraph.
"""

from __future__ import annotations

import html
import re
import unicodedata
from html.parser import HTMLParser

_SKIP = frozenset({"script", "style", "noscript", "template", "iframe", "object", "svg", "head"})
_BLOCK = frozenset(
    {
        "p",
        "div",
        "br",
        "li",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "tr",
        "table",
        "blockquote",
        "section",
        "article",
        "figure",
        "figcaption",
        "header",
        "footer",
        "hr",
        "pre",
    }
)
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u3000]+")
_BREAKS = re.compile(r"\s*\n\s*(?:\n\s*)+")
# Zero-width and bidi controls that only hide text or reorder it; they carry no meaning here.
_INVISIBLE = dict.fromkeys(
    [
        0x200E,
        0x200F,
        0x061C,
        0x200B,
        0x200C,
        0x200D,
        0x2060,
        0xFEFF,
        0x202A,
        0x202B,
        0x202C,
        0x202D,
        0x202E,
        0x2066,
        0x2067,
        0x2068,
        0x2069,
    ]
)


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skip_depth += 1
        elif tag in _BLOCK:
            self.parts.append("\n\n" if tag != "br" else "\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK:
            self.parts.append("\n\n" if tag != "br" else "\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in _BLOCK:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self.parts.append(data)


# Control characters (but tab and newline), lone surrogates and private-use code points.
_CONTROLS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ue000-\uf8ff"
    "\U000f0000-\U000ffffd\U00100000-\U0010fffd]"
)


def _clean_controls(text: str) -> str:
    return _CONTROLS.sub("", text.translate(_INVISIBLE))


def normalize_whitespace(text: str, *, keep_paragraphs: bool = True) -> str:
    text = _SPACES.sub(" ", text.replace("\r\n", "\n"))
    if not keep_paragraphs:
        return " ".join(text.split())
    lines = [line.strip() for line in text.split("\n")]
    text = "\n".join(lines)
    text = _BREAKS.sub("\n\n", text)
    return text.strip()


# Tags that really are HTML. Angle brackets around anything else ("영화 <Harbin> 개봉",
# "<청년 정책 토론회>") are text and stay.
_KNOWN_TAG = re.compile(
    r"</?(?:a|abbr|article|audio|b|big|blockquote|body|br|button|center|cite|code|dd|del|div|"
    r"dl|dt|em|embed|figcaption|figure|font|footer|form|h[1-6]|head|header|hr|html|i|iframe|"
    r"img|input|ins|li|link|mark|meta|noscript|object|ol|p|picture|pre|q|s|script|section|"
    r"small|source|span|strike|strong|style|sub|sup|svg|table|tbody|td|template|th|thead|tr|"
    r"u|ul|video)(?=[\s/>])[^>]*>",
    re.IGNORECASE,
)
_MAX_UNESCAPE_ROUNDS = 3


def _extract(fragment: str) -> str:
    parser = _TextExtractor()
    parser.feed(fragment)
    parser.close()
    return "".join(parser.parts)


def html_to_text(fragment: str | None, *, keep_paragraphs: bool = True) -> str:
    """Plain text of an HTML fragment (or of text that merely contains entities).

    Feeds often escape twice or three times ("&amp;lt;p&amp;gt;"); each round that decoding
    turns into real tags is parsed again, so markup never survives as text.
    """
    if not fragment:
        return ""
    text = fragment
    if "<" in text or "&" in text:
        for _ in range(_MAX_UNESCAPE_ROUNDS):
            text = _extract(text)
            if _KNOWN_TAG.search(text):
                continue  # escaped markup decoded into tags: strip them next round
            unescaped = html.unescape(text)
            if not _KNOWN_TAG.search(unescaped):
                text = unescaped
                break
            text = unescaped
        text = _KNOWN_TAG.sub("", text)  # still nested deeper: drop what is left of it
    text = unicodedata.normalize("NFC", _clean_controls(text))
    return normalize_whitespace(text, keep_paragraphs=keep_paragraphs)


def one_line(text: str) -> str:
    """Collapse to a single line, e.g. for titles."""
    return normalize_whitespace(text, keep_paragraphs=False)
