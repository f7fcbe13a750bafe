"""Thin views for learning: selector → form → one service → render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_POST

from carepost.accounts.models import Membership
from carepost.accounts.roles import Role
from carepost.accounts.selectors import require_membership, require_role
from carepost.common.errors import ValidationFailed
from carepost.learning import badges, content, selectors, services
from carepost.learning.charts import line_chart
from carepost.learning.forms import (
    CommentForm,
    CompleteForm,
    EvidenceForm,
    IssuerForm,
    ModuleForm,
    ReflectionForm,
    ScenarioChoiceForm,
    SelfAssessmentForm,
)
from carepost.learning.models import Reflection
from carepost.policies.codes import codes_for
from carepost.policies.text import render_markdown


@login_required
def index(request: HttpRequest) -> HttpResponse:
    membership = require_membership(request)
    modules = list(selectors.modules_for(membership=membership))
    reflections = selectors.my_reflections(membership=membership)
    attempts = {a.scenario for a in selectors.scenario_attempts_for(membership=membership)}
    context = {
        "modules": [(m, reflections.get(m.pk)) for m in modules],
        "scenarios": [(s, s.slug in attempts) for s in content.scenarios().values()],
        "is_admin": membership.has_role(Role.ORG_ADMIN),
        "is_manager": membership.has_role(Role.LINE_MANAGER),
        "badge_count": selectors.my_badges(membership=membership).count(),
        "assessments": len(selectors.self_assessments_for(membership=membership)),
    }
    return render(request, "learning/index.html", context)


@login_required
@require_POST
def starter_install(request: HttpRequest) -> HttpResponse:
    membership = require_membership(request)
    created = services.modules_install_starter(membership=membership)
    messages.success(
        request,
        f"Added {len(created)} starter module{'s' if len(created) != 1 else ''}."
        if created
        else "You already have all the starter modules.",
    )
    return redirect("learning:index")


@login_required
def module_new(request: HttpRequest) -> HttpResponse:
    membership = require_membership(request)
    require_role(membership, Role.ORG_ADMIN)
    form = ModuleForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            module = services.module_create(
                membership=membership,
                title=form.cleaned_data["title"],
                summary=form.cleaned_data["summary"],
                guidance=form.cleaned_data["guidance"],
                activities=form.activity_list(),
                links=form.cleaned_data["links"],
            )
        except ValidationFailed as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Module published. Staff can start it now.")
            return redirect("learning:module", module_id=module.pk)
    return render(
        request, "learning/module_new.html", {"form": form}, status=400 if form.errors else 200
    )


@login_required
def issuer_edit(request: HttpRequest) -> HttpResponse:
    membership = require_membership(request)
    require_role(membership, Role.ORG_ADMIN)
    issuer = selectors.issuer_for(membership=membership)
    initial = (
        {"name": issuer.name, "email": issuer.email, "url": issuer.url}
        if issuer
        else {"name": membership.organisation.name}
    )
    form = IssuerForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.badge_issuer_update(membership=membership, **form.cleaned_data)
        except ValidationFailed as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Badge issuer details saved.")
            return redirect("learning:index")
    return render(
        request, "learning/issuer.html", {"form": form}, status=400 if form.errors else 200
    )


def highlight(text: str, findings: list[dict[str, Any]]) -> list[tuple[str, int | None]]:
    """Split `text` into (segment, finding number or None) for marking findings up."""
    marks = sorted(
        (
            (int(f["start"]), int(f["end"]), i)
            for i, f in enumerate(findings, start=1)
            if f.get("action") in ("block", "review")
        ),
    )
    out: list[tuple[str, int | None]] = []
    pos = 0
    for start, end, n in marks:
        if start < pos or end > len(text) or end <= start:
            continue
        if start > pos:
            out.append((text[pos:start], None))
        out.append((text[start:end], n))
        pos = end
    if pos < len(text):
        out.append((text[pos:], None))
    return out


def _module_context(
    membership: Membership, module_id: int, form: ReflectionForm | None = None
) -> dict[str, Any]:
    module = selectors.module_for(membership=membership, module_id=module_id)
    reflection = selectors.my_reflection(membership=membership, module=module)
    if form is None:
        form = ReflectionForm(
            initial={
                "text": reflection.text if reflection else "",
                "version": reflection.version if reflection else None,
            }
        )
    return {
        "module": module,
        "guidance": render_markdown(module.guidance, shift_headings=2),
        "codes": codes_for(module.codes),
        "reflection": reflection,
        "form": form,
        "complete_form": CompleteForm(initial={"version": reflection.version if reflection else 0}),
        "marked": highlight(reflection.text, reflection.findings) if reflection else [],
        "blocking": reflection.blocking_findings if reflection else [],
        "warnings": [f for f in reflection.findings if f.get("action") == "warn"]
        if reflection
        else [],
        "has_manager": membership.line_manager_id is not None,
    }


@login_required
def module_detail(request: HttpRequest, module_id: int) -> HttpResponse:
    membership = require_membership(request)
    if request.method == "POST":
        module = selectors.module_for(membership=membership, module_id=module_id)
        form = ReflectionForm(request.POST)
        if form.is_valid():
            try:
                reflection = services.reflection_save(
                    membership=membership,
                    module=module,
                    text=form.cleaned_data["text"],
                    expected_version=form.cleaned_data.get("version"),
                )
            except ValidationFailed as exc:
                form.add_error("text", exc.message)
            else:
                if reflection.blocking_findings:
                    messages.error(
                        request,
                        "Saved, but your reflection may identify someone. Rewrite the "
                        "highlighted parts before you share it or complete the module.",
                    )
                else:
                    messages.success(request, "Saved and checked: nothing in it identifies anyone.")
                return redirect("learning:module", module_id=module.pk)
        return render(
            request,
            "learning/module.html",
            _module_context(membership, module_id, form),
            status=400,
        )
    return render(request, "learning/module.html", _module_context(membership, module_id))


def _own_reflection(membership: Membership, reflection_id: int) -> Reflection:
    reflection = selectors.reflection_for(membership=membership, reflection_id=reflection_id)
    return reflection


@login_required
@require_POST
def reflection_share(request: HttpRequest, reflection_id: int) -> HttpResponse:
    membership = require_membership(request)
    reflection = _own_reflection(membership, reflection_id)
    services.reflection_share(membership=membership, reflection=reflection)
    messages.success(request, "Shared with your line manager. They can now read it and comment.")
    return redirect("learning:module", module_id=reflection.module_id)


@login_required
@require_POST
def reflection_complete(request: HttpRequest, reflection_id: int) -> HttpResponse:
    membership = require_membership(request)
    reflection = _own_reflection(membership, reflection_id)
    form = CompleteForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Something was missing from the form. Please try again.")
        return redirect("learning:module", module_id=reflection.module_id)
    try:
        services.reflection_complete(
            membership=membership,
            reflection=reflection,
            expected_version=form.cleaned_data["version"],
            share_evidence=form.cleaned_data["share_evidence"],
        )
    except ValidationFailed as exc:
        messages.error(request, exc.message)
        return redirect("learning:module", module_id=reflection.module_id)
    messages.success(request, f"Module complete. You have earned the “{reflection.module}” badge.")
    return redirect("learning:my_badges")


@login_required
def reflection_detail(request: HttpRequest, reflection_id: int) -> HttpResponse:
    """The line manager's view of a shared reflection, with comments."""
    membership = require_membership(request)
    reflection = selectors.reflection_for(membership=membership, reflection_id=reflection_id)
    form = CommentForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reflection_comment_add(
                membership=membership, reflection=reflection, text=form.cleaned_data["text"]
            )
        except ValidationFailed as exc:
            form.add_error("text", exc.message)
        else:
            messages.success(
                request, "Comment added. The author will see it with their reflection."
            )
            return redirect("learning:reflection", reflection_id=reflection.pk)
    can_comment = (
        membership.has_role(Role.LINE_MANAGER)
        and reflection.membership.line_manager_id == membership.pk
    )
    return render(
        request,
        "learning/reflection.html",
        {"reflection": reflection, "form": form, "can_comment": can_comment},
        status=400 if form.errors else 200,
    )


