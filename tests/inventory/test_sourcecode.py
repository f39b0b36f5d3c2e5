"""The source scanner: lexing, file kinds, references, messaging, the code map, and whole repositories.

The realistic fixture repositories under ``tests/fixtures/source/`` (one per style) each carry an
``expected.yaml`` with the edges their code really makes, written from the code, including the ones
a static reading cannot see (marked in each file's comment). Recall and precision are computed over
the dependencies that have evidence from the ``source`` reader.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from inventory.documents import Limits, SafeLoader
from inventory.model import EntityRecord, Evidence, Inventory
from inventory.reading import TEXT_READERS, read_inputs, read_paths, resolve_results
from inventory.resolving import ASSEMBLERS
from inventory.sourcecode import READER, scan_source
from inventory.sourcecode.codemap import build_code_map, name_key
from inventory.sourcecode.configfiles import config_values
from inventory.sourcecode.filekinds import classify_file
from inventory.sourcecode.findings import SourceFile
from inventory.sourcecode.lexing import lex
from inventory.sourcecode.references import references_in
from inventory.sources import collect

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "source"
CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"

#: Per fixture: (recall, precision) the scanner reaches, and the bar the test holds it to.
FIGURES = {
    "java-spring": (1.0, 1.0),
    "go-grpc": (12 / 13, 1.0),
    "cpp-thrift": (13 / 14, 1.0),
    "dotnet-eventbus": (1.0, 1.0),
    "node-hostnames": (16 / 18, 1.0),
    "polyglot": (1.0, 1.0),
}
RECALL_BAR = 0.85
PRECISION_BAR = 0.95


def _summary(text: str, location: str) -> SourceFile:
    fragment = scan_source(text, location)
    assert not fragment.skipped, fragment.skipped
    (summary,) = fragment.extras
    assert isinstance(summary, SourceFile)
    return summary


def _hosts(text: str, location: str) -> list[tuple[str, int | None]]:
    return [(r.address.host, r.address.port) for r in _summary(text, location).references]


def _messages(text: str, location: str) -> list[tuple[str, str, str, str | None]]:
    return [(m.role, m.kind, m.name, m.technology) for m in _summary(text, location).messages]


def _edges(inventory: Inventory) -> set[tuple[str, ...]]:
    """``(source, target, kind[, via])`` of every dependency with evidence from source code."""
    out = set()
    for d in inventory.dependencies:
        if any(e.reader == READER for e in d.evidence):
            out.add((d.source, d.target, d.kind, *([d.via] if d.kind == "async" and d.via else [])))
    return out


def _expected(name: str) -> set[tuple[str, ...]]:
    data = yaml.load((FIXTURES / name / "expected.yaml").read_text(), Loader=SafeLoader)
    return {tuple(str(x) for x in row) for row in data["edges"]}


# --------------------------------------------------------------------------------------------
# Registration
# --------------------------------------------------------------------------------------------


def test_the_scanner_is_registered_once() -> None:
    assert [r.name for r in TEXT_READERS].count(READER) == 1
    assert sum(1 for a in ASSEMBLERS if getattr(a, "__module__", "") == "inventory.sourcecode") == 1


# --------------------------------------------------------------------------------------------
# Lexing: comments go, strings stay
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("family", "text", "literals"), [
    ("c", 'a = "http://x:1"; // b = "http://y:2"\n/* "http://z:3" */ c = \'q\';', ["http://x:1", "q"]),
    ("c", 'u = "// not a comment"; v = "esc \\" quote";', ["// not a comment", 'esc " quote']),
    ("c", 's = `raw http://go:1`; t = R"(raw "c++")"; w = @"C:\\dir ""q""";', ["raw http://go:1", 'raw "c++"',
                                                                             'C:\\dir "q"']),
    ("c", "fn f<'a>(x: &'a str) { \"http://rust:1\" }", ["a>(x: &", "http://rust:1"]),
    ("c", 'String t = """\n  text block\n  """;', ["\n  text block\n  "]),
    ("python", '"""Module doc http://doc:1"""\nx = """kept"""  # "gone"\ny = f"http://{H}/x"\n',
     ["kept", "http://{H}/x"]),
    ("python", 'def f():\n    """docstring"""\n    return \'it\'\n', ["it"]),
    ("lua", '-- "gone"\n--[[ "gone too" ]]\nlocal u = "kept" .. [[long]] .. [==[a]]b]==]', ["kept", "long", "a]]b"]),
    ("php", "<?php # \"gone\"\n$a = 'kept'; // \"gone\"", ["kept"]),
    ("hash", 'x = "kept #{y}" # "gone"', ["kept #{y}"]),
])
def test_lexing_keeps_strings_and_blanks_comments(family: str, text: str, literals: list[str]) -> None:
    lexed = lex(text, family)
    assert [lit.value for lit in lexed.literals] == literals
    assert len(lexed.code) == len(text)
    assert lexed.code.count("\n") == text.count("\n")
    assert "gone" not in lexed.code


