"""Search aliases (with a bundled default list) and the vocabulary typo suggestions use.

Revision ID: 0012s
Revises: 0011e
Create Date: 2026-12-06

The default aliases are seeded here, once, rather than at every start: a newsroom that
removes a default (``newsbot search aliases remove``) must not get it back on upgrade or
restart. The list is written out in this file, not imported, so the migration stays what
it was when it first ran.

The vocabulary is filled from the title morphemes already in ``search_docs``; from here on
``newsbot.store.search_index`` adds the words of every article it indexes.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012s"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each pair: what readers type and what reporters write, where a search for one should find
# the other. Spelled as folded (lower case), the way newsbot.search.aliases stores them.
DEFAULT_ALIASES: tuple[tuple[str, str], ...] = (
    # Stories write 인공지능 in the lead and AI in headlines; readers type either.
    ("ai", "인공지능"),
    # Korea Land & Housing Corp.: headlines say LH, first mentions the full name.
    ("lh", "한국토지주택공사"),
    # 코로나 finds 코로나19 by its bigrams already; this is for the reverse direction.
    ("코로나", "코로나19"),
    # Ministries: the short form is in headlines, the full name in the body.
    ("국토부", "국토교통부"),
    ("기재부", "기획재정부"),
    ("행안부", "행정안전부"),
    ("복지부", "보건복지부"),
    ("산업부", "산업통상자원부"),
    ("중기부", "중소벤처기업부"),
    ("과기정통부", "과학기술정보통신부"),
    # Agencies and public companies usually named by their abbreviation.
    ("공정위", "공정거래위원회"),
    ("금감원", "금융감독원"),
    ("선관위", "선거관리위원회"),
    ("한전", "한국전력"),
    ("코레일", "한국철도공사"),
    # Local government: 지자체 in headlines, 지방자치단체 in reports and council minutes.
    ("지자체", "지방자치단체"),
    # Labour stories: 노조 for 노동조합 in every headline.
    ("노조", "노동조합"),
)


def _fold(word: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", word).lower().split())


def _words(rows: Iterator[str]) -> set[str]:
    found: set[str] = set()
    for title_mo in rows:
        found.update(w for w in title_mo.split() if 2 <= len(w) <= 100 and not w.isdigit())
    return found


def upgrade() -> None:
    aliases = op.create_table(
        "search_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("word", sa.String(length=100), nullable=False),
        sa.Column("alias", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_aliases")),
        sa.UniqueConstraint("word", "alias", name=op.f("uq_search_aliases_word_alias")),
    )
    op.create_index("ix_search_aliases_alias", "search_aliases", ["alias"])
    words = op.create_table(
        "search_words",
        sa.Column("word", sa.String(length=100), nullable=False),
        sa.Column("length", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("word", name=op.f("pk_search_words")),
    )
    op.create_index(op.f("ix_search_words_length"), "search_words", ["length"])
    pairs = {tuple(sorted((_fold(a), _fold(b)))) for a, b in DEFAULT_ALIASES}
    op.bulk_insert(aliases, [{"word": a, "alias": b} for a, b in sorted(pairs)])
    bind = op.get_bind()
    titles = bind.execute(sa.text("SELECT title_mo FROM search_docs")).scalars()
    vocabulary = sorted(_words(iter(titles)))
    for start in range(0, len(vocabulary), 1000):
        chunk = vocabulary[start : start + 1000]
        op.bulk_insert(words, [{"word": w, "length": len(w)} for w in chunk])


def downgrade() -> None:
    op.drop_index(op.f("ix_search_words_length"), table_name="search_words")
    op.drop_table("search_words")
    op.drop_index("ix_search_aliases_alias", table_name="search_aliases")
    op.drop_table("search_aliases")
