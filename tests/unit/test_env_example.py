"""`.env.example` is where an operator learns the settings: it names every one of them."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_env_example_documents_every_setting() -> None:
    from newsbot.config import Settings

    documented = {
        line.split("=", 1)[0].strip()
        for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
        if line.startswith("NEWSBOT_")
    }

    assert documented == {f"NEWSBOT_{name.upper()}" for name in Settings.model_fields}
