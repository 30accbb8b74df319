"""Every staff page, opened as the admin in Chromium over the demo county: no console error, no
Content-Security-Policy violation, no inline event handler (the CSP would block it) and no
javascript: link. Parameterless GET routes are enumerated from app.url_map, so new pages are covered."""
import shutil

import pytest

from app import create_app
from tests.conftest import serving
from tests.conftest import test_settings as settings_for

pytestmark = pytest.mark.browser

#: routes that are not pages: downloads and actions reached by GET
NOT_PAGES = (".xlsx", ".pdf", ".png", ".zip", ".ogg", ".csv", "/logout")

CATCH_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__violations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sourceFile + ":" + e.lineNumber));
"""

INLINE_HANDLERS = """
() => {
  const found = [];
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      if (attr.name.startsWith("on") || /^\\s*javascript:/i.test(attr.value)) {
        found.push(el.tagName.toLowerCase() + "[" + attr.name + "=" + attr.value.slice(0, 40) + "]");
      }
    }
  }
  return found;
}
"""


@pytest.fixture
def demo_server(demo_template, tmp_path):
    path = tmp_path / "demo.db"
    shutil.copyfile(demo_template, path)
    app = create_app(settings_for(f"sqlite:///{path}"))
    with serving(app) as base:
        yield app, base


def _expected_failure(message, page_url: str) -> bool:
    """The browser logs a 4xx page itself as a failed resource: a page that needs query parameters
    answers 400 with its Chinese error page (still checked below); so does the favicon probe."""
    where = (message.location or {}).get("url", "")
    return message.text.startswith("Failed to load resource") and (where == page_url or "favicon.ico" in where)


def admin_pages(app) -> list[str]:
    return sorted({rule.rule for rule in app.url_map.iter_rules()
                   if rule.rule.startswith("/admin") and "GET" in rule.methods and not rule.arguments
                   and not rule.rule.endswith(NOT_PAGES)})


#: pages whose look changed with this suite: screenshotted for a human to look at
SCREENSHOTS = {"/admin/approvals": "approvals-thresholds.png"}


def test_every_admin_page_runs_clean_under_the_csp(browser, demo_server, screenshot_dir):
    app, base = demo_server
    pages = admin_pages(app)
    assert len(pages) > 30 and "/admin/approvals" in pages
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(CATCH_VIOLATIONS)
    page = context.new_page()
    problems, current = [], {"url": "/admin/login"}
    page.on("console", lambda msg: problems.append(f"{current['url']}: console {msg.type}: {msg.text}")
            if msg.type == "error" and not _expected_failure(msg, base + current["url"]) else None)
    page.on("pageerror", lambda exc: problems.append(f"{current['url']}: script error: {exc}"))
    page.goto(f"{base}/admin/login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "admin12345")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/admin/")
    visited = 0
    for path in pages:
        current["url"] = path
        answer = page.request.get(base + path)
        if "text/html" not in answer.headers.get("content-type", ""):
            continue  # a download or JSON answer: no page to run
        response = page.goto(base + path)
        page.wait_for_load_state("load")
        visited += 1
        if response.status >= 500 or response.status in (401, 403, 404):
            problems.append(f"{path}: HTTP {response.status}")
        problems += [f"{path}: CSP {v}" for v in page.evaluate("window.__violations || []")]
        problems += [f"{path}: inline {found}" for found in page.evaluate(INLINE_HANDLERS)]
        if path in SCREENSHOTS:
            page.screenshot(path=f"{screenshot_dir}/{SCREENSHOTS[path]}", full_page=True)
    context.close()
    assert visited > 30
    assert not problems, "\n".join(problems)
