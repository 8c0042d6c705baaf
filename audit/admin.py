"""The audit trail in the agency admin: read only, never editable or deletable (AU-01)."""

from django.contrib import admin

from accounts.admin import AgencyStaffAdminMixin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(AgencyStaffAdminMixin, admin.ModelAdmin):
    # AgencyStaffAdminMixin: no add, no change, no delete, whatever the user's model permissions.
    list_display = ("at", "action", "actor_username", "target_username", "pidsl", "organization", "ip_address")
    list_select_related = ("pidsl", "organization")
    list_filter = ("action", "at")
    search_fields = ("actor_username", "target_username")
    ordering = ("-at", "-id")
    # The table gets big: no second COUNT(*) of the whole table on every page.
    show_full_result_count = False
    list_per_page = 50

    def get_actions(self, request):
        # No bulk delete of the audit trail, ever (AU-01).
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions
