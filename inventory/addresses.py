"""Finding network references in strings: URLs, connection strings, ``host:port`` and bare hosts.

Readers pass every string that may name another service (env values, args, config values) to
:func:`find_addresses`. It returns :class:`~inventory.model.Address` values with the host (lower
case), port, scheme and database when the string names them, and the *form* the reference had:

``url``      ``scheme://[user[:password]@]host[:port][/path]`` (several hosts allowed, as Mongo does)
``jdbc``     ``jdbc:<driver>://host[:port]/db``, ``jdbc:oracle:thin:@host:port/svc``, SQL Server
``dsn``      key/value connection strings: ``Host=orders-db;Database=orders`` / ``Server=db,1433``
``hostport`` ``orders:8080``, Kafka bootstrap lists ``kafka-0:9092,kafka-1:9092``
``bare``     a whole value that is one host name (``orders``, ``orders.shop.svc``); only when the
             key it came from names an address (``*_HOST``, ``*_ADDR``, ``*_URL`` ...) or the host is
             in a cluster DNS form
``kubelet``  ``$(ORDERS_SERVICE_HOST)`` / ``${ORDERS_SERVICE_HOST}``, the variables the kubelet injects

Nothing here decides whether a host is in the inventory; :mod:`inventory.resolving` does. The
strength of the form decides whether a host that resolves to nothing is reported as unresolved
(``url``, ``jdbc``, ``dsn``, ``kubelet``, and ``hostport``/``bare`` from an address-named key) or
dropped as not a reference at all.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping

from inventory.model import Address
from inventory.secrets import looks_secret, redact_text

_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?"
_HOST = rf"{_LABEL}(?:\.{_LABEL})*"
_HOST_RE = re.compile(rf"^{_HOST}$", re.IGNORECASE)
_HAS_LETTER = re.compile(r"[^\W\d_]")  # what str.isalpha() is true of, of what _HOST_RE lets through

_URL = re.compile(
    r"(?P<scheme>[a-z][a-z0-9+.\-]{1,30})://"
    r"(?:(?P<userinfo>[^@/\s\"'`<>]*)@)?"
    r"(?P<hosts>[a-z0-9_.\-\[\]:%{}$()]+(?:,(?![a-z][a-z0-9+.\-]*://)[a-z0-9_.\-\[\]:%{}$()]*)*)"
    r"(?P<path>/[^\s\"'`<>?#;]*)?",
    re.IGNORECASE,
)
_JDBC_ORACLE = re.compile(r"jdbc:oracle:[a-z]+:(?:[^@\s/:]{1,128}/[^@\s]{0,256})?@(?://)?(?P<host>[a-z0-9_.\-]+)(?::(?P<port>\d+))?(?:[:/](?P<db>\w+))?",
                          re.IGNORECASE)
_JDBC_SQLSERVER = re.compile(r"jdbc:(?:sqlserver|jtds:sqlserver)://(?P<host>[a-z0-9_.\-]+)(?::(?P<port>\d+))?"
                             r"(?P<rest>[^\s\"']*)", re.IGNORECASE)
_DSN_PAIR = re.compile(r"(?:^|;)\s*(?P<key>[a-z ]+?)\s*=\s*(?P<value>[^;]*)", re.IGNORECASE)
_DSN_HOST_KEYS = ("host", "server", "data source", "address", "addr", "network address", "hostname")
_DSN_DB_KEYS = ("database", "initial catalog", "dbname", "db")
_HOSTPORT_GROUPS = re.compile(rf"(?<![\w.\-/:@$])(?P<host>{_HOST}):(?P<port>\d{{2,5}})(?![\w.:])", re.IGNORECASE)
_KUBELET = re.compile(r"\$[({]?(?P<name>[A-Z0-9_]+?)_SERVICE_HOST[)}]?")
_GO_MYSQL = re.compile(r"@tcp\((?P<host>[a-z0-9_.\-]+)(?::(?P<port>\d+))?\)(?:/(?P<db>\w+))?", re.IGNORECASE)

#: The last word of a key whose value is an address even when it is a bare host (``*_HOST``,
#: ``spring.redis.host``, ``kafkaBootstrapServers``). Only the last word counts: ``POSTGRES_USER``,
#: ``MYSQL_DATABASE`` or ``spring.data.mongodb.database`` name a technology but hold no address.
_ADDRESS_WORDS = frozenset({
    "host", "hosts", "hostname", "hostnames", "addr", "addrs", "address", "addresses", "url", "urls", "uri",
    "uris", "endpoint", "endpoints", "server", "servers", "service", "services", "dsn", "broker", "brokers",
    "bootstrap", "upstream", "upstreams", "backend", "backends", "target", "targets", "peer", "peers", "remote",
    "location", "nodes", "seeds", "datasource", "connection", "connstr",
})
#: A key that is nothing but a technology name (``mongo: user-db:27017``) also holds an address.
_TECHNOLOGY_KEYS = frozenset({"amqp", "kafka", "redis", "mongo", "mongodb", "postgres", "postgresql", "mysql",
                              "nats", "rabbitmq"})
_KEY_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
#: Whole values that are never a host name, even under an address-named key.
_NOT_HOSTS = frozenset({"true", "false", "yes", "no", "on", "off", "none", "null", "nil", "enabled", "disabled",
                        "default", "auto"})

SCHEME_TECHNOLOGY: dict[str, str] = {
    "postgres": "postgres", "postgresql": "postgres", "pgsql": "postgres",
    "mysql": "mysql", "mariadb": "mysql", "mysqlx": "mysql",
    "mongodb": "mongodb", "mongodb+srv": "mongodb", "mongo": "mongodb",
    "redis": "redis", "rediss": "redis", "valkey": "redis", "redis-sentinel": "redis",
    "memcached": "memcached", "memcache": "memcached",
    "cassandra": "cassandra", "cql": "cassandra",
    "elasticsearch": "elasticsearch", "es": "elasticsearch",
    "sqlserver": "mssql", "mssql": "mssql", "oracle": "oracle", "db2": "db2",
    "cockroachdb": "postgres", "clickhouse": "clickhouse", "neo4j": "neo4j", "bolt": "neo4j",
    "couchbase": "couchbase", "couchdb": "couchdb", "influxdb": "influxdb",
    "amqp": "rabbitmq", "amqps": "rabbitmq", "rabbitmq": "rabbitmq",
    "kafka": "kafka", "kafka+ssl": "kafka",
    "nats": "nats", "tls+nats": "nats",
    "pulsar": "pulsar", "pulsar+ssl": "pulsar",
    "mqtt": "mqtt", "mqtts": "mqtt", "stomp": "activemq", "tcp+activemq": "activemq",
    "s3": "s3", "gs": "gcs",
}
DATASTORE_TECHNOLOGIES = frozenset({
    "postgres", "mysql", "mongodb", "redis", "memcached", "cassandra", "elasticsearch", "mssql",
    "oracle", "db2", "clickhouse", "neo4j", "couchbase", "couchdb", "influxdb", "s3", "gcs",
})
BROKER_TECHNOLOGIES = frozenset({"rabbitmq", "kafka", "nats", "pulsar", "mqtt", "activemq"})
_LOCAL_HOSTS = frozenset({  # the process itself or every interface: never a dependency
    "localhost", "127.0.0.1", "0.0.0.0", "::", "::1", "[::]", "[::1]", "host.docker.internal",  # noqa: S104
})


#: Answers of :func:`is_address_key` and :func:`find_addresses` already worked out: the same
#: variable names and values recur in every service of an inventory (an OTLP endpoint, a Kafka
#: bootstrap list). Both are pure functions of their arguments; the caches are emptied when full.
_ADDRESS_KEYS: dict[str | None, bool] = {}
_FOUND: dict[tuple[str, str | None], tuple[Address, ...]] = {}
_CACHE_ENTRIES = 50_000
_CACHED_TEXT = 256  # longer texts are not remembered (bounds the cache to a few MB)


def is_address_key(key: str | None) -> bool:
    """True when a key or variable name says its value is an address (``*_HOST``, ``*_URL`` ...)."""
    known = _ADDRESS_KEYS.get(key)
    if known is None:
        if key is not None and len(key) > _CACHED_TEXT:
            return _is_address_key(key)
        if len(_ADDRESS_KEYS) >= _CACHE_ENTRIES:
            _ADDRESS_KEYS.clear()
        known = _ADDRESS_KEYS[key] = _is_address_key(key)
    return known


def _is_address_key(key: str | None) -> bool:
    words = [w.lower() for w in _KEY_WORD.findall(key or "") if not w.isdigit()]
    if not words:
        return False
    if len(words) == 1 and words[0] in _TECHNOLOGY_KEYS:
        return True
    last = words[-1]
    if last in ("string", "str") and len(words) > 1 and words[-2] in ("connection", "conn"):
        return True
    return last in _ADDRESS_WORDS


def _clean_host(host: str) -> str | None:
    host = host.strip().strip("[]").rstrip(".").lower()
    if not host or host in _LOCAL_HOSTS or "$" in host or "{" in host or "(" in host or "%" in host:
        return None
    if not _HOST_RE.match(host):
        return None
    if not _HAS_LETTER.search(host):  # no letter: an IPv4 address or a number
        return None
    return host


def _port(text: str | None) -> int | None:
    if not text or not text.isdecimal() or len(text) > 5:
        return None
    value = int(text)
    return value if 0 < value < 65536 else None


def _split_hosts(hosts: str) -> Iterator[tuple[str, int | None]]:
    for part in hosts.split(","):
        part = part.strip()
        if not part:
            continue
        if part.startswith("["):  # IPv6 literal
            continue
        host, _, port = part.partition(":")
        yield host, _port(port)


def _url_addresses(text: str, spans: list[tuple[int, int]]) -> Iterator[Address]:
    """The URLs of ``text``; the span of every URL match is appended to ``spans``."""
    for m in _URL.finditer(text):
        spans.append(m.span())
        scheme = m.group("scheme").lower()
        if scheme in ("file", "data", "mailto", "urn", "git", "ssh+git"):
            continue
        raw = m.group(0)
        form = "url"
        if text[max(m.start() - 5, 0) : m.start()].lower() == "jdbc:":
            raw, form = "jdbc:" + raw, "jdbc"
        path = m.group("path") or ""
        database = None
        tech = SCHEME_TECHNOLOGY.get(scheme)
        if tech and path.strip("/"):
            database = path.strip("/").split("/")[0] or None
        if tech == "redis" or tech in BROKER_TECHNOLOGIES:
            database = None  # redis /0 is a db index and an AMQP path is a vhost, not a schema
        for host, port in _split_hosts(m.group("hosts")):
            clean = _clean_host(host)
            if clean:
                yield Address(clean, port, scheme, database, raw, form)


def _jdbc_addresses(text: str) -> Iterator[Address]:
    for m in _JDBC_ORACLE.finditer(text):
        host = _clean_host(m.group("host"))
        if host:
            yield Address(host, _port(m.group("port")), "oracle", m.group("db"), m.group(0), "jdbc")
    for m in _JDBC_SQLSERVER.finditer(text):
        host = _clean_host(m.group("host"))
        if host:
            db = None
            dbm = re.search(r"(?:databaseName|database)=([^;]+)", m.group("rest"), re.IGNORECASE)
            if dbm:
                db = dbm.group(1)
            yield Address(host, _port(m.group("port")), "sqlserver", db, m.group(0), "jdbc")


def _dsn_addresses(text: str) -> Iterator[Address]:
    if "=" not in text or ";" not in text:
        return
    pairs = {m.group("key").strip().lower(): m.group("value").strip() for m in _DSN_PAIR.finditer(text)}
    host_value = next((pairs[k] for k in _DSN_HOST_KEYS if pairs.get(k)), None)
    if not host_value:
        return
    database = next((pairs[k] for k in _DSN_DB_KEYS if pairs.get(k)), None)
    scheme = "sqlserver" if ("initial catalog" in pairs or "data source" in pairs) else "dsn"
    host_value = host_value.removeprefix("tcp:").split(";")[0].strip()
    host, sep, port = host_value.partition(",")
    if not sep:
        host, _, port = host_value.partition(":")
    clean = _clean_host(host)
    if clean:
        explicit_port = _port(port.strip()) or _port(pairs.get("port"))
        yield Address(clean, explicit_port, scheme, database or None, text, "dsn")


def find_addresses(text: str, *, key: str | None = None) -> list[Address]:
    """All network references in ``text``, in order of appearance, without duplicates.

    ``key`` is the env var, config key or flag the text came from; it lets a bare host count.

    >>> [(a.host, a.port, a.form) for a in find_addresses("productcatalogservice:3550")]
    [('productcatalogservice', 3550, 'hostport')]
    >>> [(a.host, a.database) for a in find_addresses("jdbc:postgresql://orders-db:5432/orders")]
    [('orders-db', 'orders')]
    >>> [a.host for a in find_addresses("frontend", key="FRONTEND_HOST")]
    ['frontend']
    >>> find_addresses("debug", key="LOG_LEVEL")
    []
    """
    return list(addresses_in(text, key))


def addresses_in(text: str, key: str | None = None) -> tuple[Address, ...]:
    """:func:`find_addresses` as a tuple (the one remembered for ``text`` and ``key``, not a copy)."""
    if not text or not isinstance(text, str):
        return ()
    if len(text) > _CACHED_TEXT:
        return tuple(_find_addresses(text, key))
    found = _FOUND.get((text, key))
    if found is None:
        if len(_FOUND) >= _CACHE_ENTRIES:
            _FOUND.clear()
        found = _FOUND[text, key] = tuple(_find_addresses(text, key))
    return found


def _find_addresses(text: str, key: str | None) -> list[Address]:
    if ":" not in text and "$" not in text and "@" not in text and "=" not in text \
            and not (".svc" in text or is_address_key(key)):
        return []  # no URL, host:port, DSN or variable, and no key that makes a bare host count
    if len(text) > 100_000:
        text = text[:100_000]
    found: list[Address] = []
    seen: set[tuple[str, int | None]] = set()
    spans: list[tuple[int, int]] = []

    def add(addr: Address) -> None:
        k = (addr.host, addr.port)
        if k not in seen:
            seen.add(k)
            found.append(addr)

    # Each pattern runs only when the text holds what every match of it needs (a cheap substring
    # test): most values are a plain host:port or URL, and a regex scan costs far more.
    colon = ":" in text
    if colon and "jdbc:" in text.lower():
        for addr in _jdbc_addresses(text):
            add(addr)
    if "://" in text:
        for addr in _url_addresses(text, spans):
            add(addr)
    if "@" in text and "(" in text:
        for m in _GO_MYSQL.finditer(text):
            host = _clean_host(m.group("host"))
            if host:
                add(Address(host, _port(m.group("port")), "mysql", m.group("db"), m.group(0), "dsn"))
                spans.append(m.span())
    for addr in _dsn_addresses(text):
        add(addr)
    if "_SERVICE_HOST" in text:
        for m in _KUBELET.finditer(text):
            host = m.group("name").lower().replace("_", "-")
            if _clean_host(host):
                add(Address(host, None, None, None, m.group(0), "kubelet"))
    secret_key = bool(key) and looks_secret(key or "")
    # a password or token is never a host; it must not become a reference either
    for m in _HOSTPORT_GROUPS.finditer(text) if colon and not secret_key else ():
        if any(a <= m.start() < b for a, b in spans):
            continue
        host = _clean_host(m.group("host"))
        if host:  # never an IP address: _clean_host keeps only names with a letter and no colon
            add(Address(host, _port(m.group("port")), None, None, m.group(0), "hostport"))
    if not found and not secret_key:
        bare = text.strip().strip("\"'")
        host = _clean_host(bare) if bare and " " not in bare and bare.lower() not in _NOT_HOSTS else None
        if host and (is_address_key(key) or ".svc" in host):
            add(Address(host, None, None, None, bare, "bare"))
    return [Address(a.host, a.port, a.scheme, a.database, redact_text(a.raw), a.form) for a in found]


def is_strong(address: Address, key: str | None = None) -> bool:
    """Whether a reference that resolves to nothing is worth reporting as unresolved."""
    if address.form in ("url", "jdbc", "dsn", "kubelet"):
        return True
    return is_address_key(key) or ".svc" in address.host


def technology_of(address: Address) -> str | None:
    """The technology a reference's scheme names (``postgres``, ``kafka`` ...), if any."""
    if address.scheme:
        return SCHEME_TECHNOLOGY.get(address.scheme.lower())
    return None


def split_cluster_host(host: str) -> list[tuple[str, str | None]]:
    """Candidate ``(name, namespace)`` pairs for a host in any Kubernetes DNS form, best first.

    >>> split_cluster_host("orders.shop.svc.cluster.local")
    [('orders', 'shop')]
    >>> split_cluster_host("kafka-0.kafka-headless.kafka.svc")
    [('kafka-headless', 'kafka'), ('kafka-0', 'kafka')]
    >>> split_cluster_host("orders.shop")
    [('orders', 'shop'), ('orders.shop', None)]
    >>> split_cluster_host("orders")
    [('orders', None)]
    """
    parts = host.split(".")
    if "svc" in parts:
        i = parts.index("svc")
        before = parts[:i]
        if len(before) >= 3:
            return [(before[-2], before[-1]), (before[-3], before[-1])]
        if len(before) == 2:
            return [(before[0], before[1])]
        if len(before) == 1:
            return [(before[0], None)]
    if len(parts) == 1:
        return [(host, None)]
    if len(parts) == 2:
        return [(parts[0], parts[1]), (host, None)]
    if len(parts) == 3 and not _looks_public(parts[-1]):
        return [(parts[1], parts[2]), (parts[0], parts[1]), (host, None)]
    return [(host, None)]


_PUBLIC_TLDS = frozenset({
    "com", "net", "org", "io", "dev", "app", "cloud", "ai", "co", "us", "uk", "de", "fr", "eu", "info",
    "biz", "gov", "edu", "me", "tv", "xyz", "internal", "local", "localdomain", "lan", "corp", "amazonaws",
})


