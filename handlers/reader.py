"""Reader commands: /search, /top and /latest, for any platform.

Each takes a parsed Command and returns a Reply; search pages come back as ButtonPress tokens
(``sr:<query id>:<page>``) that fit Telegram's 64 bytes whatever the query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.context import HandlerContext
from newsbot.conversation import ArticleCard, Button, ButtonPress, Command, Reply, base36
from newsbot.i18n import t
from newsbot.ranking import Window, latest_articles, top_articles
from newsbot.search.engine import Hit, search
from newsbot.search.saved import save_query, saved_query
from newsbot.store.models import Article, SavedQuery

PAGE_SIZE = 5
MAX_LIST = 10
_WINDOW_WORDS = {
    "day": Window.DAY,
    "today": Window.DAY,
    "오늘": Window.DAY,
    "일간": Window.DAY,
    "week": Window.WEEK,
    "주간": Window.WEEK,
    "이번주": Window.WEEK,
    "month": Window.MONTH,
    "월간": Window.MONTH,
    "이번달": Window.MONTH,
}


class UsageProblem(Exception):
    """Arguments a reader got wrong; the message key says how to use the command."""


@dataclass(slots=True)
class ReaderHandlers:
    context: HandlerContext

    @property
    def zone(self) -> ZoneInfo:
        return self.context.zone

    # --- /search --------------------------------------------------------------------------

    async def search(self, command: Command) -> Reply:
        query = command.text.strip()
        if not query:
            return Reply(header=t(command.locale, "search.usage"))
        async with self.context.sessions() as session:
            saved = await save_query(session, query, now=self.context.clock.now())
            await session.commit()
            return await self._search_page(session, saved, 1, command.locale, edit=False)

    async def press_page(self, press: ButtonPress) -> Reply:
        """A search's paging button: ``sr:<query id, base 36>:<page>``."""
        rest = press.token.partition(":")[2]
        ident, _, page = rest.partition(":")
        try:
            query_id, number = int(ident, 36), max(1, int(page))
        except ValueError:
            query_id, number = 0, 1
        if not 0 < query_id < 2**31:  # not a token we could have made
            return Reply(header=t(press.locale, "search.expired"), edit=True)
        async with self.context.sessions() as session:
            saved = await saved_query(session, query_id)
            if saved is None:
                return Reply(header=t(press.locale, "search.expired"), edit=True)
            return await self._search_page(session, saved, number, press.locale, edit=True)

    async def _search_page(
        self, session: AsyncSession, saved: SavedQuery, page: int, locale: str, *, edit: bool
    ) -> Reply:
        result = await search(
            session,
            self.context.analyzer,
            saved.text,
            now=self.context.clock.now(),
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
            section=saved.section,
        )
        shown = _short(saved.text)
        if not result.total:
            return Reply(header=t(locale, "search.nothing", query=shown), edit=edit)
        pages = -(-result.total // PAGE_SIZE)
        page = min(page, pages)
        if not result.hits:  # a stale button past the last page
            return await self._search_page(session, saved, pages, locale, edit=edit)
        buttons = []
        token = f"sr:{base36(saved.id)}"
        if page > 1:
            buttons.append(Button(t(locale, "button.previous"), f"{token}:{page - 1}"))
        if page < pages:
            buttons.append(Button(t(locale, "button.next"), f"{token}:{page + 1}"))
        first_rank = (page - 1) * PAGE_SIZE + 1
        return Reply(
            header=t(
                locale, "search.header", query=shown, total=result.total, page=page, pages=pages
            ),
            notice=t(locale, "search.fell_back") if result.fell_back else "",
            cards=tuple(self._hit_card(hit, first_rank + n) for n, hit in enumerate(result.hits)),
            buttons=tuple(buttons),
            edit=edit,
        )

    def _hit_card(self, hit: Hit, rank: int) -> ArticleCard:
        return ArticleCard(
            title=hit.article.title,
            url=hit.article.url,
            section=hit.article.section,
            published=_when(hit.article.published_at, self.zone),
            rank=rank,
            title_marks=hit.title_marks,
            snippet=hit.snippet.text,
            snippet_marks=hit.snippet.marks,
            is_breaking=hit.article.is_breaking,
        )

    # --- /top and /latest -----------------------------------------------------------------

    async def top(self, command: Command) -> Reply:
        try:
            count, window = _top_args(command.args)
        except UsageProblem:
            return Reply(header=t(command.locale, "top.usage"))
        async with self.context.sessions() as session:
            top = await top_articles(
                session, window=window, now=self.context.clock.now(), zone=self.zone, limit=count
            )
        label = t(command.locale, f"window.{window.value}")
        if not top.entries:
            return Reply(header=t(command.locale, "empty"))
        cards = tuple(
            self._card(entry.article, rank, views=entry.views)
            for rank, entry in enumerate(top.entries, start=1)
        )
        return Reply(
            header=t(command.locale, "top.header", window=label),
            notice=t(command.locale, "top.fell_back", window=label) if top.fell_back else "",
            cards=cards,
        )

    async def latest(self, command: Command) -> Reply:
        try:
            count = _count(command.args[:1], default=5) if command.args else 5
            if len(command.args) > 1:
                raise UsageProblem
        except UsageProblem:
            return Reply(header=t(command.locale, "latest.usage"))
        async with self.context.sessions() as session:
            articles = await latest_articles(session, limit=count)
        if not articles:
            return Reply(header=t(command.locale, "empty"))
        return Reply(
            header=t(command.locale, "latest.header"),
            cards=tuple(self._card(a, rank) for rank, a in enumerate(articles, start=1)),
        )

    def _card(self, article: Article, rank: int, views: int | None = None) -> ArticleCard:
        return ArticleCard(
            title=article.title,
            url=article.url,
            section=article.section,
            published=_when(article.published_at, self.zone),
            rank=rank,
            snippet=article.lead,
            views=views,
            is_breaking=article.is_breaking,
        )


def _count(args: tuple[str, ...], *, default: int) -> int:
    if not args:
        return default
    try:
        value = int(args[0])
    except ValueError:
        raise UsageProblem from None
    if not 1 <= value <= MAX_LIST:
        raise UsageProblem
    return value


def _top_args(args: tuple[str, ...]) -> tuple[int, Window]:
    count, window = 7, Window.DAY
    seen_count = seen_window = False
    for arg in args:
        lowered = arg.lower()
        if lowered in _WINDOW_WORDS and not seen_window:
            window, seen_window = _WINDOW_WORDS[lowered], True
        elif arg.isdigit() and not seen_count:
            count, seen_count = _count((arg,), default=7), True
        else:
            raise UsageProblem
    return count, window


def _when(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%m-%d %H:%M")


def _short(query: str, limit: int = 40) -> str:
    return query if len(query) <= limit else query[: limit - 1] + "…"
