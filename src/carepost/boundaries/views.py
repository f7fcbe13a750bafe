"""Thin views for the boundaries register: selector → form → one service → render."""

from __future__ import annotations

import copy
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from carepost.accounts.roles import Role
from carepost.accounts.selectors import require_membership
from carepost.boundaries import rules, selectors, services
from carepost.boundaries.forms import (
    AidForm,
    CheckupForm,
    CloseForm,
    CodesForm,
    DeclarationForm,
    GeneralSettingsForm,
    LinkForm,
    PlanForm,
    RecordForm,
    RuleForm,
    SeenForm,
    TeamFilterForm,
    TemplateForm,
    VersionForm,
)
from carepost.common.errors import ValidationFailed

HISTORY_LABELS = {
    "declaration.created": "Declared",
    "declaration.acknowledged": "Acknowledged, with a plan",
    "declaration.reviewed": "Plan reviewed",
    "declaration.plan_read": "Plan read",
    "declaration.linked": "Linked to the person on the register",
    "declaration.closed": "Closed",
}


def _status(form: Any) -> int:
    return 400 if form.is_bound and form.errors else 200


# Worker pages ---------------------------------------------------------------------------


@login_required
def home(request: HttpRequest) -> HttpResponse:
    membership = require_membership(request)
    context = {
        "requests": selectors.my_connection_requests(membership=membership)[:20],
        "declarations": selectors.my_declarations(membership=membership),
        "checkup": selectors.checkup_status(membership=membership),
        "is_manager": selectors.is_manager(membership),
        "is_admin": membership.has_role(Role.ORG_ADMIN),
        "has_manager": membership.line_manager_id is not None,
    }
    return render(request, "boundaries/home.html", context)


def _advice_context(
    membership: Any, form: AidForm, record_form: RecordForm | None = None
) -> dict[str, Any]:
    answers = form.answers()
    _, rec = selectors.recommendation_for(membership=membership, answers=answers)
    _, policy = selectors.policy_for(organisation=membership.organisation)
    if record_form is None:
        initial = {**form.cleaned_data, "outcome": rec.suggested_outcome or None}
        if initial.get("person") is not None:
            initial["person"] = initial["person"].pk
        record_form = RecordForm(initial=initial, membership=membership)
    return {
        "rec": rec,
        "answers": answers,
        "edition": policy.edition,
        "form": record_form,
        "person": form.cleaned_data.get("person"),
        "outcome_hints": rules.OUTCOME_HINTS,
        "has_manager": membership.line_manager_id is not None,
    }


@login_required
def aid(request: HttpRequest) -> HttpResponse:
    """The questions (GET) and the advice (POST: nothing is recorded yet)."""
    membership = require_membership(request)
    selectors.require_staff(membership)
    form = AidForm(request.POST or None, membership=membership)
    if request.method == "POST" and form.is_valid():
        return render(request, "boundaries/advice.html", _advice_context(membership, form))
    return render(request, "boundaries/aid.html", {"form": form}, status=_status(form))


@login_required
@require_POST
def record(request: HttpRequest) -> HttpResponse:
    membership = require_membership(request)
    selectors.require_staff(membership)
    form = RecordForm(request.POST, membership=membership)
    if not form.is_valid():
        aid_form = AidForm(request.POST, membership=membership)
        if not aid_form.is_valid():
            messages.error(request, "Some answers were missing. Please answer the questions again.")
            return redirect("boundaries:aid")
        return render(
            request,
            "boundaries/advice.html",
            _advice_context(membership, aid_form, form),
            status=400,
        )
    d = form.cleaned_data
    try:
        item = services.connection_request_record(
            membership=membership,
            answers=form.answers(),
            outcome=d["outcome"],
            person=d.get("person"),
            note=d.get("note") or "",
            tell_manager=bool(d.get("tell_manager")),
        )
    except ValidationFailed as exc:
        form.add_error(None, exc.message)
        aid_form = AidForm(request.POST, membership=membership)
        aid_form.is_valid()
        return render(
            request,
            "boundaries/advice.html",
            _advice_context(membership, aid_form, form),
            status=400,
        )
    if item.notify_manager and item.line_manager_id:
        messages.success(request, "Recorded. Your line manager has been told. Thank you.")
    elif item.notify_manager:
        messages.success(
            request,
            "Recorded. You do not have a line manager in Carepost yet, so please tell your "
            "manager in person, and ask your administrator to add them.",
        )
    else:
        messages.success(request, "Recorded. Thank you.")
    return redirect("boundaries:request", request_id=item.pk)