def _looks_public(tld: str) -> bool:
    return tld in _PUBLIC_TLDS


_HOST_SUFFIXES = ("_HOSTNAME", "_HOST", "_ADDRESS", "_ADDR", "_SERVER", "_SERVERS")
_SCHEMA_SUFFIXES = ("_DB", "_DATABASE", "_DB_NAME", "_DATABASE_NAME", "_DBNAME", "_SCHEMA", "_NAME")
_SCHEMA_VALUE = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-.]{0,62}$")


def schema_hint(key: str, env: Mapping[str, str]) -> str | None:
    """The database that a host variable's sibling names: ``DB_HOST`` + ``DB_NAME``,
    ``POSTGRES_HOST`` + ``POSTGRES_DB``, ``ORDERS_DB_ADDR`` + ``ORDERS_DB_NAME``.

    >>> schema_hint("DB_HOST", {"DB_HOST": "orders-db", "DB_NAME": "orders"})
    'orders'
    >>> schema_hint("REDIS_HOST", {"REDIS_DB": "0"}) is None
    True
    """
    return schema_hints(env)(key)


def schema_hints(env: Mapping[str, str]) -> Callable[[str], str | None]:
    """``schema_hint(key, env)`` as a function of ``key``, for many keys of one ``env`` (which must
    not change meanwhile): its names are put in upper case once, when a key first needs them."""
    by_upper: dict[str, str] | None = None

    def hint(key: str) -> str | None:
        nonlocal by_upper
        prefix = _host_prefix(key) if len(key) <= _CACHED_TEXT else _prefix_of(key)
        if not prefix:
            return None
        if by_upper is None:
            by_upper = {k.upper(): v for k, v in env.items()}
        return _schema_named(prefix, by_upper)

    return hint


