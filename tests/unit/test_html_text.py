"""html_to_text and one_line: feed HTML in, clean plain text out."""

from __future__ import annotations

import html
import re
import unicodedata

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from newsbot.text.html import html_to_text, one_line
from tests.helpers import seed_text


def seed_paragraphs() -> list[str]:
    """The body paragraphs of the seed article: real Korean news text nobody here wrote."""
    lines = seed_text().splitlines()
    body = lines[lines.index("기사수정") + 1 : lines.index("0")]
    return [line.strip() for line in body if line.strip()]


# --- tags, scripts, entities ---------------------------------------------------------------


def test_tags_are_stripped_and_their_text_kept() -> None:
    fragment = '<p>성남시는 <b>2023년</b>까지 <a href="https://x.kr/">WeGO</a>에서 활동한다.</p>'
    assert html_to_text(fragment) == "성남시는 2023년까지 WeGO에서 활동한다."


@pytest.mark.parametrize("tag", ["script", "style", "noscript", "template", "iframe", "svg"])
def test_content_of_script_like_elements_is_dropped(tag: str) -> None:
    assert html_to_text(f"앞<{tag}>alert('x'); p {{ color: red }}</{tag}>뒤") == "앞뒤"


def test_an_unclosed_script_drops_everything_after_it() -> None:
    assert html_to_text("본문<script>document.write('광고')") == "본문"


def test_the_document_head_is_dropped() -> None:
    assert html_to_text("<head><title>창 제목</title></head><body>본문</body>") == "본문"


def test_named_decimal_and_hex_entities_are_decoded() -> None:
    assert html_to_text("&amp; &quot; &#44592; &#xAE30;") == '& " 기 기'


def test_double_escaped_html_in_text_is_reduced_to_its_text() -> None:
    assert html_to_text("&lt;b&gt;굵게&lt;/b&gt; 쓴 글") == "굵게 쓴 글"


def test_double_escaped_paragraphs_still_break_paragraphs() -> None:
    assert html_to_text("&lt;p&gt;첫 문단&lt;/p&gt;&lt;p&gt;둘째 문단&lt;/p&gt;") == (
        "첫 문단\n\n둘째 문단"
    )


def test_double_escaped_script_content_is_dropped() -> None:
    assert html_to_text("&lt;script&gt;alert(1)&lt;/script&gt;본문") == "본문"


def test_markup_escaped_twice_never_comes_out_as_a_tag() -> None:
    text = html_to_text("&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt;본문")
    assert "<script" not in text
    assert "alert" not in text


# --- whitespace and paragraphs -------------------------------------------------------------


def test_block_elements_become_paragraph_breaks() -> None:
    assert html_to_text("<p>첫째</p><p>둘째</p><div>셋째</div>") == "첫째\n\n둘째\n\n셋째"


def test_list_items_become_paragraphs() -> None:
    assert html_to_text("<ul><li>하나</li><li>둘</li></ul>") == "하나\n\n둘"


def test_br_is_a_line_break_and_two_br_a_paragraph_break() -> None:
    assert html_to_text("가<br>나<br/>다<br><br>라") == "가\n나\n다\n\n라"


def test_runs_of_blank_lines_collapse_to_one_paragraph_break() -> None:
    assert html_to_text("<p>a</p>\n\n\n  \n<p>b</p>") == "a\n\nb"


def test_spaces_tabs_nbsp_and_ideographic_spaces_collapse_to_one_space() -> None:
    assert html_to_text("<p>  A&nbsp;&nbsp;B\t\u3000C  </p>") == "A B C"


def test_without_paragraphs_the_text_is_one_line() -> None:
    assert html_to_text("<p>첫째</p><p>둘째</p>", keep_paragraphs=False) == "첫째 둘째"


def test_empty_and_missing_fragments_give_empty_text() -> None:
    assert html_to_text(None) == ""
    assert html_to_text("") == ""
    assert html_to_text("<p> </p><br>") == ""


# --- invisible and control characters ------------------------------------------------------


