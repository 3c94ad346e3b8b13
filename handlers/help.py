"""/help, written from the registry: every command this user may use, in their language."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.gate import Gate
from handlers.registry import Registry
from newsbot.conversation import Command, Reply
from newsbot.i18n import t


@dataclass(slots=True)
class Help:
    registry: Registry
    gate: Gate

    async def help(self, command: Command) -> Reply:
        role = await self.gate.newsroom_role(command.platform, command.user_id)
        lines = self.registry.help_lines(command.locale, role)
        return Reply(header=t(command.locale, "help.title"), notice="\n".join(lines))
