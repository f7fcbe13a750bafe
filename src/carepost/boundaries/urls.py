from django.urls import path

from carepost.boundaries import views

app_name = "boundaries"

urlpatterns = [
    path("", views.home, name="home"),
    path("request/", views.aid, name="aid"),
    path("request/record/", views.record, name="record"),
    path("requests/<int:request_id>/", views.request_detail, name="request"),
    path("requests/<int:request_id>/seen/", views.request_seen, name="request_seen"),
    path("declarations/new/", views.declaration_new, name="declaration_new"),
    path("declarations/<int:declaration_id>/", views.declaration_detail, name="declaration"),
    path(
        "declarations/<int:declaration_id>/plan/", views.declaration_plan, name="declaration_plan"
    ),
    path(
        "declarations/<int:declaration_id>/close/",
        views.declaration_close,
        name="declaration_close",
    ),
    path(
        "declarations/<int:declaration_id>/link/", views.declaration_link, name="declaration_link"
    ),
    path("plans/<int:plan_id>/read/", views.plan_read, name="plan_read"),
    path("check-up/", views.checkup, name="checkup"),
    path("team/", views.team, name="team"),
    path("report/", views.report, name="report"),
    path("settings/", views.settings_home, name="settings"),
    path("settings/rules/<slug:key>/", views.settings_rule, name="settings_rule"),
    path("settings/templates/<slug:key>/", views.settings_template, name="settings_template"),
    path("settings/codes/<slug:edition>/", views.settings_codes, name="settings_codes"),
]
