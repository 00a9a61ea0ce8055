#!/usr/bin/env bash
# The app's tests with coverage and its threshold, against the production libraries: the Dockerfile's build stage.
# COVERAGE_MIN overrides the threshold the Dockerfile sets.
# shellcheck source=common.sh
source "$(dirname "$0")/common.sh"
args=(--target build --progress=plain)
[[ -n ${COVERAGE_MIN:-} ]] && args+=(--build-arg "COVERAGE_MIN=$COVERAGE_MIN")
[[ -n ${BASE_IMAGE:-} ]] && args+=(--build-arg "BASE=$BASE_IMAGE")
# --progress is BuildKit's; the classic builder prints every step anyway.
docker buildx version >/dev/null 2>&1 || args=("${args[@]/--progress=plain/}")
docker build "${args[@]}" -t "app-tests:$TAG" .
