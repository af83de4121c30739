"""run.py commands of the face package: calibrate-faces, eval-faces, purge-biometrics,
rotate-template-key."""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path

import click

DIR = click.Path(exists=True, file_okay=False, path_type=Path)


def register(cli: click.Group) -> None:
    """Add this package's commands to the run.py group."""
    cli.add_command(calibrate_faces)
    cli.add_command(eval_faces)
    cli.add_command(purge_biometrics)
    cli.add_command(rotate_template_key)


@click.command("calibrate-faces")
@click.argument("folder", type=DIR)
@click.option(
    "--target-fpir",
    default=0.01,
    show_default=True,
    help="acceptable share of never-enrolled people accepted",
)
@click.option(
    "--gallery-size",
    default=1000,
    show_default=True,
    help="candidates searched per identification (after context filtering)",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="where to write the thresholds (default: <instance>/face_thresholds.json)",
)
def calibrate_faces(folder: Path, target_fpir: float, gallery_size: int, out: Path | None) -> None:
    """Compute the match threshold and margin from a labelled folder and save them."""
    from core.cli import fail
    from core.config import Config
    from core.errors import SummitError
    from recognition.face.api import get_engine
    from recognition.face.evaluation import calibrate, encode_folder

    try:
        samples = encode_folder(folder, get_engine(), progress=True)
        point = calibrate(samples, target_fpir, gallery_size)
    except SummitError as exc:
        fail(exc)
    cfg = Config.from_env()
    path = out or cfg.face_thresholds_path or cfg.instance_path / "face_thresholds.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(point, indent=2))
    click.echo(json.dumps(point, indent=2))
    click.echo(f"written to {path}")


@click.command("eval-faces")
@click.argument("folder", type=DIR)
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("face_det.png"),
    show_default=True,
    help="DET curve PNG",
)
@click.option(
    "--thresholds",
    "thresholds_path",
    type=click.Path(path_type=Path),
    help="thresholds JSON (default: the instance's, else the built-in ones)",
)
def eval_faces(folder: Path, plot: Path, thresholds_path: Path | None) -> None:
    """Open-set evaluation: FNIR, FPIR and mis-identification rate per subset, DET plot."""
    from core.cli import fail
    from core.config import Config
    from core.errors import SummitError
    from recognition.face.api import get_engine
    from recognition.face.decision import load_thresholds
    from recognition.face.evaluation import encode_folder, run_searches
    from recognition.face.report import plot_det, score, totals

    if thresholds_path is None:
        cfg = Config.from_env()
        thresholds_path = cfg.face_thresholds_path or cfg.instance_path / "face_thresholds.json"
    t = load_thresholds(thresholds_path)
    try:
        searches = run_searches(encode_folder(folder, get_engine(), progress=True))
    except SummitError as exc:
        fail(exc)
    table = score(searches, t)
    click.echo(f"operating point: distance <= {t.distance}, margin >= {t.margin} ({t.source})")
    for name, row in table.items():
        click.echo(f"{name:>12}: " + ", ".join(f"{k}={v}" for k, v in row.items()))
    click.echo("     overall: " + json.dumps(totals(table)))
    plot_det(searches, t, plot)
    click.echo(f"DET plot written to {plot}")


@click.command("purge-biometrics")
@click.option("--yes", is_flag=True, help="confirm: delete every face template")
def purge_biometrics(yes: bool) -> None:
    """Delete every stored face template (after the event)."""
    from core.cli import open_runtime
    from models.db import transaction
    from recognition.face.api import purge_biometrics as purge

    if not yes:
        click.confirm("Delete every stored face template of every attendee?", abort=True)
    rt = open_runtime()
    with transaction(rt.sessions) as db:
        deleted = purge(db, "cli")
    click.echo(f"{deleted} face templates deleted")


@click.command("rotate-template-key")
@click.option(
    "--generate",
    is_flag=True,
    help="first add a fresh key to the instance secrets and make it the primary one",
)
def rotate_template_key(generate: bool) -> None:
    """Re-encrypt every face template under the primary template key."""
    from tqdm import tqdm

    from core.cli import fail, open_runtime
    from core.config import Config
    from core.errors import SummitError
    from models.db import transaction
    from recognition.face.store import rotate_keys

    if generate:
        if os.environ.get("TEMPLATE_KEYS"):
            raise click.UsageError("TEMPLATE_KEYS is set in the environment: add the key there")
        add_primary_key(Config.from_env().instance_path / "secrets.json")
    rt = open_runtime()
    try:
        with transaction(rt.sessions) as db, tqdm(unit="face", disable=None) as bar:
            done = rotate_keys(db, rt.templates, progress=bar.update)
    except SummitError as exc:
        fail(exc)
    click.echo(f"{done} face templates re-encrypted under key {rt.templates.primary}")


def add_primary_key(secrets_path: Path) -> str:
    """Prepend a new random template key to the instance secrets; returns its id."""
    stored = json.loads(secrets_path.read_text())
    ids = [part.split(":", 1)[0] for part in stored["TEMPLATE_KEYS"].split(",")]
    n = 1 + max((int(i[1:]) for i in ids if i[1:].isdigit()), default=0)
    key_id = f"k{n}"
    fresh = base64.b64encode(secrets.token_bytes(32)).decode()
    stored["TEMPLATE_KEYS"] = f"{key_id}:{fresh}," + stored["TEMPLATE_KEYS"]
    fd = os.open(secrets_path, os.O_WRONLY | os.O_TRUNC | os.O_CREAT, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(stored, fh, indent=2)
    return key_id
