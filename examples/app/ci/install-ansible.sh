#!/usr/bin/env bash
# The deploy job's controller: pinned Ansible, and shipshape.server from Galaxy (or COLLECTION_SOURCE, a tarball).
# shellcheck source=common.sh
source "$(dirname "$0")/common.sh"
python3 -m pip install --user --quiet --disable-pip-version-check -r ci/requirements-deploy.txt
export PATH="$HOME/.local/bin:$PATH"
if [[ -n ${GITHUB_PATH:-} ]]; then echo "$HOME/.local/bin" >>"$GITHUB_PATH"; fi
if [[ -n ${COLLECTION_SOURCE:-} ]]; then
  ansible-galaxy collection install --force "$COLLECTION_SOURCE"
else
  ansible-galaxy collection install -r ci/requirements.yml
fi
ansible-galaxy collection list shipshape.server
