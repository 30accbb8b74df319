"""创业就业台账: who is of working age, recording employment and subsidies, the classified statistics,
refusals that write nothing, and the pages (scope, roles, errors beside the field, the export)."""
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from extensions import db
from models import AuditLog, Member
from models.clock import local_today
from models.employment import Employment, EmploymentSubsidy
from services.errors import ValidationFailed
from services.support import jobs


def id_number(age: int) -> str:
    """An 18-character identity number of someone `age` years old today (birthday on 1 January)."""
    return f"520101{local_today().year - age}0101123X"


@pytest.fixture
def family(make_site, make_household, make_user):
    site, other = make_site(), make_site()
    home = make_household(site=site, head_name="王建国", head_id_number=id_number(45), building="3栋", door_no="201")
    home.members[0].id_number = id_number(45)
    for name, relation, age in (("王小梅", "子女", 20), ("王奶奶", "父母", 72), ("王宝宝", "子女", 6)):
        home.members.append(Member(name=name, relation=relation, id_number=id_number(age)))
    home.members.append(Member(name="王无证", relation="其他"))
    far = make_household(site=other, head_name="李外点")
    db.session.flush()
    admin = make_user("admin")
    by_name = {m.name: m for m in home.members}
    return dict(site=site, other=other, home=home, far=far, admin=admin, m=by_name)


def test_birth_date_and_age_from_the_identity_number():
    assert jobs.age_on(id_number(20), local_today()) == 20
    assert jobs.age_on(None, local_today()) is None
    assert jobs.age_on("52010119991331123X", local_today()) is None  # month 13
    assert jobs.age_on("1234", local_today()) is None


def test_working_age_members_are_listed_with_unknown_age_kept(any_app, family):
    names = [r.member.name for r in jobs.working_members([family["site"].id])]
    assert names == ["王建国", "王小梅", "王无证"]  # not the 72- or 6-year-old; no number is kept
    assert [r.age for r in jobs.working_members([family["site"].id])] == [45, 20, None]


def test_record_employment_and_subsidies_feed_the_statistics(any_app, family):
    admin, m = family["admin"], family["m"]
    jobs.save_employment(admin, m["王建国"], status="migrant", workplace="浙江宁波 电子厂", since=local_today(),
                         training_wanted="电工")
    jobs.save_employment(admin, m["王小梅"], status="unemployed", training_wanted="电商")
    jobs.add_subsidy(admin, m["王建国"], kind="startup", amount="5000", granted_on=local_today())
    jobs.add_subsidy(admin, m["王建国"], kind="rent", amount="1200.50", granted_on=local_today())
    db.session.commit()
    rows = jobs.working_members(None)
    counts, total = jobs.statistics(rows, [family["site"], family["other"]])
    mine, other = counts
    assert mine.by_status["migrant"] == 1 and mine.by_status["unemployed"] == 1
    assert mine.by_status[jobs.NOT_SURVEYED] == 1 and mine.total == 3 and mine.employed == 1
    assert mine.subsidy_fen == 620050
    assert other.total == 1 and other.by_status[jobs.NOT_SURVEYED] == 1
    assert total.total == 4 and total.subsidy_fen == 620050
    assert [r.member.name for r in jobs.working_members(None, "migrant")] == ["王建国"]
    assert [r.member.name for r in jobs.working_members([family["site"].id], jobs.NOT_SURVEYED)] == ["王无证"]
    # an update keeps one record per member and logs before/after
    jobs.save_employment(admin, m["王小梅"], status="public_post", workplace="社区保洁公益岗")
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Employment)) == 2
    log = db.session.execute(select(AuditLog).where(AuditLog.action == "employment.save")
                             .order_by(AuditLog.id.desc())).scalars().first()
    assert "待业" in log.before and "公益岗" in log.after


@pytest.mark.parametrize("kwargs, field", [
    (dict(status="retired"), "status"),
    (dict(status="migrant", workplace=""), "workplace"),
    (dict(status="flexible", workplace="x" * 101), "workplace"),
    (dict(status="unemployed", since="tomorrow"), "since"),
])
def test_bad_employment_input_is_refused_and_nothing_written(any_app, family, kwargs, field):
    from datetime import timedelta
    if kwargs.get("since") == "tomorrow":
        kwargs["since"] = local_today() + timedelta(days=1)
    with pytest.raises(ValidationFailed) as refused:
        jobs.save_employment(family["admin"], family["m"]["王建国"], **kwargs)
    assert refused.value.details["field"] == field
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Employment)) == 0


