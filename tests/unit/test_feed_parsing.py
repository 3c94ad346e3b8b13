"""parse_feed: RSS 2.0, RSS 1.0 and Atom bytes to article drafts, problems and notes."""

from __future__ import annotations

import codecs
import re
from datetime import UTC, datetime
from xml.sax.saxutils import escape

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from newsbot.errors import InputError
from newsbot.ingest.charset import decode_feed
from newsbot.ingest.drafts import Batch
from newsbot.ingest.feeds import parse_feed
from newsbot.store.models import DateSource
from tests.helpers import seed_text

FETCHED = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
FEED_URL = "https://www.kyeonggi.com/rss/allArticle.xml"


def parse(document: str | bytes, *, section: str | None = None) -> Batch:
    data = document.encode("utf-8") if isinstance(document, str) else document
    return parse_feed(data, feed_url=FEED_URL, section=section, fetched_at=FETCHED)


def rss(*items: str, channel: str = "<link>https://www.kyeonggi.com/</link>") -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<channel><title>경기일보</title>{channel}{''.join(items)}</channel></rss>"
    )


def item(
    *, title: str = "성남시, WeGO 집행위원도시 선정", link: str | None = None, extra: str = ""
) -> str:
    link = "https://www.kyeonggi.com/news/articleView.html?idxno=1001" if link is None else link
    link_element = f"<link>{escape(link)}</link>" if link else ""
    return f"<item><title>{escape(title)}</title>{link_element}{extra}</item>"


DATED = "<pubDate>Wed, 20 Oct 2021 12:26:50 +0900</pubDate>"


# --- RSS 2.0 -------------------------------------------------------------------------------


def test_rss2_item_becomes_a_clean_draft() -> None:
    description = escape(
        "<p>(성남=경기일보) 안남훈 기자 = 성남시는 <b>2023년</b>까지 &amp; 활동한다.</p>"
    )
    batch = parse(
        rss(
            item(
                link="HTTPS://WWW.Kyeonggi.com/news/articleView.html?idxno=1001&utm_source=rss#c",
                extra=f'<guid isPermaLink="false">gn-2021-1001</guid>'
                f"<description>{description}</description>"
                f"<category>행정</category>{DATED}",
            )
        )
    )

    assert batch.problems == []
    assert batch.notes == []
    [draft] = batch.drafts
    assert draft.title == "성남시, WeGO 집행위원도시 선정"
    assert draft.url == "https://www.kyeonggi.com/news/articleView.html?idxno=1001"
    assert draft.source == "www.kyeonggi.com"
    assert draft.guid == "gn-2021-1001"
    assert draft.lead == "성남시는 2023년까지 & 활동한다."
    assert draft.author == "안남훈"
    assert draft.section == "행정"
    assert draft.published_at == datetime(2021, 10, 20, 3, 26, 50, tzinfo=UTC)
    assert draft.published_at.tzinfo is UTC
    assert draft.date_source is DateSource.ITEM
    assert draft.is_breaking is False


def test_rss2_lead_from_the_seed_loses_its_agency_byline_and_photo_credit() -> None:
    match = re.search(r"3\. .*?(\[뉴스21 통신=최세영 \].*)", seed_text())
    assert match is not None
    batch = parse(rss(item(extra=f"<description>{escape(match.group(1))}</description>{DATED}")))

    [draft] = batch.drafts
    assert draft.author == "최세영"
    assert draft.lead.startswith("드론전문의용소방대울산중부소방서 구조대와")
    assert "뉴스21" not in draft.lead
    assert "사진제공" not in draft.lead


def test_rss2_author_element_beats_the_byline() -> None:
    extra = "<author>홍길동</author><description>[서울=뉴시스] 김철수 기자 = 본문</description>"
    [draft] = parse(rss(item(extra=extra + DATED))).drafts
    assert draft.author == "홍길동"
    assert draft.lead == "본문"


def test_rss2_dc_creator_is_the_author() -> None:
    [draft] = parse(rss(item(extra="<dc:creator>안남훈</dc:creator>" + DATED))).drafts
    assert draft.author == "안남훈"


