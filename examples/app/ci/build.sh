#!/usr/bin/env bash
# Build the production image of this commit (the build stage runs the tests first), tagged git-<commit>.
# shellcheck source=common.sh
source "$(dirname "$0")/common.sh"
[[ -n ${IMAGE:-} ]] || fail "IMAGE is not set: the repository to push to, such as registry.example.com/shop/app"
[[ $IMAGE =~ ^[a-z0-9][a-z0-9._/:-]*[a-z0-9]$ && $IMAGE != *@* && ${IMAGE##*/} != *:* ]] || fail "IMAGE must be a repository without tag or digest (got '$IMAGE')"
args=(--build-arg "APP_VERSION=$TAG" --label "org.opencontainers.image.revision=$COMMIT")
if [[ -n ${BASE_IMAGE:-} ]]; then args+=(--build-arg "BASE=$BASE_IMAGE"); fi
docker build "${args[@]}" -t "$IMAGE:$TAG" .
echo "$IMAGE:$TAG" >"$CI_WORK/built"
echo "built $IMAGE:$TAG"
