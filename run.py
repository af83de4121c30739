#!/usr/bin/env python3
"""Summit smart-conference system: one entry point for serving and administration.

python run.py --help
"""

from __future__ import annotations

import importlib
import sys
import warnings
from pathlib import Path

import click

# jieba and face_recognition_models still import pkg_resources; the notice is not for users.
warnings.filterwarnings("ignore", message="pkg_resources is deprecated")

# Domain packages add their own commands through `register(cli)` in these modules.
CLI_MODULES = (
    "core.cli",
    "kiosk_ui.cli",
    "checkin.cli",
    "recognition.cli",
    "hotel.cli",
    "transport.cli",
    "rehearsal.cli",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Summit smart-conference system (registration, face gates, transport, hotels, console)."""


for _name in CLI_MODULES:
    importlib.import_module(_name).register(cli)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    cli()