@pytest.mark.parametrize(
    "char",
    [
        "\u200b",  # zero width space
        "\u200c",  # zero width non-joiner
        "\u200d",  # zero width joiner
        "\u2060",  # word joiner
        "\ufeff",  # zero width no-break space / BOM
        "\u202a",
        "\u202b",
        "\u202c",
        "\u202d",
        "\u202e",  # right-to-left override
        "\u2066",
        "\u2067",
        "\u2068",
        "\u2069",
    ],
)
def test_zero_width_and_bidi_controls_are_removed(char: str) -> None:
    assert html_to_text(f"성{char}남{char}시") == "성남시"


@pytest.mark.parametrize("char", ["\u200e", "\u200f", "\u061c"])
def test_bidi_marks_are_removed_like_the_other_bidi_controls(char: str) -> None:
    assert html_to_text(f"성{char}남시") == "성남시"


def test_bidi_controls_written_as_entities_are_removed_too() -> None:
    assert html_to_text("&#x202E;성남시&#8203;") == "성남시"


def test_c0_and_c1_control_characters_are_removed() -> None:
    assert html_to_text("성\x00남\x07시\x1b는\x85") == "성남시는"


# --- Korean text ---------------------------------------------------------------------------


def test_korean_news_paragraphs_come_through_unchanged() -> None:
    for paragraph in seed_paragraphs():
        assert html_to_text(f"<p>{html.escape(paragraph)}</p>") == paragraph


def test_the_seed_body_as_paragraphs_keeps_every_paragraph() -> None:
    paragraphs = seed_paragraphs()
    fragment = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    assert html_to_text(fragment).split("\n\n") == paragraphs


def test_angle_brackets_around_hangul_are_text_not_tags() -> None:
    text = "성남시는 <청년 정책 토론회>를 연다"
    assert html_to_text(text) == text
    assert html_to_text(f"<p>{text}</p>") == text


def test_escaped_angle_brackets_around_hangul_are_decoded_and_kept() -> None:
    assert html_to_text("성남시는 &lt;청년 정책 토론회&gt;를 연다") == (
        "성남시는 <청년 정책 토론회>를 연다"
    )


def test_escaped_angle_brackets_around_a_latin_title_are_kept() -> None:
    assert html_to_text("영화 &lt;Harbin&gt; 개봉") == "영화 <Harbin> 개봉"


def test_decomposed_hangul_is_composed() -> None:
    assert html_to_text("\u1112\u1161\u11ab\u1100\u116e\u11a8") == "한국"


# --- one_line ------------------------------------------------------------------------------


def test_one_line_collapses_every_kind_of_whitespace() -> None:
    assert one_line("  [속보]\n\n성남시,\tWeGO\u3000집행위원도시\u00a0선정 \r\n") == (
        "[속보] 성남시, WeGO 집행위원도시 선정"
    )


def test_one_line_leaves_a_single_line_alone() -> None:
    assert one_line("성남시, WeGO 선정") == "성남시, WeGO 선정"


# --- properties ----------------------------------------------------------------------------

_SCRIPT_START_TAG = re.compile(r"<script\b[^<>]*>", re.IGNORECASE)


@given(st.text())
@example("<script>alert(1)</script>")
@example("&lt;script&gt;alert(1)&lt;/script&gt;")
@example("<p>a\x00b\x85c\r\nd\te</p>")
def test_any_text_converts_without_error_controls_or_script_tags(fragment: str) -> None:
    text = html_to_text(fragment)
    # An unclosed "<script" with no ">" is not markup and may stay as text; a tag may not.
    assert _SCRIPT_START_TAG.search(text) is None
    assert all(ch == "\n" or unicodedata.category(ch) != "Cc" for ch in text)


_PLAIN_CHAR = st.characters(
    exclude_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"),
    exclude_characters="<>&",
) | st.just(" ")


@given(st.text(alphabet=_PLAIN_CHAR))
@example("성남시는 \"청년\" '정책'을  발표했다 ")
def test_escaped_plain_text_comes_back_normalized(plain: str) -> None:
    # Printable text has no whitespace but the space: the only changes are NFC composition,
    # runs of spaces collapsed to one, and the ends trimmed.
    assert plain.isprintable()
    expected = re.sub(" +", " ", unicodedata.normalize("NFC", plain)).strip(" ")
    assert html_to_text(html.escape(plain)) == expected
