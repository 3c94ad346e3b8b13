"""`make demo` without a terminal: the bot plays a short conversation on the console and
exits, as a newcomer's first look and as CI sees it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.processes import NEWSBOT


def test_the_scripted_demo_talks_pushes_and_sends_breaking_news_then_exits_0(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}

    done = subprocess.run(
        [NEWSBOT, "demo"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
        check=False,
    )

    out = done.stdout
    assert done.returncode == 0, done.stderr
    assert "imported articles.ndjson: new 66" in out
    assert "> /subscribe 드론" in out and "구독했습니다: 키워드 ‘드론’" in out
    assert "→ desk: " in out  # a story the simulator published, pushed to the chat
    assert "가장 많이 본 뉴스" in out and "‘성남시는’ 검색 결과" in out
    assert "가장 많이 본 뉴스\n" in out.split("> /digest")[1]  # the digest, on demand
    assert "→ desk: 🔴 속보 성남시청 앞 도로 통제" in out  # the editor's breaking news
    assert "Traceback" not in done.stderr
