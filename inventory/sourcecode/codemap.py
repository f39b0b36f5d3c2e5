"""The code map: which service each folder of scanned source belongs to, and by what evidence.

Evidence is tried in this order (a stronger rule wins for the same folder):

1. **compose build context**: a Compose service's ``build`` context, or the folder of its
   ``build.dockerfile`` (``context: .`` with ``dockerfile: src/orders/Dockerfile`` maps ``src/orders``);
2. **catalog-info.yaml**: a Backstage component described in a ``catalog-info.yaml`` in the folder, or
   whose ``backstage.io/source-location`` names a repository with the folder's name;
3. **image name**: a Kubernetes or Compose workload whose image repository is the folder's name
   (``ghcr.io/acme/orders:1.4`` for ``orders/``);
4. **module name**: the module a build file in the folder declares (``pom.xml`` artifactId, ``go.mod``
   module, ``package.json`` name, ``*.csproj``, ``settings.gradle`` ...) is a known service's name;
5. **folder name**: the folder's own name is a known service's name.

Names are compared in a normal form: lower case, ``.``/``_`` read as ``-``, the resolver's
conservative suffix rules (:func:`inventory.resolving.normalise_name`), dashes ignored; so
``Ordering.API`` matches ``ordering-api`` and ``src/UserService`` matches ``user-service``. Rules 3-5
are tried on module folders (a build file or Dockerfile in them) and on the top folders of the
scanned tree (and the folders inside ``src/``, ``services/``, ``apps/`` ... there), never on package
folders deep inside a module: ``orders/src/main/java/shop/payments`` is code of *orders*.

A file belongs to the deepest mapped folder above it, except that a folder mapped by a weaker rule
inside a folder mapped by a build context or catalog file does not take its code away. When one
folder is the build context of several services (``build: .`` for all of them), a file below it is
given to the service that a folder on its path is named after (``cmd/geo/main.go`` -> ``geo``); the
rest is shared and cannot be attributed. With no manifests at all, every folder with a Dockerfile
(or, when there is none, every innermost folder with a build file) is a service of its own.
"""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from inventory.classify import image_repository
from inventory.model import EntityRecord
from inventory.resolving import READER_PRIORITY, normalise_name
from inventory.sourcecode.filekinds import split_location
from inventory.sourcecode.findings import SourceFile

RULES: dict[int, str] = {
    1: "compose build context",
    2: "catalog-info.yaml",
    3: "image name",
    4: "module name",
    5: "folder name",
    6: "code only",
}
_CONTAINERS = frozenset({
    "src", "source", "sources", "services", "service", "apps", "applications", "app", "packages", "cmd",
    "components", "microservices", "modules", "projects", "backend", "backends", "servers", "svc", "svcs",
    "repos", "repositories",
})
_LOCATION_SUFFIX = re.compile(r"(?::\d+(?::\d+)?|#.*)$")


def name_key(name: str) -> str:
    """The normal form names are compared in: ``Ordering.API`` and ``ordering-api`` -> ``orderingapi``.

    >>> [name_key(n) for n in ("UserService", "user-service", "Ordering.API", "ts-order-service")]
    ['user', 'user', 'orderingapi', 'tsorder']
    """
    slug = re.sub(r"[._\s]+", "-", name.strip().lower()).strip("-")
    return normalise_name(slug).replace("-", "")


def loosely_equal(a: str, b: str) -> bool:
    """Keys that name the same thing with a different ending (``reserve``/``reservation``)."""
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    if len(short) >= 4 and long_.startswith(short):
        return True
    common = len(posixpath.commonprefix([a, b]))
    return common >= 5 and common >= len(short) - 1


def directory_of(location: str) -> str:
    prefix, path = split_location(location)
    return prefix + posixpath.normpath(posixpath.dirname(path) or ".")


def folder_of_evidence(location: str) -> str | None:
    """The folder of the file an evidence location cites (``deploy/docker-compose.yml:12``)."""
    if "://" in location or not location:
        return None
    return directory_of(_LOCATION_SUFFIX.sub("", location))


def file_of_evidence(location: str) -> str:
    return _LOCATION_SUFFIX.sub("", location)


def _join(folder: str, relative: str) -> str | None:
    prefix, base = split_location(folder) if "!" in folder else ("", folder)
    if "://" in relative or relative.startswith("git@"):
        return None
    joined = relative if relative.startswith("/") else posixpath.join(base, relative)
    return prefix + posixpath.normpath(joined)


def parent_of(folder: str) -> str | None:
    prefix, path = split_location(folder) if "!" in folder else ("", folder)
    if path in (".", "/", ""):
        return None
    parent = posixpath.dirname(path) or "."
    return prefix + parent


def ancestors(folder: str) -> Iterable[str]:
    """``folder`` and every folder above it, innermost first."""
    current: str | None = folder
    while current is not None:
        yield current
        current = parent_of(current)


