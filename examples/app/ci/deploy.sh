#!/usr/bin/env bash
# Deploy the pushed digest with shipshape.server's deploy playbook over SSH: --check first, then the real run.
#   DEPLOY_INVENTORY   the inventory (a path in this repository, such as deploy/inventory)
#   SSH_PRIVATE_KEY    the deploy key (a secret)
#   SSH_KNOWN_HOSTS    the hosts' keys, pinned in configuration: never scanned at deploy time
#   ANSIBLE_VAULT_PASSWORD  optional (a secret): given to Ansible by a script that prints it, never written to disk
#   REGISTRY_USERNAME / REGISTRY_PASSWORD  optional: the servers pull with these (the role logs in without printing them)
# shellcheck source=common.sh
source "$(dirname "$0")/common.sh"
image=$(cat "$CI_WORK/image" 2>/dev/null) || fail "nothing pushed: run ci/push.sh first"
[[ -n ${DEPLOY_INVENTORY:-} && -e $DEPLOY_INVENTORY ]] || fail "DEPLOY_INVENTORY names no inventory (got '${DEPLOY_INVENTORY:-}')"
[[ -n ${SSH_PRIVATE_KEY:-} ]] || fail "SSH_PRIVATE_KEY is empty"
[[ -n ${SSH_KNOWN_HOSTS:-} ]] || fail "SSH_KNOWN_HOSTS is empty: pin the servers' host keys in the repository's configuration"

umask 077
printf '%s\n' "$SSH_PRIVATE_KEY" >"$CI_WORK/ssh_key"
printf '%s\n' "$SSH_KNOWN_HOSTS" >"$CI_WORK/known_hosts"
export ANSIBLE_PRIVATE_KEY_FILE="$CI_WORK/ssh_key"
export ANSIBLE_HOST_KEY_CHECKING=True
export ANSIBLE_SSH_ARGS="-o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=$CI_WORK/known_hosts -o StrictHostKeyChecking=yes"
export ANSIBLE_PIPELINING=True ANSIBLE_FORCE_COLOR=False

# The image and any registry credentials reach Ansible in a private vars file, not on a command line.
python3 - "$image" >"$CI_WORK/deploy-vars.json" <<'PY'
import json, os, sys
out = {"app_image": sys.argv[1]}
if os.environ.get("REGISTRY_USERNAME"):
    out |= {"app_registry_username": os.environ["REGISTRY_USERNAME"], "app_registry_password": os.environ.get("REGISTRY_PASSWORD", "")}
print(json.dumps(out))
PY
args=(-i "$DEPLOY_INVENTORY" -e "@$CI_WORK/deploy-vars.json")
if [[ -n ${ANSIBLE_VAULT_PASSWORD:-} ]]; then
  # shellcheck disable=SC2016  # the script prints the variable when Ansible runs it
  printf '#!/bin/sh\nprintf "%%s\\n" "$ANSIBLE_VAULT_PASSWORD"\n' >"$CI_WORK/vault-pass" && chmod 0700 "$CI_WORK/vault-pass"
  args+=(--vault-password-file "$CI_WORK/vault-pass")
fi
echo "deploying $image"
ansible-playbook "${args[@]}" shipshape.server.deploy --check
ansible-playbook "${args[@]}" shipshape.server.deploy
