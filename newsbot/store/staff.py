"""The newsroom's people in the bot: who is an editor or an admin, on which platform.

A platform user (a Telegram user id, a Slack user id, a console name) holds at most one
newsroom role. ``NEWSBOT_ADMINS`` names admins who need no row (so a fresh install has
someone who may appoint the rest); everyone else is a reader to the newsroom. Chat roles
(who administers a group) are the platform's to say, not stored here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, UniqueConstraint, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from newsbot.roles import Role
from newsbot.store.base import Base, text_enum


class StaffMember(Base):
    __tablename__ = "staff"
    __table_args__ = (UniqueConstraint("platform", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[str] = mapped_column(String(100))
    role: Mapped[Role] = mapped_column(text_enum(Role))
    added_by: Mapped[str | None] = mapped_column(String(130))  # "platform:user", or "cli"
    added_at: Mapped[datetime]


async def newsroom_role(session: AsyncSession, platform: str, user_id: str) -> Role | None:
    """The user's stored newsroom role (editor or admin), or None for a reader."""
    return await session.scalar(
        select(StaffMember.role).where(
            StaffMember.platform == platform, StaffMember.user_id == user_id
        )
    )


async def appoint(
    session: AsyncSession,
    platform: str,
    user_id: str,
    role: Role,
    *,
    now: datetime,
    by: str | None = None,
) -> StaffMember:
    """Give a user a newsroom role, replacing the one they had."""
    if not role.is_newsroom:
        raise ValueError(f"{role} is not a newsroom role")
    member = await session.scalar(
        select(StaffMember).where(StaffMember.platform == platform, StaffMember.user_id == user_id)
    )
    if member is None:
        member = StaffMember(platform=platform, user_id=user_id, role=role, added_at=now)
        session.add(member)
    member.role, member.added_by, member.added_at = role, by, now
    await session.flush()
    return member


async def dismiss(session: AsyncSession, platform: str, user_id: str) -> bool:
    """Take a user's newsroom role away; False when they had none."""
    result = await session.execute(
        delete(StaffMember).where(StaffMember.platform == platform, StaffMember.user_id == user_id)
    )
    return bool(getattr(result, "rowcount", 0))


async def staff(session: AsyncSession) -> list[StaffMember]:
    rows = await session.scalars(
        select(StaffMember).order_by(StaffMember.platform, StaffMember.user_id)
    )
    return list(rows)