@login_required
def request_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    membership = require_membership(request)
    item = selectors.connection_request_for(membership=membership, request_id=request_id)
    context = {
        "item": item,
        "seen": getattr(item, "seen", None),
        "can_mark_seen": selectors.manages(membership, item.worker) and not hasattr(item, "seen"),
        "seen_form": SeenForm(),
        "is_own": item.worker_id == membership.pk,
    }
    return render(request, "boundaries/request_detail.html", context)


@login_required
@require_POST
def request_seen(request: HttpRequest, request_id: int) -> HttpResponse:
    membership = require_membership(request)
    item = selectors.connection_request_for(membership=membership, request_id=request_id)
    form = SeenForm(request.POST)
    comment = form.cleaned_data.get("comment", "") if form.is_valid() else ""
    services.connection_request_mark_seen(membership=membership, request=item, comment=comment)
    messages.success(request, "Marked as seen.")
    return redirect("boundaries:request", request_id=item.pk)


@login_required
def declaration_new(request: HttpRequest) -> HttpResponse:
    membership = require_membership(request)
    selectors.require_staff(membership)
    form = DeclarationForm(request.POST or None, membership=membership)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            declaration = services.declaration_create(
                membership=membership,
                person=d.get("person"),
                referral_name=d.get("referral_name") or "",
                referral_note=d.get("referral_note") or "",
                relationship=d["relationship"],
                relationship_detail=d.get("relationship_detail") or "",
                known_since=d["known_since"],
                social_media_connected=d["social_media_connected"],
                note=d.get("note") or "",
            )
        except ValidationFailed as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                "Thank you for declaring this. Your line manager will acknowledge it and "
                "agree a plan with you."
                if membership.line_manager_id
                else "Declared. You do not have a line manager in Carepost yet: please tell "
                "your manager, and ask your administrator to add them.",
            )
            return redirect("boundaries:declaration", declaration_id=declaration.pk)
    return render(
        request,
        "boundaries/declaration_form.html",
        {"form": form, "has_manager": membership.line_manager_id is not None},
        status=_status(form),
    )


def _declaration_page(
    request: HttpRequest,
    membership: Any,
    row: selectors.DeclarationRow,
    *,
    plan_form: PlanForm | None = None,
    close_form: CloseForm | None = None,
    link_form: LinkForm | None = None,
    status: int = 200,
) -> HttpResponse:
    from carepost.audit.selectors import audit_events_for

    is_manager = selectors.manages(membership, row.declaration.worker)
    current = row.current_plan
    if plan_form is None:
        initial: dict[str, Any] = {}
        if current is not None:
            initial = {
                "measures": current.measures,
                "plan": current.plan,
                "expected_plan": current.number,
            }
        plan_form = PlanForm(initial=initial)
    context = {
        "row": row,
        "d": row.declaration,
        "is_manager": is_manager,
        "is_own": row.declaration.worker_id == membership.pk,
        "plan_form": plan_form,
        "close_form": close_form or CloseForm(),
        "link_form": link_form or LinkForm(membership=membership),
        "suggestions": selectors.link_suggestions(membership=membership, row=row),
        "measures": selectors.PLAN_MEASURES,
        "history": [
            (e, HISTORY_LABELS.get(e.action, e.action))
            for e in audit_events_for(subject=row.declaration)
        ],
    }
    return render(request, "boundaries/declaration_detail.html", context, status=status)


@login_required
def declaration_detail(request: HttpRequest, declaration_id: int) -> HttpResponse:
    membership = require_membership(request)
    row = selectors.declaration_for(membership=membership, declaration_id=declaration_id)
    return _declaration_page(request, membership, row)


@login_required
@require_POST
def declaration_plan(request: HttpRequest, declaration_id: int) -> HttpResponse:
    """Acknowledge (first plan) or review (a later plan)."""
    membership = require_membership(request)
    row = selectors.declaration_for(membership=membership, declaration_id=declaration_id)
    form = PlanForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            if row.current_plan is None:
                services.declaration_acknowledge(
                    membership=membership,
                    declaration=row.declaration,
                    plan=d.get("plan") or "",
                    measures=d.get("measures") or [],
                    review_on=d["review_on"],
                )
                messages.success(request, "Acknowledged. The plan is saved and shared with them.")
            else:
                services.declaration_review(
                    membership=membership,
                    declaration=row.declaration,
                    expected_plan=d.get("expected_plan") or 0,
                    plan=d.get("plan") or "",
                    measures=d.get("measures") or [],
                    review_on=d["review_on"],
                )
                messages.success(request, "Review recorded. The updated plan is shared with them.")
        except ValidationFailed as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("boundaries:declaration", declaration_id=row.declaration.pk)
    return _declaration_page(request, membership, row, plan_form=form, status=400)


