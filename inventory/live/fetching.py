"""Getting JSON from a live source over HTTP, defensively.

Every request has a connect and a read timeout, and the whole answer must arrive within
``max_seconds``. Connection errors, timeouts, HTTP 429 and 5xx are
retried a bounded number of times with exponential backoff (``Retry-After`` is honoured up to the
backoff cap). 401/403/404 and other 4xx fail at once with a :class:`SourceError` that names the
source, the URL and the status. The body is streamed and cut off at ``max_bytes``. A token is sent
as ``Authorization: Bearer`` and appears nowhere else: not in URLs, messages or evidence (URLs are
shown without user info, see :func:`public_url`), and ``requests`` drops the header on a redirect to
another host.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from inventory.errors import SourceError

if TYPE_CHECKING:
    import requests

# requests (and urllib3 under it) is imported where a request is made, not with this module: an
# analysis of files alone never needs it, and importing it is a twentieth of a small run.


@dataclass(frozen=True)
class HttpSettings:
    """Timeouts, retries and bounds for live sources (all overridable, e.g. from ``advisor.yaml``)."""

    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    retries: int = 3
    backoff: float = 0.5
    max_backoff: float = 8.0
    max_bytes: int = 64 * 1024 * 1024
    #: The longest one answer may take to arrive: the read timeout bounds each wait for data, so a
    #: source that sends a byte now and then would otherwise hold the run for ever.
    max_seconds: float = 300.0
    max_pages: int = 1000
    page_size: int = 500
    verify: bool | str = True
    user_agent: str = "sprawl-advisor"


DEFAULT_HTTP = HttpSettings()


class HttpStatusError(SourceError):
    """The source answered with an HTTP error status (kept in ``status``)."""

    def __init__(self, source: str, reason: str, status: int) -> None:
        super().__init__(source, reason)
        self.status = status


@dataclass(frozen=True)
class Answer:
    """A decoded JSON answer with the ``Link`` header relations (``rel`` -> URL) it came with."""

    data: object
    links: Mapping[str, str] = field(default_factory=dict)
    attempts: int = 1


def public_url(url: str) -> str:
    """``url`` without user name and password, fit for messages and evidence.

    >>> public_url("https://bob:hunter2@jaeger.example:16686/api/services")
    'https://jaeger.example:16686/api/services'
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(an unparsable URL)"
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host + (f":{port}" if port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


def same_origin(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme, pa.hostname, pa.port) == (pb.scheme, pb.hostname, pb.port)


_STATUS_HINTS = {
    401: "the source refused the request without valid credentials: set the token environment variable {env}",
    403: "the token in {env} is not allowed to read this",
    404: "nothing is at this address: check the base URL (and a path prefix such as /jaeger)",
}


def _chunks(response: requests.Response) -> Iterator[bytes]:
    """The body as it arrives: each chunk as soon as any data is there (``iter_content`` waits for a full
    chunk, which a slow source delivers a byte at a time), decompressed, with urllib3's errors as
    requests' own."""
    import requests
    import urllib3

    read1 = getattr(response.raw, "read1", None)
    if read1 is None:
        yield from response.iter_content(chunk_size=64 * 1024)
        return
    while True:
        try:
            chunk = read1(64 * 1024, decode_content=True)
        except urllib3.exceptions.ReadTimeoutError as exc:
            raise requests.Timeout(str(exc)) from None
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise requests.ConnectionError(str(exc)) from None
        if not chunk:
            return
        yield chunk


class HttpClient:
    """One live source's HTTP access: its name for messages, its token and the settings."""

    def __init__(self, source: str, *, token: str | None = None, token_env: str = "",
                 settings: HttpSettings = DEFAULT_HTTP, session: requests.Session | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        import requests

        self.source = source
        self.settings = settings
        self.session = session or requests.Session()
        self._token = token
        self._token_env = token_env
        self._sleep = sleep

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": self.settings.user_agent}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        return headers

    def get_json(self, url: str, params: Mapping[str, str | int | float] | None = None) -> Answer:
        """GET ``url`` and decode its JSON body, retrying what may pass; raises :class:`SourceError`."""
        import requests

        s = self.settings
        shown = public_url(url)
        attempts = s.retries + 1
        reason = ""
        for attempt in range(attempts):
            wait = min(s.backoff * (2 ** attempt), s.max_backoff)
            try:
                response = self.session.get(url, params=params, headers=self._headers(), stream=True,
                                            timeout=(s.connect_timeout, s.read_timeout), verify=s.verify)
            except requests.Timeout:
                reason = f"did not answer within {s.read_timeout:g} s"
            except requests.ConnectionError:
                reason = "could not be reached (connection refused, reset or a DNS failure)"
            except requests.RequestException as exc:
                raise SourceError(self.source, f"{shown}: the request failed ({type(exc).__name__})") from None
            else:
                with response:
                    status = response.status_code
                    if status in (429,) or status >= 500:
                        reason = f"answered HTTP {status}"
                        retry_after = response.headers.get("Retry-After", "")
                        if retry_after.isdecimal() and len(retry_after) < 10:
                            wait = min(float(retry_after), s.max_backoff)
                    elif status >= 400:
                        hint = _STATUS_HINTS.get(status, "the request was rejected").format(
                            env=self._token_env or "for its token")
                        raise HttpStatusError(self.source, f"{shown} answered HTTP {status}: {hint}", status)
                    else:
                        try:
                            body = self._body(response, shown)
                        except (requests.Timeout, requests.ConnectionError):
                            reason = f"stopped sending its answer (no data within {s.read_timeout:g} s)"
                        else:
                            links = {rel: str(link.get("url", "")) for rel, link in response.links.items()}
                            return Answer(self._decode(body, shown), links, attempt + 1)
            if attempt + 1 < attempts:
                self._sleep(wait)
        raise SourceError(self.source, f"{shown} {reason} ({attempts} attempt{'s' if attempts != 1 else ''})")

    def _body(self, response: requests.Response, shown: str) -> bytes:
        limit = self.settings.max_bytes
        declared = response.headers.get("Content-Length", "")
        if declared.isdecimal() and (len(declared) > 18 or int(declared) > limit):
            announced = f"{int(declared):,}" if len(declared) <= 18 else f"{declared[:18]}…"
            raise SourceError(self.source, f"{shown} announced an answer of {announced} bytes, more than the "
                                           f"{limit:,}-byte limit")
        chunks: list[bytes] = []
        size = 0
        deadline = time.monotonic() + self.settings.max_seconds
        for chunk in _chunks(response):
            size += len(chunk)
            if size > limit:
                raise SourceError(self.source, f"{shown} answered more than the {limit:,}-byte limit; "
                                               "narrow the query (a shorter lookback, a filter)")
            chunks.append(chunk)
            if time.monotonic() > deadline:
                raise SourceError(self.source, f"{shown} took more than {self.settings.max_seconds:g} s to send its "
                                               "answer; narrow the query (a shorter lookback, a filter)")
        return b"".join(chunks)

    def _decode(self, body: bytes, shown: str) -> object:
        try:
            return json.loads(body)
        except ValueError as exc:
            detail = str(exc).split(":")[0]
            raise SourceError(self.source, f"{shown} did not answer valid JSON ({detail}); is this the right "
                                           "base URL, behind no login page?") from None