def test_unterminated_forms_cost_one_pass() -> None:
    for text in ("/*" + "a" * 200_000, '"' + "\\a" * 100_000, "'''" + "x" * 100_000, 'R"d(' + ")" * 100_000,
                 "--[[" + "]" * 100_000):
        for family in ("c", "python", "lua"):
            lexed = lex(text, family)
            assert len(lexed.code) == len(text)


# --------------------------------------------------------------------------------------------
# What is scanned and what is not
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("location", "kind", "reason"), [
    ("orders/src/main/java/shop/OrderClient.java", "code", ""),
    ("orders/src/test/java/shop/OrderClientTest.java", "skip", "is test code"),
    ("orders/src/main/java/shop/OrderClientIT.java", "skip", "is test code"),
    ("geo/server_test.go", "skip", "is test code"),
    ("cart/__tests__/cart.js", "skip", "is test code"),
    ("cart/src/cart.spec.ts", "skip", "is test code"),
    ("api/tests/test_orders.py", "skip", "is test code"),
    ("src/Ordering.UnitTests/OrdersTests.cs", "skip", "is test code"),
    ("geo/mock_client.go", "skip", "is a mock"),
    ("svc/vendor/github.com/x/y.go", "skip", "is vendored"),
    ("web/node_modules/x/index.js", "skip", "is vendored"),
    ("geo/proto/geo.pb.go", "skip", "is generated"),
    ("svc/orders_pb2.py", "skip", "is generated"),
    ("gen-cpp/Thing.cpp", "skip", "is generated"),
    ("web/public/app.min.js", "skip", "is minified"),
    ("orders/src/main/resources/application-test.yml", "skip", "is test configuration"),
    ("orders/src/main/resources/application-prod.yml", "config", ""),
    ("Basket.API/appsettings.Development.json", "config", ""),
    ("config/service-config.json", "config", ""),
    ("gateway/nginx.conf", "config", ""),
    ("web/.env.production", "config", ""),
    ("web/tsconfig.json", "none", ""),
    ("orders/pom.xml", "build", ""),
    ("orders/Dockerfile", "build", ""),
    ("Ordering.API/Ordering.API.csproj", "build", ""),
    ("README.md", "skip", "is documentation"),
    ("api/geo.proto", "skip", "is an interface definition"),
    ("db/init.sql", "skip", "is SQL"),
    ("package-lock.json", "skip", "is a dependency lock file"),
    ("deploy/deployment.yaml", "none", ""),
])
def test_file_kinds(location: str, kind: str, reason: str) -> None:
    found = classify_file(location)
    assert found.kind == kind
    assert found.reason.startswith(reason)


def test_segments_above_a_service_folder_do_not_make_code_test_code() -> None:
    # "tests" and "fixtures" are judged by the code map relative to the service's folder.
    found = classify_file("tests/fixtures/shop/orders/src/main/java/Orders.java")
    assert (found.kind, found.soft_segments) == ("code", ("tests", "fixtures"))


def test_big_generated_and_minified_files_are_skipped_with_their_reason() -> None:
    big = scan_source("x = 1\n" * 200_000, "svc/big.py")
    assert big.used == 0 and big.documents == 1
    assert big.skipped[0].reason.startswith("is 1,200,000 bytes, more than the 1,000,000-byte bound")
    generated = scan_source("// Code generated by mockgen. DO NOT EDIT.\npackage x\n", "svc/client.go")
    assert generated.skipped[0].reason == "is generated code; it is not scanned"
    bundle = scan_source("var a=1;" * 2000, "web/bundle-x.js")
    assert bundle.skipped[0].reason == "is minified or bundled JavaScript; it is not scanned"


# --------------------------------------------------------------------------------------------
# References in strings
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "key", "expected"), [
    ("http://user/customers", None, [("user", None, True)]),
    ("Fetching user:1234 from the cache", None, []),
    ("user", None, []),
    ("user", "USER_HOST", [("user", None, False)]),
    ("${ORDERS_URL:http://orders:8080/api}", None, [("orders", 8080, True)]),
    ("mongodb://${db:carts-db}:27017/data", None, [("carts-db", 27017, True)]),
    ("dns:///geo:8083", None, [("geo", 8083, False)]),
    ("http://catalogue%s/tags", None, [("catalogue", None, True)]),
    ("https://www.w3.org/2001/XMLSchema", None, []),
    ("https://api.stripe.com/v1/charges", None, []),
    ("mongodb+srv://app:pw@cluster0.example.mongodb.net/shop", None, [("cluster0.example.mongodb.net", None, False)]),
    ("orders.shop.svc.cluster.local:8080", None, [("orders.shop.svc.cluster.local", 8080, False)]),
    ("http://orders.shop.svc.cluster.local/api", None, [("orders.shop.svc.cluster.local", None, True)]),
    ("Host=orders-db;Database=orders;Password=pw", None, [("orders-db", None, True)]),
])
def test_references_in_values(value: str, key: str | None, expected: list[tuple[str, int | None, bool]]) -> None:
    assert [(a.host, a.port, strong) for a, strong in references_in(value, key)] == expected


