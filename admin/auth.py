"""Login, logout, password change, and the role decorator every staff route uses."""
from functools import wraps
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
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
def load_user(user_id: str):
    return db.session.get(StaffUser, int(user_id))


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
            login_user(user)
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
            current_user.set_password(form.new.data)
            audit.record(current_user, "staff.password", "staff_user", current_user.id)
            db.session.commit()
            flash("密码已修改", "success")
            return redirect(url_for("admin.dashboard"))
    return render_template("admin/password.html", form=form)
