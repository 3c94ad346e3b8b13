"""`newsbot run` as an operator starts it: a real process delivering to a console chat."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.processes import NEWSBOT


def newsbot(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    return subprocess.run(
        [NEWSBOT, *argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def fresh_export(path: Path) -> Path:
    now = datetime.now(UTC)
    records = [
        {
            "url": f"https://news.example.kr/a/{n}",
            "title": title,
            "section": section,
            "published_at": (now - timedelta(minutes=n)).isoformat(),
        }
        for n, (title, section) in enumerate(
            [("드론택배 성남 전역 확대", "경제"), ("성남FC 승리", "스포츠"), ("수원 교통", "사회")]
        )
    ]
    path.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8"
    )
    return path


def test_run_once_delivers_each_matching_article_once(tmp_path: Path) -> None:
    assert (
        newsbot(
            tmp_path, "chats", "add", "console:desk", "--keyword", "드론", "--section", "스포츠"
        ).returncode
        == 0
    )
    newsbot(tmp_path, "import", str(fresh_export(tmp_path / "now.ndjson")))

    first = newsbot(tmp_path, "run", "--once")
    second = newsbot(tmp_path, "run", "--once")
    stats = json.loads(newsbot(tmp_path, "stats", "--json").stdout)

    assert first.returncode == 0, first.stderr
    assert "→ desk: 드론택배 성남 전역 확대" in first.stdout
    assert "→ desk: 성남FC 승리" in first.stdout
    assert "수원 교통" not in first.stdout
    assert "matched 2 deliveries; sent 2" in first.stdout
    assert "→" not in second.stdout
    assert stats["deliveries_24h"]["sent"] == 2


def held_by_someone(lock: Path) -> bool:
    if not lock.exists():
        return False
    with lock.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def test_a_second_run_on_one_sqlite_file_is_refused_and_sigterm_stops_cleanly(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    newsbot(tmp_path, "db", "upgrade")
    first = subprocess.Popen(
        [NEWSBOT, "run"],
        cwd=tmp_path,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        lock = tmp_path / "newsbot.db.run.lock"
        deadline = time.monotonic() + 60
        while not held_by_someone(lock):  # wait until the first process holds the lock
            assert first.poll() is None, first.communicate()[1]
            assert time.monotonic() < deadline, "the first run never took the lock"
            time.sleep(0.1)
        second = newsbot(tmp_path, "run", "--once")
        assert second.returncode == 2
        assert second.stderr.startswith("newsbot: error: another newsbot process is running")
    finally:
        first.send_signal(signal.SIGTERM)
        out, err = first.communicate(timeout=30)
    assert first.returncode == 0, err
    assert out.strip().endswith("stopped")
    assert "Traceback" not in err
