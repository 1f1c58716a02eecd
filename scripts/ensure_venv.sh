#!/usr/bin/env bash
# Create the virtualenv if it is missing and install a requirements file into it.
# The install is skipped when a stamp for the exact content of the requirements files
# (the given one and those it includes with -r) already exists, so re-runs are instant.
#
# usage: scripts/ensure_venv.sh REQUIREMENTS_FILE      (env: VENV=.venv PYTHON=python3)
set -euo pipefail
cd "$(dirname "$0")/.."

req="${1:?usage: scripts/ensure_venv.sh REQUIREMENTS_FILE}"
venv="${VENV:-.venv}"
python="${PYTHON:-python3}"

create_venv() {
    echo ">>> creating $venv with $("$python" --version 2>&1)"
    "$python" -m venv "$venv"
}

if [ ! -x "$venv/bin/python" ]; then
    if ! create_venv; then
        # Debian ships ensurepip separately: bring it in once, then retry.
        echo ">>> '$python -m venv' failed; installing python3-venv with apt-get" >&2
        rm -rf "$venv"
        sudo_cmd=""
        if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
        $sudo_cmd apt-get update
        DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y python3-venv
        create_venv
    fi
fi

# The file itself plus the files it includes with "-r <file>" (paths relative to it).
files=("$req")
while read -r included; do
    files+=("$(dirname "$req")/$included")
done < <(sed -n 's/^[[:space:]]*-r[[:space:]]*\([^[:space:]]*\).*/\1/p' "$req")
hash="$(cat "${files[@]}" | sha256sum | cut -c1-16)"
stamp="$venv/.installed-$hash"

if [ -e "$stamp" ]; then
    echo ">>> $req already installed in $venv (stamp $(basename "$stamp"))"
    exit 0
fi

echo ">>> installing $req into $venv"
"$venv/bin/python" -m pip install --disable-pip-version-check --no-input \
    --progress-bar off -r "$req"
touch "$stamp"
