"""The shape of the codebase (docs/architecture.md): one domain, one folder; small files; the code
cites only documents that are in the repository."""
import os
import re
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAX_LINES = 400
#: the domains as a cadre names them; services/, admin/ and tests/ use the same folder names
DOMAINS = {"ledger", "households", "earning", "supermarket", "honors", "support", "integrity", "reports", "staff"}
#: packages that are plumbing, not a domain: they have no staff pages
SERVICE_ONLY = {"database", "demo"}
#: test folders for cross-cutting suites (bad input, load and faults) that belong to no one domain
TEST_ONLY = {"database", "reliability"}


def tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [path for path in out.splitlines() if os.path.exists(os.path.join(ROOT, path))]


def packages(folder: str) -> set[str]:
    base = os.path.join(ROOT, folder)
    return {name for name in os.listdir(base)
            if os.path.isfile(os.path.join(base, name, "__init__.py"))}


def test_services_admin_and_tests_use_the_same_domain_folders():
    assert packages("services") == DOMAINS | SERVICE_ONLY
    assert packages("admin") == DOMAINS
    assert packages("tests") == DOMAINS | TEST_ONLY


def test_no_flat_service_modules_but_the_shared_ones():
    flat = {name for name in os.listdir(os.path.join(ROOT, "services")) if name.endswith(".py")}
    assert flat == {"__init__.py", "errors.py", "fields.py", "pdf_fonts.py", "speech.py", "workbook.py"}


@pytest.mark.parametrize("suffix", [".py", ".js", ".html", ".css"])
def test_no_source_file_over_400_lines(suffix):
    long_files = []
    for path in tracked_files():
        if not path.endswith(suffix) or path.startswith("static/vendor/"):
            continue
        with open(os.path.join(ROOT, path), encoding="utf-8") as handle:
            count = sum(1 for _ in handle)
        if count > MAX_LINES:
            long_files.append(f"{path}: {count}")
    assert not long_files, "split these by topic:\n" + "\n".join(long_files)


OUTSIDE_DOCUMENTS = re.compile(r"DECISIONS|STYLE #|STYLE\.md|DOMAIN\.md|\bissue [0-9]|\bissues? #[0-9]")


def test_code_cites_only_documents_in_the_repository():
    cited = []
    for path in tracked_files():
        if not path.endswith((".py", ".html", ".js", ".css", ".ini", ".toml", ".sh", ".lua")) and not path.startswith(".ci/"):
            continue
        if path == "tests/test_codebase.py" or path.startswith("static/vendor/"):
            continue
        with open(os.path.join(ROOT, path), encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if OUTSIDE_DOCUMENTS.search(line):
                    cited.append(f"{path}:{number}: {line.strip()[:100]}")
    assert not cited, "link into docs/ instead:\n" + "\n".join(cited)


def test_docs_links_from_code_resolve():
    """Every docs/<file>.md#anchor named in the code exists, with a heading for the anchor."""
    link = re.compile(r"docs/([\w-]+\.md)(?:#([\w-]+))?")
    broken = []
    for path in tracked_files():
        if not path.endswith((".py", ".html", ".js")) or path.startswith("static/vendor/"):
            continue
        with open(os.path.join(ROOT, path), encoding="utf-8") as handle:
            text = handle.read()
        for name, anchor in set(link.findall(text)):
            doc = os.path.join(ROOT, "docs", name)
            if not os.path.exists(doc):
                broken.append(f"{path}: docs/{name}")
                continue
            if anchor:
                with open(doc, encoding="utf-8") as handle:
                    headings = {_anchor(line) for line in handle if line.startswith("#")}
                if anchor not in headings:
                    broken.append(f"{path}: docs/{name}#{anchor}")
    assert not broken, "\n".join(sorted(broken))


def _anchor(heading: str) -> str:
    """The anchor GitHub gives a markdown heading: lower case, spaces to '-', punctuation dropped."""
    text = heading.lstrip("#").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def test_templates_have_no_inline_event_handlers():
    """The CSP allows scripts from our own files only, so an onclick= in a template never runs:
    confirmations and "select all" go through data-confirm / data-check-all (static/js/admin.js)."""
    inline = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
    found = []
    for path in tracked_files():
        if path.endswith(".html"):
            with open(os.path.join(ROOT, path), encoding="utf-8") as handle:
                found += [f"{path}:{n}" for n, line in enumerate(handle, 1) if inline.search(line)]
    assert not found, "\n".join(found)
