"""Hypothesis strategies for hostile and broken inputs, shared by the property tests
(``tests/inventory/test_properties.py``) and the fuzzing run (``make fuzz``, :mod:`bench.fuzz`).

Three families:

* **arbitrary values** (:data:`json_values`, :data:`yaml_values`): recursive JSON-like data, and the
  extra types a YAML loader builds (dates, bytes, sets, keys that are numbers or null), with strings
  that have hurt parsers before (formulas, markup, unclosed ``${``, Unicode digits, planted secrets);
* **near-valid documents** (:func:`near_valid`): a small valid document of one format with a few
  random fields replaced by a value of another type, deleted, or wrapped in a list or a mapping: a
  Deployment whose ``containers`` is a string, a Compose ``environment`` that is a number, an AsyncAPI
  whose ``channels`` is a list ...; one template set per reader (:data:`TEMPLATES`), trace dumps too
  (:data:`TRACE_TEMPLATES`, :func:`alibaba_csv`);
* **text soups** (:data:`yaml_soup`, :data:`code_soup`): token sequences that are almost YAML or almost
  code, reaching the loader's and the scanner's error paths far more often than random characters do.

The second half holds the *properties* as plain functions (:func:`parse_document`,
:func:`parse_file_text`, :func:`read_trace` ...): each drives one entry point with one input and
asserts what must hold for any input (only the project's own :class:`~inventory.errors.AdvisorError`
may be raised; accounting adds up; no skipped entry hides a crash; the resolver takes the result).

Every planted secret value contains ``s3cr3t-`` so that tests can search outputs for it.
"""

from __future__ import annotations

import copy
import csv
import io
import json
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from typing import Any

import yaml
from hypothesis import strategies as st

from inventory import backstage
from inventory.documents import Document
from inventory.errors import AdvisorError
from inventory.model import Fragment, Inventory, Skipped
from inventory.options import ReadOptions
from inventory.reading import READERS, FileContext, FileResult, parse_text, read_file
from inventory.resolving import resolve
from inventory.sourcecode.scanning import scan_source
from inventory.sources import InputFile
from inventory.traces import alibaba, jaeger, mesh, otlp, zipkin

SECRET_MARK = "s3cr3t-"

#: Keys the readers look up, so that random mappings hit real code paths.
FIELD_NAMES = (
    "apiVersion", "kind", "metadata", "name", "namespace", "labels", "annotations", "spec", "template",
    "containers", "initContainers", "env", "envFrom", "value", "valueFrom", "configMapKeyRef", "key", "items",
    "data", "stringData", "args", "command", "image", "replicas", "resources", "requests", "cpu", "memory",
    "selector", "ports", "rules", "http", "route", "destination", "host", "services", "environment",
    "depends_on", "links", "networks", "aliases", "deploy", "healthcheck", "dependsOn", "consumesApis",
    "providesApis", "owner", "system", "type", "lifecycle", "relations", "targetRef", "asyncapi", "channels",
    "operations", "publish", "subscribe", "servers", "components", "messages", "$ref", "info", "title",
    "address", "action", "channel", "advisor", "resources", "dependencies", "source", "target", "weight", "via",
    "role", "protocol", "schema_version", "x-", "<<",
)

NASTY_STRINGS = (
    "", " ", "\n", "three", "-1", "1e400", ".inf", "²", "٣", "9" * 40, "=cmd|' /C calc'!A0", "@SUM(1+1)",
    "+1", "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[x](javascript:alert(1))",
    "line one\nline two", "${A:-${B:-", "${UNSET}", "$(HOST)", "$$", "a:b@c", "http://", "orders:8080",
    "postgres://app:s3cr3t-pg@orders-db:5432/orders", "Host=db;Password=s3cr3t-net;Database=x", "Host=h:²;Db=x",
    "--password=s3cr3t-flag", "user:s3cr3t-go@tcp(db:3306)/x", "jdbc:oracle:thin:u/s3cr3t-ora@db:1521/x",
    "component:default/orders", "api:x", "#/components/messages/x", "#/channels/²", "../../etc/passwd",
    "\ufeff", "\u202e", "x" * 300, "- - - -", "{{ .Values.image }}", "kind: Deployment", "null", "~",
)

