"""The AsyncAPI reader: direction in 2.x and 3.x, destinations from bindings, $refs, and pairing."""

from __future__ import annotations

from pathlib import Path

import pytest

from inventory.asyncapi import parse_asyncapi, recognise, slugify
from inventory.documents import Document, iter_documents
from inventory.model import Address, Fragment, NamedTarget
from inventory.reading import read_paths

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "asyncapi"
PRODUCER = FIXTURES / "orders-2.6-PRODUCER.yaml"
CONSUMER = FIXTURES / "billing-2.6-CONSUMER.yaml"
REFS = FIXTURES / "shipping-3.0-refs.yaml"


def _parse_text(text: str, name: str = "api.yaml") -> Fragment:
    docs = [d for d in iter_documents(text, name) if isinstance(d, Document)]
    assert docs, "the test text must parse"
    return parse_asyncapi(docs)


def _parse(path: Path) -> Fragment:
    return _parse_text(path.read_text(), path.name)


def _messaging(fragment: Fragment) -> list[tuple[str, str, str, str | None, str | None]]:
    """(role, destination, destination role, technology, line) of every messaging claim."""
    out = []
    for c in fragment.claims:
        if isinstance(c.target, NamedTarget):
            expected = ("async", c.target.name, c.target.technology, True)
            assert (c.kind, c.via, c.protocol, c.target.create) == expected
            out.append((c.role or "", c.target.name, c.target.role, c.target.technology,
                        c.evidence.location.rsplit(":", 1)[-1]))
    return out


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"asyncapi": "2.6.0", "info": {}}, True),
        ({"asyncapi": "3.0.0"}, True),
        ({"asyncapi": 2.0}, True),
        ({"asyncapi": "1.2.0"}, False),
        ({"asyncapi": True}, False),
        ({"openapi": "3.1.0"}, False),
        ("asyncapi: 2.6.0", False),
    ],
)
def test_recognise(data: object, expected: bool) -> None:
    assert recognise(data) is expected


def test_slugify() -> None:
    assert slugify("Orders Service") == "orders-service"
    assert slugify("  Account/Email — API v2 ") == "account-email-api-v2"


def test_2x_subscribe_produces_and_publish_consumes() -> None:
    fragment = _parse(PRODUCER)
    (entity,) = fragment.entities
    assert (entity.key, entity.name, entity.role, entity.owner) == (
        "asyncapi:orders-service", "orders-service", "service", "team-orders")
    assert entity.description == "Takes orders and announces them."
    assert entity.evidence.location == "orders-2.6-PRODUCER.yaml:4"
    assert entity.evidence.detail == "AsyncAPI 2.6.0 document 'Orders Service'"
    assert _messaging(fragment) == [
        ("produce", "orders.created", "topic", "kafka", "18"),  # kafka binding topic wins over the address
        ("produce", "shipping-requests", "queue", "rabbitmq", "28"),  # amqp is: queue
        ("consume", "payment/*/confirmed", "topic", "kafka", "39"),  # {paymentId} -> *, tech from servers
    ]
    details = [c.evidence.detail for c in fragment.claims]
    assert details[0] == (
        "subscribe (publishOrderCreated) on channel order/created (AsyncAPI 2: subscribe means "
        "the application sends) -> topic orders.created in AsyncAPI document of orders-service"
    )
    assert (fragment.documents, fragment.used, fragment.skipped) == (1, 1, [])


def test_servers_become_broker_address_claims_that_need_not_resolve() -> None:
    fragment = _parse(PRODUCER)
    servers = [c for c in fragment.claims if isinstance(c.target, Address)]
    assert [(c.target.host, c.target.port, c.target.scheme, c.kind, c.protocol, c.report_unresolved,
             c.evidence.location, c.evidence.detail) for c in servers] == [
        ("kafka", 9092, "kafka", None, "kafka", False, "orders-2.6-PRODUCER.yaml:9",
         "server production kafka:9092 (kafka) in AsyncAPI document of orders-service"),
        ("rabbitmq", 5672, "amqp", None, "rabbitmq", False, "orders-2.6-PRODUCER.yaml:12",
         "server rabbit amqp://rabbitmq:5672 (rabbitmq) in AsyncAPI document of orders-service"),
    ]


