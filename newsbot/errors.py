"""The errors newsbot raises on purpose.

    NewsbotError                 an operator can act on it; the CLI prints one line, exits 2
    ├── ConfigError              a setting has a value that cannot work
    ├── StoreError               the database cannot be reached or is not migrated
    └── InputError               a file, URL or argument that cannot be used as given
        └── ReaderError          …given by a reader in a chat: worded in their language

Anything else escaping to the CLI is a bug: it is logged with its traceback only when
``NEWSBOT_DEBUG`` is set, and the operator still sees one line.
"""

from newsbot.i18n import t


class NewsbotError(Exception):
    """Base class for errors whose message is meant for the operator."""


class ConfigError(NewsbotError):
    pass


class StoreError(NewsbotError):
    pass


class InputError(NewsbotError):
    pass


class ReaderError(InputError):
    """What a reader gave that cannot be used. ``str()`` is English, for logs and the CLI;
    a reader gets ``localized(locale)``, the same message from their language's catalog."""

    def __init__(self, key: str, **values: object) -> None:
        self.key = key
        self.values = values
        super().__init__(t("en", key, **values))

    def localized(self, locale: str) -> str:
        return t(locale, self.key, **self.values)