_keys = st.one_of(st.sampled_from(FIELD_NAMES), st.text(max_size=10), st.sampled_from(NASTY_STRINGS))
json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=24), st.sampled_from(NASTY_STRINGS),
)
#: What ``json.loads`` can give.
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_keys, inner, max_size=5)),
    max_leaves=24,
)
_yaml_keys = st.one_of(_keys, st.integers(), st.none(), st.booleans(), st.floats(allow_nan=False), st.dates())
yaml_scalars = st.one_of(
    json_scalars, st.dates(), st.datetimes(), st.binary(max_size=8),
    st.frozensets(st.text(max_size=4), max_size=3).map(set),
)
#: What the safe YAML loader can give: also dates, bytes, sets and keys that are not strings.
yaml_values = st.recursive(
    yaml_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_yaml_keys, inner, max_size=5)),
    max_leaves=24,
)


# --------------------------------------------------------------------------------------------
# Near-valid documents
# --------------------------------------------------------------------------------------------

_DEPLOYMENT = {
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "orders", "namespace": "shop", "labels": {"app": "orders", "team": "team-a"},
                 "annotations": {"owner": "team-a"}},
    "spec": {
        "replicas": 2, "selector": {"matchLabels": {"app": "orders"}},
        "template": {
            "metadata": {"labels": {"app": "orders"}},
            "spec": {
                "initContainers": [{"name": "wait", "image": "busybox", "command": ["sh", "-c", "nc -z db 5432"]}],
                "containers": [{
                    "name": "orders", "image": "shop/orders:1.0",
                    "env": [
                        {"name": "PAYMENTS_ADDR", "value": "payments:8080"},
                        {"name": "DATABASE_URL", "value": "postgres://app:s3cr3t-k8s@orders-db:5432/orders"},
                        {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "pw"}}},
                        {"name": "CART", "valueFrom": {"configMapKeyRef": {"name": "orders-config", "key": "cart"}}},
                    ],
                    "envFrom": [{"configMapRef": {"name": "orders-config"}}, {"secretRef": {"name": "db"}}],
                    "args": ["--port=8080", "--password=s3cr3t-arg"],
                    "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"cpu": 1}},
                }],
                "volumes": [{"name": "cfg", "configMap": {"name": "orders-config"}}],
            },
        },
    },
}
_SERVICE = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "orders", "namespace": "shop"},
            "spec": {"selector": {"app": "orders"}, "ports": [{"port": 80, "targetPort": 8080}], "type": "ClusterIP"}}
_CONFIG_MAP = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "orders-config", "namespace": "shop"},
               "data": {"cart": "http://cart:7070", "application.yaml":
                        "spring:\n  datasource:\n    url: jdbc:postgresql://orders-db/orders\n"
                        "    password: s3cr3t-spring\n"}}
_SECRET = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"},
           "data": {"pw": "czNjcjN0LWJhc2U2NA=="}, "stringData": {"password": "s3cr3t-string-data"}}
_INGRESS = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web"},
            "spec": {"rules": [{"host": "shop.example", "http": {"paths": [
                {"path": "/", "backend": {"service": {"name": "orders", "port": {"number": 80}}}}]}}]}}
_VIRTUAL_SERVICE = {"apiVersion": "networking.istio.io/v1beta1", "kind": "VirtualService",
                    "metadata": {"name": "orders"},
                    "spec": {"hosts": ["orders"], "gateways": ["shop-gateway"],
                             "http": [{"route": [{"destination": {"host": "orders", "port": {"number": 80}}}]}]}}
_CRONJOB = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "report"},
            "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": {"spec": {
                "containers": [{"name": "r", "image": "shop/report", "env": [{"name": "API", "value": "http://orders"}]}]
            }}}}}}
_LIST = {"apiVersion": "v1", "kind": "List", "items": [_SERVICE, _CONFIG_MAP]}

