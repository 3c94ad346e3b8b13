"""bm25's statistics on PostgreSQL: document lengths, document frequencies, corpus totals.

Revision ID: 0012
Revises: 0011e
Create Date: 2026-12-06

SQLite's FTS5 keeps these itself; PostgreSQL's tsvector does not, and without them search
ranked by ts_rank_cd, which ordered results differently from SQLite's bm25 (issue #12).

- ``search_docs.doclen``: tokens in the six text columns, FTS5's row size (a generated
  column, so every writer gets it right and the upgrade fills it for existing documents);
- ``search_terms``: for every token, the documents that hold it in the bigram columns
  (key ``b`` + token) or in the morpheme columns (``m`` + token);
- ``search_totals``: one row, documents and tokens in all.

Statement-level triggers keep them in the same transaction as the documents, whichever code
writes, corrects or (by cascade) deletes them. A changed document's old tokens are subtracted
and its new ones added in one pass, and rewriting an unchanged document (a reindex) costs
only the comparison.
Every writer takes the ``search_totals`` row first: index writers queue on it rather than
locking term rows in different orders and deadlocking. Only PostgreSQL 15's own features.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0012a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BACKFILL_SLICE = 5000  # documents counted per statement when upgrading a full store
_BG = "title_bg || ' ' || lead_bg || ' ' || body_bg"
_MO = "title_mo || ' ' || lead_mo || ' ' || body_mo"
_ALL = f"{_BG} || ' ' || {_MO}"
_TEXTS = "title_bg, title_mo, lead_bg, lead_mo, body_bg, body_mo"


def _old(columns: str) -> str:
    return re.sub(r"\b(\w+_(?:bg|mo))\b", r"o.\1", columns)


def _new(columns: str) -> str:
    return re.sub(r"\b(\w+_(?:bg|mo))\b", r"n.\1", columns)


# The old and new documents of one statement, as arrays of their bigram and morpheme texts;
# one row per (token key, change in its document frequency), zero changes left out.
_APPLY = """
CREATE FUNCTION search_stats_apply(
    old_bg text[], old_mo text[], new_bg text[], new_mo text[],
    doc_change bigint, token_change bigint
) RETURNS void LANGUAGE sql AS $$
    UPDATE search_totals
       SET documents = documents + doc_change, tokens = tokens + token_change
     WHERE id = 1;
    INSERT INTO search_terms AS t (term, df)
    SELECT term, sum(change) FROM (
        SELECT DISTINCT d.i, d.sign, d.prefix || w AS term, d.sign AS change
          FROM (
                SELECT i, -1 AS sign, 'b' AS prefix, txt
                  FROM unnest(old_bg) WITH ORDINALITY u(txt, i)
                UNION ALL
                SELECT i, -1, 'm', txt FROM unnest(old_mo) WITH ORDINALITY u(txt, i)
                UNION ALL
                SELECT i, 1, 'b', txt FROM unnest(new_bg) WITH ORDINALITY u(txt, i)
                UNION ALL
                SELECT i, 1, 'm', txt FROM unnest(new_mo) WITH ORDINALITY u(txt, i)
               ) AS d,
               unnest(string_to_array(d.txt, ' ')) AS w
         WHERE w <> ''
    ) AS changes
    GROUP BY term
    HAVING sum(change) <> 0
    ORDER BY term
    ON CONFLICT (term) DO UPDATE SET df = t.df + excluded.df;
$$
"""

_TRIGGER_FUNCTIONS = {
    "INSERT": f"""
CREATE FUNCTION search_docs_stats_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM search_stats_apply(
        NULL, NULL, array_agg({_BG}), array_agg({_MO}), count(*), coalesce(sum(doclen), 0)
    ) FROM new_docs HAVING count(*) > 0;
    RETURN NULL;
END $$
""",
    # Only documents whose text changed: a reindex rewrites every document, mostly unchanged.
    # (A document keeps its article_id: it is the article's.)
    "UPDATE": f"""
CREATE FUNCTION search_docs_stats_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM search_stats_apply(
        array_agg({_old(_BG)}), array_agg({_old(_MO)}), array_agg({_new(_BG)}),
        array_agg({_new(_MO)}), 0, coalesce(sum(n.doclen - o.doclen), 0)
    ) FROM old_docs o JOIN new_docs n USING (article_id)
    WHERE ({_old(_TEXTS)}) IS DISTINCT FROM ({_new(_TEXTS)})
    HAVING count(*) > 0;
    RETURN NULL;
END $$
""",
    "DELETE": f"""
CREATE FUNCTION search_docs_stats_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM search_stats_apply(
        array_agg({_BG}), array_agg({_MO}), NULL, NULL, -count(*), -coalesce(sum(doclen), 0)
    ) FROM old_docs HAVING count(*) > 0;
    RETURN NULL;
END $$
""",
}
_TRANSITIONS = {
    "INSERT": "NEW TABLE AS new_docs",
    "UPDATE": "OLD TABLE AS old_docs NEW TABLE AS new_docs",
    "DELETE": "OLD TABLE AS old_docs",
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # FTS5 keeps its own statistics
    op.execute(
        "ALTER TABLE search_docs ADD COLUMN doclen integer GENERATED ALWAYS AS "
        f"(cardinality(array_remove(string_to_array({_ALL}, ' '), ''))) STORED"
    )
    op.execute(
        "CREATE TABLE search_terms (term text NOT NULL, df integer NOT NULL, "
        "CONSTRAINT pk_search_terms PRIMARY KEY (term))"
    )
    op.execute(
        "CREATE TABLE search_totals (id smallint NOT NULL, documents bigint NOT NULL, "
        "tokens bigint NOT NULL, CONSTRAINT pk_search_totals PRIMARY KEY (id), "
        "CONSTRAINT ck_search_totals_one_row CHECK (id = 1))"
    )
    op.execute("INSERT INTO search_totals VALUES (1, 0, 0)")
    op.execute(_APPLY)
    for event, function in _TRIGGER_FUNCTIONS.items():
        op.execute(function)
        name = event.lower()
        op.execute(
            f"CREATE TRIGGER search_docs_stats_{name} AFTER {event} ON search_docs "
            f"REFERENCING {_TRANSITIONS[event]} FOR EACH STATEMENT "
            f"EXECUTE FUNCTION search_docs_stats_{name}()"
        )
    # The documents already there, counted as if inserted now, a slice at a time.
    bind = op.get_bind()
    top = bind.execute(sa.text("SELECT coalesce(max(article_id), 0) FROM search_docs")).scalar()
    for start in range(0, int(top or 0) + 1, _BACKFILL_SLICE):
        bind.execute(
            sa.text(
                f"SELECT search_stats_apply(NULL, NULL, array_agg({_BG}), array_agg({_MO}), "
                "count(*), coalesce(sum(doclen), 0)) FROM search_docs "
                "WHERE article_id >= :start AND article_id < :end HAVING count(*) > 0"
            ),
            {"start": start, "end": start + _BACKFILL_SLICE},
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for event in _TRIGGER_FUNCTIONS:
        name = event.lower()
        op.execute(f"DROP TRIGGER search_docs_stats_{name} ON search_docs")
        op.execute(f"DROP FUNCTION search_docs_stats_{name}()")
    op.execute("DROP FUNCTION search_stats_apply(text[], text[], text[], text[], bigint, bigint)")
    op.execute("DROP TABLE search_totals")
    op.execute("DROP TABLE search_terms")
    op.execute("ALTER TABLE search_docs DROP COLUMN doclen")