def relative_segments(folder: str, directory: str) -> list[str]:
    """The path segments of ``directory`` below ``folder`` (``directory`` is inside ``folder``)."""
    _, base = split_location(folder) if "!" in folder else ("", folder)
    _, path = split_location(directory) if "!" in directory else ("", directory)
    if base == path:
        return []
    if base == ".":
        return [s for s in path.split("/") if s and s != "."]
    rest = path[len(base):].lstrip("/")
    return [s for s in rest.split("/") if s]


def basename(folder: str) -> str:
    _, path = split_location(folder) if "!" in folder else ("", folder)
    return posixpath.basename(path) if path not in (".", "/") else ""


@dataclass(frozen=True)
class FolderMapping:
    """A folder and the service (or, for a shared build context, the services) its code belongs to."""

    folder: str
    services: tuple[str, ...]
    rank: int
    detail: str

    @property
    def rule(self) -> str:
        return RULES[self.rank]


@dataclass
class CodeMap:
    """Folder -> service mappings, and the known service names they were made from."""

    mappings: dict[str, FolderMapping] = field(default_factory=dict)
    known: dict[str, str] = field(default_factory=dict)  # name key -> service name
    code_only: bool = False
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    module_roots: set[str] = field(default_factory=set)

    def locate(self, directory: str) -> FolderMapping | None:
        """The mapping that owns code in ``directory``."""
        found: FolderMapping | None = None
        for folder in ancestors(directory):
            mapping = self.mappings.get(folder)
            if mapping is None:
                continue
            if found is None:
                found = mapping
            elif mapping.rank <= 2 and len(mapping.services) == 1 and found.rank > mapping.rank \
                    and not (len(found.services) == 1 and found.services == mapping.services):
                found = mapping  # an explicit build context is not overridden by a weaker rule inside it
        return found

    def refine(self, mapping: FolderMapping, directory: str) -> str | None:
        """The one service of a shared mapping that a folder on the path to ``directory`` is named after."""
        keys = {name_key(s): s for s in mapping.services}
        segments = relative_segments(mapping.folder, directory)
        for loose in (False, True):
            for segment in segments:
                key = name_key(segment)
                hits = {s for k, s in keys.items() if (loosely_equal(key, k) if loose else key == k)}
                if len(hits) == 1:
                    return hits.pop()
        return None


def _known_services(records: Sequence[EntityRecord]) -> tuple[dict[str, str], dict[str, set[str]]]:
    """``name key -> service name`` (ambiguous keys dropped) and ``image key -> service names``."""
    priority = {r: i for i, r in enumerate(READER_PRIORITY)}
    by_key: dict[str, list[EntityRecord]] = defaultdict(list)
    images: dict[str, set[str]] = defaultdict(set)
    services = [r for r in records if r.role == "service" and r.reader != "source"]
    for r in services:
        for n in {r.name, *r.aliases, *r.addresses}:
            if n:
                by_key[name_key(n)].append(r)
    known: dict[str, str] = {}
    for key, recs in by_key.items():
        best = min(recs, key=lambda r: (name_key(r.name) != key, priority.get(r.reader, len(priority)), r.key))
        spellings = {name_key(r.name) for r in recs}
        if len(spellings) > 1 and key not in spellings:
            continue  # an alias shared by different services
        known[key] = best.name
    for r in services:
        for image in r.images:
            images[name_key(image_repository(image))].add(known.get(name_key(r.name), r.name))
    return known, images


def _candidate_folders(files: Sequence[SourceFile], module_roots: set[str]) -> set[str]:
    """Module folders and the top folders of each scanned tree (and of container folders there)."""
    dirs = {directory_of(f.location) for f in files}
    out = set(module_roots)
    by_tree: dict[tuple[str, bool], list[str]] = defaultdict(list)
    for d in dirs:
        prefix, path = split_location(d) if "!" in d else ("", d)
        by_tree[(prefix, path.startswith("/"))].append(path)
    for (prefix, _absolute), paths in by_tree.items():
        try:
            root = posixpath.commonpath(paths) or "."
        except ValueError:
            continue
        for path in paths:
            rest = relative_segments(root, path)
            if not rest:
                continue
            top = posixpath.normpath(posixpath.join(root, rest[0]))
            out.add(prefix + top)
            depth = 1
            while depth < len(rest) and depth < 3 and rest[depth - 1].lower() in _CONTAINERS:
                out.add(prefix + posixpath.normpath(posixpath.join(root, *rest[: depth + 1])))
                depth += 1
    return out


