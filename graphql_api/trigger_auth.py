"""The bearer token that guards on-demand runs (``COINFLOW_API_TRIGGER_TOKEN``).

No token configured: the feature is off and the answer is 403 (the route exists and is documented,
but no credential can unlock it on this deployment; 401 would invite retrying with a token). A
missing or wrong token: 401 with ``WWW-Authenticate: Bearer``. Tokens are compared in constant time.
"""

import hmac

from models.settings import Settings

DISABLED = "on-demand runs are disabled: set COINFLOW_API_TRIGGER_TOKEN on the API to enable them"
UNAUTHORIZED = "a valid bearer token is required (Authorization: Bearer <COINFLOW_API_TRIGGER_TOKEN>)"


class TriggerAuthError(Exception):
    """The request may not trigger runs; ``status`` is 403 (disabled) or 401 (no or wrong token)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def check_trigger_token(settings: Settings, authorization: str | None) -> None:
    """Raise TriggerAuthError unless ``authorization`` is ``Bearer <the configured token>``."""
    expected = settings.api_trigger_token
    if expected is None or not expected.get_secret_value():
        raise TriggerAuthError(403, DISABLED)
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        token.strip().encode(), expected.get_secret_value().encode()
    ):
        raise TriggerAuthError(401, UNAUTHORIZED)
