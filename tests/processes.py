"""Real `newsbot` processes for the tests that start, stop and kill them.

A process's stderr is read as it is written: a pipe nobody reads fills up (64 KB), and
the process then blocks on its next log line, which looks exactly like a hung bot.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

NEWSBOT = str(Path(sys.executable).parent / "newsbot")
_stderr: dict[int, asyncio.Task[bytes]] = {}


async def _drain(stream: asyncio.StreamReader) -> bytes:
    written = bytearray()
    while chunk := await stream.read(65536):
        written += chunk
    return bytes(written)


async def start(command: str, env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    """`newsbot <command>` with exactly ``env``; its stderr is kept for the test to read."""
    process = await asyncio.create_subprocess_exec(
        NEWSBOT,
        command,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    _stderr[process.pid] = asyncio.create_task(_drain(process.stderr))
    return process


async def stderr_of(process: asyncio.subprocess.Process) -> bytes:
    """Everything the process wrote to stderr, once it has ended."""
    await process.wait()
    return await asyncio.wait_for(_stderr.pop(process.pid), timeout=10)


async def stop(process: asyncio.subprocess.Process) -> bytes:
    """SIGTERM, as an operator's supervisor stops the bot; returns what it wrote to stderr."""
    process.send_signal(signal.SIGTERM)
    await asyncio.wait_for(process.wait(), timeout=60)
    return await stderr_of(process)
