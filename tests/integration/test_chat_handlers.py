"""What a chat gets and how, as any platform sees it: a Command in, a Reply out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from handlers.commands import build_router
from handlers.context import HandlerContext
from handlers.registry import CommandSpec
from handlers.router import RateLimit, Router
from newsbot.app import App
from newsbot.clock import FixedClock
from newsbot.conversation import MAX_TOKEN_BYTES, ButtonPress, ChannelInfo, Command, Reply
from newsbot.delivery.matcher import match_pending
from newsbot.store.delivery_models import Chat, ChatKind, Delivery, Subscription, SubscriptionKind
from newsbot.text.analyzer import default_analyzer
from tests.helpers import load_samples

NOON_KST = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
ADMIN, MEMBER = "100", "200"


@dataclass
class FakeDirectory:
    """What a platform would say of its chats, as a test sets it: ADMIN runs every group."""

    known: dict[str, ChannelInfo] = field(default_factory=dict)

    async def is_chat_admin(self, chat_id: str, user_id: str) -> bool:
        return user_id == ADMIN

    async def inspect_channel(self, reference: str, user_id: str) -> ChannelInfo | None:
        info = self.known.get(reference)
        if info is None:
            return None
        return ChannelInfo(
            info.chat_id, info.title, info.bot_is_admin, info.user_is_admin and user_id == ADMIN
        )


@dataclass
class Clockwork:
    now: float = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def directory() -> FakeDirectory:
    return FakeDirectory()


def context_of(app: App, clock: FixedClock, directory: FakeDirectory) -> HandlerContext:
    return HandlerContext(
        app.sessions, default_analyzer(), clock, app.settings.zone, {"test": directory}
    )


@pytest.fixture
async def router(app: App, clock: FixedClock, directory: FakeDirectory) -> AsyncIterator[Router]:
    clock.set(NOON_KST)
    await load_samples(app)
    analyzer = default_analyzer()
    async with app.sessions() as session:  # as the running bot's matcher would have
        while (await match_pending(session, analyzer, now=clock.now())).events:
            pass  # a fan-out is matched a chunk a call
        await session.commit()
    limit = RateLimit(calls=3, monotonic=Clockwork())
    yield build_router(context_of(app, clock, directory), limit=limit)


def say(
    name: str,
    *args: str,
    chat: str = "c1",
    kind: str = "private",
    user: str = ADMIN,
    locale: str = "ko",
) -> Command:
    return Command(
        platform="test",
        chat_id=chat,
        user_id=user,
        name=name,
        args=args,
        locale=locale,
        chat_kind=kind,
        chat_title="성남 소식방" if kind != "private" else None,
    )


def press(
    token: str, *, chat: str = "c1", kind: str = "private", user: str = ADMIN, locale: str = "ko"
) -> ButtonPress:
    return ButtonPress("test", chat, user, token, locale=locale, chat_kind=kind)


async def answer(router: Router, command: Command) -> Reply:
    reply = await router.command(command)
    assert reply is not None
    return reply


async def subscriptions(app: App, chat: str = "c1") -> set[tuple[SubscriptionKind, str]]:
    async with app.sessions() as session:
        rows = await session.execute(
            select(Subscription.kind, Subscription.value)
            .join(Chat, Chat.id == Subscription.chat_id)
            .where(Chat.platform_chat_id == chat)
        )
        return {(kind, value) for kind, value in rows}


async def queued(app: App, chat: str = "c1") -> int:
    async with app.sessions() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(Delivery)
            .join(Chat, Chat.id == Delivery.chat_id)
            .where(Chat.platform_chat_id == chat)
        )
        return int(count or 0)


# --- /start and subscribing --------------------------------------------------------------


async def test_start_welcomes_and_offers_all_news_and_sections_as_buttons(
    router: Router, app: App
) -> None:
    reply = await answer(router, say("start"))

    assert "뉴스봇" in reply.header
    tokens = [b.token for b in reply.buttons]
    assert tokens[0] == "sub:all"
    assert any(token.startswith("sub:s:") for token in tokens[1:])
    assert all(len(token.encode()) <= MAX_TOKEN_BYTES for token in tokens)
    async with app.sessions() as session:
        chat = await session.scalar(select(Chat).where(Chat.platform_chat_id == "c1"))
    assert chat is not None and chat.kind is ChatKind.PRIVATE and chat.active


async def test_the_all_news_button_subscribes_and_queues_the_latest_three(
    router: Router, app: App
) -> None:
    await answer(router, say("start"))

    reply = await router.press(press("sub:all"))

    assert reply is not None and "전체 뉴스" in reply.header
    assert "3건" in reply.notice
    assert await subscriptions(app) == {(SubscriptionKind.ALL, "")}
    assert await queued(app) == 3


async def test_subscribe_reads_sections_and_keywords(router: Router, app: App) -> None:
    reply = await answer(router, say("subscribe", "행정", "드론"))

    assert reply.header == "구독했습니다: 분야 행정, 키워드 ‘드론’"
    assert await subscriptions(app) == {
        (SubscriptionKind.SECTION, "행정"),
        (SubscriptionKind.KEYWORD, "드론"),
    }


async def test_subscribing_twice_queues_nothing_more(router: Router, app: App) -> None:
    await answer(router, say("subscribe", "드론"))
    before = await queued(app)

    again = await answer(router, say("subscribe", "드론"))

    assert again == Reply(
        header="새로 구독한 것이 없습니다.", notice="이미 받고 있습니다: 키워드 ‘드론’"
    )
    assert await queued(app) == before


async def test_subscribe_takes_the_good_words_and_says_what_became_of_each(
    router: Router, app: App
) -> None:
    reply = await answer(router, say("subscribe", "성남", "&", "판교", "정치"))

    assert reply.header == "구독했습니다: 키워드 ‘성남’, 키워드 ‘판교’, 키워드 ‘정치’"
    assert reply.notice.splitlines()[:2] == [
        "‘정치’ 분야는 없어 키워드로 구독했습니다.",
        "건너뛰었습니다: ‘&’ (키워드에는 글자나 숫자가 있어야 합니다)",
    ]
    assert await subscriptions(app) == {
        (SubscriptionKind.KEYWORD, "성남"),
        (SubscriptionKind.KEYWORD, "판교"),
        (SubscriptionKind.KEYWORD, "정치"),
    }


async def test_what_all_news_already_brings_is_not_subscribed_again(
    router: Router, app: App
) -> None:
    await answer(router, say("subscribe", "전체"))

    reply = await answer(router, say("subscribe", "행정", "드론"))

    assert reply.header == "새로 구독한 것이 없습니다."
    assert reply.notice == "전체 뉴스에 이미 포함돼요: 분야 행정, 키워드 ‘드론’"
    assert await subscriptions(app) == {(SubscriptionKind.ALL, "")}


async def test_unsubscribe_names_what_it_removed_and_what_it_did_not_find(
    router: Router, app: App
) -> None:
    await answer(router, say("subscribe", "스포츠", "드론"))

    reply = await answer(router, say("unsubscribe", "드론", "성남시"))

    assert reply == Reply(header="해지했습니다: 키워드 ‘드론’", notice="구독에 없습니다: ‘성남시’")


async def test_list_shows_what_the_chat_gets_and_its_settings(router: Router) -> None:
    await answer(router, say("subscribe", "행정", "드론"))

    reply = await answer(router, say("list"))

    assert reply.header == "받는 뉴스 2개"
    assert "• 분야 행정" in reply.notice and "• 키워드 ‘드론’" in reply.notice
    assert "방해 금지: 끔" in reply.notice


async def test_unsubscribe_removes_one_or_offers_buttons(router: Router, app: App) -> None:
    await answer(router, say("subscribe", "행정", "드론"))

    removed = await answer(router, say("unsubscribe", "드론"))
    choose = await answer(router, say("unsubscribe"))

    assert removed.header == "해지했습니다: 키워드 ‘드론’"
    assert await subscriptions(app) == {(SubscriptionKind.SECTION, "행정")}
    assert [b.token for b in choose.buttons][-1] == "uns:all"
    by_button = await router.press(press(choose.buttons[0].token))
    assert by_button is not None and by_button.edit
    assert await subscriptions(app) == set()


async def test_bad_subscriptions_and_forged_buttons_get_a_short_answer_and_change_nothing(
    router: Router, app: App
) -> None:
    no_letters = await answer(router, say("subscribe", "!!!"))
    forged = [
        await router.press(press(token))
        for token in ("sub:zzz", "uns:!!", "set:q:late-early", "set:lang:xx", "set:nope")
    ]

    assert no_letters.header == "구독할 수 없습니다: 키워드에는 글자나 숫자가 있어야 합니다"
    assert [reply.toast if reply else None for reply in forged] == [
        "지난 버튼입니다. 다시 시도해 주세요."
    ] * 5
    assert await subscriptions(app) == set()


async def test_a_section_button_for_a_section_that_does_not_exist_subscribes_nothing(
    router: Router, app: App
) -> None:
    forged = await router.press(press("sub:s:없는분야"))
    real = await router.press(press("sub:s:행정"))

    assert forged == Reply(toast="지난 버튼입니다. 다시 시도해 주세요.")
    assert real is not None and real.header.startswith("구독했습니다")
    assert await subscriptions(app) == {(SubscriptionKind.SECTION, "행정")}


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("ko", "구독할 수 없습니다: 한 대화방은 구독을 50개까지 할 수 있습니다"),
        ("en", "Could not subscribe: a chat can have at most 50 subscriptions"),
    ],
)
async def test_the_subscription_limit_is_explained_in_the_readers_language_typed_or_pressed(
    router: Router, app: App, locale: str, expected: str
) -> None:
    words = [f"키워드{n}" for n in range(50)]
    await answer(router, say("subscribe", *words, locale=locale))

    typed = await answer(router, say("subscribe", "하나더", locale=locale))
    pressed = await router.press(press("sub:all", locale=locale))

    assert typed.header == expected
    assert pressed is not None and pressed.header == expected
    assert len(await subscriptions(app)) == 50


# --- groups -------------------------------------------------------------------------------


async def test_only_group_administrators_change_what_a_group_gets(router: Router, app: App) -> None:
    refused = await answer(router, say("subscribe", "드론", kind="group", chat="g1", user=MEMBER))
    allowed = await answer(router, say("subscribe", "드론", kind="group", chat="g1"))
    listed = await answer(router, say("list", kind="group", chat="g1", user=MEMBER))
    button = await router.press(press("set:lp:off", kind="group", chat="g1", user=MEMBER))

    assert refused.header == "이 대화방의 구독과 설정은 관리자만 바꿀 수 있습니다."
    assert allowed.header.startswith("구독했습니다")
    assert listed.header == "받는 뉴스 1개"
    assert listed.notice.endswith("관리자가 /subscribe, /settings 로 바꿀 수 있습니다.")
    assert button is not None and button.toast.startswith("이 대화방의 구독과 설정은")
    assert await subscriptions(app, "g1") == {(SubscriptionKind.KEYWORD, "드론")}


async def test_a_group_that_removed_the_bot_gets_nothing_more(router: Router, app: App) -> None:
    await router.joined(say("joined", kind="supergroup", chat="g2"))

    await router.left("test", "g2", "removed the bot from the chat")

    async with app.sessions() as session:
        chat = await session.scalar(select(Chat).where(Chat.platform_chat_id == "g2"))
    assert chat is not None and chat.kind is ChatKind.SUPERGROUP
    assert not chat.active and chat.inactive_reason == "removed the bot from the chat"


# --- settings -----------------------------------------------------------------------------


async def test_settings_buttons_change_the_setting_and_edit_the_same_message(
    router: Router, app: App
) -> None:
    shown = await answer(router, say("settings"))
    quiet = next(b for b in shown.buttons if b.token.startswith("set:q:") and "23:00" in b.label)

    reply = await router.press(press(quiet.token))

    assert reply is not None and reply.edit and reply.toast == "저장했습니다."
    assert "방해 금지: 23:00-07:00" in reply.notice
    async with app.sessions() as session:
        chat = await session.scalar(select(Chat).where(Chat.platform_chat_id == "c1"))
    assert chat is not None and (chat.quiet_start, chat.quiet_end) == (23 * 60, 7 * 60)


async def test_settings_lead_to_adding_and_removing_subscriptions_in_place(
    router: Router, app: App
) -> None:
    shown = await answer(router, say("settings"))
    tokens = [b.token for b in shown.buttons]
    assert {"sub:menu", "uns:menu"} <= set(tokens)

    add = await router.press(press("sub:menu"))
    assert add is not None and add.edit and add.buttons[0].token == "sub:all"
    await router.press(press("sub:all"))
    manage = await router.press(press("uns:menu"))

    assert manage is not None and manage.edit
    assert [b.label for b in manage.buttons] == ["✕ 전체 뉴스", "모두 해지", "◀ 설정으로"]
    assert await subscriptions(app) == {(SubscriptionKind.ALL, "")}
    back = await router.press(press(manage.buttons[-1].token))
    assert back is not None and back.edit and back.header == shown.header


async def test_settings_buttons_check_the_current_choice(router: Router) -> None:
    await answer(router, say("settings", "방해금지", "23:00-07:00"))

    shown = await answer(router, say("settings"))

    labels = [b.label for b in shown.buttons]
    assert "✓ 🌙 23:00-07:00" in labels and "🌙 22:00-08:00" in labels
    assert "✓ ☀️ 끄기" in labels and "🌙 끄기" in labels


async def test_settings_typed_out_are_read_and_bad_values_explained(router: Router) -> None:
    typed = await answer(router, say("settings", "브리핑", "7시", "30분"))
    wrong = await answer(router, say("settings", "방해금지", "밤새"))

    assert "아침 브리핑: 07:30" in typed.notice
    assert wrong.header.startswith("‘밤새’은(는) 시간 범위가 아닙니다.")


async def test_settings_are_typed_as_the_bot_shows_them(router: Router) -> None:
    quiet = await answer(router, say("settings", "방해", "금지", "밤", "11시-아침", "7시"))
    briefing = await answer(router, say("settings", "아침", "브리핑", "오전", "6시", "반"))

    assert "방해 금지: 23:00-07:00" in quiet.notice
    assert "시간대: 한국 시간" in quiet.notice
    assert "아침 브리핑: 06:30" in briefing.notice


async def test_a_chat_that_chose_english_is_answered_in_english(router: Router) -> None:
    await answer(router, say("start"))
    await router.press(press("set:lang:en"))

    reply = await answer(router, say("list", locale="ko"))

    assert reply.header == "This chat gets no news yet. Start with /subscribe."


# --- channels -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bot_is_admin", "user", "expected"),
    [
        (False, ADMIN, "뉴스봇이 @seongnam_news 채널의 관리자가 아닙니다."),
        (True, MEMBER, "@seongnam_news 채널의 관리자만 구독을 정할 수 있습니다."),
    ],
)
async def test_a_channel_is_subscribed_only_when_the_bot_and_the_user_run_it(
    router: Router,
    app: App,
    directory: FakeDirectory,
    bot_is_admin: bool,
    user: str,
    expected: str,
) -> None:
    directory.known["@seongnam_news"] = ChannelInfo("-100777", "성남 뉴스", bot_is_admin, True)

    reply = await answer(router, say("channel", "@seongnam_news", "행정", user=user))

    assert reply.header.startswith(expected)
    assert await subscriptions(app, "-100777") == set()


async def test_an_admin_subscribes_their_channel_from_a_private_chat(
    router: Router, app: App, directory: FakeDirectory
) -> None:
    directory.known["@seongnam_news"] = ChannelInfo("-100777", "성남 뉴스", True, True)

    reply = await answer(router, say("channel", "@seongnam_news", "행정"))
    unknown = await answer(router, say("channel", "@nowhere"))
    from_group = await answer(router, say("channel", "@seongnam_news", kind="group"))

    assert reply.header == "‘성남 뉴스’ 채널로 보냅니다: 분야 행정"
    assert await subscriptions(app, "-100777") == {(SubscriptionKind.SECTION, "행정")}
    assert unknown.header.startswith("@nowhere 채널을 찾지 못했습니다")
    assert from_group.header.startswith("채널 구독은 봇과의 1:1 대화에서")
    async with app.sessions() as session:
        chat = await session.scalar(select(Chat).where(Chat.platform_chat_id == "-100777"))
    assert chat is not None and chat.kind is ChatKind.CHANNEL


async def test_naming_a_channel_alone_shows_what_it_gets_and_changes_nothing(
    router: Router, app: App, directory: FakeDirectory
) -> None:
    directory.known["@seongnam_news"] = ChannelInfo("-100777", "성남 뉴스", True, True)
    empty = await answer(router, say("channel", "@seongnam_news"))
    await answer(router, say("channel", "@seongnam_news", "행정", "드론"))

    shown = await answer(router, say("channel", "@seongnam_news"))

    assert empty.header == "‘성남 뉴스’ 채널은 아직 받는 뉴스가 없습니다."
    assert shown.header == "‘성남 뉴스’ 채널이 받는 뉴스 2개"
    assert shown.notice.startswith(
        "• 분야 행정\n• 키워드 ‘드론’\n\n바꾸려면 /channel @seongnam_news"
    )
    assert await subscriptions(app, "-100777") == {
        (SubscriptionKind.SECTION, "행정"),
        (SubscriptionKind.KEYWORD, "드론"),
    }


# --- the router ---------------------------------------------------------------------------


async def test_unknown_commands_get_a_hint_private_text_is_searched_groups_stay_quiet(
    router: Router,
) -> None:
    unknown = await answer(router, say("weather"))
    found = await router.text(say("", "성남시는"))
    not_found = await router.text(say("", "안녕하세요반갑습니다"))
    in_group = await router.text(say("", "성남시는", kind="group"))

    assert unknown.header == "모르는 명령어입니다. /help 를 보내 보세요."
    assert found is not None and found.header.startswith("‘성남시는’ 검색 결과")
    assert not_found is not None
    assert not_found.header == "‘안녕하세요반갑습니다’에 대한 기사를 찾지 못했습니다."
    assert "/latest" in not_found.notice and "/help" in not_found.notice
    assert in_group is None


async def test_searches_beyond_the_limit_get_a_polite_wait(router: Router) -> None:
    replies = [await answer(router, say("search", "성남시")) for _ in range(4)]
    other_user = await answer(router, say("search", "성남시", user=MEMBER))

    assert all("검색 결과" in reply.header for reply in replies[:3])
    assert replies[3].header == "요청이 너무 잦습니다. 60초 뒤에 다시 시도해 주세요."
    assert "검색 결과" in other_user.header


async def test_a_failing_command_is_an_apology_in_the_chat_and_a_log_line(
    app: App, clock: FixedClock, directory: FakeDirectory, caplog: pytest.LogCaptureFixture
) -> None:
    async def on_fire(command: Command) -> Reply:
        raise RuntimeError("the store is on fire")

    broken = build_router(
        context_of(app, clock, directory), extra=[CommandSpec("explode", on_fire)]
    )

    reply = await answer(broken, say("explode", locale="en"))

    assert reply.header.startswith("Sorry, something went wrong")
    assert "command failed: platform=test chat=c1 user=100 command=explode" in caplog.text
    assert "on fire" in caplog.text  # the details are in the log, not in the chat


async def test_english_readers_see_sections_in_english_beside_their_korean_names(
    router: Router,
) -> None:
    start = await answer(router, say("start", chat="e1", locale="en"))
    done = await router.press(press("sub:s:스포츠", chat="e1", locale="en"))

    labels = {b.token: b.label for b in start.buttons}
    assert labels["sub:s:스포츠"] == "Sports (스포츠)"
    assert done is not None and done.header == "Subscribed: section Sports (스포츠)"
