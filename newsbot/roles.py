"""Who may do what: the four roles a command can require.

Two of them belong to a chat (any reader; an administrator of the chat the command came
from, which only the platform can tell) and two to the newsroom (its editors and admins,
kept in the store and bootstrapped from ``NEWSBOT_ADMINS``). A newsroom admin is an editor
too; being an editor says nothing about a chat, and being a chat admin nothing about the
newsroom.
"""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    READER = "reader"
    CHAT_ADMIN = "chat_admin"
    EDITOR = "editor"
    ADMIN = "admin"

    @property
    def is_newsroom(self) -> bool:
        return self in (Role.EDITOR, Role.ADMIN)


NEWSROOM_ROLES = (Role.EDITOR, Role.ADMIN)


def grants(held: Role | None, needed: Role) -> bool:
    """Whether a newsroom role ``held`` covers the newsroom role ``needed``."""
    if held is None:
        return False
    return held is Role.ADMIN or held is needed