def test_hosts_put_together_in_code() -> None:
    java = (
        'class C {\n'
        '  String a = "http://" + "catalogue" + "/items";\n'
        '  String b = String.format("http://%s:%d/x", "carts", 80);\n'
        '  Socket s = new Socket("queue-master", 5672);\n'
        '  URI p = new ServiceUri(new Hostname("payment"), domain, "/paymentAuth").toUri();\n'
        '  void f() { cache.put("user", 300); log.info("user {} logged in", id); }\n'
        '}\n'
    )
    assert _hosts(java, "svc/C.java") == [("catalogue", None), ("carts", 80), ("queue-master", 5672), ("payment", None)]
    go = 'u := fmt.Sprintf("http://%s:%d", "catalogue", 80)\nc, _ := grpc.Dial("geo:8083")\n'
    assert _hosts(go, "svc/main.go") == [("catalogue", 80), ("geo", 8083)]
    py = 'HOST = "orders"\nURL = os.getenv("USERS_URL", "http://users:8080")\nr = get(f"http://{HOST}/o")\n'
    assert _hosts(py, "svc/app.py") == [("orders", None), ("users", 8080), ("orders", None)]
    js = 'const C = "catalogue";\nconst u = `http://${C}/items`;\nconst v = "http://" + C + ":80";\n'
    assert _hosts(js, "svc/a.js") == [("catalogue", None), ("catalogue", 80)]
    cpp = 'auto s = std::make_shared<TSocket>("user-service", 9090);\n'
    assert _hosts(cpp, "src/UserService/H.h") == [("user-service", 9090)]


def test_comments_and_docstrings_name_nothing() -> None:
    java = '// restTemplate.get("http://a:1")\n/* "http://b:2" */\nString c = "http://c:3"; // "http://d:4"\n'
    assert _hosts(java, "svc/A.java") == [("c", 3)]
    py = '"""Calls http://doc:1."""\ndef f():\n    """And http://doc2:2."""\n    return "http://real:3"  # http://e:5\n'
    assert _hosts(py, "svc/a.py") == [("real", 3)]
    lua = '-- local a = "http://a:1"\n--[[ "http://b:2" ]]\nlocal u = "http://checkout:8080"\n'
    assert _hosts(lua, "gw/a.lua") == [("checkout", 8080)]


def test_credentials_in_built_urls_are_masked() -> None:
    summary = _summary('u = "http://" + "admin:Never-Shown-7@orders:8080"\n', "svc/a.py")
    assert [r.address.host for r in summary.references] == ["orders"]
    assert "Never-Shown-7" not in repr(summary)


def test_reference_lines_and_evidence_detail() -> None:
    summary = _summary('package a\n\nconst ordersURL = "http://orders:8080/api"\n', "svc/a.go")
    (ref,) = summary.references
    assert (ref.line, ref.key, ref.strong) == (3, "ordersURL", True)
    assert ref.detail == 'URL in code: "http://orders:8080/api" (ordersURL)'


# --------------------------------------------------------------------------------------------
# Configuration files
# --------------------------------------------------------------------------------------------


def test_commented_out_configuration_never_counts() -> None:
    yml = ("spring:\n  data:\n    mongodb:\n      host: orders-db   # live\n"
           "#  redis:\n#    host: old-cache\n---\nspring.config.activate.on-profile: test\nx: http://testonly:1\n"
           "---\nspring.profiles: prod\ny: http://prodonly:1\n")
    summary = _summary(yml, "svc/application.yml")
    assert [(r.address.host, r.line, r.key) for r in summary.references] == [
        ("orders-db", 4, "spring.data.mongodb.host"), ("prodonly", 12, "y")]
    props = "# a.url=http://gone:1\n! b.url=http://gone:2\nc.url=http://kept:3\nlong.url=http://wrapped\\\n  :4/x\n"
    assert _hosts(props, "svc/application.properties") == [("kept", 3), ("wrapped", 4)]


def test_json_with_comments_and_peer_entries() -> None:
    text = ('{\n  // "Old": "http://gone",\n  "user-service": {"addr": "user-service", "port": 9090},\n'
            '  "ConnectionString": "Server=sqldata;Database=Orders;Password=Never-Shown-1",\n}\n')
    summary = _summary(text, "config/service-config.json")
    assert [(r.address.host, r.address.port, r.line, r.key) for r in summary.references] == [
        ("user-service", 9090, 3, "user-service.addr"), ("sqldata", None, 4, "ConnectionString")]
    assert "Never-Shown-1" not in repr(summary)