_COMPOSE = {
    "name": "shop",
    "services": {
        "web": {"image": "shop/web:1", "depends_on": ["api"], "links": ["api:backend"],
                "environment": {"API_URL": "http://api:8080", "API_TOKEN": "s3cr3t-compose-token",
                                "REPLICAS": "${REPLICAS:-2}"},
                "ports": ["8080:80"], "networks": {"front": {"aliases": ["www"]}}},
        "api": {"build": ".", "command": "serve --db-password=s3cr3t-cmd --db postgres://u:s3cr3t-cmdurl@db/x",
                "environment": ["DB_HOST=db", "REDIS_URL=redis://:s3cr3t-redis@cache:6379/0"],
                "depends_on": {"db": {"condition": "service_healthy"}},
                "deploy": {"replicas": 2, "resources": {"limits": {"cpus": "0.5", "memory": "512M"}}},
                "labels": {"team": "team-a"}},
        "db": {"image": "postgres:16", "environment": {"POSTGRES_PASSWORD": "s3cr3t-pg-compose"}},
        "cache": {"image": "redis:7"},
    },
    "x-common": {"image": "ignored"},
}

_COMPONENT = {
    "apiVersion": "backstage.io/v1alpha1", "kind": "Component",
    "metadata": {"name": "orders", "title": "<b>Orders</b>", "description": "=cmd|' /C calc'!A0",
                 "annotations": {"backstage.io/source-location": "url:https://github.com/acme/orders"},
                 "labels": {"tier": "backend"}},
    "spec": {"type": "service", "lifecycle": "production", "owner": "team-a", "system": "shop",
             "dependsOn": ["component:payments", "resource:orders-db"], "consumesApis": ["cart-api"],
             "providesApis": ["orders-api"]},
    "relations": [{"type": "dependsOn", "targetRef": "component:default/payments"}],
}
_RESOURCE = {"apiVersion": "backstage.io/v1alpha1", "kind": "Resource", "metadata": {"name": "orders-db"},
             "spec": {"type": "database", "owner": "team-a"}}
_API = {"apiVersion": "backstage.io/v1alpha1", "kind": "API", "metadata": {"name": "cart-api"},
        "spec": {"type": "openapi", "lifecycle": "production", "owner": "team-b", "definition": "openapi: 3.0.0"}}
_CATALOG_ANSWER = {"items": [_COMPONENT, _RESOURCE]}

_ASYNCAPI_2 = {
    "asyncapi": "2.6.0", "info": {"title": "Orders Service", "version": "1.0.0"},
    "servers": {"prod": {"url": "kafka://kafka:9092", "protocol": "kafka"}},
    "channels": {
        "order.created": {"publish": {"message": {"$ref": "#/components/messages/Order"}}},
        "payment.done": {"subscribe": {"operationId": "onPayment"}, "bindings": {"kafka": {"topic": "payments"}}},
    },
    "components": {"messages": {"Order": {"payload": {"type": "object"}}}},
}
_ASYNCAPI_3 = {
    "asyncapi": "3.0.0", "info": {"title": "Shipping", "version": "1"},
    "channels": {"shipped": {"address": "shipping.shipped", "messages": {"m": {"payload": {}}}}},
    "operations": {"sendShipped": {"action": "send", "channel": {"$ref": "#/channels/shipped"}},
                   "onOrder": {"action": "receive", "channel": {"$ref": "#/channels/missing"}}},
}

_NATIVE = {
    "advisor": "inventory/v1", "description": "the shop",
    "services": [{"name": "orders", "namespace": "shop", "owner": "team-a", "replicas": 3, "cpu_request": "250m",
                  "memory_request": "512Mi", "labels": {"tier": "backend"}, "aliases": ["orders-svc"],
                  "images": ["shop/orders:1"]},
                 {"name": "payments", "owner": "team-b"}, "shipping"],
    "resources": [{"name": "orders-db", "kind": "database", "technology": "postgres"},
                  {"name": "order-events", "kind": "topic"}],
    "dependencies": [{"source": "orders", "target": "payments", "kind": "sync", "weight": 40},
                     {"source": "orders", "target": "orders-db", "kind": "datastore", "via": "orders"},
                     {"source": "orders", "target": "order-events", "role": "produce"},
                     {"source": "shipping", "target": "orders-db",
                      "description": "reads postgres://u:s3cr3t-native@orders-db/orders"}],
    "aliases": {"orders": ["order-service"]}, "owners": {"team-c": ["shipping"]},
}
_EDGELIST = {"advisor": "inventory/v1", "basis": "observed",
             "dependencies": [{"source": "a", "target": "b", "kind": "sync", "weight": 1200, "errors": 3}]}
