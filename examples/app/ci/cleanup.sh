#!/usr/bin/env bash
# Always runs: log out, and wipe this run's directory (keys, credentials, vars) and the image it built.
# shellcheck source=common.sh
source "$(dirname "$0")/common.sh"
built=$(cat "$CI_WORK/built" 2>/dev/null || true)
if [[ -n $built ]]; then
  docker logout "$(registry_of "$built")" >/dev/null 2>&1 || true
  docker image rm "$built" >/dev/null 2>&1 || true
fi
rm -rf -- "$CI_WORK"
echo "cleaned up"
