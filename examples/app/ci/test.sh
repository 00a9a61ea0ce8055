#!/usr/bin/env bash
# The app's tests with coverage and its threshold, against the production libraries: the Dockerfile's build stage.
# COVERAGE_MIN overrides the threshold the Dockerfile sets; BASE_IMAGE the Debian image it builds from.
# shellcheck source=common.sh
source "$(dirname "$0")/common.sh"
args=(--target build)
if [[ -n ${COVERAGE_MIN:-} ]]; then args+=(--build-arg "COVERAGE_MIN=$COVERAGE_MIN"); fi
if [[ -n ${BASE_IMAGE:-} ]]; then args+=(--build-arg "BASE=$BASE_IMAGE"); fi
# BuildKit prints a step's output only with plain progress; the classic builder always does.
if docker buildx version >/dev/null 2>&1; then args+=(--progress=plain); fi
docker build "${args[@]}" -t "app-tests:$TAG" . || fail "the tests or their coverage threshold failed (above)"
docker image rm "app-tests:$TAG" >/dev/null
