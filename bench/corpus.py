"""A reproducible synthetic Korean news corpus built from the bundled samples' vocabulary.

Same seed, same articles: figures measured on different days compare like with like.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

SAMPLES = Path(__file__).resolve().parent.parent / "newsbot" / "data" / "samples"
SEED = 20261125


def _vocabulary() -> tuple[list[str], list[str], list[str], list[str]]:
    words: list[str] = []
    sections: set[str] = set()
    authors: set[str] = set()
    titles: list[str] = []
    for line in (SAMPLES / "articles.ndjson").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        titles.append(record["title"])
        words.extend((record["title"] + " " + record["lead"] + " " + record["body"]).split())
        sections.add(record.get("section") or "지역")
        if record.get("author"):
            authors.add(record["author"])
    return words, sorted(sections), sorted(authors), titles


def articles(count: int, *, seed: int = SEED) -> Iterator[dict[str, object]]:
    """`count` CMS-export records with unique URLs, spread over 90 days before 2026-11-23."""
    rng = random.Random(seed)
    words, sections, authors, _ = _vocabulary()
    end = datetime(2026, 11, 23, tzinfo=UTC)
    for n in range(count):
        title = " ".join(rng.choices(words, k=rng.randint(5, 9)))
        lead = " ".join(rng.choices(words, k=rng.randint(18, 30)))
        body = "\n\n".join(
            " ".join(rng.choices(words, k=rng.randint(30, 60))) for _ in range(rng.randint(3, 5))
        )
        published = end - timedelta(seconds=rng.randint(0, 90 * 86400))
        yield {
            "guid": f"bench-{n}",
            "url": f"https://bench.example.kr/news/articleView.html?idxno={n}",
            "title": title[:120],
            "lead": lead,
            "body": body,
            "author": rng.choice(authors),
            "section": rng.choice(sections),
            "published_at": published.isoformat(),
        }


def write_ndjson(path: Path, count: int, *, seed: int = SEED) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for record in articles(count, seed=seed):
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path