def build_code_map(files: Sequence[SourceFile], records: Sequence[EntityRecord]) -> CodeMap:
    """Map the folders of ``files`` to services named by ``records`` (or, without any, to themselves)."""
    known, images = _known_services(records)
    codemap = CodeMap(known=known)
    identities: dict[str, list[tuple[str, str]]] = defaultdict(list)
    dockerfiles: set[str] = set()
    for f in files:
        if f.identity:
            folder = directory_of(f.location)
            codemap.module_roots.add(folder)
            for what, name in f.identity:
                if what == "Dockerfile":
                    dockerfiles.add(folder)
                elif name:
                    identities[folder].append((what, name))
    candidates: dict[str, dict[int, dict[str, str]]] = defaultdict(lambda: defaultdict(dict))

    def offer(folder: str | None, rank: int, service: str, detail: str) -> None:
        if folder is not None:
            candidates[folder][rank].setdefault(service, detail)

    for r in records:
        if r.reader == "compose" and r.role == "service":
            context = r.labels.get("compose.build.context")
            compose_dir = folder_of_evidence(r.evidence.location)
            if not context or compose_dir is None:
                continue
            built_from = _join(compose_dir, context)
            dockerfile = r.labels.get("compose.build.dockerfile")
            if built_from is not None and dockerfile:
                built = _join(built_from, dockerfile)
                built_from = directory_of(built) if built else built_from
            name = known.get(name_key(r.name), r.name)
            offer(built_from, 1, name, f"compose service {r.name} in {file_of_evidence(r.evidence.location)} builds "
                                   f"{context}{' with ' + dockerfile if dockerfile else ''}")
        elif r.reader == "backstage" and r.role == "service":
            name = known.get(name_key(r.name), r.name)
            where = file_of_evidence(r.evidence.location)
            if posixpath.basename(where).lower().startswith("catalog-info"):
                offer(folder_of_evidence(r.evidence.location), 2, name, f"{where} describes component {r.name}")

    repo_names: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for r in records:
        if r.reader == "backstage" and r.role == "service" and r.repo:
            repo = _repository_name(r.repo)
            if repo:
                repo_names[name_key(repo)].add((known.get(name_key(r.name), r.name), r.repo))
    for folder in _candidate_folders(files, codemap.module_roots):
        key = name_key(basename(folder)) if basename(folder) else ""
        if not key:
            continue
        for service, repo in sorted(repo_names.get(key, ())):
            offer(folder, 2, service, f"catalog component {service} has its source at {repo}")
        for service in sorted(images.get(key, ())):
            offer(folder, 3, service, f"the image of {service} is named {basename(folder)}")
        for what, module in identities.get(folder, []):
            named = known.get(name_key(module))
            if named:
                offer(folder, 4, named, f"{what} names module {module}")
        if key in known:
            offer(folder, 5, known[key], f"the folder is named {basename(folder)}")

    for folder, by_rank in candidates.items():
        rank = min(by_rank)
        services = by_rank[rank]
        codemap.mappings[folder] = FolderMapping(folder, tuple(sorted(services)), rank,
                                                 "; ".join(services[s] for s in sorted(services)))

    if not known:
        codemap.code_only = True
        _map_code_only(codemap, dockerfiles, identities)
    return codemap


def _repository_name(repo: str) -> str | None:
    """``https://github.com/acme/orders/tree/main/`` -> ``orders``; a monorepo path -> its last folder."""
    path = repo.split("://", 1)[-1].rstrip("/")
    parts = [p for p in path.split("/") if p]
    if len(parts) < 2:
        return None
    for marker in ("tree", "blob", "-"):
        if marker in parts:
            i = parts.index(marker)
            rest = parts[i + 2 :]
            return rest[-1] if rest else parts[i - 1]
    last = parts[-1]
    return last[:-4] if last.endswith(".git") else last


def _map_code_only(codemap: CodeMap, dockerfiles: set[str], identities: dict[str, list[tuple[str, str]]]) -> None:
    """Without manifests: folders with a Dockerfile, else the innermost module folders, are services."""
    if dockerfiles:
        roots = sorted(dockerfiles)
        how = "has a Dockerfile"
    else:
        above = {a for root in codemap.module_roots for a in list(ancestors(root))[1:]}
        roots = sorted(r for r in codemap.module_roots if r not in above)
        how = "has a build file"
    taken: dict[str, str] = {}
    for folder in roots:
        modules = [m for _, m in identities.get(folder, []) if m]
        name = basename(folder) or (modules[0] if modules else "")
        if not name:
            continue
        if name_key(name) in taken:
            name = f"{name}~{folder}"
        taken[name_key(name)] = folder
        aliases = tuple(dict.fromkeys(m for m in modules if name_key(m) != name_key(name)))
        codemap.aliases[name] = aliases
        codemap.known.setdefault(name_key(name), name)
        detail = f"no manifest names any service; the folder {how}"
        if modules:
            detail += f" (module {', '.join(modules)})"
        codemap.mappings[folder] = FolderMapping(folder, (name,), 6, detail)
