"""The round page on day one: 取消评议 stands apart from 开始公示 / 入账."""
import re

from extensions import db
from models import EvaluationRound
from tests.reliability.bad_input_helpers import logged_in


def test_cancel_is_kept_away_from_opening_the_notice(demo_app):
    rnd = db.session.execute(db.select(EvaluationRound).where(EvaluationRound.status == "scoring")).scalars().first()
    html = logged_in(demo_app, "cadre", "cadre12345").get(f"/admin/evaluations/{rnd.id}").get_data(as_text=True)
    actions = html.split('<div class="card">', 1)[1].split("</div>", 1)[0]
    assert "开始公示" in actions and "取消评议" not in actions
    cancel = re.search(r'<details class="card cancel-round"\s*>(.*?)</details>', html, re.S)
    assert cancel and "取消评议" in cancel.group(1) and "取消原因" in cancel.group(1)
    assert html.index("开始公示") < html.index('class="card cancel-round"')
