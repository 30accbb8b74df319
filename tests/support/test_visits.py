"""走访: validation, backdating audit, photos (EXIF stripped, non-images refused), coverage."""
import io
from datetime import date, timedelta

import pytest
from PIL import Image
from sqlalchemy import select, text

from extensions import db
from models import AuditLog, HouseholdTag
from models.clock import local_today
from models.support import Problem, SupportPhoto, Visit
from services.errors import ValidationFailed
from services.support import responsibility as support
from services.support import visits


@pytest.fixture(autouse=True)
def uploads(app, tmp_path):
    app.config["SUPPORT_UPLOAD_DIR"] = str(tmp_path / "uploads")
    return tmp_path / "uploads"


def jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (3000, 2000), "red")
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"          # Make
    exif[0x8825] = {2: (30.0, 1.0, 0.0)}  # GPS info
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def base(**overrides):
    values = dict(visit_date=local_today(), visitors="李书记、王主任", met=True, met_person="户主本人",
                  situation={"income": {"status": "ok", "note": "务工"}, "medical": "issue"},
                  confirm_name="张喆")
    values.update(overrides)
    return values


def test_visit_with_photo_strips_exif_and_resizes(app, make_household, make_user, uploads):
    admin = make_user("admin")
    home = make_household()
    visit = visits.record_visit(home, admin, photos=[jpeg_with_exif()], **base())
    photo = db.session.execute(select(SupportPhoto)).scalar_one()
    saved = Image.open(uploads / photo.filename)
    assert max(saved.size) == 1600 and not saved.getexif() and "exif" not in saved.info
    assert visits.situation_of(visit)["medical"] == {"status": "issue", "note": ""}


def test_non_image_refused_and_nothing_written(app, make_household, make_user):
    admin = make_user("admin")
    home = make_household()
    with pytest.raises(ValidationFailed, match="只能上传照片"):
        visits.record_visit(home, admin, photos=[b"%PDF-1.4 not an image"], **base())
    db.session.rollback()
    assert db.session.execute(select(Visit)).first() is None


def test_backdating_needs_reason_and_is_audited(app, make_household, make_user):
    admin = make_user("admin")
    home = make_household()
    old = local_today() - timedelta(days=8)
    with pytest.raises(ValidationFailed, match="补录原因"):
        visits.record_visit(home, admin, **base(visit_date=old))
    visit = visits.record_visit(home, admin, **base(visit_date=old, backdate_reason="上周手机没电,纸质记录补录"))
    entry = db.session.execute(select(AuditLog).where(AuditLog.action == "support.visit.backdated")).scalar_one()
    assert entry.object_id == str(visit.id) and "纸质记录补录" in entry.after
    visits.record_visit(home, admin, **base(visit_date=local_today() - timedelta(days=7)))  # 7 days: no reason
    with pytest.raises(ValidationFailed, match="不能晚于今天"):
        visits.record_visit(home, admin, **base(visit_date=local_today() + timedelta(days=1)))


def test_not_at_home_and_confirmation_rules(app, make_household, make_user):
    admin = make_user("admin")
    home = make_household()
    with pytest.raises(ValidationFailed, match="联系方式"):
        visits.record_visit(home, admin, **base(met=False, confirm_name=None))
    v = visits.record_visit(home, admin, **base(met=False, reached_by="wechat", confirm_name=None))
    assert v.reached_by == "wechat" and v.met_person is None
    with pytest.raises(ValidationFailed, match="户主确认"):
        visits.record_visit(home, admin, **base(confirm_name=""))
    signature = io.BytesIO()
    Image.new("RGBA", (300, 120), (0, 0, 0, 0)).save(signature, "PNG")
    v = visits.record_visit(home, admin, **base(confirm_name="", signature_png=signature.getvalue()))
    assert v.signature_file.endswith(".png")
    with pytest.raises(ValidationFailed, match="未知的情况类别"):
        visits.record_visit(home, admin, **base(situation={"weather": "ok"}))


def test_problem_created_inline_from_visit(app, make_household, make_user):
    admin = make_user("admin")
    home = make_household()
    visit = visits.record_visit(home, admin, problems=[{"category": "饮水", "description": "水压低"}], **base())
    problem = db.session.execute(select(Problem)).scalar_one()
    assert (problem.visit_id, problem.source, problem.household_id) == (visit.id, "visit", home.id)


def _tag(home, tag):
    db.session.add(HouseholdTag(household_id=home.id, tag=tag))