def test_nginx_upstreams_and_proxy_pass() -> None:
    text = ("upstream search_backend { server search:8080; }\nserver {\n"
            "  location /c/ { proxy_pass http://cart:3000; }\n"
            "  location /s/ { proxy_pass http://search_backend; }\n  # location /o/ { proxy_pass http://old:1; }\n}\n")
    assert _hosts(text, "gateway/nginx.conf") == [("search", 8080), ("cart", 3000)]
    values, upstreams = config_values(text, "gateway/nginx.conf")
    assert upstreams == ["search_backend"]
    assert [v.key for v in values] == ["server", "proxy_pass", "proxy_pass"]


def test_dockerfile_env_lines() -> None:
    summary = _summary("FROM golang\n# ENV OLD http://old:1\nENV MONGO_HOST user-db:27017\nENV A=1 B_URL=http://b:2\n",
                       "user/Dockerfile")
    assert [(r.address.host, r.line) for r in summary.references] == [("user-db", 3), ("b", 4)]
    assert summary.identity == (("Dockerfile", ""),)


@pytest.mark.parametrize(("name", "text", "module"), [
    ("pom.xml", "<project><parent><artifactId>spring-boot</artifactId></parent>"
                "<!-- <artifactId>old</artifactId> --><artifactId>orders-service</artifactId></project>",
     "orders-service"),
    ("go.mod", "module github.com/acme/catalogue/v2\n\ngo 1.22\n", "catalogue"),
    ("package.json", '{"name": "@acme/front-end", "version": "1.0.0"}', "front-end"),
    ("Ordering.API.csproj", "<Project Sdk=\"Microsoft.NET.Sdk.Web\"></Project>", "Ordering.API"),
    ("settings.gradle", "rootProject.name = 'payments'\n", "payments"),
    ("Cargo.toml", '[package]\nname = "ratings"\nversion = "0.1.0"\n', "ratings"),
    ("CMakeLists.txt", "cmake_minimum_required(VERSION 3.5)\nproject(UserService CXX)\n", "UserService"),
])
def test_module_names(name: str, text: str, module: str) -> None:
    summary = _summary(text, f"svc/{name}")
    assert summary.identity == ((name, module),)


