"""The errors callers of the advisor may catch, in one place (the hierarchy lives in
:mod:`inventory.errors`; the advisor adds :class:`~advisor.decisions.DecisionError`)."""

from __future__ import annotations

from advisor.decisions import DecisionError
from inventory.errors import AdvisorError, ConfigError, InputError, LimitExceeded, SourceError

__all__ = ["AdvisorError", "ConfigError", "DecisionError", "InputError", "LimitExceeded", "SourceError"]
