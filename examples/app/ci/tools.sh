#!/usr/bin/env bash
# The tools a job needs, pinned, in a virtualenv of this run (system Pythons refuse pip installs, PEP 668):
#   ci/tools.sh lint     ruff (ci/requirements.txt)
#   ci/tools.sh deploy   Ansible (ci/requirements-deploy.txt) and shipshape.server, from Galaxy
#                        (ci/requirements.yml) or COLLECTION_SOURCE, a tarball built from a checkout
# Later steps find the tools on PATH (GITHUB_PATH), or by sourcing ci/common.sh.
# shellcheck source=common.sh
source "$(dirname "$0")/common.sh"
case ${1:-} in
  lint) requirements=ci/requirements.txt ;;
  deploy) requirements=ci/requirements-deploy.txt ;;
  *) fail "usage: ci/tools.sh lint|deploy" ;;
esac
python3 -m venv "$CI_WORK/venv"
"$CI_WORK/venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
if [[ -n ${GITHUB_PATH:-} ]]; then echo "$CI_WORK/venv/bin" >>"$GITHUB_PATH"; fi
if [[ $1 == deploy ]]; then
  export ANSIBLE_COLLECTIONS_PATH="$CI_WORK/collections"
  if [[ -n ${COLLECTION_SOURCE:-} ]]; then
    # Its dependencies are the collections the `ansible` package bundles.
    "$CI_WORK/venv/bin/ansible-galaxy" collection install --no-deps --force -p "$ANSIBLE_COLLECTIONS_PATH" "$COLLECTION_SOURCE"
  else
    "$CI_WORK/venv/bin/ansible-galaxy" collection install -p "$ANSIBLE_COLLECTIONS_PATH" -r ci/requirements.yml
  fi
fi
