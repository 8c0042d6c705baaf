"""Organizations, PID/SLs and access in the agency admin.

Enrollment (providers.services.organization_enroll / pidsl_enroll) is a service with its
own screen, so nothing is added here; nothing is deleted (PROTECT, and an auditor may ask).
Access, services, change requests, compliance assignments and notifications are written
only by the services: read-only here. Change requests are decided by the actions below,
which call the services.
"""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.admin import AgencyStaffAdminMixin, SeenRowAdminMixin, refusal_text
from posc.forms import SeenFieldsMixin
from posc.policy import PolicyViolation

from . import services
from .models import Access, ComplianceAssignment, Notification, Organization, PidSl, PrimaryChangeRequest, Service


class ReadOnlyAdmin(AgencyStaffAdminMixin, admin.ModelAdmin):
    """View only: no add, change or delete (Django then shows the change page read-only)."""


class SeenForm(SeenFieldsMixin, forms.ModelForm):
    """The change form: each field carries what the page showed (issue 15)."""


class UpdateFieldsAdmin(SeenRowAdminMixin, AgencyStaffAdminMixin, admin.ModelAdmin):
    """Change goes through the model's update service (audited, AU-01) with the fields the form
    changed, never the read-only ones; a field someone else changed since the page was opened is
    shown with its present value instead of being overwritten (issue 15)."""

    editable = True
    update_service = None
    form = SeenForm

    def save_model(self, request, obj, form, change):
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        if changes:
            type(self).update_service(
                actor=request.user, changes=changes, seen=form.seen(), **{self.opts.model_name: obj}
            )


@admin.register(Organization)
class OrganizationAdmin(UpdateFieldsAdmin):
    update_service = services.organization_update
    fields = ("name", "kind", "is_long_term_care", "is_pace", "is_sco", "created_at")
    # The provider traits decide which services can be granted (SV-02): not editable here.
    readonly_fields = ("kind", "is_long_term_care", "is_pace", "is_sco", "created_at")
    list_display = ("name", "kind", "is_long_term_care", "is_pace", "is_sco", "created_at")
    list_filter = ("kind", "is_long_term_care", "is_pace", "is_sco")
    search_fields = ("name",)


@admin.register(PidSl)
class PidSlAdmin(UpdateFieldsAdmin):
    update_service = services.pidsl_update
    fields = ("organization", "provider_id", "service_location", "name", "street", "city", "state", "zip_code")
    readonly_fields = ("organization", "provider_id", "service_location", "created_at")
    list_display = ("code", "name", "organization", "city", "zip_code")
    list_select_related = ("organization",)
    list_filter = ("organization__kind",)
    search_fields = ("provider_id", "name", "organization__name", "city", "zip_code")

    @admin.display(description=gettext_lazy("PID/SL"), ordering="provider_id")
    def code(self, obj):
        return obj.code


@admin.register(Service)
class ServiceAdmin(ReadOnlyAdmin):
    list_display = ("position", "label", "role_name", "code", "constraint")
    list_display_links = ("label",)
    search_fields = ("label", "role_name", "code")
    ordering = ("position",)


@admin.register(Access)
class AccessAdmin(ReadOnlyAdmin):
    list_display = ("user", "pidsl", "organization", "role", "granted_by", "granted_at", "ended_at")
    list_select_related = ("user", "pidsl__organization", "granted_by")
    list_filter = ("role", ("ended_at", admin.EmptyFieldListFilter), "pidsl__organization__kind")
    search_fields = ("user__username", "user__last_name", "pidsl__provider_id", "pidsl__name")
    ordering = ("-granted_at",)
    show_full_result_count = False

    @admin.display(description=gettext_lazy("organization"), ordering="pidsl__organization__name")
    def organization(self, obj):
        return obj.pidsl.organization


@admin.register(PrimaryChangeRequest)
class PrimaryChangeRequestAdmin(ReadOnlyAdmin):
    list_display = ("pidsl", "new_primary", "status", "requested_by", "requested_at", "decided_by", "decided_at")
    list_select_related = ("pidsl", "new_primary", "requested_by", "decided_by")
    list_filter = ("status", "requested_at")
    search_fields = ("pidsl__provider_id", "pidsl__name", "new_primary__username", "new_primary__last_name")
    actions = ("approve_requests", "reject_requests")

    def _decide(self, request, queryset, service, done, **kwargs):
        for change_request in queryset:
            try:
                service(actor=request.user, request=change_request, **kwargs)
            except PolicyViolation as exc:
                self.message_user(request, f"{change_request}: {refusal_text(exc)}", level=messages.ERROR)
            else:
                self.message_user(
                    request,
                    done % {"pidsl": change_request.pidsl.code, "user": change_request.new_primary},
                    level=messages.SUCCESS,
                )

    @admin.action(description=gettext_lazy("Approve selected change requests"), permissions=["agency"])
    def approve_requests(self, request, queryset):
        # PU-06: the Primary User role moves in the service's one transaction.
        self._decide(
            request, queryset, services.change_request_approve, _("%(user)s is now the Primary User of %(pidsl)s.")
        )

    @admin.action(description=gettext_lazy("Reject selected change requests"), permissions=["agency"])
    def reject_requests(self, request, queryset):
        self._decide(
            request,
            queryset,
            services.change_request_reject,
            _("The change request for %(pidsl)s (%(user)s) was rejected."),
            note="Rejected by agency staff",
        )


@admin.register(ComplianceAssignment)
class ComplianceAssignmentAdmin(ReadOnlyAdmin):
    list_display = ("user", "organization", "granted_by", "granted_at", "ended_at")
    list_select_related = ("user", "organization", "granted_by")
    list_filter = (("ended_at", admin.EmptyFieldListFilter),)
    search_fields = ("user__username", "user__last_name", "organization__name")


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "organization", "kind", "subject_user", "pidsl", "delivered_at")
    list_select_related = ("organization", "subject_user", "pidsl")
    list_filter = ("kind", ("delivered_at", admin.EmptyFieldListFilter), "created_at")
    search_fields = ("organization__name", "subject_user__username", "message")
    show_full_result_count = False
