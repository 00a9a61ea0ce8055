import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("suite", ROOT / "tests" / "testbed" / "suite.py")
suite = importlib.util.module_from_spec(spec)
sys.modules["suite"] = suite
spec.loader.exec_module(suite)

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="4">
<testcase classname="molecule.base.tests.test_base" name="test_sudo[docker://h1]"/>
<testcase classname="test_base" name="test_journal[docker://h1]"><failure message="boom"/></testcase>
<testcase classname="test_base" name="test_collect"><error message="fixture"/></testcase>
<testcase classname="test_base" name="test_later"><skipped message="no"/></testcase>
</testsuite></testsuites>
"""


def test_closing_line_counts_cases_not_phases():
    phases = [
        suite.Phase("lint", True, 1.0, cases=[suite.Case("lint: yamllint", True), suite.Case("lint: ruff", True)]),
        suite.Phase(
            "molecule base",
            False,
            90.5,
            cases=[suite.Case("molecule base: converge", True), suite.Case("molecule base: t::test_x", False)],
        ),
    ]
    text = suite.summary(phases)
    assert text.splitlines()[-1] == "3 passed, 1 failed"
    # the failing test is named above the closing line
    assert "  molecule base: t::test_x" in text.split("failed:")[1]


def test_a_phase_that_failed_without_cases_counts_as_one_failure():
    phases = [suite.Phase("unit", True, 2.0, cases=[suite.Case("u", True)]), suite.Phase("engine", False, 1)]
    text = suite.summary(phases)
    assert text.splitlines()[-1] == "1 passed, 1 failed"
    assert "skip" in suite.summary([suite.Phase("molecule x", False, 0, skipped=True)])


def test_junit_cases_count_failures_and_errors_and_skip_skipped(tmp_path):
    (tmp_path / "r.xml").write_text(JUNIT)
    cases = suite.junit_cases(tmp_path / "r.xml", "molecule base: ")
    assert [c.ok for c in cases] == [True, False, False]
    assert cases[0].name == "molecule base: test_base::test_sudo[docker://h1]"
    assert suite.junit_cases(tmp_path / "missing.xml", "") == []


def test_molecule_steps_are_timed_from_its_action_lines():
    lines = [
        (0.0, "INFO     [base > destroy] Executing"),
        (1.0, "INFO     [base > destroy] Executed: Successful"),
        (1.0, "base > destroy: Executed: Successful"),
        (1.0, "INFO     base ➜ create: Executing"),
        (11.0, "INFO     base ➜ create: Executed: Successful"),
        (11.0, "INFO     base ➜ converge: Executing"),
        (71.0, "INFO     base ➜ converge: Executed: Successful"),
        (71.0, "INFO     base ➜ idempotence: Executing"),
        (90.0, "CRITICAL Idempotence test failed"),
        (90.0, "INFO     [base > cleanup] Executing"),
        (91.0, "WARNING  [base > cleanup] Executed: Missing playbook (Remove from test_sequence to suppress)"),
        (91.0, "INFO     base ➜ destroy: Executing"),
        (93.0, "INFO     base ➜ destroy: Executed: Successful"),
    ]
    seconds, outcome = suite.molecule_steps(lines)
    assert seconds == {
        "destroy": 1.0,
        "create": 10.0,
        "converge": 60.0,
        "cleanup": 1.0,
        "teardown": 2.0,
        "idempotence": 22.0,
    }
    assert outcome["cleanup"] is True
    assert outcome["idempotence"] is False and outcome["converge"] is True
    cases = suite.scenario_cases("base", outcome, [], 1)
    assert [(c.name, c.ok) for c in cases] == [("molecule base: converge", True), ("molecule base: idempotence", False)]


def test_a_failed_setup_action_is_a_failed_case():
    cases = suite.scenario_cases("edge", {"create": True, "prepare": False}, [], 1)
    assert [(c.name, c.ok) for c in cases] == [("molecule edge: prepare", False)]


def test_longest_scenarios_start_first():
    times = {"molecule app": 500.0, "molecule base": 200.0}
    assert suite.longest_first(["base", "app", "new"], times) == ["app", "new", "base"]


def test_scenarios_are_found_and_shared_plumbing_is_not(tmp_path):
    for name in ("zeta", "base"):
        (tmp_path / "molecule" / name).mkdir(parents=True)
        (tmp_path / "molecule" / name / "molecule.yml").write_text("---\n")
    (tmp_path / "molecule" / "shared").mkdir()
    assert suite.scenarios(tmp_path) == ["base", "zeta"]


def test_the_repository_has_a_base_scenario():
    assert "base" in suite.scenarios()


def test_a_hung_job_is_killed_with_its_children(tmp_path, monkeypatch):
    monkeypatch.setattr(suite, "JOB_TIMEOUT", 0.5)
    rc, lines = suite.execute(
        "hung", ["sh", "-c", "echo hi; sleep 30 & sleep 30"], {"PATH": "/usr/bin:/bin"}, tmp_path / "l"
    )
    assert rc != 0 and [line for _, line in lines] == ["hi"]
    assert "killed after" in (tmp_path / "l").read_text()


SANITY_OUTPUT = """Running sanity test "compile" on Python 3.11
Running sanity test "pep8"
ERROR: Found 1 pep8 issue(s) which need to be resolved:
ERROR: plugins/modules/x.py:1:1: E501: line too long
Running sanity test "yamllint"
FATAL: The 1 sanity test(s) listed below (out of 3) failed. See error output above for details.
pep8
"""


def test_each_sanity_test_is_a_case_and_the_listed_ones_fail():
    cases = suite.sanity_cases(SANITY_OUTPUT.splitlines(), 1)
    assert [(c.name, c.ok) for c in cases] == [
        ("sanity: compile", True),
        ("sanity: pep8", False),
        ("sanity: yamllint", True),
    ]


def test_a_sanity_run_that_fails_before_any_test_is_one_failed_case():
    assert [(c.name, c.ok) for c in suite.sanity_cases(["ERROR: the build failed"], 1)] == [("sanity", False)]
    passed = [line for line in SANITY_OUTPUT.splitlines() if line.startswith("Running")]
    assert all(c.ok for c in suite.sanity_cases(passed, 0))
