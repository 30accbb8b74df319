"""The grouped menu: each role sees exactly the links its views let it open, and each one answers 200."""
import re

import pytest

from admin.nav import MENU
from tests.reliability.bad_input_helpers import logged_in

ROLE_LOGINS = {"admin": "admin12345", "cadre": "cadre12345", "committee": "committee12345",
               "shop": "shop12345", "auditor": "auditor12345"}
GROUPS = ("积分", "超市", "光荣榜", "后续扶持", "监督", "系统")


def _menu_links(html: str) -> list[str]:
    nav = html.split('<nav class="mainnav"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r'href="([^"]+)"', nav)


@pytest.mark.parametrize("username", sorted(ROLE_LOGINS))
def test_every_link_a_role_sees_opens_and_the_others_are_absent(demo_app, username):
    client = logged_in(demo_app, username, ROLE_LOGINS[username])
    links = _menu_links(client.get("/admin/").get_data(as_text=True))
    assert links, "the menu is empty"
    for href in links:
        assert client.get(href).status_code == 200, href
    from flask import url_for

    with demo_app.test_request_context():
        every = {url_for(endpoint) for _group, items in MENU for endpoint, _label in items}
    for href in every - set(links):
        assert client.get(href).status_code in (403, 302), f"{username} cannot see {href} but may open it"


def test_the_menu_is_grouped_by_job_and_a_shopkeeper_sees_no_cadre_pages(demo_app):
    html = logged_in(demo_app, "admin", "admin12345").get("/admin/").get_data(as_text=True)
    assert re.findall(r"<summary>(.+?)</summary>", html) == list(GROUPS)
    shop = logged_in(demo_app, "shop", "shop12345").get("/admin/").get_data(as_text=True)
    groups = re.findall(r"<summary>(.+?)</summary>", shop)
    assert "超市" in groups and "光荣榜" not in groups and "系统" not in groups
    assert "/admin/evaluations" not in _menu_links(shop)


def test_menu_links_follow_the_view_declaration(demo_app, monkeypatch):
    """The menu reads the roles from the view itself: change the view's declaration, the menu follows."""
    view = demo_app.view_functions["admin.honor_lists"]
    monkeypatch.setattr(view, "required_roles", ("cadre", "committee", "auditor", "shopkeeper"))
    shop = logged_in(demo_app, "shop", "shop12345").get("/admin/").get_data(as_text=True)
    assert "/admin/honors" in _menu_links(shop)
