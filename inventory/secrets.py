"""Keeping secret values out of every output.

The readers see passwords and tokens in env vars, Secrets and connection strings. Only names
leave a reader: every string that goes into evidence or a report passes through
:func:`redact_env` or :func:`redact_text` first, which replace secret values with ``***``.
"""

from __future__ import annotations

import re

MASK = "***"

_SECRET_NAME = re.compile(
    r"(password|passwd|passphrase|(?<![a-z])pass(?![a-z])|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|"
    r"credential|authorization|auth[_-]?(token|key|secret|header)|bearer|session[_-]?key|signing[_-]?key|"
    r"client[_-]?secret|sas[_-]?token|jwt[_-]?(secret|key)|encryption[_-]?key|\bkey\b|_key$|^key_)",
    re.IGNORECASE,
)

# user:password@ in URLs and DSNs (scheme://user:pass@host, user/pass@host for Oracle-style)
_URL_PASSWORD = re.compile(r"(?P<pre>(?<![A-Za-z0-9+.\-])[A-Za-z][A-Za-z0-9+.\-]*://[^:/@\s]*:)(?P<pw>[^@\s/]+)(?P<post>@)")
# user:password@tcp(host) in Go MySQL DSNs, user/password@ in Oracle connect strings
_DSN_PASSWORD = re.compile(r"(?P<pre>(?:^|[\s\"'=])[^\s:@/\"'=]*:)(?P<pw>[^@\s]+)(?P<post>@(?:tcp|udp|unix)\()")
_ORACLE_PASSWORD = re.compile(
    r"(?P<pre>(?:jdbc:oracle:[a-z]+:|(?:^|[\s\"'=]))[^\s/@:\"'=]+/)(?P<pw>[^@\s/]+)(?P<post>@(?://)?[A-Za-z0-9])",
    re.IGNORECASE,
)
# key=value pairs in connection strings: Password=...; pwd=...; and query parameters
_KV_PASSWORD = re.compile(
    r"(?P<pre>(?:^|[;&?,]|(?<!\s)\s)\s*(?:password|pwd|passwd|secret|token|api[_-]?key|access[_-]?key|"
    r"sharedaccesskey|accountkey)\s*=\s*)(?P<pw>[^;&\s,]+)",
    re.IGNORECASE,
)
# --password=..., --token ... style command-line flags
_FLAG_PASSWORD = re.compile(
    r"(?P<pre>(?<![A-Za-z0-9_.-])--?[A-Za-z0-9_.-]*(?:password|passwd|secret|token|api[_-]?key|access[_-]?key)[A-Za-z0-9_.-]*"
    r"(?:=|\s+))(?P<pw>[^\s\"']+)",
    re.IGNORECASE,
)


#: Names already judged by :func:`looks_secret`: the same variable names recur in every service
#: of an inventory, and the pattern is long. Emptied when full; long names are not remembered.
_JUDGED: dict[str, bool] = {}
_JUDGED_ENTRIES = 50_000
_JUDGED_LENGTH = 200


def looks_secret(name: str) -> bool:
    """True when an env var, ConfigMap key or flag name suggests its value is a secret.

    >>> looks_secret("DB_PASSWORD"), looks_secret("GITHUB_TOKEN"), looks_secret("CART_SERVICE_ADDR")
    (True, True, False)
    """
    known = _JUDGED.get(name)
    if known is None:
        if len(name) > _JUDGED_LENGTH:
            return bool(_SECRET_NAME.search(name))
        if len(_JUDGED) >= _JUDGED_ENTRIES:
            _JUDGED.clear()
        known = _JUDGED[name] = bool(_SECRET_NAME.search(name))
    return known


def redact_text(text: str) -> str:
    """Mask passwords inside URLs, connection strings and command-line flags.

    >>> redact_text("postgres://app:s3cret@orders-db:5432/orders")
    'postgres://app:***@orders-db:5432/orders'
    >>> redact_text("Host=db;Username=app;Password=hunter2;Database=otel")
    'Host=db;Username=app;Password=***;Database=otel'
    """
    if not text:
        return text
    if "@" in text:  # every password-in-address form needs an @ (cheap test, hot path)
        text = _URL_PASSWORD.sub(lambda m: m.group("pre") + MASK + m.group("post"), text)
        text = _DSN_PASSWORD.sub(lambda m: m.group("pre") + MASK + m.group("post"), text)
        text = _ORACLE_PASSWORD.sub(lambda m: m.group("pre") + MASK + m.group("post"), text)
    # _KV_PASSWORD needs an "=", _FLAG_PASSWORD a "-", and both a word of their own: most values with
    # an "=" or a "-" (a host name) hold none, and a substring test costs far less than the pattern
    has_kv, has_flag = "=" in text, "-" in text
    if not (has_kv or has_flag):
        return text
    if text.isascii():  # then a pattern's words match only where the lower-case text holds them
        lower = text.lower()
        # every word of both patterns holds one of these (api_key, accesskey, accountkey a "key")
        worded = "key" in lower or "passw" in lower or "secret" in lower or "token" in lower
        has_kv = has_kv and (worded or "pwd" in lower)
        has_flag = has_flag and worded
    if has_kv:
        text = _KV_PASSWORD.sub(lambda m: m.group("pre") + MASK, text)
    if has_flag:
        text = _FLAG_PASSWORD.sub(lambda m: m.group("pre") + MASK, text)
    return text


def redact_env(name: str, value: str) -> str:
    """The value of env var ``name`` as it may appear in output.

    >>> redact_env("API_TOKEN", "abc123"), redact_env("DB_URL", "mysql://u:p@db/x")
    ('***', 'mysql://u:***@db/x')
    """
    if looks_secret(name):
        return MASK
    return redact_text(value)
