#!/usr/bin/env bash
# Installs what is missing (Debian packages), builds DiffScope and starts the desktop app on the bundled models
# (assets/models/diff and assets/models/standard). Arguments are passed to the app, e.g. --prompt "...".
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
exec ./build/app/diffscope "$@"
