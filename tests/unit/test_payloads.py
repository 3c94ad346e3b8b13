"""How a CMS body becomes records: one object, an array, or NDJSON for articles; NDJSON, an
array or CSV for view counts. A bad line is a Problem in its place; a body that is not
JSON at all is one InputError."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from newsbot.errors import InputError
from newsbot.ingest.drafts import Problem
from newsbot.ingest.payloads import Record, body_records, table_records

ONE = b'{"url": "https://x.kr/1", "title": "t"}'


def test_one_object_is_one_record() -> None:
    assert body_records(ONE) == [("record 1", {"url": "https://x.kr/1", "title": "t"})]


def test_a_pretty_printed_object_is_still_one_record() -> None:
    assert body_records(b'{\n  "url": "https://x.kr/1",\n  "title": "t"\n}\n') == [
        ("record 1", {"url": "https://x.kr/1", "title": "t"})
    ]


@pytest.mark.parametrize("body", [b"[" + ONE + b", 5]", b'{"articles": [' + ONE + b", 5]}"])
def test_an_array_or_the_export_wrapper_is_one_record_per_item(body: bytes) -> None:
    assert body_records(body) == [
        ("record 1", {"url": "https://x.kr/1", "title": "t"}),
        ("record 2", 5),
    ]


def test_ndjson_keeps_line_numbers_past_blank_lines_and_marks_bad_lines() -> None:
    records = body_records(b"\xef\xbb\xbf" + ONE + b"\n\n{oops\r\n" + ONE + b"\n")

    assert [where for where, _ in records] == ["line 1", "line 3", "line 4"]
    assert records[1][1] == Problem(
        "line 3", "not JSON: Expecting property name enclosed in double quotes at column 2"
    )


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"", "the body is empty"),
        (b" \r\n", "the body is empty"),
        (b"<rss/>", "the body is not JSON: Expecting value at line 1 column 1"),
        (b"[" + ONE, "the body is not JSON: Expecting ',' delimiter at line 1 column 41"),
        (b"\xff\xfe{}", "the body is not UTF-8 text"),
        (b"42", "expected a JSON array of articles"),
    ],
)
def test_a_body_that_is_not_json_or_ndjson_at_all_is_refused_whole(body: bytes, says: str) -> None:
    with pytest.raises(InputError, match=says):
        body_records(body)


def test_view_counts_come_as_csv_with_csv_line_numbers() -> None:
    records = table_records(b'url,date,views\nhttps://x.kr/1,2026-11-23,"1,200"\n')

    assert records == [
        ("line 2", {"url": "https://x.kr/1", "date": "2026-11-23", "views": "1,200"})
    ]


def test_view_counts_come_as_ndjson_or_an_array() -> None:
    row = b'{"guid": "g1", "date": "2026-11-23", "views": 3}'

    assert table_records(row + b"\n" + row) == [
        ("line 1", {"guid": "g1", "date": "2026-11-23", "views": 3}),
        ("line 2", {"guid": "g1", "date": "2026-11-23", "views": 3}),
    ]
    assert table_records(b"[" + row + b"]") == [
        ("record 1", {"guid": "g1", "date": "2026-11-23", "views": 3})
    ]


def test_a_table_without_a_views_column_is_refused_whole() -> None:
    with pytest.raises(InputError, match="expected a CSV header with url or guid, date, views"):
        table_records(b"url,date\nhttps://x.kr/1,2026-11-23\n")


# --- what the readers cannot take: a refusal with a reason, never a traceback -------------

DEEP = b"[" * 100_000 + b"]" * 100_000  # deeper than Python's recursion limit


@pytest.mark.parametrize("decode", [body_records, table_records])
def test_json_nested_deeper_than_python_can_read_is_refused_whole(
    decode: Callable[[bytes], list[Record]],
) -> None:
    with pytest.raises(InputError, match="the body: JSON nested too deeply"):
        decode(DEEP)


def test_an_object_hiding_deep_nesting_is_refused_whole_too() -> None:
    with pytest.raises(InputError, match="nested too deeply"):
        body_records(b'{"title": ' + DEEP + b"}")


def test_one_ndjson_line_nested_too_deeply_is_rejected_alone() -> None:
    records = body_records(ONE + b"\n" + b'{"title": ' + DEEP + b"}\n" + ONE + b"\n")

    assert records == [
        ("line 1", {"url": "https://x.kr/1", "title": "t"}),
        ("line 2", Problem("line 2", "JSON nested too deeply")),
        ("line 3", {"url": "https://x.kr/1", "title": "t"}),
    ]


def test_a_csv_field_over_the_csv_readers_limit_refuses_the_table_saying_where() -> None:
    table = b"url,date,views\nhttps://x.kr/1,2026-11-23,5\n" + b"x" * 200_000 + b",2026-11-23,5\n"

    with pytest.raises(InputError, match="the body: not CSV at line 3: field larger than"):
        table_records(table)
