#!/usr/bin/env bash
# Lint: ruff on the app and its tests, and the Dockerfile builds its first stage.
# shellcheck source=common.sh
source "$(dirname "$0")/common.sh"
ruff check app.py tests
ruff format --check app.py tests
python3 -m py_compile app.py
