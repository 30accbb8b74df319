"""The admin for older cadres, measured in real Chromium at 1366x768 on the demo world: every admin
page that takes no URL argument (found in the url map, so new pages are covered), plus 一户一档,
has no critical or serious axe-core violation (axe vendored, injected by the test only; WCAG 2.2
target-size on) and none of the landmark / table-header / heading-order rules, every visible checkbox, radio and table link is a target of >= 24x24 CSS px, and
every visible text is >= 14px. Screenshots: artifacts/screenshots/admin-a11y/<endpoint>.png."""
import os
import shutil
import threading

import pytest
from sqlalchemy import select

from extensions import db

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1366, "height": 768}
#: GET pages without a URL argument that are no page: files, the login form (seen logged out) …
NOT_PAGES = {"admin.logout", "admin.login", "admin.health"}

#: what a cadre meets besides axe: small targets and small text
MEASURE_JS = """() => {
  const visible = (el) => {
    const r = el.getBoundingClientRect(), s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none' && !el.closest('[hidden]');
  };
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className ? '.' + String(el.className).split(' ')[0] : '')
    + ' "' + (el.textContent || el.getAttribute('aria-label') || '').trim().slice(0, 16) + '"';
  const problems = [];
  // a checkbox or radio counts with its label when the label wraps it (the label is the target)
  for (const box of document.querySelectorAll('input[type=checkbox], input[type=radio]')) {
    if (!visible(box)) continue;
    const target = box.closest('label') || box;
    const r = target.getBoundingClientRect(), own = box.getBoundingClientRect();
    if (Math.min(r.width, r.height) < 24 || Math.min(own.width, own.height) < 20) {
      problems.push(`small checkbox ${name(target)} ${own.width.toFixed(0)}x${own.height.toFixed(0)} in ${r.width.toFixed(0)}x${r.height.toFixed(0)}`);
    }
  }
  for (const link of document.querySelectorAll('table a[href], table button')) {
    if (!visible(link)) continue;
    const r = link.getBoundingClientRect();
    if (r.width < 24 || r.height < 24) { problems.push(`small target ${name(link)} ${r.width.toFixed(0)}x${r.height.toFixed(0)}`); }
  }
  for (const el of document.querySelectorAll('body *')) {
    if (!visible(el) || el.closest('svg, canvas')) continue;
    if (![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < 14) { problems.push(`small text ${name(el)} ${size}px`); }
  }
  return [...new Set(problems)].slice(0, 12);
}"""

#: moderate/minor rules held too: landmarks named apart, no empty table header, headings in order
HELD_RULES = ["landmark-unique", "landmark-one-main", "region", "empty-table-header", "heading-order"]

AXE_JS = """async (held) => {
  const r = await axe.run(document, {rules: {'target-size': {enabled: true}}, resultTypes: ['violations']});
  return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical' || held.includes(v.id))
    .map((v) => `${v.impact} ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 4).join(' | ')}`);
}"""


@pytest.fixture
def demo_server(demo_template, tmp_path):
    """The demo world served to Chromium (a copy of it, as the other browser tests' live_server)."""
    from werkzeug.serving import make_server

    from app import create_app
    from tests.conftest import test_settings

    path = tmp_path / "demo.db"
    shutil.copyfile(demo_template, path)
    app = create_app(test_settings(f"sqlite:///{path}"))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


def admin_pages(app) -> list[tuple[str, str]]:
    """(endpoint, path) of every admin GET page without a URL argument, and 一户一档 of one household."""
    from models import Household

    pages = sorted((rule.endpoint, rule.rule) for rule in app.url_map.iter_rules()
                   if rule.rule.startswith("/admin") and "GET" in rule.methods and not rule.arguments
                   and rule.endpoint not in NOT_PAGES and not rule.rule.endswith((".xlsx", ".pdf", ".csv", ".png")))
    with app.app_context():
        home = db.session.execute(select(Household.id).order_by(Household.id).limit(1)).scalar_one()
    return pages + [("admin.household_detail", f"/admin/households/{home}")]


def test_every_admin_page_passes_axe_and_sizes(browser, demo_server, screenshot_dir):
    app, base = demo_server
    shots = os.path.join(screenshot_dir, "admin-a11y")
    os.makedirs(shots, exist_ok=True)
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = context.new_page()
    page.goto(base + "/admin/login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "admin12345")
    page.click("button[type=submit]")
    page.wait_for_url(base + "/admin/")
    report, checked = [], 0
    for endpoint, path in admin_pages(app):
        probe = page.request.get(base + path, max_redirects=0)
        if "text/html" not in probe.headers.get("content-type", ""):
            continue  # a download (an export answered as a file)
        response = page.goto(base + path)
        assert response.status < 500, f"{path}: {response.status}"
        page.wait_for_load_state("load")
        page.add_script_tag(url="/static/vendor/axe/axe.min.js")
        page.screenshot(path=os.path.join(shots, endpoint.replace("admin.", "") + ".png"))
        checked += 1
        report += [f"{path}: {line}" for line in page.evaluate(AXE_JS, HELD_RULES)]
        report += [f"{path}: {line}" for line in page.evaluate(MEASURE_JS)]
    context.close()
    assert checked >= 25
    assert not report, f"{len(report)} problems:\n" + "\n".join(report)
