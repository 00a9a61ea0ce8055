from ansible_collections.shipshape.server.plugins.action.role_args import ROLES_DIR, SECRET, _mask, check, role_spec

ROLES = ["base", "firewall", "ssh", "fail2ban", "postgres", "redis", "backup", "nginx", "certbot", "app"]


def specs(*roles):
    return {r: role_spec(r) for r in roles}


def test_every_role_has_a_spec_the_check_can_read():
    for role in ROLES:
        assert role_spec(role, ROLES_DIR), role


def test_a_choices_typo_is_refused_naming_the_role_and_the_variable():
    errors, _ = check(specs("fail2ban"), {"fail2ban_sshd_mode": "agressive"})
    assert len(errors) == 1
    assert errors[0].startswith("fail2ban: ") and "fail2ban_sshd_mode" in errors[0]


def test_a_wrong_type_is_refused():
    errors, _ = check(specs("firewall"), {"firewall_rules": "port 22"})
    assert any("firewall_rules" in e for e in errors)


def test_a_string_for_a_boolean_is_refused_naming_the_variable():
    errors, coerced = check(specs("base"), {"base_apt_install_recommends": "false"})
    assert len(errors) == 1 and "base_apt_install_recommends is the string 'false'" in errors[0]
    assert coerced == {}


def test_an_unquoted_on_read_as_a_boolean_is_refused_with_the_quoted_word():
    errors, coerced = check(specs("firewall"), {"firewall_docker": True})
    assert any("firewall_docker is the boolean True" in e and 'firewall_docker: "on"' in e for e in errors), errors
    assert coerced == {}


def test_a_number_given_as_a_string_comes_back_as_the_number():
    errors, coerced = check(specs("fail2ban"), {"fail2ban_maxretry": "3", "fail2ban_bantime_factor": 2})
    assert (errors, coerced) == ([], {"fail2ban_maxretry": 3})


def test_lists_of_dicts_are_left_as_given():
    sites = [{"name": "app", "server_names": ["app.example.com"]}]
    errors, coerced = check(specs("nginx"), {"nginx_sites": sites})
    assert (errors, coerced) == ([], {})


def test_values_of_the_right_type_and_unknown_variables_are_left_alone():
    errors, coerced = check(specs("base", "ssh"), {"base_apt_install_recommends": True, "something_else": "x"})
    assert (errors, coerced) == ([], {})


def test_required_options_are_left_to_the_roles_preflight():
    errors, _ = check(specs("nginx", "certbot", "firewall"), {})
    assert errors == []


def test_messages_never_show_a_secret():
    assert SECRET.search("postgres_app_password") and SECRET.search("backup_s3_secret_key")
    assert _mask("value hunter2-hunter2 is bad", ["hunter2-hunter2"]) == "value ******** is bad"
