"""Whatever an article holds, the Telegram rendering is valid HTML within Telegram's limits.

Limits, from ../shared/design/PLATFORM-LIMITS.md §1: the *parsed* text (markup removed,
entities decoded) may be at most 4,096 characters, and Telegram counts them in Unicode code
points: TDLib checks ``utf8_length(text) > message_text_length_max`` (UTF-16 units are only
the unit of entity offsets). Before parsing, the raw text may be at most 32,768 bytes of UTF-8,
markup included.

Well-formed means what Telegram's HTML parse mode accepts (§2), checked strictly by the small
parser below: only the tags Telegram knows, ``<a>`` with exactly an href, properly nested and
closed, every ``&`` the start of an entity Telegram decodes (&lt; &gt; &amp; &quot; or a
numeric one), and no ``<`` or ``>`` outside tags.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

from hypothesis import example, given, settings
from hypothesis import strategies as st

from newsbot.delivery.outcomes import AWAY, Headline, Outgoing
from newsbot.platforms.telegram_render import MAX_TEXT, render_message

MAX_RAW_BYTES = 32_768
TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "tg-spoiler",
    "blockquote",
}
NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")
MARKUP_ONLY_IN_TAGS = re.compile(r"(?:[^<>]|<[^<>]*>)*")


@dataclass
class Parsed:
    text: str  # what Telegram displays
    links: list[str] = field(default_factory=list)  # each <a>'s href, decoded


class TelegramHTML(HTMLParser):
    """Parses Telegram's HTML subset and lists every way the input strays from it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)  # entities come one by one, to be checked
        self.problems: list[str] = []
        self.open: list[str] = []
        self.text: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in TAGS:
            self.problems.append(f"tag <{tag}> is not one Telegram knows")
        if tag == "a":
            if len(attrs) != 1 or attrs[0][0] != "href" or attrs[0][1] is None:
                self.problems.append(f"<a> must have exactly an href, not {attrs}")
            else:
                self.links.append(attrs[0][1])
            if "a" in self.open:
                self.problems.append("a link inside a link")
        elif attrs:
            self.problems.append(f"<{tag}> takes no attributes here: {attrs}")
        if self.open and self.open[-1] in ("code", "pre"):
            self.problems.append(f"<{tag}> inside <{self.open[-1]}>")
        self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.problems.append(f"self-closing <{tag}/>")

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.open[-1:] or 'nothing'}")
        else:
            self.open.pop()

    def handle_data(self, data: str) -> None:
        if stray := set(data) & {"<", ">", "&"}:
            self.problems.append(f"raw {sorted(stray)} in text {data[:40]!r}")
        self.text.append(data)

    def handle_entityref(self, name: str) -> None:
        if name not in NAMED:
            self.problems.append(f"&{name}; is not an entity Telegram decodes")
        self.text.append(NAMED.get(name, ""))

    def handle_charref(self, name: str) -> None:
        code = int(name[1:], 16) if name[:1] in "xX" else int(name)
        if not (0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF):
            self.problems.append(f"&#{name}; is no character")
        self.text.append(chr(code) if 0 < code <= 0x10FFFF else "")

    def handle_comment(self, data: str) -> None:
        self.problems.append("a comment")

    def handle_decl(self, decl: str) -> None:
        self.problems.append("a declaration")

    def handle_pi(self, data: str) -> None:
        self.problems.append("a processing instruction")

    def unknown_decl(self, data: str) -> None:
        self.problems.append("a marked section")


def parse_telegram_html(raw: str) -> Parsed:
    """The text Telegram would show for ``raw``; fails if Telegram would not take it as is."""
    problems = []
    if not MARKUP_ONLY_IN_TAGS.fullmatch(raw):
        problems.append("a < or > outside a tag")
    problems += [
        f"& at {m.start()} starts no entity: {raw[m.start() : m.start() + 12]!r}"
        for m in re.finditer("&", raw)
        if not ENTITY.match(raw, m.start())
    ]
    parser = TelegramHTML()
    parser.feed(raw)
    parser.close()
    problems += parser.problems
    if parser.open:
        problems.append(f"never closed: {parser.open}")
    assert not problems, problems
    return Parsed("".join(parser.text), parser.links)


# --- the validator itself ----------------------------------------------------------------


def test_the_validator_reads_telegram_html() -> None:
    parsed = parse_telegram_html(
        'a &lt;b&gt; &amp; &#x27;<b><a href="https://x.kr/?a=1&amp;b=2">t</a></b>'
    )

    assert parsed == Parsed("a <b> & 't", ["https://x.kr/?a=1&b=2"])


def test_the_validator_refuses_what_telegram_refuses() -> None:
    for bad in (
        "<b>unclosed",
        "<b><i>crossed</b></i>",
        "<span>unknown</span>",
        "<a>no href</a>",
        '<a href="x" title="y">two attributes</a>',
        "1 < 2",
        "1 > 2",
        "fish & chips",
        "&amp without semicolon",
        "&nbsp;",
        "<br/>",
        "<!-- comment -->",
        '<a href="x"><a href="y">nested</a></a>',
    ):
        try:
            parse_telegram_html(bad)
        except AssertionError:
            continue
        raise AssertionError(f"accepted {bad!r}")


# --- the renderer -----------------------------------------------------------------------

