"""The touchscreen kiosk at the points supermarket, and the resident's own card page."""
from flask import Blueprint

bp = Blueprint("kiosk", __name__, url_prefix="/kiosk", template_folder="templates")
