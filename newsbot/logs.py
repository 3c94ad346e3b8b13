"""Logging set-up, called once by the entry point (never at import time)."""

from __future__ import annotations

import logging
import sys

# Libraries that log request URLs: Telegram's URLs carry the bot token.
_QUIET_LOGGERS = ("httpx", "httpcore", "aiohttp.access", "telegram.ext.Updater", "alembic")


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
