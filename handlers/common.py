"""Pieces several chat handlers share: the chat a request comes from, and how a chat's
subscriptions and settings read."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.context import HandlerContext
from newsbot.conversation import MAX_TOKEN_BYTES, Button, ButtonPress, Command
from newsbot.delivery.chat_settings import ChatSettings
from newsbot.delivery.subscriptions import ChatRef, get_or_create_chat
from newsbot.i18n import has, t
from newsbot.i18n.sections import section_name
from newsbot.store.delivery_models import Chat, ChatKind, Subscription, SubscriptionKind

ALL_WORDS = frozenset({"all", "전체", "모두", "전부"})
# Section names Korean papers commonly use. A reader who types one this paper does not have
# meant a section: the word is followed as a keyword, and the reply says so.
SECTION_LIKE_WORDS = frozenset(
    {
        "정치", "경제", "사회", "문화", "스포츠", "국제", "세계", "연예", "과학", "IT",
        "생활", "오피니언", "사설", "지역", "행정", "교육", "건강", "부동산", "산업", "날씨",
    }
)  # fmt: skip


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


def zone_name(zone: str, locale: str) -> str:
    """A zone as readers call it (한국 시간), or its IANA name when the catalog has none."""
    key = f"zone.{zone}"
    return t(locale, key) if has(locale, key) else zone


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
            buttons.append(Button(section_name(section, locale), token, row=1 + n // 3))
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
    return label_of(subscription.kind, subscription.value, locale)


def label_of(kind: SubscriptionKind, value: str, locale: str) -> str:
    """How a subscription reads: 전체 뉴스, 분야 행정, 키워드 ‘드론’."""
    if kind is SubscriptionKind.ALL:
        return t(locale, "subscription.all")
    if kind is SubscriptionKind.SECTION:
        return t(locale, "subscription.section", section=section_name(value, locale))
    return t(locale, "subscription.keyword", keyword=value)


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
        zone=zone_name(settings.timezone, locale),
        quiet=quiet,
        digest=digest,
        previews=previews,
    )
    breaking = t(locale, "settings.on") if settings.breaking_alerts else off
    return summary + "\n" + t(locale, "settings.breaking", state=breaking)
