"""Small helpers several test modules share: the CLI in-process, the bundled samples, the seed."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsbot.app import App
from newsbot.cli import main
from newsbot.ingest.importer import Format, import_articles
from newsbot.ingest.view_counts import import_views
from tests.conftest import SAMPLES

SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / "000_5b0afd051804e015.txt"


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """`newsbot ARGV…` in this process: (exit status, stdout, stderr)."""
    with pytest.raises(SystemExit) as exited:
        main(list(argv))
    captured = capsys.readouterr()
    code = exited.value.code
    return (code if isinstance(code, int) else 0), captured.out, captured.err


async def load_samples(app: App, *, views: bool = True) -> None:
    """The 66 bundled articles (and their daily views) into the app's store."""
    report = await import_articles(
        app.sessions,
        SAMPLES / "articles.ndjson",
        fmt=Format.NDJSON,
        zone=app.settings.zone,
        clock=app.clock,
    )
    assert report.problems == []
    if views:
        assert (await import_views(app.sessions, SAMPLES / "views.csv")).problems == []


def seed_text() -> str:
    """The seed article page: real Korean news text nobody on the team wrote.

    It lives beside the repository (../shared/seed), so a test that reads it is skipped, not
    failed, where it is missing.
    """
    if not SEED.is_file():
        pytest.skip(f"seed text not found at {SEED}")
    return SEED.read_text(encoding="utf-8")
