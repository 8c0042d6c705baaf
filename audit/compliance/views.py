"""The organization's Compliance page: its findings (audit/compliance/findings.py). Each rule's number
is kept (audit/compliance/tallies.py), or for the few bounded rules counted, and a rule with none
is not queried further.

Each rule shows its number and its first findings; a rule with more has its own paginated page
(an organization of the state's size has hundreds of thousands of inactive-user findings).
Readers are those of audit/access.py. A fix link shows only to those who administer the
finding's PID/SL: a compliance officer or agency staff reads the same findings as text."""

from dataclasses import replace

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View

from posc import screens
from providers import authority
from providers.models import Organization

from ..access import OrganizationViewerMixin
from ..models import AuditEvent, FindingSnapshot
from ..services import audit_record
from . import program, tallies
from .findings import RULES, matches_for_organization, rule_matches
from .forms import ProgramFilterForm

PAGE_SIZE = 25
# Findings a rule shows on the organization's page before "Show all".
PREVIEW = 10


class ComplianceIndexView(LoginRequiredMixin, View):
    """The organizations the user may read; straight to the page when there is only one."""

    def get(self, request):
        ids = authority.viewable_organization_ids(request.user)
        organizations = Organization.objects.order_by("name")
        if ids is not None:
            organizations = organizations.filter(pk__in=ids)
        page = Paginator(organizations, PAGE_SIZE).get_page(request.GET.get("page"))
        if page.paginator.count == 0:
            screens.refuse(request, "You may not see any organization's compliance data.", detail="compliance pages")
        if page.paginator.count == 1:
            return redirect("compliance:organization", org=page.object_list[0].pk)
        return render(request, "audit/compliance.html", {"page": page})


class ComplianceView(OrganizationViewerMixin, View):
    def get(self, request, org):
        fixable = authority.pidsl_roles(request.user, self.organization.pk)
        now = timezone.now()
        kept = tallies.counts([self.organization.pk], now)[self.organization.pk]
        groups, total = [], 0
        for rule_id, matches in matches_for_organization(self.organization, now=now).items():
            # The kept number, or for the few LIVE rules their matches counted (each found once).
            count = kept[rule_id] if rule_id in kept else matches.count()
            if count:
                shown = [(f, authority.may_fix(f, fixable)) for f in matches[:PREVIEW]]
                groups.append((RULES[rule_id], shown, count))
                total += count
        return render(
            request,
            "audit/compliance.html",
            {
                "organization": self.organization,
                "groups": groups,
                "total": total,
                # The stored list can be long; the page needs only when and how many.
                "last_scan": FindingSnapshot.objects.filter(organization=self.organization).defer("findings").first(),
            },
        )


class ComplianceRuleView(OrganizationViewerMixin, View):
    """Every finding of one rule, a page at a time."""

    def get(self, request, org, rule):
        if rule not in RULES:
            raise Http404("No such rule.")
        now = timezone.now()
        matches = rule_matches(self.organization, rule, now=now)
        # The number of findings is kept (the few LIVE rules are counted by the paginator).
        if rule in tallies.KEPT:
            matches.known_count = tallies.counts([self.organization.pk], now)[self.organization.pk][rule]
        page = Paginator(matches, PAGE_SIZE).get_page(request.GET.get("page"))
        fixable = authority.pidsl_roles(request.user, self.organization.pk)
        return render(
            request,
            "audit/compliance_rule.html",
            {
                "organization": self.organization,
                "rule": RULES[rule],
                "page": page,
                "rows": [(f, authority.may_fix(f, fixable)) for f in page.object_list],
            },
        )


class ProgramReaderMixin(LoginRequiredMixin):
    """MassHealth staff and compliance officers (authority.may_read_program); ``self.filters`` and
    ``self.organizations`` are the list the page or the CSV shows, or the form's errors a 400."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not authority.may_read_program(request.user):
            screens.refuse(
                request, "The program view is for MassHealth staff and compliance officers.", detail="program view"
            )
        self.form = ProgramFilterForm(request.GET or None)
        if self.form.is_bound and not self.form.is_valid():
            return render(request, "audit/program.html", {"form": self.form, "rules": RULES}, status=400)
        self.today = timezone.localdate()
        self.filters = program.Filters(**(self.form.cleaned_data if self.form.is_bound else {}))
        self.organizations = program.program_organizations(request.user, self.filters, self.today)
        return super().dispatch(request, *args, **kwargs)


class ProgramView(ProgramReaderMixin, View):
    """Every organization the reader oversees, with its review status, weak PID/SLs, findings by
    rule and this month's dormancy losses; filter, sort, page, export (audit/compliance/program.py)."""

    def get(self, request):
        # The status counts are of the list without its own status filter: what each choice would show.
        counted = program.program_organizations(request.user, replace(self.filters, status=""), self.today)
        page = Paginator(self.organizations, PAGE_SIZE).get_page(request.GET.get("page"))
        rows = program.enrich(list(page.object_list), self.today)
        query = request.GET.copy()
        query.pop("page", None)
        context = {
            "form": self.form,
            "page": page,
            "rows": rows,
            "rules": RULES,
            "counts": [(key, program.STATUSES[key], n) for key, n in program.status_counts(counted).items()],
            "query": query.urlencode(),
        }
        return render(request, "audit/program.html", context)


class ProgramExportView(ProgramReaderMixin, View):
    """The program view's list as CSV, streamed a batch of organizations at a time; audited (AU-01)."""

    def get(self, request):
        filters, orgs, today = self.filters, self.organizations, self.today
        audit_record(
            action=AuditEvent.Action.REPORT_DOWNLOAD,
            actor=request.user,
            organization=request.user.home_organization,
            after={"report": "program", "filters": {k: v for k, v in vars(filters).items() if v}},
        )
        response = StreamingHttpResponse(program.csv_lines(orgs, today), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="program-{today:%Y-%m-%d}.csv"'
        return response
