"""The command registry: one entry per command, its words unique, its role declared."""

from __future__ import annotations

import pytest

from handlers.registry import ButtonSpec, CommandSpec, Registry
from newsbot.conversation import ButtonPress, Command, Reply
from newsbot.roles import Role


async def noop(command: Command) -> Reply:
    return Reply(header=command.name)


async def noop_press(press: ButtonPress) -> Reply | None:
    return None


def registry() -> Registry:
    return Registry(
        [
            CommandSpec("top", noop, ("인기",)),
            CommandSpec("settings", noop, ("설정",), role=Role.CHAT_ADMIN, shows_without_args=True),
            CommandSpec("channel", noop, in_menu=False),
            CommandSpec("breaking", noop, ("속보",), role=Role.EDITOR),
            CommandSpec("editors", noop, role=Role.ADMIN),
        ],
        [ButtonSpec("sr", noop_press)],
    )


def test_a_command_is_found_by_any_of_its_words_whatever_the_case() -> None:
    found = registry()

    assert found.command("TOP") is found.command("인기") is not None
    assert found.command("nothing") is None


def test_a_word_registered_twice_is_refused() -> None:
    words = registry()

    with pytest.raises(ValueError, match="/인기 is registered twice"):
        words.add(CommandSpec("popular", noop, ("인기",)))
    with pytest.raises(ValueError, match="taken"):
        words.add_button(ButtonSpec("sr", noop_press))


def test_showing_settings_needs_no_role_but_changing_them_does() -> None:
    spec = registry().command("settings")
    assert spec is not None

    assert spec.role_for(Command("t", "c", "u", "settings")) is Role.READER
    assert spec.role_for(Command("t", "c", "u", "settings", ("언어", "en"))) is Role.CHAT_ADMIN


def test_the_public_menu_has_readers_and_chat_admins_commands_only() -> None:
    menu = [entry.command for entry in registry().menu("en")]

    assert menu == ["top", "settings"]


def test_help_shows_the_newsrooms_commands_to_those_who_hold_the_role() -> None:
    def names(role: Role | None) -> list[str]:
        return [line.split()[0] for line in registry().help_lines("ko", role)]

    assert names(None) == ["/top", "/settings", "/channel"]
    assert names(Role.EDITOR) == ["/top", "/settings", "/channel", "/breaking"]
    assert names(Role.ADMIN) == ["/top", "/settings", "/channel", "/breaking", "/editors"]


def test_a_button_is_found_by_its_tokens_prefix() -> None:
    found = registry()

    assert found.button("sr:1a:2") is not None
    assert found.button("srx:1") is None and found.button("") is None
