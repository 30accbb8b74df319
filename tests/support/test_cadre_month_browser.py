"""A township cadre's month in real Chromium on SQLite and PostgreSQL, a screenshot per step
(artifacts/screenshots/month_<database>_*.png): the worklist on a phone → a visit that finds a problem
→ the fix → 销号 by another reviewer → a jobs entry → a task of the annual plan and its progress →
the assessment table → the monthly report's narrative, signed by a second person, then exportable →
the village's 一户一档 zip."""
import io
import os
import zipfile
from datetime import timedelta

import pytest

from extensions import db
from models.clock import local_today
from tests.support.test_support_browser import _seed

pytestmark = pytest.mark.browser


def _login(page, base, username):
    page.goto(f"{base}/admin/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "password123")
    page.click("button[type=submit]")


def _reviewer_in_scope(app):
    from models import Site, StaffScope, StaffUser

    with app.app_context():
        user = db.session.execute(db.select(StaffUser).filter_by(username="wangzr")).scalar_one()
        site = db.session.execute(db.select(Site)).scalar_one()
        user.scopes = [StaffScope(site_id=site.id)]
        db.session.commit()


def test_a_cadres_month(browser, any_live_server, screenshot_dir, tmp_path):
    app, base, database = any_live_server
    _seed(app, tmp_path)
    _reviewer_in_scope(app)

    def shot(page, name):
        page.screenshot(path=os.path.join(screenshot_dir, f"month_{database}_{name}.png"), full_page=True)
    phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                has_touch=True, locale="zh-CN")
    page = phone.new_page()
    _login(page, base, "libj")
    page.goto(f"{base}/admin/support/mine")
    assert page.is_visible("text=逾期:从未走访") and page.locator("a.call").first.get_attribute("href") == "tel:13800001234"
    shot(page, "1_worklist_phone")
    page.click("a.start")
    page.wait_for_selector("#visit-form")
    for area in ("income", "housing", "water"):
        page.click(f"input[name=s_{area}][value=ok] + span")
    page.click("input[name=s_medical][value=issue] + span")
    page.fill("input[name=n_medical]", "老人慢性病门诊报销不会办")
    page.click("summary:has-text('发现问题')")
    page.select_option("select[name=p_category_1]", "医疗")
    page.fill("input[name=p_description_1]", "老人慢性病门诊报销材料不全")
    page.fill("input[name=confirm_name]", "欧阳𠮷祥")
    shot(page, "2_visit_form_phone")
    page.click("button:has-text('保存走访记录')")
    page.wait_for_selector("text=本次发现的问题")
    shot(page, "3_visit_saved_phone")
    page.click("text=老人慢性病门诊报销材料不全")
    page.click("button:has-text('开始整改')")
    page.wait_for_selector("text=状态已改为“进行中”")
    page.fill("textarea[name=note]", "已帮助补齐材料,报销到账")
    page.click("button:has-text('整改完成,提交复核')")
    page.wait_for_selector("text=销号须由另一位复核人办理")
    shot(page, "4_problem_fixed_phone")
    problem_url = page.url
    page.goto(f"{base}/admin/support/mine")
    assert page.is_visible("text=本月已走访")
    shot(page, "5_worklist_after_visit_phone")

    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    review = desk.new_page()
    _login(review, base, "wangzr")
    review.goto(problem_url)
    review.fill("textarea[name=note]", "电话回访属实")
    review.click("button:has-text('复核通过,销号')")
    review.wait_for_selector("text=状态已改为“已销号”")
    shot(review, "6_problem_closed_by_reviewer")

    # 创业就业台账: the cadre records what a working-age member does
    page.goto(f"{base}/admin/support/jobs")
    assert page.is_visible("text=分类统计")
    page.click("a:has-text('石𬌗')")
    page.select_option("select[name=status]", "migrant")
    page.fill("input[name=workplace]", "浙江宁波 电子厂")
    page.fill("input[name=training_wanted]", "电工")
    page.click("button:has-text('保存就业情况')")
    page.wait_for_selector("text=已保存 石𬌗 的就业情况")
    shot(page, "6b_jobs_entry_phone")

    # 年度计划: the township's plan takes up an open problem as a task, with a deadline and progress
    office = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    plan_page = office.new_page()
    _login(plan_page, base, "libj")
    plan_page.goto(f"{base}/admin/support/plans")
    plan_page.select_option("select[name=area_id]", label="城关镇")
    plan_page.fill("input[name=title]", "易地扶贫搬迁后续扶持年度计划")
    plan_page.click("button:has-text('建立计划')")
    plan_page.wait_for_selector("text=从问题台账列入计划")
    plan_page.check("tr:has-text('卫生间渗水到楼下') input[name=up-problem_ids]")
    plan_page.fill("input[name=up-deadline]", (local_today() + timedelta(days=30)).isoformat())
    plan_page.click("button:has-text('把勾选的问题列入计划')")
    plan_page.wait_for_selector("text=已把 1 个问题列入计划任务")
    plan_page.click("a:has-text('住房:卫生间渗水到楼下')")
    plan_page.fill("textarea[name=note]", "物业已上门查看,更换防水层")
    plan_page.click("button:has-text('记录进展')")
    plan_page.wait_for_selector("text=物业已上门查看,更换防水层")
    shot(plan_page, "6c_plan_task")

    # 考核: the year's assessment, computed from the records above
    plan_page.goto(f"{base}/admin/support/assessment")
    assert plan_page.is_visible("th:has-text('幸福社区')")
    shot(plan_page, "6d_assessment")

    page.goto(f"{base}/admin/support/report")
    assert not page.is_visible("text=下载 Excel")
    page.fill("textarea[name=work_done]", "本月入户走访包保户 1 户,发现问题 1 个,已整改销号。")
    page.fill("textarea[name=issues]", "部分住户白天不在家,需晚间走访。")
    page.fill("textarea[name=next_steps]", "下月完成全部重点户走访。")
    page.click("button:has-text('保存汇报正文')")
    page.wait_for_selector("text=汇报正文已保存")
    shot(page, "7_report_narrative_phone")
    review.goto(f"{base}/admin/support/report")
    review.once("dialog", lambda dialog: dialog.accept())
    review.click("button:has-text('审核无误,签字')")
    review.wait_for_selector("text=已审核签字")
    assert review.is_visible("text=下载 Excel") and review.is_visible("text=审核人 王主任")
    shot(review, "8_report_signed")
    with review.expect_download() as download:
        review.click("text=下载 Excel")
    assert download.value.suggested_filename.endswith(".xlsx")

    # 一户一档: the village's archive, one set for the station and one for the county
    plan_page.goto(f"{base}/admin/support/archive")
    shot(plan_page, "9_archive")
    with plan_page.expect_download() as download:
        plan_page.click("text=下载压缩包")
    with zipfile.ZipFile(io.BytesIO(open(download.value.path(), "rb").read())) as archive:
        names = archive.namelist()
    assert len([n for n in names if "/站存/" in n]) == len([n for n in names if "/报县/" in n]) == 3
    office.close()
    desk.close()
    phone.close()
