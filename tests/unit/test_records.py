"""record_to_draft (the CMS NDJSON schema) and detect_format (which reader a file needs)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from newsbot.errors import InputError
from newsbot.ingest.importer import Format, detect_format
from newsbot.ingest.records import record_to_draft
from newsbot.store.models import DateSource

SEOUL = ZoneInfo("Asia/Seoul")
KST = timezone(timedelta(hours=9))


def record(**fields: Any) -> dict[str, Any]:
    """The smallest valid record, with ``fields`` added or replaced (None removes a field)."""
    base: dict[str, Any] = {
        "url": "https://www.kyeonggi.com/news/articleView.html?idxno=1001",
        "title": "성남시, WeGO 집행위원도시 선정…2023년까지 활동",
        "published_at": "2021-10-20T12:26:50+09:00",
    }
    base.update(fields)
    return {key: value for key, value in base.items() if value is not None}


# --- record_to_draft -----------------------------------------------------------------------


def test_a_full_record_becomes_a_draft() -> None:
    raw = record(
        url="https://WWW.kyeonggi.com/news/articleView.html?idxno=1001&utm_source=cms",
        guid="gn-2021-1001",
        lead="성남시는 2023년 말까지 WeGO 집행위원도시로 활동한다.",
        body="시는 지난 10월 18일 선정됐다고 밝혔다.",
        author="안남훈",
        section="행정",
        image_url="https://www.kyeonggi.com/photo/1001.jpg",
        updated_at="2021-10-20T14:00:00+09:00",
        is_breaking=True,
        source="kyeonggi",
        unknown_field="ignored",
    )

    draft, assumed_zone = record_to_draft(raw, zone=SEOUL)

    assert assumed_zone is False
    assert draft.source == "kyeonggi"
    assert draft.guid == "gn-2021-1001"
    assert draft.url == "https://www.kyeonggi.com/news/articleView.html?idxno=1001"
    assert draft.title == "성남시, WeGO 집행위원도시 선정…2023년까지 활동"
    assert draft.lead == "성남시는 2023년 말까지 WeGO 집행위원도시로 활동한다."
    assert draft.body == "시는 지난 10월 18일 선정됐다고 밝혔다."
    assert draft.author == "안남훈"
    assert draft.section == "행정"
    assert draft.image_url == "https://www.kyeonggi.com/photo/1001.jpg"
    assert draft.published_at == datetime(2021, 10, 20, 3, 26, 50, tzinfo=UTC)
    assert draft.updated_at == datetime(2021, 10, 20, 5, 0, tzinfo=UTC)
    assert draft.date_source is DateSource.ITEM
    assert draft.is_breaking is True


def test_a_minimal_record_gets_the_defaults() -> None:
    draft, assumed_zone = record_to_draft(record(), zone=SEOUL)

    assert assumed_zone is False
    assert draft.source == "cms"
    assert (draft.guid, draft.author, draft.section, draft.image_url) == (None, None, None, None)
    assert (draft.lead, draft.body) == ("", "")
    assert draft.updated_at is None
    assert draft.is_breaking is False


@pytest.mark.parametrize("field", ["url", "title", "published_at"])
def test_a_missing_required_field_is_an_input_error_naming_it(field: str) -> None:
    with pytest.raises(InputError, match=rf"^{field}: Field required"):
        record_to_draft(record(**{field: None}), zone=SEOUL)


@pytest.mark.parametrize("title", ["", "   ", "<b></b>", "<script>x</script>"])
def test_a_title_empty_once_markup_is_gone_is_an_input_error(title: str) -> None:
    with pytest.raises(InputError, match=r"^title: "):
        record_to_draft(record(title=title), zone=SEOUL)


def test_an_unreadable_date_is_an_input_error_naming_the_field() -> None:
    with pytest.raises(InputError, match=r"^published_at: "):
        record_to_draft(record(published_at="어제 오후 3시"), zone=SEOUL)


@pytest.mark.parametrize("url", ["/news/articleView.html?idxno=1001", "ftp://x.kr/1"])
def test_a_url_that_is_not_absolute_http_is_an_input_error(url: str) -> None:
    with pytest.raises(InputError, match="not an absolute http"):
        record_to_draft(record(url=url), zone=SEOUL)


@pytest.mark.parametrize(
    ("value", "kind"), [([], "list"), ("기사", "str"), (42, "int"), (None, "NoneType")]
)
def test_a_json_value_that_is_not_an_object_is_an_input_error(value: object, kind: str) -> None:
    with pytest.raises(InputError, match=f"^expected a JSON object, got {kind}$"):
        record_to_draft(value, zone=SEOUL)


def test_a_date_without_offset_is_read_in_the_given_zone_and_flagged() -> None:
    draft, assumed_zone = record_to_draft(record(published_at="2026-11-10T09:12:00"), zone=SEOUL)
    assert assumed_zone is True
    assert draft.published_at == datetime(2026, 11, 10, 9, 12, tzinfo=KST)
    assert draft.published_at.utcoffset() == timedelta(hours=9)


def test_an_update_time_without_offset_is_flagged_too() -> None:
    draft, assumed_zone = record_to_draft(
        record(updated_at="2021-10-20 14:00:00"), zone=ZoneInfo("UTC")
    )
    assert assumed_zone is True
    assert draft.updated_at == datetime(2021, 10, 20, 14, 0, tzinfo=UTC)


def test_an_update_at_the_same_moment_as_publication_is_no_update() -> None:
    draft, _ = record_to_draft(record(updated_at="2021-10-20T03:26:50Z"), zone=SEOUL)
    assert draft.updated_at is None


def test_html_in_title_lead_and_body_is_reduced_to_text() -> None:
    draft, _ = record_to_draft(
        record(
            title="<b>성남시</b>, WeGO&nbsp;선정",
            lead="<p>성남시는 &lt;청년 정책 토론회&gt;를 연다.</p><script>track()</script>",
            body="<p>첫 문단</p><p>둘째 &amp; 셋째</p>",
        ),
        zone=SEOUL,
    )
    assert draft.title == "성남시, WeGO 선정"
    assert draft.lead == "성남시는 <청년 정책 토론회>를 연다."
    assert draft.body == "첫 문단\n\n둘째 & 셋째"


def test_a_lead_byline_is_cut_and_gives_the_author() -> None:
    draft, _ = record_to_draft(
        record(lead="(성남=경기일보) 안남훈 기자 = 성남시는 WeGO 집행위원도시로 활동한다."),
        zone=SEOUL,
    )
    assert draft.lead == "성남시는 WeGO 집행위원도시로 활동한다."
    assert draft.author == "안남훈"


def test_the_author_field_beats_the_lead_byline() -> None:
    draft, _ = record_to_draft(
        record(author="홍길동", lead="[서울=뉴시스] 김철수 기자 = 본문"), zone=SEOUL
    )
    assert (draft.author, draft.lead) == ("홍길동", "본문")


@pytest.mark.parametrize(("guid", "expected"), [(1001, "1001"), ("gn-1001", "gn-1001")])
def test_a_guid_may_be_a_number_or_text(guid: object, expected: str) -> None:
    draft, _ = record_to_draft(record(guid=guid), zone=SEOUL)
    assert draft.guid == expected


def test_surrounding_whitespace_in_text_fields_is_trimmed() -> None:
    draft, _ = record_to_draft(record(section="  행정 ", author=" 안남훈\n"), zone=SEOUL)
    assert (draft.section, draft.author) == ("행정", "안남훈")


def test_a_record_read_from_ndjson_text_becomes_a_draft() -> None:
    line = (
        '{"url": "https://www.kyeonggi.com/news/articleView.html?idxno=1001", '
        '"title": "성남시, WeGO 집행위원도시 선정", "published_at": "2021-10-20T12:26:50+09:00", '
        '"guid": 1001}'
    )
    draft, _ = record_to_draft(json.loads(line), zone=SEOUL)
    assert draft.guid == "1001"


# --- detect_format -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("export.ndjson", Format.NDJSON),
        ("export.jsonl", Format.NDJSON),
        ("EXPORT.JSONL", Format.NDJSON),
        ("feed.xml", Format.RSS),
        ("feed.rss", Format.RSS),
        ("feed.rdf", Format.RSS),
        ("feed.atom", Format.ATOM),
    ],
)
def test_the_file_suffix_decides_when_it_is_specific(name: str, expected: Format) -> None:
    assert detect_format(Path(name), b"whatever the content") == expected


@pytest.mark.parametrize(
    "head",
    [
        b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0">',
        b"\xef\xbb\xbf\n  <feed xmlns='http://www.w3.org/2005/Atom'>",
        b"<rdf:RDF>",
    ],
)
def test_content_starting_with_an_angle_bracket_is_a_feed(head: bytes) -> None:
    assert detect_format(Path("download"), head) == Format.RSS


def test_content_starting_with_a_square_bracket_is_a_json_array() -> None:
    assert detect_format(Path("export.json"), b'\n[{"url": "https://x.kr/1"}]') == Format.JSON


def test_one_object_per_line_is_ndjson_whatever_the_suffix() -> None:
    head = b'{"url": "https://x.kr/1", "title": "a"}\n{"url": "https://x.kr/2", "title": "b"}\n'
    assert detect_format(Path("export.json"), head) == Format.NDJSON
    assert detect_format(Path("export"), head) == Format.NDJSON


def test_a_pretty_printed_object_is_json() -> None:
    head = json.dumps({"articles": [{"url": "https://x.kr/1"}]}, indent=2).encode()
    assert detect_format(Path("export"), head) == Format.JSON


def test_an_empty_json_file_is_json_by_its_suffix() -> None:
    assert detect_format(Path("export.json"), b"") == Format.JSON


def test_an_unknown_suffix_and_content_is_an_input_error_suggesting_format() -> None:
    with pytest.raises(InputError, match="use --format"):
        detect_format(Path("export.txt"), b"url,title\n")


def test_a_minified_articles_document_is_json() -> None:
    head = json.dumps({"articles": [{"url": "https://x.kr/1", "title": "a"}]}).encode()
    assert detect_format(Path("export.json"), head) == Format.JSON


def test_ndjson_with_a_long_first_record_is_ndjson() -> None:
    line = json.dumps({"url": "https://x.kr/1", "title": "a", "body": "본문 " * 2000}) + "\n"
    content = (line * 3).encode()
    head = content[:4096]  # what the importer reads before deciding
    assert detect_format(Path("export.json"), head) == Format.NDJSON
