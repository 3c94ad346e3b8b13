"""What every source produces: article drafts, and the problems it met on the way."""

from __future__ import annotations

from dataclasses import dataclass, field

from newsbot.store.drafts import ArticleDraft


@dataclass(frozen=True, slots=True)
class Problem:
    """One item or line that was rejected, and why, in words an operator can act on."""

    where: str  # "item 3 (guid gn-1)", "line 17"
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


@dataclass(slots=True)
class Batch:
    """Drafts from one feed, file or export, with what could not be used."""

    drafts: list[ArticleDraft] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. "3 items had no date: used fetch time"
