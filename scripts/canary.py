"""Canary for tomorrow's releases: the suite on the newest versions pyproject.toml allows.

``scripts/test --latest [pytest args]`` runs this. It never touches ``.venv`` or
``uv.lock`` (CI stays on the lock):

1. resolves the newest allowed set into a throwaway environment under ``.tools/canary``;
2. lists every package whose newest release differs from the lock;
3. runs ruff, mypy and the suite there (``scripts/test`` with ``PHONGHOP_VENV`` pointing at
   the throwaway environment);
4. if anything failed, tries each upgraded package alone on top of the locked set, on
   the failing tests only, and says which upgrade broke what.

Exit status: 0 when the newest set passes, 1 otherwise. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".tools" / "canary"


def run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    print("+", " ".join(cmd), flush=True)
    return subprocess.run(cmd, text=True, cwd=ROOT, **kwargs)  # type: ignore[call-overload, no-any-return]


def locked_versions() -> dict[str, str]:
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    return {p["name"]: p["version"] for p in lock["package"] if p["name"] != "phonghop"}


def pinned(requirements: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in requirements.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].split(";", 1)[0].strip()
        if "==" in line and not line.startswith("-"):
            name, version = line.split("==", 1)
            found[name.strip().lower().replace("_", "-")] = version.strip().rstrip("\\").strip()
    return found


def make_env(uv: str, python: str, venv: Path, requirements: Path) -> None:
    if venv.exists():
        shutil.rmtree(venv)
    run([uv, "venv", "--quiet", "--python", python, str(venv)], check=True)
    env_python = str(venv / "bin" / "python")
    run([uv, "pip", "install", "--quiet", "--python", env_python, "-r", str(requirements)], check=True)
    run([uv, "pip", "install", "--quiet", "--python", env_python, "--no-deps", "-e", "."], check=True)


def failing_tests(cache: Path) -> list[str]:
    """The node ids pytest's cache recorded as failed in the last run into ``cache``."""
    lastfailed = cache / "v" / "cache" / "lastfailed"
    if not lastfailed.exists():
        return []
    return sorted(json.loads(lastfailed.read_text(encoding="utf-8")))


def run_suite(venv: Path, cache: Path, pytest_args: list[str]) -> int:
    if cache.exists():
        shutil.rmtree(cache)
    env = {**os.environ, "PHONGHOP_VENV": str(venv), "PHONGHOP_CANARY": "1"}
    cmd = [str(ROOT / "scripts" / "test"), "-p", "cacheprovider", "-o", f"cache_dir={cache}", *pytest_args]
    return run(cmd, env=env).returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--uv", required=True)
    parser.add_argument("pytest_args", nargs="*")
    args = parser.parse_args()
    python = sys.executable
    WORK.mkdir(parents=True, exist_ok=True)

    latest_txt = WORK / "latest.txt"
    run(
        [
            args.uv,
            "pip",
            "compile",
            "--quiet",
            "pyproject.toml",
            "--extra",
            "test",
            "--upgrade",
            "--python",
            python,
            "--no-header",
            "-o",
            str(latest_txt),
        ],
        check=True,
    )
    locked, latest = locked_versions(), pinned(latest_txt)
    upgrades = {n: (locked.get(n, "-"), v) for n, v in sorted(latest.items()) if locked.get(n) != v}
    if upgrades:
        print("\nnewer than uv.lock:")
        for name, (old, new) in upgrades.items():
            print(f"  {name:28} {old:>14} -> {new}")
    else:
        print("\nuv.lock already holds the newest allowed release of every package")

    venv, cache = WORK / "venv", WORK / "latest-cache"
    make_env(args.uv, python, venv, latest_txt)
    status = run_suite(venv, cache, args.pytest_args)
    if status == 0:
        print("\ncanary: the newest allowed releases pass")
        return 0
    failed = failing_tests(cache)
    print(f"\ncanary: the newest allowed releases fail ({len(failed)} tests, or ruff/mypy)")
    if not upgrades:
        print("nothing is newer than the lock: these failures are not an upgrade's")
        return 1

    locked_txt = WORK / "locked.txt"
    run(
        [
            args.uv,
            "export",
            "--locked",
            "--quiet",
            "--extra",
            "test",
            "--no-emit-project",
            "--no-hashes",
            "--no-header",
            "--format",
            "requirements-txt",
            "-o",
            str(locked_txt),
        ],
        check=True,
    )
    blame: dict[str, list[str]] = {}
    for name, (_, new) in upgrades.items():
        one = WORK / "one.txt"
        lines = [ln for ln in locked_txt.read_text().splitlines() if not ln.lower().startswith(name + "==")]
        one.write_text("\n".join([*lines, f"{name}=={new}"]) + "\n")
        trial, trial_cache = WORK / "one-venv", WORK / "one-cache"
        try:
            make_env(args.uv, python, trial, one)
        except subprocess.CalledProcessError:
            blame[name] = ["(cannot be installed alone beside the locked set)"]
            continue
        if run_suite(trial, trial_cache, failed or args.pytest_args) != 0:
            blame[name] = failing_tests(trial_cache) or ["ruff or mypy"]
    print("\nwhich upgrade broke what:")
    for name, tests in blame.items():
        old, new = upgrades[name]
        print(f"  {name} {old} -> {new}:")
        for test in tests:
            print(f"      {test}")
    if not blame:
        print("  no single upgrade fails alone: the failures need several upgrades together")
    return 1


if __name__ == "__main__":
    sys.exit(main())