def test_rss2_author_in_email_and_name_form_gives_the_name() -> None:
    [draft] = parse(rss(item(extra="<author>hong@example.kr (홍길동)</author>" + DATED))).drafts
    assert draft.author == "홍길동"


def test_section_argument_beats_the_category() -> None:
    [draft] = parse(rss(item(extra="<category>행정</category>" + DATED)), section="지역").drafts
    assert draft.section == "지역"


def test_without_category_or_section_argument_there_is_no_section() -> None:
    [draft] = parse(rss(item(extra=DATED))).drafts
    assert draft.section is None


def test_description_html_becomes_paragraphs_of_plain_text() -> None:
    description = escape("<p>첫 문단</p><script>track()</script><p>둘째 문단</p>")
    [draft] = parse(rss(item(extra=f"<description>{description}</description>{DATED}"))).drafts
    assert draft.lead == "첫 문단\n\n둘째 문단"


def test_an_image_enclosure_is_the_image() -> None:
    enclosure = '<enclosure url="https://www.kyeonggi.com/photo/1001.jpg" type="image/jpeg" />'
    [draft] = parse(rss(item(extra=enclosure + DATED))).drafts
    assert draft.image_url == "https://www.kyeonggi.com/photo/1001.jpg"


def test_an_audio_enclosure_is_not_an_image() -> None:
    enclosure = '<enclosure url="https://www.kyeonggi.com/a.mp3" type="audio/mpeg" />'
    [draft] = parse(rss(item(extra=enclosure + DATED))).drafts
    assert draft.image_url is None


@pytest.mark.parametrize("marker", ["[속보]", "[긴급]", "<속보>", "【속보】", "속보:"])
def test_breaking_markers_at_the_start_of_the_title_set_is_breaking(marker: str) -> None:
    [draft] = parse(rss(item(title=f"{marker} 성남시 정전", extra=DATED))).drafts
    assert draft.is_breaking is True
    assert draft.title == f"{marker} 성남시 정전"


def test_a_breaking_marker_inside_the_title_does_not_count() -> None:
    [draft] = parse(rss(item(title="어제의 [속보] 다시 보기", extra=DATED))).drafts
    assert draft.is_breaking is False


def test_html_in_a_title_is_reduced_to_one_line() -> None:
    [draft] = parse(rss(item(title="<b>성남시</b>,\n WeGO 선정", extra=DATED))).drafts
    assert draft.title == "성남시, WeGO 선정"


# --- RSS 1.0 -------------------------------------------------------------------------------

RDF = """<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://news21.example.kr/">
    <title>뉴스21</title><link>https://news21.example.kr/</link><description>지역</description>
  </channel>
  <item rdf:about="https://news21.example.kr/news/articleView.html?idxno=7">
    <title>이동환 고양시장, 도시철도망 확정 환영</title>
    <link>https://news21.example.kr/news/articleView.html?idxno=7&amp;fbclid=x</link>
    <description>[뉴스21 통신=추현욱 ]고양특례시 관내 도시철도 2개 노선이 반영됐다.</description>
    <dc:date>2026-11-10T09:12:00+09:00</dc:date>
    <dc:subject>교통</dc:subject>
  </item>
</rdf:RDF>"""


def test_rss1_item_becomes_a_clean_draft() -> None:
    batch = parse(RDF)

    assert batch.problems == []
    [draft] = batch.drafts
    assert draft.title == "이동환 고양시장, 도시철도망 확정 환영"
    assert draft.url == "https://news21.example.kr/news/articleView.html?idxno=7"
    assert draft.source == "news21.example.kr"
    assert draft.lead == "고양특례시 관내 도시철도 2개 노선이 반영됐다."
    assert draft.author == "추현욱"
    assert draft.section == "교통"
    assert draft.published_at == datetime(2026, 11, 10, 0, 12, tzinfo=UTC)
    assert draft.date_source is DateSource.ITEM


def test_rss1_dc_creator_is_the_author() -> None:
    document = RDF.replace("<dc:subject>", "<dc:creator>최세영</dc:creator><dc:subject>")
    [draft] = parse(document).drafts
    assert draft.author == "최세영"


