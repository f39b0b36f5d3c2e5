"""Which addresses one string value (a literal in code, a value in a config file) names.

:func:`inventory.addresses.find_addresses` does the parsing; this module prepares the value and
keeps only what a value in *source* really means as an address:

* placeholders with defaults are resolved to the default (``${ORDERS_HOST:orders}`` -> ``orders``,
  the Spring and shell forms), gRPC target schemes are dropped (``dns:///geo:8083`` -> ``geo:8083``),
  and a format placeholder glued to a host is cut (``http://catalogue%s`` -> ``http://catalogue``);
* a ``host:port`` counts only when it is the whole value (``"orders:8080"``, a Kafka bootstrap list),
  or when the key says the value is an address: ``"Fetching user:1234"`` in a log message is not a
  reference to a service named ``user``;
* public Internet hosts (``www.w3.org``, ``api.stripe.com``) are dropped, unless a datastore or
  broker scheme names them (a managed database is still a shared database);
* a reference is *strong* (reported when it resolves to nothing) only for a URL or connection string
  to a cluster-local name (one label, or a ``.svc`` name); everything else counts only when its host
  turns out to be a known service or datastore.
"""

from __future__ import annotations

import re

from inventory.addresses import (
    BROKER_TECHNOLOGIES,
    DATASTORE_TECHNOLOGIES,
    find_addresses,
    is_address_key,
    technology_of,
)
from inventory.model import Address

_PLACEHOLDER_DEFAULT = re.compile(r"\$\{([A-Za-z_][\w.\-]*):-?([^{}$]*)\}")
_GRPC_SCHEME = re.compile(r"^(?:dns|passthrough|xds|ipv4|ipv6|unix|unix-abstract):/{0,3}(?=[\w\[])", re.IGNORECASE)
_GLUED_PLACEHOLDER = re.compile(r"(://[A-Za-z0-9_][\w\-]*(?:\.[\w\-]+)*)(?:%[sdv]|\$\{[^}]*\}|\{[^}]*\})")
_WHOLE_HOSTPORT = re.compile(
    r"^\s*[A-Za-z0-9_][\w.\-]*:\d{2,5}(?:/\S*)?(?:\s*,\s*[A-Za-z0-9_][\w.\-]*:\d{2,5}(?:/\S*)?)*\s*$"
)
_BARE_HOST = re.compile(r"^[A-Za-z][\w\-]*(?:\.[\w\-]+)*$")
_PUBLIC_TLDS = frozenset({
    "com", "net", "org", "io", "dev", "app", "cloud", "ai", "co", "us", "uk", "de", "fr", "eu", "info", "biz",
    "gov", "edu", "me", "tv", "xyz", "ly", "gl", "to", "sh", "so", "gg", "tech", "site", "online", "page",
})
_FORM_NAMES = {"url": "URL", "jdbc": "JDBC URL", "dsn": "connection string", "hostport": "host:port",
               "bare": "host", "kubelet": "service variable"}


def prepare(value: str) -> tuple[str, str | None]:
    """The value with placeholder defaults, gRPC schemes and glued format placeholders resolved, and
    the key of the first placeholder (``${orders.url:...}`` -> ``orders.url``) as a hint."""
    hint = None
    if "${" in value:
        m = _PLACEHOLDER_DEFAULT.search(value)
        if m:
            hint = m.group(1)
            value = _PLACEHOLDER_DEFAULT.sub(lambda mm: mm.group(2), value)
    if ":/" in value and _GRPC_SCHEME.match(value):
        value = _GRPC_SCHEME.sub("", value, count=1)
    if "://" in value and ("%" in value or "{" in value):
        value = _GLUED_PLACEHOLDER.sub(r"\1", value)
    return value, hint


def worth_parsing(value: str, key: str | None) -> bool:
    """A cheap filter: could this value name an address at all?"""
    if "://" in value or "@tcp(" in value or "jdbc:" in value:
        return True
    if "=" in value and ";" in value:
        return True
    if ":" in value and _WHOLE_HOSTPORT.match(value):
        return True
    if "${" in value and ":" in value:
        return True
    return bool(key) and is_address_key(key) and bool(_BARE_HOST.match(value.strip().strip("\"'")))


def is_public(address: Address) -> bool:
    """A host on the public Internet (``www.w3.org``), by its last label."""
    host = address.host
    if "." not in host or ".svc" in host:
        return False
    return host.rsplit(".", 1)[-1] in _PUBLIC_TLDS


def references_in(value: str, key: str | None = None) -> list[tuple[Address, bool]]:
    """``(address, strong)`` for every address ``value`` names.

    >>> [(a.host, strong) for a, strong in references_in("http://user/customers")]
    [('user', True)]
    >>> references_in("Fetching user:1234 from cache")
    []
    >>> [(a.host, a.port) for a, _ in references_in("${ORDERS:orders:8080}")]
    [('orders', 8080)]
    >>> references_in("https://www.w3.org/2001/XMLSchema")
    []
    """
    if len(value) > 20_000:
        value = value[:20_000]
    prepared, hint = prepare(value)
    key = key or hint
    address_key = is_address_key(key) if key else False
    whole = bool(_WHOLE_HOSTPORT.match(prepared)) if ":" in prepared else False
    out: list[tuple[Address, bool]] = []
    for addr in find_addresses(prepared, key=key):
        if addr.form == "hostport" and not (whole or address_key):
            continue
        tech = technology_of(addr)
        if is_public(addr) and not (tech in DATASTORE_TECHNOLOGIES or tech in BROKER_TECHNOLOGIES):
            continue
        strong = addr.form in ("url", "jdbc", "dsn", "kubelet") and ("." not in addr.host or ".svc" in addr.host)
        out.append((addr, strong))
    return out


def describe_form(address: Address) -> str:
    return _FORM_NAMES.get(address.form, address.form)