def test_2x_consumer_with_binding_ref_and_server_variables() -> None:
    fragment = _parse(CONSUMER)
    (entity,) = fragment.entities
    assert (entity.key, entity.owner) == ("asyncapi:billing", "team-money")
    assert _messaging(fragment) == [
        ("consume", "orders.created", "topic", "kafka", "16"),  # bindings: {$ref: ...} followed
        ("produce", "payment/*/confirmed", "topic", "kafka", "23"),  # kafka-secure -> kafka
    ]
    (server,) = [c.target for c in fragment.claims if isinstance(c.target, Address)]
    assert (server.host, server.port, server.scheme) == ("kafka", 9092, "kafka+ssl")  # {broker} -> default


def test_3x_send_receive_reply_and_refs() -> None:
    fragment = _parse(REFS)
    (entity,) = fragment.entities
    # named by x-service-name, not by its title
    assert (entity.key, entity.name, entity.owner) == ("asyncapi:shipping", "shipping", None)
    assert entity.labels == {"asyncapi.version": "3.0.0", "asyncapi.title": "Shipping Backend"}
    assert _messaging(fragment) == [
        ("consume", "shipping-requests", "queue", "rabbitmq", "29"),  # binding via components $ref
        ("produce", "shipments.*.dispatched", "topic", "rabbitmq", "33"),  # operation and channel via $ref
        ("consume", "statusQuery", "topic", "rabbitmq", "35"),  # address: null -> channel id
        ("produce", "shipments.status.replies", "topic", "rabbitmq", "39"),  # the reply goes the other way
        ("produce", "never.used", "topic", "rabbitmq", "46"),  # a cyclic binding $ref is ignored, not fatal
    ]  # sendElsewhere's external $ref makes no claim
    details = [c.evidence.detail for c in fragment.claims if isinstance(c.target, NamedTarget)]
    assert details[1] == (
        "operation announceDispatch: send on channel shipments.{region}.dispatched -> topic "
        "shipments.*.dispatched in AsyncAPI document of shipping"
    )
    assert details[3] == ("operation answerStatus: sends the reply on channel shipments.status.replies "
                          "in AsyncAPI document of shipping")


def test_amqp_without_is_gives_consumers_the_queue_and_producers_the_exchange() -> None:
    text = (
        "asyncapi: 2.6.0\n"
        "info: {title: Mailer, version: '1'}\n"
        "channels:\n"
        "  mail:\n"
        "    publish: {operationId: onMail}\n"
        "    subscribe: {operationId: sendMail}\n"
        "    bindings:\n"
        "      amqp: {exchange: {name: mail-x, type: topic}, queue: {name: mail-q}}\n"
        "  sqs-channel:\n"
        "    publish: {operationId: onJob}\n"
        "    bindings: {sqs: {queue: {name: jobs-queue}}}\n"
        "  plain:\n"
        "    subscribe: {operationId: announce}\n"
    )
    fragment = _parse_text(text)
    assert [(c.role, c.target.name, c.target.role, c.target.technology) for c in fragment.claims
            if isinstance(c.target, NamedTarget)] == [
        ("produce", "mail-x", "topic", "rabbitmq"),
        ("consume", "mail-q", "queue", "rabbitmq"),
        ("consume", "jobs-queue", "queue", "sqs"),
        ("produce", "plain", "topic", None),  # no servers and no bindings: technology unknown
    ]


def test_naming_falls_back_from_explicit_name_to_title_to_file() -> None:
    named = _parse_text("asyncapi: 3.0.0\nx-service: Ledger\ninfo: {title: Something Else}\n")
    titled = _parse_text("asyncapi: 3.0.0\ninfo: {title: 'Fraud Detection!'}\n")
    untitled = _parse_text("asyncapi: 3.0.0\ninfo: {version: '1'}\n", "uploads/payment-events.asyncapi.yaml")
    assert [f.entities[0].key for f in (named, titled, untitled)] == [
        "asyncapi:Ledger", "asyncapi:fraud-detection", "asyncapi:payment-events"]
    assert untitled.entities[0].evidence.location == "uploads/payment-events.asyncapi.yaml:1"


