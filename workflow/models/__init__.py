from .areas import BANGKOK_PROVINCE_CODE, COUNTRY_CODE, District, InspectionRegion, Province, Subdistrict
from .audit import AuditChain, AuditEvent
from .bank import BankEntry
from .money import Disbursement
from .process import ProjectProcess
from .programme import Dimension, Edition, Holiday, RoleModelDistrict
from .projects import (
    BudgetLine,
    DistrictSubmission,
    EvidenceFile,
    LineCategory,
    MonitoringRecord,
    PrimaryObjective,
    ProgressUpdate,
    Project,
    SpendLine,
    State,
    TrainingKind,
)
from .roles import AreaKind, Delegation, Role, RoleMembership

__all__ = [
    "BANGKOK_PROVINCE_CODE",
    "COUNTRY_CODE",
    "AreaKind",
    "AuditChain",
    "AuditEvent",
    "BankEntry",
    "BudgetLine",
    "Delegation",
    "Dimension",
    "Disbursement",
    "District",
    "DistrictSubmission",
    "Edition",
    "EvidenceFile",
    "Holiday",
    "InspectionRegion",
    "LineCategory",
    "MonitoringRecord",
    "PrimaryObjective",
    "ProgressUpdate",
    "Project",
    "ProjectProcess",
    "Province",
    "Role",
    "RoleMembership",
    "RoleModelDistrict",
    "SpendLine",
    "State",
    "Subdistrict",
    "TrainingKind",
]
