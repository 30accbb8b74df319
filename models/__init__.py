"""All models, imported so Alembic and the app see every table."""
from models.activity import Activity, ActivitySignIn  # noqa: F401
from models.area import Area, Site  # noqa: F401
from models.audit import AuditLog  # noqa: F401
from models.card import Card  # noqa: F401
from models.employment import Employment, EmploymentSubsidy  # noqa: F401
from models.evaluation import AwardType, Dimension, EvaluationRound, Objection, RoundLine, RoundNomination, RoundScore  # noqa: F401,E501
from models.fund import FundEntry, FundHead, GoodsControl, PointsAdjustment, Stocktake, StocktakeLine  # noqa: F401
from models.goods import Goods, StockMovement  # noqa: F401
from models.honor import HonorEntry, HonorList, HonorObjection, HonorSection, YearEndRun  # noqa: F401
from models.household import Household, HouseholdExport, HouseholdTag, Member  # noqa: F401
from models.kiosk import KioskDevice, KioskSession  # noqa: F401
from models.ledger import LedgerEntry, LedgerMonthTotal, LedgerSeal, LedgerVerifyRun  # noqa: F401
from models.life_event import LifeEvent  # noqa: F401
from models.monthly_report import MonthlyReportNote  # noqa: F401
from models.offline import AllowanceMove, KioskAllowance, OfflineSale, OwedLine, SyncRefusal  # noqa: F401
from models.plan import PlanTask, PlanTaskProblem, PlanTaskProgress, WorkPlan  # noqa: F401
from models.recusal import AnomalyCheck, AnomalyRun, RecusalDeclaration  # noqa: F401
from models.redemption import Redemption, RedemptionLine  # noqa: F401
from models.report_totals import HouseholdLastEntry, HouseholdYearTotal, ReportFold, SiteMonthTotal  # noqa: F401
from models.rules import Rule, RuleCategory, RuleEvent  # noqa: F401
from models.settlement import CauseAssignment, HouseholdCause, SiteLeader  # noqa: F401
from models.staff import StaffScope, StaffUser  # noqa: F401
from models.support import (  # noqa: F401
    MonitoringCase,
    MonitoringStep,
    Problem,
    ProblemChange,
    Responsibility,
    SupportCadre,
    SupportPhoto,
    Visit,
)
