"""The rules in plain words, for the people the refusals are written to.

Every refusal and finding ends with the rule's ID, "(LK-03)"; the `rule_links` filter turns that ID
into a link to its entry on the Rules page (/rules/#LK-03), so a Primary User who is told "no" can
read why. The IDs are POLICY.md's; the words are ours, written for users rather than developers.
"""

import re
from dataclasses import dataclass

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

from .urlcache import cached_reverse


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    text: str


SECTIONS = (
    (
        "Roles at a provider (PID/SL)",
        (
            Rule(
                "PU-01",
                "One Primary User",
                "Every PID/SL always has exactly one Primary User. One person may be the Primary User of "
                "several PID/SLs.",
            ),
            Rule(
                "PU-02",
                "One backup",
                "A PID/SL has at most one backup Primary User, chosen by the Primary User from the "
                "organization's own users. The Primary User cannot also be the backup of the same PID/SL.",
            ),
            Rule(
                "PU-03",
                "A backup who can act",
                "The Compliance page reports a PID/SL with no backup, or whose Primary User or backup is "
                "deactivated or has not signed in for a long time.",
            ),
            Rule(
                "PU-04",
                "Who administers a PID/SL",
                "Only the Primary User and the backup of a PID/SL hold Manage Subordinate Accounts there, so "
                "only they add, link, change and remove its users.",
            ),
            Rule(
                "PU-05",
                "The backup can do everything the Primary User can",
                "The Primary User and the backup hold every service the PID/SL offers; the portal grants them "
                "on appointment.",
            ),
            Rule(
                "PU-06",
                "Changing the Primary User",
                "The Primary User changes only when MassHealth approves a change request. Until then the "
                "Primary User cannot be removed or deactivated. The person named must be an active user of the "
                "organization.",
            ),
            Rule(
                "PU-07",
                "Primary User of many PID/SLs",
                "Being the Primary User of many PID/SLs is reported on the Compliance page; above a hard limit "
                "another such role is refused.",
            ),
            Rule(
                "PU-08",
                "A Primary User who cannot sign in",
                "A Primary User who cannot sign in asks MassHealth for help from the sign-in page. MassHealth "
                "checks with the organization, then gives a one-time temporary password or sends a new PIN letter "
                "to the person who takes over. A person who already has a user ID registers a new letter on it.",
            ),
        ),
    ),
    (
        "Users",
        (
            Rule(
                "US-01",
                "One user ID per person",
                "A person has one user ID, whatever the number of providers they work for. If the person "
                "already has one, ask them for it and link it instead of creating a second.",
            ),
            Rule(
                "US-02",
                "What a new user needs",
                "Last name, first name, date of birth (month and day), a 4-digit PIN, an email address and a "
                "ZIP code; middle initial and phone are optional.",
            ),
            Rule("US-03", "Terms and Conditions", "Everyone accepts the current terms before using the portal."),
            Rule(
                "US-04",
                "Passwords",
                "Everyone can change their own password. A reset gives a one-time temporary password that must "
                "be changed at the next sign-in.",
            ),
            Rule(
                "US-05",
                "Who resets whose password",
                "A Primary User or backup resets the passwords of their organization's users. Their own "
                "passwords, and those of other Primary Users, are reset by MassHealth Customer Service.",
            ),
            Rule(
                "US-06",
                "Deactivated users",
                "A deactivated user cannot sign in or do anything; reactivating restores their links. Only the "
                "user's own organization deactivates; a PID/SL can remove a user from itself.",
            ),
            Rule(
                "US-07",
                "Inactive users",
                "A user who has not signed in for 90 days is reported on the Compliance page.",
            ),
            Rule(
                "US-08",
                "Shared user IDs",
                "Signs that one user ID is used by more than one person are reported on the Compliance page.",
            ),
            Rule(
                "US-09",
                "Dormant user IDs are deactivated",
                "A user who has not signed in for 120 days is deactivated by the portal. The user's organization "
                "is told 14 and 7 days before and can keep those still needed, which starts their clock again. "
                "A Primary User is not deactivated this way; MassHealth is told instead.",
            ),
        ),
    ),
    (
        "Services and links",
        (
            Rule("SV-01", "Primary Portal User", "Every linked user holds Primary Portal User; it cannot be removed."),
            Rule(
                "SV-02",
                "Services that depend on the provider type",
                "Manage SCO and PACE Members is granted only at PACE or SCO providers, and Manage MMQ only at "
                "long-term-care providers.",
            ),
            Rule("SV-03", "Per user, per PID/SL", "Services are granted to one user at one PID/SL at a time."),
            Rule(
                "SV-04",
                "Full access",
                "A user holding every service a PID/SL offers is reported: give each user only what their job needs.",
            ),
            Rule("SV-05", "Linked to many PID/SLs", "A user linked to very many PID/SLs is reported."),
            Rule(
                "SV-06",
                "When the provider type changes",
                "When an organization's provider type changes, every service no longer allowed at its PID/SLs is "
                "removed at once from every user there, and the Primary User, the backup and each user affected "
                "are told.",
            ),
            Rule(
                "LK-01",
                "Linking another organization's user",
                "A Primary User or backup can link a user of another organization (a billing agent, say) to "
                "their PID/SL by the user ID and last name. The user stays the other organization's.",
            ),
            Rule(
                "LK-02",
                "Telling the other organizations",
                "When a user is deactivated or removed, every other organization the user works for is told.",
            ),
            Rule(
                "LK-03",
                "An account belongs to its own organization",
                "A user's password, sign-in lockout, contact details and active status are managed by the user's "
                "own organization (its Primary Users and backups) and MassHealth. An organization that links the "
                "user sets the user's services at its own PID/SLs and can end the link, nothing more; the user's "
                "organization is told. Forms never reveal other organizations' user IDs.",
            ),
            Rule(
                "LK-04",
                "Links that end on a date",
                "A link of another organization's user can end on a date (a contract's end). The PID/SL's Primary "
                "User and backup are reminded 14 days and 1 day before; that day the link ends by itself, it is "
                "recorded, and the user's organization is told.",
            ),
        ),
    ),
    (
        "Reviews and records",
        (
            Rule(
                "AR-01",
                "Review schedule",
                "Each organization reviews access quarterly, twice a year or yearly, as its Primary User sets.",
            ),
            Rule(
                "AR-02",
                "What a review covers",
                "Every user with access to the organization's PID/SLs is kept, changed, removed or deactivated, "
                "by an administrator of the user's PID/SL, before the review is completed.",
            ),
            Rule("AR-03", "Reminders", "Reminders go out before a review is due; an overdue review is reported."),
            Rule(
                "AR-04",
                "Review reports",
                "A completed review gives CSV and PDF reports; a report of current access can be asked for at "
                "any time.",
            ),
            Rule(
                "AR-05",
                "Nobody reviews their own access",
                "The backup decides on the Primary User's own access and the Primary User on the backup's; "
                "MassHealth decides when neither can.",
            ),
            Rule(
                "AR-06",
                "Items nobody decided by the deadline",
                "An access review's deadline is its due date plus a grace period set by MassHealth. Items nobody "
                "decided by then get the organization's default decision (remove, apply the recommendations, or "
                "keep, never weaker than MassHealth allows), and the review is completed by default.",
            ),
            Rule(
                "AR-07",
                "An overdue review comes first",
                "From the day an organization's review is due until it is completed, its Primary Users and "
                "backups are shown the review first after signing in; they can go on to anything else, and that "
                "is recorded.",
            ),
            Rule(
                "AU-01",
                "The audit trail",
                "Every security-relevant action is recorded with who did what to whom, where and when; the "
                "record cannot be changed or deleted.",
            ),
            Rule(
                "AU-02",
                "Evidence of a review",
                "A completed review's reports, attestation, the records of its decisions and their fingerprints "
                "are kept together for six years and cannot be deleted before then.",
            ),
            Rule(
                "IN-01",
                "Whom to contact",
                "Everyone can see who the Primary User and backup of their PID/SLs are and how to reach them.",
            ),
        ),
    ),
)

