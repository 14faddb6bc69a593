"""Configured secrets never leave the process: every text that is stored, logged, sent to Prefect or
served passes through :func:`redact` first.

A misbehaving upstream can echo a key back (a 401 body quoting the header it got); the text of that
error would otherwise reach ``etl_runs.error``, the CLI, Prefect's logs and the API's ``runs``.
"""

from pydantic import SecretStr

from models.settings import Settings

MASK = "[redacted]"
_MIN_SECRET_LENGTH = 4  # a shorter "secret" would mask ordinary text; nothing real is that short


def configured_secrets(settings: Settings) -> tuple[str, ...]:
    """Every secret value the settings hold (each ``SecretStr`` field that is set), longest first."""
    values = {
        value.get_secret_value()
        for name in type(settings).model_fields
        if isinstance(value := getattr(settings, name), SecretStr)
    }
    return tuple(sorted((v for v in values if len(v) >= _MIN_SECRET_LENGTH), key=len, reverse=True))


def redact(text: str, secrets: tuple[str, ...]) -> str:
    """``text`` with every occurrence of each secret replaced by ``[redacted]``."""
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text