# What articles from many feeds hold: markup characters, entities, emoji (also joined and
# flags), zero-width and bidirectional controls, C0/C1 controls and line separators.
TRICKY = [
    "<", ">", "&", '"', "'", "&amp;", "&lt;", "&#x27;", "<b>", "</a>", '">', "<!--",
    "\u200b", "\u200c", "\u200d", "\ufeff", "\u202e", "\u200f", "\u2066", "\u061c",
    "\x00", "\x07", "\x1b", "\x7f", "\x85", "\r", "\n", "\t", "\u2028", "\u3000",
    "🙂", "👨‍👩‍👧", "🇰🇷", "𝕏", "한", "뉴스", "a", " ", "‮abc",
]  # fmt: skip
# Any character a str decoded from a feed or read from the database can hold: everything
# but lone surrogates, which no UTF-8 input produces (and Telegram could not be sent).
CHARACTERS = st.characters(exclude_categories=["Cs"])
fragments = st.lists(st.sampled_from(TRICKY) | CHARACTERS, min_size=1, max_size=8).map("".join)
texts = st.one_of(
    st.lists(st.sampled_from(TRICKY) | CHARACTERS, max_size=80).map("".join),
    st.text(max_size=10_000),
    # long runs of one fragment reach the limits without a megabyte of random data
    st.tuples(fragments, st.integers(1, 10_000)).map(lambda f: (f[0] * f[1])[:10_000]),
)
urls = st.one_of(
    st.builds(lambda path: "https://news.example.kr/" + path, texts),
    texts,
)
moments = st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1), timezones=st.just(UTC))
headlines = st.builds(
    Headline, title=texts, url=urls, section=st.none() | texts, published_at=moments
)
messages = st.builds(
    Outgoing,
    kind=st.sampled_from(["headline", "breaking", "correction", "digest", AWAY]),
    title=texts,
    url=urls,
    lead=texts,
    section=st.none() | texts,
    published_at=moments,
    revision=st.integers(0, 3),
    also=st.lists(headlines, max_size=14).map(tuple),
    more=st.integers(0, 10**9),
)
zones = st.sampled_from([ZoneInfo("Asia/Seoul"), ZoneInfo("UTC"), ZoneInfo("America/St_Johns")])
languages = st.sampled_from(["ko", "en", "en-US", "ja", ""])

HUGE = "<&>\"'🙂\u200b\u202e\x00" * 1250  # 10,000 characters, the worst to escape
QUOTES = '"' * 10_000  # six bytes each once escaped
LONGEST_LINK = '"' * 250  # escapes to the most bytes a link may take
WORST = Outgoing(
    kind=AWAY,
    title=HUGE,
    url=HUGE,
    lead=HUGE,
    section=HUGE,
    published_at=datetime(2026, 11, 23, 3, 0, tzinfo=UTC),
    also=(Headline(HUGE, HUGE, HUGE, datetime(2026, 11, 23, 2, 0, tzinfo=UTC)),) * 14,
    more=10**9,
)


WORST_LINKED = Outgoing(
    kind=AWAY,
    title=QUOTES,
    url=LONGEST_LINK,
    lead=QUOTES,
    section=QUOTES,
    published_at=WORST.published_at,
    also=(Headline(QUOTES, LONGEST_LINK, QUOTES, WORST.published_at),) * 14,
    more=10**9,
)


# Fewer than the profile's 200: generating one example, a message with up to fifteen headlines
# of kilobytes each, takes up to 12 ms, and 150 keep this test under a second.
@settings(max_examples=150)
@given(messages, zones, languages)
@example(WORST, ZoneInfo("Asia/Seoul"), "ko")
@example(WORST_LINKED, ZoneInfo("Asia/Seoul"), "en")
@example(
    Outgoing("headline", HUGE, HUGE, HUGE, HUGE, WORST.published_at), ZoneInfo("Asia/Seoul"), "ko"
)
def test_any_article_renders_as_telegram_html_within_the_limits(
    message: Outgoing, zone: ZoneInfo, language: str
) -> None:
    rendered = render_message(message, zone, language)

    parsed = parse_telegram_html(rendered)
    assert parsed.text.strip() and len(parsed.text) <= MAX_TEXT
    assert len(rendered.encode("utf-8")) <= MAX_RAW_BYTES
    # a link, when there is one, goes exactly where the article is
    assert set(parsed.links) <= {message.url, *(h.url for h in message.also)}


@given(texts, texts)
def test_a_headlines_title_and_lead_survive_escaping_whole_when_short(
    title: str, lead: str
) -> None:
    message = Outgoing("headline", title, "https://n.kr/1", lead, None, WORST.published_at)

    shown = parse_telegram_html(render_message(message, ZoneInfo("Asia/Seoul"), "ko")).text

    for field_text, limit in ((title, 300), (lead, 600)):
        words = " ".join(field_text.split())
        if len(words) <= limit:
            assert words in shown
        else:
            assert words[: limit // 2] in shown


def test_the_validator_counts_what_telegram_shows() -> None:
    message = Outgoing("headline", "a<b", "https://n.kr/?q=1&r=2", "", None, WORST.published_at)

    parsed = parse_telegram_html(render_message(message, ZoneInfo("UTC"), "ko"))

    assert parsed.text == "11-23 03:00\na<b"
    assert parsed.links == ["https://n.kr/?q=1&r=2"]
    assert html.escape("a<b") in render_message(message, ZoneInfo("UTC"), "ko")


def test_a_url_too_long_to_send_leaves_the_title_unlinked() -> None:
    message = Outgoing(
        "breaking", "제목", "https://n.kr/" + "a" * 1500, "", "사회\n부", WORST.published_at
    )

    assert render_message(message, ZoneInfo("Asia/Seoul"), "ko") == (
        "🔴 속보 · 사회 부 · 11-23 12:00\n<b>제목</b>"
    )
