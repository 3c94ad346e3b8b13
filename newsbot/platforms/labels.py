"""The mark a pushed headline carries (🔴 속보, ✏️ 정정), in the chat's language, once.

Newsrooms often write the mark into the title itself (``[속보] …``); the bot's own label
then says it a second time. When the title already opens with the mark, the title's copy
is taken off and the label stays, so every platform shows it the same way.
"""

from __future__ import annotations

import re

from newsbot.i18n import t

LABELLED = frozenset({"breaking", "correction", "edit"})
_CORRECTED = re.compile(r"^\s*[\[【<(〈]\s*(정정|수정|correction)\s*[\]】>)〉]\s*", re.I)
_MARKS = {
    "breaking": re.compile(r"^\s*[\[【<(〈]\s*(속보|긴급|breaking)\s*[\]】>)〉]\s*", re.I),
    "correction": _CORRECTED,
    "edit": _CORRECTED,  # a copy corrected in place by an editor
}


def labelled(
    kind: str, title: str, language: str, *, is_breaking: bool = False
) -> tuple[str | None, str]:
    """(the label for this kind of message or None, the title without a duplicate mark). A
    breaking story sent as a headline keeps the breaking mark."""
    if kind == "headline" and is_breaking:
        kind = "breaking"
    if kind not in LABELLED:
        return None, title
    mark = _MARKS[kind]
    return t(language, f"label.{kind}"), mark.sub("", title, count=1) or title
