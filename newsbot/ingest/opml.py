"""OPML feed lists: what every feed reader and CMS exchanges, read and written.

Reading takes OPML 1.0 and 2.0 and is all or nothing: ``read_opml`` returns every feed of the
file or raises ``OpmlError`` with every problem it found (malformed XML with its line and
column, a feed outline without ``xmlUrl``, a URL that is not http(s), an unusable interval),
so an import never stores half a file; whatever the file holds (an interval such as "²",
outlines nested thousands deep, a URL longer than the store keeps) is a problem with its
line, never a traceback. A feed's category is its own ``category`` attribute
or, failing that, the text of the nearest outline it is nested in (readers export folders
that way). OPML's category is "comma-separated, slash-delimited": the first category counts,
and of a path such as ``/지역/성남`` its last, most specific, part.

A file in an encoding expat does not read (EUC-KR) is decoded the way feeds are. The file
is parsed with expat directly and a DOCTYPE is refused outright: it is the only
place entities can be declared, so no entity expansion ("billion laughs") or external entity
can happen, and OPML has no use for one.

Writing gives OPML 2.0: one ``type="rss"`` outline per feed with ``category`` = its section
and the poll interval in a namespaced attribute (``newsbot:interval``) other readers ignore.
Characters XML 1.0 cannot carry (control characters a feed's title may hold) are left out,
so what is written always reads back.
"""

from __future__ import annotations

import email.utils
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from xml.parsers import expat

from newsbot.errors import InputError
from newsbot.ingest.charset import as_utf8_xml, declared_in_document, decode_feed
from newsbot.ingest.drafts import Problem
from newsbot.ingest.urls import canonical_url

NAMESPACE = "urn:newsbot:opml:1"
MIN_INTERVAL = 10  # seconds, as `newsbot feeds add --interval`
MAX_INTERVAL = 7 * 24 * 3600  # seconds: a week; the column is a 32-bit integer
MAX_SECTION = 100  # characters: the feeds.section column
MAX_URL = 2000  # characters: the feeds.url column
# Not allowed anywhere in an XML 1.0 document, even escaped (tab, LF and CR are).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SEP = " "  # expat's separator between a namespace and a local name
_EXPAT_ENCODINGS = ("utf-8", "utf-16", "ascii", "iso8859-1")  # as codecs names them


@dataclass(frozen=True, slots=True)
class OpmlFeed:
    """One feed outline: its URL as written, a title, a category (section), an interval."""

    url: str
    title: str | None = None
    category: str | None = None
    interval: int | None = None  # seconds between polls; None: the default
    line: int = 0  # where it was in the file (0 for feeds not read from one)


