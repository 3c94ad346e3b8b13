"""Replies to readers (search, top, settings) are valid Telegram HTML within the limits,
whatever a query, title or snippet holds. The validator is the renderer tests' own."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from newsbot.conversation import ArticleCard, Button, Reply
from newsbot.platforms.telegram_replies import MAX_RAW_BYTES, MAX_TEXT, keyboard, render_reply
from tests.unit.test_telegram_render_properties import parse_telegram_html, texts, urls


def _marks(text_length: int) -> st.SearchStrategy[tuple[tuple[int, int], ...]]:
    bound = max(text_length + 5, 1)
    pairs = st.tuples(st.integers(-3, bound), st.integers(-3, bound))
    return st.lists(pairs, max_size=6).map(tuple)


@st.composite
def cards(draw: st.DrawFn) -> ArticleCard:
    title, snippet = draw(texts), draw(texts)
    return ArticleCard(
        title=title,
        url=draw(urls),
        section=draw(st.none() | texts),
        published=draw(st.sampled_from(["11-22 09:30", "01-01 00:00"])),
        rank=draw(st.none() | st.integers(1, 10**6)),
        title_marks=draw(_marks(len(title))),
        snippet=snippet,
        snippet_marks=draw(_marks(len(snippet))),
        views=draw(st.none() | st.integers(0, 10**12)),
        is_breaking=draw(st.booleans()),
    )


replies = st.builds(
    Reply,
    header=texts,  # echoes the reader's query
    cards=st.lists(cards(), max_size=12).map(tuple),
    notice=texts,
)


@settings(max_examples=120)  # each example renders ten cards: fewer than the profile
@given(replies)
def test_any_reply_renders_as_telegram_html_within_the_limits(reply: Reply) -> None:
    rendered = render_reply(reply)

    parsed = parse_telegram_html(rendered)
    assert len(parsed.text) <= MAX_TEXT
    assert len(rendered.encode("utf-8")) <= MAX_RAW_BYTES
    assert set(parsed.links) <= {card.url for card in reply.cards}


def test_ten_cards_of_the_worst_text_still_fit() -> None:
    worst = '"<&>🙂' * 2000
    card = ArticleCard(
        title=worst,
        url="https://news.example.kr/" + '"' * 240,
        section=worst,
        published="11-22 09:30",
        rank=1,
        title_marks=((0, 50), (60, 9000)),
        snippet=worst,
        snippet_marks=((5, 7),),
    )

    rendered = render_reply(Reply(header=worst, notice=worst, cards=(card,) * 10))

    parsed = parse_telegram_html(rendered)
    assert len(parsed.text) <= MAX_TEXT
    assert len(rendered.encode("utf-8")) <= MAX_RAW_BYTES
    assert parsed.text.endswith("…")


def test_buttons_keep_their_rows_and_trim_long_labels() -> None:
    buttons = (
        Button("◀ 이전", "sr:1:1", row=0),
        Button("다음 ▶", "sr:1:3", row=0),
        Button("x" * 200, "set:lp:off", row=1),
    )

    markup = keyboard(buttons)

    assert markup is not None
    rows = [[(b.text, b.callback_data) for b in row] for row in markup.inline_keyboard]
    assert rows[0] == [("◀ 이전", "sr:1:1"), ("다음 ▶", "sr:1:3")]
    assert len(rows[1][0][0]) == 40 and rows[1][0][1] == "set:lp:off"
    assert keyboard(()) is None


def test_a_compact_card_is_one_line_with_its_link_section_and_time() -> None:
    card = ArticleCard(
        "성남시 <드론> 배송", "https://n.kr/1?a=1&b=2", "행정", "3시간 전", rank=2, compact=True
    )

    assert render_reply(Reply(header="최신 뉴스", cards=(card,))) == (
        "<b>최신 뉴스</b>\n\n"
        '2. <a href="https://n.kr/1?a=1&amp;b=2">성남시 &lt;드론&gt; 배송</a> · 행정 · 3시간 전'
    )
