"""The `newsbot` command as an operator meets it: clear output, one-line errors, exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SAMPLES
from tests.helpers import run_cli

run = run_cli


@pytest.fixture
def store(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("NEWSBOT_DATABASE_URL", database_url)
    return database_url


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")

    assert code == 0
    for command in ("db", "feeds", "poll", "import", "views", "articles", "demo"):
        assert f"  {command}" in out


@pytest.mark.parametrize(
    "argv",
    [
        ["db", "--help"],
        ["db", "upgrade", "--help"],
        ["feeds", "add", "--help"],
        ["feeds", "list", "--help"],
        ["feeds", "remove", "--help"],
        ["poll", "--help"],
        ["import", "--help"],
        ["views", "import", "--help"],
        ["articles", "list", "--help"],
        ["demo", "--help"],
    ],
)
def test_every_subcommand_has_help(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, out, _ = run(capsys, *argv)

    assert code == 0
    assert "Usage: newsbot" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["bogus"], "No such command 'bogus'"),
        (["import"], "Missing argument 'PATH'"),
        (["import", "/no/such/file.ndjson"], "does not exist"),
        (["articles", "list", "--limit", "zero"], "'zero' is not a valid integer"),
        (["import", "x", "--format", "csv"], "'csv' is not one of"),
        (["feeds", "add", "not-a-url"], "not an http(s) feed URL"),
        (["feeds", "remove", "999"], "no feed with id 999"),
    ],
)
def test_bad_usage_gets_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], store: str, argv: list[str], message: str
) -> None:
    code, _, err = run(capsys, *argv)

    assert code == 2
    assert message in err
    assert err.count("\n") == 1
    assert err.startswith("newsbot: error: ")
    assert "Traceback" not in err


def test_a_bad_setting_names_the_variable(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSBOT_TIMEZONE", "Mars/Olympus")

    code, _, err = run(capsys, "articles", "list")

    assert code == 2
    assert "NEWSBOT_TIMEZONE='Mars/Olympus'" in err
    assert err.count("\n") == 1


def test_an_unreachable_database_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(
        capsys, "--database-url", "postgresql://x@127.0.0.1:1/none", "articles", "list"
    )

    assert code == 2
    assert err.startswith("newsbot: error: cannot use the postgresql store")
    assert err.count("\n") == 1


def test_importing_an_export_twice_reports_new_then_unchanged(
    capsys: pytest.CaptureFixture[str], store: str
) -> None:
    path = str(SAMPLES / "articles.ndjson")
    total = sum(1 for line in (SAMPLES / "articles.ndjson").read_text().splitlines() if line)

    first = run(capsys, "import", path)
    second = run(capsys, "import", path)

    assert first[0] == 0
    assert f"new {total}, updated 0, unchanged 0, rejected 0" in first[1]
    assert f"new 0, updated 0, unchanged {total}, rejected 0" in second[1]


def test_importing_the_rss_file_twice_reports_new_then_unchanged(
    capsys: pytest.CaptureFixture[str], store: str
) -> None:
    path = str(SAMPLES / "feed.xml")

    first = run(capsys, "import", path, "--format", "rss")
    second = run(capsys, "import", path)

    items = first[1].split("new ")[1].split(",")[0]
    assert int(items) >= 20
    assert f"new 0, updated 0, unchanged {items}, rejected 0" in second[1]


def test_rejected_lines_are_listed_with_reasons_and_the_rest_imported(
    capsys: pytest.CaptureFixture[str], store: str, tmp_path: Path
) -> None:
    good = {
        "url": "https://news.example.kr/a/1",
        "title": "좋은 기사",
        "published_at": "2026-11-20T09:00:00+09:00",
    }
    lines = [
        json.dumps(good, ensure_ascii=False),
        "{not json",
        json.dumps({"title": "no url"}),
        "[1, 2]",
        json.dumps({**good, "url": "https://news.example.kr/a/2"}),
    ]
    export = tmp_path / "export.ndjson"
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")

    code, out, err = run(capsys, "import", str(export))

    assert code == 0
    assert "new 2, updated 0, unchanged 0, rejected 3" in out
    assert "line 2: not JSON" in err
    assert "line 3: url: Field required" in err
    assert "line 4: expected a JSON object" in err


def test_articles_list_json_has_the_documented_fields(
    capsys: pytest.CaptureFixture[str], store: str
) -> None:
    run(capsys, "import", str(SAMPLES / "articles.ndjson"))

    code, out, _ = run(capsys, "articles", "list", "--limit", "5", "--json")

    assert code == 0
    rows = json.loads(out)
    assert len(rows) == 5
    for row in rows:
        assert {
            "id",
            "title",
            "url",
            "section",
            "author",
            "published_at",
            "updated_at",
            "revision",
        } <= row.keys()
        assert row["published_at"].endswith("+09:00")
    published = [row["published_at"] for row in rows]
    assert published == sorted(published, reverse=True)


def test_articles_list_filters_by_section(capsys: pytest.CaptureFixture[str], store: str) -> None:
    run(capsys, "import", str(SAMPLES / "articles.ndjson"))

    _, out, _ = run(capsys, "articles", "list", "--section", "스포츠", "--json")

    rows = json.loads(out)
    assert rows and {row["section"] for row in rows} == {"스포츠"}


def test_feeds_can_be_added_listed_and_removed(
    capsys: pytest.CaptureFixture[str], store: str
) -> None:
    code, out, _ = run(
        capsys,
        "feeds",
        "add",
        "https://news.example.kr/rss/all.xml",
        "--section",
        "행정",
        "--interval",
        "120",
    )
    assert code == 0 and "added feed 1" in out

    duplicate = run(capsys, "feeds", "add", "https://news.example.kr/rss/all.xml")
    assert duplicate[0] == 2 and "already added as id 1" in duplicate[2]
    respelled = run(capsys, "feeds", "add", "HTTPS://News.Example.kr:443/rss/all.xml#top")
    assert respelled[0] == 2 and "already added as id 1" in respelled[2]

    _, listed, _ = run(capsys, "feeds", "list", "--json")
    [feed] = json.loads(listed)
    assert (feed["section"], feed["interval"], feed["state"]) == ("행정", 120, "active")

    assert run(capsys, "feeds", "remove", "1")[0] == 0
    assert json.loads(run(capsys, "feeds", "list", "--json")[1]) == []


def test_views_import_reports_unknown_articles(
    capsys: pytest.CaptureFixture[str], store: str, tmp_path: Path
) -> None:
    run(capsys, "import", str(SAMPLES / "articles.ndjson"))
    first_url = json.loads((SAMPLES / "articles.ndjson").read_text().splitlines()[0])["url"]
    views = tmp_path / "views.csv"
    views.write_text(
        "url,date,views\n"
        f"{first_url}&utm_source=x,2026-11-20,120\n"
        "https://news.example.kr/unknown,2026-11-20,5\n"
        f"{first_url},20-11-2026,7\n",
        encoding="utf-8",
    )

    code, out, err = run(capsys, "views", "import", str(views))

    assert code == 0, err
    assert "stored 1 daily counts, rejected 2" in out
    assert "no stored article for https://news.example.kr/unknown" in err
    assert "is not YYYY-MM-DD" in err


def test_python_dash_m_and_the_console_script_both_work(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    for argv in (
        [sys.executable, "-m", "newsbot", "--version"],
        [str(Path(sys.executable).parent / "newsbot"), "--version"],
    ):
        done = subprocess.run(
            argv, capture_output=True, text=True, cwd=tmp_path, env=env, check=False, timeout=60
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("newsbot, version")


def test_the_demo_builds_the_default_store_and_shows_the_most_viewed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run(capsys, "demo")

    assert code == 0, err
    assert (tmp_path / "newsbot.db").exists()
    assert "imported articles.ndjson: new 66" in out
    assert "imported views.csv: 303 daily counts" in out
    assert "가장 많이 본 뉴스" in out
    assert "12,467" in out  # the week's most read story
    assert "search '성남시는': " in out
    assert "드론전문의용소방대" in out

    again = run(capsys, "demo")
    assert "imported articles.ndjson: new 0, updated 0, unchanged 66" in again[1]
