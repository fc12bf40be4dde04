# SPDX-License-Identifier: BSD-2-Clause
"""The in-kernel selftests pass, one pytest case per selftest case.

The cases are found without booting: each is an ELF symbol
`selftest_case_<name>` in build/unisr.debug (listed with nm; unisr.elf
is the same image stripped).  Collection fails visibly when there are none.  Proves: `selftest <name>` prints
`selftest: PASS <name>` and `selftest: 1 passed, 0 failed` for every case;
plain `selftest` runs all N of them and prints `selftest: N passed, 0
failed`; an unknown name is reported and runs nothing.
"""

import re

import pytest

import unisr_console as uc

CASES = uc.selftest_cases()
if not CASES:
    pytest.fail("no selftest_case_* symbols in %s (not built, or no "
                "selftests linked in)" % uc.KERNEL, pytrace=False)

RESULT_RE = re.compile(r"^selftest: (PASS|FAIL) (\S+)(?: \((.*)\))?$")
SUMMARY_RE = re.compile(r"^selftest: (\d+) passed, (\d+) failed$")


def results(out):
    """([(verdict, name, reason)], (passed, failed)) from selftest output."""
    res = []
    summary = []
    for line in out:
        m = RESULT_RE.match(line)
        if m:
            res.append(m.groups())
        m = SUMMARY_RE.match(line)
        if m:
            summary.append((int(m.group(1)), int(m.group(2))))
    assert len(summary) == 1, "want one summary line: %s" % out
    return res, summary[0]


def timeout_for(ncases):
    return uc.CMD_TIMEOUT * max(1, ncases)


@pytest.mark.parametrize("name", CASES)
def test_case(console, name):
    out = console.run("selftest " + name, timeout=timeout_for(1))
    res, summary = results(out)
    fails = [r for r in res if r[0] == "FAIL"]
    assert not fails, "selftest failed: %s" % fails
    assert res == [("PASS", name, None)], out
    assert summary == (1, 0)


def test_all(console):
    out = console.run("selftest", timeout=timeout_for(len(CASES)))
    res, summary = results(out)
    fails = [r for r in res if r[0] == "FAIL"]
    assert not fails, "selftests failed: %s" % fails
    assert sorted(r[1] for r in res) == CASES
    assert summary == (len(CASES), 0)


def test_unknown_name(console):
    out = console.run("selftest no_such_case")
    assert out == ["selftest: no case named 'no_such_case'",
                   "selftest: 0 passed, 0 failed"]
