"""The Slack app manifest: what a workspace installs so its people can read the news here.

One template, filled in two ways: Socket Mode (no URL; the default, and the file
``slack-manifest.yaml`` in the repository) or HTTP mode, where Slack posts events, slash
commands and button presses to ``<url>/slack/events`` (``newsbot slack manifest --url …``).
A unit test keeps the repository's file equal to what this module prints.

Scopes, each for something the bot does: ``chat:write`` (answers, headlines), ``commands``
(``/news``), ``app_mentions:read`` (``@newsbot 검색 …``), ``im:history`` and ``im:write`` (DMs),
``users:read`` (language and workspace admins), ``channels:read`` and ``groups:read`` (a
channel's creator; joins, leaves and archives). Events: the App Home, mentions, DMs, and the
bot joining, leaving or losing a channel.
"""

from __future__ import annotations

from newsbot.platforms.slack_answers import SLASH_COMMAND
from newsbot.platforms.slack_bot import EVENTS_PATH

SCOPES = (
    "app_mentions:read",
    "channels:read",
    "chat:write",
    "commands",
    "groups:read",
    "im:history",
    "im:write",
    "users:read",
)
EVENTS = (
    "app_home_opened",
    "app_mention",
    "app_uninstalled",
    "channel_archive",
    "group_archive",
    "member_joined_channel",
    "member_left_channel",
    "message.im",
    "tokens_revoked",
)

SOCKET_NOTE = (
    "Socket Mode: no public URL; create an app-level token (connections:write) as "
    "NEWSBOT_SLACK_APP_TOKEN."
)


def _items(values: tuple[str, ...], indent: int) -> str:
    return "\n".join(" " * indent + f"- {value}" for value in values)


def manifest(url: str | None = None, name: str = "newsbot") -> str:
    """The manifest as YAML: Socket Mode without ``url``, HTTP mode at ``url`` with it."""
    request_url = f"{url.rstrip('/')}{EVENTS_PATH}" if url else None
    at = f"\n    url: {request_url}" if request_url else ""
    events_at = f"\n    request_url: {request_url}" if request_url else ""
    interactivity_at = f"\n    request_url: {request_url}" if request_url else ""
    mode = f"HTTP mode: Slack posts to {request_url}" if request_url else SOCKET_NOTE
    return f"""\
# Slack app manifest for newsbot: paste it at https://api.slack.com/apps → Create New App →
# From a manifest. {mode}
display_information:
  name: {name}
  description: 지역 뉴스를 채널과 DM으로 받아 보세요 / Local news in your channels and DMs
  background_color: "#1d3557"
features:
  app_home:
    home_tab_enabled: true
    messages_tab_enabled: true
    messages_tab_read_only_enabled: false
  bot_user:
    display_name: {name}
    always_online: true
  slash_commands:
  - command: {SLASH_COMMAND}{at}
    description: 뉴스 검색·인기·최신·구독 (news search, top, latest, subscribe)
    usage_hint: "[top|latest|search 검색어|subscribe 전체|list|settings|help]"
    should_escape: false
oauth_config:
  scopes:
    bot:
{_items(SCOPES, 4)}
settings:
  event_subscriptions:{events_at}
    bot_events:
{_items(EVENTS, 4)}
  interactivity:
    is_enabled: true{interactivity_at}
  org_deploy_enabled: false
  socket_mode_enabled: {"false" if request_url else "true"}
  token_rotation_enabled: false
"""
