"""Static analysis of checked-out source repositories: the edges that manifests never show.

The ``source`` reader has two halves, registered here when :mod:`inventory.reading` imports this
package:

* a :class:`~inventory.reading.TextReader` offered every file in which no document reader recognised
  anything. It scans source code, application configuration and build files one file at a time
  (:mod:`.scanning`), in worker processes when there are many, and keeps what it found in the
  fragment's ``extras``. Tests, mocks, fixtures, vendored, generated and minified code, build output,
  documentation and files over :data:`~.filekinds.MAX_SOURCE_BYTES` are skipped with their reason
  (:mod:`.filekinds`); comments and commented-out configuration never count.
* an assembler in :data:`inventory.resolving.ASSEMBLERS` (:mod:`.assembling`) that, once every file
  is read, maps each folder of code to a service (:mod:`.codemap`) and turns the findings into
  entities and claims.
"""

from __future__ import annotations

from collections.abc import Sequence

from inventory.model import Claim, EntityRecord, Fragment, Skipped
from inventory.options import ReadOptions
from inventory.reading import TEXT_READERS, FileContext, TextReader
from inventory.resolving import ASSEMBLERS
from inventory.sourcecode.assembling import assemble_sources
from inventory.sourcecode.filekinds import classify_file
from inventory.sourcecode.scanning import READER, accept, scan_source

__all__ = ["READER", "accept", "assemble", "assemble_sources", "parse", "scan_source"]


def parse(text: str, context: FileContext, options: ReadOptions) -> Fragment:
    """The :class:`TextReader` parse function: scan one file."""
    return scan_source(text, context.location)


def assemble(extras: Sequence[object], records: Sequence[EntityRecord], options: ReadOptions
             ) -> tuple[list[EntityRecord], list[Claim], list[Skipped]]:
    """The assembler: map code to services and make claims of the findings."""
    return assemble_sources(extras, records, options)


def claims(location: str) -> bool:
    """Source code and build files are the scanner's by name: they are never inventory documents."""
    return classify_file(location).kind in ("code", "build")


if not any(r.name == READER for r in TEXT_READERS):
    TEXT_READERS.append(TextReader(READER, accept, parse, claims))
if assemble not in ASSEMBLERS:
    ASSEMBLERS.append(assemble)