@login_required
def team(request: HttpRequest) -> HttpResponse:
    membership = require_membership(request)
    reflections = selectors.team_reflections(membership=membership)
    return render(request, "learning/team.html", {"reflections": reflections})


@login_required
def self_assessment(request: HttpRequest) -> HttpResponse:
    membership = require_membership(request)
    form = SelfAssessmentForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        traits, skills = form.scores()
        services.self_assessment_record(membership=membership, traits=traits, skills=skills)
        messages.success(
            request, "Saved. Take it again in a few months to see how you have changed."
        )
        return redirect("learning:self_assessment")
    history = selectors.self_assessments_for(membership=membership)
    inst = content.instrument()
    labels = [f"{i}: {a.taken_at:%d %b %Y}" for i, a in enumerate(history, start=1)]
    chart = None
    if history:
        first, last = history[0], history[-1]
        description = "; ".join(
            f"{t.name}: {first.traits.get(t.id)} then {last.traits.get(t.id)}" for t in inst.traits
        )
        chart = line_chart(
            chart_id="traits-chart",
            title="Your e-learner characteristics over time (1 very low to 5 very high)",
            description=f"From your first to your latest self-assessment: {description}.",
            x_labels=[str(i) for i in range(1, len(history) + 1)],
            series=[(t.name, [a.traits.get(t.id, 1) for a in history]) for t in inst.traits],
        )
    skill_table = [
        (
            s,
            [
                (
                    label,
                    history[0].skills.get(s.id, {}).get(aspect) if history else None,
                    history[-1].skills.get(s.id, {}).get(aspect) if history else None,
                )
                for aspect, label in content.SKILL_ASPECTS
            ],
        )
        for s in inst.skills
    ]
    context = {
        "form": form,
        "history": history,
        "labels": labels,
        "chart": chart,
        "trait_rows": [(t, [a.traits.get(t.id) for a in history]) for t in inst.traits],
        "skill_table": skill_table,
        "scale": inst.scale,
    }
    return render(
        request, "learning/self_assessment.html", context, status=400 if form.errors else 200
    )


