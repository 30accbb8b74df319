"""QR cards: the printed QR decodes and resolves to the right household; the font has every glyph."""
import shutil
import subprocess

import pytest

from extensions import db
from models import AuditLog, Card
from services import database, pdf_fonts
from services.households import card_actions
from services.households.card_pdf import card_url, render_sheet, render_single
from services.households.cards import CardUnusable, card_statement

RARE = "䶮㛃𠮷𬌗"

needs_tools = pytest.mark.skipif(not (shutil.which("pdftoppm") and shutil.which("zbarimg")),
                                 reason="poppler-utils and zbar-tools are needed")


def decode_qr(pdf: bytes, tmp_path) -> list[str]:
    """Rasterise every page (pdftoppm) and read all QR codes on it (zbarimg), at 200 and 300 dpi:
    zbarimg scanning a whole sheet now and then skips one of its codes at one resolution (seen once
    in CI), which a scanner reading one card never does."""
    (tmp_path / "cards.pdf").write_bytes(pdf)
    found = set()
    for dpi in (200, 300):
        subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(tmp_path / "cards.pdf"), str(tmp_path / f"page{dpi}")],
                       check=True)
        for png in sorted(tmp_path.glob(f"page{dpi}*.png")):
            out = subprocess.run(["zbarimg", "-q", "--raw", str(png)], capture_output=True, text=True)
            found.update(line for line in out.stdout.splitlines() if line)
    return sorted(found)


def pdf_text(pdf: bytes, tmp_path) -> str:
    (tmp_path / "t.pdf").write_bytes(pdf)
    return subprocess.run(["pdftotext", str(tmp_path / "t.pdf"), "-"], capture_output=True, text=True, check=True).stdout


@needs_tools
def test_sheet_qr_codes_resolve_to_their_households(app, make_site, make_household, make_user, tmp_path):
    site = make_site("幸福家园安置点")
    homes = [make_household(site, head_name=name, door_no=f"{n}01") for n, name in
             enumerate(["张䶮", "李㛃美", "王𠮷祥", "欧阳𬌗", "赵建国", "钱秀英", "孙喆", "周堃", "吴赟", "郑彧", "冯昇", "陈海"], 1)]
    cadre = make_user("cadre", sites=[site])
    printed = card_actions.issue_for_print(cadre, [h.id for h in homes])
    pdf = render_sheet(printed)
    db.session.commit()

    urls = decode_qr(pdf, tmp_path)
    assert sorted(urls) == sorted(card_url(p.token) for p in printed)  # 12 cards over 2 A4 sheets
    base = app.config["PUBLIC_BASE_URL"].rstrip("/")
    for url in urls:
        assert url.startswith(f"{base}/c/") and "/households/" not in url
        card = database.run(card_statement(url))
        assert card.household_id == next(p.household.id for p in printed if card_url(p.token) == url)
    text = pdf_text(pdf, tmp_path)
    for p in printed:
        assert p.household.head_name in text and p.card.short_code in text


@needs_tools
def test_single_card_is_cr80_and_decodes(app, make_household, make_user, tmp_path):
    home = make_household(head_name="王𠮷祥")
    printed = card_actions.issue_for_print(make_user("admin"), [home.id])
    pdf = render_single(printed)
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True).stdout.decode()
    width, height = [float(v) for v in info.split("Page size:")[1].split("pts")[0].split("x")]
    assert (round(width / 72 * 25.4, 1), round(height / 72 * 25.4, 1)) == (85.6, 54.0)
    [url] = decode_qr(pdf, tmp_path)
    assert database.run(card_statement(url)).household_id == home.id


def test_pdf_embeds_the_cjk_font(app, make_household, make_user):
    home = make_household(head_name="李㛃美")
    pdf = render_single(card_actions.issue_for_print(make_user("admin"), [home.id]))
    assert b"/FontFile" in pdf and b"NotoSansCJK" in pdf


def test_font_covers_every_demo_name_character(app):
    from services.demo.county import COUNTY, GIVEN, RELATIONS, SURNAMES

    county, townships = COUNTY
    texts = [SURNAMES, *GIVEN, *RELATIONS, county, RARE, "家庭积分卡户主门牌卡号人工查询第张遗失请到村社区挂失栋单元"]
    for township, villages in townships.items():
        texts.append(township)
        for village, sites in villages.items():
            texts += [village] + [name + code for name, code in sites]
    assert pdf_fonts.missing_chars("".join(texts)) == set()


