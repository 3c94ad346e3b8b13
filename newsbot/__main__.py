"""Allow ``python -m newsbot``."""

from newsbot.cli import main

if __name__ == "__main__":
    main()
