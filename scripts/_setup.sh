# Shared by scripts/serve and scripts/test: a virtualenv in .venv with the project in it.
# Works on a fresh Debian machine with Python 3.11 (installs python3-venv when missing).

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else
    echo "need root to run: $*" >&2; return 1; fi
}

apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -q >/dev/null && as_root apt-get install -y -q "$@" >/dev/null
}

setup_venv() {  # $1: pip extras spec, e.g. "." or ".[dev]"
  local py=${PYTHON:-python3}
  if [ ! -x .venv/bin/python ]; then
    if ! "$py" -c 'import ensurepip, venv' >/dev/null 2>&1; then
      echo "Installing python3-venv…" >&2
      apt_install python3-venv
    fi
    "$py" -m venv .venv
  fi
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -e "$1"
}
