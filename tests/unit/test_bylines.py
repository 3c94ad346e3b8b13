"""strip_bylines: reporter bylines and photo credits cut from the front of a lead."""

from __future__ import annotations

import re

import pytest

from newsbot.text.bylines import CleanLead, strip_bylines
from tests.helpers import seed_text


def most_viewed_snippet(rank: int) -> str:
    """Item ``rank`` of the seed's "가장 많이 본 뉴스" list, headline and lead snippet."""
    for line in seed_text().splitlines():
        if match := re.match(rf"\s*{rank}\. (.*)", line):
            return match.group(1)
    raise AssertionError(f"the seed has no most-viewed item {rank}")


def lead_after(snippet: str, marker: str) -> str:
    """The snippet from ``marker`` on: where the lead starts once the headline is cut off."""
    assert marker in snippet
    return snippet[snippet.index(marker) :]


# --- the seed's real prefixes ------------------------------------------------------------


def test_seed_agency_byline_then_photo_credit_are_both_cut() -> None:
    lead = lead_after(most_viewed_snippet(3), "[뉴스21 통신=최세영 ]")
    assert lead.startswith("[뉴스21 통신=최세영 ]▲ 사진제공=중부소방서 ")

    cleaned = strip_bylines(lead)

    assert cleaned.reporter == "최세영"
    assert cleaned.text.startswith("드론전문의용소방대울산중부소방서 구조대와")
    assert "사진제공" not in cleaned.text


def test_seed_agency_byline_directly_before_the_text_is_cut() -> None:
    lead = lead_after(most_viewed_snippet(7), "[뉴스21 통신=추현욱 ]")

    cleaned = strip_bylines(lead)

    assert cleaned.reporter == "추현욱"
    assert cleaned.text.startswith("고양특례시 관내 도시철도 2개 노선이 12일")


def test_seed_byline_is_cut_but_a_credit_in_mid_text_is_left_alone() -> None:
    lead = lead_after(most_viewed_snippet(5), "[뉴스21 통신=최세영 ]")

    cleaned = strip_bylines(lead)

    assert cleaned.reporter == "최세영"
    assert cleaned.text.startswith("유홈(달동)")
    assert "▲ 조감도제공=울산광역시울산시가" in cleaned.text


def test_seed_column_label_is_not_a_byline() -> None:
    lead = lead_after(most_viewed_snippet(1), "【기자수첩】")

    assert strip_bylines(lead) == CleanLead(text=lead.strip(), reporter=None)


@pytest.mark.parametrize("rank", [2, 4, 6])
def test_seed_leads_without_a_byline_are_unchanged(rank: int) -> None:
    snippet = most_viewed_snippet(rank)

    assert strip_bylines(snippet) == CleanLead(text=snippet.strip(), reporter=None)


# --- the shapes Korean agencies use ------------------------------------------------------


def test_place_and_paper_in_parentheses_then_reporter() -> None:
    cleaned = strip_bylines("(성남=경기일보) 안남훈 기자 = 성남시는 WeGO 집행위원도시로 활동한다.")
    assert cleaned == CleanLead(text="성남시는 WeGO 집행위원도시로 활동한다.", reporter="안남훈")


def test_place_and_agency_in_brackets_then_reporter() -> None:
    cleaned = strip_bylines("[서울=뉴시스] 홍길동 기자 = 정부는 내년 예산안을 발표했다.")
    assert cleaned == CleanLead(text="정부는 내년 예산안을 발표했다.", reporter="홍길동")


def test_reporter_glued_to_the_bracket_and_to_the_equals_sign() -> None:
    cleaned = strip_bylines("[서울=뉴시스]홍길동기자=정부는 발표했다.")
    assert cleaned == CleanLead(text="정부는 발표했다.", reporter="홍길동")


def test_correspondent_byline_names_the_correspondent() -> None:
    cleaned = strip_bylines("(워싱턴=연합뉴스) 김철수 특파원 = 미국 정부는 발표했다.")
    assert cleaned == CleanLead(text="미국 정부는 발표했다.", reporter="김철수")


def test_place_and_agency_without_a_reporter_is_cut_without_a_name() -> None:
    assert strip_bylines("[서울=연합뉴스] 정부는 발표했다.") == CleanLead("정부는 발표했다.", None)


def test_full_width_brackets_are_a_byline_too() -> None:
    assert strip_bylines("【성남=경기일보】 성남시는 발표했다.") == CleanLead(
        "성남시는 발표했다.", None
    )


def test_photo_credit_on_its_own_line_is_cut() -> None:
    cleaned = strip_bylines("▲ 사진제공=중부소방서\n소방서는 캠페인을 마무리했다.")
    assert cleaned == CleanLead(text="소방서는 캠페인을 마무리했다.", reporter=None)


def test_photo_caption_line_ending_in_a_credit_is_cut() -> None:
    cleaned = strip_bylines("▲ 성남시청 전경. 사진=성남시\n성남시는 발표했다.")
    assert cleaned == CleanLead(text="성남시는 발표했다.", reporter=None)


def test_inline_photo_credit_is_cut() -> None:
    cleaned = strip_bylines("▲ 사진제공=중부소방서 소방서는 캠페인을 마무리했다.")
    assert cleaned == CleanLead(text="소방서는 캠페인을 마무리했다.", reporter=None)


def test_trailing_reporter_and_email_are_cut() -> None:
    cleaned = strip_bylines("성남시는 발표했다. 홍길동 기자 hong@example.kr")
    assert cleaned.text == "성남시는 발표했다."


def test_trailing_byline_names_the_reporter() -> None:
    cleaned = strip_bylines("성남시는 발표했다. 홍길동 기자 hong@example.kr")
    assert cleaned == CleanLead(text="성남시는 발표했다.", reporter="홍길동")


def test_trailing_email_alone_is_cut() -> None:
    assert strip_bylines("성남시는 발표했다.\nhong@example.kr").text == "성남시는 발표했다."


# --- text that only looks like a byline ----------------------------------------------------


@pytest.mark.parametrize(
    "lead",
    [
        "【기자수첩】보조금은 눈먼 돈이 아니다",
        "[기자수첩] 보조금은 눈먼 돈이 아니다",
        "[속보] 성남시, WeGO 집행위원도시 선정",
        "[인터뷰] 김철수 기자 = 이번 선정의 의미는",
        "▲ 정부 발표 내용\n성남시는 발표했다.",
        "성남시는 오늘 취재진과 기자들을 만났다.",
        "성남시는 2023년까지 활동한다.",
        "",
    ],
)
def test_text_without_a_byline_is_unchanged(lead: str) -> None:
    assert strip_bylines(lead) == CleanLead(text=lead, reporter=None)


@pytest.mark.parametrize(
    "lead",
    [
        "(성남=경기일보) 성남시는 기자간담회를 열고 발표했다.",
        "[서울=뉴시스] 대통령은 기자회견에서 밝혔다.",
    ],
)
def test_a_word_before_a_press_term_after_the_byline_is_not_a_reporter(lead: str) -> None:
    cleaned = strip_bylines(lead)
    assert cleaned.reporter is None
    assert cleaned.text == lead.split(" ", 1)[1]


def test_surrounding_whitespace_is_trimmed() -> None:
    assert strip_bylines("  \n(성남=경기일보) 안남훈 기자 = 본문  \n") == CleanLead(
        "본문", "안남훈"
    )
