"""The downloads the Export page offers: one :class:`ExportFormat` per file, in one list.

Adding a format is one entry in :data:`FORMATS`: the name of an advisor renderer (looked up in
:mod:`advisor.exports`, then :mod:`advisor.records`, so a renderer the advisor does not have yet
simply leaves its entry out), a file name, a MIME type and a sentence saying what the file contains.
Files are rendered from the report with the recorded decisions applied, cached per input and set of
decisions, and only when they are previewed or downloaded.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from advisor import exports
from advisor.forking import Forked
from advisor.model import Report
from dashboard import state

_records: ModuleType | None
try:  # the MADR, Backstage, GraphML and DOT renderers live here in this version of the advisor
    from advisor import records as _records
except ImportError:  # pragma: no cover - an advisor without them
    _records = None


def _renderer(name: str) -> Callable[[Report], Any] | None:
    found = getattr(exports, name, None)
    if found is None and _records is not None:
        found = getattr(_records, name, None)
    return found if callable(found) else None


def _zip(files: Mapping[str, str]) -> bytes:
    """A deterministic zip (fixed timestamps, sorted names) of text files."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[name].encode("utf-8"))
    return out.getvalue()


@dataclass(frozen=True)
class ExportFormat:
    key: str
    label: str
    short: str
    file_name: str
    mime: str
    description: str
    renderer: str
    language: str = "text"
    bundle: bool = False
    preview_lines: int = 60

    def render(self, report: Report) -> str | bytes:
        fn = _renderer(self.renderer)
        if fn is None:
            raise LookupError(f"this version of the advisor has no {self.renderer}")
        result = fn(report)
        if self.bundle:
            return _zip(result)
        return str(result)

    def deferred(self, loaded: state.Loaded) -> Callable[[], bytes]:
        """The file's bytes, rendered when the button is clicked (or taken from the preview cache)."""

        def produce() -> bytes:
            data = state.rendered(loaded, self.key, self.render)
            return data if isinstance(data, bytes) else data.encode("utf-8")

        return produce


FORMATS: tuple[ExportFormat, ...] = (
    ExportFormat(
        "json", "JSON report (schema_version 1)", "JSON", "sprawl-report.json", "application/json",
        "Everything: services and resources with their metrics and sources, dependencies with evidence "
        "(file:line), coupling, clusters, ranked proposals with signals, impact, plan and decisions, skipped "
        "inputs and unresolved references. The contract other tools read.",
        "render_json", language="json", preview_lines=400,
    ),
    ExportFormat(
        "markdown", "Markdown report", "Markdown", "sprawl-report.md", "text/markdown",
        "A readable report: summary figures, every proposal with the evidence for and against, impact and plan, "
        "the clusters, unresolved references and skipped inputs.",
        "render_markdown", language="markdown",
    ),
    ExportFormat(
        "csv", "CSV of proposals", "CSV", "sprawl-proposals.csv", "text/csv",
        "One row per proposal: members, owners, score, signals, impact figures and decision; cells a spreadsheet "
        "would run as formulas are neutralised.",
        "render_csv", language="text",
    ),
    ExportFormat(
        "madr", "MADR decision records (zip)", "MADR", "sprawl-decisions.zip", "application/zip",
        "One MADR 4 decision record per proposal (status proposed, accepted or rejected from the decisions), with "
        "the evidence as context and the impact as consequences, ready for docs/decisions/.",
        "render_madr_all", language="markdown", bundle=True,
    ),
    ExportFormat(
        "backstage", "Backstage catalog patch", "Backstage", "sprawl-systems.yaml", "application/x-yaml",
        "Per proposal a Backstage System for the merged group and a patch setting spec.system on each member "
        "Component, as multi-document YAML to apply by pull request.",
        "render_backstage_patch", language="yaml",
    ),
    ExportFormat(
        "graphml", "GraphML coupling graph", "GraphML", "sprawl-coupling.graphml", "application/graphml+xml",
        "The coupling graph with weights and reasons, and each service's cluster, proposal, team and namespace, "
        "for Gephi, yEd or networkx.",
        "render_graphml", language="xml",
    ),
    ExportFormat(
        "dot", "Graphviz DOT coupling graph", "DOT", "sprawl-coupling.dot", "text/vnd.graphviz",
        "The coupling graph in DOT: one box per cluster, proposal members filled, edge width by coupling weight.",
        "render_dot", language="text",
    ),
)


def available(fmt: ExportFormat) -> bool:
    return _renderer(fmt.renderer) is not None


def outline(value: Any, *, keep: int = 1) -> Any:
    """JSON data with every list cut to its first ``keep`` entries and a note of how many more there are,
    so a preview shows every section of a large report.

    >>> outline({"a": [1, 2, 3], "b": {"c": [4]}})
    {'a': [1, '… 2 more'], 'b': {'c': [4]}}
    """
    if isinstance(value, dict):
        return {k: outline(v, keep=keep) for k, v in value.items()}
    if isinstance(value, list):
        head = [outline(v, keep=keep) for v in value[:keep]]
        return head + ([f"… {len(value) - keep:,} more"] if len(value) > keep else [])
    return value


def _outline_text(data: str) -> str:
    """The indented JSON of the :func:`outline` of JSON text."""
    return json.dumps(outline(json.loads(data)), indent=2, sort_keys=True, ensure_ascii=False)


#: From this many characters on, the outline of a JSON export is worked out in a forked child
#: (:mod:`advisor.forking`; here when that cannot be done). Decoding the export of 20,000 services,
#: 116 MB, builds millions of objects in about 1.4 s, holding the interpreter's lock all along, which
#: the server needs for every other session meanwhile; the child sends back only the outline.
FORKED_OUTLINE_CHARS = 8 * 1024 * 1024


def json_outline(data: str) -> str:
    """:func:`_outline_text` of ``data``, in a forked child when it is large."""
    if len(data) < FORKED_OUTLINE_CHARS:
        return _outline_text(data)
    return Forked(_outline_text, data).result()


def preview(loaded: state.Loaded, fmt: ExportFormat) -> tuple[str, int, int]:
    """The beginning of the file as text, its size in bytes and its number of lines.

    JSON is previewed as its outline (every section, the first entry of each list); a zip bundle as the
    list of its files followed by the first of them.
    """
    data = state.rendered(loaded, fmt.key, fmt.render)
    if fmt.key == "json" and isinstance(data, str):
        size, total = len(data.encode("utf-8")), data.count("\n")
        shown = state.rendered(loaded, "json-outline", lambda _: json_outline(data))
        return "\n".join(str(shown).splitlines()[: fmt.preview_lines]), size, total
    if isinstance(data, bytes):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            first = archive.read(names[0]).decode("utf-8") if names else ""
        text = "\n".join([f"{len(names)} files:", *(f"  {n}" for n in names[:20]),
                          *(["  …"] if len(names) > 20 else []), "", f"--- {names[0]} ---" if names else "", first])
        size = len(data)
    else:
        text = data
        size = len(data.encode("utf-8"))
    lines = text.splitlines()
    return "\n".join(lines[: fmt.preview_lines]), size, len(lines)
