"""``python -m classicmat``: the ``classicmat`` command (see :mod:`classicmat.cli`)."""

from classicmat.cli import entry

if __name__ == "__main__":
    entry()
