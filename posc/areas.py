"""The POSC's service areas (seeds 004's left-hand navigation). This portal runs the security
administration; the transactions themselves (claims, eligibility, batch files) run in MMIS.
Each area page tells a user what the area holds and at which providers they may use it."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Area:
    slug: str
    label: str
    services: tuple[str, ...]  # the user needs one of these at some PID/SL
    summary: str
    functions: tuple[str, ...] = ()
    links: tuple[tuple[str, str], ...] = ()
    # The portal screen a user of the area goes on to, if it has one: (why, link label, URL name).
    next_screen: tuple[str, str, str] | None = None


AREAS: tuple[Area, ...] = (
    Area(
        "batch-files",
        "Manage Batch Files",
        ("batch_files",),
        "Upload and download batch health-care transactions: X12 files and other formatted content.",
        ("Upload Batch File", "Download Batch File"),
    ),
    Area(
        "service-authorizations",
        "Manage Service Authorizations",
        ("service_authorizations", "referrals"),
        "Enter, update and look up pre-admission screenings, prior authorizations and referrals.",
        ("Pre-Admission Screening", "Prior Authorization", "Referrals", "Request Transportation"),
    ),
    Area(
        "correspondence",
        "Manage Correspondence and Reporting",
        ("portal_services", "provider_reports", "financial_data", "provider_contracts"),
        "Messages, reports, metrics, notifications, contracts and documents from MassHealth, and feedback to it.",
        (
            "View Broadcast Messages",
            "View Notifications",
            "View Metrics/Reports",
            "Inquire Financial Data",
            "View Contracts and Documents",
            "Submit Feedback",
        ),
        next_screen=(
            "Read what MassHealth posted for every provider in",
            "View Broadcast Messages",
            "providers:broadcasts",
        ),
    ),
    Area(
        "members",
        "Manage Members",
        ("member_eligibility", "sco_pace_members", "mmq"),
        "Verify member eligibility, enroll and disenroll SCO and PACE members, and submit MMQs.",
        ("Verify Member Eligibility", "Enrollment (SCO and PACE)", "Long Term Care (MMQ)"),
    ),
    Area(
        "claims",
        "Manage Claims and Payments",
        ("claims",),
        "Submit claims by direct data entry and check their status; view SCO and PACE payments.",
        ("Enter Single Claim", "Inquire Claim Status"),
    ),
    Area(
        "provider-information",
        "Manage Provider Information",
        ("business_partner_profile",),
        "Enroll with MassHealth and keep the provider profile up to date.",
        ("Provider Enrollment", "Provider Profile Maintenance"),
    ),
    Area(
        "publications",
        "Reference Publications",
        ("portal_services",),
        "Forms, MassHealth publications, training and regulations.",
        links=(("MassHealth provider library", "https://www.mass.gov/masshealth-provider-library"),),
    ),
    Area(
        "news",
        "News & Updates",
        ("portal_services",),
        "EOHHS news and updates for providers.",
        links=(("MassHealth provider news", "https://www.mass.gov/masshealth-for-providers"),),
        next_screen=(
            "Read the notices MassHealth posted in this portal in",
            "View Broadcast Messages",
            "providers:broadcasts",
        ),
    ),
    Area(
        "related-links",
        "Related Links",
        ("portal_services",),
        "Pricing regulations, the Virtual Gateway, CHIA and other MassHealth pages.",
        links=(
            ("EOHHS pricing regulations", "https://www.mass.gov/eohhs-regulations"),
            ("Virtual Gateway", "https://www.mass.gov/virtual-gateway"),
            ("Center for Health Information and Analysis", "https://www.chiamass.gov/"),
        ),
    ),
)

AREAS_BY_SLUG = {a.slug: a for a in AREAS}