RULE_IDS = frozenset(rule.id for _, rules in SECTIONS for rule in rules)
RULES = {rule.id: rule for _, rules in SECTIONS for rule in rules}

# "(LK-03)" or "(AR-02, AR-05)" in a message: the words come first, the IDs in parentheses after.
_RULE_ID = re.compile(r"\(([A-Z]{2}-\d{2}(?:, [A-Z]{2}-\d{2})*)\)")

register = template.Library()


@register.filter(is_safe=True)
def rule_anchor(rule_id: str) -> str:
    """One rule's ID as a link to its entry on the Rules page. The ID alone says nothing to a screen
    reader listing links, so the link's name is "Rule LK-03: Outside users" (issue 18); the visible
    text stays the ID, which the name begins with after "Rule"."""
    rule = RULES.get(str(rule_id))
    if rule is None:
        return conditional_escape(rule_id)
    name = f"Rule {rule.id}: {rule.title}"
    return format_html(
        '<a href="{}#{}" class="rule-link" title="{}" aria-label="{}">{}</a>',
        cached_reverse("rules"),
        rule.id,
        name,
        name,
        rule.id,
    )


@register.filter(is_safe=True)
def rule_links(message) -> str:
    """Escape a message and link each rule ID it names to the rule's entry on the Rules page.

    Used as ``{% filter rule_links %}`` around a block of markup, too: the block is already safe
    HTML, so it is not escaped again, and an ID already linked is not in parentheses any more."""
    escaped = str(conditional_escape(message))

    def link(match) -> str:
        ids = [rule_id.strip() for rule_id in match.group(1).split(",")]
        if not all(rule_id in RULE_IDS for rule_id in ids):
            return match.group(0)
        return "(" + ", ".join(rule_anchor(rule_id) for rule_id in ids) + ")"

    return mark_safe(_RULE_ID.sub(link, escaped))  # noqa: S308 - the message was escaped above


@register.filter
def rule_title(rule_id: str) -> str:
    """A rule's title in plain words ("Outside users" for LK-03); an unknown ID as it is."""
    rule = RULES.get(str(rule_id))
    return rule.title if rule else str(rule_id)


@register.filter(is_safe=True)
def rule_named(rule_id) -> str:
    """Where only an ID was shown (a review item's tag, a finding's count): the rule's title, then
    its ID as a link, "Not signed in for a long time (US-07)"."""
    rule_id = str(rule_id)
    if rule_id not in RULE_IDS:
        return conditional_escape(rule_id)
    return format_html("{} ({})", RULES[rule_id].title, rule_anchor(rule_id))