@login_required
@require_POST
def declaration_close(request: HttpRequest, declaration_id: int) -> HttpResponse:
    membership = require_membership(request)
    row = selectors.declaration_for(membership=membership, declaration_id=declaration_id)
    form = CloseForm(request.POST)
    if form.is_valid():
        try:
            services.declaration_close(
                membership=membership,
                declaration=row.declaration,
                reason=form.cleaned_data["reason"],
            )
        except ValidationFailed as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Closed. It stays in the history.")
            return redirect("boundaries:declaration", declaration_id=row.declaration.pk)
    return _declaration_page(request, membership, row, close_form=form, status=400)


@login_required
@require_POST
def declaration_link(request: HttpRequest, declaration_id: int) -> HttpResponse:
    membership = require_membership(request)
    row = selectors.declaration_for(membership=membership, declaration_id=declaration_id)
    form = LinkForm(request.POST, membership=membership)
    if form.is_valid():
        services.declaration_link_person(
            membership=membership, declaration=row.declaration, person=form.cleaned_data["person"]
        )
        messages.success(request, "Linked to the person on the register.")
        return redirect("boundaries:declaration", declaration_id=row.declaration.pk)
    return _declaration_page(request, membership, row, link_form=form, status=400)


@login_required
@require_POST
def plan_read(request: HttpRequest, plan_id: int) -> HttpResponse:
    membership = require_membership(request)
    plan = selectors.plan_for(membership=membership, plan_id=plan_id)
    services.declaration_plan_read(membership=membership, plan=plan)
    messages.success(request, "Thank you. Your line manager can see that you have read the plan.")
    return redirect("boundaries:declaration", declaration_id=plan.declaration_id)


@login_required
def checkup(request: HttpRequest) -> HttpResponse:
    membership = require_membership(request)
    status = selectors.checkup_status(membership=membership)
    _, policy = selectors.policy_for(organisation=membership.organisation)
    form = CheckupForm(request.POST or None, policy=policy)
    if request.method == "POST" and form.is_valid():
        try:
            services.privacy_checkup_record(
                membership=membership, items_done=form.cleaned_data["items"]
            )
        except ValidationFailed as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Well done. We will remind you when it is time again.")
            return redirect("boundaries:checkup")
    context = {"form": form, "status": status, "policy": policy}
    return render(request, "boundaries/checkup.html", context, status=_status(form))


# Line manager and organisation pages ------------------------------------------------------


@login_required
def team(request: HttpRequest) -> HttpResponse:
    membership = require_membership(request)
    members = selectors.team_of(membership=membership)
    form = TeamFilterForm(
        request.GET or None, team=members, initial={"status": "not_closed", "days": "90"}
    )
    declaration_filters, request_filters = form.values()
    context = {
        "form": form,
        "team": members,
        "declarations": selectors.team_declarations(
            membership=membership, filters=declaration_filters
        ),
        "requests": selectors.team_connection_requests(
            membership=membership, filters=request_filters
        )[:100],
        "matches": selectors.team_referral_matches(membership=membership),
    }
    return render(request, "boundaries/team.html", context)


@login_required
def report(request: HttpRequest) -> HttpResponse:
    membership = require_membership(request)
    data = selectors.organisation_report(membership=membership)
    return render(request, "boundaries/report.html", {"report": data})


def _save_policy(
    request: HttpRequest, membership: Any, version: int, document: dict[str, Any], note: str
) -> str | None:
    try:
        services.boundary_policy_update(
            membership=membership, expected_version=version, document=document, note=note
        )
    except ValidationFailed as exc:
        return exc.message
    messages.success(request, "Saved. The decision aid uses it from now on.")
    return None


