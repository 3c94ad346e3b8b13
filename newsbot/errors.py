"""The errors newsbot raises on purpose.

    NewsbotError                 an operator can act on it; the CLI prints one line, exits 2
    ├── ConfigError              a setting has a value that cannot work
    ├── StoreError               the database cannot be reached or is not migrated
    └── InputError               a file, URL or argument that cannot be used as given

Anything else escaping to the CLI is a bug: it is logged with its traceback only when
``NEWSBOT_DEBUG`` is set, and the operator still sees one line.
"""


class NewsbotError(Exception):
    """Base class for errors whose message is meant for the operator."""


class ConfigError(NewsbotError):
    pass


class StoreError(NewsbotError):
    pass


class InputError(NewsbotError):
    pass
