"""Preflight patterns end with \\Z, never $: Python's $ also matches before a trailing newline, which would let
"value\\n" through into a config file."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted([*ROOT.glob("roles/*/tasks/*.yml"), *ROOT.glob("roles/*/vars/*.yml"), *ROOT.glob("playbooks/*.yml")])
DOLLAR_END = re.compile(r"""(?:\bmatch\(|'match',\s*)'[^']*\$'""")
# A pattern kept in a variable (__role_thing_re: '...') and used by match elsewhere.
DOLLAR_END_VAR = re.compile(r"""^__\w+_re:\s*'[^']*\$'\s*$""")


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_match_pattern_ends_with_a_dollar(path):
    hits = [
        f"{n}: {line.strip()}"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if DOLLAR_END.search(line) or DOLLAR_END_VAR.search(line)
    ]
    assert not hits, "end the pattern with \\Z:\n" + "\n".join(hits)


def test_the_rule_catches_a_dollar_and_lets_z_through():
    assert DOLLAR_END.search("x is match('^[a-z]+$')")
    assert DOLLAR_END.search("reject('match', '^[0-9]+$')")
    assert not DOLLAR_END.search("x is match('^[a-z]+\\Z')")
    assert DOLLAR_END_VAR.search("__x_name_re: '^[a-z]+$'")
    assert not DOLLAR_END_VAR.search("__x_name_re: '^[a-z]+\\Z'")
