# shellcheck shell=bash disable=SC2034  # (TAG and the rest are for the scripts that source this)
# Sourced by the other ci/ scripts: settings every step shares, and one way to fail.
# The workflows (.github/workflows) only call these scripts, so the pipeline runs the same anywhere:
# on GitHub, in nektos/act, or from a shell.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# IMAGE: the repository in the registry, such as registry.example.com/shop/app (no tag).
# CI_WORK: a private directory for this run (the workflows give the runner's temp directory); cleanup.sh wipes it.
: "${CI_WORK:=${RUNNER_TEMP:-/tmp}/app-ci}"
mkdir -p "$CI_WORK" && chmod 0700 "$CI_WORK"
# Registry credentials live in this run's directory, never in the runner's home.
export DOCKER_CONFIG="$CI_WORK/docker"
# The tools ci/tools.sh installed, and the collections it installed for Ansible.
export PATH="$CI_WORK/venv/bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$CI_WORK/collections"
# The commit being built: GitHub's, or the checkout's.
: "${COMMIT:=${GITHUB_SHA:-$(git rev-parse HEAD 2>/dev/null || echo dev)}}"
TAG="git-${COMMIT:0:12}"

fail() {
  echo "::error::$*" >&2
  exit 1
}

# The registry host of an image reference (Docker's rule: a first component with a dot or a port, or localhost).
registry_of() {
  local first=${1%%/*}
  if [[ $1 == */* && ($first == *.* || $first == *:* || $first == localhost) ]]; then
    echo "$first"
  else
    echo docker.io
  fi
}
