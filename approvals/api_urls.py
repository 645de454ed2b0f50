from django.urls import path

from . import api

urlpatterns = [
    path("tasks/", api.TaskListApi.as_view(), name="api-tasks"),
    path("tasks/<id:pk>/claim/", api.TaskClaimApi.as_view(), name="api-task-claim"),
    path("tasks/<id:pk>/unclaim/", api.TaskUnclaimApi.as_view(), name="api-task-unclaim"),
]