def test_coverage_equals_independent_sql(app, make_site, make_household, make_user):
    admin = make_user("admin")
    sites = [make_site(), make_site()]
    today = local_today()
    first = today.replace(day=1)
    homes = []
    for n in range(12):
        home = make_household(site=sites[n % 2], head_name=f"户{n}")
        if n % 3:
            _tag(home, ["low_income", "no_labour", "monitored"][n % 3])
        homes.append(home)
    cadre = support.create_cadre(admin, "包保甲", "13800000000")
    for home in homes[:6]:
        support.assign(home, cadre, admin)
    for n, home in enumerate(homes):
        if n % 4 == 0:
            continue
        visits.record_visit(home, admin, **base(visit_date=first if n % 2 else today, backdate_reason="补录"))
        if n == 5:  # a second visit the same month must not count the household twice
            visits.record_visit(home, admin, **base(visit_date=today))
    last_month = first - timedelta(days=1)
    visits.record_visit(homes[4], admin, **base(visit_date=last_month, backdate_reason="补录"))
    db.session.commit()
    result = visits.coverage(today.year, today.month)
    month_end = support.month_range(today.year, today.month)[1]
    sql = text("""
        SELECT h.site_id, COUNT(*) AS due,
               SUM(CASE WHEN EXISTS (SELECT 1 FROM support_visit v WHERE v.household_id = h.id
                                     AND v.visit_date BETWEEN :a AND :b) THEN 1 ELSE 0 END) AS seen
        FROM household h
        WHERE h.status = 'active' AND EXISTS (SELECT 1 FROM household_tag t WHERE t.household_id = h.id
              AND t.tag IN ('low_income','hardship','elderly_disabled','no_house','no_land','no_labour','monitored'))
        GROUP BY h.site_id""")
    expected = {sid: (due, seen) for sid, due, seen in db.session.execute(sql, {"a": first, "b": month_end})}
    got = {row.key: (row.households, row.visited) for row in result.by_site}
    assert got == expected
    assert result.total.households == sum(d for d, _ in expected.values())
    assert result.total.visited == sum(s for _, s in expected.values())
    overdue_ids = {o["household_id"] for o in result.overdue}
    assert len(overdue_ids) == result.total.households - result.total.visited
    late = next(o for o in result.overdue if o["household_id"] == homes[4].id)
    assert late["last_visit"] == last_month and late["cadres"] == [("包保甲", "13800000000")]
    cadre_row = result.by_cadre[0]
    assert cadre_row.households == sum(1 for n in range(6) if n % 3)


def test_weekly_rule_for_monitored(app, make_household, make_user):
    app.config["SUPPORT_WEEKLY_TAGS"] = ("monitored",)
    admin = make_user("admin")
    home = make_household()
    _tag(home, "monitored")
    past = date(local_today().year - 1, 3, 1)
    for day in (2, 9, 16):  # blocks 1-7, 8-14, 15-21 visited; 22-28 and 29-31 missed
        visits.record_visit(home, admin, **base(visit_date=past.replace(day=day), backdate_reason="补录"))
    result = visits.coverage(past.year, past.month)
    assert (result.total.visits_required, result.total.visits_done, result.total.visited) == (5, 3, 0)
    assert visits.month_blocks(date(2026, 2, 1), date(2026, 2, 28), date(2026, 2, 28))[-1] == (date(2026, 2, 22), date(2026, 2, 28))


from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SQL_SEEN = text("""
    SELECT h.site_id, COUNT(*),
           SUM(CASE WHEN EXISTS (SELECT 1 FROM support_visit v WHERE v.household_id = h.id
                                 AND v.visit_date BETWEEN :a AND :b) THEN 1 ELSE 0 END)
    FROM household h
    WHERE h.status = 'active' AND EXISTS (SELECT 1 FROM household_tag t WHERE t.household_id = h.id
          AND t.tag IN ('low_income','hardship','elderly_disabled','no_house','no_land','no_labour','monitored'))
    GROUP BY h.site_id""")


@given(homes=st.lists(st.tuples(st.sampled_from([None, "low_income", "monitored", "party_centre"]),
                                st.lists(st.integers(0, 45), max_size=3)), min_size=1, max_size=8))
def test_coverage_property(app, make_site, make_household, homes):
    """Random households and visits (days back from today): coverage = independent SQL."""
    site = make_site()
    today = local_today()
    for n, (tag, days_back) in enumerate(homes):
        home = make_household(site=site, head_name=f"随机{n}")
        if tag:
            _tag(home, tag)
        for back in days_back:
            visits.record_visit(home, None, **base(visit_date=today - timedelta(days=back), backdate_reason="补录"))
    db.session.commit()
    first, last = support.month_range(today.year, today.month)
    result = visits.coverage(today.year, today.month)
    expected = {sid: (due, seen) for sid, due, seen in db.session.execute(SQL_SEEN, {"a": first, "b": last})}
    got = {row.key: (row.households, row.visited) for row in result.by_site if row.households}
    assert got == expected
    assert result.total.households - result.total.visited == len(result.overdue)
