"""Decoding feed bytes whose declared charset may be missing or wrong.

Korean sites still serve EUC-KR/CP949, declared in the HTTP header, only in the XML prolog, or
not at all, and sometimes the header claims UTF-8 for EUC-KR bytes. Valid UTF-8 with non-ASCII
bytes is almost never anything else, so it wins, except when the document itself declares
EUC-KR and reads better that way (short EUC-KR text can happen to be valid UTF-8: 청 is the
bytes of "û"); then the prolog, then the header, then CP949 (a superset of EUC-KR), then a
statistical guess. The result is text plus the encoding used.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from charset_normalizer import from_bytes

_PROLOG = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']", re.I)
_META = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.I)
# Names Korean servers use for EUC-KR; CP949 decodes all of them and the extended syllables too.
_KOREAN_ALIASES = {
    "euc-kr",
    "euckr",
    "ks_c_5601-1987",
    "ks_c_5601",
    "ksc5601",
    "ksc_5601",
    "korean",
    "x-windows-949",
    "windows-949",
    "cp949",
    "uhc",
    "ms949",
}


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    encoding: str


def _normalise(name: str | None) -> str | None:
    if not name:
        return None
    lowered = name.strip().lower()
    if lowered in _KOREAN_ALIASES:
        return "cp949"
    try:
        return codecs.lookup(lowered).name
    except LookupError:
        return None


def declared_in_document(data: bytes) -> str | None:
    head = data[:1024]
    match = _PROLOG.match(head.lstrip(b"\xef\xbb\xbf")) or _META.search(head)
    return _normalise(match.group(1).decode("ascii")) if match else None


def declared_in_header(content_type: str | None) -> str | None:
    match = _HEADER_CHARSET.search(content_type or "")
    return _normalise(match.group(1)) if match else None


def _try(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _is_common(char: str) -> bool:
    if char.isascii() or char in "‘’“”…·―–—※○●■□▲△▶◆":
        return True
    try:
        char.encode("euc-kr")  # the 2,350 common syllables and basic symbols
    except UnicodeEncodeError:
        return False
    return "\uac00" <= char <= "\ud7a3"


def _plausible(text: str) -> float:
    """Share of characters a Korean news text is made of; mojibake scores low."""
    return sum(map(_is_common, text)) / max(len(text), 1)


def decode_feed(data: bytes, content_type: str | None = None) -> Decoded:
    for bom, name in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return Decoded(data.decode(name).lstrip("\ufeff"), name)
    in_document = declared_in_document(data)
    if in_document == "cp949" and not data.isascii():
        korean = _try(data, "cp949")
        utf8 = _try(data, "utf-8")
        if korean is not None and (utf8 is None or _plausible(korean) > _plausible(utf8)):
            return Decoded(korean, "cp949")
    candidates: list[str] = []
    if not data.isascii():
        candidates.append("utf-8")
    declared = (in_document, declared_in_header(content_type), "utf-8", "cp949")
    for option in declared:
        if option and option not in candidates:
            candidates.append(option)
    for name in candidates:
        try:
            return Decoded(data.decode(name), name)
        except (UnicodeDecodeError, LookupError):
            continue
    guess = from_bytes(data).best()
    if guess is not None and guess.encoding:
        return Decoded(str(guess), _normalise(guess.encoding) or str(guess.encoding))
    return Decoded(data.decode("utf-8", errors="replace"), "utf-8")


def as_utf8_xml(decoded: Decoded) -> bytes:
    """UTF-8 bytes with the prolog saying so, for parsers that trust the prolog."""
    text = re.sub(
        r"^(\s*<\?xml[^>]*?encoding\s*=\s*)([\"'])[^\"']*\2",
        r"\1\2utf-8\2",
        decoded.text,
        count=1,
        flags=re.I,
    )
    return text.encode("utf-8")
