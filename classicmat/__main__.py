"""``python -m classicmat``: the ``classicmat`` command (see :mod:`classicmat.cli`)."""

from classicmat.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
