"""Staff pages (村/社区干部, 评议会, 超市管理员, 审计, 系统管理员)."""
from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")

from admin import auth, views, scope, households, household_excel, cards, staff, auditlog, rules, evaluations, activities, approvals, goods, honors, public, reports, year_end, support, life_events, health, integrity  # noqa: E402,F401  (routes register on import)
