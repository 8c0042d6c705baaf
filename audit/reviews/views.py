"""Access review screens: each organization's schedule and reviews, the review itself with a
decision per item, completion with the attestation, and the reports (AR-01..AR-05)."""

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import F, Sum
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views import View

from posc import screens
from posc.policy import NotAuthorized, PolicyViolation
from providers import authority
from providers.models import Organization, Service
from providers.selectors import backup_user_ids

from ..access import OrganizationViewerMixin
from ..models import (
    DEFAULT_STRENGTH,
    AccessReview,
    AuditEvent,
    DefaultDecision,
    EvidencePackage,
    ProgramReviewSettings,
    Report,
    ReviewCount,
    ReviewItem,
)
from ..sealed import SealBroken, open_sealed, refuse_broken
from ..services import audit_record
from . import defaults, first
from . import services as reviews
from .forms import (
    CompleteForm,
    DecideManyForm,
    DecisionForm,
    DefaultDecisionForm,
    PageForm,
    ProgramSettingsForm,
    ReviewFilterForm,
    ScheduleForm,
)
from .paging import ReviewRows
from .paging import progress as review_progress

PAGE_SIZE = 25
PIDSL_CHOICES = 30


class ReviewsIndexView(LoginRequiredMixin, View):
    """Every organization the user may read, with its schedule and review status."""

    def get(self, request):
        ids = authority.viewable_organization_ids(request.user)
        if ids is not None and not ids:
            screens.refuse(request, "No organization's reviews are yours to see.", detail="access reviews")
        organizations = Organization.objects.all() if ids is None else Organization.objects.filter(pk__in=ids)
        # The review dates the database keeps on each organization (audit 0023): no join to reviews.
        organizations = organizations.annotate(
            last_completed=F("last_review_completed"), open_due=F("open_review_due")
        ).order_by("name")
        page = Paginator(organizations, PAGE_SIZE).get_page(request.GET.get("page"))
        return render(request, "audit/reviews_index.html", {"page": page, "today": timezone.localdate()})


class OrganizationReviewsView(OrganizationViewerMixin, View):
    def get(self, request, org):
        org_reviews = AccessReview.objects.filter(organization=self.organization).order_by("-period_end")
        page = Paginator(org_reviews, PAGE_SIZE).get_page(request.GET.get("page"))
        # The shown reviews' progress from their kept counts (ReviewCount), after the page is cut: a
        # large organization's review has a million items, never counted here.
        progress = {
            row["review"]: row
            for row in ReviewCount.objects.filter(review__in=[r.pk for r in page.object_list])
            .order_by()
            .values("review")
            .annotate(total=Sum("total"), pending=Sum("pending"))
        }
        for review in page.object_list:
            counts = progress.get(review.pk, {})
            review.total, review.pending = counts.get("total", 0), counts.get("pending", 0)
        reports = Report.objects.filter(organization=self.organization).select_related("requested_by")[:20]
        last = self.organization.reviews.order_by("-period_end").values_list("period_end", flat=True).first()
        return render(
            request,
            "audit/organization_reviews.html",
            {
                "organization": self.organization,
                "page": page,
                "reports": reports,
                "frequencies": Organization.ReviewFrequency.choices,
                "next_due": reviews.next_review_date(self.organization, last),
                "can_administer": authority.may_run_review(request.user, self.organization.pk),
                "is_primary": authority.may_act_as_organization_primary(request.user, self.organization.pk),
                **self._default_context(),
            },
        )

    def _default_context(self) -> dict:
        """AR-06: the organization's default decision, the program's grace period and minimum."""
        program = ProgramReviewSettings.current()
        value = defaults.effective_default(self.organization.pk, program)
        strength = DEFAULT_STRENGTH[program.minimum_default]
        return {
            "program": program,
            "default_value": value,
            "default_label": DefaultDecision(value).label,
            "default_choices": [c for c in DefaultDecision.choices if DEFAULT_STRENGTH[c[0]] >= strength],
            "days_to_complete": settings.POSC_REVIEW_DAYS_TO_COMPLETE,
        }


