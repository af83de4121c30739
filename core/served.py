"""Where this instance's server answers, so links printed by commands name the real host and port.

`serve` records its address in the instance folder (`served.json`, with its process id);
`public_url` prefers PUBLIC_URL (the address delegates reach, e.g. behind a proxy), then the
address of a server still running from this instance folder, then the default port.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

DEFAULT_URL = "http://127.0.0.1:5000"
_FILE = "served.json"


def record_served_url(instance: Path, host: str, port: int) -> None:
    """Write the address a starting server answers on (any-address binds name the loopback)."""
    shown = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
    if ":" in shown:
        shown = f"[{shown}]"
    instance.mkdir(parents=True, exist_ok=True)
    data = {"url": f"http://{shown}:{port}", "pid": os.getpid()}
    (instance / _FILE).write_text(json.dumps(data))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def public_url(instance: Path) -> str:
    """The base URL for links: PUBLIC_URL, else the running server's, else the default."""
    configured = os.environ.get("PUBLIC_URL", "").strip()
    if configured:
        return configured.rstrip("/")
    try:
        data = json.loads((instance / _FILE).read_text())
        url, pid = str(data["url"]), int(data["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return DEFAULT_URL
    return url if _alive(pid) else DEFAULT_URL
