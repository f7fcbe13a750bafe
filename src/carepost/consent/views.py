"""Thin views for the consent register."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from carepost.accounts.selectors import require_membership
from carepost.common import clock
from carepost.common.crypto import decrypt
from carepost.common.dates import add_months
from carepost.common.errors import DomainError, ValidationFailed
from carepost.consent import selectors, services, subject_access
from carepost.consent.forms import (
    CapacityForm,
    ConsentForm,
    ConsentFormPdfForm,
    EraseForm,
    PersonForm,
    RepresentativeForm,
    WithdrawForm,
)
from carepost.consent.models import Media
from carepost.consent.pdf import consent_form_pdf
from carepost.consent.rules import rule_set
from carepost.publishing.selectors import channels_for


def _upload(form: Any, field: str = "evidence") -> tuple[bytes, str, str] | None:
    upload = form.cleaned_data.get(field)
    if not upload:
        return None
    return upload.read(), upload.name or "evidence", upload.content_type or ""


@login_required
def register(request: HttpRequest) -> HttpResponse:
    membership = require_membership(request)
    selectors.require_register_role(membership)
    people = selectors.people_for(membership=membership)
    query = request.GET.get("q", "").strip()
    if query:
        people = people.filter(legal_name__icontains=query) | people.filter(
            preferred_name__icontains=query
        )
    context = {
        "people": people,
        "query": query,
        "due": selectors.consents_due_for_review(organisation=membership.organisation),
        "can_write": membership.has_role(*services.WRITE_ROLES),
    }
    return render(request, "consent/register.html", context)


@login_required
def person_new(request: HttpRequest) -> HttpResponse:
    membership = require_membership(request)
    selectors.require_register_role(membership)
    form = PersonForm(request.POST or None, membership=membership)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            person = services.person_create(
                membership=membership,
                service=d["service"],
                legal_name=d["legal_name"],
                preferred_name=d["preferred_name"],
                aliases=form.cleaned_aliases(),
                date_of_birth=d["date_of_birth"],
                flags=form.cleaned_flags(),
            )
        except ValidationFailed as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"{person.display_name} added to the register.")
            return redirect("consent:person", person_id=person.pk)
    return render(
        request,
        "consent/person_form.html",
        {"form": form, "person": None},
        status=400 if form.errors else 200,
    )


@login_required
def person_edit(request: HttpRequest, person_id: int) -> HttpResponse:
    membership = require_membership(request)
    selectors.require_register_role(membership)
    person = selectors.person_for(membership=membership, person_id=person_id)
    form = PersonForm(
        request.POST or None, membership=membership, initial=PersonForm.initial_for(person)
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.person_update(
                membership=membership,
                person=person,
                legal_name=d["legal_name"],
                preferred_name=d["preferred_name"],
                aliases=form.cleaned_aliases(),
                date_of_birth=d["date_of_birth"],
                service=d["service"],
                flags=form.cleaned_flags(),
            )
        except ValidationFailed as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request, "Saved. Anything published that is no longer allowed is being taken down."
            )
            return redirect("consent:person", person_id=person.pk)
    return render(
        request,
        "consent/person_form.html",
        {"form": form, "person": person},
        status=400 if form.errors else 200,
    )


def _person_context(membership: Any, person_id: int, **forms: Any) -> dict[str, Any]:
    page = selectors.person_register(membership=membership, person_id=person_id)
    person = page.person
    channels = list(channels_for(membership=membership))
    matrix = [
        (
            channel,
            [
                (media, selectors.consent_status(person=person, media=str(media), channel=channel))
                for media in Media.values
            ],
        )
        for channel in channels
    ]
    reasons: list[str] = []
    cells = []
    for channel, row in matrix:
        marked = []
        for media, status in row:
            note = 0
            if not status.allowed:
                if status.reason not in reasons:
                    reasons.append(status.reason)
                note = reasons.index(status.reason) + 1
            marked.append((media, status, note))
        cells.append((channel, marked))
    rules = rule_set(person.organisation.jurisdiction)
    today = clock.today()
    return {
        "cells": cells,
        "reasons": reasons,
        "page": page,
        "person": person,
        "matrix": matrix,
        "media_labels": Media.choices,
        "rules": rules,
        "can_write": membership.has_role(*services.WRITE_ROLES),
        "capacity_form": forms.get("capacity_form")
        or CapacityForm(prefix="capacity", initial={"assessed_on": today}),
        "representative_form": forms.get("representative_form")
        or RepresentativeForm(prefix="rep", initial={"valid_from": today}),
        "consent_form": forms.get("consent_form")
        or ConsentForm(prefix="consent", membership=membership, person=person),
        "pdf_form": ConsentFormPdfForm(
            prefix="pdf",
            membership=membership,
            initial={"covers": ["name", "photo"], "channels": channels},
        ),
        "withdraw_form": WithdrawForm(),
        "publications": list(
            person.featured_in.filter(publications__isnull=False)
            .values(
                "post_id",
                "publications__pk",
                "publications__channel__name",
                "publications__state",
                "publications__take_down_outcome",
            )
            .order_by("-publications__pk")[:50]
        ),
    }


@login_required
def person_page(request: HttpRequest, person_id: int) -> HttpResponse:
    membership = require_membership(request)
    return render(request, "consent/person.html", _person_context(membership, person_id))


def _person_post(
    request: HttpRequest, person_id: int, form_name: str, form: Any, action: Any, done: str
) -> HttpResponse:
    membership = require_membership(request)
    person = selectors.person_for(membership=membership, person_id=person_id)
    if form.is_valid():
        try:
            action(membership, person, form)
        except ValidationFailed as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, done)
            return redirect("consent:person", person_id=person.pk)
    context = _person_context(membership, person_id, **{form_name: form})
    return render(request, "consent/person.html", context, status=400)


@login_required
@require_POST
def capacity_add(request: HttpRequest, person_id: int) -> HttpResponse:
    def act(membership: Any, person: Any, form: Any) -> None:
        services.capacity_decision_record(membership=membership, person=person, **form.cleaned_data)

    return _person_post(
        request,
        person_id,
        "capacity_form",
        CapacityForm(request.POST, prefix="capacity"),
        act,
        "Capacity decision recorded.",
    )


@login_required
@require_POST
def representative_add(request: HttpRequest, person_id: int) -> HttpResponse:
    def act(membership: Any, person: Any, form: Any) -> None:
        d = {k: v for k, v in form.cleaned_data.items() if k != "evidence"}
        services.representative_record(
            membership=membership, person=person, evidence=_upload(form), **d
        )

    form = RepresentativeForm(request.POST, request.FILES, prefix="rep")
    return _person_post(
        request, person_id, "representative_form", form, act, "Representative recorded."
    )


@login_required
@require_POST
def consent_add(request: HttpRequest, person_id: int) -> HttpResponse:
    membership = require_membership(request)
    person = selectors.person_for(membership=membership, person_id=person_id)
    form = ConsentForm(
        request.POST, request.FILES, prefix="consent", membership=membership, person=person
    )

    def act(membership: Any, person: Any, form: Any) -> None:
        d = form.cleaned_data
        given_by = d["given_by"]
        services.consent_record(
            membership=membership,
            person=person,
            kind=d["kind"],
            media=d["covers"],
            channels=list(d["channels"]),
            all_public_channels=d["all_public_channels"],
            method=d["method"],
            representative=None if given_by == "self" else form.representatives[given_by],
            valid_from=d["valid_from"],
            valid_until=d["valid_until"],
            witness=d["witness"],
            evidence=_upload(form),
            persons_own_view=d["persons_own_view"],
        )

    return _person_post(request, person_id, "consent_form", form, act, "Recorded.")


@login_required
@require_POST
def consent_withdraw(request: HttpRequest, record_id: int) -> HttpResponse:
    membership = require_membership(request)
    record = selectors.consent_record_for(membership=membership, record_id=record_id)
    form = WithdrawForm(request.POST)
    form.is_valid()
    services.consent_withdraw(
        membership=membership, record=record, reason=form.cleaned_data.get("reason", "")
    )
    messages.success(
        request,
        "Consent withdrawn. Every live publication that relied on it is being taken down; "
        "the outcome for each channel shows below.",
    )
    return redirect("consent:person", person_id=record.person_id)


@login_required
def evidence_download(request: HttpRequest, evidence_id: int) -> HttpResponse:
    membership = require_membership(request)
    evidence = selectors.evidence_for(membership=membership, evidence_id=evidence_id)
    response = HttpResponse(decrypt(bytes(evidence.ciphertext)), content_type=evidence.content_type)
    response["Content-Disposition"] = f'attachment; filename="evidence-{evidence.pk}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def consent_form_download(request: HttpRequest, person_id: int) -> HttpResponse:
    membership = require_membership(request)
    selectors.require_register_role(membership)
    person = selectors.person_for(membership=membership, person_id=person_id)
    form = ConsentFormPdfForm(request.GET, prefix="pdf", membership=membership)
    if not form.is_valid():
        messages.error(request, "Choose what to offer and on which channels, then print the form.")
        return redirect("consent:person", person_id=person.pk)
    today = clock.today()
    rules = rule_set(person.organisation.jurisdiction)
    pdf = consent_form_pdf(
        organisation=person.organisation.name,
        person_name=person.legal_name,
        media=form.cleaned_data["covers"],
        channels=[c.name for c in form.cleaned_data["channels"]],
        valid_from=today,
        valid_until=add_months(today, rules.default_validity_months),
        easy_read=form.cleaned_data["easy_read"],
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    kind = "easy-read-" if form.cleaned_data["easy_read"] else ""
    response["Content-Disposition"] = f'inline; filename="consent-form-{kind}{person.pk}.pdf"'
    return response


@login_required
def subject_access_download(request: HttpRequest, person_id: int) -> HttpResponse:
    membership = require_membership(request)
    person = selectors.person_for(membership=membership, person_id=person_id)
    data = subject_access.subject_access_export(membership=membership, person=person)
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="subject-access-{person.pk}.zip"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def person_erase(request: HttpRequest, person_id: int) -> HttpResponse:
    membership = require_membership(request)
    selectors.require_register_role(membership)
    person = selectors.person_for(membership=membership, person_id=person_id)
    form = EraseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            subject_access.person_erase(
                membership=membership, person=person, confirm_name=form.cleaned_data["confirm_name"]
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request, "Everything was taken down and the person's details were erased."
            )
            return redirect("consent:register")
    return render(
        request,
        "consent/erase.html",
        {"form": form, "person": person},
        status=400 if form.errors else 200,
    )
