# Shared by the scripts: find Python >= 3.11 and keep the virtual environment in .venv.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# PHONGHOP_VENV: another environment (the canary of scripts/test --latest uses it).
VENV="${PHONGHOP_VENV:-$ROOT/.venv}"
cd "$ROOT"

find_python() {
    for candidate in python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
            # The interpreter itself, not a shim (pyenv): uv would otherwise take the
            # shim for another Python and rebuild .venv on every call.
            "$candidate" -c 'import sys; print(sys.executable)'
            return 0
        fi
    done
    echo "phonghop needs Python 3.11 or newer (python3.11 -m venv must work)" >&2
    return 1
}

# apt_install PACKAGE...: installs Debian packages that are missing (root only; tells otherwise).
apt_install() {
    local missing=()
    for pkg in "$@"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "please install these system packages: ${missing[*]}" >&2
        return 1
    fi
    echo "installing system packages: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# uv installs the locked set (uv.lock). The scripts bring their own copy at a pinned
# version, checked against the hashes in scripts/uv-requirements.txt, under .tools/.
UV_VERSION=0.13.10
UV="$ROOT/.tools/uv-$UV_VERSION/uv"
export UV_PYTHON_DOWNLOADS=never
# Compile bytecode at install: the first 'phonghop serve' or demo then starts in seconds
# even where Python may not write .pyc files (PYTHONDONTWRITEBYTECODE, a read-only /opt).
export UV_COMPILE_BYTECODE=1
export UV_PROJECT_ENVIRONMENT="$VENV"

ensure_uv() {
    [ -x "$UV" ] && return 0
    local tmp
    mkdir -p "$ROOT/.tools"
    tmp="$(mktemp -d "$ROOT/.tools/tmp-XXXXXX")"
    echo "installing uv $UV_VERSION (pinned, hash-checked) into .tools/"
    "$(find_python)" -m venv "$tmp/venv"
    "$tmp/venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps \
        --require-hashes -r "$ROOT/scripts/uv-requirements.txt"
    mkdir -p "$ROOT/.tools/uv-$UV_VERSION"
    cp "$tmp/venv/bin/uv" "$UV.part" && mv "$UV.part" "$UV"
    rm -rf "$tmp"
}

# ensure_venv [--exact] [uv sync options...]: .venv holds phonghop (editable) and exactly
# the versions uv.lock names. Without --exact, packages of other extras already in the
# venv stay (the demo does not uninstall the test tools).
ensure_venv() {
    local exact="--inexact"
    if [ "${1:-}" = "--exact" ]; then exact=""; shift; fi
    ensure_uv
    if ! "$UV" sync --locked --quiet --python "$(find_python)" $exact "$@"; then
        echo "phonghop: could not install the locked dependency set (uv.lock)." >&2
        echo "If pyproject.toml changed, run scripts/lock and commit uv.lock with it." >&2
        return 1
    fi
}
