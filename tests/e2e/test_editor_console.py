"""An editor at the console: /breaking, /correct and /retract end to end, from the typed
lines through the matcher and the dispatcher to every chat's copy and the progress message.

Readers' chats are on a recording platform; the editor's progress goes through the console
platform, as in the demo. Matching, dispatching and progress passes are run one at a time
(``Service.match_all``, ``dispatch_all``, ``show_progress``), the clock moved by hand.
"""

from __future__ import annotations

import dataclasses
import io

from sqlalchemy import select

from newsbot.app import App
from newsbot.bot import Bot, ConsoleChat, Overrides, build_bot
from newsbot.cli.chats import editorial_line
from newsbot.clock import FixedClock
from newsbot.delivery.broadcasts import recent
from newsbot.delivery.outcomes import Outgoing
from newsbot.platforms.console import ConsolePlatform
from newsbot.roles import Role
from newsbot.store.delivery_models import Delivery, DeliveryKind, DeliveryState
from newsbot.store.editorial import AuditEntry
from newsbot.store.models import Article
from newsbot.store.staff import appoint
from tests.builders import ALL_NEWS, SITE, add_chat, draft, section, store_articles
from tests.conftest import START, make_settings
from tests.fakes.platform import RecordingPlatform


@dataclasses.dataclass
class Desk:
    bot: Bot
    readers: RecordingPlatform
    progress: io.StringIO

    async def say(self, *lines: str) -> str:
        said = ""
        for line in lines:
            said = await self.bot.console.say(line)
        return said

    async def deliver(self, clock: FixedClock) -> None:
        """Match, send everything due, then let the progress message catch up."""
        await self.bot.service.match_all()
        await self.bot.service.dispatch_all()
        clock.advance(seconds=3)
        await self.bot.service.show_progress()


def desk(app: App, user: str = "desk") -> Desk:
    readers, progress = RecordingPlatform(), io.StringIO()
    settings = make_settings(app.settings.database_url)
    bot = build_bot(
        dataclasses.replace(app, settings=settings),
        console=ConsoleChat(out=io.StringIO(), user_id=user),
        overrides=Overrides(
            platforms={"test": readers, "console": ConsolePlatform(stream=progress)},
            dispatch_owner="e2e:desk",
        ),
    )
    return Desk(bot, readers, progress)


async def appoint_editor(app: App, user: str = "desk") -> None:
    async with app.sessions() as session:
        await appoint(session, "console", user, Role.EDITOR, now=app.clock.now(), by="cli")
        await session.commit()


def copies(readers: RecordingPlatform, kind: str) -> dict[str, Outgoing]:
    return {chat: m for chat, m in readers.sent if m.kind == kind}


async def test_breaking_news_asked_step_by_step_reaches_every_chat_once(
    app: App, clock: FixedClock
) -> None:
    await appoint_editor(app)
    for name in ("a", "b"):
        await add_chat(app, name, ALL_NEWS)
    await add_chat(app, "sports-only", section("스포츠"))  # breaking news reaches it too
    d = desk(app)

    asked = [
        await d.say("/breaking"),
        await d.say("시청 앞 도로 통제"),
        await d.say("오후 3시부터 전면 통제됩니다."),
        await d.say("1"),  # skip the URL
    ]
    preview = await d.say("1")  # skip the section
    sending = await d.say("1")  # Send
    again = await d.say("1")  # Send, pressed twice
    await d.deliver(clock)

    assert "제목" in asked[0] and "리드" in asked[1] and "주소" in asked[2]
    assert "분야" in asked[3]
    assert "미리보기" in preview and "🔴 속보 시청 앞 도로 통제" in preview
    assert "오후 3시부터" in preview
    assert "보내기 시작" in sending
    assert "이미 처리" in again
    sent = copies(d.readers, "breaking")
    assert set(sent) == {"a", "b", "sports-only"}
    assert len(d.readers.sent) == 3
    assert sent["a"].title == "시청 앞 도로 통제"
    summary = d.progress.getvalue().strip().splitlines()
    assert "속보 「시청 앞 도로 통제」 완료: 3곳 중 3곳 전달, 실패 0" in summary[-2]
    assert summary[-1].endswith("50%: 0.0초 · 95%: 0.0초 · 100%: 0.0초")


