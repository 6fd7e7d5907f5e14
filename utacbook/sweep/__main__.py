"""``python -m utacbook.sweep SPEC``: run or resume a sweep from the command line."""

from ._cli import main

if __name__ == "__main__":
    raise SystemExit(main())
