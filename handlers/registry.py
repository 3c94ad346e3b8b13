"""Commands as data: every chat command and button, the role it needs, and its handler.

A new command is a handler plus one ``CommandSpec``: its words (Korean and English), the role
it requires, whether it is rate-limited; its menu and help lines are the catalog entries
``menu.<name>`` and ``usage.<name>``. The router checks the role in one place
(``handlers.gate``) before any handler runs, so no handler checks permissions by hand, and the
platforms' command menus and ``/help`` are generated from here.

Buttons are registered the same way, by the prefix of their token (``sub:all`` → ``sub``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from newsbot.conversation import ButtonPress, Command, MenuEntry, Reply
from newsbot.i18n import has, t
from newsbot.roles import Role, grants

CommandHandler = Callable[[Command], Awaitable[Reply]]
PressHandler = Callable[[ButtonPress], Awaitable[Reply | None]]
# Roles whose commands every reader may see in a platform's menu; the newsroom's own
# commands are listed in /help to those who hold them, never in the public menu.
MENU_ROLES = (Role.READER, Role.CHAT_ADMIN)


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str  # the English word, without the slash: what menus show
    handler: CommandHandler
    aliases: tuple[str, ...] = ()  # other words for it: Korean, short forms
    role: Role = Role.READER
    # Without arguments the command only shows what is set (``/settings``): anyone may look,
    # and ``role`` applies to changing it.
    shows_without_args: bool = False
    rate_limited: bool = False  # costs real work per call: limited per user
    in_menu: bool = True  # in the platform's command menu
    in_help: bool = True  # a line in /help

    @property
    def words(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    def role_for(self, command: Command) -> Role:
        if self.shows_without_args and not command.args:
            return Role.READER
        return self.role


@dataclass(frozen=True, slots=True)
class ButtonSpec:
    prefix: str  # the token up to its first colon
    handler: PressHandler
    role: Role = Role.READER


class Registry:
    def __init__(
        self, commands: Iterable[CommandSpec] = (), buttons: Iterable[ButtonSpec] = ()
    ) -> None:
        self._commands: list[CommandSpec] = []
        self._by_word: dict[str, CommandSpec] = {}
        self._buttons: dict[str, ButtonSpec] = {}
        for spec in commands:
            self.add(spec)
        for button in buttons:
            self.add_button(button)

    def add(self, spec: CommandSpec) -> None:
        for word in spec.words:
            if word.lower() in self._by_word:
                raise ValueError(f"/{word} is registered twice")
        self._commands.append(spec)
        self._by_word.update({word.lower(): spec for word in spec.words})

    def add_button(self, spec: ButtonSpec) -> None:
        if spec.prefix in self._buttons or ":" in spec.prefix:
            raise ValueError(f"button prefix {spec.prefix!r} is taken or has a colon")
        self._buttons[spec.prefix] = spec

    @property
    def commands(self) -> tuple[CommandSpec, ...]:
        return tuple(self._commands)

    def command(self, word: str) -> CommandSpec | None:
        return self._by_word.get(word.lower())

    def button(self, token: str) -> ButtonSpec | None:
        return self._buttons.get(token.partition(":")[0])

    def menu(self, locale: str) -> list[MenuEntry]:
        return [
            MenuEntry(spec.name, _menu_text(spec, locale))
            for spec in self._commands
            if spec.in_menu and spec.role in MENU_ROLES
        ]

    def help_lines(self, locale: str, newsroom_role: Role | None) -> list[str]:
        """A line per command this user may use: every reader's and chat admin's, and the
        newsroom's own to those who hold the role."""
        lines = []
        for spec in self._commands:
            if not spec.in_help:
                continue
            if spec.role.is_newsroom and not grants(newsroom_role, spec.role):
                continue
            key = f"usage.{spec.name}"
            lines.append(t(locale, key) if has(locale, key) else f"/{spec.name}")
        return lines


def _menu_text(spec: CommandSpec, locale: str) -> str:
    key = f"menu.{spec.name}"
    return t(locale, key) if has(locale, key) else spec.name
