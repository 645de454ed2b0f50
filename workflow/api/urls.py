from django.urls import path

from . import delegations, disbursements, editions, progress, views

urlpatterns = [
    path("auth/token/", views.TokenApi.as_view(), name="api-token"),
    path("areas/provinces/", views.ProvinceListApi.as_view(), name="api-provinces"),
    path("areas/districts/", views.DistrictListApi.as_view(), name="api-districts"),
    path("areas/subdistricts/", views.SubdistrictListApi.as_view(), name="api-subdistricts"),
    path("editions/", views.EditionListApi.as_view(), name="api-editions"),
    path("editions/<id:pk>/", views.EditionDetailApi.as_view(), name="api-edition"),
    path("editions/<id:pk>/districts/", editions.EditionDistrictsApi.as_view(), name="api-edition-districts"),
    path("bank/", views.BankListApi.as_view(), name="api-bank"),
    path("projects/", views.ProjectListApi.as_view(), name="api-projects"),
    path("projects/<id:pk>/", views.ProjectDetailApi.as_view(), name="api-project"),
    path(
        "projects/<id:pk>/transitions/<str:name>/",
        views.ProjectTransitionApi.as_view(),
        name="api-transition",
    ),
    path("projects/<id:pk>/comments/", views.ProjectCommentsApi.as_view(), name="api-comments"),
    path("projects/<id:pk>/evidence/", views.ProjectEvidenceApi.as_view(), name="api-evidence"),
    path("projects/<id:pk>/progress/", progress.ProjectProgressApi.as_view(), name="api-progress"),
    path("projects/<id:pk>/history/", views.ProjectHistoryApi.as_view(), name="api-project-history"),
    path("history/", views.HistoryApi.as_view(), name="api-history"),
    path("delegations/", delegations.DelegationListApi.as_view(), name="api-delegations"),
    path(
        "delegations/candidates/",
        delegations.DelegationCandidatesApi.as_view(),
        name="api-delegation-candidates",
    ),
    path(
        "delegations/<id:pk>/revoke/", delegations.DelegationRevokeApi.as_view(), name="api-delegation-revoke"
    ),
    path("districts/<str:code>/budget/", views.DistrictBudgetApi.as_view(), name="api-district-budget"),
    path(
        "districts/<str:code>/disbursements/",
        disbursements.DistrictDisbursementsApi.as_view(),
        name="api-district-disbursements",
    ),
    path(
        "districts/<str:code>/submission/",
        views.DistrictSubmissionApi.as_view(),
        name="api-district-submission",
    ),
]