_REPORT = {"schema_version": 1, "services": [{"id": "orders", "name": "orders", "owner": "team-a"}],
           "resources": [{"id": "database:db", "name": "db", "kind": "database"}],
           "dependencies": [{"source": "orders", "target": "database:db", "kind": "datastore", "evidence": []}]}

#: Valid documents per document reader (``inventory.reading.READERS`` names).
TEMPLATES: dict[str, tuple[dict[str, Any], ...]] = {
    "kubernetes": (_DEPLOYMENT, _SERVICE, _CONFIG_MAP, _SECRET, _INGRESS, _VIRTUAL_SERVICE, _CRONJOB, _LIST),
    "compose": (_COMPOSE,),
    "backstage": (_COMPONENT, _RESOURCE, _API, _CATALOG_ANSWER),
    "asyncapi": (_ASYNCAPI_2, _ASYNCAPI_3),
    "native": (_NATIVE, _EDGELIST, _REPORT),
}

_OTLP = {"resourceSpans": [{
    "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "frontend"}}]},
    "scopeSpans": [{"spans": [
        {"traceId": "aa", "spanId": "01", "parentSpanId": "", "name": "GET /", "kind": 2},
        {"traceId": "aa", "spanId": "02", "parentSpanId": "01", "name": "call cart", "kind": "SPAN_KIND_CLIENT",
         "attributes": [{"key": "peer.service", "value": {"stringValue": "cart"}},
                        {"key": "db.connection_string",
                         "value": {"stringValue": "postgres://u:s3cr3t-otlp@db/x"}}]},
        {"traceId": "aa", "spanId": "03", "parentSpanId": "01", "name": "send", "kind": 4,
         "attributes": [{"key": "messaging.system", "value": {"stringValue": "kafka"}},
                        {"key": "messaging.destination.name", "value": {"stringValue": "orders"}}]},
    ]}],
}]}
_JAEGER_DEPENDENCIES = {"data": [{"parent": "frontend", "child": "driver", "callCount": 42},
                                 {"parent": "driver", "child": "redis", "callCount": 7}], "total": 0}
_JAEGER_TRACES = {"data": [{"traceID": "t", "spans": [
    {"traceID": "t", "spanID": "1", "operationName": "GET", "references": [], "processID": "p1",
     "tags": [{"key": "span.kind", "type": "string", "value": "server"}]},
    {"traceID": "t", "spanID": "2", "operationName": "call", "processID": "p1",
     "references": [{"refType": "CHILD_OF", "traceID": "t", "spanID": "1"}],
     "tags": [{"key": "span.kind", "value": "client"}, {"key": "peer.service", "value": "customer"}]},
    {"traceID": "t", "spanID": "3", "operationName": "serve", "processID": "p2",
     "references": [{"refType": "CHILD_OF", "traceID": "t", "spanID": "2"}], "tags": []}],
    "processes": {"p1": {"serviceName": "frontend"}, "p2": {"serviceName": "customer"}}}]}
_ZIPKIN_V2 = [
    {"traceId": "463ac35c9f6413ad", "id": "a1", "kind": "SERVER", "name": "get /",
     "localEndpoint": {"serviceName": "frontend"}},
    {"traceId": "463ac35c9f6413ad", "id": "a2", "parentId": "a1", "kind": "CLIENT", "name": "get /api",
     "localEndpoint": {"serviceName": "frontend"}, "remoteEndpoint": {"serviceName": "backend", "port": 8080},
     "tags": {"http.url": "http://backend/api", "error": "timeout"}},
]
_ZIPKIN_V1 = [{"traceId": "0abc", "id": "01", "name": "get", "annotations": [
    {"timestamp": 1, "value": "cs", "endpoint": {"serviceName": "web"}},
    {"timestamp": 2, "value": "sr", "endpoint": {"serviceName": "api"}}], "binaryAnnotations": []}]