class OpmlError(InputError):
    """The file cannot be imported; ``problems`` lists every reason, ``str()`` the first."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"{problems[0]}{more}")


@dataclass(slots=True)
class _Element:
    name: str
    attributes: dict[str, str]
    line: int
    children: list[_Element] = field(default_factory=list)


class _Refused(Exception):
    pass


def _decoded(data: bytes) -> bytes:
    """Expat reads UTF-8, UTF-16, ASCII and Latin-1; a file in another encoding (Korean CMSs
    still write EUC-KR) is decoded as feeds are and handed over as UTF-8."""
    if declared_in_document(data) in (None, *_EXPAT_ENCODINGS):
        return data
    return as_utf8_xml(decode_feed(data))


def _tree(data: bytes) -> _Element:
    data = _decoded(data)
    parser = expat.ParserCreate(namespace_separator=_SEP)
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    root: list[_Element] = []
    open_: list[_Element] = []

    def refuse(*_: object) -> None:
        raise _Refused(
            f"line {parser.CurrentLineNumber}: a DOCTYPE is not accepted in OPML "
            "(it could declare entities); remove it"
        )

    def start(name: str, attributes: dict[str, str]) -> None:
        element = _Element(name, attributes, parser.CurrentLineNumber)
        (open_[-1].children if open_ else root).append(element)
        open_.append(element)

    def end(_: str) -> None:
        open_.pop()

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        reason = expat.ErrorString(exc.code)
        raise OpmlError(
            [
                Problem(
                    f"line {exc.lineno}, column {exc.offset + 1}", f"not well-formed XML: {reason}"
                )
            ]
        ) from None
    except _Refused as exc:
        raise OpmlError([Problem("file", str(exc))]) from None
    return root[0]


def _attribute(element: _Element, name: str) -> str | None:
    """An attribute by name, case-insensitively (exports write xmlUrl, xmlurl, XMLURL)."""
    wanted = name.lower()
    for key, value in element.attributes.items():
        if key.lower() == wanted:
            return value.strip() or None
    return None


def _category(value: str | None) -> str | None:
    first = (value or "").split(",")[0].strip().strip("/")
    return first.rsplit("/", 1)[-1].strip() or None


def _label(element: _Element) -> str | None:
    return _attribute(element, "text") or _attribute(element, "title")


def _interval(element: _Element, problems: list[Problem]) -> int | None:
    value = element.attributes.get(f"{NAMESPACE}{_SEP}interval", "").strip()
    if not value:
        return None
    # ASCII digits only: "²" and "٣" are digits to str.isdigit() but not to int(); at most 7
    # of them, so int() never meets a thousand-digit number either.
    if not re.fullmatch("[0-9]{1,7}", value) or not MIN_INTERVAL <= int(value) <= MAX_INTERVAL:
        problems.append(
            Problem(
                f"line {element.line}",
                f"newsbot:interval={value!r}: expected whole seconds, from {MIN_INTERVAL} "
                f"to {MAX_INTERVAL}",
            )
        )
        return None
    return int(value)


def _feed(element: _Element, inherited: str | None, problems: list[Problem]) -> OpmlFeed | None:
    url = _attribute(element, "xmlUrl") or ""
    where = f"line {element.line}"
    if len(url) > MAX_URL:
        problems.append(Problem(where, f"xmlUrl is longer than {MAX_URL} characters"))
        return None
    try:
        canonical_url(url)
    except InputError:
        problems.append(Problem(where, f"xmlUrl {url!r} is not an http(s) feed URL"))
        return None
    category = _category(_attribute(element, "category")) or inherited
    if category and len(category) > MAX_SECTION:
        problems.append(Problem(where, f"category longer than {MAX_SECTION} characters"))
        return None
    label = _label(element)
    return OpmlFeed(
        url=url,
        title=label if label != url else None,  # exports write the URL when there is no title
        category=category,
        interval=_interval(element, problems),
        line=element.line,
    )


def _walk(
    outlines: list[_Element], inherited: str | None, feeds: list[OpmlFeed], problems: list[Problem]
) -> None:
    """Every outline in document order, with the folder label it inherits. A stack, not
    recursion: a file may nest outlines deeper than Python's recursion limit."""
    pending: list[tuple[_Element, str | None]] = [(e, inherited) for e in reversed(outlines)]
    while pending:
        element, inherited = pending.pop()
        if element.name != "outline":
            continue
        children = [c for c in element.children if c.name == "outline"]
        if _attribute(element, "xmlUrl") is not None:
            if (feed := _feed(element, inherited, problems)) is not None:
                feeds.append(feed)
            # a feed is no folder: what it holds inherits what it inherited
        else:
            if not children:
                label = _label(element)
                problems.append(
                    Problem(
                        f"line {element.line}",
                        f"outline {label!r} has no xmlUrl: a feed needs one"
                        if label
                        else "an outline with no xmlUrl: a feed needs one",
                    )
                )
            inherited = _label(element) or inherited
        pending.extend((child, inherited) for child in reversed(children))


def read_opml(data: bytes) -> list[OpmlFeed]:
    """Every feed in an OPML 1.0 or 2.0 document, in order; ``OpmlError`` if anything is
    wrong with it (every problem, not only the first)."""
    root = _tree(data)
    if root.name != "opml":
        raise OpmlError([Problem(f"line {root.line}", f"the root is <{root.name}>, not <opml>")])
    version = _attribute(root, "version")
    if version is not None and not version.startswith(("1.", "2.")):
        raise OpmlError([Problem(f"line {root.line}", f"OPML version {version} is not known")])
    bodies = [c for c in root.children if c.name == "body"]
    if not bodies:
        raise OpmlError([Problem(f"line {root.line}", "the file has no <body>")])
    feeds: list[OpmlFeed] = []
    problems: list[Problem] = []
    _walk(bodies[0].children, None, feeds, problems)
    if problems:
        raise OpmlError(problems)
    return feeds


def write_opml(feeds: Sequence[OpmlFeed], *, title: str, created: datetime) -> bytes:
    """An OPML 2.0 document listing ``feeds`` (UTF-8, with its XML declaration)."""
    root = ET.Element("opml", {"version": "2.0", "xmlns:newsbot": NAMESPACE})
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = _xml_text(title)
    ET.SubElement(head, "dateCreated").text = email.utils.format_datetime(created)
    body = ET.SubElement(root, "body")
    for feed in feeds:
        title = _xml_text(feed.title or "")
        url = _xml_text(feed.url)
        attributes = {"type": "rss", "text": title or url}
        if title:
            attributes["title"] = title
        attributes["xmlUrl"] = url
        if feed.category:
            attributes["category"] = _xml_text(feed.category)
        if feed.interval is not None and MIN_INTERVAL <= feed.interval <= MAX_INTERVAL:
            # (outside: left out, so the file still reads back, with the default interval)
            attributes["newsbot:interval"] = str(feed.interval)
        ET.SubElement(body, "outline", attributes)
    ET.indent(root)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document + b"\n"


def _xml_text(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot carry (ElementTree writes them as they
    are, and every reader, ours too, refuses the file)."""
    return _NOT_XML.sub("", text)
