"""The agency admin (/agency/admin/) for MassHealth agency staff, and the User screen.

Agency staff are is_staff users without model permissions, so the ModelAdmins here
decide access themselves: an active staff user may view, nobody else gets in. Writes
that have a service go through it (DESIGN "One domain layer"): the admin actions call
the services with actor=request.user and show a refusal (PolicyViolation) as an error.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from posc.forms import SeenFieldsMixin
from posc.policy import PolicyViolation
from subordinates import services as subordinate_services

from .models import User

# The User fields no admin page shows, filters or searches by (User.SENSITIVE_FIELDS).
SENSITIVE_LOOKUPS = frozenset(User.SENSITIVE_FIELDS)


def is_agency_staff(request) -> bool:
    user = request.user
    return bool(user.is_authenticated and user.is_active and user.is_staff)


def refusal_text(exc: PolicyViolation) -> str:
    return "; ".join(exc.messages)


class AgencyStaffAdminMixin:
    """Active agency staff may view (and change what `editable` allows); nobody adds or deletes.

    Ignores model permissions on purpose, superusers included: the rules below are
    the only way in, so a stray permission cannot open a write that bypasses the services.
    """

    editable = False

    def has_module_permission(self, request):
        return is_agency_staff(request)

    def has_view_permission(self, request, obj=None):
        return is_agency_staff(request)

    def has_change_permission(self, request, obj=None):
        return self.editable and is_agency_staff(request)

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def lookup_allowed(self, lookup, value, request=None):
        # ASVS 8.2.3 (field-level access): a changelist filter on a PIN, a date of birth or a password hash
        # (`?pin=1234`, `?user__password__startswith=argon2$`) would recover them one guess or one
        # character at a time. Refused on every model and through every relation (a 400).
        if set(lookup.split("__")) & SENSITIVE_LOOKUPS:
            return False
        return super().lookup_allowed(lookup, value, request)

    def has_agency_permission(self, request):
        """For actions with allowed_permissions = ("agency",): they call a service that re-checks."""
        return is_agency_staff(request)


class SeenRowAdminMixin:
    """Issue 15: a change form of a shared row (its form a posc.forms.SeenFieldsMixin). On Save the
    row is read under its lock (the admin's change view is one transaction), so the form's check
    of what the page showed against what the row holds now stands until the service writes."""

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None and request.method == "POST":
            obj = type(obj)._default_manager.select_for_update(no_key=True).get(pk=obj.pk)
        return obj


class UserContactForm(SeenFieldsMixin, forms.ModelForm):
    class Meta:
        model = User
        fields = ["first_name", "middle_initial", "last_name", "email", "phone", "zip_code"]

    def validate_unique(self):
        super().validate_unique()
        # The form leaves out PIN and date of birth, so Django skips the US-01 constraint;
        # check it here so a name change that makes a duplicate person is refused, not a 500.
        try:
            self.instance.validate_constraints()
        except ValidationError:
            self.add_error(
                None,
                _("Another user ID has this name, date of birth and PIN. One user ID per person. (US-01)"),
            )


@admin.register(User)
class UserAdmin(SeenRowAdminMixin, AgencyStaffAdminMixin, admin.ModelAdmin):
    """No add or delete (users are created and deactivated by the services); contact fields only.

    PIN, date of birth and the password hash are never shown (sensitive).
    """

    editable = True
    form = UserContactForm
    contact_fields = ("first_name", "middle_initial", "last_name", "email", "phone", "zip_code")
    fieldsets = (
        (None, {"fields": ("username", "home_organization")}),
        (gettext_lazy("Contact"), {"fields": contact_fields}),
        (
            gettext_lazy("Status"),
            {
                "fields": (
                    "is_active",
                    "deactivated_at",
                    "is_staff",
                    "must_change_password",
                    "temporary_password_expires_at",
                    "terms_version",
                    "terms_accepted_at",
                    "last_login",
                    "date_joined",
                )
            },
        ),
    )
    readonly_fields = (
        "username",
        "home_organization",
        "is_active",
        "deactivated_at",
        "is_staff",
        "must_change_password",
        "temporary_password_expires_at",
        "terms_version",
        "terms_accepted_at",
        "last_login",
        "date_joined",
    )
    list_display = ("username", "name", "home_organization", "is_active", "is_staff", "last_login")
    list_filter = ("is_active", "is_staff", "must_change_password")
    search_fields = ("username", "first_name", "last_name", "email", "home_organization__name")
    list_select_related = ("home_organization",)
    show_full_result_count = False
    actions = ("deactivate_users", "reactivate_users", "reset_passwords")

    @admin.display(description=gettext_lazy("name"), ordering="last_name")
    def name(self, obj):
        return obj.display_name

    def save_model(self, request, obj, form, change):
        # The write is the service's (LK-03 authority, US-01, audit); the form only parsed it.
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name in self.contact_fields}
        if changes:
            subordinate_services.user_contact_update(actor=request.user, user=obj, changes=changes, seen=form.seen())

    def _run(self, request, queryset, service, done_message):
        for user in queryset:
            try:
                result = service(actor=request.user, user=user)
            except PolicyViolation as exc:
                self.message_user(request, f"{user}: {refusal_text(exc)}", level=messages.ERROR)
            else:
                self.message_user(request, done_message(user, result), level=messages.SUCCESS)

    @admin.action(description=gettext_lazy("Deactivate selected users"), permissions=["agency"])
    def deactivate_users(self, request, queryset):
        self._run(
            request,
            queryset,
            subordinate_services.user_deactivate,
            lambda user, _result: _("%(user)s was deactivated.") % {"user": user},
        )

    @admin.action(description=gettext_lazy("Reactivate selected users"), permissions=["agency"])
    def reactivate_users(self, request, queryset):
        self._run(
            request,
            queryset,
            subordinate_services.user_reactivate,
            lambda user, _result: _("%(user)s was reactivated.") % {"user": user},
        )

    @admin.action(description=gettext_lazy("Reset password (one-time temporary password)"), permissions=["agency"])
    def reset_passwords(self, request, queryset):
        # US-04/US-05: agency staff may reset anyone's password; the temporary password is shown once.
        self._run(
            request,
            queryset,
            subordinate_services.password_reset_temporary,
            lambda user, password: (
                _("Temporary password for %(user)s: %(password)s (shown once; it must be changed at next sign-in).")
                % {"user": user, "password": password}
            ),
        )
