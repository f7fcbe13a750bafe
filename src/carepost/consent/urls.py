from django.urls import path

from carepost.consent import views

app_name = "consent"

urlpatterns = [
    path("", views.register, name="register"),
    path("people/new/", views.person_new, name="person_new"),
    path("people/<int:person_id>/", views.person_page, name="person"),
    path("people/<int:person_id>/edit/", views.person_edit, name="person_edit"),
    path("people/<int:person_id>/capacity/", views.capacity_add, name="capacity_add"),
    path(
        "people/<int:person_id>/representatives/",
        views.representative_add,
        name="representative_add",
    ),
    path("people/<int:person_id>/consents/", views.consent_add, name="consent_add"),
    path("people/<int:person_id>/form.pdf", views.consent_form_download, name="form_pdf"),
    path(
        "people/<int:person_id>/subject-access.zip",
        views.subject_access_download,
        name="subject_access",
    ),
    path("people/<int:person_id>/erase/", views.person_erase, name="erase"),
    path("consents/<int:record_id>/withdraw/", views.consent_withdraw, name="withdraw"),
    path("evidence/<int:evidence_id>/", views.evidence_download, name="evidence"),
]
