"""One error hierarchy for the whole project.

``AdvisorError`` is the base; subclasses are named after the condition. Input problems that
affect one file or document become :class:`~inventory.model.Skipped` entries rather than
exceptions that stop a run; the exceptions below are for callers that asked for one thing and
could not get it (a whole configuration, a live source, a usage error).
"""

from __future__ import annotations


class AdvisorError(Exception):
    """Base class of every error the project raises on purpose."""


class InputError(AdvisorError):
    """An input (file, document, archive member) cannot be used.

    ``location`` names the file (and document or line when known); ``reason`` is one sentence a
    person understands, quoting the bad value where that helps.
    """

    def __init__(self, location: str, reason: str) -> None:
        super().__init__(f"{location}: {reason}")
        self.location = location
        self.reason = reason


class LimitExceeded(InputError):
    """An input is larger, deeper or more expanded than the configured limits allow."""


class ConfigError(AdvisorError):
    """The advisor configuration (``advisor.yaml``) is invalid."""


class SourceError(AdvisorError):
    """A live source (Jaeger, Backstage, Prometheus over HTTP) could not be read."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason
