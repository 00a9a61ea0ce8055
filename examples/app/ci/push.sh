#!/usr/bin/env bash
# Log in with REGISTRY_USERNAME / REGISTRY_PASSWORD (the password through stdin, never on a command line), push the
# image built by build.sh unless the registry has this commit's image already, and record it by digest for
# deploy.sh: what is deployed is exactly what the registry holds.
# shellcheck source=common.sh
source "$(dirname "$0")/common.sh"
built=$(cat "$CI_WORK/built" 2>/dev/null) || fail "nothing built: run ci/build.sh first"
registry=$(registry_of "$built")
if [[ -n ${REGISTRY_USERNAME:-} ]]; then
  [[ -n ${REGISTRY_PASSWORD:-} ]] || fail "REGISTRY_USERNAME is set but REGISTRY_PASSWORD is empty"
  printf '%s' "$REGISTRY_PASSWORD" | docker login --username "$REGISTRY_USERNAME" --password-stdin "$registry" >/dev/null ||
    fail "the registry $registry refused the login of $REGISTRY_USERNAME"
fi
repository=${built%:*}
# A commit's image is pushed once: a re-run of the same commit deploys the digest the registry already has
# (a rebuild is never byte-identical, and would deploy again for nothing).
if docker pull --quiet "$built" >/dev/null 2>&1; then
  echo "the registry already has $built: this run deploys that image"
else
  docker push --quiet "$built" >/dev/null || fail "pushing $built to $registry failed"
fi
digest=$(docker image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$built" | grep -m1 "^$repository@sha256:") ||
  fail "the registry gave no digest for $built"
echo "$digest" >"$CI_WORK/image"
echo "pushed $digest"
if [[ -n ${GITHUB_OUTPUT:-} ]]; then echo "image=$digest" >>"$GITHUB_OUTPUT"; fi
