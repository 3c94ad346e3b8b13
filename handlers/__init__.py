"""Platform-neutral chat commands: a parsed Command in, a Reply out.

Nothing here imports Telegram or Slack code; the adapters in newsbot.platforms translate.
The reader commands (/top, /search, /latest) arrive with issue #3, the rest after it.
"""
