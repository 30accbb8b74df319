"""Kiosk devices: the list with each kiosk's offline figures (docs/offline.md#staff), new devices,
pairing codes, disabling. Shopkeepers and auditors see the kiosks of their sites; only an admin
creates, re-pairs or disables one."""
from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from admin import bp
from admin.auth import roles_required
from admin.fields import refused
from admin.scope import chosen_site
from admin.supermarket.forms import KioskForm
from extensions import db
from models import KioskDevice, Site
from services.errors import DomainError
from services.staff import audit
from services.staff.scope import allowed_site_ids
from services.supermarket import devices as kiosk_devices
from services.supermarket import offline_admin

STATUS_LABELS = {"pending": "待配对", "active": "使用中", "disabled": "已停用"}


@bp.route("/kiosks")
@roles_required("shopkeeper", "auditor")
def kiosks_list():
    return _kiosks_page(KioskForm(formdata=None))


def _kiosks_page(form: KioskForm):
    allowed = allowed_site_ids(current_user)
    # plain rows, not objects: at 2,000 kiosks building the ORM objects cost more than the queries
    query = (select(KioskDevice.id, KioskDevice.name, KioskDevice.status, KioskDevice.last_seen_at,
                    KioskDevice.last_sync_at, KioskDevice.queue_reported, Site.name.label("site_name"))
             .join(Site, Site.id == KioskDevice.site_id).order_by(KioskDevice.site_id, KioskDevice.id))
    sites = select(Site.id, Site.name).order_by(Site.code)
    if allowed is not None:
        query = query.where(KioskDevice.site_id.in_(allowed or {-1}))
        sites = sites.where(Site.id.in_(allowed or {-1}))
    devices = db.session.execute(query).all()
    manage = current_user.has_role("admin")
    return render_template("admin/goods/kiosks.html", devices=devices, form=form, manage=manage, urls=_url_patterns(),
                           sites=db.session.execute(sites).all() if manage else [], statuses=STATUS_LABELS,
                           offline=offline_admin.figures(allowed), nothing=offline_admin.NOTHING)


def _url_patterns() -> dict[str, str]:
    """Each per-kiosk URL as a pattern ("/admin/kiosks/{}/offline"), built once: 2,000 rows of url_for
    calls cost more than all the page's queries."""
    return {name: url_for(endpoint, device_id=0).replace("/0/", "/{}/") for name, endpoint in
            (("offline", "admin.kiosk_offline"), ("code", "admin.kiosk_code"), ("disable", "admin.kiosk_disable"))}


@bp.route("/kiosks/new", methods=["POST"])
@roles_required()
def kiosk_new():
    form = KioskForm()
    if not form.validate():
        return refused(lambda: _kiosks_page(form))
    site = chosen_site()
    try:
        device, code = kiosk_devices.create_device(site.id, form.name.data, current_user)
    except DomainError as error:
        return refused(lambda: _kiosks_page(form), error)
    audit.record(current_user, "kiosk.create", "kiosk_device", device.id, site_id=site.id)
    db.session.commit()
    return render_template("admin/goods/kiosk_code.html", device=device, code=code)


@bp.route("/kiosks/<int:device_id>/code", methods=["POST"])
@roles_required()
def kiosk_code(device_id: int):
    device = db.get_or_404(KioskDevice, device_id)
    if device.status == "disabled":
        device.status = "pending"
    code = kiosk_devices.new_pairing_code(device)
    audit.record(current_user, "kiosk.pairing_code", "kiosk_device", device.id, site_id=device.site_id)
    db.session.commit()
    return render_template("admin/goods/kiosk_code.html", device=device, code=code)


@bp.route("/kiosks/<int:device_id>/disable", methods=["POST"])
@roles_required()
def kiosk_disable(device_id: int):
    device = db.get_or_404(KioskDevice, device_id)
    returned = kiosk_devices.disable(device, current_user)
    audit.record(current_user, "kiosk.disable", "kiosk_device", device.id, site_id=device.site_id)
    db.session.commit()
    back = f";它保留的 {returned} 分离线额度已退回各户余额" if returned else ""
    flash(f"已停用终端“{device.name}”,它不能再兑换{back}", "success")
    return redirect(url_for("admin.kiosks_list"))
