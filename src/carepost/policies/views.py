"""Thin views for policies: selector → form → one service → render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_POST

from carepost.accounts.models import Membership
from carepost.accounts.roles import Role
from carepost.accounts.selectors import (
    direct_reports,
    require_membership,
    require_role,
    services_for,
)
from carepost.common.errors import ValidationFailed
from carepost.policies import codes, selectors, services
from carepost.policies.charts import bar_chart
from carepost.policies.forms import AttestForm, PlacementForm, PolicyCreateForm, VersionPublishForm
from carepost.policies.text import render_markdown


@login_required
def index(request: HttpRequest) -> HttpResponse:
    membership = require_membership(request)
    rows = selectors.my_statuses(membership=membership)
    context = {
        "rows": rows,
        "to_read": [r for r in rows if r.status.needs_action],
        "is_admin": membership.has_role(Role.ORG_ADMIN),
        "is_manager": membership.has_role(Role.LINE_MANAGER),
    }
    return render(request, "policies/index.html", context)


@login_required
def policy_new(request: HttpRequest) -> HttpResponse:
    membership = require_membership(request)
    require_role(membership, Role.ORG_ADMIN)
    form = PolicyCreateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            policy = services.policy_create(
                membership=membership,
                title=form.cleaned_data["title"],
                slug=form.cleaned_data["slug"],
                review_cycle_months=form.cleaned_data["review_cycle_months"],
                first_version=form.version_input(),
            )
        except ValidationFailed as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Policy published. Everyone will be asked to read it.")
            return redirect("policies:detail", policy_id=policy.pk)
    return render(
        request,
        "policies/edit.html",
        {"form": form, "policy": None},
        status=400 if form.errors else 200,
    )


def _page(request: HttpRequest, policy_id: int, number: int | None) -> HttpResponse:
    membership = require_membership(request)
    page = selectors.policy_page(membership=membership, policy_id=policy_id, number=number)
    sections = [(view, render_markdown(view.section.body)) for view in page.sections]
    context = {
        "page": page,
        "sections": sections,
        "preamble": render_markdown(page.preamble),
        "attest_form": AttestForm(initial={"version": page.version.pk}),
        "is_current": page.current is not None and page.current.pk == page.version.pk,
        "is_admin": membership.has_role(Role.ORG_ADMIN),
        "history": selectors.my_attestations(membership=membership, policy=page.policy)[:5],
    }
    return render(request, "policies/detail.html", context)


@login_required
def policy_detail(request: HttpRequest, policy_id: int) -> HttpResponse:
    return _page(request, policy_id, None)


@login_required
def version_detail(request: HttpRequest, policy_id: int, number: int) -> HttpResponse:
    return _page(request, policy_id, number)


@login_required
def version_new(request: HttpRequest, policy_id: int) -> HttpResponse:
    membership = require_membership(request)
    policy = selectors.policy_for_admin(membership=membership, policy_id=policy_id)
    latest = policy.versions.order_by("-number").first()
    assert latest is not None
    form = VersionPublishForm(
        request.POST if request.method == "POST" else None,
        edition=policy.code_edition,
        initial={
            "body": latest.body,
            "adopted_codes": latest.adopted_codes,
            "expected_number": latest.number,
            "summary_of_changes": "",
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            version = services.policy_version_publish(
                membership=membership,
                policy=policy,
                expected_number=form.cleaned_data["expected_number"],
                data=form.version_input(),
            )
        except ValidationFailed as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                f"Version {version.number} published."
                + (
                    " Everyone will be asked to read and confirm it."
                    if version.requires_reattestation
                    else ""
                ),
            )
            return redirect("policies:detail", policy_id=policy.pk)
    context = {"form": form, "policy": policy, "latest": latest}
    return render(request, "policies/edit.html", context, status=400 if form.errors else 200)


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@login_required
def version_changes(request: HttpRequest, policy_id: int) -> HttpResponse:
    membership = require_membership(request)
    diff = selectors.version_diff(
        membership=membership,
        policy_id=policy_id,
        old=_int(request.GET.get("from")),
        new=_int(request.GET.get("to")),
    )
    return render(request, "policies/changes.html", {"diff": diff})


@login_required
@require_POST
def attest(request: HttpRequest, policy_id: int) -> HttpResponse:
    membership = require_membership(request)
    policy = selectors.policy_for(membership=membership, policy_id=policy_id)
    form = AttestForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Tick the box to confirm you have read and understood it.")
        return redirect("policies:detail", policy_id=policy.pk)
    version = policy.versions.filter(pk=form.cleaned_data["version"]).first()
    if version is None:
        messages.error(request, "That version could not be found. Please try again.")
        return redirect("policies:detail", policy_id=policy.pk)
    services.attestation_record(membership=membership, version=version)
    messages.success(
        request, f"Thank you. You have confirmed you read version {version.number} of {policy}."
    )
    return redirect("policies:detail", policy_id=policy.pk)


@login_required
def team(request: HttpRequest) -> HttpResponse:
    membership = require_membership(request)
    rows = selectors.team_statuses(membership=membership)
    reports = direct_reports(membership=membership).count()
    return render(request, "policies/team.html", {"rows": rows, "reports": reports})


@login_required
def coverage(request: HttpRequest) -> HttpResponse:
    membership = require_membership(request)
    data = selectors.coverage(membership=membership)
    chart = bar_chart(
        chart_id="coverage-chart",
        title="Policy reading coverage by service",
        description="; ".join(f"{r.label}: {r.percent}% of required reads done" for r in data.rows),
        bars=[(r.label, r.percent) for r in data.rows],
    )
    services_qs = services_for(membership=membership)
    placements = [
        (
            member,
            placement,
            PlacementForm(
                services=services_qs,
                prefix=f"m{member.pk}",
                initial={"service": placement.service_id if placement else None},
            ),
        )
        for member, placement in selectors.placements_for(membership=membership)
    ]
    context = {"coverage": data, "chart": chart, "placements": placements}
    return render(request, "policies/coverage.html", context)


@login_required
@require_POST
def placement_set(request: HttpRequest, member_id: int) -> HttpResponse:
    membership = require_membership(request)
    require_role(membership, Role.ORG_ADMIN)
    member = selectors.member_for(membership=membership, member_id=member_id)
    form = PlacementForm(
        request.POST, services=services_for(membership=membership), prefix=f"m{member.pk}"
    )
    if form.is_valid():
        services.staff_placement_set(
            membership=membership, member=member, service=form.cleaned_data["service"]
        )
        messages.success(request, f"Saved where {member.user} works.")
    else:
        messages.error(request, "Choose a service from the list.")
    return redirect("policies:coverage")


@login_required
def codes_page(request: HttpRequest) -> HttpResponse:
    require_membership(request)
    name = request.GET.get("edition", codes.DEFAULT_EDITION)
    if name not in codes.EDITIONS:
        name = codes.DEFAULT_EDITION
    return render(
        request,
        "policies/codes.html",
        {"edition": codes.edition(name), "editions": codes.EDITIONS},
    )


# Home-page panels (registered in apps.py).


def attestation_panel(request: HttpRequest, membership: Membership) -> str:
    rows = [r for r in selectors.my_statuses(membership=membership) if r.status.needs_action]
    if not rows:
        return ""
    return render_to_string("policies/panel_due.html", {"rows": rows}, request=request)


def team_panel(request: HttpRequest, membership: Membership) -> str:
    if not membership.has_role(Role.LINE_MANAGER):
        return ""
    rows = selectors.team_statuses(membership=membership)
    overdue = [r for r in rows if r.status.state == "overdue"]
    if not rows:
        return ""
    people = len({r.member.pk for r in overdue})
    return render_to_string(
        "policies/panel_team.html",
        {"rows": rows, "overdue": len(overdue), "people": people},
        request=request,
    )