@pytest.mark.parametrize("amount", ["0", "-5", "12.345", "abc", ""])
def test_bad_subsidy_amount_is_refused(any_app, family, amount):
    with pytest.raises(ValidationFailed) as refused:
        jobs.add_subsidy(family["admin"], family["m"]["王建国"], kind="rent", amount=amount, granted_on=local_today())
    assert refused.value.details["field"] == "amount"
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(EmploymentSubsidy)) == 0


def test_a_member_who_left_cannot_be_recorded(any_app, family):
    gone = family["m"]["王小梅"]
    gone.is_current = False
    with pytest.raises(ValidationFailed):
        jobs.save_employment(family["admin"], gone, status="unemployed")


# ------------------------------------------------------------------ pages
@pytest.fixture
def cadre(make_user, family):
    return make_user("cadre", sites=[family["site"]])


def test_the_ledger_page_shows_statistics_and_only_sites_in_scope(client, login, family, cadre):
    jobs.save_employment(family["admin"], family["m"]["王建国"], status="business", workplace="安置点 小超市")
    login(cadre)
    html = client.get("/admin/support/jobs").get_data(as_text=True)
    assert "分类统计" in html and "王建国" in html and "安置点 小超市" in html and "年龄不详" in html
    assert "王奶奶" not in html and "李外点" not in html
    html = client.get(f"/admin/support/jobs?site_id={family['site'].id}&status=none").get_data(as_text=True)
    assert "王无证" in html and "安置点 小超市" not in html
    assert client.get(f"/admin/support/jobs?site_id={family['other'].id}").status_code == 403
    far_member = family["far"].members[0]
    assert client.get(f"/admin/support/jobs/members/{far_member.id}").status_code == 403


def test_saving_from_the_page_and_errors_beside_the_field(client, login, family, cadre):
    login(cadre)
    member = family["m"]["王小梅"]
    url = f"/admin/support/jobs/members/{member.id}"
    assert client.get(url).status_code == 200
    response = client.post(url, data={"status": "migrant", "workplace": "", "training_wanted": "家政培训"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "请填写务工地点、就业单位或创业项目" in html and 'value="家政培训"' in html
    assert db.session.scalar(select(func.count()).select_from(Employment)) == 0
    response = client.post(url, data={"status": "migrant", "workplace": "广东东莞", "since": "2025-03-01"})
    assert response.status_code == 302
    assert jobs.record_of(member).workplace == "广东东莞"
    response = client.post(url + "/subsidies", data={"subsidy-kind": "loan_interest", "subsidy-amount": "abc",
                                                     "subsidy-granted_on": local_today().isoformat()})
    assert response.status_code == 400 and "补贴金额" in response.get_data(as_text=True)
    response = client.post(url + "/subsidies", data={"subsidy-kind": "loan_interest", "subsidy-amount": "300",
                                                     "subsidy-granted_on": local_today().isoformat()})
    assert response.status_code == 302
    assert "贷款贴息" in client.get(url).get_data(as_text=True)


def test_an_auditor_reads_but_cannot_write(client, login, make_user, family):
    login(make_user("auditor", sites=[family["site"]]))
    member = family["m"]["王建国"]
    assert client.get(f"/admin/support/jobs/members/{member.id}").status_code == 200
    assert client.post(f"/admin/support/jobs/members/{member.id}", data={"status": "unemployed"}).status_code == 403
    assert client.post(f"/admin/support/jobs/members/{member.id}/subsidies", data={}).status_code == 403
    assert jobs.record_of(member) is None


def test_export_has_the_ledger_and_the_statistics_and_keeps_text_as_text(client, login, family):
    jobs.save_employment(family["admin"], family["m"]["王建国"], status="flexible", workplace="=HYPERLINK(\"x\")")
    login(family["admin"])
    response = client.get("/admin/support/jobs/export.xlsx")
    book = load_workbook(io.BytesIO(response.data))
    ledger, stats = book["创业就业台账"], book["分类统计"]
    assert ledger.freeze_panes == "A4"
    cells = {c.value: c for row in ledger.iter_rows() for c in row if c.value is not None}
    assert cells["=HYPERLINK(\"x\")"].data_type == "s"
    header = [c.value for c in stats[2]]
    assert header[:3] == ["安置点", "劳动年龄人口", "务工"]
    total = [c.value for c in stats[stats.max_row]]
    assert total[0] == "合计" and total[1] == 4
