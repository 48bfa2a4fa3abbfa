"""docker-compose.yml: valid, and its services wired to each other as the README says."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def test_compose_is_valid_for_docker_compose() -> None:
    tool = shutil.which("docker-compose")
    if tool is None:
        pytest.fail("docker-compose (Debian package) validates docker-compose.yml; scripts/test installs it")
    env = {**os.environ, "PHONGHOP_SECRET_KEY": "test"}
    result = subprocess.run(
        [tool, "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_two_app_instances_share_postgres_and_redis() -> None:
    services = compose()["services"]
    assert {"postgres", "redis", "migrate", "app1", "app2", "proxy"} <= set(services)
    for name in ("app1", "app2"):
        app = services[name]
        env = app["environment"]
        assert env["PHONGHOP_DATABASE_URL"].split("@")[1].startswith("postgres:5432/")
        assert env["PHONGHOP_REDIS_URL"].startswith("redis://redis:6379")
        assert app["command"] == ["phonghop", "serve"]
        assert app["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert app["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["migrate"]["command"] == ["phonghop", "db", "upgrade"]
    assert "5432" not in str(services["postgres"].get("ports", "")), "the database must not be exposed"


def test_proxy_balances_both_instances_and_upgrades_websockets() -> None:
    services = compose()["services"]
    mount = next(v for v in services["proxy"]["volumes"] if v.endswith("/etc/nginx/nginx.conf:ro"))
    conf = (ROOT / mount.split(":")[0]).read_text()
    upstream = re.search(r"upstream phonghop \{(.*?)\}", conf, re.S)
    assert upstream is not None
    assert re.findall(r"server (\w+):8000", upstream.group(1)) == ["app1", "app2"]
    assert "proxy_set_header Upgrade $http_upgrade" in conf
    assert "return 308 https://" in conf
    assert set(services["proxy"]["depends_on"]) == {"app1", "app2"}