async def test_a_one_line_breaking_then_correction_edits_every_copy_then_retraction(
    app: App, clock: FixedClock
) -> None:
    await appoint_editor(app)
    for name in ("a", "b", "c"):
        await add_chat(app, name, ALL_NEWS)
    d = desk(app)
    await d.say("/breaking 도서관 휴관 | 내일 하루 쉽니다 | https://news.example/a/9", "1")
    await d.deliver(clock)
    async with app.sessions() as session:
        article = await session.scalar(select(Article).where(Article.source == "newsroom"))
        assert article is not None and article.is_breaking
        first = {
            d.chat_id: d.platform_message_id
            for d in await session.scalars(
                select(Delivery).where(Delivery.article_id == article.id)
            )
        }

    preview = await d.say(f"/correct {article.id} 도서관 임시 휴관 | 모레까지 쉽니다")
    await d.say("1")
    await d.deliver(clock)
    edits = copies(d.readers, "edit")

    assert "보낸 3부" in preview and "[정정] 도서관 임시 휴관" in preview
    assert set(edits) == {"a", "b", "c"}
    assert {m.replaces_message_id for m in edits.values()} == set(first.values())
    assert all(m.title == "도서관 임시 휴관" for m in edits.values())
    assert "제자리 수정 3 · 답장으로 정정 0" in d.progress.getvalue()

    await d.say(f"/retract {article.id}", "1")
    await d.deliver(clock)
    retractions = copies(d.readers, "retraction")
    top = await d.say("/latest")
    found = await d.say("/search 도서관")

    assert set(retractions) == {"a", "b", "c"}
    assert "삭제 3 · 취소 안내로 대체 0" in d.progress.getvalue()
    assert "도서관" not in top
    assert "임시 휴관" not in found and "찾지 못했습니다" in found
    async with app.sessions() as session:
        audit = [(e.action, e.outcome) for e in await session.scalars(select(AuditEntry))]
    assert ("breaking", "sent") in audit and ("correct", "sent") in audit
    assert ("retract", "sent") in audit and ("retract finished", "done") in audit
    async with app.sessions() as session:
        stats = await recent(session, since=START, now=clock.now())
    assert [(s["action"], s["recipients"], s["delivered"]) for s in stats] == [
        ("breaking", 3, 3),
        ("correct", 3, 3),
        ("retract", 3, 3),
    ]
    assert editorial_line(stats[1]).endswith("edited 3, replied 0")
    assert editorial_line(stats[2]).endswith("deleted 3, replaced 0")


async def test_a_reader_is_refused_breaking_news_and_the_attempt_is_audited(app: App) -> None:
    d = desk(app, user="stranger")

    answer = await d.say("/breaking 가짜 속보 | 가짜")

    assert answer == "편집자만 쓸 수 있는 명령입니다."
    async with app.sessions() as session:
        audit = list(await session.scalars(select(AuditEntry)))
        drafts = await session.scalar(select(Article.id))
    assert [(e.user_id, e.action, e.outcome) for e in audit] == [
        ("stranger", "/breaking", "refused")
    ]
    assert drafts is None


async def test_a_retraction_drops_what_was_still_waiting_to_go(app: App, clock: FixedClock) -> None:
    await appoint_editor(app)
    await add_chat(app, "a", ALL_NEWS)
    d = desk(app)
    await d.say("/breaking 오보 | 잘못된 기사", "1")
    await d.bot.service.match_all()  # queued, not sent
    async with app.sessions() as session:
        article_id = await session.scalar(select(Article.id))

    await d.say(f"/retract {article_id}", "1")
    await d.deliver(clock)

    assert d.readers.sent == []
    async with app.sessions() as session:
        states = set(
            await session.scalars(
                select(Delivery.state).where(Delivery.kind == DeliveryKind.BREAKING)
            )
        )
    assert states == {DeliveryState.DROPPED}


async def test_breaking_news_at_the_url_of_a_stored_article_is_refused_and_changes_nothing(
    app: App, clock: FixedClock
) -> None:
    await appoint_editor(app)
    await add_chat(app, "a", ALL_NEWS)
    await store_articles(app, draft(7, "이미 있는 기사"))
    d = desk(app)

    preview = await d.say(f"/breaking 속보 | 리드 | {SITE}/a/7")
    assert "미리보기" in preview, preview
    refused = await d.say("1")
    again = await d.say("1")
    await d.deliver(clock)

    assert "이미 있습니다" in refused
    assert "이미 있습니다" in again  # the draft is still open: nothing was sent
    assert [m.title for _, m in d.readers.sent] == ["이미 있는 기사"]  # its own headline only


async def test_a_chat_opts_out_of_newsroom_breaking_news_in_its_settings(
    app: App, clock: FixedClock
) -> None:
    await appoint_editor(app)
    await add_chat(app, "desk", section("스포츠"), platform="console")
    await add_chat(app, "other", section("스포츠"))
    d = desk(app)

    shown = await d.say("/settings 속보 끄기")
    await d.say("/breaking 정전 | 시 전역", "1")
    await d.deliver(clock)

    assert "편집국 속보: 끔" in shown
    assert set(copies(d.readers, "breaking")) == {"other"}
    assert "→ desk:" not in d.progress.getvalue()  # the console chat's own copy: none


async def test_a_one_line_command_may_break_its_line_after_the_command_word(app: App) -> None:
    await appoint_editor(app)
    await store_articles(app, draft(3, "옛 제목"))
    d = desk(app)

    breaking = await d.say("/breaking\n새벽 강풍 | 간판 추락 주의")
    correction = await d.say("/correct 1\n새 제목 | 새 리드")

    assert "미리보기" in breaking and "🔴 속보 새벽 강풍" in breaking
    assert "정정 미리보기" in correction and "[정정] 새 제목" in correction
