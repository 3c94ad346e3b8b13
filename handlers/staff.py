"""/editors: a newsroom admin names editors and admins from the chat (the CLI's
``newsbot editors`` does the same from a terminal). Each change is audited."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.context import HandlerContext
from newsbot.conversation import Command, Reply
from newsbot.i18n import t
from newsbot.roles import Role
from newsbot.store.audit import record
from newsbot.store.staff import appoint, dismiss, staff


def parse_member(text: str) -> tuple[str, str] | None:
    """``telegram:12345`` → ("telegram", "12345")."""
    platform, sep, user = text.partition(":")
    if not (sep and platform and user) or platform not in ("telegram", "slack", "console"):
        return None
    return platform, user


@dataclass(slots=True)
class Staff:
    context: HandlerContext

    async def editors(self, command: Command) -> Reply:
        locale, args = command.locale, command.args
        if not args:
            async with self.context.sessions() as session:
                members = await staff(session)
            if not members:
                return Reply(header=t(locale, "editors.none"))
            lines = [f"{m.platform}:{m.user_id} · {m.role.value}" for m in members]
            return Reply(header=t(locale, "editors.header"), notice="\n".join(lines))
        verb = args[0].lower()
        member = parse_member(args[1]) if len(args) > 1 else None
        if verb not in ("add", "remove") or member is None:
            return Reply(header=t(locale, "editors.usage"))
        role = Role.EDITOR
        if verb == "add" and len(args) > 2:
            if args[2].lower() not in (Role.EDITOR.value, Role.ADMIN.value):
                return Reply(header=t(locale, "editors.usage"))
            role = Role(args[2].lower())
        who = f"{member[0]}:{member[1]}"
        now = self.context.clock.now()
        async with self.context.sessions() as session:
            if verb == "add":
                by = f"{command.platform}:{command.user_id}"
                await appoint(session, *member, role, now=now, by=by)
                answer = t(locale, "editors.added", who=who, role=role.value)
                outcome = "done"
            elif await dismiss(session, *member):
                answer, outcome = t(locale, "editors.removed", who=who), "done"
            else:
                answer, outcome = t(locale, "editors.not_found", who=who), "not found"
            record(
                session,
                at=now,
                platform=command.platform,
                user_id=command.user_id,
                action=f"editors {verb}",
                outcome=outcome,
                detail=f"{who} {role.value if verb == 'add' else ''}".strip(),
            )
            await session.commit()
        return Reply(header=answer)
