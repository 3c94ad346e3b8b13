"""`newsbot slack manifest`: the Slack app manifest, filled in for this installation."""

from __future__ import annotations

import click

from newsbot.errors import InputError
from newsbot.platforms.slack_manifest import manifest


@click.group()
def slack() -> None:
    """Slack: the app to install in a workspace."""


@slack.command("manifest")
@click.option(
    "--url",
    default=None,
    metavar="https://HOST",
    help="HTTP mode: the bot's public address (Slack posts to URL/slack/events). "
    "Without it: Socket Mode.",
)
@click.option("--name", default="newsbot", show_default=True, help="The app's name in Slack.")
def manifest_command(url: str | None, name: str) -> None:
    """Print the app manifest (YAML) to paste at api.slack.com/apps."""
    if url is not None and not url.startswith("https://"):
        raise InputError(f"--url={url!r}: Slack posts only to https:// addresses")
    click.echo(manifest(url, name=name), nl=False)
