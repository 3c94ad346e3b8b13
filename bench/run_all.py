"""`make bench`: every benchmark, one after the other, printing Markdown for the README."""

from __future__ import annotations

from bench import ingest

if __name__ == "__main__":
    ingest.main()