# --------------------------------------------------------------------------------------------
# Messaging
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("location", "text", "expected"), [
    ("a/O.java", 'import org.springframework.kafka.core.KafkaTemplate;\nclass O { static final String T = "orders";\n'
                 'void f() { kafkaTemplate.send(T, o); producer.send(new ProducerRecord<>("audit", k, v)); } }',
     [("produce", "topic", "orders", "kafka"), ("produce", "topic", "audit", "kafka")]),
    ("a/L.java", '@KafkaListener(topics = {"a", "b"}, groupId = "g")\nvoid on(String m) {}',
     [("consume", "topic", "a", "kafka"), ("consume", "topic", "b", "kafka")]),
    ("a/L.java", '@KafkaListener(topics = "${app.topic:orders}")\nvoid on(String m) {}',
     [("consume", "topic", "orders", "kafka")]),
    ("a/R.java", 'import org.springframework.amqp.rabbit.core.RabbitTemplate;\n'
                 'void f() { rabbitTemplate.convertAndSend("shipping-task", s); '
                 'rabbitTemplate.convertAndSend("events", "order.paid", e); }',
     [("produce", "queue", "shipping-task", "rabbitmq"), ("produce", "topic", "events", "rabbitmq")]),
    ("a/Q.java", '@RabbitListener(queues = "shipping-task")\nvoid a(S s) {}\n'
                 '@RabbitListener(bindings = @QueueBinding(value = @Queue("q1"), exchange = @Exchange("ex")))\n'
                 'void b(S s) {}',
     [("consume", "queue", "shipping-task", "rabbitmq"), ("consume", "queue", "q1", "rabbitmq"),
      ("consume", "topic", "ex", "rabbitmq")]),
    ("a/w.go", 'import "github.com/segmentio/kafka-go"\nw := &kafka.Writer{Addr: a, Topic: "orders"}\n'
               'r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{"k:9092"}, Topic: "payments"})',
     [("produce", "topic", "orders", "kafka"), ("consume", "topic", "payments", "kafka")]),
    ("a/s.go", 'import "github.com/IBM/sarama"\nm := &sarama.ProducerMessage{Topic: "t1"}\n'
               'pc, _ := consumer.ConsumePartition("t2", 0, o)\ng.Consume(ctx, []string{"t3"}, h)',
     [("produce", "topic", "t1", "kafka"), ("consume", "topic", "t2", "kafka"), ("consume", "topic", "t3", "kafka")]),
    ("a/f.go", 'import "github.com/twmbnet/franz-go/pkg/kgo"\nc, _ := kgo.NewClient(kgo.ConsumeTopics("a", "b"))\n'
               'r := &kgo.Record{Topic: "c"}',
     [("consume", "topic", "a", "kafka"), ("consume", "topic", "b", "kafka"), ("produce", "topic", "c", "kafka")]),
    ("a/p.py", 'from confluent_kafka import Producer\np.produce("clicks", value=v)\nc.subscribe(["views"])\n'
               'KafkaConsumer("late", bootstrap_servers="k:9092")',
     [("produce", "topic", "clicks", "kafka"), ("consume", "topic", "views", "kafka"),
      ("consume", "topic", "late", "kafka")]),
    ("a/k.js", 'const { Kafka } = require("kafkajs");\nawait producer.send({ topic: "cart", messages: [] });\n'
               'await consumer.subscribe({ topics: ["o1", "o2"] });',
     [("produce", "topic", "cart", "kafka"), ("consume", "topic", "o1", "kafka"), ("consume", "topic", "o2", "kafka")]),
    ("a/K.cs", 'using Confluent.Kafka;\nawait producer.ProduceAsync("prices", m);\nconsumer.Subscribe("carts");',
     [("produce", "topic", "prices", "kafka"), ("consume", "topic", "carts", "kafka")]),
    ("a/r.py", "import pika\nch.basic_publish(exchange='', routing_key='tasks', body=b)\n"
               "ch.basic_publish(exchange='events', routing_key='x', body=b)\n"
               "ch.queue_bind(queue=q, exchange='events')\nch.basic_consume(queue='tasks', on_message_callback=cb)",
     [("produce", "queue", "tasks", "rabbitmq"), ("produce", "topic", "events", "rabbitmq"),
      ("consume", "topic", "events", "rabbitmq"), ("consume", "queue", "tasks", "rabbitmq")]),
    ("a/a.js", 'const amqp = require("amqplib");\nch.sendToQueue("emails", b);\nch.publish("logs", "", b);\n'
               'ch.consume("emails", cb);\nch.bindQueue(q.queue, "logs", "");',
     [("produce", "queue", "emails", "rabbitmq"), ("produce", "topic", "logs", "rabbitmq"),
      ("consume", "queue", "emails", "rabbitmq"), ("consume", "topic", "logs", "rabbitmq")]),
    ("a/a.go", 'import amqp "github.com/rabbitmq/amqp091-go"\nch.PublishWithContext(ctx, "", "jobs", false, false, m)\n'
               'ch.QueueBind("q", "rk", "ex", false, nil)\n'
               'msgs, _ := ch.Consume("jobs", "", true, false, false, false, nil)',
     [("produce", "queue", "jobs", "rabbitmq"), ("consume", "topic", "ex", "rabbitmq"),
      ("consume", "queue", "jobs", "rabbitmq")]),
    ("a/B.cs", 'using RabbitMQ.Client;\nchannel.BasicPublish(exchange: "", routingKey: "hello", body: b);\n'
               'channel.BasicConsume(queue: "hello", autoAck: true, consumer: c);',
     [("produce", "queue", "hello", "rabbitmq"), ("consume", "queue", "hello", "rabbitmq")]),
    ("a/n.go", 'import "github.com/nats-io/nats.go"\nnc.Publish("order.created", d)\n'
               'nc.QueueSubscribe("order.paid", "workers", h)',
     [("produce", "topic", "order.created", "nats"), ("consume", "topic", "order.paid", "nats")]),
    ("a/n.py", 'import nats\nawait nc.subscribe("shipments", cb=h)\nawait nc.publish("done", b"")',
     [("consume", "topic", "shipments", "nats"), ("produce", "topic", "done", "nats")]),
    ("a/q.py", 'import boto3\n'
               'sqs.send_message(QueueUrl="https://sqs.eu-west-1.amazonaws.com/1/exports", MessageBody=b)\n'
               'sqs.receive_message(QueueUrl="https://sqs.eu-west-1.amazonaws.com/1/imports")\n'
               'sns.publish(TopicArn="arn:aws:sns:eu-west-1:1:payments", Message=m)',
     [("produce", "queue", "exports", "sqs"), ("consume", "queue", "imports", "sqs"),
      ("produce", "topic", "payments", "sns")]),
    ("a/E.cs", 'public class H : IIntegrationEventHandler<OrderStartedIntegrationEvent> {\n'
               '  void f() { var e = new OrderPaidIntegrationEvent(1); _eventBus.Publish(e);\n'
               '    eventBus.Subscribe<GraceConfirmedIntegrationEvent, GraceHandler>();\n'
               '    _mediator.Publish(new OrderStartedDomainEvent(o)); _mediator.Send(new CreateOrderCommand()); } }',
     [("consume", "topic", "OrderStartedIntegrationEvent", "event-bus"),
      ("consume", "topic", "GraceConfirmedIntegrationEvent", "event-bus"),
      ("produce", "topic", "OrderPaidIntegrationEvent", "event-bus")]),
    ("a/M.cs", 'using MassTransit;\npublic class C : IConsumer<OrderSubmitted> { }\n'
               'await _publishEndpoint.Publish(new OrderAccepted { Id = id });',
     [("consume", "topic", "OrderSubmitted", "event-bus"), ("produce", "topic", "OrderAccepted", "event-bus")]),
    ("a/x.js", 'socket.send("hello"); subject.subscribe(x => x); ws.publish("not-messaging");', []),
])
def test_messaging_patterns(location: str, text: str, expected: list[tuple[str, str, str, str]]) -> None:
    assert sorted(_messages(text, location)) == sorted(expected)