@login_required
def settings_home(request: HttpRequest) -> HttpResponse:
    membership = require_membership(request)
    history = selectors.policy_history(membership=membership)
    version, document = selectors.policy_document_for(organisation=membership.organisation)
    form = GeneralSettingsForm(
        request.POST or None,
        editions=list(document.get("editions", {})),
        initial={
            k: document.get(k)
            for k in (
                "code_edition",
                "official_channels",
                "checkup_interval_days",
                "review_notice_days",
            )
        },
    )
    version_form = VersionForm(request.POST or None, initial={"version": version})
    if request.method == "POST" and form.is_valid() and version_form.is_valid():
        new = {**copy.deepcopy(document), **form.cleaned_data}
        error = _save_policy(
            request, membership, version_form.cleaned_data["version"], new, "General settings"
        )
        if error is None:
            return redirect("boundaries:settings")
        form.add_error(None, error)
    _, policy = selectors.policy_for(organisation=membership.organisation)
    context = {
        "form": form,
        "version_form": version_form,
        "version": version,
        "policy": policy,
        "document": document,
        "history": history[:10],
    }
    return render(request, "boundaries/settings.html", context, status=_status(form))


@login_required
def settings_rule(request: HttpRequest, key: str) -> HttpResponse:
    membership = require_membership(request)
    selectors.require_org_admin(membership)
    version, document = selectors.policy_document_for(organisation=membership.organisation)
    index = next((i for i, r in enumerate(document["rules"]) if r.get("key") == key), None)
    if index is None:
        raise Http404("No such rule")
    code_keys = sorted({k for e in document["editions"].values() for k in e.get("codes", {})})
    form = RuleForm(
        request.POST or None,
        code_keys=code_keys,
        template_keys=list(document.get("templates", {})),
        initial=RuleForm.initial_for(document["rules"][index]),
    )
    version_form = VersionForm(request.POST or None, initial={"version": version})
    if request.method == "POST" and form.is_valid() and version_form.is_valid():
        new = copy.deepcopy(document)
        new["rules"][index] = form.apply_to(new["rules"][index])
        error = _save_policy(
            request, membership, version_form.cleaned_data["version"], new, f"Rule {key}"
        )
        if error is None:
            return redirect("boundaries:settings")
        form.add_error(None, error)
    context = {"form": form, "version_form": version_form, "key": key}
    return render(request, "boundaries/settings_rule.html", context, status=_status(form))


@login_required
def settings_template(request: HttpRequest, key: str) -> HttpResponse:
    membership = require_membership(request)
    selectors.require_org_admin(membership)
    version, document = selectors.policy_document_for(organisation=membership.organisation)
    template = document.get("templates", {}).get(key)
    if template is None:
        raise Http404("No such template")
    form = TemplateForm(request.POST or None, initial=template)
    version_form = VersionForm(request.POST or None, initial={"version": version})
    if request.method == "POST" and form.is_valid() and version_form.is_valid():
        new = copy.deepcopy(document)
        new["templates"][key] = {**template, **form.cleaned_data}
        error = _save_policy(
            request, membership, version_form.cleaned_data["version"], new, f"Template {key}"
        )
        if error is None:
            return redirect("boundaries:settings")
        form.add_error(None, error)
    context = {"form": form, "version_form": version_form, "key": key}
    return render(request, "boundaries/settings_template.html", context, status=_status(form))


@login_required
def settings_codes(request: HttpRequest, edition: str) -> HttpResponse:
    membership = require_membership(request)
    selectors.require_org_admin(membership)
    version, document = selectors.policy_document_for(organisation=membership.organisation)
    ed = document.get("editions", {}).get(edition)
    if ed is None:
        raise Http404("No such edition")
    form = CodesForm(request.POST or None, codes=ed.get("codes", {}))
    version_form = VersionForm(request.POST or None, initial={"version": version})
    if request.method == "POST" and form.is_valid() and version_form.is_valid():
        new = copy.deepcopy(document)
        for key in form.code_keys:
            new["editions"][edition]["codes"][key] = {
                "number": form.cleaned_data[f"{key}__number"].strip(),
                "summary": form.cleaned_data[f"{key}__summary"].strip(),
            }
        error = _save_policy(
            request, membership, version_form.cleaned_data["version"], new, f"Codes {edition}"
        )
        if error is None:
            return redirect("boundaries:settings")
        form.add_error(None, error)
    context = {"form": form, "version_form": version_form, "edition": edition, "ed": ed}
    return render(request, "boundaries/settings_codes.html", context, status=_status(form))
