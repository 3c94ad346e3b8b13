"""An alert message in words: the catalogs' wording (``alert.*``), the severity's mark, and
times shown in the newsroom's zone. Pure, so the wording is tested as exact strings."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from newsbot.alerts.model import SEVERITY, Kind, Severity
from newsbot.i18n import t
from newsbot.store.alerts import AlertEvent

MARK = {Severity.CRITICAL: "🔴", Severity.WARNING: "🟠", Severity.INFO: "ℹ️"}


def _shown(value: object, zone: ZoneInfo) -> object:
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is not None:
            return moment.astimezone(zone).strftime("%m-%d %H:%M")
    return value


def render(kind: str, event: AlertEvent, params: str, *, locale: str, zone: ZoneInfo) -> str:
    """One alert message, plain text."""
    values = {name: _shown(value, zone) for name, value in json.loads(params).items()}
    body = t(locale, f"alert.{kind}", **values)
    minutes = values.get("minutes", 0)
    if event is AlertEvent.RESOLVED:
        return t(locale, "alert.resolved", body=body, minutes=minutes)
    mark = MARK[SEVERITY[Kind(kind)]]
    if event is AlertEvent.REPEATED:
        return t(locale, "alert.repeated", mark=mark, body=body, minutes=minutes)
    return t(locale, "alert.started", mark=mark, body=body)