def _path(value: str) -> list[str]:
    return [p for p in value.split(",") if p]


@login_required
def scenario(request: HttpRequest, slug: str) -> HttpResponse:
    membership = require_membership(request)
    sc = content.scenarios().get(slug)
    if sc is None:
        raise Http404("No such scenario")
    path = _path(
        request.POST.get("path", "") if request.method == "POST" else request.GET.get("path", "")
    )
    try:
        step, taken = sc.walk(path)
    except ValueError as exc:
        raise Http404("No such point in the scenario") from exc
    if step is None:
        return redirect("learning:scenario", slug=slug)
    form = ScenarioChoiceForm(
        request.POST if request.method == "POST" else None,
        choices=[(c.id, c.text) for c in step.choices],
        initial={"path": ",".join(path)},
    )
    if request.method == "POST" and form.is_valid():
        choice = step.choice(form.cleaned_data["choice"])
        assert choice is not None
        new_path = [*path, choice.id]
        finished = not choice.next
        if finished:
            services.scenario_attempt_record(
                membership=membership, scenario_slug=slug, path=new_path
            )
        _, all_taken = sc.walk(new_path)
        context = {
            "scenario": sc,
            "step": step,
            "choice": choice,
            "code": next(iter(codes_for([choice.code])), None),
            "finished": finished,
            "next_path": ",".join(new_path),
            "taken": all_taken,
            "good": sum(1 for _, c in all_taken if c.quality == "good"),
        }
        return render(request, "learning/scenario_feedback.html", context)
    context = {"scenario": sc, "step": step, "form": form, "number": len(taken) + 1}
    return render(request, "learning/scenario.html", context, status=400 if form.errors else 200)


@login_required
def my_badges(request: HttpRequest) -> HttpResponse:
    membership = require_membership(request)
    return render(
        request,
        "learning/badges.html",
        {"badges": selectors.my_badges(membership=membership)},
    )


@login_required
def badge_download(request: HttpRequest, uid: str) -> HttpResponse:
    membership = require_membership(request)
    assertion = selectors.my_badge(membership=membership, uid=uid)
    response = HttpResponse(badges.baked_png(assertion), content_type="image/png")
    name = assertion.badge_class.module.slug
    response["Content-Disposition"] = f'attachment; filename="carepost-badge-{name}.png"'
    return response


@login_required
@require_POST
def badge_evidence(request: HttpRequest, uid: str) -> HttpResponse:
    membership = require_membership(request)
    assertion = selectors.my_badge(membership=membership, uid=uid)
    form = EvidenceForm(request.POST)
    public = bool(form.is_valid() and form.cleaned_data["public"])
    services.badge_evidence_set(membership=membership, assertion=assertion, public=public)
    messages.success(
        request,
        "Your reflection is now linked to the badge as evidence."
        if public
        else "Your reflection is no longer linked to the badge.",
    )
    return redirect("learning:my_badges")


# Public Open Badges hosted verification (no login).


def _jsonld(doc: dict[str, Any], status: int = 200) -> JsonResponse:
    response = JsonResponse(
        doc, status=status, content_type="application/ld+json", json_dumps_params={"indent": 2}
    )
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "public, max-age=300"
    return response


@require_GET
def ob_issuer(request: HttpRequest, uid: str) -> JsonResponse:
    return _jsonld(badges.issuer_document(selectors.public_issuer(uid=uid)))


@require_GET
def ob_badge_class(request: HttpRequest, uid: str) -> JsonResponse:
    badge_class, issuer = selectors.public_badge_class(uid=uid)
    return _jsonld(badges.badge_class_document(badge_class, issuer))


@require_GET
def ob_badge_image(request: HttpRequest, uid: str) -> HttpResponse:
    badge_class, _ = selectors.public_badge_class(uid=uid)
    response = HttpResponse(bytes(badge_class.image_png), content_type="image/png")
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def ob_assertion(request: HttpRequest, uid: str) -> JsonResponse:
    assertion = selectors.public_assertion(uid=uid)
    return _jsonld(
        badges.assertion_document(assertion), status=410 if assertion.revoked_at else 200
    )


@require_GET
def ob_evidence(request: HttpRequest, uid: str) -> HttpResponse:
    evidence = selectors.public_evidence(uid=uid)
    return render(request, "learning/evidence.html", {"evidence": evidence})


# Home-page panels (registered in apps.py).


def manager_panel(request: HttpRequest, membership: Membership) -> str:
    if not membership.has_role(Role.LINE_MANAGER):
        return ""
    waiting = [
        r
        for r in selectors.team_reflections(membership=membership)
        if not any(c.author_id == membership.user_id for c in r.comments.all())
    ]
    if not waiting:
        return ""
    return render_to_string("learning/panel_manager.html", {"waiting": waiting}, request=request)


def comments_panel(request: HttpRequest, membership: Membership) -> str:
    reflections = [
        r for r in selectors.my_reflections(membership=membership).values() if r.comments.exists()
    ]
    if not reflections:
        return ""
    return render_to_string(
        "learning/panel_comments.html", {"reflections": reflections}, request=request
    )
