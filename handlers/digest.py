"""``/digest``: this chat's 가장 많이 본 뉴스 digest, now, as the reply.

It lists what the chat's next digest would (its size, window and scope), dated today in the
chat's zone. It is an answer, not the day's digest: the scheduled one still comes at its
time (``newsbot.digest``).
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers.common import chat_of
from handlers.context import HandlerContext
from newsbot.conversation import ArticleCard, Command, Reply
from newsbot.digest.now import preview
from newsbot.i18n import digest_title, t


@dataclass(slots=True)
class DigestHandlers:
    context: HandlerContext

    async def digest(self, command: Command) -> Reply:
        async with self.context.sessions() as session:
            chat = await chat_of(self.context, session, command)
            await session.commit()
            body = await preview(
                session, chat, now=self.context.clock.now(), zone=self.context.zone
            )
            await session.commit()
            language = chat.language or command.locale
        header = digest_title(language, body.day, weekly=body.weekly)
        if not body.items:
            return Reply(header=header, notice=t(language, "digest.empty"))
        cards = tuple(
            ArticleCard(
                title=item.title,
                url=item.url,
                section=item.section,
                published="",
                rank=rank,
                snippet=item.lead,
            )
            for rank, item in enumerate(body.items, start=1)
        )
        notice = t(language, "digest.fell_back") if body.fell_back else ""
        return Reply(header=header, notice=notice, cards=cards)