# --- Atom 1.0 ------------------------------------------------------------------------------

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>고양시</title><id>urn:goyang:news</id>
  <link href="https://goyang.example.kr/"/>
  <updated>2026-11-10T00:00:00Z</updated>
  <entry>
    <title type="html">이동환 고양시장 &lt;b&gt;환영&lt;/b&gt;</title>
    <link href="https://goyang.example.kr/news/7?utm_medium=atom"/>
    <id>tag:goyang.example.kr,2026:7</id>
    <author><name>추현욱</name></author>
    <published>2026-11-10T09:12:00+09:00</published>
    <updated>2026-11-10T10:00:00+09:00</updated>
    <category term="교통"/>
    <summary type="html">&lt;p&gt;고양특례시 관내 도시철도 2개 노선&lt;/p&gt;</summary>
    <content type="html">&lt;p&gt;본문 첫 문단&lt;/p&gt;&lt;p&gt;둘째 문단&lt;/p&gt;</content>
  </entry>
</feed>"""


def test_atom_entry_becomes_a_clean_draft() -> None:
    batch = parse(ATOM)

    assert batch.problems == []
    assert batch.notes == []
    [draft] = batch.drafts
    assert draft.title == "이동환 고양시장 환영"
    assert draft.url == "https://goyang.example.kr/news/7"
    assert draft.guid == "tag:goyang.example.kr,2026:7"
    assert draft.author == "추현욱"
    assert draft.section == "교통"
    assert draft.lead == "고양특례시 관내 도시철도 2개 노선"
    assert draft.body == "본문 첫 문단\n\n둘째 문단"
    assert draft.published_at == datetime(2026, 11, 10, 0, 12, tzinfo=UTC)
    assert draft.updated_at == datetime(2026, 11, 10, 1, 0, tzinfo=UTC)
    assert draft.published_at.tzinfo is UTC
    assert draft.date_source is DateSource.ITEM


def test_atom_entry_with_only_updated_is_published_then() -> None:
    document = ATOM.replace("<published>2026-11-10T09:12:00+09:00</published>", "")
    [draft] = parse(document).drafts
    assert draft.published_at == datetime(2026, 11, 10, 1, 0, tzinfo=UTC)
    assert draft.updated_at is None
    assert draft.date_source is DateSource.ITEM


def test_atom_entry_without_a_link_uses_an_http_id() -> None:
    document = ATOM.replace('<link href="https://goyang.example.kr/news/7?utm_medium=atom"/>', "")
    document = document.replace("tag:goyang.example.kr,2026:7", "https://goyang.example.kr/news/7")
    [draft] = parse(document).drafts
    assert draft.url == "https://goyang.example.kr/news/7"


def test_a_body_equal_to_the_lead_is_not_kept_twice() -> None:
    summary = "&lt;p&gt;고양특례시 관내 도시철도 2개 노선&lt;/p&gt;"
    document = re.sub(r"<content .*?</content>", f'<content type="html">{summary}</content>', ATOM)
    [draft] = parse(document).drafts
    assert draft.lead == "고양특례시 관내 도시철도 2개 노선"
    assert draft.body == ""


def test_an_atom_entry_without_dates_gets_the_feed_updated_date() -> None:
    document = ATOM.replace("<published>2026-11-10T09:12:00+09:00</published>", "").replace(
        "<updated>2026-11-10T10:00:00+09:00</updated>", ""
    )
    batch = parse(document)
    [draft] = batch.drafts
    assert draft.published_at == datetime(2026, 11, 10, 0, 0, tzinfo=UTC)
    assert draft.date_source is DateSource.FEED
    assert batch.notes == ["1 item(s) had no date: used the feed's"]


# --- dates ---------------------------------------------------------------------------------


def test_an_item_without_a_date_gets_the_feed_date_and_a_note() -> None:
    channel = (
        "<link>https://www.kyeonggi.com/</link>"
        "<lastBuildDate>Mon, 10 Nov 2026 10:00:00 +0900</lastBuildDate>"
    )
    batch = parse(rss(item(), channel=channel))

    [draft] = batch.drafts
    assert draft.published_at == datetime(2026, 11, 10, 1, 0, tzinfo=UTC)
    assert draft.date_source is DateSource.FEED
    assert batch.notes == ["1 item(s) had no date: used the feed's"]


def test_an_item_without_a_date_in_a_dateless_feed_gets_the_fetch_time_and_a_note() -> None:
    batch = parse(rss(item(), item(link="https://www.kyeonggi.com/a?idxno=2", extra=DATED)))

    undated, dated = batch.drafts
    assert undated.published_at == FETCHED
    assert undated.date_source is DateSource.FETCHED
    assert dated.date_source is DateSource.ITEM
    assert batch.notes == ["1 item(s) had no date: used the fetch time"]


def test_an_unreadable_date_counts_as_no_date() -> None:
    batch = parse(rss(item(extra="<pubDate>어제 오후</pubDate>")))
    [draft] = batch.drafts
    assert draft.date_source is DateSource.FETCHED
    assert batch.notes == ["1 item(s) had no date: used the fetch time"]


@pytest.mark.parametrize("written", ["2026-11-10 09:00:00", "Mon, 10 Nov 2026 09:00:00 KST"])
def test_a_korean_feed_date_without_an_offset_is_not_read_as_utc(written: str) -> None:
    [draft] = parse(rss(item(extra=f"<pubDate>{written}</pubDate>"))).drafts
    assert draft.published_at == datetime(2026, 11, 10, 0, 0, tzinfo=UTC)  # 09:00 in Seoul


# --- broken items, broken documents --------------------------------------------------------


def test_an_item_without_a_title_is_a_problem_and_the_others_are_kept() -> None:
    batch = parse(
        rss(
            item(extra=DATED),
            item(title="", link="https://www.kyeonggi.com/a?idxno=2", extra=DATED),
            item(title="셋째", link="https://www.kyeonggi.com/a?idxno=3", extra=DATED),
        )
    )

    assert [d.title for d in batch.drafts] == ["성남시, WeGO 집행위원도시 선정", "셋째"]
    [problem] = batch.problems
    assert problem.where == "item 2 (https://www.kyeonggi.com/a?idxno=2)"
    assert problem.reason == "no title"
    assert str(problem) == "item 2 (https://www.kyeonggi.com/a?idxno=2): no title"


def test_an_item_without_a_link_is_a_problem_named_by_its_guid() -> None:
    guid = '<guid isPermaLink="false">gn-2</guid>'
    batch = parse(rss(item(link="", extra=guid + DATED), item(title="둘째", extra=DATED)))

    assert [d.title for d in batch.drafts] == ["둘째"]
    [problem] = batch.problems
    assert problem.where == "item 1 (gn-2)"
    assert problem.reason == "no link"


def test_an_item_with_an_unusable_link_is_a_problem() -> None:
    batch = parse(rss(item(link="ftp://www.kyeonggi.com/1", extra=DATED), item(extra=DATED)))
    assert len(batch.drafts) == 1
    [problem] = batch.problems
    assert problem.where == "item 1 (ftp://www.kyeonggi.com/1)"
    assert "not an absolute http(s) URL" in problem.reason


def test_a_relative_link_without_a_channel_link_is_resolved_against_the_feed_url() -> None:
    batch = parse(rss(item(link="/news/articleView.html?idxno=9", extra=DATED), channel=""))
    [draft] = batch.drafts
    assert draft.url == "https://www.kyeonggi.com/news/articleView.html?idxno=9"


def test_a_relative_link_is_resolved_against_the_channel_link() -> None:
    channel = "<link>https://news.example.kr/news/</link>"
    batch = parse_feed(
        rss(item(link="articleView.html?idxno=9", extra=DATED), channel=channel).encode(),
        feed_url="https://rss.example-cdn.kr/feeds/news.xml",
        fetched_at=FETCHED,
    )
    [draft] = batch.drafts
    assert draft.url == "https://news.example.kr/news/articleView.html?idxno=9"


@pytest.mark.parametrize(
    "document",
    [
        b"<html><head><title>Not found</title></head><body><p>404</p></body></html>",
        "그냥 텍스트입니다".encode(),
        b'{"articles": []}',
        b"<",
        b"\x00\x01\x02",
    ],
)
def test_a_document_that_is_not_a_feed_is_an_input_error(document: bytes) -> None:
    with pytest.raises(InputError, match="not a usable feed"):
        parse(document)


@pytest.mark.parametrize("document", [b"", codecs.BOM_UTF8, codecs.BOM_UTF16_LE])
def test_an_empty_document_is_an_input_error(document: bytes) -> None:
    with pytest.raises(InputError):
        parse(document)


def test_a_well_formed_feed_with_no_items_is_an_empty_batch() -> None:
    assert parse(rss()) == Batch()


def test_a_feed_that_is_not_well_formed_but_has_items_is_read_with_a_note() -> None:
    cut_off = rss(
        item(extra=DATED),
        item(title="둘째", link="https://www.kyeonggi.com/a?idxno=2", extra=DATED),
    ).removesuffix("</channel></rss>")

    batch = parse(cut_off)

    assert [d.title for d in batch.drafts] == ["성남시, WeGO 집행위원도시 선정", "둘째"]
    assert len(batch.notes) == 1
    assert batch.notes[0].startswith("feed is not well-formed, read leniently:")


def test_a_bare_ampersand_is_kept_and_the_feed_read_normally() -> None:
    document = rss(item(extra=DATED)).replace(
        escape("성남시, WeGO 집행위원도시 선정"), "손&발 맞춘 성남시"
    )
    batch = parse(document)
    assert [d.title for d in batch.drafts] == ["손&발 맞춘 성남시"]
    assert batch.notes == []


@pytest.mark.parametrize("title", ["R&D 예산 확대", "[Q&A] 청년 월세 지원"])
def test_a_bare_ampersand_before_latin_letters_is_kept_as_written(title: str) -> None:
    document = rss(item(extra=DATED)).replace(escape("성남시, WeGO 집행위원도시 선정"), title)
    [draft] = parse(document).drafts
    assert draft.title == title


def test_an_euc_kr_feed_is_read_as_korean() -> None:
    document = rss(item(extra=DATED)).replace('encoding="utf-8"', 'encoding="euc-kr"')
    [draft] = parse(document.encode("cp949")).drafts
    assert draft.title == "성남시, WeGO 집행위원도시 선정"


# --- properties ----------------------------------------------------------------------------

_NOT_XML_10 = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@given(st.binary())
@example(b"<rss version='2.0'><channel><item><title>a</title></item>")
@example(b"\xef\xbb\xbf<feed xmlns='http://www.w3.org/2005/Atom'><entry/></feed>")
def test_arbitrary_bytes_give_a_batch_or_an_input_error(data: bytes) -> None:
    # Documents that decode to nothing at all are the xfail test_an_empty_document_... above.
    assume(decode_feed(data).text)
    try:
        batch = parse(data)
    except InputError:
        return
    assert isinstance(batch, Batch)


@given(st.text(), st.text())
@example("", "")
@example("<script>alert(1)</script>", "&lt;b&gt;]]>")
@example("[속보] \x00\ud800\ufffe", "(성남=경기일보) 안남훈 기자 = ")
def test_rss_with_any_title_and_description_gives_a_draft_or_a_problem(
    title: str, description: str
) -> None:
    item_xml = (
        f"<item><title>{escape(_NOT_XML_10.sub('', title))}</title>"
        "<link>https://www.kyeonggi.com/news/articleView.html?idxno=1001</link>"
        f"<description>{escape(_NOT_XML_10.sub('', description))}</description>{DATED}</item>"
    )
    try:
        batch = parse(rss(item_xml))
    except InputError:
        return
    assert len(batch.drafts) + len(batch.problems) == 1
    for draft in batch.drafts:
        assert draft.title
        assert "\n" not in draft.title
        assert draft.url == "https://www.kyeonggi.com/news/articleView.html?idxno=1001"
