# Copyright: shipshape.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check the inventory's values for several roles against their argument specs, before any role runs."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase

ROLES_DIR = Path(__file__).resolve().parents[2] / "roles"
SECRET = re.compile(r"password|passphrase|secret|token|_key$|_pem$|dsn")


def _mask(message, secrets):
    for secret in sorted(secrets, key=len, reverse=True):
        message = message.replace(secret, "********")
    return message


def role_spec(role, roles_dir=ROLES_DIR):
    """The options of a role's main entry point, from its meta/argument_specs.yml."""
    path = Path(roles_dir) / role / "meta" / "argument_specs.yml"
    if not path.is_file():
        raise AnsibleActionFail(f"shipshape.server.{role} has no argument spec at {path}")
    data = yaml.safe_load(path.read_text()) or {}
    return ((data.get("argument_specs") or {}).get("main") or {}).get("options") or {}


def _given_only(option):
    """An option's spec without what would make the validator fill in or demand a value."""
    out = {k: v for k, v in option.items() if k not in ("required", "description", "default")}
    if isinstance(out.get("options"), dict):
        out["options"] = {k: _given_only(o) for k, o in out["options"].items()}
    return out


def check(specs, values):
    """Validate values (the ones the inventory gives) per role.

    Returns (errors, coerced): error messages prefixed with the role (a string for a boolean is one), and the
    values given as strings that the spec reads as another type ("8" for an int, "a,b" for a list), as it reads them.
    """
    errors, coerced = [], {}
    for role, options in specs.items():
        given = {k: v for k, v in values.items() if k in options}
        # Only what the inventory gives is checked: the role's own defaults (templates, often) are right by
        # construction, and required options are the role's preflight's business (with messages of its own).
        spec = {k: _given_only(o) for k, o in options.items()}
        result = ArgumentSpecValidator(spec).validate(given, validate_role_argument_spec=True)
        errors.extend(f"{role}: {m}" for m in result.error_messages)
        for name, value in given.items():
            # A string for a boolean is refused, not converted: templates test it as a string, where "false"
            # is true. (Extra vars given as -e name=value are always strings: give them as JSON instead.)
            if options[name].get("type") == "bool" and isinstance(value, str):
                errors.append(
                    f"{role}: {name} is the string {value!r}; write a YAML boolean (true or false, no quotes),"
                    f" or -e '{{\"{name}\": false}}' as JSON on the command line"
                )
            # The reverse: YAML reads an unquoted on/off/yes/no as a boolean, which a template then compares
            # with the string it expected ("on" != True). Refused with the fix.
            elif options[name].get("type", "str") == "str" and isinstance(value, bool):
                errors.append(
                    f"{role}: {name} is the boolean {value}; YAML reads unquoted on/off/yes/no as booleans:"
                    f' quote the word ({name}: "{"on" if value else "off"}")'
                )
            # A number or a list given as a string is used as the spec reads it ("8" -> 8, "a,b" -> [a, b]).
            elif isinstance(value, str) and not isinstance(result.validated_parameters.get(name), str):
                if name in result.validated_parameters and name not in coerced:
                    coerced[name] = result.validated_parameters[name]
    return errors, coerced


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        roles = self._task.args.get("roles") or []
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise AnsibleActionFail("roles takes a list of role names")
        specs = {role: role_spec(role) for role in roles}
        names = {name for options in specs.values() for name in options}
        values = self._templar.template({k: task_vars[k] for k in names if k in task_vars})
        errors, coerced = check(specs, values)
        # The validator quotes values in its messages: mask those of the secrets.
        secrets = [str(v) for k, v in values.items() if SECRET.search(k) and isinstance(v, str) and len(v) >= 4]
        errors = [_mask(e, secrets) for e in errors]
        if errors:
            result.update(failed=True, msg="Invalid inventory values:\n" + "\n".join(errors), argument_errors=errors)
            return result
        # As host facts, the spec's values beat the inventory's (a string "false" becomes false) and
        # still lose to a playbook's own vars and to extra vars.
        result.update(changed=False, ansible_facts=coerced, coerced=sorted(coerced), msg="The argument specs passed")
        return result