_PROMETHEUS = {"status": "success", "data": {"resultType": "vector", "result": [
    {"metric": {"source_canonical_service": "productpage", "destination_canonical_service": "reviews",
                "request_protocol": "http", "response_code": "500"}, "value": [1700000000.1, "300"]}]}}
_KIALI = {"elements": {
    "nodes": [{"data": {"id": "n1", "nodeType": "workload", "namespace": "ns", "workload": "a-v1", "app": "a"}},
              {"data": {"id": "n2", "nodeType": "service", "namespace": "ns", "service": "b"}}],
    "edges": [{"data": {"source": "n1", "target": "n2", "traffic": {"protocol": "http", "rates": {"http": "1.5"}}}}]}}

#: Valid trace dumps and mesh answers, by the stream reader that reads them.
TRACE_TEMPLATES: dict[str, tuple[object, ...]] = {
    "otlp": (_OTLP,), "jaeger": (_JAEGER_DEPENDENCIES, _JAEGER_TRACES), "zipkin": (_ZIPKIN_V2, _ZIPKIN_V1),
    "prometheus": (_PROMETHEUS,), "kiali": (_KIALI,),
}


def _paths(node: object, prefix: tuple[object, ...] = ()) -> Iterator[tuple[object, ...]]:
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, (*prefix, i))


def _get(node: Any, path: tuple[object, ...]) -> Any:
    for part in path:
        node = node[part]
    return node


_HOW = ("replace", "replace", "replace", "delete", "in-list", "in-mapping", "as-text")


def _mutate(doc: Any, path: tuple[object, ...], how: str, value: object) -> Any:
    old = _get(doc, path)
    new: object = {
        "replace": value, "in-list": [old, value], "in-mapping": {"value": old}, "as-text": str(old)[:80],
    }.get(how, value)
    if not path:
        return new
    parent = _get(doc, path[:-1])
    if how == "delete":
        del parent[path[-1]]
    else:
        parent[path[-1]] = new
    return doc


@st.composite
def mutated(draw: st.DrawFn, template: object, values: st.SearchStrategy[object] = yaml_values,
            max_mutations: int = 4) -> Any:
    """``template`` with 1..max_mutations fields replaced, deleted, wrapped or turned into text."""
    doc: Any = copy.deepcopy(template)
    for _ in range(draw(st.integers(1, max_mutations))):
        path = draw(st.sampled_from(list(_paths(doc))))
        how = draw(st.sampled_from(_HOW if path else ("replace", "in-list", "in-mapping")))
        doc = _mutate(doc, path, how, draw(values))
    return doc


def near_valid(reader: str, values: st.SearchStrategy[object] = yaml_values) -> st.SearchStrategy[Any]:
    """A near-valid document of one document reader's format."""
    return st.sampled_from(TEMPLATES[reader]).flatmap(lambda t: mutated(t, values))


def near_valid_trace(reader: str) -> st.SearchStrategy[Any]:
    """A near-valid trace dump or mesh answer (JSON data) for one stream reader."""
    return st.sampled_from(TRACE_TEMPLATES[reader]).flatmap(lambda t: mutated(t, json_values))


#: Envelopes that make an arbitrary mapping recognisable to one document reader.
ENVELOPES: dict[str, Callable[[dict[Any, Any], str], dict[Any, Any]]] = {
    "kubernetes": lambda body, kind: {**body, "apiVersion": "v1", "kind": kind},
    "compose": lambda body, kind: {"services": {"svc": {**body, "image": "x"}, kind: body}},
    "backstage": lambda body, kind: {**body, "apiVersion": "backstage.io/v1alpha1", "kind": kind},
    "asyncapi": lambda body, kind: {**body, "asyncapi": "2.6.0" if len(kind) % 2 else "3.0.0"},
    "native": lambda body, kind: {**body, "advisor": "inventory/v1"},
}
ENVELOPE_KINDS = ("Deployment", "StatefulSet", "CronJob", "Pod", "Service", "ConfigMap", "Secret", "Ingress",
                  "VirtualService", "List", "Component", "Resource", "API", "System", "Group", "web")


