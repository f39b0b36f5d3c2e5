"""Live sources over HTTP: the Jaeger query service, the Backstage catalog API, Prometheus.

The one entry point is :func:`read_live_sources`: it reads every :class:`LiveSource` and returns
the fragments of those that answered (for :func:`inventory.resolving.resolve`, together with the
fragments of files) and one :class:`Skipped` entry per source that failed, naming the source and
why (HTTP status, timeout, bad JSON ...). One failed source never loses the others.

Tokens come from the environment (:data:`TOKEN_ENV`: ``ADVISOR_JAEGER_TOKEN``,
``ADVISOR_BACKSTAGE_TOKEN``, ``ADVISOR_PROMETHEUS_TOKEN``) and are sent as ``Authorization: Bearer``
only; they appear in no location, message or evidence. Timeouts, retries, size and page bounds are
in :class:`~inventory.live.fetching.HttpSettings`.

>>> LiveSource("jaeger", "http://jaeger:16686", lookback_seconds=parse_lookback("7d")).lookback_seconds
604800
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from inventory.errors import ConfigError, SourceError
from inventory.live.fetching import DEFAULT_HTTP, HttpClient, HttpSettings, public_url
from inventory.live.sources import ISTIO_QUERY, fetch_backstage, fetch_jaeger, fetch_prometheus
from inventory.model import Fragment, InputAccount, Skipped
from inventory.options import DEFAULT_OPTIONS, ReadOptions

if TYPE_CHECKING:
    import requests

__all__ = ["DEFAULT_HTTP", "ISTIO_QUERY", "TOKEN_ENV", "HttpSettings", "LiveSource", "live_accounts",
           "parse_lookback", "read_live_sources"]

LiveKind = Literal["jaeger", "backstage", "prometheus"]
LIVE_KINDS: tuple[LiveKind, ...] = ("jaeger", "backstage", "prometheus")

#: The environment variable holding each kind's token.
TOKEN_ENV: Mapping[str, str] = {
    "jaeger": "ADVISOR_JAEGER_TOKEN",
    "backstage": "ADVISOR_BACKSTAGE_TOKEN",
    "prometheus": "ADVISOR_PROMETHEUS_TOKEN",
}
DEFAULT_LOOKBACK = 7 * 86400
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}

_FETCHERS = {"jaeger": fetch_jaeger, "backstage": fetch_backstage, "prometheus": fetch_prometheus}


def parse_lookback(text: str | int) -> int:
    """Seconds in ``7d``, ``24h``, ``90m``, ``3600`` (``s``/``m``/``h``/``d``/``w``); ConfigError otherwise.

    >>> parse_lookback("24h"), parse_lookback(600)
    (86400, 600)
    """
    if isinstance(text, int) and not isinstance(text, bool) and text > 0:
        return text
    match = _DURATION.match(str(text))
    if not match or int(match.group(1)) <= 0:
        raise ConfigError(f"lookback {text!r} is not a duration like 7d, 24h, 90m or 3600 (seconds)")
    return int(match.group(1)) * _UNITS[match.group(2)]


@dataclass(frozen=True)
class LiveSource:
    """One live source: its kind, its base URL, and the time window to read (Jaeger, Prometheus).

    ``url`` is the base: ``http://jaeger:16686`` (with a path prefix if the query service has one),
    ``http://backstage:7007`` (or ``.../api/catalog``), ``http://prometheus:9090``. ``query``
    replaces the default PromQL (:data:`ISTIO_QUERY`) for Prometheus.
    """

    kind: LiveKind
    url: str
    lookback_seconds: int = DEFAULT_LOOKBACK
    query: str | None = None

    @property
    def location(self) -> str:
        """The base URL without credentials, as shown in the report."""
        return public_url(self.url)

    @property
    def name(self) -> str:
        return f"{self.kind} at {self.location}"


def read_live_sources(specs: Sequence[LiveSource], options: ReadOptions = DEFAULT_OPTIONS, *,
                      settings: HttpSettings = DEFAULT_HTTP, env: Mapping[str, str] | None = None,
                      session: requests.Session | None = None, now: Callable[[], float] = time.time,
                      sleep: Callable[[float], None] = time.sleep) -> tuple[list[Fragment], list[Skipped]]:
    """Read every live source; returns the fragments of those that answered and a Skipped per failure.

    Never raises for a source that fails (bad URL, refused token, timeout, bad JSON): that source is one
    ``Skipped(location=its base URL, reason=...)`` entry and the others are still read.
    """
    environment = os.environ if env is None else env
    fragments: list[Fragment] = []
    skipped: list[Skipped] = []
    own_session = session is None
    if session is None:
        import requests  # only when a live source is read (see inventory.live.fetching)

        http = requests.Session()
    else:
        http = session
    try:
        for spec in specs:
            if spec.kind not in _FETCHERS or not spec.url.startswith(("http://", "https://")):
                skipped.append(Skipped(spec.location, f"{spec.kind} source: {spec.location!r} is not an http(s) URL"
                                       if spec.kind in _FETCHERS else f"unknown live source kind {spec.kind!r}"))
                continue
            env_name = TOKEN_ENV[spec.kind]
            client = HttpClient(spec.name, token=environment.get(env_name) or None, token_env=env_name,
                                settings=settings, session=http, sleep=sleep)
            try:
                fragments.append(_FETCHERS[spec.kind](spec, client, options, now))
            except SourceError as exc:
                skipped.append(Skipped(spec.location, f"the {spec.kind} source could not be read: {exc.reason}"))
            except Exception as exc:  # a bug reading one answer must not lose the other sources or the files
                skipped.append(Skipped(spec.location, f"the {spec.kind} source could not be read "
                                                      f"({type(exc).__name__}); the other inputs were read"))
    finally:
        if own_session:
            http.close()
    return fragments, skipped


def live_accounts(fragments: Sequence[Fragment], skipped: Sequence[Skipped]) -> list[InputAccount]:
    """Accounting lines for the report: one per fragment, and one per failed source (1 read, 0 used)."""
    accounts = [f.account() for f in fragments]
    accounts.extend(InputAccount(s.location, "live", 1, 0, 1) for s in skipped)
    return accounts
