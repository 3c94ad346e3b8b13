"""`newsbot feeds export` and `newsbot feeds import`: feed lists moved as OPML, all or nothing."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import run_cli

run = run_cli
GOOD = "https://news.example.kr/rss/econ.xml"


@pytest.fixture
def store(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("NEWSBOT_DATABASE_URL", database_url)
    return database_url


def feeds_in(capsys: pytest.CaptureFixture[str], *database: str) -> list[dict[str, Any]]:
    code, out, err = run(capsys, *database, "feeds", "list", "--json")
    assert code == 0, err
    rows: list[dict[str, Any]] = json.loads(out)
    return rows


def described(rows: list[dict[str, Any]]) -> list[tuple[str, str | None, int]]:
    return [(row["url"], row["section"], row["interval"]) for row in rows]


def opml_file(path: Path, body: str) -> Path:
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<opml version="2.0" xmlns:newsbot="urn:newsbot:opml:1"><head><title>t</title></head>\n'
        f"<body>\n{body}\n</body></opml>\n",
        encoding="utf-8",
    )
    return path


def test_feeds_exported_from_one_store_import_into_a_fresh_one_unchanged(
    capsys: pytest.CaptureFixture[str], store: str, tmp_path: Path
) -> None:
    source = ("--database-url", f"sqlite:///{tmp_path / 'old.db'}")
    for argv in (
        [GOOD, "--section", "경제", "--interval", "600"],
        ["https://news.example.kr/rss/local.xml?area=성남&x=1", "--section", "지역"],
        ["http://other.example.kr/all.rss"],
    ):
        assert run(capsys, *source, "feeds", "add", *argv)[0] == 0
    exported = tmp_path / "feeds.opml"

    code, out, err = run(capsys, *source, "feeds", "export", str(exported))
    assert (code, out) == (0, f"exported 3 feeds to {exported}\n"), err
    code, out, err = run(capsys, "feeds", "import", str(exported), "--new-sections")

    assert code == 0, err
    assert out.endswith("feeds.opml: added 3, already here 0; new sections: 경제, 지역\n")
    assert described(feeds_in(capsys)) == described(feeds_in(capsys, *source))


def test_export_without_a_file_writes_the_document_to_standard_output(
    capsys: pytest.CaptureFixture[str], store: str
) -> None:
    run(capsys, "feeds", "add", GOOD, "--section", "경제")

    code, out, _ = run(capsys, "feeds", "export")

    assert code == 0
    assert out.startswith("<?xml version='1.0' encoding='utf-8'?>\n<opml version=\"2.0\"")
    assert f'xmlUrl="{GOOD}" category="경제" newsbot:interval="300"' in out


def test_a_file_with_one_bad_outline_is_refused_whole_naming_every_problem(
    capsys: pytest.CaptureFixture[str], store: str, tmp_path: Path
) -> None:
    path = opml_file(
        tmp_path / "mixed.opml",
        f'<outline text="좋은 피드" xmlUrl="{GOOD}"/>\n'
        '<outline text="주소 없음" type="rss"/>\n'
        '<outline text="ftp" xmlUrl="ftp://news.example.kr/rss"/>',
    )

    code, out, err = run(capsys, "feeds", "import", str(path))

    assert code == 2
    assert out == ""
    assert err.splitlines() == [
        "  rejected line 5: outline '주소 없음' has no xmlUrl: a feed needs one",
        "  rejected line 6: xmlUrl 'ftp://news.example.kr/rss' is not an http(s) feed URL",
        f"newsbot: error: {path}: line 5: outline '주소 없음' has no xmlUrl: a feed needs one "
        "(and 1 more); nothing imported",
    ]
    assert feeds_in(capsys) == []


def test_malformed_xml_is_refused_with_where_it_broke_and_stores_nothing(
    capsys: pytest.CaptureFixture[str], store: str, tmp_path: Path
) -> None:
    path = tmp_path / "broken.opml"
    path.write_text(f'<opml version="2.0"><body><outline xmlUrl="{GOOD}"></body>', "utf-8")

    code, _, err = run(capsys, "feeds", "import", str(path))

    assert code == 2
    assert err == (
        f"newsbot: error: {path}: line 1, column 84: not well-formed XML: mismatched tag; "
        "nothing imported\n"
    )
    assert feeds_in(capsys) == []


def test_categories_the_store_has_no_section_for_are_refused_unless_new_sections_are_expected(
    capsys: pytest.CaptureFixture[str], store: str, tmp_path: Path
) -> None:
    articles = tmp_path / "articles.ndjson"
    articles.write_text(
        json.dumps(
            {
                "url": "https://news.example.kr/a/1",
                "title": "기사",
                "section": "경제",
                "published_at": "2026-11-20T09:00:00+09:00",
            },
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    assert run(capsys, "import", str(articles))[0] == 0
    path = opml_file(
        tmp_path / "typo.opml",
        f'<outline xmlUrl="{GOOD}" category="경제"/>\n'
        '<outline xmlUrl="https://news.example.kr/rss/2" category="겅제"/>',
    )

    refused = run(capsys, "feeds", "import", str(path))
    listed_after_refusal = feeds_in(capsys)
    accepted = run(capsys, "feeds", "import", str(path), "--new-sections")

    assert refused[0] == 2
    assert refused[2] == (
        f"newsbot: error: {path}: categories that are not sections in this store: 겅제 "
        "(known: 경제); fix them in the file, or pass --new-sections to create them; "
        "nothing imported\n"
    )
    assert listed_after_refusal == []
    assert accepted[0] == 0, accepted[2]
    assert described(feeds_in(capsys)) == [
        (GOOD, "경제", 300),
        ("https://news.example.kr/rss/2", "겅제", 300),
    ]


def test_feeds_already_here_or_listed_twice_are_skipped_by_their_canonical_url(
    capsys: pytest.CaptureFixture[str], store: str, tmp_path: Path
) -> None:
    run(capsys, "feeds", "add", GOOD, "--section", "경제")
    path = opml_file(
        tmp_path / "again.opml",
        '<outline xmlUrl="HTTPS://News.Example.kr:443/rss/econ.xml#top" category="경제"/>\n'
        '<outline xmlUrl="https://news.example.kr/rss/new.xml" category="경제"/>\n'
        '<outline xmlUrl="https://news.example.kr/rss/new.xml?utm_source=reader"/>',
    )

    code, out, err = run(capsys, "feeds", "import", str(path))

    assert code == 0, err
    assert out.splitlines() == [
        "added feed 2: https://news.example.kr/rss/new.xml (every 300s, section 경제)",
        "already here as feed 1: HTTPS://News.Example.kr:443/rss/econ.xml#top",
        "again.opml: added 1, already here 1, listed twice 1",
    ]
    assert [row["url"] for row in feeds_in(capsys)] == [GOOD, "https://news.example.kr/rss/new.xml"]


@pytest.mark.parametrize(
    ("outline", "says"),
    [
        (
            f'<outline xmlUrl="{GOOD}" newsbot:interval="²"/>',
            "line 4: newsbot:interval='²': expected whole seconds, from 10 to 604800",
        ),
        (
            '<outline xmlUrl="https://news.example.kr/' + "x" * 2000 + '"/>',
            "line 4: xmlUrl is longer than 2000 characters",
        ),
        (
            '<outline text="폴더">' * 3000 + '<outline text="빈"/>' + "</outline>" * 3000,
            "line 4: outline '빈' has no xmlUrl: a feed needs one",
        ),
    ],
    ids=["superscript-interval", "long-url", "nested-3000-deep"],
)
def test_an_outline_no_reader_expects_is_a_one_line_refusal_not_a_traceback(
    capsys: pytest.CaptureFixture[str], store: str, tmp_path: Path, outline: str, says: str
) -> None:
    path = opml_file(tmp_path / "odd.opml", outline)

    code, out, err = run(capsys, "feeds", "import", str(path))

    assert (code, out) == (2, "")
    assert err == f"newsbot: error: {path}: {says}; nothing imported\n"
    assert feeds_in(capsys) == []


def test_a_title_with_control_characters_exports_to_a_file_that_imports_again(
    capsys: pytest.CaptureFixture[str], store: str, tmp_path: Path
) -> None:
    """Feed titles come from the feeds themselves, control characters and all."""
    old = tmp_path / "old.db"
    source = ("--database-url", f"sqlite:///{old}")
    assert run(capsys, *source, "feeds", "add", GOOD, "--section", "경제")[0] == 0
    with contextlib.closing(sqlite3.connect(old)) as db, db:
        db.execute("UPDATE feeds SET title = ?", ("경제\x0b뉴스\x1b[0m",))
    exported = tmp_path / "feeds.opml"

    assert run(capsys, *source, "feeds", "export", str(exported))[0] == 0
    code, _, err = run(capsys, "feeds", "import", str(exported), "--new-sections")

    assert code == 0, err
    assert [(row["url"], row["title"]) for row in feeds_in(capsys)] == [(GOOD, "경제뉴스[0m")]


def test_feeds_add_refuses_what_the_store_cannot_keep_with_one_line(
    capsys: pytest.CaptureFixture[str], store: str
) -> None:
    long_url = "https://news.example.kr/" + "x" * 2000

    long = run(capsys, "feeds", "add", long_url)
    rare = run(capsys, "feeds", "add", GOOD, "--interval", str(2**31))

    assert long == (2, "", "newsbot: error: the feed URL is longer than 2000 characters\n")
    assert rare[0] == 2 and "604800" in rare[2]
    assert feeds_in(capsys) == []