def enveloped(reader: str) -> st.SearchStrategy[dict[Any, Any]]:
    """An arbitrary mapping inside the envelope of one reader's format."""
    body = st.dictionaries(st.sampled_from(FIELD_NAMES), yaml_values, max_size=6)
    return st.builds(ENVELOPES[reader], body, st.sampled_from(ENVELOPE_KINDS))


# --------------------------------------------------------------------------------------------
# Serialising
# --------------------------------------------------------------------------------------------


def as_yaml(data: object) -> str:
    """``data`` as YAML text (dates, bytes and sets keep their YAML tags)."""
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=None)


def _default(value: object) -> object:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(map(str, value))
    return str(value)


def as_json(data: object) -> str:
    """``data`` as JSON text (NaN and infinities as Python's ``json`` writes them)."""
    return json.dumps(data, default=_default, skipkeys=True)


# --------------------------------------------------------------------------------------------
# Text soups and CSV
# --------------------------------------------------------------------------------------------

_YAML_TOKENS = (
    "a", "name", "kind", ": ", ":", "\n", "  ", "- ", "---\n", "...\n", "&x ", "*x", "&y [*x, *x, *x]\n",
    "!!python/object/apply:os.system ['true']", "!!python/name:os.system", "!Ref ", "!!int ", "!!timestamp ",
    "!!binary ", "!!set ", "!!omap ", "!!bool ", "!!float ", "!!str ", "2023-02-30", "2001-13-45", "0x" + "f" * 1100,
    "0b101", "1:30:00", "[", "]", "{", "}", ", ", "'", '"', "\t", "? ", "|\n", ">-\n", "# c\n", "%YAML 1.1\n",
    "%TAG ! tag:x,2000:\n", "<<: ", "~", ".inf", ".nan", "1e400", "-0", "9" * 4400, "apiVersion: v1\n",
    "kind: Deployment\n", "metadata:\n  name: x\n", "services:\n", "asyncapi: 2.6.0\n", "advisor: inventory/v1\n",
    "schema_version: 1\n", "\ufeff", "\x00", "\r\n", "\x85", "\u2028", "{{ .Values.x }}", "${A:-${B", "\\",
    "postgres://u:s3cr3t-soup@db/x", '{"resourceSpans": [', '{"data": [', '"traceId"', "[[{",
)
#: Token sequences that are almost YAML, JSON or one of the inventory formats.
yaml_soup = st.lists(st.sampled_from(_YAML_TOKENS), max_size=40).map("".join)

_CODE_TOKENS = (
    "import ", "package main\n", "func ", "class ", "def ", "public ", "{", "}", "(", ")", ";", "\n", "  ", "//",
    "/*", "*/", "#", '"', "'", "`", "\\", "${", "}", "orders", ":8080", "http://", "grpc://", "https://api.",
    "jdbc:postgresql://db:5432/x", "amqp://u:s3cr3t-code@rabbit:5672/", "KafkaTemplate", "@KafkaListener(topics = ",
    "kafka.producer", "topic", "grpc.Dial(", "requests.get(", "fetch(", "new URL(", "restTemplate.getForObject(",
    "spring.datasource.url=", "spring.datasource.password=s3cr3t-props\n", "ENV DB_URL=", "FROM python:3\n",
    "<artifactId>", "</artifactId>", '"name": ', "module ", "Host=db;Password=s3cr3t-cs;", "\x00", "\u2028",
    "9" * 20, "²", "'''", '"""', "r\"", "<<EOF\n", "EOF\n",
)
#: Token sequences that are almost source code or configuration.
code_soup = st.lists(st.sampled_from(_CODE_TOKENS), max_size=60).map("".join)
CODE_LOCATIONS = (
    "svc/orders/main.go", "svc/orders/src/main/java/App.java", "svc/orders/app.py", "svc/web/index.js",
    "svc/web/src/client.ts", "svc/pay/Program.cs", "svc/orders/src/main/resources/application.properties",
    "svc/orders/src/main/resources/application.yml", "svc/pay/appsettings.json", "svc/orders/Dockerfile",
    "svc/orders/pom.xml", "svc/web/package.json", "svc/orders/go.mod", "svc/web/nginx.conf", "svc/x/.env.prod",
    "svc/x/config.toml", "svc/x/README.md", "svc/x/test/thing_test.go", "svc/x/lib.rb", "svc/x/main.rs",
)

