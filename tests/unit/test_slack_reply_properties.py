"""Whatever a reply holds, its Block Kit is within Slack's limits and says nothing Slack
would turn into a link or a mention that we did not make.

Limits, from ../shared/design/PLATFORM-LIMITS.md §7.3: 50 blocks a message (100 in a Home
tab), 3,000 characters a section's text, 150 a header's plain text, 25 elements an actions
block, 75 characters a button's text, 2,000 a button's value; slack-sdk's own block models
check the per-field limits when they serialise (``Block.parse(...).to_dict()``), which the
test leans on as a second opinion. Escaping (§7.4): outside the links the renderer makes
(``<http…|…>``), no ``<`` or ``>`` reaches Slack and every ``&`` starts ``&amp;``, ``&lt;`` or
``&gt;``; so ``<!channel>``, ``<@U…>`` and ``<#C…>`` can never appear.
"""

from __future__ import annotations

import re
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st
from slack_sdk.models.blocks import Block

from newsbot.conversation import ArticleCard, Button, Reply
from newsbot.platforms.slack_replies import (
    MAX_BLOCKS,
    MAX_VIEW_BLOCKS,
    render_reply,
)

LINK = re.compile(r"<https?://[^|<>\s]+\|[^<>]*>")
ENTITY_OR_AMP = re.compile(r"&(?!amp;|lt;|gt;)")
NASTY = st.sampled_from(["<!channel>", "<!here>", "<@U123>", "&", "<", ">", "*", "@here", "\n"])
TEXT = st.lists(st.one_of(st.text(max_size=40), NASTY), max_size=8).map("".join)
# Long texts by repetition: cheap to generate, and what pushes past the limits.
LONG = st.one_of(TEXT, st.tuples(TEXT, st.integers(1, 500)).map(lambda p: p[0] * p[1]))


def cards() -> st.SearchStrategy[ArticleCard]:
    return st.builds(
        ArticleCard,
        title=LONG,
        url=st.one_of(
            st.just("https://news.example.kr/a/1?x=1&y=<2>"),
            st.just("javascript:alert(1)"),
            st.text(max_size=30),
        ),
        section=st.one_of(st.none(), TEXT),
        published=st.just("11-22 09:30"),
        rank=st.one_of(st.none(), st.integers(1, 100)),
        snippet=LONG,
        views=st.one_of(st.none(), st.integers(0, 10**9)),
        is_breaking=st.booleans(),
        compact=st.booleans(),
    )


def buttons() -> st.SearchStrategy[Button]:
    token = st.text(alphabet="abcdefghij:0123456789", min_size=1, max_size=64)
    return st.builds(Button, label=LONG, token=token, row=st.integers(0, 4))


def replies() -> st.SearchStrategy[Reply]:
    return st.builds(
        Reply,
        header=LONG,
        cards=st.tuples(st.lists(cards(), max_size=5), st.integers(1, 16)).map(
            lambda p: tuple(p[0] * p[1])
        ),
        notice=LONG,
        buttons=st.tuples(st.lists(buttons(), max_size=4), st.integers(1, 12)).map(
            lambda p: tuple(p[0] * p[1])
        ),
    )


def texts(block: dict[str, Any]) -> list[str]:
    """Every mrkdwn text in a block."""
    found = []
    if block["type"] == "section":
        found.append(block["text"]["text"])
    elif block["type"] == "context":
        found += [e["text"] for e in block["elements"]]
    return found


def check(blocks: list[dict[str, Any]], budget: int) -> None:
    assert len(blocks) <= budget
    action_ids = []
    for block in blocks:
        Block.parse(block).to_dict()  # type: ignore[union-attr]  # slack-sdk's own limits
        if block["type"] == "header":
            assert 0 < len(block["text"]["text"]) <= 150
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3_000
            assert block["text"]["verbatim"] is True
        if block["type"] == "actions":
            assert 1 <= len(block["elements"]) <= 25
            for element in block["elements"]:
                assert 0 < len(element["text"]["text"]) <= 75
                action_ids.append(element["action_id"])
        for text in texts(block):
            outside = LINK.sub("", text)
            assert "<" not in outside and ">" not in outside, text
            assert not ENTITY_OR_AMP.search(outside), text
            assert "<!" not in text and "<@" not in text and "<#" not in text
    assert len(action_ids) == len(set(action_ids))


@settings(max_examples=150, deadline=None)
@given(replies())
@example(Reply(header="<!channel> 속보 & <@U1>", notice="<!here>"))
@example(Reply(cards=tuple(ArticleCard(f"t{i}", "https://x.kr", "s", "t") for i in range(60))))
@example(Reply(notice="\r000000000000000<<" * 126))  # cut where "…" would split an &lt;
def test_any_reply_is_within_slacks_limits_and_escaped(reply: Reply) -> None:
    rendered = render_reply(reply)
    check(rendered.blocks, MAX_BLOCKS)
    assert 0 < len(rendered.text) <= 3_000
    assert "<!" not in rendered.text and "<@" not in rendered.text


@settings(max_examples=50, deadline=None)
@given(replies())
def test_a_home_tab_part_keeps_the_view_budget(reply: Reply) -> None:
    check(render_reply(reply, budget=MAX_VIEW_BLOCKS, part=3).blocks, MAX_VIEW_BLOCKS)


def test_a_long_list_is_cut_with_an_ellipsis_not_past_fifty_blocks() -> None:
    many = tuple(
        ArticleCard(f"기사 {i}", f"https://news.example.kr/{i}", "행정", "11-22 09:30")
        for i in range(40)
    )
    blocks = render_reply(Reply(header="검색 결과", cards=many)).blocks
    assert len(blocks) == 50
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "검색 결과", "emoji": True},
    }
    assert blocks[1]["text"]["text"] == "*<https://news.example.kr/0|기사 0>*"
    assert blocks[2]["elements"][0]["text"] == "행정 · 11-22 09:30"
    assert blocks[-1]["elements"][0]["text"] == "…"


def test_buttons_become_rows_of_actions_carrying_their_tokens() -> None:
    reply = Reply(
        header="h",
        buttons=(Button("이전", "s:1", row=0), Button("다음", "s:3", row=0), Button("x", "y", 1)),
    )
    actions = [b for b in render_reply(reply).blocks if b["type"] == "actions"]
    assert [
        [(e["text"]["text"], e["value"], e["action_id"]) for e in a["elements"]] for a in actions
    ] == [
        [("이전", "s:1", "nb:0:0"), ("다음", "s:3", "nb:0:1")],
        [("x", "y", "nb:0:2")],
    ]
