"""`run.py models download` against a local HTTP server serving a zip built here."""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from run import cli

NAME = "vosk-model-small-en-us-0.15"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    site = tmp_path / "site"
    site.mkdir()
    archive = site / f"{NAME}.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(f"{NAME}/am/final.mdl", b"acoustic model bytes")
        zf.writestr(f"{NAME}/conf/model.conf", "--sample-frequency=16000\n")
    md5 = hashlib.md5(archive.read_bytes()).hexdigest()
    (site / "model-list.json").write_text(json.dumps([{"name": NAME, "md5": md5}]))
    handler = functools.partial(QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", archive
    server.shutdown()
    server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def run_download(url: str, instance: Path, *extra: str) -> object:
    return CliRunner().invoke(
        cli,
        ["models", "download", "en", "--base-url", url, *extra],
        env={"SUMMIT_INSTANCE": str(instance)},
    )


def test_download_checks_the_listed_checksum_and_unpacks_the_model(
    served: tuple[str, Path], tmp_path: Path
) -> None:
    url, _ = served
    result = run_download(url, tmp_path / "inst")
    assert result.exit_code == 0, result.output
    assert (
        tmp_path / "inst" / "models" / "vosk-en" / "am" / "final.mdl"
    ).read_bytes() == b"acoustic model bytes"


def test_a_tampered_archive_is_refused_and_nothing_is_unpacked(
    served: tuple[str, Path], tmp_path: Path
) -> None:
    url, archive = served
    with zipfile.ZipFile(archive, "a") as zf:
        zf.writestr(f"{NAME}/extra.txt", "tampered")
    result = run_download(url, tmp_path / "inst")
    assert result.exit_code != 0 and "checksum_mismatch" in result.output
    assert not (tmp_path / "inst" / "models" / "vosk-en").exists()
    assert list((tmp_path / "inst" / "models").iterdir()) == []


def test_a_pinned_sha256_is_used_instead_of_the_list(
    served: tuple[str, Path], tmp_path: Path
) -> None:
    url, archive = served
    good = hashlib.sha256(archive.read_bytes()).hexdigest()
    assert run_download(url, tmp_path / "a", "--sha256", good).exit_code == 0
    bad = run_download(url, tmp_path / "b", "--sha256", "0" * 64)
    assert "checksum_mismatch" in bad.output


def test_an_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    result = run_download("http://127.0.0.1:9", tmp_path / "inst")
    assert result.exit_code != 0 and "download_failed" in result.output
