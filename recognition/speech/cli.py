"""run.py commands of the speech package: `models download en|zh`."""

from __future__ import annotations

import click

from core.config import Config
from recognition.speech.errors import SpeechError
from recognition.speech.models import BASE_URL, download_model


@click.group("models")
def models() -> None:
    """Speech models (Vosk) for the kiosk assistant."""


@models.command("download")
@click.argument("language", type=click.Choice(["en", "zh"]))
@click.option(
    "--base-url", default=BASE_URL, show_default=True, help="Where the models are served."
)
@click.option("--sha256", default=None, help="Pin the archive's SHA-256 instead of the list's MD5.")
def download(language: str, base_url: str, sha256: str | None) -> None:
    """Fetch the standard small Vosk model, check its checksum and unpack it."""
    root = Config.from_env().instance_path / "models"
    try:
        path = download_model(language, root, base_url.rstrip("/"), sha256)
    except SpeechError as exc:
        raise click.ClickException(f"{exc.code}: {exc.message}") from exc
    click.echo(f"{language} model ready in {path}")


def register(cli: click.Group) -> None:
    """Add this package's commands to the run.py group."""
    cli.add_command(models)
