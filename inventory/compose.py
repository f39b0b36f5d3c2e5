"""docker-compose files (placeholder until the Compose reader lands)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from inventory.documents import Document
from inventory.model import Fragment
from inventory.options import DEFAULT_OPTIONS, ReadOptions

READER = "compose"


def recognise(data: object) -> bool:
    return False


def project_name(folder: str) -> str:
    return folder.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1].split("!")[-1] or "compose"


def parse_dotenv(text: str) -> dict[str, str]:
    return {}


def parse_compose(documents: Sequence[Document], *, env: Mapping[str, str] | None = None, project: str = "compose",
                  options: ReadOptions = DEFAULT_OPTIONS, env_location: str | None = None) -> Fragment:
    return Fragment(documents[0].location if documents else "", READER)