class ReviewActionView(OrganizationViewerMixin, View):
    """POST-only actions on an organization's reviews; the services decide who may."""

    http_method_names = ["post"]
    action = ""

    def post(self, request, org, review=None, item=None):
        try:
            return self.act(request, review, item)
        except ValidationError as exc:
            # Readers (a compliance officer) change nothing, and a refused decision changes nothing:
            # a 403 with the reason, audited.
            back = reverse("reviews:detail", args=[org, review]) if review else None
            back = back or reverse("reviews:organization", args=[self.organization.pk])
            return screens.refusal(request, exc, close_url=back, organization=self.organization)

    def _review(self, review_id) -> AccessReview:
        return get_object_or_404(AccessReview, pk=review_id, organization=self.organization)

    def act(self, request, review_id, item_id):
        user = request.user
        if self.action == "schedule":
            form = ScheduleForm(request.POST)
            # A value that is no number is left to the service's own refusal (AR-01), which comes
            # after its check of who may set the schedule.
            months = form.cleaned_data["months"] if form.is_valid() else 0
            reviews.review_schedule_set(actor=user, organization=self.organization, months=months)
            return redirect("reviews:organization", self.organization.pk)
        if self.action == "default_decision":
            form = DefaultDecisionForm(request.POST)
            choice = form.cleaned_data["default_decision"] if form.is_valid() else ""
            reviews.review_default_set(actor=user, organization=self.organization, default_decision=choice)
            return redirect("reviews:organization", self.organization.pk)
        if self.action == "start":
            review = reviews.review_create(organization=self.organization, actor=user)
            return redirect("reviews:detail", self.organization.pk, review.pk)
        if self.action == "user_access_report":
            reviews.user_access_report_request(actor=user, organization=self.organization)
            return redirect(f"{reverse('reviews:organization', args=[self.organization.pk])}#reports")
        review = self._review(review_id)
        if self.action == "decide":
            item_obj = get_object_or_404(ReviewItem.objects.select_related("pidsl"), pk=item_id, review=review)
            # Who may comes before what they sent: a reader's empty form is a 403, not a form error.
            refusal = authority.decide_refusal(user, item_obj)
            if refusal is not None:
                raise refusal
            form = DecisionForm(request.POST)
            if not form.is_valid():
                raise PolicyViolation("AR-02", " ".join(m for ms in form.errors.values() for m in ms), field="decision")
            # A service the PID/SL does not allow reaches the service, which refuses it by name (SV-02,
            # ASVS 15.3.3): never dropped in silence.
            reviews.review_decide(
                actor=user,
                item=item_obj,
                decision=form.cleaned_data["decision"],
                services=form.cleaned_data["services"],
            )
        elif self.action == "decide_many":
            return self._decide_many(request, review)
        elif self.action == "keep_remaining":
            reviews.review_keep_remaining(actor=user, review=review)
        elif self.action == "complete":
            form = CompleteForm(request.POST)
            attested = form.is_valid() and form.cleaned_data["attested"] == "on"
            reviews.review_complete(actor=user, review=review, attested=attested)
            return redirect("reviews:organization", self.organization.pk)
        back = PageForm(request.POST)
        page = back.cleaned_data["page"] if back.is_valid() and back.cleaned_data["page"] else 1
        return redirect(f"{reverse('reviews:detail', args=[self.organization.pk, review.pk])}?page={page}")

    def _decide_many(self, request, review):
        """Issue 16: the selected rows in one step; removing a backup asks first (PU-03)."""
        # Who may comes before what they sent: a reader with no row to decide here is a 403 (AR-02, AR-05).
        authority.require_reviewer(request.user, self.organization)
        if not ReviewItem.objects.filter(review=review).filter(authority.decidable_items_q(request.user)).exists():
            raise NotAuthorized(_("No row of this review is yours to decide (AR-02, AR-05)."), rule="AR-02")
        form = DecideManyForm(request.POST)
        # Any whole numbers: which items exist and may be decided is the service's question.
        ids = [int(v) for v in request.POST.getlist("items") if v.isdigit() and len(v) < 12]
        if not form.is_valid() or not ids:
            raise PolicyViolation("AR-02", _("Select rows and a decision."), field="items")
        data = form.cleaned_data
        args = {
            "item_ids": ids,
            "decision": data["decision"] or None,
            "accept_recommendations": data["accept"] == "1",
        }
        back = reverse("reviews:detail", args=[self.organization.pk, review.pk])
        warnings = reviews.backup_removals(review, **args)
        if warnings and data["confirmed"] != "1":
            return render(
                request,
                "audit/review_confirm.html",
                {"organization": self.organization, "review": review, "warnings": warnings, "close_url": back, **args},
            )
        done, left = reviews.review_decide_many(
            actor=request.user, review=review, confirmed=data["confirmed"] == "1", **args
        )
        return render(
            request,
            "audit/review_decided.html",
            {"organization": self.organization, "review": review, "done": done, "left": left, "close_url": back},
        )


