"""Search keys on PostgreSQL: a GIN index that answers search's candidate step by itself.

Revision ID: 0012p
Revises: 0012
Create Date: 2026-12-06

Search finds its candidates (the newest matches) through ``search_docs.tsv``'s GIN index, but
a phrase (``<->``) or a weight label makes PostgreSQL recheck every hit against the whole
tsvector, ~3.6 KB read from TOAST per article: 100-1,100 ms at 100k articles for phrases,
compound words and digit+counter words (issue #12). ``search_keys`` holds per document one
unweighted, position-free tsvector whose lexemes make those questions plain ``&``/``|``
questions, which GIN answers without a recheck:

- every bigram-column token as is (``성남``), and every pair of neighbouring tokens in one
  column, joined by a space (``성남 남시``): a phrase of two tokens is one lexeme, a longer
  phrase the AND of its pairs;
- the same with ``h:`` in front for title and lead (the headline: search's first tier);
- every title and lead morpheme with ``m:`` in front (FTS5's morpheme columns).

Tokens are letters and digits only, so neither prefix nor the space can be mistaken for one.
It is a table of its own so that a GIN bitmap over even a common word visits a small heap
(article id and a TOAST pointer per row) and never the documents. Statement-level triggers
fill it in the transaction that writes the documents; a rewritten but unchanged document (a
reindex) costs only the comparison; the keys go with their document by cascade. Only
PostgreSQL 15's own features.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0012p"
down_revision: str | None = "0012s"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SLICE = 5000  # documents keyed per statement when upgrading a full store

# Tokens and their successors come from unnest and lead(): indexing the token array instead
# (w[i], w[i + 1]) walks it from the start each time, 60 ms per document.
# array_to_tsvector does not check tsvector's limits, it wraps: a lexeme holds at most 2,047
# bytes (only a pair of two very long Latin or digit runs is that long, and no query can ask
# for it: left out) and a tsvector at most 1 MB of lexemes. A document whose keys would pass
# that (its tsvector, with positions, is under 1 MB) keeps its tokens, morphemes and
# headline keys and as many body pairs as fit: a phrase in the rest of its body is not found.
# (Documents are summed with their repeated keys first, which is cheap and errs on the safe
# side; only a document over the limit pays for ranking its distinct keys.)
_ARGS = "title_bg text, lead_bg text, body_bg text, title_mo text, lead_mo text"
# Every key of a document with its rank, what is kept first when a document has too many (see
# _CAPPED): tokens and morphemes 0, the headline's other keys 1, the body's pairs 2.
_EVERY_KEY = """
    SELECT p.prefix || t.w || CASE WHEN p.pair THEN ' ' || t.next ELSE '' END AS k,
           CASE WHEN p.pair AND NOT t.head THEN 2 WHEN p.pair OR p.head_only THEN 1 ELSE 0 END
           AS rank
      FROM (
            SELECT f.head, u.w, lead(u.w) OVER (PARTITION BY f.n ORDER BY u.i) AS next
              FROM (VALUES (1, title_bg, true), (2, lead_bg, true), (3, body_bg, false))
                   AS f(n, txt, head),
                   unnest(string_to_array(lower(f.txt), ' ')) WITH ORDINALITY AS u(w, i)
             WHERE u.w <> ''
           ) AS t,
           (VALUES ('', false, false), ('', true, false), ('h:', false, true),
                   ('h:', true, true)) AS p(prefix, pair, head_only)
     WHERE (t.head OR NOT p.head_only) AND (t.next IS NOT NULL OR NOT p.pair)
    UNION ALL
    SELECT 'm:' || m, 0
      FROM unnest(string_to_array(lower(title_mo || ' ' || lead_mo), ' ')) AS m
     WHERE m <> ''
"""
_CAPPED = f"""
CREATE FUNCTION search_keys_capped({_ARGS}) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_to_tsvector(array_agg(k)), ''::tsvector) FROM (
        SELECT k, sum(octet_length(k)) OVER (ORDER BY rank, k) AS running FROM (
            SELECT k, min(rank) AS rank FROM ({_EVERY_KEY}) AS every_key
             WHERE octet_length(k) < 2048 GROUP BY k
        ) AS distinct_keys
    ) AS ranked
    WHERE running < 1000000
