"""backstage reader (placeholder until it lands)."""

from __future__ import annotations

from collections.abc import Sequence

from inventory.documents import Document
from inventory.model import Fragment
from inventory.options import DEFAULT_OPTIONS, ReadOptions

READER = "backstage"


def recognise(data: object) -> bool:
    return False


def parse_catalog(documents: Sequence[Document], *, options: ReadOptions = DEFAULT_OPTIONS) -> Fragment:
    return Fragment(documents[0].location if documents else "", READER)
