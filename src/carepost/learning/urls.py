from django.urls import path

from carepost.learning import views

app_name = "learning"

urlpatterns = [
    path("", views.index, name="index"),
    path("starter/", views.starter_install, name="starter_install"),
    path("modules/new/", views.module_new, name="module_new"),
    path("modules/<int:module_id>/", views.module_detail, name="module"),
    path("issuer/", views.issuer_edit, name="issuer"),
    path("reflections/<int:reflection_id>/", views.reflection_detail, name="reflection"),
    path("reflections/<int:reflection_id>/share/", views.reflection_share, name="share"),
    path("reflections/<int:reflection_id>/complete/", views.reflection_complete, name="complete"),
    path("team/", views.team, name="team"),
    path("self-assessment/", views.self_assessment, name="self_assessment"),
    path("scenarios/<slug:slug>/", views.scenario, name="scenario"),
    path("my-badges/", views.my_badges, name="my_badges"),
    path("my-badges/<uuid:uid>/badge.png", views.badge_download, name="badge_download"),
    path("my-badges/<uuid:uid>/evidence/", views.badge_evidence, name="badge_evidence"),
    # Public, stable Open Badges 2.0 URLs (hosted verification). Never change these.
    path("badges/issuers/<uuid:uid>/", views.ob_issuer, name="ob_issuer"),
    path("badges/classes/<uuid:uid>/", views.ob_badge_class, name="ob_badge_class"),
    path("badges/classes/<uuid:uid>/image.png", views.ob_badge_image, name="ob_badge_image"),
    path("badges/assertions/<uuid:uid>/", views.ob_assertion, name="ob_assertion"),
    path("badges/assertions/<uuid:uid>/evidence/", views.ob_evidence, name="ob_evidence"),
]
