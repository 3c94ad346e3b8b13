"""An in-memory platform double: records every message and answers as scripted per chat."""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field

from newsbot.delivery.outcomes import DELETED, EDITED, Outcome, Outgoing, Recipient, Sent
from newsbot.delivery.pacing import Limits


@dataclass
class RecordingPlatform:
    name: str = "test"
    limits: Limits = field(default_factory=Limits)
    sent: list[tuple[str, Outgoing]] = field(default_factory=list)
    scripts: dict[str, deque[Outcome | Exception]] = field(
        default_factory=lambda: defaultdict(deque)
    )
    notices: list[tuple[str, str | None, str]] = field(default_factory=list)  # edit_notice
    _ids: int = 0

    def answer(self, chat: str, *outcomes: Outcome | Exception) -> None:
        """The next sends to this chat get these outcomes, in order; then plain success."""
        self.scripts[chat].extend(outcomes)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def send(self, recipient: Recipient, message: Outgoing) -> Outcome:
        script = self.scripts.get(recipient.platform_chat_id)
        if script:
            outcome = script.popleft()
            if isinstance(outcome, Exception):
                raise outcome
            if not isinstance(outcome, Sent):
                return outcome
        self._ids += 1
        self.sent.append((recipient.platform_chat_id, message))
        copy = message.replaces_message_id
        if message.kind == "edit" and copy is not None:
            return Sent(copy, EDITED)  # edited in place, as a platform that can would
        if message.kind == "retraction" and copy is not None:
            return Sent(copy, DELETED)
        return Sent(f"m{self._ids}")

    async def edit_notice(self, chat_id: str, message_id: str | None, text: str) -> Outcome:
        self.notices.append((chat_id, message_id, text))
        return Sent(message_id)

    async def post_plain(self, chat_id: str, text: str) -> Outcome:
        """An operator's message (an alert): recorded with the notices, without an id."""
        return await self.edit_notice(chat_id, None, text)

    def chat_kind(self, chat_id: str) -> str:
        return "supergroup" if chat_id.startswith("-") else "private"

    def to(self, chat: str) -> list[Outgoing]:
        return [message for target, message in self.sent if target == chat]
