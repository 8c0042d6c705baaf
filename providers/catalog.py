"""The POSC roles of the Primary User guide (seeds 001) as one table.

A POSC "role" grants a bundle of services; the portal calls each role a service,
as the job aids' Available/Assigned Services lists do. Each has a django-guardian
object permission on the PID/SL, ``providers.svc_<code>``, which views check.
The data migration loads this table; change it only with a new migration.
"""

from dataclasses import dataclass

# What limits where or to whom a service can be granted.
ALWAYS_HELD = "always"  # SV-01: every linked user holds it
ADMIN_ONLY = "admin_only"  # PU-04: only the Primary User and backup
PACE_SCO_ONLY = "pace_sco"  # SV-02: only at PACE or SCO providers
LTC_ONLY = "ltc"  # SV-02: only at long-term-care providers


@dataclass(frozen=True)
class CatalogEntry:
    code: str
    role_name: str
    label: str  # the words the job aids show in Available/Assigned Services
    grants: tuple[str, ...]
    constraint: str = ""


CATALOG: tuple[CatalogEntry, ...] = (
    CatalogEntry(
        "portal_services",
        "Portal Services",
        "Primary Portal User",
        (
            "Change Password",
            "View Letters and Notifications",
            "Receive Broadcast messages",
            "Submit Feedback to Customer Services",
        ),
        ALWAYS_HELD,
    ),
    CatalogEntry(
        "claims",
        "Claims Submission and Status",
        "Claims Submission and Status",
        ("Professional Claim DDE", "Institutional Claims DDE", "Claims Status DDE"),
    ),
    CatalogEntry(
        "provider_reports",
        "View Provider Reports",
        "View Provider Reports",
        (
            "Remittance Advices (RA)",
            "PCC Panel Reports",
            "Top 10 Denial Reasons",
            "Managed Care Reports",
            "Claims Turnaround Time",
            "Claims Volume",
        ),
    ),
    CatalogEntry("financial_data", "View Financial Data", "View Financial Data", ("View Financial Data",)),
    CatalogEntry(
        "manage_subordinates",
        "Manage Subordinate Accounts",
        "Manage Subordinate Accounts",
        ("Set up and maintain access to the application for staff", "Link to Other Organizations"),
        ADMIN_ONLY,
    ),
    CatalogEntry(
        "sco_pace_members",
        "Manage SCO and PACE Members",
        "Manage SCO and PACE Members",
        ("PACE/SCO Enrollment",),
        PACE_SCO_ONLY,
    ),
    CatalogEntry("referrals", "Manage Referrals Information", "Manage Referrals", ("Referrals DDE",)),
    CatalogEntry(
        "batch_files",
        "Batch File Submit and Download",
        "Batch File Submit and Download",
        ("HIPAA 270/271, 276/277, 820, 834, 837P & I, 835, 997", "MMQ"),
    ),
    CatalogEntry(
        "service_authorizations",
        "Service Authorizations",
        "Service Authorizations",
        ("Prior Authorization Request DDE", "Pre-Admission Screening Request DDE"),
    ),
    CatalogEntry(
        "provider_contracts", "View Provider Contracts", "View Provider Contracts", ("View Provider Contracts",)
    ),
    CatalogEntry(
        "member_eligibility",
        "Manage Member Eligibility",
        "Manage Member Eligibility",
        ("Eligibility Verification DDE",),
    ),
    CatalogEntry("mmq", "Manage MMQ", "Manage MMQ", ("MMQ (Management Minute Questionnaire) DDE",), LTC_ONLY),
    CatalogEntry(
        "business_partner_profile",
        "Manage Business Partner Profile",
        "Manage Provider Profile Information",
        ("Provider Enrollment", "Provider Profile Maintenance"),
    ),
)

PORTAL_SERVICES = "portal_services"
MANAGE_SUBORDINATES = "manage_subordinates"


def permission_codename(code: str) -> str:
    return f"svc_{code}"


SERVICE_PERMISSIONS = tuple((permission_codename(e.code), f"Service: {e.role_name}") for e in CATALOG)


def catalog_load(service_model) -> None:
    """Write the catalog into the Service table (the data migration; tests after a flush)."""
    for position, entry in enumerate(CATALOG, start=1):
        service_model.objects.update_or_create(
            code=entry.code,
            defaults={
                "role_name": entry.role_name,
                "label": entry.label,
                "grants": "\n".join(entry.grants),
                "constraint": entry.constraint,
                "position": position,
            },
        )
