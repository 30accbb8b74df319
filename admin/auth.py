"""Login, logout, password change, and the role decorator every staff route uses."""
import time
from functools import wraps
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from admin import bp
from extensions import db, limiter, login_manager
from models import StaffUser
from services.errors import Forbidden
from services.staff import audit


@login_manager.user_loader
def load_user(stored: str):
    """The session's user, unless its password changed since, or the session outlived
    STAFF_SESSION_HOURS or sat idle STAFF_IDLE_MINUTES (docs/decisions.md#staff-sessions)."""
    user_id, _, version = stored.partition(":")
    user = db.session.get(StaffUser, int(user_id)) if user_id.isdigit() else None
    if user is None or version != str(user.session_version or 1):
        return _ended("您的密码已修改或账号已变更,请重新登录" if user is not None else None)
    now = time.time()
    started, seen = session.get("_staff_login_at", 0), session.get("_staff_seen_at", 0)
    if now - started > current_app.config["STAFF_SESSION_HOURS"] * 3600:
        return _ended("登录已超过时限,请重新登录")
    if now - seen > current_app.config["STAFF_IDLE_MINUTES"] * 60:
        return _ended("长时间没有操作,请重新登录")
    if now - seen > 30:  # not on every request: each change sends a new cookie
        session["_staff_seen_at"] = int(now)
    return user


def _ended(message):
    for key in ("_user_id", "_fresh", "_id", "_staff_login_at", "_staff_seen_at"):
        session.pop(key, None)
    if message:
        flash(message, "error")
    return None


def start_session(user) -> None:
    """Log `user` in with a fresh lifetime and idle clock (also after their own password change)."""
    login_user(user)
    session.permanent = True
    session["_staff_login_at"] = session["_staff_seen_at"] = int(time.time())


def roles_required(*roles: str):
    """Logged in AND holding one of `roles` (admin passes everywhere)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role("admin", *roles):
                raise Forbidden("您的角色不能使用这个功能")
            return view(*args, **kwargs)

        wrapped.required_roles = roles
        return wrapped

    return decorator


def safe_next(target: str | None) -> str:
    """Only same-site relative paths are followed after login."""
    if not target:
        return url_for("admin.dashboard")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("admin.dashboard")
    return target


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired("请输入用户名"), Length(max=64)])
    password = PasswordField("密码", validators=[DataRequired("请输入密码"), Length(max=200)])


class PasswordForm(FlaskForm):
    current = PasswordField("当前密码", validators=[DataRequired("请输入当前密码")])
    new = PasswordField("新密码", validators=[DataRequired("请输入新密码"), Length(8, 200, "新密码至少 8 位")])
    confirm = PasswordField("再输一次", validators=[EqualTo("new", "两次输入的新密码不一致")])


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.execute(
            select(StaffUser).where(StaffUser.username == form.username.data.strip())
        ).scalar_one_or_none()
        if user is None or not user.check_password(form.password.data):
            flash("用户名或密码不对", "error")
        elif not user.active:
            flash("这个账号已停用,请联系系统管理员", "error")
        else:
            start_session(user)
            audit.record(user, "staff.login", "staff_user", user.id)
            db.session.commit()
            return redirect(safe_next(request.args.get("next")))
    return render_template("admin/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    return redirect(url_for("admin.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            flash("当前密码不对", "error")
        else:
            current_user.set_password(form.new.data)  # other sessions end; this one goes on
            audit.record(current_user, "staff.password", "staff_user", current_user.id)
            db.session.commit()
            start_session(current_user)
            flash("密码已修改", "success")
            return redirect(url_for("admin.dashboard"))
    return render_template("admin/password.html", form=form)
