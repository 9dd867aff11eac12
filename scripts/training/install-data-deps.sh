#!/usr/bin/env bash
# Installs the Debian packages the bundled models' training corpus is made from (see docs/bundled-models.md).
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
  fortunes fortunes-min dict-gcide dict-wn dict-foldoc dict-jargon dict-devil debian-reference-en wamerican-large
