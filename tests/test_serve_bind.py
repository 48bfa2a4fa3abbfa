"""An instance that cannot bind a port ends in order (issue #18): its lifespan is shut
down, the process exits with uvicorn's startup-failure code, and nothing hangs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
def test_a_busy_redirect_port_stops_the_server_in_order(tmp_path: Path, sqlite_url: str) -> None:
    env = {
        **os.environ,
        "PHONGHOP_DATABASE_URL": sqlite_url,
        "PHONGHOP_DATA_DIR": str(tmp_path / "data"),
        "PHONGHOP_SECRET_KEY": "k" * 32,
    }
    init = subprocess.run(
        [sys.executable, "-m", "phonghop", "tls", "init", "--ip", "127.0.0.1"],
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert init.returncode == 0, init.stderr
    with socket.socket() as busy, socket.socket() as probe:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        served = subprocess.run(
            [sys.executable, "-m", "phonghop", "--host", "127.0.0.1", "--port", str(port), "serve"],
            env={**env, "PHONGHOP_HTTP_PORT": str(busy.getsockname()[1])},
            capture_output=True,
            text=True,
            timeout=120,
        )
    log = served.stdout + served.stderr
    assert served.returncode == 3, log[-3000:]
    assert "address already in use" in log
    assert "Traceback" not in log, log[-3000:]  # before: SystemExit out of the loop, lifespan cancelled
