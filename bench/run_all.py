"""`make bench`: every benchmark, one after the other, printing Markdown for the README.

Each also runs alone (see its module docstring); PostgreSQL rows appear when
NEWSBOT_TEST_POSTGRES_URL is set. The search-speed run at its default size (100,000
articles, 1,000,000 view rows) takes the better part of an hour on two cores.
"""

from __future__ import annotations

import subprocess
import sys

BENCHMARKS = (
    "bench.ingest",
    "bench.quality.run",
    "bench.fanout",
    "bench.prune",
    "bench.latency",
    "bench.publish_latency",
    "bench.slack_commands",
    "bench.search_speed",
    "bench.digest",
    "bench.breaking",
    "bench.metrics",
    "bench.alerts",
)

if __name__ == "__main__":
    for module in BENCHMARKS:
        print(f"\n## python -m {module}\n", flush=True)
        subprocess.run([sys.executable, "-m", module], check=True)
