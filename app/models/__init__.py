"""One module per aggregate; importing this package registers every table on Base.metadata."""

from app.models.base import Base, Session, bind_session, make_engine, utcnow
from app.models.calendar import CalendarDay, CalendarYear, ClockSweep
from app.models.case import (
    AuditEvent,
    Case,
    CaseDocument,
    CaseNotice,
    CaseTask,
    DocumentSequence,
    Material,
)
from app.models.catalogue import ProcessVersion, ServiceItem
from app.models.org import LEVELS, ROLES, ApiToken, Department, User, UserRole, UserSession

__all__ = [
    "LEVELS",
    "ROLES",
    "ApiToken",
    "AuditEvent",
    "CalendarDay",
    "CalendarYear",
    "ClockSweep",
    "CaseDocument",
    "CaseNotice",
    "Base",
    "Case",
    "CaseTask",
    "Department",
    "DocumentSequence",
    "Material",
    "ProcessVersion",
    "ServiceItem",
    "Session",
    "User",
    "UserRole",
    "UserSession",
    "bind_session",
    "make_engine",
    "utcnow",
]
from app.models.designer import CaseMigration, ProcessDraft, ProcessVersionItem  # noqa: E402, F401
from app.models.jobs import JobError, ReportRun  # noqa: E402, F401
from app.models.portal import (  # noqa: E402, F401
    ApplicantProfile,
    ApplicationDraft,
    DraftMaterial,
    IdempotentRequest,
    MobileVerification,
    OutboundMessage,
    SmsOutbox,
    WindowIntake,
)
from app.models.results import Licence, LicenceUse, Publication, Rating, Rectification  # noqa: E402, F401
from app.models.supervision import (  # noqa: E402, F401
    Alert,
    DailySummary,
    DepartmentCard,
    Notification,
    SchedulerLease,
    SupervisionEscalation,
    SupervisionOrder,
)
