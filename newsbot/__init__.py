"""newsbot: a news-distribution bot that runs beside a newsroom's article store."""

__version__ = "0.1.0"
