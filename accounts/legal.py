"""The first Terms and Conditions users accept at first sign-in (US-03). Our own words.

Loaded by a data migration; tests put it back after a transactional flush.
"""

from django.utils import timezone

FIRST_VERSION = "2024-04"
FIRST_TITLE = "Terms and Conditions of Use"
FIRST_TEXT = """You are about to use the MassHealth Provider Online Service Center.

1. Your user ID is yours alone. Do not share it or your password with anyone, and do not use another person's. Sharing a user ID is a violation of these terms and may end your access.

2. Use the portal only for the work your organization has authorized you to do, and only for the providers you are linked to.

3. The information you see is protected health information and confidential business data. Look only at what you need, keep it secure, and do not copy it outside the systems your organization has approved.

4. Tell your Primary User at once if your job changes, if you leave, or if you think someone has used your user ID. If you suspect that the security of your account has been compromised, call MassHealth Customer Service at 1-800-841-2900.

5. Your use of the portal is recorded and reviewed. Signing in, changes to access and downloads are kept in an audit trail that cannot be erased.

6. Automated tools that act for a person on the portal need MassHealth's approval before use.

By selecting "I Accept" you agree to these terms."""


def first_terms_load(terms_model) -> None:
    terms_model.objects.get_or_create(
        version=FIRST_VERSION,
        defaults={"title": FIRST_TITLE, "text": FIRST_TEXT, "published_at": timezone.now()},
    )
