"""Reader commands: /search, /top and /latest, for any platform.

Each takes a parsed Command and returns a Reply; search pages come back as ButtonPress tokens
(``sr:<query id>:<page>:<order><period>``, see ``handlers.search_options``) that fit
Telegram's 64 bytes whatever the query. A search that finds little offers close words
("이것을 찾으셨나요?") as buttons that run them; the typed query is never replaced.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.context import HandlerContext
from handlers.search_options import (
    PERIOD_BUTTONS,
    BadToken,
    Page,
    describe,
    period_code,
    read_token,
)
from newsbot.conversation import ArticleCard, Button, ButtonPress, Command, Reply, base36
from newsbot.i18n import t
from newsbot.ranking import Window, latest_articles, top_articles
from newsbot.search.engine import Hit, SearchResult, search
from newsbot.search.filters import Sort, is_filter
from newsbot.search.saved import save_query, saved_query
from newsbot.search.suggest import suggest
from newsbot.store.models import Article, SavedQuery

PAGE_SIZE = 5
MAX_LIST = 10
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_LEAD_WORDS = frozenset({"leads", "lead", "full", "요약", "자세히", "리드"})
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
            return await self._search_page(session, saved, Page(saved.id, 1), command.locale)

    async def press_page(self, press: ButtonPress) -> Reply:
        """A search's button (a page, an order, a period, a suggestion):
        ``sr:<query id, base 36>:<page>:<order><period>``."""
        try:
            page = read_token(press.token)
        except BadToken:  # not a token we could have made
            return Reply(header=t(press.locale, "search.expired"), edit=True)
        async with self.context.sessions() as session:
            saved = await saved_query(session, page.query_id)
            if saved is None:
                return Reply(header=t(press.locale, "search.expired"), edit=True)
            return await self._search_page(session, saved, page, press.locale, edit=True)

    async def _search_page(
        self,
        session: AsyncSession,
        saved: SavedQuery,
        page: Page,
        locale: str,
        *,
        edit: bool = False,
    ) -> Reply:
        now = self.context.clock.now()
        result = await search(
            session,
            self.context.analyzer,
            saved.text,
            now=now,
            limit=PAGE_SIZE,
            offset=(page.number - 1) * PAGE_SIZE,
            section=saved.section,
            period=page.period_choice,
            sort=page.sort_choice,
            zone=self.zone,
        )
        if result.query.bad_filter:
            return Reply(
                header=t(locale, "search.bad_filter", value=_short(result.query.bad_filter)),
                edit=edit,
            )
        shown = _short(" ".join(w for w in saved.text.split() if not is_filter(w)))
        filtered = result.query.period is not None or result.sort is Sort.NEWEST
        described = describe(locale, result.query.period, result.sort) if filtered else ""
        suggestions = (
            await self._suggestions(session, saved, page, result, locale)
            if page.number == 1
            else ()
        )
        hint = t(locale, "search.did_you_mean") if suggestions else ""
        sorts, periods = self._option_buttons(saved, page, result, locale)
        if not result.total:
            return Reply(
                header=t(locale, "search.nothing", query=shown),
                notice="\n".join(filter(None, (described, hint or t(locale, "search.try")))),
                # Nothing to order; a period to widen, if one narrowed the search.
                buttons=(*(periods if result.query.period else ()), *suggestions),
                edit=edit,
            )
        pages = -(-result.total // PAGE_SIZE)
        if not result.hits:  # a stale button past the last page
            return await self._search_page(
                session, saved, replace(page, number=pages), locale, edit=edit
            )
        paging = []
        ident = base36(saved.id)
        if page.number > 1:
            previous = replace(page, number=page.number - 1)
            paging.append(Button(t(locale, "button.previous"), previous.token("sr", ident)))
        if page.number < pages:
            following = replace(page, number=page.number + 1)
            paging.append(Button(t(locale, "button.next"), following.token("sr", ident)))
        first_rank = (page.number - 1) * PAGE_SIZE + 1
        fell_back = t(locale, "search.fell_back") if result.fell_back else ""
        return Reply(
            header=t(
                locale,
                "search.header",
                query=shown,
                total=result.total,
                page=page.number,
                pages=pages,
            ),
            notice="\n".join(filter(None, (described, fell_back, hint))),
            cards=tuple(self._hit_card(hit, first_rank + n) for n, hit in enumerate(result.hits)),
            buttons=(*paging, *sorts, *periods, *suggestions),
            edit=edit,
        )

    def _option_buttons(
        self, saved: SavedQuery, page: Page, result: SearchResult, locale: str
    ) -> tuple[tuple[Button, ...], tuple[Button, ...]]:
        """Order (관련도순/최신순) and period (전체/1주/1개월) buttons, the current ones ticked;
        each keeps the query and the other choice, and goes back to the first page."""
        ident = base36(saved.id)
        current = period_code(result.query.period)
        period = page.period  # a typed period stays in the query's text
        sort = "n" if result.sort is Sort.NEWEST else "r"

        def ticked(label: str, on: bool) -> str:
            return t(locale, "button.active", label=label) if on else label

        sorts = tuple(
            Button(
                ticked(t(locale, key), code == sort),
                Page(saved.id, 1, code, period).token("sr", ident),
                row=1,
            )
            for code, key in (("r", "button.sort_relevance"), ("n", "button.sort_newest"))
        )
        periods = tuple(
            Button(
                ticked(t(locale, key), code == current),
                Page(saved.id, 1, sort, code).token("sr", ident),
                row=2,
            )
            for code, key, _ in PERIOD_BUTTONS
        )
        return sorts, periods

    async def _suggestions(
        self,
        session: AsyncSession,
        saved: SavedQuery,
        page: Page,
        result: SearchResult,
        locale: str,
    ) -> tuple[Button, ...]:
        """ "이것을 찾으셨나요?" buttons: each runs a close search, saved like a typed one."""
        now = self.context.clock.now()
        found = await suggest(
            session, self.context.analyzer, saved.text, result, now=now, zone=self.zone
        )
        buttons = []
        for n, suggestion in enumerate(found):
            other = await save_query(session, suggestion.text, now=now)
            other.section = saved.section
            await session.flush()
            token = replace(page, query_id=other.id, number=1).token("sr", base36(other.id))
            label = t(locale, "button.suggestion", word=_short(suggestion.text, 30))
            buttons.append(Button(label, token, row=3 + n))
        if buttons:
            await session.commit()
        return tuple(buttons)

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
        """``/top [N] [day|week|month] [leads]``: one line an article unless leads are asked
        for. Without a window, a day with no views yet widens to the last 7 days."""
        try:
            asked = _list_args(command.args, windows=True)
        except UsageProblem:
            return Reply(header=t(command.locale, "top.usage"))
        window = asked.window or Window.DAY
        now = self.context.clock.now()
        async with self.context.sessions() as session:
            top = await top_articles(
                session, window=window, now=now, zone=self.zone, limit=asked.count
            )
            widened = top.fell_back and asked.window is None
            if widened:
                wider = await top_articles(
                    session, window=Window.WEEK, now=now, zone=self.zone, limit=asked.count
                )
                if not wider.fell_back:
                    top, window = wider, Window.WEEK
                else:
                    widened = False
        if not top.entries:
            return Reply(header=t(command.locale, "empty"))
        label = t(command.locale, f"window.{window.value}")
        notes = [t(command.locale, "top.capped", most=MAX_LIST)] if asked.capped else []
        if widened:
            notes.append(t(command.locale, "top.widened", window=label))
        elif top.fell_back:
            notes.append(t(command.locale, "top.fell_back", window=label))
        cards = tuple(
            self._card(entry.article, rank, command.locale, views=entry.views, lead=asked.leads)
            for rank, entry in enumerate(top.entries, start=1)
        )
        return Reply(
            header=t(command.locale, "top.header", window=label),
            notice="\n".join(notes),
            cards=cards,
        )

    async def latest(self, command: Command) -> Reply:
        """``/latest [N] [leads]``."""
        try:
            asked = _list_args(command.args, windows=False, default=5)
        except UsageProblem:
            return Reply(header=t(command.locale, "latest.usage"))
        async with self.context.sessions() as session:
            articles = await latest_articles(session, limit=asked.count)
        if not articles:
            return Reply(header=t(command.locale, "empty"))
        return Reply(
            header=t(command.locale, "latest.header"),
            notice=t(command.locale, "top.capped", most=MAX_LIST) if asked.capped else "",
            cards=tuple(
                self._card(a, rank, command.locale, lead=asked.leads)
                for rank, a in enumerate(articles, start=1)
            ),
        )

    def _card(
        self,
        article: Article,
        rank: int,
        locale: str,
        *,
        views: int | None = None,
        lead: bool = False,
    ) -> ArticleCard:
        return ArticleCard(
            title=article.title,
            url=article.url,
            section=article.section,
            published=ago(locale, article.published_at, self.context.clock.now(), self.zone),
            rank=rank,
            snippet=article.lead if lead else "",
            views=views,
            is_breaking=article.is_breaking,
            compact=not lead,
        )


@dataclass(frozen=True, slots=True)
class ListArgs:
    count: int
    window: Window | None  # None: the reader named none
    leads: bool
    capped: bool  # asked for more than MAX_LIST


def _list_args(args: tuple[str, ...], *, windows: bool, default: int = 7) -> ListArgs:
    count, window, leads, capped = default, None, False, False
    seen_count = False
    for arg in args:
        lowered = arg.lower()
        if windows and lowered in _WINDOW_WORDS and window is None:
            window = _WINDOW_WORDS[lowered]
        elif lowered in _LEAD_WORDS:
            leads = True
        elif arg.isdigit() and not seen_count and int(arg) >= 1:
            count, seen_count = min(int(arg), MAX_LIST), True
            capped = int(arg) > MAX_LIST
        else:
            raise UsageProblem
    return ListArgs(count, window, leads, capped)


def _when(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%m-%d %H:%M")


def ago(locale: str, moment: datetime, now: datetime, zone: ZoneInfo) -> str:
    """ "3시간 전" within a day, else the date: how a list says when, at a glance."""
    seconds = (now - moment).total_seconds()
    if 0 <= seconds < 60:
        return t(locale, "time.just_now")
    if 0 <= seconds < 3600:
        return t(locale, "time.minutes_ago", n=int(seconds // 60))
    if 0 <= seconds < 86400:
        return t(locale, "time.hours_ago", n=int(seconds // 3600))
    local = moment.astimezone(zone)
    return t(locale, "time.date", month=local.month, day=local.day, mon=MONTHS[local.month - 1])


def _short(query: str, limit: int = 40) -> str:
    return query if len(query) <= limit else query[: limit - 1] + "…"
