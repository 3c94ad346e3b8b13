"""Platform adapters (Telegram, Slack, console): thin translators around the core."""
