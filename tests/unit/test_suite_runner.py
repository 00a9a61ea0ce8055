import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("suite", ROOT / "tests" / "testbed" / "suite.py")
suite = importlib.util.module_from_spec(spec)
sys.modules["suite"] = suite
spec.loader.exec_module(suite)


def test_summary_ends_with_the_line_ci_reads():
    phases = [
        suite.Phase("lint", True, 1.0),
        suite.Phase("molecule base", False, 90.5),
        suite.Phase("molecule ssh", False, 0, skipped=True),
    ]
    text = suite.summary(phases)
    assert text.splitlines()[-1] == "1 passed, 2 failed"
    assert "FAIL" in text and "skip" in text


def test_summary_all_passed():
    assert suite.summary([suite.Phase("unit", True, 2.0)]).splitlines()[-1] == "1 passed, 0 failed"


def test_scenarios_are_found_and_shared_plumbing_is_not(tmp_path):
    for name in ("zeta", "base"):
        (tmp_path / "molecule" / name).mkdir(parents=True)
        (tmp_path / "molecule" / name / "molecule.yml").write_text("---\n")
    (tmp_path / "molecule" / "shared").mkdir()
    assert suite.scenarios(tmp_path) == ["base", "zeta"]


def test_the_repository_has_a_base_scenario():
    assert "base" in suite.scenarios()
