"""Pages of 50 rows; ``page_size`` up to 200 (a larger one is cut to 200).

A ``page_size`` that is not a whole number of at least 1 is 422 ``invalid_input`` naming the
field (it used to be ignored silently); a ``page`` past the last, not a number, or given empty
(``page=``), is 404.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ErrorDetail, NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw, 10)
        except ValueError:
            size = 0
        if size < 1:
            message = _("Give a whole number of at least 1.")
            raise ValidationError({self.page_size_query_param: [ErrorDetail(message, "invalid")]})
        return min(size, self.max_page_size)

    def get_page_number(self, request: Request, paginator: Any) -> Any:
        raw = request.query_params.get(self.page_query_param)
        if raw is not None and not raw.strip():
            raise NotFound(_("Invalid page."))  # DRF would read an empty page as the first one
        return super().get_page_number(request, paginator)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] in (self.page_query_param, self.page_size_query_param):
                parameter["schema"] = {**parameter["schema"], "minimum": 1}
        return parameters
