"""The newsroom's commands: /breaking, /correct, /retract, and the buttons of their previews.

Each is a short exchange whose state is an ``EditorDraft`` row, so any process may take the
editor's next message and a restart loses nothing: ``/breaking`` asks for a title, a lead,
an optional URL and an optional section (or takes ``/breaking 제목 | 리드 | URL`` in one
line); ``/correct ID`` a new title and lead; ``/retract ID`` only a confirmation. Each ends
in a preview, as readers will see it, with Send and Cancel. Send moves the draft on with a
conditional UPDATE (``claim_draft``), so it acts once however often it is pressed, does
the work (``newsbot.delivery.editorial``), starts the progress message (the preview
itself, edited as the fan-out advances by ``newsbot.delivery.broadcasts``) and writes the
audit entry, all in one transaction.

Who may is not checked here: the registry gives these commands and buttons the editor
role, and the router's gate refuses (and audits) everyone else.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.context import HandlerContext
from newsbot.conversation import Button, ButtonPress, Command, Preview, Reply, base36
from newsbot.delivery.editorial import (
    claim_draft,
    correct,
    current_draft,
    newsroom_url,
    open_draft,
    publish_breaking,
    retract,
    sent_copies,
    start_broadcast,
)
from newsbot.i18n import t
from newsbot.store.audit import record
from newsbot.store.delivery_models import DeliveryKind
from newsbot.store.editorial import (
    Action,
    DraftState,
    EditorDraft,
    Step,
    find_article,
    find_draft,
)
from newsbot.store.models import Article

PREFIX = "ed"
MAX_TITLE = 300
MAX_LEAD = 2000
_ASK = {
    (Action.BREAKING, Step.TITLE): "editor.ask_title",
    (Action.BREAKING, Step.LEAD): "editor.ask_lead",
    (Action.BREAKING, Step.URL): "editor.ask_url",
    (Action.BREAKING, Step.SECTION): "editor.ask_section",
    (Action.CORRECT, Step.LEAD): "editor.ask_new_lead",
}
_NEXT = {
    (Action.BREAKING, Step.TITLE): Step.LEAD,
    (Action.BREAKING, Step.LEAD): Step.URL,
    (Action.BREAKING, Step.URL): Step.SECTION,
    (Action.BREAKING, Step.SECTION): Step.PREVIEW,
    (Action.CORRECT, Step.TITLE): Step.LEAD,
    (Action.CORRECT, Step.LEAD): Step.PREVIEW,
}
_KIND = {
    Action.BREAKING: DeliveryKind.BREAKING,
    Action.CORRECT: DeliveryKind.EDIT,
    Action.RETRACT: DeliveryKind.RETRACTION,
}


def _token(verb: str, draft: EditorDraft) -> str:
    return f"{PREFIX}:{verb}:{base36(draft.id)}"


def _typed(command: Command) -> str:
    """What the editor typed after the command word, every word and line of it."""
    raw = command.raw_text or command.text
    if command.name and raw.startswith("/"):
        raw = _after_first_word(raw)
    return raw.strip()


def _after_first_word(text: str) -> str:
    """``"/breaking\n제목 | 리드"`` → ``"제목 | 리드"``: lines after the first word kept."""
    parts = text.split(maxsplit=1)
    return parts[1] if len(parts) > 1 else ""


@dataclass(slots=True)
class Editorial:
    context: HandlerContext

    # --- commands --------------------------------------------------------------------

    async def breaking(self, command: Command) -> Reply:
        typed = _typed(command)
        async with self.context.sessions() as session:
            draft = await self._open(session, command, Action.BREAKING)
            if typed:
                parts = [p.strip() for p in typed.split("|")]
                problem = _fill(draft, Step.TITLE, parts[0])
                for step, value in zip(
                    (Step.LEAD, Step.URL, Step.SECTION), parts[1:], strict=False
                ):
                    problem = problem or _fill(draft, step, value)
                if problem:
                    await session.rollback()
                    return Reply(header=t(command.locale, problem))
                draft.step = Step.PREVIEW
            reply = await self._prompt(session, draft)
            await session.commit()
        return reply

    async def correct(self, command: Command) -> Reply:
        return await self._on_article(command, Action.CORRECT)

    async def retract(self, command: Command) -> Reply:
        return await self._on_article(command, Action.RETRACT)

    async def _on_article(self, command: Command, action: Action) -> Reply:
        locale = command.locale
        if not command.args or not command.args[0].isdigit():
            return Reply(header=t(locale, "editor.needs_id"))
        article_id = int(command.args[0])
        async with self.context.sessions() as session:
            article = await find_article(session, article_id)
            if article is None:
                return Reply(header=t(locale, "editor.no_article", id=article_id))
            if article.retracted_at is not None:
                return Reply(header=t(locale, "editor.retracted_already", id=article_id))
            draft = await self._open(session, command, action, article_id=article_id)
            draft.title, draft.lead = article.title, article.lead
            if action is Action.RETRACT:
                draft.step = Step.PREVIEW
            else:
                rest = _after_first_word(_typed(command)).strip()
                if rest:
                    title, _, lead = (p.strip() for p in rest.partition("|"))
                    draft.title = title[:MAX_TITLE] or draft.title
                    draft.lead = lead[:MAX_LEAD] or draft.lead
                    draft.step = Step.PREVIEW
            reply = await self._prompt(session, draft, article)
            await session.commit()
        return reply

    async def _open(
        self,
        session: AsyncSession,
        command: Command,
        action: Action,
        article_id: int | None = None,
    ) -> EditorDraft:
        return await open_draft(
            session,
            platform=command.platform,
            chat_id=command.chat_id,
            user_id=command.user_id,
            locale=command.locale,
            action=action,
            now=self.context.clock.now(),
            article_id=article_id,
        )

    # --- the exchange ----------------------------------------------------------------

    async def text(self, command: Command) -> Reply | None:
        """The editor's next answer, if they have an exchange open; None otherwise."""
        async with self.context.sessions() as session:
            draft = await current_draft(
                session, command.platform, command.user_id, self.context.clock.now()
            )
            if draft is None or draft.step is Step.PREVIEW:
                return None
            typed = (command.raw_text or command.text).strip()
            if not typed:
                return Reply(header=t(draft.locale, "editor.empty"))
            if problem := _fill(draft, draft.step, typed):
                return Reply(header=t(draft.locale, problem))
            draft.step = _NEXT[(draft.action, draft.step)]
            reply = await self._prompt(session, draft)
            await session.commit()
        return reply

    async def _prompt(
        self, session: AsyncSession, draft: EditorDraft, article: Article | None = None
    ) -> Reply:
        """The question for the draft's step, or its preview with Send and Cancel."""
        locale = draft.locale
        cancel = Button(t(locale, "button.cancel"), _token("x", draft), row=1)
        if draft.step is not Step.PREVIEW:
            if draft.action is Action.CORRECT and draft.step is Step.TITLE:
                question = t(locale, "editor.ask_new_title", id=draft.article_id, title=draft.title)
            else:
                question = t(locale, _ASK[(draft.action, draft.step)])
            buttons = [cancel]
            # A URL and a section are optional; a correction may keep the title or the lead.
            if draft.step in (Step.URL, Step.SECTION) or draft.action is Action.CORRECT:
                buttons.insert(0, Button(t(locale, "button.skip"), _token("skip", draft)))
            return Reply(header=question, buttons=tuple(buttons))
        send = Button(t(locale, "button.send"), _token("send", draft), row=1)
        now = self.context.clock.now()
        zone = self.context.zone.key
        if draft.action is Action.BREAKING:
            preview = Preview(
                "breaking",
                draft.title,
                draft.url or newsroom_url(draft.id),
                draft.lead,
                draft.section,
                now,
                zone,
            )
            return Reply(
                header=t(locale, "editor.preview"), preview=preview, buttons=(send, cancel)
            )
        article = article or await find_article(session, draft.article_id or 0)
        assert article is not None
        copies = len(await sent_copies(session, article.id))
        kind = "edit" if draft.action is Action.CORRECT else "headline"
        preview = Preview(
            kind, draft.title, article.url, draft.lead, article.section, article.published_at, zone
        )
        header = (
            "editor.preview_correct" if draft.action is Action.CORRECT else "editor.preview_retract"
        )
        return Reply(
            header=t(locale, header, copies=copies), preview=preview, buttons=(send, cancel)
        )

    # --- buttons ---------------------------------------------------------------------

    async def press(self, press: ButtonPress) -> Reply | None:
        _, verb, ident = [*press.token.split(":"), "", ""][:3]
        try:
            draft_id = int(ident, 36)
        except ValueError:
            return Reply(toast=t(press.locale, "button.stale"))
        if verb == "send":
            return await self._send(press, draft_id)
        if verb == "x":
            return await self._cancel(press, draft_id)
        if verb == "skip":
            return await self._skip(press, draft_id)
        return Reply(toast=t(press.locale, "button.stale"))

    async def _skip(self, press: ButtonPress, draft_id: int) -> Reply:
        async with self.context.sessions() as session:
            draft = await find_draft(session, draft_id)
            if draft is None or draft.state is not DraftState.OPEN or draft.step is Step.PREVIEW:
                return Reply(toast=t(press.locale, "editor.already"))
            draft.step = _NEXT[(draft.action, draft.step)]
            reply = await self._prompt(session, draft)
            await session.commit()
        return reply

    async def _cancel(self, press: ButtonPress, draft_id: int) -> Reply:
        now = self.context.clock.now()
        async with self.context.sessions() as session:
            draft = await find_draft(session, draft_id)
            if draft is None or draft.state is not DraftState.OPEN:
                return Reply(toast=t(press.locale, "editor.already"))
            draft.state = DraftState.CANCELLED
            record(
                session,
                at=now,
                platform=press.platform,
                user_id=press.user_id,
                action=draft.action.value,
                outcome="cancelled",
                article_id=draft.article_id,
            )
            await session.commit()
        return Reply(header=t(press.locale, "editor.cancelled"), edit=True)

    async def _send(self, press: ButtonPress, draft_id: int) -> Reply:
        locale, now = press.locale, self.context.clock.now()
        async with self.context.sessions() as session:
            draft = await find_draft(session, draft_id)
            if draft is None:
                return Reply(toast=t(locale, "button.stale"))
            if draft.state is DraftState.OPEN and draft.expires_at <= now:
                return Reply(toast=t(locale, "editor.expired"))
            if not await claim_draft(session, draft_id, DraftState.SENT):
                return Reply(toast=t(locale, "editor.already"))
            await session.refresh(draft)
            copies: int | None = None
            if draft.action is Action.BREAKING:
                published = await publish_breaking(
                    session, draft, now=now, analyzer=self.context.analyzer
                )
                if published is None:
                    await session.rollback()
                    return Reply(toast=t(locale, "editor.url_taken"))
                article_id, revision = published, 0
            else:
                article = await find_article(session, draft.article_id or 0)
                if article is None or article.retracted_at is not None:
                    await session.rollback()
                    return Reply(toast=t(locale, "editor.already"))
                article_id = article.id
                if draft.action is Action.CORRECT:
                    corrected = await correct(
                        session,
                        article,
                        title=draft.title,
                        lead=draft.lead,
                        now=now,
                        analyzer=self.context.analyzer,
                    )
                    if corrected is None:
                        draft.state = DraftState.CANCELLED
                        await session.commit()
                        return Reply(header=t(locale, "editor.unchanged"), edit=True)
                    revision, copies = corrected
                else:
                    copies, _ = await retract(session, article, now=now)
                    revision = article.revision
            await start_broadcast(
                session,
                action=draft.action,
                article_id=article_id,
                kind=_KIND[draft.action],
                revision=revision,
                platform=press.platform,
                chat_id=press.chat_id,
                user_id=press.user_id,
                message_id=press.message_id,
                locale=locale,
                now=now,
            )
            record(
                session,
                at=now,
                platform=press.platform,
                user_id=press.user_id,
                action=draft.action.value,
                outcome="sent",
                article_id=article_id,
                copies=copies,
                detail=draft.title[:200],
            )
            await session.commit()
        return Reply(header=t(locale, "editor.sending"), edit=True)


def _fill(draft: EditorDraft, step: Step, value: str) -> str | None:
    """Put an answer into the draft; the catalog key of the problem, if any."""
    value = value.strip()
    if step is Step.TITLE:
        if not value:
            return "editor.empty"
        draft.title = " ".join(value.split())[:MAX_TITLE]
    elif step is Step.LEAD:
        draft.lead = value[:MAX_LEAD]
    elif step is Step.URL:
        if value and not value.startswith(("http://", "https://")):
            return "editor.bad_url"
        draft.url = value[:2000] or None
    elif step is Step.SECTION:
        draft.section = value[:100] or None
    return None
