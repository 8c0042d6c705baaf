"""The organization's Compliance page: its findings (audit/compliance/findings.py), computed on every load.

Each rule shows its count and its first findings; a rule with more has its own paginated page
(an organization of the state's size has hundreds of thousands of inactive-user findings).
Readers are those of audit/access.py. A fix link shows only to those who administer the
finding's PID/SL: a compliance officer or agency staff reads the same findings as text."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views import View

from posc import screens
from providers import authority
from providers.models import Organization

from ..access import OrganizationViewerMixin
from ..models import FindingSnapshot
from .findings import RULES, matches_for_organization, rule_matches

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
        groups, total = [], 0
        for rule_id, matches in matches_for_organization(self.organization).items():
            count = matches.count()
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
        matches = rule_matches(self.organization, rule)
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
