# shipshape.server — one entry point for setup, tests and the sandbox demo.
SHELL := /bin/bash
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
export SHIPSHAPE_CACHE ?= $(HOME)/.cache/shipshape
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/.collections
export PATH := $(BIN):$(PATH)
LINK := .collections/ansible_collections/shipshape/server
# The plugins, as Ansible imports them; suite.py reads this line too.
UNIT_COVERAGE := --cov=ansible_collections.shipshape.server.plugins --cov-report=term --cov-fail-under=85

.PHONY: test lint unit sanity package venv demo demo-down molecule FORCE

## test: everything CI runs (venv, engine, images, lint, unit, all molecule scenarios)
test:
	@python3 tests/testbed/suite.py

## molecule S=name: one scenario (or several: S="base data") while working on a role, with its phase times
molecule:
	@python3 tests/testbed/suite.py --only-scenarios $(S)

venv: $(VENV)/.stamp .venv-sslyze/.stamp $(LINK)

$(VENV)/.stamp: requirements-dev.txt
	python3 -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

# sslyze grades the edge's TLS; it pins an older cryptography than ansible's,
# so it lives in a virtualenv of its own.
.venv-sslyze/.stamp: requirements-sslyze.txt
	python3 -m venv .venv-sslyze
	.venv-sslyze/bin/pip install -q --disable-pip-version-check -r requirements-sslyze.txt
	touch $@

# The repository is the collection: make it importable as shipshape.server.
# A copy installed in ~/.ansible/collections (ansible-lint and molecule make
# one) would shadow the checkout with stale roles, so it goes.
SHADOW := $(HOME)/.ansible/collections/ansible_collections/shipshape/server
$(LINK): FORCE
	@mkdir -p $(dir $(LINK))
	@ln -sfn ../../.. $(LINK)
	@if [ -d "$(SHADOW)" ] && [ ! -L "$(SHADOW)" ]; then rm -rf "$(SHADOW)"; fi
FORCE:

## lint: yamllint, ansible-lint (production profile), ruff, zizmor and actionlint on every workflow, the changelog's fragments
lint: venv
	yamllint --strict .
	ansible-lint --offline
	ruff check .
	ruff format --check .
	zizmor --persona auditor --offline . examples/app
	actionlint .github/workflows/*.yml examples/app/.github/workflows/*.yml
	antsibull-changelog lint

## sanity: ansible-test sanity on a copy of the collection (its own virtualenvs, from PyPI)
sanity: venv
	python tests/testbed/sanity.py

## package: the Galaxy tarball built, installed into an empty path and documented from there; changelog and EE
package: venv
	pytest -q tests/package

## unit: unit tests of the plugins, the tooling and the workflows, with the plugins' coverage and its threshold (seconds)
unit: venv
	pytest -q tests/unit $(UNIT_COVERAGE)

## demo: a sandbox host on the test bed, converged with playbooks/site.yml (the app and its backups included)
demo: venv
	tests/testbed/ensure-engine
	tests/testbed/build-image bookworm
	ansible-playbook tests/testbed/sandbox.yml
	ansible-playbook tests/testbed/sandbox-services.yml
	ansible-playbook -i inventories/sandbox playbooks/site.yml
	tests/testbed/demo-report

## demo-down: remove the sandbox host and its S3 host
demo-down: venv
	ansible-playbook tests/testbed/sandbox.yml -e sandbox_state=absent
