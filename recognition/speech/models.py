"""`run.py models download en|zh`: fetch a standard small Vosk model, verify it, unpack it.

The checksum comes from the publisher's model list (alphacephei's model-list.json gives each
model's MD5 and size); `--sha256` pins a SHA-256 instead. Nothing is unpacked unless the check
passes, and the model folder is replaced atomically (unpacked beside it, then renamed).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import urllib.request
import zipfile
from pathlib import Path

from recognition.speech.errors import SpeechError

BASE_URL = "https://alphacephei.com/vosk/models"
STANDARD = {"en": "vosk-model-small-en-us-0.15", "zh": "vosk-model-small-cn-0.22"}


def _fetch(url: str, dest: Path) -> None:
    try:
        with urllib.request.urlopen(url, timeout=60) as res, dest.open("wb") as out:
            shutil.copyfileobj(res, out)
    except OSError as exc:
        raise SpeechError(f"could not download {url}: {exc}", "download_failed") from exc


def expected_digest(base_url: str, name: str) -> tuple[str, str]:
    """(algorithm, hex digest) of a model from the publisher's model list."""
    with tempfile.TemporaryDirectory() as tmp:
        listing = Path(tmp) / "model-list.json"
        _fetch(f"{base_url}/model-list.json", listing)
        entries = json.loads(listing.read_text(encoding="utf-8"))
    for entry in entries:
        if entry.get("name") == name and entry.get("md5"):
            return "md5", str(entry["md5"])
    raise SpeechError(f"{name} is not in the model list", "model_not_listed")


def _digest(path: Path, algorithm: str) -> str:
    h = hashlib.new(algorithm)
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def download_model(
    language: str, target_root: Path, base_url: str = BASE_URL, sha256: str | None = None
) -> Path:
    """Download, verify and unpack the standard model into `<target_root>/vosk-<language>`."""
    if language not in STANDARD:
        raise SpeechError(f"no standard model for {language!r} (en, zh)", "bad_language")
    name = STANDARD[language]
    algorithm, digest = ("sha256", sha256) if sha256 else expected_digest(base_url, name)
    target = target_root / f"vosk-{language}"
    target_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target_root) as tmp:
        archive = Path(tmp) / f"{name}.zip"
        _fetch(f"{base_url}/{name}.zip", archive)
        if _digest(archive, algorithm) != digest.lower():
            raise SpeechError(f"{name}.zip failed its {algorithm} check", "checksum_mismatch")
        unpacked = _unpack(archive, Path(tmp) / "unpacked")
        if target.exists():
            shutil.rmtree(target)
        unpacked.rename(target)
    return target


def _unpack(archive: Path, dest: Path) -> Path:
    """Unzip safely (no paths outside dest) and return the model folder (the one with am/)."""
    try:
        with zipfile.ZipFile(archive) as zf:
            for member in zf.namelist():
                if not (dest / member).resolve().is_relative_to(dest.resolve()):
                    raise SpeechError(f"unsafe path in archive: {member}", "bad_archive")
            zf.extractall(dest)
    except zipfile.BadZipFile as exc:
        raise SpeechError("the download is not a zip archive", "bad_archive") from exc
    found = [p.parent.parent for p in dest.rglob("am/final.mdl")]
    if not found:
        raise SpeechError("the archive holds no Vosk model (am/final.mdl)", "bad_archive")
    return found[0]