def test_wenquanyi_would_have_printed_tofu(app):
    """Why Noto is first: WenQuanYi Micro Hei lacks the rare name characters (docs/decisions.md#fonts)."""
    wqy = pdf_fonts.FontFace("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0)
    if not shutil.os.path.exists(wqy.path):
        pytest.skip("WenQuanYi not installed")
    assert pdf_fonts.missing_chars(RARE, wqy) == set(RARE)
    assert pdf_fonts.find_font().path.endswith("NotoSansCJK-Regular.ttc")


def test_print_reissues_and_old_card_stops_once_the_handover_is_confirmed(app, client, login, make_site,
                                                                          make_household, make_user):
    site = make_site()
    home = make_household(site)
    first = card_actions.issue_for_print(make_user("admin"), [home.id])[0]
    cadre = make_user("cadre", sites=[site])
    login(cadre)
    resp = client.post("/admin/cards/print", data={"household_ids": [str(home.id)], "layout": "single"})
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    cards = db.session.execute(db.select(Card).where(Card.household_id == home.id).order_by(Card.generation)).scalars().all()
    assert [(c.generation, c.status) for c in cards] == [(1, "active"), (2, "active")]
    assert database.run(card_statement(first.token)).id == first.card.id  # the old card still works
    listing = client.get("/admin/households").get_data(as_text=True)
    assert "1 户的新卡已生成,旧卡仍可使用" in listing
    assert client.post("/admin/cards/handover", data={"household_ids": [str(home.id)]}).status_code == 302
    db.session.expire_all()
    cards = db.session.execute(db.select(Card).where(Card.household_id == home.id).order_by(Card.generation)).scalars().all()
    assert [(c.generation, c.status) for c in cards] == [(1, "revoked"), (2, "active")]
    with pytest.raises(CardUnusable):
        database.run(card_statement(first.token))
    assert "新卡已生成" not in client.get("/admin/households").get_data(as_text=True)
    assert db.session.execute(db.select(AuditLog).where(AuditLog.action == "card.issue",
                                                        AuditLog.actor_id == cadre.id)).scalar_one()
    html = client.get(f"/admin/households/{home.id}").get_data(as_text=True)
    assert "历次发卡(2 张)" in html and cards[0].short_code in html and cards[1].short_code in html


def test_print_refuses_households_outside_scope(app, client, login, make_site, make_household, make_user):
    mine, other = make_site(), make_site()
    home, foreign = make_household(mine), make_household(other)
    login(make_user("cadre", sites=[mine]))
    resp = client.post("/admin/cards/print", data={"household_ids": [str(home.id), str(foreign.id)]})
    assert resp.status_code == 403
    assert db.session.execute(db.select(Card)).first() is None  # all or nothing


@pytest.mark.parametrize("action, status", [("lost", "lost"), ("revoke", "revoked")])
def test_lost_and_revoke(app, client, login, make_site, make_household, make_user, action, status):
    site = make_site()
    home = make_household(site)
    printed = card_actions.issue_for_print(make_user("admin"), [home.id])[0]
    card_id = printed.card.id
    login(make_user("cadre", sites=[site]))
    resp = client.post(f"/admin/cards/{card_id}/{action}")
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Card, card_id).status == status
    with pytest.raises(CardUnusable):
        database.run(card_statement(printed.token))
    assert client.post(f"/admin/cards/{card_id}/{action}").status_code == 400  # already stopped


def test_shopkeeper_may_report_lost_but_not_revoke_or_print(app, client, login, make_site, make_household, make_user):
    site = make_site()
    home = make_household(site)
    card_id = card_actions.issue_for_print(make_user("admin"), [home.id])[0].card.id
    login(make_user("shopkeeper", sites=[site]))
    assert client.post(f"/admin/cards/{card_id}/revoke").status_code == 403
    assert client.post("/admin/cards/print", data={"household_ids": [str(home.id)]}).status_code == 403
    assert client.post(f"/admin/cards/{card_id}/lost").status_code == 302


def test_short_code_lookup(app, client, login, make_site, make_household, make_user):
    site, other = make_site(), make_site()
    home, foreign = make_household(site), make_household(other)
    admin = make_user("admin")
    code = card_actions.issue_for_print(admin, [home.id])[0].card.short_code
    foreign_code = card_actions.issue_for_print(admin, [foreign.id])[0].card.short_code
    login(make_user("shopkeeper", sites=[site]))
    resp = client.get("/admin/cards/lookup", query_string={"code": code.lower()})
    assert resp.status_code == 302 and resp.location.endswith(f"/admin/households/{home.id}")
    assert client.get("/admin/cards/lookup", query_string={"code": foreign_code}).status_code == 403
    assert client.get("/admin/cards/lookup", query_string={"code": "ZZZZ-9999"}).status_code == 404


def test_new_pdf_helper_for_other_documents(app):
    pdf = pdf_fonts.new_pdf(size=14)
    pdf.add_page()
    pdf.cell(text="光荣榜 𠮷祥")
    data = bytes(pdf.output())
    assert data.startswith(b"%PDF") and b"NotoSansCJK" in data


