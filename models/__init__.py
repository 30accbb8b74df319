"""All models, imported so Alembic and the app see every table."""
from models.area import Area, Site  # noqa: F401
from models.audit import AuditLog  # noqa: F401
from models.card import Card  # noqa: F401
from models.household import Household, HouseholdTag, Member  # noqa: F401
from models.ledger import LedgerEntry  # noqa: F401
from models.staff import StaffScope, StaffUser  # noqa: F401
