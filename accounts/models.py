"""The portal's user: one user ID per person (US-01), owned by a home organization."""

import unicodedata

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.cache import cache
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.crypto import salted_hmac

pin_validator = RegexValidator(r"^\d{4}$", "The PIN must be exactly 4 digits. (US-02)")
zip_validator = RegexValidator(r"^\d{5}(\d{4})?$", "Enter a 5-digit or 9-digit ZIP code. (US-02)")
middle_initial_validator = RegexValidator(r"^[A-Za-z]?$", "The middle initial is one letter.")


def display_name(last_name: str, first_name: str) -> str:
    """The POSC's "DOE, JOHN" form."""
    return f"{last_name}, {first_name}".upper()


class User(AbstractUser):
    # AbstractUser gives username (the user ID), first/last name, email, is_active,
    # is_staff (agency staff) and last_login (last sign-in).
    middle_initial = models.CharField(max_length=1, blank=True, validators=[middle_initial_validator])
    # Date of birth is month and day only, as the POSC asks; sensitive (never logged).
    birth_month = models.PositiveSmallIntegerField(null=True, blank=True)
    birth_day = models.PositiveSmallIntegerField(null=True, blank=True)
    # Sensitive: never in logs, audit payloads or reports.
    pin = models.CharField("PIN", max_length=4, blank=True, validators=[pin_validator])
    zip_code = models.CharField(max_length=9, blank=True, validators=[zip_validator])
    phone = models.CharField(max_length=20, blank=True)
    home_organization = models.ForeignKey(
        "providers.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        help_text="The organization that owns this user ID (empty for agency staff).",
    )
    must_change_password = models.BooleanField(default=False)
    temporary_password_expires_at = models.DateTimeField(null=True, blank=True)
    terms_version = models.CharField(max_length=20, blank=True)
    terms_accepted_at = models.DateTimeField(null=True, blank=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    # ASVS 7.4.2: raised on deactivation, it changes the session hash Django checks on every
    # request, so every session opened before ends (and stays ended after a reactivation). The
    # database default lets bulk loads (COPY, generate_scale_data) leave it out.
    session_epoch = models.PositiveIntegerField(default=0, db_default=0)
    # US-09: when the dormancy clock last restarted without a sign-in ("Keep these users", a
    # reactivation). The clock runs from the latest of this, the last sign-in and the creation.
    dormancy_restarted_at = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    # Fields that must never leave the database in an audit record or report.
    SENSITIVE_FIELDS = frozenset({"pin", "birth_month", "birth_day", "password"})

    class Meta:
        ordering = ["last_name", "first_name", "username"]
        constraints = [
            # US-01: one user ID per person, said in SQL so two requests cannot both create one.
            models.UniqueConstraint(
                Lower("last_name"),
                Lower("first_name"),
                "birth_month",
                "birth_day",
                "pin",
                name="user_one_id_per_person",
                condition=~models.Q(pin=""),
            ),
            models.CheckConstraint(
                condition=models.Q(birth_month__isnull=True) | models.Q(birth_month__gte=1, birth_month__lte=12),
                name="user_birth_month_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(birth_day__isnull=True) | models.Q(birth_day__gte=1, birth_day__lte=31),
                name="user_birth_day_valid",
            ),
        ]
        indexes = [
            models.Index(Lower("last_name"), Lower("first_name"), name="user_name_lower_idx"),
            # Organization Users lists an organization's users in this order, a page at a time: an
            # index scan, not a sort of all 50,000 of a large organization's users on every page.
            models.Index(
                fields=["home_organization", "last_name", "first_name", "username"], name="user_org_name_order"
            ),
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def display_name(self) -> str:
        return display_name(self.last_name, self.first_name)

    @property
    def is_agency_staff(self) -> bool:
        return self.is_staff

    @property
    def organization_name(self) -> str:
        # For the password similarity check (SECURITY.md: not the organization's name).
        return self.home_organization.name if self.home_organization_id else ""

    def _get_session_auth_hash(self, secret=None):
        # Django's hash of the password, with the session epoch once it was raised (epoch 0 keeps
        # the stock value, so the sessions open when this was deployed stay valid).
        if not self.session_epoch:
            return super()._get_session_auth_hash(secret=secret)
        return salted_hmac(
            "accounts.User.session_auth_hash",
            f"{self.password}:{self.session_epoch}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def set_password(self, raw_password):
        # NIST SP 800-63B-4 / ASVS 6.2.9: the same characters typed differently hash the same.
        if raw_password is not None:
            raw_password = unicodedata.normalize("NFC", raw_password)
        super().set_password(raw_password)

    def check_password(self, raw_password):
        return super().check_password(unicodedata.normalize("NFC", raw_password or ""))

    @property
    def birth_mmdd(self) -> str:
        if self.birth_month and self.birth_day:
            return f"{self.birth_month:02d}/{self.birth_day:02d}"
        return ""


class Terms(models.Model):
    """A version of the Terms and Conditions every user accepts (US-03). New versions are
    added, never edited, so what each user accepted stays readable."""

    version = models.CharField(max_length=20, unique=True)
    title = models.CharField(max_length=200)
    text = models.TextField()
    published_at = models.DateTimeField()

    class Meta:
        ordering = ["-published_at"]
        verbose_name_plural = "terms"

    def __str__(self) -> str:
        return f"{self.title} ({self.version})"

    CACHE_KEY = "posc:current-terms"
    CACHE_SECONDS = 60  # another web process sees newly published terms within a minute

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        cache.delete(self.CACHE_KEY)

    @classmethod
    def current(cls) -> "Terms | None":
        # Asked on every signed-in request (US-03): kept in the process's cache, dropped on save.
        terms = cache.get(cls.CACHE_KEY)
        if terms is None:
            terms = cls.objects.order_by("-published_at").first()
            if terms is not None:
                cache.set(cls.CACHE_KEY, terms, cls.CACHE_SECONDS)
        return terms
