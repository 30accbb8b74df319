"""CSRF (docs/reliability.md): an admin POST with another session's token, a forged, empty, huge or
hostile token is refused with a Chinese message and writes nothing."""
import re

from extensions import db
from tests.conftest import password_hash
from tests.reliability.bad_input_helpers import CJK, XSS, diff, row_counts


def test_foreign_and_stale_csrf_tokens_are_refused(sqlite_template, tmp_path):
    """A token from another session (or another app secret) does not work for an admin POST."""
    from tests.conftest import _sqlite_app

    app = _sqlite_app(sqlite_template, tmp_path, WTF_CSRF_ENABLED=True)
    with app.app_context():
        from models import StaffUser

        for name in ("csrf-a", "csrf-b"):
            user = StaffUser(username=name, display_name="x")
            user.roles = ["admin"]
            user.password_hash = password_hash("password123")
            db.session.add(user)
        db.session.commit()
        db.session.remove()
    # requests run outside any pushed app context: Flask-WTF caches the token in `g`

    def session_with_token(username):
        client = app.test_client()
        page = client.get("/admin/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        assert client.post("/admin/login", data={"username": username, "password": "password123",
                                                 "csrf_token": token}).status_code == 302
        page = client.get("/admin/kiosks").get_data(as_text=True)
        return client, re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)

    def counts():
        with app.app_context():
            return row_counts()

    alice, alice_token = session_with_token("csrf-a")
    bob, _bob_token = session_with_token("csrf-b")
    before = counts()
    forged = alice_token[:-4] + ("AAAA" if not alice_token.endswith("AAAA") else "BBBB")
    for token in (alice_token, forged, "", "x" * 5000, XSS, "\u202e𠮷"):
        resp = bob.post("/admin/kiosks/new", data={"name": "一号机", "csrf_token": token})
        assert resp.status_code == 400 and CJK.search(resp.get_data(as_text=True)), token[:20]
    assert diff(before, counts()) == {}
    # the owner's own token still works (the refusals were about the token, not the form)
    ok = alice.post("/admin/kiosks/new", data={"name": "一号机", "csrf_token": alice_token})
    assert ok.status_code != 400  # past the CSRF check (403 here: no site exists yet)
    with app.app_context():
        db.engine.dispose()