class ReviewDetailView(OrganizationViewerMixin, View):
    def get(self, request, org, review):
        review = get_object_or_404(AccessReview, pk=review, organization=self.organization)
        first.shown_closed(request, review)
        show = request.GET.get("show", "pending" if review.status == AccessReview.Status.OPEN else "all")
        # Issue 16: filters a large organization works through, and (for the reviewers of an open
        # review) only the rows they may decide, with a count of the others (AR-02, AR-05).
        filters = ReviewFilterForm(request.GET)
        chosen = filters.cleaned_data if filters.is_valid() else {}
        # The filter's choices, which also name the chosen PID/SL; another organization's matches no row.
        pidsls = self.organization.pidsls.order_by("provider_id", "service_location")
        codes = {f"{pid}{sl}": pk for pk, pid, sl in pidsls.values_list("pk", "provider_id", "service_location")}
        pidsl_id = codes.get(chosen["pidsl"], 0) if chosen.get("pidsl") else None
        is_open = review.status == AccessReview.Status.OPEN
        deciding = is_open and chosen.get("scope") != "all" and authority.may_run_review(request.user, org)
        # AR-02, AR-05: the page shows a decision form exactly where the service would accept one.
        administered = set(authority.administered_pidsl_ids(request.user).values_list("pidsl_id", flat=True))
        scope = {}
        if deciding:
            allowed, own = authority.decidable_scope(request.user, administered)
            scope = {"allowed": allowed, "exclude_user": own}
        items = ReviewRows(
            review,
            pending=show == "pending",
            pidsl_id=pidsl_id,
            recommendation=chosen.get("recommendation") or "",
            **scope,
        )
        others = items.others if deciding else 0
        page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
        services = {s.code: s for s in Service.objects.all()}
        # The services held, in words, as one line a row (the cell a template loop per service cost
        # the million-item review's page a tenth of its time).
        rows = [
            (item, ", ".join(services[c].label for c in item.services_before if c in services))
            for item in page.object_list
        ]
        program = ProgramReviewSettings.current() if is_open else None
        grantable = authority.organization_services(self.organization, authority.SUBORDINATE)
        for item in page.object_list:
            item.role_label = authority.role_label(item.role)
            item.may_decide = is_open and not item.decision and authority.may_decide(request.user, item, administered)
            item.is_own = item.user_id == request.user.pk
            if item.may_decide:
                allowed = authority.review_decisions(item)
                item.decision_choices = [c for c in ReviewItem.Decision.choices if c[0] in allowed]
                item.may_modify = ReviewItem.Decision.MODIFY in allowed
                if item.may_modify:
                    held = set(item.services_before)
                    item.service_boxes = [(s.code, s.label, _box_state(s, held)) for s in grantable]
        # PU-03 (issue 18): removing or deactivating a PID/SL's backup Primary User leaves it with none;
        # the decision says so where it is made. One query, for the rows a reader decides.
        deciding_on = {item.pidsl_id for item in page.object_list if item.may_decide}
        backups = backup_user_ids(deciding_on) if deciding_on else {}
        for item in page.object_list:
            item.leaves_no_backup = item.may_decide and backups.get(item.pidsl_id) == item.user_id
        return render(
            request,
            "audit/review_detail.html",
            {
                "organization": self.organization,
                "review": review,
                "page": page,
                "rows": rows,
                "show": show,
                "filters": chosen,
                "query": _query(request, exclude=("page",)),
                "deciding": deciding,
                "others": others,
                # A list to choose from while it is short; a large organization types the PID/SL.
                "pidsl_options": [(code, code == chosen.get("pidsl")) for code in codes]
                if len(codes) <= PIDSL_CHOICES
                else None,
                "recommendations": [c for c in ReviewItem.Decision.choices if c[0] != ReviewItem.Decision.DEACTIVATE],
                "deadline": defaults.deadline(review, program) if is_open else None,
                "default_label": DefaultDecision(defaults.effective_default(self.organization.pk, program)).label
                if is_open
                else "",
                "progress": review_progress(review),
                "attestation": reviews.ATTESTATION,
                "reports": review.reports.all(),
                "evidence": EvidencePackage.objects.filter(review=review).first(),
                "may_download_evidence": authority.may_download_evidence(request.user, self.organization.pk),
            },
        )


# A modify form's checkbox attributes, chosen here once a row rather than tested per service in the
# template (25 rows of a dozen services each were a fifth of the large review's page).
_BOX_STATES = {
    (False, False): "",
    (True, False): mark_safe(" checked"),
    (False, True): mark_safe(" disabled"),
    (True, True): mark_safe(" checked disabled"),
}


