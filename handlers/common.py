"""Pieces several chat handlers share: the chat a request comes from, and how a chat's
subscriptions and settings read."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.context import HandlerContext
from newsbot.conversation import MAX_TOKEN_BYTES, Button, ButtonPress, Command
from newsbot.delivery.chat_settings import ChatSettings
from newsbot.delivery.subscriptions import ChatRef, get_or_create_chat
from newsbot.i18n import t
from newsbot.store.delivery_models import Chat, ChatKind, Subscription, SubscriptionKind

ALL_WORDS = frozenset({"all", "전체", "모두", "전부"})


def _kind(value: str) -> ChatKind:
    try:
        return ChatKind(value)
    except ValueError:
        return ChatKind.PRIVATE


async def chat_of(
    context: HandlerContext, session: AsyncSession, request: Command | ButtonPress
) -> Chat:
    """The chat the request came from, recorded on first contact (and revived if it had
    left)."""
    return await get_or_create_chat(
        session,
        ChatRef(request.platform, request.chat_id),
        kind=_kind(request.chat_kind),
        now=context.clock.now(),
        title=request.chat_title if isinstance(request, Command) else None,
        language=request.locale,
    )


def hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def fits(token: str) -> bool:
    return len(token.encode("utf-8")) <= MAX_TOKEN_BYTES


def subscribe_buttons(locale: str, sections: Sequence[str]) -> tuple[Button, ...]:
    """All news, and one button per section: the one-tap choices of /start."""
    buttons = [Button(t(locale, "button.subscribe_all"), "sub:all", row=0)]
    for n, section in enumerate(sections):
        token = f"sub:s:{section}"
        if fits(token):
            buttons.append(Button(section, token, row=1 + n // 3))
    return tuple(buttons)


def wanted(args: Sequence[str], sections: set[str]) -> list[tuple[SubscriptionKind, str]]:
    """Each word a reader gave: all news, a known section, or else a keyword."""
    found: list[tuple[SubscriptionKind, str]] = []
    for arg in args:
        word = arg.strip().lstrip("#")
        if not word:
            continue
        if word.lower() in ALL_WORDS:
            found.append((SubscriptionKind.ALL, ""))
        elif word in sections:
            found.append((SubscriptionKind.SECTION, word))
        else:
            found.append((SubscriptionKind.KEYWORD, word))
    return found


def label(subscription: Subscription, locale: str) -> str:
    if subscription.kind is SubscriptionKind.ALL:
        return t(locale, "subscription.all")
    if subscription.kind is SubscriptionKind.SECTION:
        return t(locale, "subscription.section", section=subscription.value)
    return t(locale, "subscription.keyword", keyword=subscription.value)


def settings_text(settings: ChatSettings, locale: str) -> str:
    off = t(locale, "settings.off")
    quiet = (
        f"{hhmm(settings.quiet_hours[0])}-{hhmm(settings.quiet_hours[1])}"
        if settings.quiet_hours
        else off
    )
    digest = hhmm(settings.digest_time) if settings.digest_time is not None else off
    previews = t(locale, "settings.on") if settings.link_previews else off
    summary = t(
        locale,
        "settings.summary",
        language=t(settings.language, "language.name"),
        zone=settings.timezone,
        quiet=quiet,
        digest=digest,
        previews=previews,
    )
    breaking = t(locale, "settings.on") if settings.breaking_alerts else off
    return summary + "\n" + t(locale, "settings.breaking", state=breaking)
