"""One module per aggregate; importing this package registers every table on Base.metadata."""

from app.models.base import Base, Session, bind_session, make_engine, utcnow
from app.models.calendar import CalendarDay, CalendarYear
from app.models.case import AuditEvent, Case, CaseDocument, CaseNotice, CaseTask, Material
from app.models.catalogue import ProcessVersion, ServiceItem
from app.models.org import ROLES, ApiToken, Department, User, UserSession

__all__ = [
    "ROLES",
    "ApiToken",
    "AuditEvent",
    "CalendarDay",
    "CalendarYear",
    "CaseDocument",
    "CaseNotice",
    "Base",
    "Case",
    "CaseTask",
    "Department",
    "Material",
    "ProcessVersion",
    "ServiceItem",
    "Session",
    "User",
    "UserSession",
    "bind_session",
    "make_engine",
    "utcnow",
]
from app.models.designer import CaseMigration, ProcessDraft, ProcessVersionItem  # noqa: E402, F401
from app.models.portal import ApplicantProfile, MobileVerification, OutboundMessage, SmsOutbox, WindowIntake  # noqa: E402, F401
from app.models.results import Licence, LicenceUse, Publication, Rating, Rectification  # noqa: E402, F401
from app.models.supervision import Alert, DepartmentCard, Notification, SchedulerLease, SupervisionOrder  # noqa: E402, F401
