"""The repository's nginx config in front of the production server: TLS, redirect, WebSocket.

`deploy/nginx.conf` is used as shipped, with only what a deployment changes replaced (ports,
certificate paths, the upstream's address): a real nginx (Debian's) terminates TLS with a
certificate made here, forwards a gate pass by entrance code to `python run.py serve`
(gunicorn), upgrades a gate device's Socket.IO connection to a WebSocket and carries a live
camera code decision back over it, and marks the session cookie Secure (`SECURE_COOKIES=1`).
"""

from __future__ import annotations

import datetime
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
import socketio

from core.config import PROJECT_ROOT
from rehearsal.actors import Api, Metrics, Phone, nonce
from tests.servers import free_port, server
from tests.serving.test_production_server import ADMIN, prepare

pytestmark = pytest.mark.slow
CONF = PROJECT_ROOT / "deploy" / "nginx.conf"


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost (the client trusts exactly this one)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    import ipaddress

    alt = x509.SubjectAlternativeName(
        [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(alt, critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def trust(session: requests.Session, cert: str) -> None:
    """Trust exactly the test's certificate (and not REQUESTS_CA_BUNDLE from the environment,
    which requests would otherwise prefer to the session's own setting)."""
    session.verify, session.trust_env = cert, False


def render(folder: Path, upstream: int, http: int, https: int) -> Path:
    """deploy/nginx.conf with this machine's ports and files, inside a minimal main config."""
    cert, key = self_signed(folder)
    site = CONF.read_text()
    replacements = [
        ("server 127.0.0.1:5000 ", f"server 127.0.0.1:{upstream} "),
        ("listen 80;", f"listen 127.0.0.1:{http};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl http2;"),
        ("/etc/ssl/summit/fullchain.pem", str(cert)),
        ("/etc/ssl/summit/privkey.pem", str(key)),
    ]
    for old, new in replacements:
        assert old in site, f"deploy/nginx.conf no longer has {old!r}; update this test"
        site = site.replace(old, new)
    main = folder / "nginx-main.conf"
    main.write_text(
        f"""daemon off;
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {folder}/nginx-access.log;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
{site}
}}
"""
    )
    return main


@contextmanager
def nginx(folder: Path, upstream: int) -> Iterator[tuple[str, str]]:
    """nginx in front of 127.0.0.1:upstream; yields (https base, http base)."""
    binary = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else ""
    )
    if not binary:
        pytest.skip("nginx is not installed (./dev setup installs it: apt-get install nginx)")
    http, https = free_port(), free_port()
    conf = render(folder, upstream, http, https)
    check = subprocess.run([binary, "-t", "-c", str(conf), "-p", str(folder)], capture_output=True)
    assert check.returncode == 0, check.stderr.decode()
    stderr = folder / "nginx-stderr.log"
    with stderr.open("wb") as err:
        proc = subprocess.Popen(
            [binary, "-c", str(conf), "-p", str(folder)], stdout=subprocess.DEVNULL, stderr=err
        )
    base = f"https://127.0.0.1:{https}"
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                requests.get(f"{base}/api/health", verify=str(folder / "cert.pem"), timeout=2)
                break
            except requests.RequestException:
                assert proc.poll() is None, stderr.read_text()
                time.sleep(0.1)
        yield base, f"http://127.0.0.1:{http}"
    finally:
        proc.send_signal(signal.SIGQUIT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_a_gate_passes_through_nginx_with_tls_secure_cookies_and_a_websocket(
    tmp_path: Path,
) -> None:
    gate_id, gate_token, _kiosk_token, attendee = prepare(tmp_path)
    upstream = free_port()
    env = {"RATE_LIMIT_FACTOR": "0", "SECURE_COOKIES": "1"}
    with server(tmp_path, env, port=upstream), nginx(tmp_path, upstream) as (base, plain):
        cert = str(tmp_path / "cert.pem")
        # Plain HTTP is sent to HTTPS.
        moved = requests.get(f"{plain}/console", allow_redirects=False, timeout=5)
        assert moved.status_code == 301 and moved.headers["Location"].startswith("https://")
        health = requests.get(f"{base}/api/health", verify=cert, timeout=5)
        assert health.status_code == 200, health.text
        assert "max-age=" in health.headers.get("Strict-Transport-Security", "")

        metrics = Metrics()
        admin = Api(base, metrics)
        trust(admin.http, cert)
        res = admin.http.post(
            f"{base}/api/auth/login",
            json={"username": ADMIN[0], "password": ADMIN[1]},
            timeout=10,
        )
        assert res.status_code == 200, res.text
        assert "secure" in res.headers.get("Set-Cookie", "").lower(), res.headers
        admin.headers = {"X-CSRF-Token": res.json()["csrf"]}

        phone = Phone(base, metrics, admin, attendee)
        trust(phone.api.http, cert)
        code = phone.entrance_code()
        assert code, dict(metrics.calls)
        gate = Api(base, metrics, gate_token)
        trust(gate.http, cert)
        status, answer = gate.post(
            "gate_pass",
            f"/api/gates/{gate_id}/pass",
            json={"method": "code", "code": code, "nonce": nonce()},
        )
        assert status == 200 and answer["granted"] is True, answer

        # The gate device's live connection: upgraded to a WebSocket through nginx, and the
        # same entrance code shown again decided over it (refused: already used; the answer
        # comes back on the same socket).
        http = requests.Session()
        trust(http, cert)
        sio = socketio.Client(http_session=http, reconnection=False)
        try:
            sio.connect(
                base,
                namespaces=["/live"],
                auth={"token": gate_token},
                transports=["websocket"],
                wait_timeout=10,
            )
            assert sio.transport() == "websocket"
            reply = sio.call(
                "camera_code",
                {"code": code, "nonce": nonce(), "purpose": "gate", "gate_id": gate_id},
                namespace="/live",
                timeout=15,
            )
        finally:
            sio.disconnect()
        decision = reply["decision"]
        assert decision["gate_id"] == gate_id and decision["granted"] is False, reply
        assert decision["reason"] != "granted", reply
    access = (tmp_path / "nginx-access.log").read_text()
    assert re.search(r'"GET /socket\.io/\?[^"]*transport=websocket[^"]*" 101 ', access), access
    assert f'"POST /api/gates/{gate_id}/pass HTTP/2.0" 200' in access or (
        f'"POST /api/gates/{gate_id}/pass HTTP/1.1" 200' in access
    ), access
