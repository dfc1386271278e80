"""``python -m conveyor``: the same as the ``conveyor`` command."""

from conveyor.cli.main import run

if __name__ == "__main__":
    run()
