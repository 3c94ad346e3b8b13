"""Slack rendering: exact Block Kit output, mrkdwn escaping, and Slack's limits by construction."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from newsbot.delivery.outcomes import AWAY, Headline, Outgoing
from newsbot.i18n import t
from newsbot.platforms.slack_render import (
    MAX_BLOCKS,
    MAX_SECTION_TEXT,
    MAX_TEXT,
    fit,
    link_target,
    render_post,
)

KST = ZoneInfo("Asia/Seoul")
PUBLISHED = datetime(2026, 11, 23, 3, 5, tzinfo=UTC)  # 12:05 in Seoul
URL = "https://news.example.kr/a/1"
ENTITY = re.compile(r"&(amp|lt|gt);")


def outgoing(**fields: object) -> Outgoing:
    values: dict[str, object] = {
        "kind": "headline",
        "title": "성남시 드론 배송 확대",
        "url": URL,
        "lead": "판교에서 첫 비행",
        "section": "행정",
        "published_at": PUBLISHED,
    }
    values.update(fields)
    return Outgoing(**values)  # type: ignore[arg-type]


def section_texts(message: Outgoing) -> list[str]:
    return [block["text"]["text"] for block in render_post(message, KST).blocks if "text" in block]


# --- the shape of a message ------------------------------------------------------------


def test_a_headline_is_one_section_with_time_in_kst_a_bold_linked_title_and_the_lead() -> None:
    post = render_post(outgoing(), KST)

    assert post.blocks == [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f"행정 · 11-23 12:05\n*<{URL}|성남시 드론 배송 확대>*\n판교에서 첫 비행",
                "verbatim": True,
            },
        }
    ]
    assert post.text == "행정 · 11-23 12:05\n성남시 드론 배송 확대"


def test_the_time_is_shown_in_the_chats_zone() -> None:
    post = render_post(outgoing(section=None, lead=""), ZoneInfo("Europe/Berlin"))
    assert post.blocks[0]["text"]["text"] == f"11-23 04:05\n*<{URL}|성남시 드론 배송 확대>*"


def test_breaking_news_and_corrections_are_labelled() -> None:
    assert render_post(outgoing(kind="breaking"), KST).text.startswith("🔴 속보 · 행정 · ")
    assert render_post(outgoing(kind="correction"), KST).text.startswith("✏️ 정정 · 행정 · ")
    assert render_post(outgoing(kind="digest"), KST).text.startswith("행정 · ")


def test_links_do_not_unfurl_and_bare_names_do_not_ping() -> None:
    arguments = render_post(outgoing(), KST).arguments()

    assert arguments["unfurl_links"] is False
    assert arguments["unfurl_media"] is False
    assert arguments["link_names"] is False
    assert set(arguments) == {"text", "blocks", "unfurl_links", "unfurl_media", "link_names"}


def test_an_away_message_lists_the_headlines_newest_first_and_counts_the_rest() -> None:
    earlier = PUBLISHED - timedelta(hours=1)
    message = outgoing(
        kind=AWAY,
        also=(
            Headline("수원 교통 <개편>", "https://news.example.kr/a/2", "사회", earlier),
            Headline("용인 날씨", "https://news.example.kr/a/3", None, earlier),
        ),
        more=5,
    )

    post = render_post(message, KST, "ko")

    header = t("ko", "away.header", count=8)  # the wording is the catalog's
    assert post.blocks == [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f"*{header}*\n"
                f"• <{URL}|성남시 드론 배송 확대>  행정 · 11-23 12:05\n"
                "• <https://news.example.kr/a/2|수원 교통 &lt;개편&gt;>  사회 · 11-23 11:05\n"
                "• <https://news.example.kr/a/3|용인 날씨>  11-23 11:05",
                "verbatim": True,
            },
        },
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": t("ko", "away.more", count=5), "verbatim": True}
            ],
        },
    ]
    assert post.text == header
    assert render_post(message, KST, "en").text == t("en", "away.header", count=8)


# --- escaping -------------------------------------------------------------------------------


def test_mentions_and_links_in_article_text_are_escaped_not_sent() -> None:
    message = outgoing(
        title="<!channel> 긴급 & <@U123>",
        lead="<https://evil.example|여기를 클릭> <!here>",
        section="<#C999>",
    )

    post = render_post(message, KST)

    assert post.blocks[0]["text"]["text"] == (
        "&lt;#C999&gt; · 11-23 12:05\n"
        f"*<{URL}|&lt;!channel&gt; 긴급 &amp; &lt;@U123&gt;>*\n"
        "&lt;https://evil.example|여기를 클릭&gt; &lt;!here&gt;"
    )
    assert post.text == "&lt;#C999&gt; · 11-23 12:05\n&lt;!channel&gt; 긴급 &amp; &lt;@U123&gt;"


def test_only_the_three_control_characters_are_escaped() -> None:
    # Slack shows any other entity literally: quotes and apostrophes stay as they are.
    assert fit("그는 \"첫\" 비행을 '성공'이라 했다 & <끝>", 100) == (
        "그는 \"첫\" 비행을 '성공'이라 했다 &amp; &lt;끝&gt;"
    )


def test_a_url_cannot_break_out_of_its_link() -> None:
    assert link_target("https://x.kr/a?b=1&c=2") == "https://x.kr/a?b=1&amp;c=2"
    assert link_target("https://x.kr/a|<!channel>") == "https://x.kr/a%7C&lt;!channel&gt;"
    assert link_target("https://x.kr/a b") == "https://x.kr/a%20b"
    assert link_target("javascript:alert(1)") is None
    assert link_target("http://[::1/broken") is None
    assert link_target("https://x.kr/" + "a" * 2000) is None


def test_a_title_without_a_usable_url_is_bold_but_not_linked() -> None:
    post = render_post(outgoing(url="mailto:desk@example.kr", lead=""), KST)
    assert post.blocks[0]["text"]["text"] == "행정 · 11-23 12:05\n*성남시 드론 배송 확대*"


# --- limits -----------------------------------------------------------------------------


def test_trimming_never_cuts_an_entity_and_ends_with_an_ellipsis() -> None:
    assert fit("&&&&", 12) == "&amp;&amp;…"
    assert fit("가나다라마바사", 5) == "가나다라…"
    assert fit("  여러   줄\n\t공백  ", 100) == "여러 줄 공백"


def test_ten_thousand_character_fields_stay_within_slacks_limits() -> None:
    message = outgoing(
        kind="breaking",
        title="&<>" * 3400,
        lead="<@U1>&" * 2000,
        section="행정&" * 400,
        url="https://x.kr/?" + "a=1&" * 300,
    )

    post = render_post(message, KST)

    assert len(post.text) <= MAX_TEXT
    assert len(post.blocks) <= MAX_BLOCKS
    assert all(len(text) <= MAX_SECTION_TEXT for text in section_texts(message))
    assert post.blocks[0]["text"]["text"].endswith("…")


def test_a_huge_away_message_stays_within_slacks_limits() -> None:
    also = tuple(
        Headline("&" * 10_000, f"https://x.kr/{n}?" + "&" * 290, "행정&" * 100, PUBLISHED)
        for n in range(500)
    )
    message = outgoing(kind=AWAY, title="<" * 10_000, lead=">" * 10_000, also=also, more=10)

    post = render_post(message, KST)

    assert len(post.blocks) <= MAX_BLOCKS
    assert all(len(text) <= MAX_SECTION_TEXT for text in section_texts(message))
    listed = post.blocks[0]["text"]["text"].count("\n•")
    assert 1 <= listed <= 10
    assert post.blocks[1]["elements"][0]["text"] == t("ko", "away.more", count=511 - listed)


article_text = st.text(
    alphabet=st.sampled_from("<>&|*_~`@!#가나다 \n\tabcU1"), max_size=12_000
) | st.text(max_size=300)


@given(title=article_text, lead=article_text, section=article_text)
def test_no_article_text_survives_unescaped_and_every_limit_holds(
    title: str, lead: str, section: str
) -> None:
    message = outgoing(title=title, lead=lead, section=section)

    post = render_post(message, KST)
    [body] = section_texts(message)

    # Our own link markup is the only < and > in the block; every & starts an entity.
    assert body.count("<") == 1 and body.count(">") == 1
    assert f"<{URL}|" in body or f"<{URL}>" in body
    assert "&" not in ENTITY.sub("", body)
    assert "<" not in post.text and ">" not in post.text
    assert "&" not in ENTITY.sub("", post.text)
    # What readers see of the title is the title itself, perhaps trimmed.
    shown = html.unescape(post.text.split("\n", 1)[1]) if "\n" in post.text else ""
    assert " ".join(title.split()).startswith(shown.removesuffix("…"))
    assert len(body) <= MAX_SECTION_TEXT
    assert len(post.text) <= MAX_TEXT
    assert len(post.blocks) <= MAX_BLOCKS