_ALIBABA_HEADERS = (
    "traceid,timestamp,rpcid,um,rpctype,dm,interface,rt",
    ",traceid,timestamp,rpcid,um,rpctype,dm,interface,rt",
    "timestamp,traceid,service,rpc_id,rpctype,um,uminstanceid,interface,dm,dminstanceid,rt",
)
_CELLS = st.one_of(st.sampled_from(("MS_1", "MS_2", "UNKNOWN", "", "rpc", "http", "mq", "db", "mc", "0.1", "0.1.1",
                                    "12", "-3", "nan", "T_1", "?", "=cmd|' /C calc'!A0")),
                   st.text(max_size=8))


@st.composite
def alibaba_csv(draw: st.DrawFn) -> str:
    """A call-graph CSV with a real header and rows of random lengths and values (missing columns)."""
    out = io.StringIO()
    out.write(draw(st.sampled_from(_ALIBABA_HEADERS)) + "\n")
    writer = csv.writer(out, lineterminator="\n")
    for row in draw(st.lists(st.lists(_CELLS, max_size=13), max_size=8)):
        writer.writerow(row)
    text = out.getvalue()
    if draw(st.booleans()):
        text = text[: draw(st.integers(0, len(text)))]  # cut short, possibly inside a quoted cell
    return text


# --------------------------------------------------------------------------------------------
# The properties: what must hold for any input (plain asserts, shared with bench.fuzz)
# --------------------------------------------------------------------------------------------

#: Reasons with which the dispatcher, the source scanner or a trace reader's guard report a crash:
#: one in a result means a bug was hidden, however gracefully.
HIDDEN_BUG = ("could not be read by the", "could not be scanned", "could not be read (")
OPTIONS = ReadOptions()
LOCATION = "fuzz/input.yaml"
CONTEXT = FileContext(LOCATION, "fuzz")
DOC_READERS = {r.name: r for r in READERS}
#: The stream readers without the guard that turns their crashes into skipped entries.
STREAM_READS: dict[str, Callable[[InputFile, object, ReadOptions], Fragment]] = {
    "otlp": otlp.read, "jaeger": jaeger.read, "zipkin": zipkin.read, "alibaba": alibaba.read,
    "prometheus": mesh.read_prometheus, "kiali": mesh.read_kiali,
}


def check_skips(skipped: Sequence[Skipped], *, one_line: bool = False) -> None:
    """Every skipped entry has a location and a reason, and none hides a crash. Reasons may quote
    names with line breaks; the resolver puts each on one line (``one_line`` checks that)."""
    for s in skipped:
        assert s.location.strip() and s.reason.strip(), s
        assert not s.reason.startswith(HIDDEN_BUG), s
        if one_line:
            assert "\n" not in s.reason and "\r" not in s.reason, s


def check_fragment(fragment: Fragment) -> None:
    """A reader's accounting adds up, and its claims come from its own entities."""
    assert fragment.documents == fragment.used + len(fragment.skipped), fragment.account()
    check_skips(fragment.skipped)
    keys = {e.key for e in fragment.entities}
    assert all(c.source in keys for c in fragment.claims)


def check_inventory(inventory: Inventory) -> None:
    """Ids are unique, every dependency joins known ids with evidence, every file adds up."""
    ids = [s.id for s in inventory.services] + [r.id for r in inventory.resources]
    assert len(ids) == len(set(ids))
    known = set(ids)
    for d in inventory.dependencies:
        assert d.source in known and d.target in known, d
        assert d.evidence
    for account in inventory.inputs:
        assert account.documents == account.used + account.skipped, account
    check_skips(inventory.skipped, one_line=True)


