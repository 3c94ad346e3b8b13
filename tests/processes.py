"""Real `newsbot` processes for the tests that start, stop and kill them."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

NEWSBOT = str(Path(sys.executable).parent / "newsbot")


async def start(command: str, env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    """`newsbot <command>` with exactly ``env``; its stderr is kept for the test to read."""
    return await asyncio.create_subprocess_exec(
        NEWSBOT,
        command,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


async def stop(process: asyncio.subprocess.Process) -> bytes:
    """SIGTERM, as an operator's supervisor stops the bot; returns what it wrote to stderr."""
    process.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(process.communicate(), timeout=60)
    return err