def test_a_destination_named_elsewhere_is_carried_as_a_symbol() -> None:
    text = ('import org.springframework.kafka.annotation.KafkaListener;\n'
            '@KafkaListener(topics = Topics.ORDERS)\nvoid a(O o) {}\n'
            '@KafkaListener(topics = "${app.topics.orders}")\nvoid b(O o) {}\n')
    summary = _summary(text, "svc/L.java")
    assert [(m.name, m.symbol) for m in summary.messages] == [("ORDERS", "const"), ("app.topics.orders", "prop")]


# --------------------------------------------------------------------------------------------
# The code map
# --------------------------------------------------------------------------------------------


def _record(reader: str, name: str, location: str, **kwargs: object) -> EntityRecord:
    return EntityRecord(key=f"{reader}:{name}", name=name, role="service", reader=reader,
                        evidence=Evidence(reader, location, name), **kwargs)  # type: ignore[arg-type]


def _file(location: str, identity: tuple[tuple[str, str], ...] = ()) -> SourceFile:
    return SourceFile(location, "build" if identity else "code", None, 10, identity=identity)


def test_name_keys_compare_the_usual_spellings() -> None:
    assert name_key("Ordering.API") == name_key("ordering-api")
    assert name_key(["src", "UserService"][-1]) == name_key("user-service")
    assert name_key("SocialGraphService") == name_key("social-graph-service")
    assert name_key("orders") != name_key("order-history")


def test_code_map_rules_in_order() -> None:
    records = [
        _record("compose", "orders", "deploy/docker-compose.yml:3",
                labels={"compose.build.context": "../services/orders-app"}),
        _record("compose", "ordering-api", "docker-compose.yml:9",
                labels={"compose.build.context": ".", "compose.build.dockerfile": "src/Ordering.API/Dockerfile"}),
        _record("backstage", "billing", "billing/catalog-info.yaml:4"),
        _record("kubernetes", "front-end", "k8s/all.yaml:1", images=("ghcr.io/acme/web-ui:1.2",)),
        _record("kubernetes", "payments", "k8s/all.yaml:40"),
        _record("kubernetes", "catalogue", "k8s/all.yaml:80"),
        _record("backstage", "search", "catalog/all.yaml:12", repo="https://github.com/acme/search-api/tree/main/"),
    ]
    files = [
        _file("services/orders-app/src/App.java"), _file("src/Ordering.API/Program.cs"),
        _file("billing/main.go"), _file("web-ui/index.js"), _file("pay/pom.xml", (("pom.xml", "payments"),)),
        _file("catalogue/main.go"), _file("tools/lint.py"), _file("search-api/app.py"),
    ]
    codemap = build_code_map(files, records)
    found = {m.folder: (m.services, m.rule) for m in codemap.mappings.values()}
    assert found == {
        "services/orders-app": (("orders",), "compose build context"),
        "src/Ordering.API": (("ordering-api",), "compose build context"),
        "billing": (("billing",), "catalog-info.yaml"),
        "web-ui": (("front-end",), "image name"),
        "pay": (("payments",), "module name"),
        "catalogue": (("catalogue",), "folder name"),
        "search-api": (("search",), "catalog-info.yaml"),
    }
    assert codemap.locate("tools") is None
    assert codemap.locate("services/orders-app/src/main/java/payments").services == ("orders",)


