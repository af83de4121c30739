"""run.py commands of recognition: face commands and speech commands."""

import click

from recognition.face import cli as face_cli
from recognition.speech import cli as speech_cli


def register(cli: click.Group) -> None:
    """Add the face and speech commands to the run.py group."""
    face_cli.register(cli)
    speech_cli.register(cli)