def _box_state(service, held: set[str]) -> str:
    return _BOX_STATES[(service.code in held, service.is_always_held)]


def _query(request, *, exclude=()) -> str:
    """The page's filters, for the pagination links and the bulk form's way back."""
    kept = request.GET.copy()
    for key in exclude:
        kept.pop(key, None)
    return kept.urlencode()


class ReportDownloadView(OrganizationViewerMixin, View):
    """A finished report, streamed; the file name is the server's (ASVS 5.4.1); audited (AU-01)."""

    def get(self, request, org, report):
        report = get_object_or_404(
            Report.objects.select_related("built_event"), pk=report, organization=self.organization
        )
        if report.status != Report.Status.DONE:
            raise Http404("The report is not ready.")
        try:
            # AU-02: re-hashed against the chain's record of it on every download.
            handle = open_sealed(
                report.file_path, report.built_event, {"report": report.pk}, unsealed_sha256=report.sha256
            )
        except SealBroken as broken:
            close = reverse("reviews:organization", args=[self.organization.pk])
            return refuse_broken(request, broken, what="report", organization=self.organization, close_url=close)
        audit_record(
            action=AuditEvent.Action.REPORT_DOWNLOAD,
            actor=request.user,
            organization=self.organization,
            after={"report": report.pk, "kind": report.kind, "sha256": report.sha256},
        )
        extension = "pdf" if report.kind == Report.Kind.REVIEW_PDF else "csv"
        name = f"{report.kind.replace('_', '-')}-org{self.organization.pk}-{report.pk}.{extension}"
        return FileResponse(handle, as_attachment=True, filename=name)


class EvidenceDownloadView(OrganizationViewerMixin, View):
    """AU-02: a completed review's evidence package, re-hashed against the chain before it is served."""

    def get(self, request, org, review):
        package = get_object_or_404(
            EvidencePackage.objects.select_related("sealed_event"), review_id=review, organization=self.organization
        )
        if not authority.may_download_evidence(request.user, self.organization.pk):
            screens.refuse(
                request,
                "Only the organization's compliance officers and MassHealth staff download evidence packages (AU-02).",
                detail=f"evidence package of review {review}",
                organization=self.organization,
            )
        try:
            handle = open_sealed(package.file_path, package.sealed_event, {"evidence": package.review_id})
        except SealBroken as broken:
            close = reverse("reviews:detail", args=[self.organization.pk, review])
            return refuse_broken(
                request, broken, what="evidence package", organization=self.organization, close_url=close
            )
        audit_record(
            action=AuditEvent.Action.EVIDENCE_DOWNLOAD,
            actor=request.user,
            organization=self.organization,
            after={"evidence": package.review_id, "sha256": package.sha256},
        )
        name = f"evidence-org{self.organization.pk}-review{package.review_id}.zip"
        return FileResponse(handle, as_attachment=True, filename=name)


class ReportStatusView(OrganizationViewerMixin, View):
    def get(self, request, org, report):
        report = get_object_or_404(Report, pk=report, organization=self.organization)
        return JsonResponse({"status": report.status, "label": report.get_status_display(), "rows": report.rows_done})


class ProgramSettingsView(LoginRequiredMixin, View):
    """AR-06, agency staff: the grace period after a review's due date and the weakest default
    decision an organization may choose."""

    def _page(self, request, form=None, saved=False, status=200):
        program = ProgramReviewSettings.current()
        form = form or ProgramSettingsForm(
            initial={"grace_days": program.grace_days, "minimum_default": program.minimum_default}
        )
        context = {"form": form, "program": program, "saved": saved}
        return render(request, "audit/program_settings.html", context, status=status)

    def get(self, request):
        if not authority.is_agency(request.user):
            screens.refuse(request, "Only MassHealth agency staff set the review program.", detail="review program")
        return self._page(request, saved=request.GET.get("saved") == "1")

    def post(self, request):
        form = ProgramSettingsForm(request.POST)
        try:
            authority.require_agency(request.user)
            if not form.is_valid():
                return self._page(request, form, status=400)
            reviews.program_review_settings_set(
                actor=request.user,
                grace_days=form.cleaned_data["grace_days"],
                minimum_default=form.cleaned_data["minimum_default"],
            )
        except ValidationError as exc:
            return screens.refusal(request, exc, close_url=reverse("reviews:program"))
        return redirect(f"{reverse('reviews:program')}?saved=1")
