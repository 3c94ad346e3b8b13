"""Korean-aware search over the article store (FTS5 on SQLite, tsvector on PostgreSQL)."""