def _prefix_of(key: str) -> str | None:
    """``DB`` for ``DB_HOST``: what precedes a host variable's suffix, in upper case."""
    upper = key.upper()
    if upper.endswith("_SERVICE_HOST"):
        return None
    return next((upper[: -len(s)] for s in _HOST_SUFFIXES if upper.endswith(s)), None)


_host_prefix = functools.lru_cache(maxsize=_CACHE_ENTRIES)(_prefix_of)  # the same names recur in every service


def _schema_named(prefix: str, by_upper: Mapping[str, str]) -> str | None:
    for suffix in _SCHEMA_SUFFIXES:
        value = by_upper.get(prefix + suffix)
        if value and _SCHEMA_VALUE.match(value.strip()):
            return value.strip()
    return None


_COMMAND_WAIT = re.compile(
    r"\b(?:nc|netcat|ncat)\b(?:\s+-[A-Za-z]+(?:\s+\d+)?)*\s+(?P<host>[A-Za-z0-9][A-Za-z0-9.\-]*)\s+(?P<port>\d{2,5})"
    r"|\b(?:nslookup|host|dig|ping)\s+(?:-[A-Za-z]+\s+)*(?P<host2>[A-Za-z][A-Za-z0-9.\-]*)"
    r"|(?:^|\s)-h\s*(?P<host3>[A-Za-z][A-Za-z0-9.\-]*)"
    r"|--host[= ](?P<host4>[A-Za-z][A-Za-z0-9.\-]*)"
    r"|\bwait-for(?:-it)?(?:\.sh)?\s+(?P<host5>[A-Za-z][A-Za-z0-9.\-]*):(?P<port5>\d{2,5})"
)


def find_command_addresses(text: str) -> list[tuple[Address, bool]]:
    """Addresses in a command line: ``(address, named_as_host)``.

    Everything :func:`find_addresses` sees, plus the hosts a command waits for or connects to by
    name (``nc -z db 5432``, ``nslookup db``, ``pg_isready -h db``, ``--host=db``,
    ``wait-for-it db:5432``), for which ``named_as_host`` is True.

    >>> [(a.host, a.port, named) for a, named in find_command_addresses("until nc -z orders-db 5432; do sleep 1; done")]
    [('orders-db', 5432, True)]
    """
    found: list[tuple[Address, bool]] = [(a, False) for a in find_addresses(text)]
    for m in _COMMAND_WAIT.finditer(text):
        host = next(m.group(g) for g in ("host", "host2", "host3", "host4", "host5") if m.group(g))
        port = m.group("port") or m.group("port5")
        for addr in find_addresses(f"{host}:{port}" if port else host, key="host"):
            if all(addr.host != f.host for f, _ in found):
                found.append((addr, True))
    return found