def test_a_shared_build_context_is_split_by_the_folders_on_the_path() -> None:
    records = [_record("compose", n, "docker-compose.yml:1", labels={"compose.build.context": "."})
               for n in ("geo", "rate", "reservation")]
    files = [_file("cmd/geo/main.go"), _file("internal/reserve/db.go"), _file("internal/common/log.go")]
    codemap = build_code_map(files, records)
    shared = codemap.locate("internal/common")
    assert shared is not None and shared.services == ("geo", "rate", "reservation")
    assert codemap.refine(shared, "cmd/geo") == "geo"
    assert codemap.refine(shared, "internal/reserve") == "reservation"
    assert codemap.refine(shared, "internal/common") is None


def test_a_weaker_rule_inside_an_explicit_build_context_does_not_take_its_code() -> None:
    records = [_record("compose", "orders", "docker-compose.yml:1", labels={"compose.build.context": "orders"}),
               _record("kubernetes", "payments", "k8s.yaml:1")]
    files = [_file("orders/payments/pom.xml", (("pom.xml", "payments"),)), _file("orders/payments/Pay.java")]
    codemap = build_code_map(files, records)
    assert codemap.locate("orders/payments").services == ("orders",)


# --------------------------------------------------------------------------------------------
# Whole repositories
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_recall_and_precision_per_fixture(name: str) -> None:
    expected = _expected(name)
    found = _edges(read_paths([FIXTURES / name]))
    hits = expected & found
    recall = len(hits) / len(expected)
    precision = len(hits) / len(found) if found else 0.0
    print(f"\n{name}: recall {recall:.3f} ({len(hits)}/{len(expected)}), "
          f"precision {precision:.3f} ({len(hits)}/{len(found)}); missed {sorted(expected - found)}; "
          f"extra {sorted(found - expected)}")
    assert (round(recall, 3), round(precision, 3)) == tuple(round(x, 3) for x in FIGURES[name])
    assert recall >= RECALL_BAR and precision >= PRECISION_BAR


def test_the_misses_are_the_ones_code_cannot_show() -> None:
    missed = {name: sorted(_expected(name) - _edges(read_paths([FIXTURES / name]))) for name in FIGURES}
    assert missed == {
        "java-spring": [],
        "go-grpc": [("search", "rate", "sync")],  # dialled through Consul as "srv-rate"
        "cpp-thrift": [("compose-post-service", "media-service", "sync")],  # address from the environment
        "dotnet-eventbus": [],
        "node-hostnames": [("orders", "carts", "sync"), ("orders", "user", "sync")],  # links in request bodies
        "polyglot": [],
    }


def test_code_and_manifest_evidence_merge_on_one_edge() -> None:
    inventory = read_paths([FIXTURES / "java-spring"])
    edge = next(d for d in inventory.dependencies if (d.source, d.target, d.kind) == ("orders", "payments", "sync"))
    where = sorted((e.reader, e.location.split("java-spring/")[-1]) for e in edge.evidence)
    assert where == [("compose", "docker-compose.yml:7"), ("source", "orders/src/main/resources/application.yml:15")]
    orders = inventory.service("orders")
    assert orders is not None and orders.repo is not None and orders.repo.endswith("java-spring/orders")
    assert orders.runtime == "java"
    assert any(e.reader == READER and "mapped by compose build context" in e.detail for e in orders.evidence)


def test_traps_in_the_java_monorepo() -> None:
    inventory = read_paths([FIXTURES / "java-spring"])
    pairs = {(d.source, d.target, d.kind) for d in inventory.dependencies}
    assert ("orders", "shipping", "sync") not in pairs  # only in a comment, a Javadoc and a test
    assert not any("billing" in (d.target, d.source) for d in inventory.dependencies)  # commented-out YAML
    assert [(u.source, u.reference) for u in inventory.unresolved] == [("users", "legacy-crm")]  # not a service
    reasons = {(s.location.split("java-spring/")[-1], s.reason) for s in inventory.skipped}
    assert ("orders/src/test/java/com/acme/orders/PaymentClientTest.java",
            "is test code; tests are not production code and are not scanned") in reasons
    assert ("orders/src/main/resources/application-test.yml",
            "is test configuration (a test profile); it is not production configuration") in reasons
    assert ("notifications/src/main/java/com/acme/notifications",
            "source code here (1 file with 1 finding) could not be mapped to a service: no compose build context, "
            "catalog-info.yaml, image, module or folder name matches one; its findings were not used") in reasons
    assert "s3cret-ledger-pw" not in repr(inventory)


def test_every_input_is_used_or_skipped() -> None:
    inventory = read_paths([FIXTURES / "polyglot"])
    for account in inventory.inputs:
        assert account.documents == account.used + account.skipped, account
    by_name = {a.location.rsplit("polyglot/", 1)[-1]: (a.format, a.used, a.skipped) for a in inventory.inputs}
    assert by_name["cart/index.js"] == ("source", 1, 0)
    assert by_name["cart/__tests__/cart.test.js"] == ("source", 0, 1)
    assert by_name["cart/public/app.min.js"] == ("source", 0, 1)
    assert by_name["checkout/vendor/github.com/IBM/sarama/client.go"] == ("source", 0, 1)
    assert by_name["inventory/stock_pb2.py"] == ("source", 0, 1)


