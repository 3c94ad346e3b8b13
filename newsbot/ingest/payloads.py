"""Reading CMS payloads into records, whether they come from a file or an HTTP body.

A record is ``(where, value)``: where it was found ("line 3", "record 2") and the decoded
JSON value, or the :class:`Problem` that kept it from being decoded. `newsbot import` and the
CMS push API read through the same functions, so a line is accepted or refused with the same
words whichever way it arrived. Nothing here touches the store.

    ndjson_records(lines)     one JSON value per line; a bad line is a Problem, the rest go on
    document_records(value)   a JSON array, or {"articles": [...]}: one record per item
    body_records(data)        an HTTP body: one object, an array, or NDJSON, told apart here
    table_records(data)       view counts: NDJSON, a JSON array, or CSV with a header

A body that is not JSON, NDJSON or (for views) CSV at all raises :class:`InputError`, and so
does one the readers below cannot take at all (JSON nested deeper than Python's recursion
limit, a CSV field over the csv module's field limit): whatever is sent, the answer is a
refusal with a reason, never a traceback. In NDJSON such a line is a Problem in its place.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from newsbot.errors import InputError
from newsbot.ingest.drafts import Problem

Record = tuple[str, Any]  # (where, a decoded JSON value or the Problem that stopped it)
BOM = b"\xef\xbb\xbf"
_BLANK = BOM + b" \t\r\n"
VIEW_COLUMNS = ("views", "count", "pageviews")  # any one names the count in a view table
TOO_DEEP = "JSON nested too deeply"


def ndjson_records(lines: Iterable[bytes]) -> Iterator[Record]:
    """One record per non-blank line, numbered from 1; a line that is not JSON is a Problem."""
    for number, line in enumerate(lines, start=1):
        where = f"line {number}"
        stripped = line.strip()
        if number == 1:
            stripped = stripped.removeprefix(BOM)
        if not stripped:
            continue
        try:
            yield where, json.loads(stripped.decode("utf-8"))
        except UnicodeDecodeError:
            yield where, Problem(where, "not UTF-8 text")
        except json.JSONDecodeError as exc:
            yield where, Problem(where, f"not JSON: {exc.msg} at column {exc.colno}")
        except RecursionError:
            yield where, Problem(where, TOO_DEEP)


def decode_document(data: bytes, name: str) -> Any:
    """The one JSON document in ``data``; ``name`` says what it was in the error."""
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InputError(f"{name} is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{name} is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise InputError(f"{name}: {TOO_DEEP}") from None


def document_records(document: Any, name: str) -> Iterator[Record]:
    """The items of a JSON array or of ``{"articles": [...]}``, numbered from 1."""
    if isinstance(document, dict) and isinstance(document.get("articles"), list):
        document = document["articles"]
    if not isinstance(document, list):
        raise InputError(f'{name}: expected a JSON array of articles or {{"articles": [...]}}')
    for index, item in enumerate(document):
        yield f"record {index + 1}", item


def body_records(data: bytes, name: str = "the body") -> list[Record]:
    """Articles sent over HTTP: one JSON object, a JSON array (or ``{"articles": [...]}``),
    or NDJSON. Raises InputError when the body is empty or no line of it is JSON at all."""
    start = data.lstrip(_BLANK)[:1]
    if not start:
        raise InputError(f"{name} is empty: send a JSON object, a JSON array or NDJSON")
    try:
        document = decode_document(data, name)
    except InputError as whole:
        if start == b"[":
            raise  # an array cut short or broken: its own error says where
        records = list(ndjson_records(data.splitlines()))
        if all(isinstance(value, Problem) for _, value in records):
            raise whole from None  # not one line is JSON: the body is not NDJSON either
        return records
    if isinstance(document, dict) and not isinstance(document.get("articles"), list):
        return [("record 1", document)]
    return list(document_records(document, name))


def table_records(data: bytes, name: str = "the body") -> list[Record]:
    """View counts: NDJSON or a JSON array of objects, or CSV with a header row."""
    start = data.lstrip(_BLANK)[:1]
    if not start:
        raise InputError(f"{name} is empty: send NDJSON, a JSON array or CSV")
    if start == b"[":
        document = decode_document(data, name)
        return [(f"record {n}", item) for n, item in enumerate(document, start=1)]
    if start == b"{":
        return list(ndjson_records(data.splitlines()))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{name} is not UTF-8 text") from None
    return list(csv_records(text, name))


def csv_records(text: str, name: str) -> Iterator[Record]:
    """Rows of a CSV table with a header naming url or guid, date and views."""
    reader = csv.DictReader(io.StringIO(text))
    try:
        columns = {f.strip().lower() for f in reader.fieldnames or ()}
        if not columns & set(VIEW_COLUMNS):
            raise InputError(f"{name}: expected a CSV header with url or guid, date, views")
        for row in reader:
            yield f"line {reader.line_num}", row
    except csv.Error as exc:
        # The reader cannot go on past a line it cannot parse (a field over the csv module's
        # limit, a NUL byte): the table is refused whole, saying where.
        raise InputError(f"{name}: not CSV at line {reader.reader.line_num}: {exc}") from None