$$
"""
_KEYS_OF = f"""
CREATE FUNCTION search_keys_of({_ARGS}) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN coalesce(sum(octet_length(k)), 0) < 1000000
                THEN coalesce(array_to_tsvector(array_agg(k)), ''::tsvector)
                ELSE search_keys_capped(title_bg, lead_bg, body_bg, title_mo, lead_mo) END
      FROM ({_EVERY_KEY}) AS every_key
     WHERE octet_length(k) < 2048
$$
"""

_KEYS = "search_keys_of(d.title_bg, d.lead_bg, d.body_bg, d.title_mo, d.lead_mo)"
_TEXTS = "title_bg, lead_bg, body_bg, title_mo, lead_mo"

_TRIGGER_FUNCTIONS = {
    "INSERT": f"""
CREATE FUNCTION search_docs_keys_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_keys (article_id, keys)
    SELECT d.article_id, {_KEYS} FROM new_docs d
    ON CONFLICT (article_id) DO UPDATE SET keys = excluded.keys;
    RETURN NULL;
END $$
""",
    # Only documents whose text changed: a reindex rewrites every document, mostly unchanged.
    "UPDATE": f"""
CREATE FUNCTION search_docs_keys_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_keys (article_id, keys)
    SELECT d.article_id, {_KEYS}
      FROM new_docs d JOIN old_docs o USING (article_id)
     WHERE ({", ".join(f"d.{c.strip()}" for c in _TEXTS.split(","))})
           IS DISTINCT FROM ({", ".join(f"o.{c.strip()}" for c in _TEXTS.split(","))})
    ON CONFLICT (article_id) DO UPDATE SET keys = excluded.keys;
    RETURN NULL;
END $$
""",
}
_TRANSITIONS = {
    "INSERT": "NEW TABLE AS new_docs",
    "UPDATE": "OLD TABLE AS old_docs NEW TABLE AS new_docs",
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # FTS5 answers phrases from its own index
    op.execute(
        "CREATE TABLE search_keys (article_id integer NOT NULL, keys tsvector NOT NULL, "
        "CONSTRAINT pk_search_keys PRIMARY KEY (article_id), "
        "CONSTRAINT fk_search_keys_article_id_search_docs FOREIGN KEY (article_id) "
        "REFERENCES search_docs (article_id) ON DELETE CASCADE)"
    )
    op.execute(_CAPPED)
    op.execute(_KEYS_OF)
    for event, function in _TRIGGER_FUNCTIONS.items():
        op.execute(function)
        name = event.lower()
        op.execute(
            f"CREATE TRIGGER search_docs_keys_{name} AFTER {event} ON search_docs "
            f"REFERENCING {_TRANSITIONS[event]} FOR EACH STATEMENT "
            f"EXECUTE FUNCTION search_docs_keys_{name}()"
        )
    bind = op.get_bind()
    top = bind.exec_driver_sql("SELECT coalesce(max(article_id), 0) FROM search_docs").scalar()
    for start in range(0, int(top or 0) + 1, _SLICE):
        bind.exec_driver_sql(
            f"INSERT INTO search_keys SELECT d.article_id, {_KEYS} FROM search_docs d "
            f"WHERE d.article_id >= {start} AND d.article_id < {start + _SLICE}"
        )
    op.execute("CREATE INDEX ix_search_keys_keys ON search_keys USING gin (keys)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for event in _TRIGGER_FUNCTIONS:
        name = event.lower()
        op.execute(f"DROP TRIGGER search_docs_keys_{name} ON search_docs")
        op.execute(f"DROP FUNCTION search_docs_keys_{name}()")
    op.execute("DROP TABLE search_keys")
    op.execute("DROP FUNCTION search_keys_of(text, text, text, text, text)")
    op.execute("DROP FUNCTION search_keys_capped(text, text, text, text, text)")
