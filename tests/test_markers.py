"""The `browser` marker: a test that uses a browser fixture without it fails the collection, and
`-m "not browser"` leaves every browser test of the suite out."""
import os
import re
import subprocess
import sys

import pytest

from tests.conftest import BROWSER_FIXTURES

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: a conftest with the suite's hook and stand-ins for the browser fixtures (no Chromium is started)
CONFTEST = """
import pytest
from tests.conftest import pytest_collection_modifyitems  # noqa: F401 - the hook under test

@pytest.fixture
def browser():
    return "chromium"

@pytest.fixture
def live_server():
    return "app", "http://127.0.0.1:1"

@pytest.fixture
def shop(live_server):
    return live_server
"""


@pytest.fixture
def suite(pytester):
    pytester.makeini("[pytest]\nmarkers =\n    browser: drives real Chromium\n")
    pytester.makeconftest(CONFTEST)
    return pytester


def test_a_browser_fixture_without_the_marker_fails_the_collection(suite):
    suite.makepyfile(test_screens="""
        import pytest

        @pytest.mark.browser
        def test_marked(browser):
            assert browser

        def test_unmarked_direct(browser):
            assert browser

        def test_unmarked_through_a_fixture(shop):
            assert shop
    """)
    result = suite.runpytest("-m", "not browser")  # the check runs before -m deselects anything
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*not marked @pytest.mark.browser*",
                                 "*test_screens.py::test_unmarked_direct",
                                 "*test_screens.py::test_unmarked_through_a_fixture"])
    assert "test_marked" not in result.stderr.str()


def test_not_browser_deselects_the_marked_tests(suite):
    suite.makepyfile(test_screens="""
        import pytest

        pytestmark = pytest.mark.browser

        def test_direct(browser):
            assert browser

        def test_through_a_fixture(shop):
            assert shop
    """, test_plain="""
        def test_plain():
            assert True
    """)
    suite.runpytest("-m", "not browser").assert_outcomes(passed=1, deselected=2)
    suite.runpytest("-m", "browser").assert_outcomes(passed=2, deselected=1)


def _browser_modules() -> list[str]:
    """The suite's test modules that ask for a browser fixture in some function's parameters."""
    asks = re.compile(r"def \w+\([^)]*\b(?:%s)\b" % "|".join(sorted(BROWSER_FIXTURES)))
    found = []
    for folder, _dirs, files in os.walk(os.path.join(ROOT, "tests")):
        for name in files:
            path = os.path.join(folder, name)
            if name.startswith("test_") and name.endswith(".py") and name != "test_markers.py":
                with open(path, encoding="utf-8") as handle:
                    if asks.search(handle.read()):
                        found.append(os.path.relpath(path, ROOT))
    return sorted(found)


def test_not_browser_collects_none_of_the_suites_browser_tests():
    modules = _browser_modules()
    assert len(modules) >= 8, modules
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--collect-only", "-q", "-o", "addopts="]
    kept = subprocess.run(command + ["-m", "not browser", *modules], cwd=ROOT, capture_output=True, text=True)
    assert kept.returncode == pytest.ExitCode.NO_TESTS_COLLECTED, kept.stdout + kept.stderr
    assert re.search(r"\d+ deselected", kept.stdout), kept.stdout
