"""run.py commands of the face package: calibrate-faces, eval-faces, purge-biometrics,
rotate-template-key."""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path
from typing import Any

import click

DIR = click.Path(exists=True, file_okay=False, path_type=Path)


def register(cli: click.Group) -> None:
    """Add this package's commands to the run.py group."""
    cli.add_command(calibrate_faces)
    cli.add_command(eval_faces)
    cli.add_command(purge_biometrics)
    cli.add_command(rotate_template_key)
    cli.add_command(reencode_faces)


ENGINE = click.Choice(["mobilefacenet", "dlib"])
FOLD = click.Choice(["a", "b", "all"])


def _fold(folders: tuple[Path, ...], engine: str, which: str) -> Any:
    from tqdm import tqdm

    from recognition.face.protocol import Fold, encode_photos, folds, read_photos

    total = sum(len(read_photos(f)) for f in folders)
    with tqdm(total=total, unit="img", disable=None) as bar:
        photos = encode_photos(list(folders), engine, bar.update)
    if which == "all":
        return Fold(sorted({p.identity for p in photos}), photos)
    a, b = folds(photos)
    return a if which == "a" else b


@click.command("calibrate-faces")
@click.argument("folders", nargs=-1, required=True, type=DIR)
@click.option("--engine", type=ENGINE, help="embedding engine (default: FACE_ENGINE's)")
@click.option(
    "--fold",
    type=FOLD,
    default="a",
    show_default=True,
    help="identities to calibrate on (split by identity; eval-faces reports on the other)",
)
@click.option(
    "--target-far",
    default=1e-4,
    show_default=True,
    help="false-accept rate per comparison the distance threshold is set for",
)
@click.option("--enrol-photos", default=1, show_default=True, help="photos averaged per person")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="where to write the thresholds (default: <instance>/face_thresholds.json)",
)
def calibrate_faces(
    folders: tuple[Path, ...],
    engine: str | None,
    fold: str,
    target_far: float,
    enrol_photos: int,
    out: Path | None,
) -> None:
    """Compute one engine's match threshold and margin on one fold of labelled folders."""
    from core.cli import fail
    from core.config import Config
    from core.errors import SummitError
    from models.face import selected_engine
    from recognition.face.protocol import calibrate

    name = engine or selected_engine()
    try:
        point = calibrate(
            _fold(folders, name, fold), name, target_far, name != "dlib", enrol_photos
        )
    except SummitError as exc:
        fail(exc)
    point["fold"] = fold
    point["folders"] = [f.resolve().name for f in folders]
    cfg = Config.from_env()
    path = out or cfg.face_thresholds_path or cfg.instance_path / "face_thresholds.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(point, indent=2))
    shown = {k: v for k, v in point.items() if k != "calibrated_identities"}
    click.echo(json.dumps(shown, indent=2))
    click.echo(f"written to {path}")


@click.command("eval-faces")
@click.argument("folders", nargs=-1, required=True, type=DIR)
@click.option("--engine", type=ENGINE, help="embedding engine (default: FACE_ENGINE's)")
@click.option("--fold", type=FOLD, default="b", show_default=True, help="identities to report on")
@click.option(
    "--thresholds",
    "thresholds_path",
    type=click.Path(path_type=Path),
    help="thresholds JSON from calibrate-faces (default: the instance's, else the shipped one)",
)
@click.option("--enrol-photos", default=1, show_default=True, help="photos averaged per person")
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
def eval_faces(
    folders: tuple[Path, ...],
    engine: str | None,
    fold: str,
    thresholds_path: Path | None,
    enrol_photos: int,
    as_json: bool,
) -> None:
    """Open-set evaluation (FNIR, FPIR, mis-identifications per set) on identities the
    operating point was not calibrated on; refuses any overlap."""
    from core.cli import fail
    from core.config import Config
    from core.errors import SummitError
    from models.face import selected_engine
    from recognition.face.decision import SHIPPED, Thresholds
    from recognition.face.protocol import open_set, refuse_overlap

    name = engine or selected_engine()
    cfg = Config.from_env()
    path = thresholds_path or cfg.face_thresholds_path or cfg.instance_path / "face_thresholds.json"
    point = json.loads(path.read_text()) if path.exists() else {}
    if point.get("engine", "dlib") != name:
        point = json.loads(SHIPPED.read_text()).get(name, {})
        path = SHIPPED
    if "distance" not in point:
        fail(SummitError(f"no operating point for {name}", "thresholds_missing", 400))
    t = Thresholds(float(point["distance"]), float(point["margin"]), str(path))
    try:
        chosen = _fold(folders, name, fold)
        refuse_overlap(chosen, point)
    except SummitError as exc:
        fail(exc)
    result = open_set(chosen, t, enrol_photos, name != "dlib").summary()
    report = {
        "engine": name,
        "operating_point": {"distance": t.distance, "margin": t.margin, "from": str(path)},
        "fold": fold,
        "enrol_photos": enrol_photos,
        "sets": result,
    }
    if as_json:
        click.echo(json.dumps(report))
        return
    click.echo(f"{name}: distance <= {t.distance}, margin >= {t.margin} ({path})")
    for key, row in result.items():
        click.echo(f"{key:>12}: " + ", ".join(f"{k}={v}" for k, v in row.items()))


@click.command("reencode-faces")
def reencode_faces() -> None:
    """Templates for the selected engine (FACE_ENGINE) from stored enrolment crops."""
    from core.cli import fail, open_runtime
    from core.errors import SummitError
    from models.db import transaction
    from recognition.face.api import face_service
    from recognition.face.reencode import reencode

    rt = open_runtime()
    try:
        with transaction(rt.sessions) as db:
            done = reencode(face_service(rt), db, "cli")
    except SummitError as exc:
        fail(exc)
    click.echo(f"{done.written} templates written for {done.attendees} attendees")
    if done.need_enrolment:
        ids = ", ".join(str(i) for i in done.need_enrolment)
        click.echo(f"{len(done.need_enrolment)} attendees have no stored photo; enrol again: {ids}")


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
