"""The Carepost JSON API (django-ninja), mounted at /api/v1/.

OpenAPI description: /api/v1/openapi.json; interactive docs: /api/v1/docs.
Every operation authenticates with a per-user API token (see `carepost.api.auth`)
and calls the same selectors and services as the web pages. See docs/api.md.
"""

from ninja import NinjaAPI
from ninja.operation import Operation

from carepost.api.auth import ApiTokenAuth
from carepost.api.errors import install_error_handlers
from carepost.api.routers import organisation, posts, publications, review

DESCRIPTION = """\
Draft, screen, review and publish posts about the people your organisation supports,
with the same rules as the web pages: screening findings, four-eyes approval of the
exact revision, and a publication outbox.

Authenticate with `Authorization: Bearer cp_...`; create a token on the API tokens
page (`/accounts/api-tokens/`). A token acts as you, in one organisation, with your roles.

Every change to a post carries the `version` you last read (`expected_version`);
if someone changed the post since, you get 409 and should read it again.

Errors are `{"detail": "<plain-English message>"}`: 400 invalid input, 401 no or bad
token, 403 not allowed, 404 not found (or in another organisation), 409 wrong state
or changed by someone else, 422 request body or parameters not readable.
"""


class CarepostAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        """Short, stable operation ids (`create_post`), not module paths."""
        return operation.view_func.__name__


api = CarepostAPI(
    title="Carepost API",
    version="1",
    description=DESCRIPTION,
    auth=ApiTokenAuth(),
    urls_namespace="api",
)
install_error_handlers(api)

api.add_router("", organisation.router)
api.add_router("", posts.router)
api.add_router("", review.router)
api.add_router("", publications.router)
