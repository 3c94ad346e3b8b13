"""OPML feed lists as readers and CMSs write them: read whole or refused with every reason."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from newsbot.ingest.opml import OpmlError, OpmlFeed, read_opml, write_opml

CREATED = datetime(2026, 12, 6, 9, 30, tzinfo=UTC)


def opml(body: str, *, version: str = "2.0", head: str = "<head><title>t</title></head>") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<opml version="{version}" xmlns:newsbot="urn:newsbot:opml:1">{head}\n'
        f"<body>\n{body}\n</body></opml>"
    ).encode()


def problems_of(data: bytes) -> list[str]:
    with pytest.raises(OpmlError) as refused:
        read_opml(data)
    return [str(p) for p in refused.value.problems]


def test_a_feed_outline_gives_its_url_title_category_and_interval() -> None:
    feeds = read_opml(
        opml(
            '<outline type="rss" text="경제 뉴스" xmlUrl="https://news.example.kr/rss/econ.xml" '
            'category="경제" newsbot:interval="600"/>'
        )
    )

    assert feeds == [
        OpmlFeed(
            url="https://news.example.kr/rss/econ.xml",
            title="경제 뉴스",
            category="경제",
            interval=600,
            line=4,
        )
    ]


def test_a_folder_outline_is_the_category_of_the_feeds_in_it_that_name_none() -> None:
    feeds = read_opml(
        opml(
            '<outline text="지역">\n'
            '  <outline text="성남" xmlUrl="https://a.example.kr/rss"/>\n'
            '  <outline text="수원" xmlUrl="https://b.example.kr/rss" category="사회"/>\n'
            '  <outline text="하위 폴더">\n'
            '    <outline text="용인" xmlUrl="https://c.example.kr/rss"/>\n'
            "  </outline>\n"
            "</outline>\n"
            '<outline text="전체" xmlUrl="https://d.example.kr/rss"/>'
        )
    )

    assert [(f.url, f.category) for f in feeds] == [
        ("https://a.example.kr/rss", "지역"),
        ("https://b.example.kr/rss", "사회"),
        ("https://c.example.kr/rss", "하위 폴더"),
        ("https://d.example.kr/rss", None),
    ]


@pytest.mark.parametrize(
    ("category", "section"),
    [("/지역/성남", "성남"), ("경제,정치", "경제"), (" 스포츠 ", "스포츠"), ("/", None)],
)
def test_of_opml_categories_the_first_counts_and_of_a_path_its_last_part(
    category: str, section: str | None
) -> None:
    [feed] = read_opml(opml(f'<outline xmlUrl="https://a.example.kr/rss" category="{category}"/>'))

    assert feed.category == section


def test_opml_1_0_with_lower_case_attribute_names_is_read() -> None:
    [feed] = read_opml(
        opml('<outline title="피드" xmlurl="http://a.example.kr/rss" type="rss"/>', version="1.0")
    )

    assert (feed.url, feed.title, feed.interval) == ("http://a.example.kr/rss", "피드", None)


def test_a_korean_cms_export_in_euc_kr_is_read() -> None:
    data = (
        '<?xml version="1.0" encoding="EUC-KR"?>\n<opml version="1.0"><body>'
        '<outline text="경제 뉴스" xmlUrl="https://a.example.kr/rss" category="경제"/>'
        "</body></opml>"
    ).encode("euc-kr")

    [feed] = read_opml(data)

    assert (feed.title, feed.category) == ("경제 뉴스", "경제")


def test_malformed_xml_is_refused_with_its_line_and_column() -> None:
    data = opml('<outline text="a" xmlUrl="https://a.example.kr/rss">')  # closed by </body>

    assert problems_of(data) == ["line 5, column 3: not well-formed XML: mismatched tag"]


def test_every_bad_outline_is_named_and_none_of_the_file_is_returned() -> None:
    data = opml(
        '<outline text="좋은 피드" xmlUrl="https://a.example.kr/rss"/>\n'
        '<outline text="주소 없음" type="rss"/>\n'
        '<outline text="ftp" xmlUrl="ftp://a.example.kr/rss"/>\n'
        '<outline text="js" xmlUrl="javascript:alert(1)"/>\n'
        '<outline xmlUrl="https://b.example.kr/rss" newsbot:interval="5"/>'
    )

    assert problems_of(data) == [
        "line 5: outline '주소 없음' has no xmlUrl: a feed needs one",
        "line 6: xmlUrl 'ftp://a.example.kr/rss' is not an http(s) feed URL",
        "line 7: xmlUrl 'javascript:alert(1)' is not an http(s) feed URL",
        "line 8: newsbot:interval='5': expected whole seconds, from 10 to 604800",
    ]


def test_a_doctype_is_refused_so_no_entity_is_ever_expanded() -> None:
    bomb = (
        b'<?xml version="1.0"?>\n<!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
        b'<opml version="2.0"><body><outline text="&b;" xmlUrl="https://a.example.kr/"/>'
        b"</body></opml>"
    )

    [problem] = problems_of(bomb)

    assert "a DOCTYPE is not accepted in OPML" in problem


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'<rss version="2.0"><channel/></rss>', "line 1: the root is <rss>, not <opml>"),
        (b'<opml version="2.0"><head/></opml>', "line 1: the file has no <body>"),
        (b'<opml version="3.0"><body/></opml>', "line 1: OPML version 3.0 is not known"),
        (b"", "line 1, column 1: not well-formed XML: no element found"),
    ],
)
def test_what_is_not_an_opml_document_says_so(data: bytes, reason: str) -> None:
    assert problems_of(data) == [reason]


def test_an_empty_body_is_an_empty_list() -> None:
    assert read_opml(opml("")) == []


def test_the_written_document_is_opml_2_0_with_a_head_and_one_outline_per_feed() -> None:
    document = write_opml(
        [
            OpmlFeed("https://a.example.kr/rss?a=1&b=2", "경기 & 뉴스", "경제", 600),
            OpmlFeed("https://b.example.kr/rss", None, None, 300),
        ],
        title="newsbot feeds",
        created=CREATED,
    )

    assert document.decode() == (
        "<?xml version='1.0' encoding='utf-8'?>\n"
        '<opml version="2.0" xmlns:newsbot="urn:newsbot:opml:1">\n'
        "  <head>\n"
        "    <title>newsbot feeds</title>\n"
        "    <dateCreated>Sun, 06 Dec 2026 09:30:00 +0000</dateCreated>\n"
        "  </head>\n"
        "  <body>\n"
        '    <outline type="rss" text="경기 &amp; 뉴스" title="경기 &amp; 뉴스" '
        'xmlUrl="https://a.example.kr/rss?a=1&amp;b=2" category="경제" newsbot:interval="600" />\n'
        '    <outline type="rss" text="https://b.example.kr/rss" '
        'xmlUrl="https://b.example.kr/rss" newsbot:interval="300" />\n'
        "  </body>\n"
        "</opml>\n"
    )


def test_what_is_written_reads_back_the_same() -> None:
    feeds = [
        OpmlFeed("https://a.example.kr/rss?a=1&b=2", '경기 "따옴표" <뉴스>', "경제", 600),
        OpmlFeed("https://b.example.kr/rss", None, None, 300),
    ]

    read = read_opml(write_opml(feeds, title="t", created=CREATED))

    assert [(f.url, f.title, f.category, f.interval) for f in read] == [
        (f.url, f.title, f.category, f.interval) for f in feeds
    ]


# --- what a file may hold that no reader expects ----------------------------------------


@pytest.mark.parametrize("interval", ["²", "٣٠٠", "9" * 5000, "604801", "-600", "6e2"])
def test_an_interval_that_is_not_plain_seconds_in_range_is_a_problem_not_a_crash(
    interval: str,
) -> None:
    data = opml(f'<outline xmlUrl="https://a.example.kr/rss" newsbot:interval="{interval}"/>')

    [problem] = problems_of(data)

    assert problem.startswith("line 4: newsbot:interval=")
    assert problem.endswith("expected whole seconds, from 10 to 604800")


def test_outlines_nested_thousands_deep_are_read_like_any_folder() -> None:
    depth = 3000
    data = opml(
        '<outline text="지역">' * depth
        + '<outline xmlUrl="https://a.example.kr/rss"/>'
        + "</outline>" * depth
    )

    assert read_opml(data) == [OpmlFeed("https://a.example.kr/rss", None, "지역", None, line=4)]


def test_a_url_longer_than_the_store_keeps_is_a_problem_with_its_line() -> None:
    long_url = "https://a.example.kr/rss?q=" + "x" * 2000

    assert problems_of(opml(f'<outline xmlUrl="{long_url}"/>')) == [
        "line 4: xmlUrl is longer than 2000 characters"
    ]


def test_control_characters_in_a_stored_title_are_left_out_so_the_export_reads_back() -> None:
    feeds = [OpmlFeed("https://a.example.kr/rss", "경기\x0b뉴스\x00\x1f", "경\x08제", 600)]

    read = read_opml(write_opml(feeds, title="newsbot\x01 feeds", created=CREATED))

    assert [(f.url, f.title, f.category, f.interval) for f in read] == [
        ("https://a.example.kr/rss", "경기뉴스", "경제", 600)
    ]


def test_an_interval_the_import_would_refuse_is_left_out_of_the_export() -> None:
    feeds = [OpmlFeed("https://a.example.kr/rss", None, None, 1)]  # NEWSBOT_FEED_DEFAULT_INTERVAL=1

    [read] = read_opml(write_opml(feeds, title="t", created=CREATED))

    assert read.interval is None  # the importing store's default applies
