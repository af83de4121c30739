"""Commands of this package for run.py (filled in by its issue)."""

import click


def register(cli: click.Group) -> None:
    """Add this package's commands to the run.py group."""
    del cli
