"""`newsbot editors` and `newsbot audit` as an operator meets them."""

from __future__ import annotations

import json

import pytest

from tests.helpers import run_cli as run


@pytest.fixture
def store(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("NEWSBOT_DATABASE_URL", database_url)
    monkeypatch.setenv("NEWSBOT_ADMINS", "telegram:1")
    return database_url


def test_editors_are_added_listed_and_removed_and_each_change_is_audited(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    added = run(capsys, "editors", "add", "telegram:12345")
    admin = run(capsys, "editors", "add", "slack:U0123", "--admin")
    _, listed, _ = run(capsys, "editors", "list", "--json")
    removed = run(capsys, "editors", "remove", "telegram:12345")
    _, audited, _ = run(capsys, "audit", "--json")

    assert added[:2] == (0, "telegram:12345: editor\n")
    assert admin[:2] == (0, "slack:U0123: admin\n")
    assert [(r["user"], r["role"], r["added_by"]) for r in json.loads(listed)] == [
        ("slack:U0123", "admin", "cli"),
        ("telegram:12345", "editor", "cli"),
        ("telegram:1", "admin", "NEWSBOT_ADMINS"),
    ]
    assert removed[:2] == (0, "telegram:12345: removed\n")
    assert [(e["action"], e["outcome"], e["detail"]) for e in json.loads(audited)] == [
        ("editors add", "done", "telegram:12345 editor"),
        ("editors add", "done", "slack:U0123 admin"),
        ("editors remove", "done", "telegram:12345"),
    ]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["editors", "add", "12345"], "expected PLATFORM:USER_ID"),
        (["editors", "add", "irc:nick"], "expected PLATFORM:USER_ID"),
        (["editors", "remove", "telegram:404"], "telegram:404 is not an editor or admin"),
        (["audit", "--since", "yesterday"], "--since: expected 30m, 24h, 7d"),
    ],
)
def test_mistakes_end_in_one_line_and_status_2(
    store: str, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, _, err = run(capsys, *argv)

    assert code == 2
    assert err.count("\n") == 1 and message in err