def test_forged_or_altered_tokens_fail(app, make_household, make_user):
    home = make_household()
    token = card_actions.issue_for_print(make_user("admin"), [home.id])[0].token
    assert database.run(card_statement(token)).household_id == home.id
    altered = token[:-1] + ("A" if token[-1] != "A" else "B")
    for bad in (altered, "A" * 26, f"http://x/c/{altered}", "../households/1", ""):
        with pytest.raises(CardUnusable):
            database.run(card_statement(bad))


def test_cards_print_with_the_common_character_font_unless_a_name_needs_more(app, make_household, make_user,
                                                                               cjk_fonts_added, tmp_path):
    fonts_added = cjk_fonts_added
    admin = make_user("admin")
    common = render_single(card_actions.issue_for_print(admin, [make_household(head_name="赵建国").id]))
    assert fonts_added == [True] and "赵建国" in pdf_text(common, tmp_path)
    fonts_added.clear()
    rare = render_single(card_actions.issue_for_print(admin, [make_household(head_name="王𠮷祥").id]))
    assert fonts_added == [True, False] and "王𠮷祥" in pdf_text(rare, tmp_path)


def test_common_character_font_holds_gb2312_and_punctuation_but_not_rare_characters(app):
    from fontTools.ttLib import TTFont

    face = pdf_fonts.common_face(pdf_fonts.find_font())
    assert face is not None and face.bold_path is not None
    for path in (face.path, face.bold_path):
        covered = set(TTFont(path, lazy=True).getBestCmap())
        assert {ord(ch) for ch in "家庭积分卡户主门牌·—…()():,。0-9AZ①"} <= covered
        assert sum(0x4E00 <= point <= 0x9FFF for point in covered) == 6763  # GB 2312's hanzi
        assert not {ord(ch) for ch in RARE} & covered


def test_common_character_font_is_made_once_into_the_cache(app, tmp_path, monkeypatch):
    monkeypatch.setattr(pdf_fonts, "common_codepoints", lambda: frozenset(map(ord, "家庭积分卡 0123")))
    app.config["PDF_FONT_CACHE"] = str(tmp_path / "fonts")
    face = pdf_fonts.common_face(pdf_fonts.find_font())
    made = sorted((tmp_path / "fonts").iterdir())
    assert [p.suffix for p in made] == [".otf", ".otf"] and {face.path, face.bold_path} == {str(p) for p in made}
    stamps = [p.stat().st_mtime_ns for p in made]
    assert pdf_fonts.common_face(pdf_fonts.find_font()) == face
    assert [p.stat().st_mtime_ns for p in made] == stamps and len(list((tmp_path / "fonts").iterdir())) == 2


def test_an_unusable_font_cache_falls_back_to_the_full_font(app, make_household, make_user, tmp_path, caplog,
                                                           cjk_fonts_added):
    (tmp_path / "not-a-directory").write_text("")
    app.config["PDF_FONT_CACHE"] = str(tmp_path / "not-a-directory")
    assert pdf_fonts.common_face(pdf_fonts.find_font()) is None
    assert "using the full font" in caplog.text
    caplog.clear()
    assert pdf_fonts.common_face(pdf_fonts.find_font()) is None and caplog.text == ""  # not tried again
    pdf = render_single(card_actions.issue_for_print(make_user("admin"), [make_household(head_name="钱秀英").id]))
    assert "钱秀英" in pdf_text(pdf, tmp_path)
    assert cjk_fonts_added == [False]  # once, with the full font


def test_pdf_fonts_command_makes_the_common_character_font(app, tmp_path, monkeypatch):
    monkeypatch.setattr(pdf_fonts, "common_codepoints", lambda: frozenset(map(ord, "家庭积分卡")))
    app.config["PDF_FONT_CACHE"] = str(tmp_path / "fonts")
    result = app.test_cli_runner().invoke(args=["pdf-fonts"])
    assert result.exit_code == 0 and "常用字子集已就绪" in result.output
    assert len(list((tmp_path / "fonts").glob("common-*.otf"))) == 2
    app.config["PDF_FONT_CACHE"] = str(tmp_path / "fonts" / next((tmp_path / "fonts").iterdir()).name)  # a file
    result = app.test_cli_runner().invoke(args=["pdf-fonts"])
    assert result.exit_code == 1 and "仍用完整字体" in result.output


def test_a_pdf_that_fails_leaves_the_old_card_working(app, client, login, make_site, make_household, make_user,
                                                     monkeypatch):
    import admin.households.cards

    site = make_site()
    home = make_household(site)
    first = card_actions.issue_for_print(make_user("admin"), [home.id])[0]
    card_actions.confirm_handover(make_user("admin"), [home.id])
    login(make_user("cadre", sites=[site]))

    def broken(faces):
        raise OSError("printer tab closed")

    monkeypatch.setattr(admin.households.cards, "render_single", broken)
    with pytest.raises(OSError):
        client.post("/admin/cards/print", data={"household_ids": [str(home.id)], "layout": "single"})
    db.session.rollback()
    assert database.run(card_statement(first.token)).id == first.card.id