def test_each_skipped_file_is_listed_once() -> None:
    inventory = read_paths([FIXTURES / "go-grpc"])
    locations = [s.location for s in inventory.skipped]
    assert len(locations) == len(set(locations))


def test_a_word_that_is_also_a_service_name() -> None:
    inventory = read_paths([FIXTURES / "node-hostnames"])
    pairs = {(d.source, d.target) for d in inventory.dependencies}
    assert ("front-end", "user") in pairs  # http://user/customers
    assert not {("payment", "user"), ("payment", "catalogue")} & pairs  # log messages and map keys
    skipped = {s.location.rsplit("node-hostnames/", 1)[-1]: s.reason for s in inventory.skipped}
    assert skipped["front-end/test"] == "1 file here is test code, not production code; 1 finding was not used"
    assert "sooper-secret-session-key" not in repr(inventory)


def test_a_connection_string_tells_a_database_the_image_did_not() -> None:
    inventory = read_paths([FIXTURES / "dotnet-eventbus"])
    assert inventory.service("sqldata") is None
    sqldata = next(r for r in inventory.resources if r.id == "database:sqldata")
    assert sqldata.sources == ("compose", "source")
    vias = {(d.source, d.via) for d in inventory.dependencies if d.target == "database:sqldata"}
    assert vias == {("ordering-api", "Acme.Services.OrderingDb"), ("catalog-api", "Acme.Services.CatalogDb")}
    for secret in ("Ordering-Secret-Pw1", "Catalog-Secret-Pw2"):
        assert secret not in repr(inventory)


def test_repositories_without_manifests(tmp_path: Path) -> None:
    repos = tmp_path / "repos"
    shutil.copytree(FIXTURES / "node-hostnames", repos, ignore=shutil.ignore_patterns("deploy", "expected.yaml"))
    inventory = read_paths([repos])
    assert [s.id for s in inventory.services] == ["carts", "catalogue", "front-end", "orders", "payment",
                                                  "queue-master", "shipping", "user"]
    front = inventory.service("front-end")
    assert front is not None and front.aliases == ("microservices-demo-front-end",)
    pairs = {(d.source, d.target, d.kind) for d in inventory.dependencies}
    assert {("front-end", "catalogue", "sync"), ("orders", "payment", "sync"), ("shipping", "queue-master", "async"),
            ("carts", "database:carts-db", "datastore")} <= pairs


def test_a_zip_of_the_monorepo_reads_the_same(tmp_path: Path) -> None:
    archive = shutil.make_archive(str(tmp_path / "shop"), "zip", FIXTURES / "java-spring")
    assert _edges(read_paths([archive])) == _expected("java-spring")


def test_workers_give_the_same_inventory() -> None:
    inputs = collect([FIXTURES / "cpp-thrift"], Limits())
    one = resolve_results(inputs, read_inputs(inputs, workers=1))
    two = resolve_results(inputs, read_inputs(inputs, workers=2))
    assert one == two


def test_a_scanned_file_never_raises() -> None:
    for text in ("\x00\x01", "{", "[[[[", "'''", "\"" * 10_000, "@KafkaListener(" * 1000, "Topic: " * 5000):
        for location in ("a/x.java", "a/x.py", "a/application.yml", "a/config.json", "a/nginx.conf"):
            fragment = scan_source(text, location)
            assert fragment.documents == 1 and fragment.used + len(fragment.skipped) == 1


# --------------------------------------------------------------------------------------------
# The corpus
# --------------------------------------------------------------------------------------------


@pytest.mark.corpus
def test_hotel_reservation_config_gives_each_service_its_datastores() -> None:
    folder = CORPUS / "dsb-hotelreservation"
    if not (folder / "config.json").is_file():
        pytest.skip("the shared corpus is not available")
    inventory = read_paths([folder / "docker-compose.yml", folder / "config.json"])
    from_config = sorted((d.source, d.target) for d in inventory.dependencies
                         if any(e.reader == READER for e in d.evidence))
    assert from_config == [
        ("attractions", "database:mongodb-attractions"), ("geo", "database:mongodb-geo"),
        ("profile", "cache:memcached-profile"), ("profile", "database:mongodb-profile"),
        ("rate", "cache:memcached-rate"), ("rate", "database:mongodb-rate"),
        ("recommendation", "database:mongodb-recommendation"), ("reservation", "cache:memcached-reserve"),
        ("reservation", "database:mongodb-reservation"), ("review", "cache:memcached-review"),
        ("review", "database:mongodb-review"), ("user", "database:mongodb-user"),
    ]
    assert inventory.unresolved == ()
