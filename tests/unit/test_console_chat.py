"""The console chat: typed lines become commands and button presses; replies print as text."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from newsbot.conversation import (
    ArticleCard,
    Button,
    ButtonPress,
    Command,
    MenuEntry,
    Reply,
)
from newsbot.platforms.console_chat import ConsoleFrontend, render_reply


@dataclass
class Recording:
    """A Conversations that remembers what it was asked and answers with buttons."""

    commands: list[Command] = field(default_factory=list)
    presses: list[ButtonPress] = field(default_factory=list)

    async def command(self, command: Command) -> Reply | None:
        self.commands.append(command)
        return Reply(
            header=f"/{command.name} {' '.join(command.args)}".strip(),
            buttons=(Button("다음 ▶", "sr:1:2"), Button("전체", "sub:all", row=1)),
        )

    async def text(self, command: Command) -> Reply | None:
        return Reply(header="명령어로 말씀해 주세요.")

    async def press(self, press: ButtonPress) -> Reply | None:
        self.presses.append(press)
        return Reply(header=f"pressed {press.token}", edit=True)

    async def joined(self, command: Command) -> Reply | None:
        return None

    async def left(self, platform: str, chat_id: str, reason: str) -> None:
        return None

    def menu(self, locale: str) -> list[MenuEntry]:
        return []

    def command_name(self, word: str) -> str | None:
        return word


def test_a_reply_prints_header_notice_cards_and_numbered_buttons() -> None:
    reply = Reply(
        header="가장 많이 본 뉴스 (오늘)",
        notice="조회 기록이 없어 최신 기사를 보여 드립니다.",
        cards=(
            ArticleCard(
                "성남시, 드론 배송", "https://n.kr/1", "행정", "11-22 09:30", rank=1, views=1532
            ),
        ),
        buttons=(Button("◀ 이전", "sr:1:1"), Button("다음 ▶", "sr:1:3")),
    )

    assert render_reply(reply) == (
        "가장 많이 본 뉴스 (오늘)\n\n"
        "조회 기록이 없어 최신 기사를 보여 드립니다.\n\n"
        "1. 성남시, 드론 배송\n   행정 · 11-22 09:30 · 👁 1,532\n   https://n.kr/1\n\n"
        "[1] ◀ 이전  [2] 다음 ▶"
    )


async def test_a_typed_command_reaches_the_router_as_the_console_user() -> None:
    router, out = Recording(), io.StringIO()
    console = ConsoleFrontend(router, out=out, user_id="kim")

    shown = await console.say("/search 성남시는 드론")

    (command,) = router.commands
    assert (command.platform, command.chat_id, command.user_id) == ("console", "desk", "kim")
    assert (command.name, command.args) == ("search", ("성남시는", "드론"))
    assert shown.startswith("/search 성남시는 드론") and out.getvalue() == shown + "\n"


async def test_a_number_presses_that_button_of_the_last_reply() -> None:
    router = Recording()
    console = ConsoleFrontend(router, out=io.StringIO())
    await console.say("/search 드론")

    shown = await console.say("2")
    out_of_range = await console.say("7")

    assert [p.token for p in router.presses] == ["sub:all"]
    assert shown == "pressed sub:all"
    assert out_of_range == "1-2"


async def test_plain_text_is_plain_text() -> None:
    console = ConsoleFrontend(Recording(), out=io.StringIO())

    assert await console.say("안녕") == "명령어로 말씀해 주세요."
