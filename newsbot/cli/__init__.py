"""The `newsbot` command.

Every failure an operator can cause (a bad flag, a missing file, an unreachable database)
ends in one line on stderr and exit status 2. Anything else is a bug: one line too, exit 1,
and the traceback only with NEWSBOT_DEBUG=1.
"""

from __future__ import annotations

import logging
import os
import sys

import click

from newsbot.cli.articles import articles
from newsbot.cli.bot import run_command, worker_command
from newsbot.cli.chats import chats, stats
from newsbot.cli.db import db
from newsbot.cli.demo import demo
from newsbot.cli.digest import digest
from newsbot.cli.doctor import doctor
from newsbot.cli.editors import audit, editors
from newsbot.cli.feeds import feeds
from newsbot.cli.ingest import import_command, poll, views
from newsbot.cli.root import cli
from newsbot.cli.search import search_group, top_command
from newsbot.cli.slack import slack
from newsbot.errors import NewsbotError

for command in (db, feeds, poll, import_command, views, articles, demo):
    cli.add_command(command)
cli.add_command(search_group, name="search")
cli.add_command(top_command, name="top")
for command in (run_command, worker_command, chats, stats):
    cli.add_command(command)
cli.add_command(digest)
cli.add_command(slack)
cli.add_command(doctor)
for command in (editors, audit):
    cli.add_command(command)


def _fail(message: str, code: int) -> None:
    click.echo(f"newsbot: error: {message}", err=True)
    sys.exit(code)


def main(argv: list[str] | None = None) -> None:
    try:
        code = cli.main(args=argv, prog_name="newsbot", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else exc.format_message())
        sys.exit(0)
    except click.UsageError as exc:
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
        _fail(exc.format_message().replace("\n", " ") + hint, 2)
    except click.ClickException as exc:
        _fail(exc.format_message().replace("\n", " "), 2)
    except click.Abort:
        click.echo("newsbot: interrupted", err=True)
        sys.exit(130)
    except NewsbotError as exc:
        _fail(str(exc).replace("\n", " "), 2)
    except KeyboardInterrupt:
        click.echo("newsbot: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("NEWSBOT_DEBUG", "").lower() in ("1", "true", "yes"):
            logging.getLogger("newsbot").exception("unexpected error")
        _fail(f"internal error: {type(exc).__name__}: {exc} (set NEWSBOT_DEBUG=1 for details)", 1)
    sys.exit(code if isinstance(code, int) else 0)
