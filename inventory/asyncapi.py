"""AsyncAPI 2.x and 3.x documents: which application produces to and consumes from which destination.

One document describes one application. It becomes one :class:`~inventory.model.EntityRecord`
(``asyncapi:<name>``, role ``service``) named by an explicit ``x-service-name``/``x-service``
(on ``info`` or at the root), else by ``info.title`` as a slug (``Orders Service`` ->
``orders-service``), else by the file name. ``x-owner``/``x-team`` name its owner.

Every operation becomes one messaging claim on a topic or queue that the resolver creates when no
resource of that name exists (``NamedTarget(create=True)``), so that producers and consumers of
the same destination in different documents pair up into producer -> consumer ``async`` edges.

*Direction.* AsyncAPI 2.x words it from the client's side: ``subscribe`` on a channel means
**the application sends** (produces) to it, ``publish`` means **the application receives**
(consumes). AsyncAPI 3.x says it directly: ``action: send`` produces, ``action: receive``
consumes; an operation's ``reply`` runs the other way on the reply channel.

*Destination.* ``bindings.kafka.topic``; the AMQP binding's queue (``is: queue``) or exchange
(``is: routingKey``, the default; without ``is`` a consumer takes the queue and a producer the
exchange when both are named); the SQS queue name; the SNS topic name; else the channel address
(3.x: ``address``, or the channel id when the address is null) with ``{parameters}`` turned into
``*``. AMQP queues and SQS queues are ``queue`` resources, everything else a ``topic``.

*Technology* comes from the channel's bindings, else from the protocol of the servers the channel
uses (all servers when it names none) when they agree: ``kafka``/``kafka-secure`` -> ``kafka``,
``amqp``/``amqps`` -> ``rabbitmq``, ``sqs``, ``sns``, ``mqtt``, ``nats``, ``pulsar`` ...

Every broker server's ``url`` (2.x) or ``host`` (3.x) that names a host (``{variables}`` filled
from their defaults, a bare ``host:port`` given the scheme of its protocol) becomes an address
claim with ``report_unresolved=False``: the broker is real but need not be in the inventory (with
``external_datastores`` on, the resolver then records it as an external broker). HTTP and
WebSocket servers are where the application itself is served, so they make no claim.

Local ``$ref`` values (``#/components/...``, ``#/channels/...``, ``#/servers/...``) are followed
with a bound on the number of hops and a guard against cycles; references to other files are
ignored. A document is used when it names its application; one whose ``channels`` or
``operations`` is not a mapping is skipped with that reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from inventory.addresses import find_addresses
from inventory.documents import Document
from inventory.model import Claim, EntityRecord, Evidence, Fragment, NamedTarget, Skipped
from inventory.options import DEFAULT_OPTIONS, ReadOptions

READER = "asyncapi"

#: AsyncAPI server protocols -> the technology of the broker.
PROTOCOL_TECHNOLOGY: dict[str, str] = {
    "kafka": "kafka", "kafka-secure": "kafka",
    "amqp": "rabbitmq", "amqps": "rabbitmq", "amqp1": "amqp",
    "sqs": "sqs", "sns": "sns",
    "mqtt": "mqtt", "mqtts": "mqtt", "secure-mqtt": "mqtt", "mqtt5": "mqtt",
    "nats": "nats", "pulsar": "pulsar", "pulsar+ssl": "pulsar",
    "jms": "jms", "stomp": "activemq", "stomps": "activemq", "solace": "solace", "ibmmq": "ibmmq",
    "googlepubsub": "googlepubsub", "anypointmq": "anypointmq", "redis": "redis", "mercure": "mercure",
    "ws": "websocket", "wss": "websocket", "http": "http", "https": "http",
}
_BINDING_TECHNOLOGY = {"kafka": "kafka", "amqp": "rabbitmq", "sqs": "sqs", "sns": "sns", "mqtt": "mqtt",
                       "nats": "nats", "pulsar": "pulsar", "googlepubsub": "googlepubsub", "solace": "solace",
                       "ibmmq": "ibmmq", "jms": "jms", "anypointmq": "anypointmq"}
#: The connection-string scheme of a broker protocol, for a server written as a bare ``host:port``.
_BROKER_SCHEME = {
    "kafka": "kafka", "kafka-secure": "kafka+ssl", "amqp": "amqp", "amqps": "amqps", "mqtt": "mqtt",
    "mqtts": "mqtts", "secure-mqtt": "mqtts", "mqtt5": "mqtt", "nats": "nats", "pulsar": "pulsar",
    "pulsar+ssl": "pulsar+ssl", "stomp": "stomp", "stomps": "stomp",
}
#: Protocols whose servers are where the application itself is reached, not a broker it uses.
_SELF_SERVED = frozenset({"http", "websocket"})
_MAX_REF_HOPS = 32
_PARAM = re.compile(r"\{[^{}]*\}")
_SLUG = re.compile(r"[^a-z0-9]+")


_KIND_NAMES: dict[type, str] = {list: "a list", str: "a string", int: "a number", float: "a number",
                                 bool: "a boolean"}


def recognise(data: object) -> bool:
    """A mapping with a top-level ``asyncapi`` version 2.x or 3.x.

    >>> recognise({"asyncapi": "2.6.0"}), recognise({"asyncapi": 3.0}), recognise({"asyncapi": "1.2.0"})
    (True, True, False)
    """
    if not isinstance(data, dict):
        return False
    version = data.get("asyncapi")
    if isinstance(version, bool) or not isinstance(version, str | int | float):
        return False
    return str(version).strip()[:1] in ("2", "3")


def slugify(text: str) -> str:
    """A service name from a title: lower case, runs of other characters -> ``-``.

    >>> slugify("Orders Service (v2)")
    'orders-service-v2'
    """
    return _SLUG.sub("-", text.lower()).strip("-")


# --------------------------------------------------------------------------------------------
# References
# --------------------------------------------------------------------------------------------


def _pointer(root: object, ref: str) -> object:
    node = root
    for raw in ref[2:].split("/") if ref != "#" else []:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdecimal() and len(part) < 10 and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def _resolve(root: object, node: object) -> object:
    """``node`` with local ``$ref`` chains followed (bounded; cycles and external refs give None)."""
    seen: set[str] = set()
    for _ in range(_MAX_REF_HOPS):
        if not isinstance(node, dict) or "$ref" not in node:
            return node
        ref = node.get("$ref")
        if not isinstance(ref, str) or not ref.startswith("#") or ref in seen:
            return None
        seen.add(ref)
        node = _pointer(root, ref)
    return None


def _ref_id(node: object, section: str) -> str | None:
    """The id of ``{$ref: '#/<section>/<id>'}`` (also under ``components``), if it is such a ref."""
    if not isinstance(node, dict) or not isinstance(node.get("$ref"), str):
        return None
    ref = node["$ref"]
    for prefix in (f"#/{section}/", f"#/components/{section}/"):
        if ref.startswith(prefix):
            return ref[len(prefix):].replace("~1", "/").replace("~0", "~")
    return None


def _dict(root: object, value: object) -> dict:
    resolved = _resolve(root, value)
    return resolved if isinstance(resolved, dict) else {}


def _text(value: object) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str | int | float):
        text = str(value).strip()
        return text or None
    return None


# --------------------------------------------------------------------------------------------
# Operations
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Operation:
    """One thing the application does on one channel."""

    role: str  # produce | consume
    channel_id: str
    address: str
    channel: dict
    bindings: dict  # operation bindings
    servers: tuple[str, ...] | None  # server names the channel is restricted to
    location: str
    describe: str


def _server_names(root: object, channel: dict, version: int) -> tuple[str, ...] | None:
    raw = channel.get("servers")
    if not isinstance(raw, list) or not raw:
        return None
    names: list[str] = []
    for item in raw:
        name = _text(item) if version == 2 else _ref_id(item, "servers")
        if name:
            names.append(name)
    return tuple(names) or None


def _operations_v2(doc: Document, root: dict) -> Iterator[_Operation]:
    for address, item in _dict(root, root.get("channels")).items():
        channel = _dict(root, item)
        address = str(address)
        for verb, role, says in (("subscribe", "produce", "the application sends"),
                                 ("publish", "consume", "the application receives")):
            if verb not in channel:
                continue
            operation = _dict(root, channel.get(verb))
            op_id = _text(operation.get("operationId"))
            named = f" ({op_id})" if op_id else ""
            yield _Operation(
                role=role, channel_id=address, address=address, channel=channel,
                bindings=_dict(root, operation.get("bindings")),
                servers=_server_names(root, channel, 2), location=doc.at("channels", address, verb),
                describe=f"{verb}{named} on channel {address} (AsyncAPI 2: {verb} means {says})",
            )


def _channel_v3(root: dict, ref: object) -> tuple[str, dict] | None:
    channel = _resolve(root, ref)
    if not isinstance(channel, dict):
        return None
    channel_id = _ref_id(ref, "channels") or "?"
    address = channel.get("address")
    return _text(address) or channel_id, channel


def _operations_v3(doc: Document, root: dict) -> Iterator[_Operation]:
    for op_id, raw in _dict(root, root.get("operations")).items():
        operation = _dict(root, raw)
        action = operation.get("action")
        if action not in ("send", "receive"):
            continue
        found = _channel_v3(root, operation.get("channel"))
        if found is None:
            continue
        address, channel = found
        role = "produce" if action == "send" else "consume"
        location = doc.at("operations", str(op_id))
        yield _Operation(
            role=role, channel_id=_ref_id(operation.get("channel"), "channels") or address, address=address,
            channel=channel, bindings=_dict(root, operation.get("bindings")),
            servers=_server_names(root, channel, 3), location=location,
            describe=f"operation {op_id}: {action} on channel {address}",
        )
        reply = _dict(root, operation.get("reply"))
        reply_found = _channel_v3(root, reply.get("channel")) if reply else None
        if reply_found is not None:
            reply_address, reply_channel = reply_found
            reply_role = "consume" if role == "produce" else "produce"
            verb = "receives" if reply_role == "consume" else "sends"
            yield _Operation(
                role=reply_role, channel_id=_ref_id(reply.get("channel"), "channels") or reply_address,
                address=reply_address, channel=reply_channel, bindings={},
                servers=_server_names(root, reply_channel, 3),
                location=doc.at("operations", str(op_id), "reply"),
                describe=f"operation {op_id}: {verb} the reply on channel {reply_address}",
            )


# --------------------------------------------------------------------------------------------
# Destinations
# --------------------------------------------------------------------------------------------


def _destination(root: dict, op: _Operation) -> tuple[str, str, str | None]:
    """``(name, role, technology from bindings)`` of the destination of ``op``."""
    bindings = _dict(root, op.channel.get("bindings"))
    kafka = _dict(root, bindings.get("kafka"))
    if kafka or "kafka" in op.bindings:
        topic = _text(kafka.get("topic"))
        return (topic or _normalise(op.address)), "topic", "kafka"
    amqp = _dict(root, bindings.get("amqp"))
    if amqp:
        exchange = _text(_dict(root, amqp.get("exchange")).get("name"))
        queue = _text(_dict(root, amqp.get("queue")).get("name"))
        kind = _text(amqp.get("is"))
        if kind == "queue" and queue:
            return queue, "queue", "rabbitmq"
        if kind == "routingKey" and exchange:
            return exchange, "topic", "rabbitmq"
        if queue and (op.role == "consume" or not exchange):
            return queue, "queue", "rabbitmq"
        if exchange:
            return exchange, "topic", "rabbitmq"
        return _normalise(op.address), ("queue" if kind == "queue" else "topic"), "rabbitmq"
    sqs = _dict(root, bindings.get("sqs"))
    if sqs or "sqs" in op.bindings:
        queue = _text(_dict(root, sqs.get("queue")).get("name"))
        return (queue or _normalise(op.address)), "queue", "sqs"
    sns = _dict(root, bindings.get("sns"))
    if sns:
        return (_text(sns.get("name")) or _normalise(op.address)), "topic", "sns"
    tech = next((t for b, t in _BINDING_TECHNOLOGY.items() if b in bindings or b in op.bindings), None)
    return _normalise(op.address), "topic", tech


def _normalise(address: str) -> str:
    """A channel address with its ``{parameters}`` as ``*``.

    >>> _normalise("smartylighting.streetlights.1.0.event.{streetlightId}.lighting.measured")
    'smartylighting.streetlights.1.0.event.*.lighting.measured'
    """
    return _PARAM.sub("*", address.strip())


@dataclass(frozen=True)
class _Server:
    name: str
    protocol: str
    technology: str | None
    endpoint: str | None


def _servers(root: dict) -> dict[str, _Server]:
    out: dict[str, _Server] = {}
    for name, raw in _dict(root, root.get("servers")).items():
        server = _dict(root, raw)
        protocol = (_text(server.get("protocol")) or "").lower()
        endpoint = _text(server.get("url")) or _text(server.get("host"))
        if endpoint:
            for var, spec in _dict(root, server.get("variables")).items():
                default = _text(_dict(root, spec).get("default"))
                if default is not None:
                    endpoint = endpoint.replace("{" + str(var) + "}", default)
            pathname = _text(server.get("pathname"))
            if pathname and "://" not in endpoint and protocol in ("http", "https", "ws", "wss"):
                endpoint = endpoint + pathname
        out[str(name)] = _Server(str(name), protocol, PROTOCOL_TECHNOLOGY.get(protocol, protocol or None),
                                 endpoint)
    return out


def _server_technology(op: _Operation, servers: dict[str, _Server]) -> str | None:
    chosen = [servers[n] for n in op.servers if n in servers] if op.servers else list(servers.values())
    techs = {s.technology for s in chosen if s.technology}
    return techs.pop() if len(techs) == 1 else None


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------


def _explicit_name(root: dict, info: dict) -> str | None:
    for holder in (info, root):
        for key in ("x-service-name", "x-service"):
            value = _text(holder.get(key))
            if value:
                return value
    return None


def _file_stem(location: str) -> str:
    name = location.replace("\\", "/").rsplit("/", 1)[-1].split("!")[-1]
    return name.split(".", 1)[0]


def _owner(root: dict, info: dict) -> str | None:
    for holder in (info, root):
        for key in ("x-owner", "x-team"):
            value = _text(holder.get(key))
            if value:
                return value
    return None


def parse_asyncapi(documents: Sequence[Document], *, options: ReadOptions = DEFAULT_OPTIONS) -> Fragment:
    """The application of every AsyncAPI document of one file, with its messaging claims.

    >>> from inventory.documents import iter_documents
    >>> text = ("asyncapi: 2.6.0\\ninfo: {title: Orders Service, version: '1'}\\n"
    ...         "channels:\\n  order.created:\\n    subscribe: {message: {name: OrderCreated}}\\n")
    >>> fragment = parse_asyncapi(list(iter_documents(text, "orders.yaml")))
    >>> [(c.source, c.role, c.target.name) for c in fragment.claims]
    [('asyncapi:orders-service', 'produce', 'order.created')]
    """
    fragment = Fragment(documents[0].location if documents else "", READER)
    for doc in documents:
        fragment.documents += 1
        reason = _parse_document(doc, fragment)
        if reason is None:
            fragment.used += 1
        else:
            fragment.skipped.append(Skipped(f"{doc.where} (line {doc.line})", reason))
    return fragment


def _parse_document(doc: Document, fragment: Fragment) -> str | None:
    """Add the document's entity and claims; return why it was skipped instead, if it was."""
    root = doc.data
    if not isinstance(root, dict):
        return "an AsyncAPI document must be a mapping"
    version_text = str(root.get("asyncapi")).strip()
    version = 3 if version_text.startswith("3") else 2
    for section in ("channels", "operations", "servers", "components"):
        value = root.get(section)
        if value is not None and not isinstance(value, dict):
            shown = _KIND_NAMES.get(type(value), "a value")
            return f"the AsyncAPI `{section}` section must be a mapping, not {shown}"
    raw_info = root.get("info")
    info = raw_info if isinstance(raw_info, dict) else {}
    title = _text(info.get("title"))
    name = _explicit_name(root, info) or slugify(title or "") or slugify(_file_stem(doc.location))
    if not name:
        return "the AsyncAPI document names no application (no info.title, x-service-name or file name)"
    key = f"{READER}:{name}"
    description = _text(info.get("description"))
    if description:
        description = " ".join(description.split())[:300]
    labels = {"asyncapi.version": version_text}
    if title:
        labels["asyncapi.title"] = title
    fragment.entities.append(EntityRecord(
        key=key, name=name, role="service", reader=READER,
        evidence=Evidence(READER, doc.at("info", "title") if title else f"{doc.location}:{doc.line}",
                          f"AsyncAPI {version_text} document" + (f" '{title}'" if title else "")),
        owner=_owner(root, info), description=description, labels=labels,
    ))
    servers = _servers(root)
    operations = _operations_v3(doc, root) if version == 3 else _operations_v2(doc, root)
    for op in operations:
        destination, role, tech = _destination(root, op)
        tech = tech or _server_technology(op, servers)
        if not destination:
            continue
        shown = f" -> {role} {destination}" if destination != op.address else ""
        fragment.claims.append(Claim(
            source=key,
            target=NamedTarget(name=destination, role=role, technology=tech, create=True),
            evidence=Evidence(READER, op.location, f"{op.describe}{shown} in AsyncAPI document of {name}"),
            kind="async", protocol=tech, via=destination, role=op.role,
        ))
    for server in servers.values():
        if not server.endpoint or server.technology in _SELF_SERVED:
            continue
        for found in find_addresses(server.endpoint, key="url"):
            addr = found if found.scheme else replace(found, scheme=_BROKER_SCHEME.get(server.protocol))
            fragment.claims.append(Claim(
                source=key, target=addr,
                evidence=Evidence(READER, doc.at("servers", server.name),
                                  f"server {server.name} {addr.raw or addr.host}"
                                  + (f" ({server.technology})" if server.technology else "")
                                  + f" in AsyncAPI document of {name}"),
                protocol=server.technology, report_unresolved=False,
            ))
    return None
