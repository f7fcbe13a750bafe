from django.urls import path

from carepost.policies import views

app_name = "policies"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.policy_new, name="new"),
    path("codes/", views.codes_page, name="codes"),
    path("team/", views.team, name="team"),
    path("coverage/", views.coverage, name="coverage"),
    path("coverage/people/<int:member_id>/", views.placement_set, name="placement_set"),
    path("<int:policy_id>/", views.policy_detail, name="detail"),
    path("<int:policy_id>/versions/new/", views.version_new, name="version_new"),
    path("<int:policy_id>/versions/<int:number>/", views.version_detail, name="version"),
    path("<int:policy_id>/changes/", views.version_changes, name="changes"),
    path("<int:policy_id>/attest/", views.attest, name="attest"),
]