def check_result(result: FileResult) -> Inventory:
    """One file's result adds up, lists each skipped entry it counts, and resolves."""
    account = result.account
    assert account.documents == account.used + account.skipped, account
    assert account.skipped == len(result.skipped), (account, result.skipped)
    check_skips(result.skipped)
    inventory = resolve(result.fragments, extra_skipped=result.skipped, extra_accounts=[result.account])
    check_inventory(inventory)
    return inventory


def parse_document(reader: str, data: object, text: str = "") -> None:
    """The pure parse function of ``reader`` on one document, then the resolver on its fragment."""
    doc = Document(LOCATION, 1, 1, data, text)
    try:
        fragment = DOC_READERS[reader].parse([doc], CONTEXT, OPTIONS)
    except AdvisorError:
        return
    check_fragment(fragment)
    check_inventory(resolve([fragment]))


def parse_file_text(text: str, location: str = LOCATION) -> Inventory:
    """:func:`inventory.reading.parse_text` on one file's text, then the resolver."""
    return check_result(parse_text(text, FileContext(location, location.rpartition("/")[0]), OPTIONS))


def read_bytes(data: bytes, location: str) -> None:
    """:func:`inventory.reading.read_file` on one file's bytes (binary, gzip, broken UTF-8 ...)."""
    check_result(read_file(InputFile(location, "fuzz", data=data), FileContext(location, "fuzz"), OPTIONS))


def read_trace(reader: str, data: bytes) -> None:
    """One stream reader, unguarded, on a file's bytes; then the dispatcher on the same bytes."""
    item = InputFile(f"fuzz/{reader}.json", "fuzz", data=data)
    try:
        fragment = STREAM_READS[reader](item, CONTEXT, OPTIONS)
    except AdvisorError:
        return
    assert fragment.documents >= fragment.used
    check_skips(fragment.skipped)
    keys = {e.key for e in fragment.entities}
    assert all(c.source in keys for c in fragment.claims)
    check_inventory(resolve([fragment]))
    check_result(read_file(item, FileContext(item.location, "fuzz"), OPTIONS))


def parse_trace_data(data: object) -> None:
    """The pure trace and mesh parse functions (also used by the live sources) on any data."""
    links = data.get("data") if isinstance(data, dict) else data
    fragments = [
        jaeger.parse_dependencies(links if isinstance(links, list) else [links], location="fuzz/deps.json"),
        mesh.parse_prometheus(data, location="fuzz/prom.json"),
        mesh.parse_kiali(data, location="fuzz/kiali.json"),
    ]
    for fragment in fragments:
        check_skips(fragment.skipped)
    check_inventory(resolve(fragments))


def parse_live_entities(entities: list[object]) -> None:
    """What the live Backstage source does with a catalog answer's entities."""
    fragment = backstage.parse_entities(entities, location="https://backstage.example/api/catalog")  # type: ignore[arg-type]
    check_fragment(fragment)
    check_inventory(resolve([fragment]))


def scan_code(text: str, location: str) -> None:
    """The source scanner on one file, directly and through the dispatcher."""
    fragment = scan_source(text, location)
    assert fragment.documents == fragment.used + len(fragment.skipped) == 1
    check_skips(fragment.skipped)
    parse_file_text(text, location)


def resolve_files(docs: Sequence[tuple[object, str]], code: Sequence[tuple[str, str]]) -> None:
    """Many files of many formats (documents in folders ``a`` and ``b``, code files) resolved together."""
    results = [parse_text(as_yaml(data), FileContext(f"{folder}/f{i}.yaml", folder), OPTIONS)
               for i, (data, folder) in enumerate(docs)]
    results += [parse_text(text, FileContext(location, location.rpartition("/")[0]), OPTIONS)
                for text, location in code]
    fragments = [f for r in results for f in r.fragments]
    inventory = resolve(fragments, extra_skipped=[s for r in results for s in r.skipped],
                        extra_accounts=[r.account for r in results])
    check_inventory(inventory)
    assert len(inventory.inputs) == len(results)
