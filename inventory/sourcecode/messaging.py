"""Publish and subscribe calls in code: which destination a file produces to or consumes from.

Patterns are matched on the code with comments blanked out (see :mod:`.lexing`); arguments are read
with string literals skipped whole, so a comma or parenthesis inside a string never splits an
argument. A destination given as a literal is taken as is; one given as a constant is looked up
among the constants of the file (else carried to the assembler, which looks at every file of the
service); a Spring placeholder ``"${app.topic}"`` is resolved the same way against the service's
configuration files.

What is recognised (a client is only assumed where the file mentions its library):

* **Kafka**: ``KafkaTemplate.send(topic, ...)``, ``new ProducerRecord<>(topic, ...)``,
  ``@KafkaListener(topics = ...)``, ``consumer.subscribe(List.of(...))``; Go sarama
  (``ProducerMessage{Topic:}``, ``ConsumePartition``, ``ConsumerGroup.Consume(ctx, []string{...})``),
  segmentio (``Writer{Topic:}``/``ReaderConfig{Topic:}``), franz-go (``kgo.Record{Topic:}``,
  ``kgo.ConsumeTopics``), confluent-kafka-go; Python confluent-kafka/kafka-python/aiokafka
  (``produce``/``send``/``send_and_wait``, ``KafkaConsumer("t")``, ``subscribe([...])``); kafkajs
  (``producer.send({topic})``, ``consumer.subscribe({topic|topics})``); .NET Confluent
  (``Produce``/``ProduceAsync``, ``Subscribe``).
* **RabbitMQ/AMQP**: ``basic_publish``/``basicPublish``/``BasicPublish``/Go ``Publish`` (the exchange,
  or the routing key on the default exchange, which is a queue), ``basic_consume``/``Consume``/
  ``channel.consume`` (a queue), ``queue_bind``/``QueueBind``/``bindQueue`` (the consumer binds to an
  exchange), amqplib ``sendToQueue``/``publish``, Spring ``convertAndSend``/``@RabbitListener`` (queues
  and ``@QueueBinding`` exchanges), ``@JmsListener``/``JmsTemplate``.
* **NATS**: ``Publish``/``Request``/``Subscribe``/``QueueSubscribe`` on a NATS connection.
* **Redis pub/sub**: ``publish``/``subscribe`` on a receiver named for Redis or a pubsub.
* **SQS/SNS**: ``QueueUrl``/``TopicArn`` in a send/receive/publish/subscribe call or request (the
  queue or topic name is the last part of the URL or ARN), ``@SqsListener``.
* **Integration events** (event-bus style, eShopOnContainers, MassTransit, NServiceBus): publishing
  ``new XIntegrationEvent(...)`` (or a variable of that type; or any event through a receiver named
  for a bus or publish endpoint), and ``Subscribe<XIntegrationEvent, Handler>()``,
  ``IIntegrationEventHandler<X>``, ``IConsumer<X>``, ``IHandleMessages<X>``: the topic is the event
  type's name.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice

from inventory.sourcecode.findings import Message
from inventory.sourcecode.lexing import Literal

_CALL = re.compile(
    r"\.\s*(?P<method>send|sendDefault|send_and_wait|sendAndWait|sendBatch|produce|Produce|ProduceAsync"
    r"|convertAndSend|convertSendAndReceive|basic_publish|basicPublish|BasicPublish|publish|Publish"
    r"|PublishAsync|PublishWithContext|sendToQueue|subscribe|Subscribe|SubscribeSync|QueueSubscribe"
    r"|QueueSubscribeSync|ChanSubscribe|consume|Consume|ConsumePartition|basic_consume|basicConsume"
    r"|BasicConsume|queue_bind|queueBind|QueueBind|bindQueue|request|Request)"
    r"\s*(?:<[^<>()]{0,200}>)?\s*\("
)
_ANNOTATION = re.compile(r"@(?P<name>KafkaListener|RabbitListener|JmsListener|SqsListener)\s*\(")
_CONSTRUCTOR = re.compile(r"\b(?:new\s+(?P<record>ProducerRecord)\s*(?:<[^<>()]{0,200}>)?"
                          r"|(?P<consumer>(?:AIO)?KafkaConsumer)|(?P<franz>kgo\s*\.\s*ConsumeTopics))\s*\(")
_TOPIC_FIELD = re.compile(r"\b(?P<field>Topic|topic|Topics|topics)\s*:(?!:)\s*")
_AWS_FIELD = re.compile(r"\b(?P<field>QueueUrl|queueUrl|QueueURL|TopicArn|topicArn|TargetArn|targetArn)\b\s*"
                        r"(?:=(?!=)|:(?!:)|\()\s*")
_EVENT_CONSUME = re.compile(
    r"\b(?:(?:Subscribe|SubscribeAsync|AddSubscription)\s*<\s*(?P<sub>\w+)\s*,\s*\w+\s*>"
    r"|IIntegrationEventHandler\s*<\s*(?P<handler>\w+)\s*>"
    r"|(?P<mt>IConsumer|IHandleMessages)\s*<\s*(?P<msg>\w+)\s*>)"
)
_EVENT_PUBLISH = re.compile(
    r"\b(?P<method>Publish|PublishAsync|publish|publishEvent|AddAndSaveEventAsync|PublishThroughEventBusAsync"
    r"|SaveEventAndOrderingContextChangesAsync|Send|SendAsync)"
    r"\s*(?:<\s*(?P<generic>\w+)\s*>)?\s*\(\s*(?:new\s+(?P<new>\w+)|(?P<var>@?[A-Za-z_]\w*)\s*[,)])"
)
_GO_COMPOSITE = re.compile(r"(?P<type>\w+)\s*\{$")
_JS_CALL_OBJECT = re.compile(r"\.(?P<method>send|sendBatch|subscribe)\s*\(\s*\{$")
_SQS_DIRECTION = re.compile(
    r"(?P<produce>send_message(?:_batch)?|SendMessage\w*|sendMessage\w*|publish|Publish\w*)"
    r"|(?P<consume>receive_message|ReceiveMessage\w*|receiveMessage\w*|subscribe|Subscribe\w*)"
)
_NAMED_ARG = re.compile(r"\s*(?P<name>[A-Za-z_]\w*)\s*(?:=(?!=)|:(?!:))\s*")
_IDENTIFIER = re.compile(r"^&?(?:this\.|self\.)?(?P<name>[A-Za-z_][\w.]*)$")
_COLLECTION = re.compile(
    r"^(?:\[|\{|\(|new\s*(?:\w+(?:<[^<>]*>)?)?\s*\[\s*\]|new\s+(?:List|HashSet|ArrayList|LinkedList|Set)\b|List\.of|Set\.of|Arrays\.asList|Collections\.singleton\w*|listOf|setOf|arrayOf"
    r"|mutableListOf|ImmutableList\.of|Stream\.of|\[\]string|aws\.String|String\.valueOf|Array\(|tuple\(|list\()"
)
_PUNCTUATION = re.compile(r"[()\[\]{},\"'`]")
_FIELD_END = re.compile(r"[()\[\]{},;\n\"'`]")
#: At most this many matches of one pattern are looked at in one file (generated code can have more).
MAX_SITES = 2000
_DESTINATION = re.compile(r"^[\w.\-:/*>#$]{1,200}$")
_PLACEHOLDER = re.compile(r"^\$\{(?P<key>[\w.\-]+)(?::(?P<default>[^}]*))?\}$")

_GO_PRODUCE_TYPES = frozenset({"Writer", "WriterConfig", "ProducerMessage", "Message", "Record", "TopicPartition"})
_GO_CONSUME_TYPES = frozenset({"Reader", "ReaderConfig", "ConsumerGroupConfig"})
#: Base types an event variable may be declared as: they name no particular event.
_BASE_EVENT_TYPES = frozenset({
    "IntegrationEvent", "IIntegrationEvent", "Event", "IEvent", "EventBase", "BaseEvent", "DomainEvent",
    "IDomainEvent", "Message", "IMessage", "T", "TEvent", "TIntegrationEvent", "TMessage", "Object", "String",
})
_NATS_RECEIVER = re.compile(r"^(?:nc|js|jsc|nats\w*|\w*[Nn]ats\w*|natsConn|jetStream|jetstream|\w*NATS\w*)$")
_REDIS_RECEIVER = re.compile(r"(?i)redis|pubsub")


@dataclass(frozen=True)
class Arg:
    """One call argument: its name when passed by name, and its span in the code."""

    name: str | None
    start: int
    end: int


def receiver(code: str, end: int) -> str:
    """The identifier before a ``.`` (or ``?.``) at ``end`` (``this.kafkaTemplate.send``: ``kafkaTemplate``;
    ``getTemplate().send``: ``getTemplate``); empty when there is none."""
    j = end - 1
    while j >= 0 and code[j] in " \t\r\n?":
        j -= 1
    if j >= 1 and code[j] == ")" and code[j - 1] == "(":
        j -= 2
    stop = j + 1
    while j >= 0 and (code[j].isalnum() or code[j] in "_@"):
        j -= 1
    return code[j + 1 : stop].lstrip("@")


def technologies(code: str) -> frozenset[str]:
    """The messaging libraries a file mentions (imports, types, client names)."""
    lower = code.lower()
    found = set()
    if "kafka" in lower or "sarama" in lower or "kgo." in lower:
        found.add("kafka")
    if "amqp" in lower or "rabbit" in lower or "pika" in lower:
        found.add("rabbitmq")
    if "nats" in lower:
        found.add("nats")
    if "redis" in lower:
        found.add("redis")
    if "sqs" in lower or "sns" in lower:
        found.add("sqs")
    if "jms" in lower:
        found.add("jms")
    if "integrationevent" in lower or "eventbus" in lower or "masstransit" in lower or "nservicebus" in lower \
            or "publishendpoint" in lower:
        found.add("eventbus")
    return frozenset(found)


class _Scanner:
    """Matches the messaging patterns of one file."""

    def __init__(self, code: str, literals: Sequence[Literal], constants: Mapping[str, str],
                 line_of: Callable[[int], int], language: str | None) -> None:
        self.code = code
        self.literals = literals
        self.starts = [lit.start for lit in literals]
        self.constants = constants
        self.line_of = line_of
        self.language = language
        self.techs = technologies(code)
        self.out: list[Message] = []
        self.seen: set[tuple[str, str, str, int]] = set()

    # ---- arguments -------------------------------------------------------------------------

    def _literal_around(self, i: int) -> Literal | None:
        """The literal that offset ``i`` lies in, if any."""
        k = bisect.bisect_right(self.starts, i) - 1
        if k >= 0 and self.literals[k].start <= i < self.literals[k].end:
            return self.literals[k]
        return None

    def args(self, pos: int, limit: int = 1200) -> list[Arg]:
        """The arguments of the call whose ``(`` ends just before ``pos``."""
        code = self.code
        out: list[Arg] = []
        depth = 0
        start = pos
        end_limit = min(len(code), pos + limit)
        i = pos
        while i < end_limit:
            hit = _PUNCTUATION.search(code, i, end_limit)
            if hit is None:
                break
            i = hit.start()
            lit = self._literal_around(i)
            if lit is not None:
                i = lit.end
                continue
            c = code[i]
            if c in "([{":
                depth += 1
            elif c in ")]}":
                if depth == 0:
                    if code[start:i].strip():
                        out.append(self._arg(start, i))
                    return out
                depth -= 1
            elif c == "," and depth == 0:
                out.append(self._arg(start, i))
                start = i + 1
            i += 1
        return out

    def _arg(self, start: int, end: int) -> Arg:
        m = _NAMED_ARG.match(self.code, start, end)
        if m and self.code[m.end() : m.end() + 1] != ">":
            return Arg(m.group("name"), m.end(), end)
        return Arg(None, start, end)

    def literals_in(self, start: int, end: int) -> list[Literal]:
        i = bisect.bisect_left(self.starts, start)
        out = []
        while i < len(self.literals) and self.literals[i].start < end:
            out.append(self.literals[i])
            i += 1
        return out

    def values(self, arg: Arg | None) -> list[tuple[str, str | None]]:
        """``(value, symbol)`` for an argument: literals (also inside a list or wrapper), or a constant."""
        if arg is None:
            return []
        text = self.code[arg.start : arg.end].strip()
        if not text:
            return []
        lits = self.literals_in(arg.start, arg.end)
        if lits:
            if text[0] in "\"'`@" or _COLLECTION.match(text):
                if "+" in text and text[0] in "\"'`":
                    return []  # a name built by concatenation: not known statically
                return [self._placeholder(lit.value) for lit in lits]
            return []
        m = _IDENTIFIER.match(text)
        if not m or text in ("null", "None", "nil", "undefined", "true", "false"):
            return []
        name = m.group("name").rsplit(".", 1)[-1]
        if name in self.constants:
            return [self._placeholder(self.constants[name])]
        return [(name, "const")]

    @staticmethod
    def _placeholder(value: str) -> tuple[str, str | None]:
        m = _PLACEHOLDER.match(value.strip())
        if m:
            if m.group("default"):
                return m.group("default"), None
            return m.group("key"), "prop"
        return value, None

    def named(self, args: list[Arg], *names: str) -> Arg | None:
        for a in args:
            if a.name in names:
                return a
        return None

    @staticmethod
    def positional(args: list[Arg], index: int) -> Arg | None:
        plain = [a for a in args if a.name is None]
        return plain[index] if index < len(plain) else None

    # ---- output ----------------------------------------------------------------------------

    def emit(self, values: list[tuple[str, str | None]], kind: str, role: str, tech: str | None, pos: int,
             what: str) -> None:
        for value, symbol in values:
            value = value.strip()
            if not value or not _DESTINATION.match(value):
                continue
            line = self.line_of(pos)
            key = (value, kind, role, line)
            if key in self.seen:
                continue
            self.seen.add(key)
            shown = f"{value} (constant)" if symbol == "const" else f"${{{value}}}" if symbol == "prop" else value
            verb = "publishes to" if role == "produce" else "consumes from"
            self.out.append(Message(value, kind, role, tech, line, f"{what} {verb} {kind} {shown}", symbol))

    # ---- rules -----------------------------------------------------------------------------

    def scan(self) -> list[Message]:
        techs = self.techs
        code = self.code
        if techs:
            for m in islice(_CALL.finditer(code), MAX_SITES):
                self.call(m)
            if "Listener" in code:
                for m in islice(_ANNOTATION.finditer(code), MAX_SITES):
                    self.annotation(m)
            if "kafka" in techs:
                if "ProducerRecord" in code or "KafkaConsumer" in code or "ConsumeTopics" in code:
                    for m in islice(_CONSTRUCTOR.finditer(code), MAX_SITES):
                        self.constructor(m)
                if "opic" in code:
                    for m in islice(_TOPIC_FIELD.finditer(code), MAX_SITES):
                        self.topic_field(m)
            if "sqs" in techs and ("ueueU" in code or "Arn" in code or "arn" in code):
                for m in islice(_AWS_FIELD.finditer(code), MAX_SITES):
                    self.aws_field(m)
        if ("eventbus" in techs or "IConsumer<" in code or "IHandleMessages<" in code) and (
                "Subscri" in code or "Handler<" in code or "IConsumer<" in code or "IHandleMessages<" in code):
            for m in islice(_EVENT_CONSUME.finditer(code), MAX_SITES):
                self.event_consume(m)
        if ("eventbus" in techs or "Publish" in code) and ("ublish" in code or "Send" in code or "Event" in code):
            for m in islice(_EVENT_PUBLISH.finditer(code), MAX_SITES):
                self.event_publish(m)
        return self.out

    def call(self, m: re.Match[str]) -> None:
        recv, method = receiver(self.code, m.start()), m.group("method")
        lower_recv = recv.lower()
        techs = self.techs
        args = self.args(m.end())
        what = f"{recv}.{method}"
        pos = m.start()
        first = self.positional(args, 0)
        if method in ("basic_publish", "basicPublish", "BasicPublish"):
            exchange = self.named(args, "exchange") or first
            routing = self.named(args, "routing_key", "routingKey") or self.positional(args, 1)
            self.rabbit_publish(exchange, routing, pos, what)
        elif method in ("basic_consume", "basicConsume", "BasicConsume"):
            queue = self.named(args, "queue") or first
            self.emit(self.values(queue), "queue", "consume", "rabbitmq", pos, what)
        elif method in ("queue_bind", "queueBind", "QueueBind", "bindQueue"):
            if self.language == "go":
                exchange = self.positional(args, 2)
            else:
                exchange = self.named(args, "exchange", "source") or self.positional(args, 1)
            self.emit(self.values(exchange), "topic", "consume", "rabbitmq", pos, what)
        elif method == "sendToQueue":
            self.emit(self.values(first), "queue", "produce", "rabbitmq", pos, what)
        elif method in ("convertAndSend", "convertSendAndReceive"):
            if "simp" in lower_recv or "messaging" in lower_recv or "websocket" in lower_recv:
                return
            if "jms" in lower_recv or ("jms" in techs and "rabbitmq" not in techs):
                self.emit(self.values(first), "queue", "produce", "jms", pos, what)
                return
            plain = [a for a in args if a.name is None]
            if len(plain) >= 3:
                self.rabbit_publish(plain[0], plain[1], pos, what)
            else:
                self.emit(self.values(first), "queue", "produce", "rabbitmq", pos, what)
        elif method in ("publish", "Publish", "PublishAsync", "PublishWithContext", "request", "Request"):
            self.publish_call(recv, method, args, pos, what)
        elif method in ("subscribe", "Subscribe", "SubscribeSync", "QueueSubscribe", "QueueSubscribeSync",
                        "ChanSubscribe"):
            self.subscribe_call(recv, method, args, pos, what)
        elif method in ("send", "sendDefault", "send_and_wait", "sendAndWait", "sendBatch"):
            self.send_call(recv, args, pos, what)
        elif method in ("produce", "Produce", "ProduceAsync"):
            if "kafka" in techs:
                self.emit(self.values(self.named(args, "topic") or first), "topic", "produce", "kafka", pos, what)
        elif method == "ConsumePartition":
            if "kafka" in techs:
                self.emit(self.values(first), "topic", "consume", "kafka", pos, what)
        elif method in ("consume", "Consume"):
            if "rabbitmq" in techs and first is not None and self.values(first) and \
                    self.code[first.start : first.end].strip()[:1] in "\"'`":
                self.emit(self.values(first), "queue", "consume", "rabbitmq", pos, what)
            elif "kafka" in techs and self.language == "go" and len(args) >= 2:
                self.emit(self.values(self.positional(args, 1)), "topic", "consume", "kafka", pos, what)

    def rabbit_publish(self, exchange: Arg | None, routing: Arg | None, pos: int, what: str) -> None:
        exchange_values = [v for v in self.values(exchange) if v[0].strip()]
        if exchange_values:
            self.emit(exchange_values, "topic", "produce", "rabbitmq", pos, what)
        else:
            self.emit(self.values(routing), "queue", "produce", "rabbitmq", pos, what)

    def publish_call(self, recv: str, method: str, args: list[Arg], pos: int, what: str) -> None:
        techs = self.techs
        first = self.positional(args, 0)
        if _NATS_RECEIVER.match(recv) or ("nats" in techs and not {"rabbitmq", "kafka"} & techs):
            if method in ("PublishWithContext",):
                return
            self.emit(self.values(first), "topic", "produce", "nats", pos, what)
        elif "rabbitmq" in techs and method in ("Publish", "PublishWithContext", "publish") and \
                self.language in ("go", "javascript", "typescript"):
            offset = 1 if method == "PublishWithContext" else 0
            self.rabbit_publish(self.positional(args, offset), self.positional(args, offset + 1), pos, what)
        elif _REDIS_RECEIVER.search(recv) and "redis" in techs:
            self.emit(self.values(first), "topic", "produce", "redis", pos, what)

    def subscribe_call(self, recv: str, method: str, args: list[Arg], pos: int, what: str) -> None:
        techs = self.techs
        first = self.positional(args, 0)
        if first is not None and self.code[first.start : first.end].strip().startswith("{"):
            if "kafka" in techs:
                self.object_topics(first, "consume", pos, what)
            return
        if _NATS_RECEIVER.match(recv) or ("nats" in techs and "kafka" not in techs):
            self.emit(self.values(first), "topic", "consume", "nats", pos, what)
        elif _REDIS_RECEIVER.search(recv) and "redis" in techs:
            self.emit(self.values(first), "topic", "consume", "redis", pos, what)
        elif "kafka" in techs:
            self.emit(self.values(self.named(args, "topics", "topic") or first), "topic", "consume", "kafka", pos,
                      what)

    def send_call(self, recv: str, args: list[Arg], pos: int, what: str) -> None:
        lower = recv.lower()
        techs = self.techs
        first = self.positional(args, 0)
        if first is not None and self.code[first.start : first.end].strip().startswith("{"):
            if "kafka" in techs and "producer" in lower:
                self.object_topics(first, "produce", pos, what)
            return
        if "rabbit" in lower or "amqp" in lower:
            plain = [a for a in args if a.name is None]
            if len(plain) >= 3:
                self.rabbit_publish(plain[0], plain[1], pos, what)
            return
        if "jms" in lower:
            self.emit(self.values(first), "queue", "produce", "jms", pos, what)
            return
        if "kafka" in techs and ("kafka" in lower or "producer" in lower or lower.endswith("template")):
            self.emit(self.values(self.named(args, "topic") or first), "topic", "produce", "kafka", pos, what)

    def object_topics(self, arg: Arg, role: str, pos: int, what: str) -> None:
        for m in _TOPIC_FIELD.finditer(self.code, arg.start, arg.end):
            value_args = self.field_value(m.end(), arg.end)
            self.emit(self.values(value_args), "topic", role, "kafka", pos, what)

    def field_value(self, start: int, limit: int) -> Arg | None:
        """The value after ``field:`` up to the next top-level comma or closing bracket."""
        code = self.code
        depth = 0
        i = start
        end_limit = min(limit, len(code), start + 600)
        while i < end_limit:
            hit = _FIELD_END.search(code, i, end_limit)
            if hit is None:
                i = end_limit
                break
            i = hit.start()
            lit = self._literal_around(i)
            if lit is not None:
                i = lit.end
                continue
            c = code[i]
            if c in "([{":
                depth += 1
            elif c in ")]}":
                if depth == 0:
                    break
                depth -= 1
            elif c in ",;\n" and depth == 0:
                break
            i += 1
        return Arg(None, start, i) if i > start else None

    def annotation(self, m: re.Match[str]) -> None:
        name = m.group("name")
        args = self.args(m.end(), limit=2000)
        pos = m.start()
        what = f"@{name}"
        first = self.positional(args, 0)
        if name == "KafkaListener":
            self.emit(self.values(self.named(args, "topics", "value")), "topic", "consume", "kafka", pos, what)
        elif name == "JmsListener":
            self.emit(self.values(self.named(args, "destination") or first), "queue", "consume", "jms", pos, what)
        elif name == "SqsListener":
            self.emit(self.values(self.named(args, "value", "queueNames") or first), "queue", "consume", "sqs",
                      pos, what)
        elif name == "RabbitListener":
            queues = self.named(args, "queues", "queuesToDeclare")
            self.emit(self.values(queues) if queues and not self._text(queues).startswith("@") else [],
                      "queue", "consume", "rabbitmq", pos, what)
            end = args[-1].end if args else m.end()
            body = self.code[m.end() : end]
            for inner in re.finditer(r"@(?P<kind>Exchange|Queue)\s*\(", body):
                inner_args = self.args(m.end() + inner.end())
                target = self.named(inner_args, "value", "name") or self.positional(inner_args, 0)
                kind = "topic" if inner.group("kind") == "Exchange" else "queue"
                self.emit(self.values(target), kind, "consume", "rabbitmq", pos, what)

    def _text(self, arg: Arg) -> str:
        return self.code[arg.start : arg.end].strip()

    def constructor(self, m: re.Match[str]) -> None:
        args = self.args(m.end())
        pos = m.start()
        if m.group("record"):
            self.emit(self.values(self.positional(args, 0)), "topic", "produce", "kafka", pos, "new ProducerRecord")
        elif m.group("consumer"):
            plain = [a for a in args if a.name is None]
            values = [v for a in plain for v in self.values(a) if self._text(a)[:1] in "\"'"]
            topics = self.named(args, "topics")
            self.emit(values + self.values(topics), "topic", "consume", "kafka", pos, m.group("consumer"))
        else:
            values = [v for a in args for v in self.values(a)]
            self.emit(values, "topic", "consume", "kafka", pos, "kgo.ConsumeTopics")

    def _opener(self, pos: int, window: int = 600) -> int | None:
        """The offset of the innermost ``{`` still open at ``pos`` (literals skipped), if near."""
        code = self.code
        depth = 0
        i = pos - 1
        stop = max(0, pos - window)
        while i >= stop:
            i = max(code.rfind("{", stop, i + 1), code.rfind("}", stop, i + 1))
            if i < 0:
                return None
            lit = self._literal_around(i)
            if lit is not None:
                i = lit.start - 1
                continue
            c = code[i]
            if c == "}":
                depth += 1
            elif c == "{":
                if depth == 0:
                    return i
                depth -= 1
            i -= 1
        return None

    def topic_field(self, m: re.Match[str]) -> None:
        opener = self._opener(m.start())
        if opener is None:
            return
        before = self.code[max(0, opener - 200) : opener + 1]
        if _JS_CALL_OBJECT.search(before):
            return  # the object of producer.send({...}) / consumer.subscribe({...}): read by that call
        go = _GO_COMPOSITE.search(before)
        if go is None:
            return
        type_name = go.group("type")
        if type_name in _GO_PRODUCE_TYPES:
            role = "produce"
        elif type_name in _GO_CONSUME_TYPES:
            role = "consume"
        else:
            return
        value = self.field_value(m.end(), len(self.code))
        self.emit(self.values(value), "topic", role, "kafka", m.start(), f"{type_name}{{Topic}}")

    def aws_field(self, m: re.Match[str]) -> None:
        field = m.group("field")
        value = self.field_value(m.end(), len(self.code))
        text = self.code[value.start : value.end].strip() if value else ""
        if text.startswith("aws.String(") and value is not None:
            value = Arg(None, value.start + text.find("(") + 1, value.end)
        values = self.values(value)
        window = self.code[max(0, m.start() - 300) : m.start()]
        role = None
        for d in _SQS_DIRECTION.finditer(window):
            role = "produce" if d.group("produce") else "consume"
        if role is None:
            after = _SQS_DIRECTION.search(self.code, m.end(), min(len(self.code), m.end() + 80))
            if after is None:
                return
            role = "produce" if after.group("produce") else "consume"
        is_topic = "Arn" in field or "arn" in field
        names: list[tuple[str, str | None]] = []
        for value_text, symbol in values:
            if symbol is None:
                tail = value_text.rstrip("/").rsplit(":" if is_topic else "/", 1)[-1]
                names.append((tail, None))
            else:
                names.append((value_text, symbol))
        self.emit(names, "topic" if is_topic else "queue", role, "sns" if is_topic else "sqs", m.start(), field)

    def event_consume(self, m: re.Match[str]) -> None:
        event = m.group("sub") or m.group("handler") or m.group("msg")
        if not event or not event[:1].isupper() or len(event) < 3 or event in _BASE_EVENT_TYPES:
            return
        if m.group("mt") == "IConsumer" and "eventbus" not in self.techs:
            return
        what = m.group(0).split("<", 1)[0].strip()
        self.emit([(event, None)], "topic", "consume", "event-bus", m.start(), f"{what}<{event}>")

    def event_publish(self, m: re.Match[str]) -> None:
        before = m.start() - 1
        while before >= 0 and self.code[before] in " \t\r\n":
            before -= 1
        recv = receiver(self.code, before) if before >= 0 and self.code[before] == "." else ""
        method = m.group("method")
        event = m.group("generic") or m.group("new")
        events = [event] if event else []
        if not events and m.group("var"):
            events = self._types_of(m.group("var").lstrip("@"), m.start())
        busy = bool(re.search(r"(?i)bus|endpoint", recv)) and method in ("Publish", "PublishAsync", "publish", "Send",
                                                                       "SendAsync")
        for event in events:
            if not event[:1].isupper() or len(event) < 3 or event in _BASE_EVENT_TYPES:
                continue
            if not (event.endswith("IntegrationEvent") or busy):
                continue
            self.emit([(event, None)], "topic", "produce", "event-bus", m.start(),
                      f"{recv + '.' if recv else ''}{method}")

    def _types_of(self, variable: str, before: int) -> list[str]:
        """The event types a local variable may hold: ``var v = new T(...)``, a declaration ``T v``, or,
        when it is declared as a base type, every ``new X(...)`` of its initialiser."""
        window_start = max(0, before - 1500)
        window = self.code[window_start:before]
        name = re.escape(variable)
        found: list[str] = []
        for m in re.finditer(rf"\b{name}\s*=\s*new\s+(?P<t>\w+)", window):
            found = [m.group("t")]
        if found:
            return found
        declared = None
        for m in re.finditer(rf"\b(?P<t>[A-Z]\w*)\s+@?{name}\b", window):
            declared = m
        if declared is None:
            return []
        if declared.group("t") not in _BASE_EVENT_TYPES:
            return [declared.group("t")]
        end = window.find(";", declared.end())
        initialiser = window[declared.end() : end if end >= 0 else len(window)]
        return list(dict.fromkeys(re.findall(r"\bnew\s+(\w+)", initialiser)))


def find_messages(code: str, literals: Sequence[Literal], constants: Mapping[str, str],
                  line_of: Callable[[int], int], language: str | None = None) -> list[Message]:
    """The publish and subscribe calls of one file (``code`` with comments blanked out)."""
    return _Scanner(code, literals, constants, line_of, language).scan()