def test_server_credentials_never_leave_the_reader() -> None:
    text = ("asyncapi: 2.6.0\ninfo: {title: Mailer, version: '1'}\n"
            "servers:\n  rabbit: {url: 'amqp://mailer:s3cr3t-pw@rabbitmq:5672/mail', protocol: amqp}\n")
    fragment = _parse_text(text)
    assert "s3cr3t-pw" not in repr(fragment)
    (claim,) = fragment.claims
    assert claim.evidence.detail == (
        "server rabbit amqp://mailer:***@rabbitmq:5672/mail (rabbitmq) in AsyncAPI document of mailer")


def test_http_servers_make_no_claims() -> None:
    text = ("asyncapi: 2.6.0\ninfo: {title: Notifier, version: '1'}\n"
            "servers:\n  public: {url: 'wss://notify.example.com/ws', protocol: wss}\n")
    fragment = _parse_text(text)
    assert fragment.claims == [] and fragment.used == 1


def test_broken_documents_are_skipped_with_a_reason_and_others_still_read() -> None:
    text = (
        "asyncapi: 2.6.0\ninfo: {title: Good, version: '1'}\nchannels:\n  a: {subscribe: {}}\n"
        "---\n"
        "asyncapi: 2.6.0\ninfo: {title: Bad, version: '1'}\nchannels: [a, b]\n"
        "---\n"
        "asyncapi: 3.0.0\ninfo: {title: AlsoBad}\noperations: nope\n"
        "---\n"
        "asyncapi: 3.0.0\ninfo: {title: Weird}\nchannels: {c: 5}\n"
        "operations: {o: {action: send, channel: 7}}\n"
    )
    fragment = _parse_text(text, "multi.yaml")
    assert [e.key for e in fragment.entities] == ["asyncapi:good", "asyncapi:weird"]
    assert [(s.location, s.reason) for s in fragment.skipped] == [
        ("multi.yaml#2 (line 5)", "the AsyncAPI `channels` section must be a mapping, not a list"),
        ("multi.yaml#3 (line 9)", "the AsyncAPI `operations` section must be a mapping, not a string"),
    ]
    assert (fragment.documents, fragment.used) == (4, 2)
    assert [c.target.name for c in fragment.claims if isinstance(c.target, NamedTarget)] == ["a"]


def test_reference_loops_and_long_chains_are_bounded() -> None:
    chain = "".join(f"    r{i}: {{$ref: '#/components/x/r{i + 1}'}}\n" for i in range(100))
    text = (
        "asyncapi: 3.0.0\ninfo: {title: Loops}\n"
        "channels:\n  self: {$ref: '#/channels/self'}\n"
        "operations:\n"
        "  a: {action: send, channel: {$ref: '#/channels/self'}}\n"
        "  b: {action: send, channel: {$ref: '#/components/x/r0'}}\n"
        "  c: {$ref: '#/operations/c'}\n"
        "components:\n  x:\n" + chain + "    r100: {address: far}\n"
    )
    fragment = _parse_text(text)
    assert [e.key for e in fragment.entities] == ["asyncapi:loops"]
    assert fragment.claims == []


# --------------------------------------------------------------------------------------------
# The whole pipeline
# --------------------------------------------------------------------------------------------


def test_pipeline_pairs_producers_and_consumers_across_documents() -> None:
    inventory = read_paths([FIXTURES])
    assert [s.id for s in inventory.services] == ["billing", "orders-service", "shipping"]
    pairs = {(d.source, d.target, d.via): (d.kind, d.protocol) for d in inventory.dependencies
             if d.target in ("billing", "orders-service", "shipping")}
    assert pairs == {
        ("orders-service", "billing", "orders.created"): ("async", "kafka"),
        ("billing", "orders-service", "payment/*/confirmed"): ("async", "kafka"),
        ("orders-service", "shipping", "shipping-requests"): ("async", "rabbitmq"),
    }
    resources = {r.id: (r.kind, r.technology, r.external) for r in inventory.resources}
    assert resources["topic:orders.created"] == ("topic", "kafka", False)
    assert resources["queue:shipping-requests"] == ("queue", "rabbitmq", False)
    assert resources["broker:kafka"] == ("broker", "kafka", True)
    roles = {(d.source, d.target): d.role for d in inventory.dependencies}
    assert roles[("orders-service", "topic:orders.created")] == "produce"
    assert roles[("billing", "topic:orders.created")] == "consume"
    assert inventory.unresolved == ()
    assert {s.id: s.owner for s in inventory.services} == {
        "billing": "team-money", "orders-service": "team-orders", "shipping": None}
