"""The core knows no platform: newsbot's core and handlers/ never import Telegram or Slack."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PLATFORM_MODULES = ("telegram", "slack_bolt", "slack_sdk", "newsbot.platforms")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


# The adapters themselves, and the command line that wires them in (the composition root).
OUTSIDE_THE_CORE = ("platforms", "cli")


def core_files() -> list[Path]:
    files = [*(ROOT / "handlers").rglob("*.py"), *(ROOT / "newsbot").rglob("*.py")]
    return [f for f in files if not set(f.relative_to(ROOT).parts) & set(OUTSIDE_THE_CORE)]


def test_the_core_and_handlers_import_no_platform_library() -> None:
    offenders = {
        f"{path.relative_to(ROOT)} imports {name}"
        for path in core_files()
        for name in imported_modules(path)
        if name.startswith(PLATFORM_MODULES)
    }

    assert offenders == set()


def test_the_check_would_see_a_platform_import(tmp_path: Path) -> None:
    sample = tmp_path / "leak.py"
    sample.write_text("from telegram import Bot\nimport slack_sdk.web\n", encoding="utf-8")

    assert imported_modules(sample) == {"telegram", "slack_sdk.web"}


def test_env_example_documents_every_setting() -> None:
    from newsbot.config import Settings

    documented = {
        line.split("=", 1)[0].strip()
        for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
        if line.startswith("NEWSBOT_")
    }

    assert documented == {f"NEWSBOT_{name.upper()}" for name in Settings.model_fields}
