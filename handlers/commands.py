"""Every chat command and button newsbot answers, and the role each needs: the registry's
data, in one place. A new command is a handler module plus one line here."""

from __future__ import annotations

from collections.abc import Iterable

from handlers.channels import Channels
from handlers.context import HandlerContext
from handlers.digest import DigestHandlers
from handlers.editor import Editorial
from handlers.gate import Gate
from handlers.help import Help
from handlers.membership import Membership
from handlers.reader import ReaderHandlers
from handlers.registry import ButtonSpec, CommandSpec, Registry
from handlers.router import RateLimit, Router
from handlers.settings import Settings
from handlers.staff import Staff
from handlers.subscriptions import Subscriptions
from newsbot.roles import Role
from newsbot.telemetry import NO_TELEMETRY, Telemetry


def build_router(
    context: HandlerContext,
    *,
    admins: frozenset[tuple[str, str]] = frozenset(),
    limit: RateLimit | None = None,
    extra: Iterable[CommandSpec] = (),
    telemetry: Telemetry = NO_TELEMETRY,
) -> Router:
    """The one Router every platform's frontend shares. ``extra``: commands beyond the
    built-in ones (a newsroom's own, or a test's)."""
    gate = Gate(context.sessions, context.directories, admins)
    registry = Registry()
    membership = Membership(context)
    reader = ReaderHandlers(context)
    subscriptions = Subscriptions(context)
    settings = Settings(context)
    channels = Channels(context, subscriptions)
    help_ = Help(registry, gate)
    digest = DigestHandlers(context)
    editorial = Editorial(context)
    newsroom = Staff(context)
    for spec in (
        CommandSpec("start", membership.start, in_help=False),
        CommandSpec("subscribe", subscriptions.subscribe, ("구독",), role=Role.CHAT_ADMIN),
        CommandSpec(
            "unsubscribe", subscriptions.unsubscribe, ("구독취소", "해지"), role=Role.CHAT_ADMIN
        ),
        CommandSpec("list", subscriptions.list, ("목록",)),
        CommandSpec(
            "settings",
            settings.settings,
            ("설정",),
            role=Role.CHAT_ADMIN,
            shows_without_args=True,
        ),
        CommandSpec("top", reader.top, ("인기",)),
        CommandSpec("latest", reader.latest, ("최신",)),
        CommandSpec("search", reader.search, ("s", "검색"), rate_limited=True),
        CommandSpec("channel", channels.channel, ("채널",), in_menu=False),
        CommandSpec("help", help_.help, ("도움말",), in_help=False),
        CommandSpec("digest", digest.digest, ("브리핑", "다이제스트"), rate_limited=True),
        CommandSpec("breaking", editorial.breaking, ("속보",), role=Role.EDITOR, in_menu=False),
        CommandSpec("correct", editorial.correct, ("정정",), role=Role.EDITOR, in_menu=False),
        CommandSpec("retract", editorial.retract, ("기사취소",), role=Role.EDITOR, in_menu=False),
        CommandSpec("editors", newsroom.editors, ("편집자",), role=Role.ADMIN, in_menu=False),
        *extra,
    ):
        registry.add(spec)
    for button in (
        ButtonSpec("sr", reader.press_page),
        ButtonSpec("sub", subscriptions.press_subscribe, role=Role.CHAT_ADMIN),
        ButtonSpec("uns", subscriptions.press_unsubscribe, role=Role.CHAT_ADMIN),
        ButtonSpec("set", settings.press, role=Role.CHAT_ADMIN),
        ButtonSpec("ed", editorial.press, role=Role.EDITOR),
    ):
        registry.add_button(button)
    return Router(
        context,
        registry,
        gate,
        membership,
        limit=limit or RateLimit(),
        drafts=editorial.text,
        telemetry=telemetry,
    )
