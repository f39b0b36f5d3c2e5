"""What scanning one file yields: small, picklable records that travel in ``Fragment.extras``.

A file's findings cannot become claims while it is read: which service the file belongs to is only
known once every file (compose build contexts, catalog files, images, module names) has been read.
:mod:`inventory.sourcecode.assembling` turns these records into entities and claims.
"""

from __future__ import annotations

from dataclasses import dataclass

from inventory.model import Address


@dataclass(frozen=True)
class Reference:
    """An address named in code or configuration, at ``line`` of its file.

    ``key`` is the config key or variable it was assigned to, when known (it lets a shared config
    file be attributed to the service whose code reads that key). ``strong`` marks a reference worth
    reporting when it resolves to nothing (a URL or connection string to a cluster-local name).
    """

    address: Address
    line: int
    detail: str
    key: str | None = None
    strong: bool = False


@dataclass(frozen=True)
class Message:
    """A publish or subscribe to a named destination.

    ``kind`` is ``topic`` (Kafka topics, NATS subjects, AMQP exchanges, SNS topics, integration
    events) or ``queue``; ``role`` is ``produce`` or ``consume``. When the destination is given by a
    constant or a configuration property the file does not define, ``symbol`` says which (``const``
    or ``prop``) and ``name`` is the constant's name or the property key, resolved later against
    every file of the same service.
    """

    name: str
    kind: str
    role: str
    technology: str | None
    line: int
    detail: str
    symbol: str | None = None


@dataclass(frozen=True)
class SourceFile:
    """The summary of one scanned file.

    ``identity`` holds module names a build file declares (``("pom.xml", "orders")``,
    ``("Dockerfile", "")``); ``constants`` the string constants code defines; ``properties`` the
    scalar values a configuration file sets (for ``${...}`` placeholders and constant names used
    in other files of the same service); ``names`` the identifier-like string literals code uses,
    with the line of first use (to tell which service reads which key of a shared config file).
    ``soft_segments`` are path segments that mark non-production code *if* they lie inside the
    folder of the service the file belongs to (``tests``, ``examples`` ...).
    """

    location: str
    kind: str
    language: str | None
    size: int
    soft_segments: tuple[str, ...] = ()
    references: tuple[Reference, ...] = ()
    messages: tuple[Message, ...] = ()
    identity: tuple[tuple[str, str], ...] = ()
    constants: tuple[tuple[str, str], ...] = ()
    properties: tuple[tuple[str, str], ...] = ()
    names: tuple[tuple[str, int], ...] = ()

    @property
    def findings(self) -> int:
        return len(self.references) + len(self.messages)
