"""Kubernetes manifests: workloads, Services, ConfigMaps, Secrets (names only), Ingress, VirtualService.

Accepts what users have: multi-document YAML, ``kind: List`` and typed ``*List`` envelopes,
``kubectl get -o json``, ``helm template`` output (empty documents, ``# Source:`` comments, hooks),
``kustomize build`` output (hash-suffixed ConfigMap names referenced exactly).

Reading happens in two steps. :func:`parse_manifests` (pure, per file) summarises every object it
understands into small records and scans literal strings for addresses. :func:`assemble` (once,
after every file) needs the whole inventory: it folds Pods and ReplicaSets into their controllers,
groups workloads behind the Services that select them into one logical service, resolves
``configMapKeyRef``/``envFrom``/``$(VAR)`` against ConfigMaps from any file, and turns everything
into :class:`~inventory.model.EntityRecord` and :class:`~inventory.model.Claim` values.

Edge inference reads every env value, args and command string (init containers included: a
``wait-for-db`` init container is a strong dependency), ConfigMap values that reach a workload
(also whole ``application.yaml``/``.properties`` files), Ingress and VirtualService backends.
Secret values never leave this module; env values under secret-looking names are masked.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace

from inventory.addresses import addresses_in, find_addresses, find_command_addresses, is_strong, schema_hints
from inventory.classify import classify
from inventory.configtext import iter_config_values
from inventory.documents import Document, LinesAfter, SharedUse, kind_of, list_item_spans
from inventory.frozen import quick_init
from inventory.model import Address, Claim, EntityRecord, EntityRole, Evidence, Fragment, NamedTarget, Skipped
from inventory.options import DEFAULT_OPTIONS, ReadOptions
from inventory.quantities import parse_cpu, parse_memory
from inventory.secrets import MASK, looks_secret, redact_env, redact_text

READER = "kubernetes"

WORKLOAD_KINDS = frozenset(
    {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job", "CronJob", "Pod",
     "DeploymentConfig", "Rollout"}
)
_IGNORED_KINDS = {
    "ServiceAccount": "a ServiceAccount",
    "Role": "RBAC",
    "ClusterRole": "RBAC",
    "RoleBinding": "RBAC",
    "ClusterRoleBinding": "RBAC",
    "Namespace": "a Namespace",
    "PersistentVolume": "storage",
    "PersistentVolumeClaim": "storage",
    "StorageClass": "storage",
    "PodDisruptionBudget": "a PodDisruptionBudget",
    "HorizontalPodAutoscaler": "autoscaling",
    "NetworkPolicy": "a NetworkPolicy",
    "Gateway": "an Istio Gateway",
    "DestinationRule": "an Istio DestinationRule",
    "ServiceEntry": "an Istio ServiceEntry",
    "PeerAuthentication": "mesh security",
    "AuthorizationPolicy": "mesh security",
    "CustomResourceDefinition": "a CRD",
    "MutatingWebhookConfiguration": "a webhook",
    "ValidatingWebhookConfiguration": "a webhook",
    "Endpoints": "Endpoints",
    "EndpointSlice": "Endpoints",
    "LimitRange": "quotas",
    "ResourceQuota": "quotas",
    "PriorityClass": "scheduling",
}
_VAR_REF = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


def recognise(data: object) -> bool:
    """A Kubernetes object or list: ``apiVersion`` and ``kind``, not a Backstage entity."""
    if not isinstance(data, dict):
        return False
    api = data.get("apiVersion")
    kind = data.get("kind")
    return isinstance(api, str) and isinstance(kind, str) and not api.startswith("backstage.io/")


# --------------------------------------------------------------------------------------------
# Records produced by parse_manifests (picklable, small)
# --------------------------------------------------------------------------------------------


@quick_init
@dataclass(frozen=True)
class EnvVar:
    name: str
    value: str | None
    location: str
    config_map: tuple[str, str] | None = None  # (configmap name, key)
    secret: str | None = None
    addresses: tuple[Address, ...] = ()


@quick_init
@dataclass(frozen=True)
class Container:
    name: str
    image: str
    init: bool
    env: tuple[EnvVar, ...]
    env_from: tuple[tuple[str, str, str], ...]  # (kind "configmap"/"secret", name, prefix)
    strings: tuple[tuple[str, str, str], ...]  # (what, text, location) for args and command
    cpu: float | None
    memory: int | None


@quick_init
@dataclass(frozen=True)
class Workload:
    kind: str
    name: str
    namespace: str | None
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    pod_labels: Mapping[str, str]
    replicas: int | None
    #: Without env, envFrom and strings once ``claims`` are worked out (see :func:`_sized`).
    containers: tuple[Container, ...]
    config_volumes: tuple[str, ...]
    owner: tuple[str, str] | None  # (kind, name) of the controlling owner
    location: str
    #: Claims worked out while parsing (source: the workload's key, listed in the record's
    #: ``claim_keys``) when nothing in the workload depends on ConfigMaps; None means
    #: :func:`assemble` works them out (or uses ``config_claims``).
    claims: tuple[Claim, ...] | None = None
    #: ``classify(name, images)`` of the workload on its own (its name, the images of its non-init
    #: containers as :func:`_sizes` lists them), worked out while parsing; :func:`assemble` uses it
    #: for a group of this workload alone that is named after it (the same inputs), else classifies.
    classified: tuple[EntityRole, str | None] | None = None
    #: Claims of a workload that uses ConfigMaps, worked out while parsing with the ConfigMaps of its
    #: own file (source: ``_key(namespace, name)``), with what each ConfigMap name it refers to looked
    #: up to there (``config_refs``). :func:`assemble` uses them only when its own lookup over every
    #: file gives the same ConfigMaps and the group's key is that source; else it works them out.
    config_claims: tuple[Claim, ...] | None = None
    config_refs: tuple[tuple[str, KubeConfigMap], ...] = ()

    @property
    def uses_config_maps(self) -> bool:
        return bool(self.config_volumes) or any(
            c.env_from or any(v.config_map for v in c.env) for c in self.containers)


@quick_init
@dataclass(frozen=True)
class KubeService:
    name: str
    namespace: str | None
    selector: Mapping[str, str]
    type: str
    external_name: str | None
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    location: str


@quick_init
@dataclass(frozen=True)
class ConfigEntry:
    key: str
    value: str
    addresses: tuple[tuple[Address, str, str], ...]  # (address, location, config key)


@quick_init
@dataclass(frozen=True)
class KubeConfigMap:
    name: str
    namespace: str | None
    entries: tuple[ConfigEntry, ...]
    location: str


@quick_init
@dataclass(frozen=True)
class Route:
    """An Ingress or VirtualService sending traffic to Services."""

    kind: str
    name: str
    namespace: str | None
    gateways: tuple[str, ...]
    hosts: tuple[str, ...]
    backends: tuple[tuple[str, int | None, str], ...]  # (host, port, location)
    location: str


@dataclass
class _Summary:
    workloads: list[Workload] = field(default_factory=list)
    services: list[KubeService] = field(default_factory=list)
    config_maps: list[KubeConfigMap] = field(default_factory=list)
    secrets: list[tuple[str, str | None]] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Parsing one file
# --------------------------------------------------------------------------------------------


def _str_map(value: object) -> dict[str, str]:
    """The single values of a mapping, as text (labels, annotations, selectors); a null, list or
    mapping value is left out."""
    if not isinstance(value, dict):
        return {}
    out: dict[str, str] = {}
    for k, v in value.items():
        if type(v) is str:  # the usual case, without converting anything
            out[k if type(k) is str else str(k)] = v
        elif v is not None and not isinstance(v, dict | list):
            out[str(k)] = str(v)
    return out


#: ``isinstance(x, _NESTED)``: a list or mapping (a union built once, not at every test).
_NESTED = dict | list


def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list:
    return value if isinstance(value, list) else []


def _text(value: object) -> str | None:
    """A name or other text: a string, or a number as its text (not a boolean, list or mapping)."""
    if type(value) is str:  # the usual case first
        return value
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str | int | float):
        return str(value)
    return None


def _name_needles(name: str) -> tuple[str, ...]:
    """How a line naming ``name`` may read, in YAML (plain or quoted) and JSON, the likeliest first."""
    return f"name: {name}\n", f"name: {name}", f'"name": "{name}"', f"name: '{name}'", f'name: "{name}"'


def _iter_objects(doc: Document) -> Iterator[tuple[Document, dict, str]]:
    """The objects of a document, each with the document part that holds it and its location.

    ``List`` envelopes are flattened; each item gets its own slice of the text (found in order,
    from where the previous item's name was found), so that looking up lines inside one item never
    searches the whole dump: a ``kubectl get -o yaml`` of thousands of objects stays linear.
    """
    data = doc.data
    if not isinstance(data, dict):
        return
    kind = data.get("kind")
    if not (isinstance(kind, str) and kind.endswith("List") and isinstance(data.get("items"), list)):
        yield doc, data, f"{doc.location}:{doc.line}"
        return
    text = doc.text
    spans = list(doc.spans) if doc.spans is not None else list_item_spans(text)
    if spans is not None and len(spans) == len(data["items"]):
        yield from _spanned_items(doc, data["items"], spans)
        return
    items = [item for item in data["items"] if isinstance(item, dict)]
    starts: list[int] = []
    names: list[int] = []
    cursor = 0
    for item in items:
        name = _dict(item.get("metadata")).get("name")
        kind_of = item.get("kind")
        pos = -1
        if isinstance(name, str):
            # the item's own ``kind:`` line comes before its metadata: anchor there, then its name
            head = -1
            if isinstance(kind_of, str):
                for needle in (f"kind: {kind_of}\n", f"kind: {kind_of}\r", f'"kind": "{kind_of}"'):
                    head = text.find(needle, cursor)
                    if head >= 0:
                        break
            for needle in _name_needles(name):
                pos = text.find(needle, max(head, cursor))
                if pos >= 0:
                    break
            if pos >= 0:
                cursor = pos + 1
                names.append(pos)
                pos = head if head >= 0 else pos
            else:
                names.append(-1)
        else:
            names.append(-1)
        starts.append(pos)
    ends = [len(text)] * len(starts)
    following = len(text)
    for i in range(len(starts) - 1, -1, -1):
        ends[i] = following
        if starts[i] >= 0:
            following = starts[i]
    line = doc.line
    counted = 0
    for i, (item, start) in enumerate(zip(items, starts, strict=True)):
        if start < 0:
            yield Document(doc.location, doc.index, doc.line, item, "", doc.budget), item, f"{doc.where} items[{i}]"
            continue
        end = ends[i]
        line += text.count("\n", counted, start)
        counted = start
        part = Document(doc.location, doc.index, line, item, text[start:end], doc.budget)
        yield part, item, f"{doc.location}:{line + text.count(chr(10), start, names[i])}"


def _spanned_items(doc: Document, items: list[object], spans: list[tuple[int, int]]
                   ) -> Iterator[tuple[Document, dict, str]]:
    """The objects of a List whose items' spans of text are known (:func:`list_item_spans`): each
    item's own text, and its location at its ``metadata.name`` line as kubectl writes it, in YAML
    or JSON (else the first line naming it, else the item's first line).

    Searching the whole dump from one item to the next instead (as :func:`_iter_objects` must for
    other layouts) can land in the item before: a HorizontalPodAutoscaler's ``scaleTargetRef`` or a
    ReplicaSet's ``ownerReferences`` name the Deployment that follows them."""
    text = doc.text
    line = doc.line
    counted = 0
    for item, (start, end) in zip(items, spans, strict=True):
        if not isinstance(item, dict):
            continue
        line += text.count("\n", counted, start)
        counted = start
        name = _dict(item.get("metadata")).get("name")
        pos = -1
        if isinstance(name, str):
            for needle in (f"\n    name: {name}\n", f'\n                "name": "{name}"'):  # as kubectl indents it
                pos = text.find(needle, start, end)
                if pos >= 0:
                    pos += 1
                    break
            else:
                for needle in _name_needles(name):
                    pos = text.find(needle, start, end)
                    if pos >= 0:
                        break
        at = line + text.count("\n", start, pos) if pos >= 0 else line
        yield Document(doc.location, doc.index, line, item, text[start:end], doc.budget), item, f"{doc.location}:{at}"


#: ``kubectl apply`` keeps a JSON copy of the whole object in this annotation, and ``kubectl get -o
#: yaml`` dumps carry it. Annotations are read only for the owner and runtime keys (and for the Helm
#: hook, which is checked before a summary is built), so unless it is configured as an owner key it
#: can never change a result: it is dropped from the Workload and Service summaries, which keeps
#: what the workers send back (and cache) small.
_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def _annotations(meta: dict, drop_last_applied: bool) -> dict[str, str]:
    """The annotations of an object's ``metadata``, without ``_LAST_APPLIED`` when asked."""
    annotations = _str_map(meta.get("annotations"))
    if drop_last_applied:
        annotations.pop(_LAST_APPLIED, None)
    return annotations


def _container(doc: Document, raw: dict, init: bool) -> Container:
    name = _text(raw.get("name")) or "?"
    image = _text(raw.get("image")) or ""
    env: list[EnvVar] = []
    raw_env = raw.get("env")
    if isinstance(raw_env, list):
        # found after the container's name (an empty anchor is skipped: the name is unknown)
        line_of = doc.lines_after(f"name: {name}" if name != "?" else "")
        quoted: LinesAfter | None = None  # JSON (``kubectl get -o json``) quotes names
        for item in raw_env:
            if not isinstance(item, dict):
                continue
            ename = _text(item.get("name"))
            if not ename:
                continue
            line = line_of(ename)
            if line is None:
                if quoted is None:
                    quoted = doc.lines_after(f'"{name}"')
                line = quoted(f'"{ename}"')
            loc = f"{doc.location}:{line}" if line is not None else doc.where
            value_from = item.get("valueFrom")
            if isinstance(value_from, dict) and value_from:
                cm = value_from.get("configMapKeyRef")
                if isinstance(cm, dict) and cm:
                    env.append(EnvVar(ename, None, loc, config_map=(str(cm.get("name")), str(cm.get("key")))))
                    continue
                sk = value_from.get("secretKeyRef")
                if isinstance(sk, dict) and sk:
                    env.append(EnvVar(ename, None, loc, secret=_text(sk.get("name"))))
                    continue
            value = _text(item.get("value"))
            if value is not None:
                addrs = addresses_in(value, ename) if "$(" not in value else ()
                env.append(EnvVar(ename, value, loc, addresses=addrs))
    env_from: list[tuple[str, str, str]] = []
    raw_env_from = raw.get("envFrom")
    for item in raw_env_from if isinstance(raw_env_from, list) else ():
        if not isinstance(item, dict):
            continue
        prefix = _text(item.get("prefix")) or ""
        ref = item.get("configMapRef")
        if isinstance(ref, dict) and _text(ref.get("name")):
            env_from.append(("configmap", str(ref["name"]), prefix))
            continue
        ref = item.get("secretRef")
        if isinstance(ref, dict) and _text(ref.get("name")):
            env_from.append(("secret", str(ref["name"]), prefix))
    strings: list[tuple[str, str, str]] = []
    for what in ("command", "args"):
        value = raw.get(what)
        if value is None:
            continue
        parts = [_text(v) for v in value] if isinstance(value, list) else [_text(value)]
        joined = " ".join(p for p in parts if p)
        if joined:
            first = next((p for p in parts if p), "")
            line = doc.line_of(f"name: {name}", first[:40])
            if line is None:
                line = doc.line_of(f'"{name}"', f'"{first[:40]}')
            strings.append((what, joined, f"{doc.location}:{line}" if line is not None else doc.where))
    cpu: float | None = None
    memory: int | None = None
    resources = raw.get("resources")
    if isinstance(resources, dict) and resources:
        requests = _dict(resources.get("requests"))
        limits = _dict(resources.get("limits"))
        cpu = parse_cpu(requests.get("cpu", limits.get("cpu")))
        memory = parse_memory(requests.get("memory", limits.get("memory")))
    return Container(name, image, init, tuple(env), tuple(env_from), tuple(strings), cpu, memory)


def _workload(doc: Document, obj: dict, location: str, drop_last_applied: bool) -> Workload:
    meta = _dict(obj.get("metadata"))
    kind = str(obj["kind"])
    name = str(meta.get("name"))
    spec = _dict(obj.get("spec"))
    labels = _str_map(meta.get("labels"))
    # the pod spec and its labels: the object's own for a Pod, else its (job's) pod template's
    if kind == "Pod":
        pod = spec
        pod_labels = dict(labels)
    else:
        template = _dict((_dict(_dict(spec.get("jobTemplate")).get("spec")) if kind == "CronJob" else spec)
                         .get("template"))
        pod = _dict(template.get("spec"))
        template_meta = template.get("metadata")
        pod_labels = _str_map(template_meta.get("labels")) if isinstance(template_meta, dict) else {}
    containers: list[Container] = []
    for init, key in ((False, "containers"), (True, "initContainers")):
        raws = pod.get(key)
        for raw in raws if isinstance(raws, list) else ():
            if isinstance(raw, dict):
                containers.append(_container(doc, raw, init))
    volumes: list[str] = []
    raw_volumes = pod.get("volumes")
    for vol in raw_volumes if isinstance(raw_volumes, list) else ():
        if not isinstance(vol, dict):
            continue
        cm = vol.get("configMap")
        if isinstance(cm, dict) and _text(cm.get("name")):
            volumes.append(str(cm["name"]))
        projected = vol.get("projected")
        for src in _list(projected.get("sources")) if isinstance(projected, dict) else ():
            pcm = _dict(_dict(src).get("configMap"))
            if _text(pcm.get("name")):
                volumes.append(str(pcm["name"]))
    replicas: int | None
    if kind == "DaemonSet":
        replicas = None
    elif kind in ("Job", "CronJob"):
        replicas = 0
    elif kind == "Pod":
        replicas = 1
    else:
        raw_replicas = spec.get("replicas", 1)
        replicas = raw_replicas if isinstance(raw_replicas, int) and not isinstance(raw_replicas, bool) else 1
    owner = None
    for ref in _list(meta.get("ownerReferences")):
        if isinstance(ref, dict) and ref.get("controller") and _text(ref.get("name")):
            owner = (str(ref.get("kind")), str(ref.get("name")))
    namespace = _text(meta.get("namespace"))
    annotations = _annotations(meta, drop_last_applied)
    if owner is not None:
        # folded into its controller or dropped by :func:`assemble`: nothing to work out here
        return Workload(kind, name, namespace, labels, annotations, pod_labels, replicas, tuple(containers),
                        tuple(volumes), owner, location)
    # the images as _sizes lists them for a group of this workload alone
    classified = classify(name, tuple(c.image for c in containers if not c.init and c.image))
    workload = Workload(kind, name, namespace, labels, annotations, pod_labels, replicas, tuple(containers),
                        tuple(volumes), owner, location, None, classified)
    if not workload.uses_config_maps:
        # everything it references is in its own spec: work the claims out here, in the worker
        # (built again with them: cheaper than dataclasses.replace). Its containers then keep only
        # what :func:`_sizes` reads: their env and strings were the largest part of what a worker
        # sent back and cached (22 of 72 MB at 20,000 services), and nothing reads them again.
        claims = tuple(_workload_claims(_workload_key(workload), workload, {}))
        workload = Workload(kind, name, namespace, labels, annotations, pod_labels, replicas,
                            tuple(map(_sized, workload.containers)), workload.config_volumes, owner, location,
                            claims, classified)
    return workload


def _sized(c: Container) -> Container:
    """``c`` with only what :func:`_sizes` reads (no env, envFrom, args or command)."""
    if not (c.env or c.env_from or c.strings):
        return c
    return Container(c.name, c.image, c.init, (), (), (), c.cpu, c.memory)


def _config_map_names(w: Workload) -> list[str]:
    """The ConfigMap names :func:`_workload_claims` looks up for ``w`` (each once)."""
    names: dict[str, None] = {}
    for c in w.containers:
        for kind, name, _ in c.env_from:
            if kind == "configmap":
                names[name] = None
        for var in c.env:
            if var.config_map:
                names[var.config_map[0]] = None
    for name in w.config_volumes:
        names[name] = None
    return list(names)


def _config_map_index(config_maps: Iterable[KubeConfigMap]) -> dict[tuple[str | None, str], KubeConfigMap]:
    """ConfigMaps by (namespace, name) (the last wins) and by (None, name) (a ConfigMap without a
    namespace, the last such; else the first of that name), as :func:`_workload_claims` looks them up."""
    index: dict[tuple[str | None, str], KubeConfigMap] = {}
    for cm in config_maps:
        index[(cm.namespace, cm.name)] = cm
        index.setdefault((None, cm.name), cm)
    return index


def _lookup_config_map(index: Mapping[tuple[str | None, str], KubeConfigMap], namespace: str | None, name: str
                       ) -> KubeConfigMap | None:
    """What :func:`_workload_claims` finds for ``name`` referred to from ``namespace``."""
    return index.get((namespace, name)) or index.get((None, name))


def _add_config_claims(summary: _Summary) -> None:
    """Work out, here in the worker, the claims of the workloads of one file whose every ConfigMap
    reference finds a ConfigMap of the same file (see ``Workload.config_claims``)."""
    index = _config_map_index(summary.config_maps)
    workloads = summary.workloads
    for i, w in enumerate(workloads):
        if w.claims is not None or w.owner is not None:
            continue  # claims already worked out, or folded into a controller by assemble
        refs: list[tuple[str, KubeConfigMap]] = []
        for name in _config_map_names(w):
            cm = _lookup_config_map(index, w.namespace, name)
            if cm is None:
                break  # perhaps in another file: assemble works the claims out
            refs.append((name, cm))
        else:
            claims = tuple(_workload_claims(_key(w.namespace, w.name), w, index))
            workloads[i] = replace(w, config_claims=claims, config_refs=tuple(refs))


def _config_map(doc: Document, obj: dict, location: str) -> KubeConfigMap:
    meta = _dict(obj.get("metadata"))
    name = str(meta.get("name"))
    entries: list[ConfigEntry] = []
    line_of = doc.lines_after("")  # doc.line_of, counting lines on from the key before
    for key, raw in _dict(obj.get("data")).items():
        value = _text(raw)
        if value is None:
            continue
        key = str(key)
        found: list[tuple[Address, str, str]] = []
        base_line = line_of(f"{key}:") or line_of(key)
        if "\n" in value.strip():
            for ckey, cvalue, offset in iter_config_values(value):
                if looks_secret(ckey or ""):
                    continue
                for addr in find_addresses(cvalue, key=ckey):
                    line = (base_line + 1 + offset) if base_line else None
                    loc = f"{doc.location}:{line}" if line else location
                    found.append((addr, loc, f"{key}: {ckey}" if ckey else key))
        elif not looks_secret(key):
            for addr in find_addresses(value, key=key):
                loc = f"{doc.location}:{base_line}" if base_line else location
                found.append((addr, loc, key))
        entries.append(ConfigEntry(key, value, tuple(found)))
    return KubeConfigMap(name, _text(meta.get("namespace")), tuple(entries), location)


def _service(obj: dict, location: str, drop_last_applied: bool) -> KubeService:
    meta = _dict(obj.get("metadata"))
    spec = _dict(obj.get("spec"))
    return KubeService(
        name=str(meta.get("name")),
        namespace=_text(meta.get("namespace")),
        selector=_str_map(spec.get("selector")),
        type=_text(spec.get("type")) or "ClusterIP",
        external_name=_text(spec.get("externalName")),
        labels=_str_map(meta.get("labels")),
        annotations=_annotations(meta, drop_last_applied),
        location=location,
    )


def _ingress(doc: Document, obj: dict, location: str) -> Route:
    meta = _dict(obj.get("metadata"))
    spec = _dict(obj.get("spec"))
    backends: list[tuple[str, int | None, str]] = []

    def add(backend: dict) -> None:
        svc = _dict(backend.get("service"))
        name = _text(svc.get("name")) or _text(backend.get("serviceName"))
        if not name:
            return
        port_raw = _dict(svc.get("port")).get("number", backend.get("servicePort"))
        port = port_raw if isinstance(port_raw, int) and not isinstance(port_raw, bool) else None
        backends.append((name, port, doc.at(name)))

    for key in ("defaultBackend", "backend"):
        if isinstance(spec.get(key), dict):
            add(spec[key])
    for rule in _list(spec.get("rules")):
        for path in _list(_dict(_dict(rule).get("http")).get("paths")):
            if isinstance(path, dict) and isinstance(path.get("backend"), dict):
                add(path["backend"])
    return Route("Ingress", str(meta.get("name")), _text(meta.get("namespace")), (), (), tuple(backends), location)


def _virtual_service(doc: Document, obj: dict, location: str) -> Route:
    meta = _dict(obj.get("metadata"))
    spec = _dict(obj.get("spec"))
    backends: list[tuple[str, int | None, str]] = []
    for section in ("http", "tcp", "tls"):
        for rule in _list(spec.get(section)):
            for route in _list(_dict(rule).get("route")):
                dest = _dict(_dict(route).get("destination"))
                host = _text(dest.get("host"))
                if host:
                    port_raw = _dict(dest.get("port")).get("number")
                    port = port_raw if isinstance(port_raw, int) and not isinstance(port_raw, bool) else None
                    backends.append((host, port, doc.at("destination", host)))
    gateways = tuple(str(g) for g in _list(spec.get("gateways")) if _text(g))
    hosts = tuple(str(h) for h in _list(spec.get("hosts")) if _text(h))
    return Route("VirtualService", str(meta.get("name")), _text(meta.get("namespace")), gateways, hosts,
                 tuple(backends), location)


# --------------------------------------------------------------------------------------------
# Fields of the wrong type
# --------------------------------------------------------------------------------------------


def _one_line(text: str, limit: int = 200) -> str:
    """Text from the input (a name, a kind, a label key) fit for a one-line reason."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


#: The path to a field, one part per key (a list entry as ``[name]`` or ``[index]``).
_Path = tuple[str, ...]
_METADATA: _Path = ("metadata",)
_SPEC: _Path = ("spec",)
_JOB_TEMPLATE: _Path = ("spec", "jobTemplate")
_JOB_SPEC: _Path = ("spec", "jobTemplate", "spec")


class _Shape:
    """Finds the fields of one object that the reader touches but that have the wrong type.

    Reading stays lenient (a wrong field is ignored and the object is still read); each such
    field is reported here as its own skipped entry, so nobody wonders why a label or an env var
    was not seen.

    Each check takes the field's parent mapping, the path to that parent and the field's key: the
    field's path (and where it is in the text) is worked out only when there is a problem to report.
    """

    __slots__ = ("_title", "doc", "problems")

    def __init__(self, doc: Document, title: str) -> None:
        self.doc = doc
        self._title = title
        self.problems: list[Skipped] = []

    @property
    def title(self) -> str:
        return _one_line(self._title)

    def report(self, path: Sequence[str], value: object, wanted: str) -> None:
        needles = [p.strip("[]") for p in path if not (p.startswith("[") and p.strip("[]").isdecimal())]
        where = self.doc.at(*needles) if self.doc.text else self.doc.where
        shown = _one_line(".".join(path).replace(".[", "["))
        title = self.title
        self.problems.append(Skipped(f"{where} ({title})",
                                     f"{title}: {shown} is {kind_of(value)}, not {wanted}; it was ignored"))

    def mapping(self, parent: dict, at: _Path, key: str, wanted: str = "a mapping") -> dict:
        """``parent[key]`` when it is a mapping, else ``{}`` (reported unless it is missing)."""
        value = parent.get(key)
        if isinstance(value, dict):
            return value
        if value is not None:
            self.report((*at, key), value, wanted)
        return {}

    def items(self, parent: dict, at: _Path, key: str, wanted: str) -> list[tuple[int, dict]]:
        """The mapping entries of a list field, each with its index; other entries are reported.

        ``wanted`` names one entry (``container``): the list is "a list of container mappings".
        """
        value = parent.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.report((*at, key), value, f"a list of {wanted} mappings")
            return []
        out: list[tuple[int, dict]] = []
        for i, item in enumerate(value):
            if isinstance(item, dict):
                out.append((i, item))
            else:
                self.report((*at, key, f"[{i}]"), item, f"a {wanted} mapping")
        return out

    def text(self, parent: dict, at: _Path, key: str) -> None:
        """A name or other text (a number is read as its text; a list, mapping or boolean is not)."""
        value = parent.get(key)
        if value is None or isinstance(value, str) or (isinstance(value, int | float) and not isinstance(value, bool)):
            return
        self.report((*at, key), value, "a string")

    def quantity(self, parent: dict, at: _Path, key: str, parse: Callable[[object], object], wanted: str) -> None:
        value = parent.get(key)
        if value is not None and parse(value) is None:
            path = (*at, key)
            shown = redact_text(repr(value)[:40]) if isinstance(value, str) else kind_of(value)
            title = self.title
            self.problems.append(Skipped(
                f"{self.doc.at(*[p.strip('[]') for p in path if not p.strip('[]').isdecimal()])} ({title})",
                f"{title}: {_one_line('.'.join(path).replace('.[', '['))} is {shown}, not {wanted}; "
                "it was ignored"))

    def labels(self, parent: dict, at: _Path, key: str) -> None:
        for name, item in self.mapping(parent, at, key, "a mapping of names to values").items():
            if isinstance(item, _NESTED):
                self.report((*at, key, str(name)), item, "a single value")


def _shape_problems(doc: Document, obj: dict, kind: str, name: str) -> list[Skipped]:
    """The wrong-typed fields of an object the reader reads (see :class:`_Shape`)."""
    shape = _Shape(doc, f"{kind}/{name}")
    meta = _dict(obj.get("metadata"))
    shape.labels(meta, _METADATA, "labels")
    shape.labels(meta, _METADATA, "annotations")
    shape.text(meta, _METADATA, "namespace")
    spec = shape.mapping(obj, (), "spec")
    if kind in WORKLOAD_KINDS:
        if kind not in ("Pod", "DaemonSet", "Job", "CronJob"):
            replicas = spec.get("replicas")
            if replicas is not None and (isinstance(replicas, bool) or not isinstance(replicas, int)):
                shape.report(("spec", "replicas"), replicas, "a whole number")
        if kind == "Pod":
            pod, pod_path = spec, _SPEC
        else:
            base, path = spec, _SPEC
            if kind == "CronJob":
                base, path = shape.mapping(shape.mapping(spec, _SPEC, "jobTemplate"), _JOB_TEMPLATE, "spec"), _JOB_SPEC
            template = shape.mapping(base, path, "template")
            template_path = (*path, "template")
            shape.labels(shape.mapping(template, template_path, "metadata"), (*template_path, "metadata"), "labels")
            pod, pod_path = shape.mapping(template, template_path, "spec"), (*template_path, "spec")
        for key in ("containers", "initContainers"):
            for i, container in shape.items(pod, pod_path, key, "container"):
                cname = container.get("name")
                _container_shape(shape, (*pod_path, key, f"[{cname}]" if isinstance(cname, str) else f"[{i}]"),
                                 container)
        shape.items(pod, pod_path, "volumes", "volume")
    elif kind == "Service":
        shape.labels(spec, _SPEC, "selector")
        shape.text(spec, _SPEC, "type")
        shape.text(spec, _SPEC, "externalName")
    elif kind == "ConfigMap":
        for key, value in shape.mapping(obj, (), "data", "a mapping of keys to text").items():
            if isinstance(value, dict | list):
                shape.report(("data", str(key)), value, "text")
    elif kind == "Ingress":
        shape.items(spec, _SPEC, "rules", "rule")
        shape.mapping(spec, _SPEC, "defaultBackend")
    elif kind == "VirtualService":
        for key in ("http", "tcp", "tls"):
            shape.items(spec, _SPEC, key, "route")
        for key in ("gateways", "hosts"):
            value = spec.get(key)
            if value is not None and not isinstance(value, list):
                shape.report(("spec", key), value, "a list of names")
    return shape.problems


def _container_shape(shape: _Shape, here: _Path, container: dict) -> None:
    """The checks of one container; ``here`` is its path (ending in ``[name]``, else ``[index]``)."""
    shape.text(container, here, "name")
    shape.text(container, here, "image")
    env_path = (*here, "env")
    for i, item in shape.items(container, here, "env", "variable"):
        ename = item.get("name")
        value = item.get("value")
        value_from = item.get("valueFrom")
        if isinstance(ename, str) and not isinstance(value, _NESTED) and (
                value_from is None or isinstance(value_from, dict)):
            continue  # the usual case: nothing to report
        at = (*env_path, f"[{ename}]" if isinstance(ename, str) else f"[{i}]")
        if not isinstance(ename, str):
            shape.report((*at, "name"), ename, "a variable name")
        if isinstance(value, dict | list):
            shape.report((*at, "value"), value, "a string")
        shape.mapping(item, at, "valueFrom")
    shape.items(container, here, "envFrom", "envFrom")
    for key in ("command", "args"):
        value = container.get(key)
        if isinstance(value, dict):
            shape.report((*here, key), value, "a list of strings")
    resources = shape.mapping(container, here, "resources")
    if resources:
        resources_path = (*here, "resources")
        for key in ("requests", "limits"):
            amounts = shape.mapping(resources, resources_path, key)
            if amounts:
                at = (*resources_path, key)
                shape.quantity(amounts, at, "cpu", parse_cpu, "a CPU quantity (such as 500m)")
                shape.quantity(amounts, at, "memory", parse_memory, "a memory quantity (such as 512Mi)")


def parse_manifests(documents: Iterable[Document], *, options: ReadOptions = DEFAULT_OPTIONS) -> Fragment:
    """Summarise the Kubernetes objects in ``documents`` (all from one file).

    The returned fragment carries the summaries in ``extras``; :func:`assemble` turns the
    summaries of every file into entities and claims. Fields of an object that have the wrong
    type are ignored and each is reported as a skipped entry of its own (``documents`` grows by
    one per entry, so that ``documents == used + len(skipped)`` holds).
    """
    fragment: Fragment | None = None
    summary = _Summary()
    drop_last_applied = _LAST_APPLIED not in options.owner_keys
    for doc in documents:
        if fragment is None:
            fragment = Fragment(doc.location, READER)
        fragment.documents += 1
        used_any = False
        reasons: list[str] = []
        for part, obj, location in _iter_objects(doc):
            reason = _summarise(part, obj, location, summary, drop_last_applied)
            if reason is None:
                used_any = True
                problems = _shape_problems(part, obj, str(obj["kind"]), str(obj["metadata"]["name"]))
                fragment.documents += len(problems)
                fragment.skipped.extend(problems)
            else:
                reasons.append(reason)
        if doc.share:  # a part of a large List: used or not, whoever puts the parts together says
            fragment.extras.append(SharedUse(doc.index, used_any))
        elif used_any:
            fragment.used += 1
        elif isinstance(doc.data, dict) and str(doc.data.get("kind", "")).endswith("List"):
            fragment.skipped.append(
                Skipped(f"{doc.where} (line {doc.line})", "the list holds nothing this advisor reads"))
        else:
            reason = _one_line(reasons[0]) if reasons else "empty list"  # kinds and names are any text
            fragment.skipped.append(Skipped(f"{doc.where} (line {doc.line})", reason))
    if fragment is None:
        return Fragment("", READER)
    _add_config_claims(summary)
    fragment.extras.append(summary)
    return fragment


def _summarise(doc: Document, obj: dict, location: str, summary: _Summary, drop_last_applied: bool) -> str | None:
    """Add one object to the summary; return a skip reason when it carries nothing we read.

    ``drop_last_applied``: leave ``_LAST_APPLIED`` out of the annotations (it is no owner key).
    """
    kind = obj.get("kind")
    meta = obj.get("metadata")
    if not isinstance(kind, str) or not isinstance(meta, dict) or not _text(meta.get("name")):
        return "a Kubernetes object needs a kind and metadata.name"
    annotations = meta.get("annotations")
    hook = annotations.get("helm.sh/hook") if isinstance(annotations, dict) else None
    if hook is not None and not isinstance(hook, dict | list):  # as _str_map would read it
        return f"Helm hook ({hook!s}) {kind}/{meta['name']}: not part of the running system"
    if kind in WORKLOAD_KINDS:
        summary.workloads.append(_workload(doc, obj, location, drop_last_applied))
        return None
    if kind == "Service":
        summary.services.append(_service(obj, location, drop_last_applied))
        return None
    if kind == "ConfigMap":
        summary.config_maps.append(_config_map(doc, obj, location))
        return None
    if kind == "Secret":
        summary.secrets.append((str(meta["name"]), _text(meta.get("namespace"))))
        return None
    if kind == "Ingress":
        summary.routes.append(_ingress(doc, obj, location))
        return None
    if kind == "VirtualService":
        summary.routes.append(_virtual_service(doc, obj, location))
        return None
    what = _IGNORED_KINDS.get(kind)
    if what:
        return f"{kind}/{meta['name']} is {what} and carries no service or dependency information"
    return f"{kind}/{meta['name']}: kind {kind} is not read by the advisor"


# --------------------------------------------------------------------------------------------
# Assembling the whole inventory
# --------------------------------------------------------------------------------------------

_APP_LABELS = ("app.kubernetes.io/name", "app", "k8s-app", "name", "app.kubernetes.io/component")
_HASH_SUFFIX = re.compile(r"-[a-z0-9]{5,10}$")


def _app_label(labels: Mapping[str, str]) -> str | None:
    for key in _APP_LABELS:
        if labels.get(key):
            return labels[key]
    return None


@dataclass
class _Group:
    """Workloads behind the same Services: one logical service."""

    workloads: list[Workload]
    services: list[KubeService]

    @property
    def namespace(self) -> str | None:
        for w in self.workloads:
            if w.namespace:
                return w.namespace
        for s in self.services:
            if s.namespace:
                return s.namespace
        return None


def _fold_controlled(workloads: list[Workload]) -> list[Workload]:
    """Drop Pods/ReplicaSets/Jobs whose controller is present; fold orphans by controller name."""
    if all(w.owner is None for w in workloads):
        return list(workloads)  # nothing is controlled by anything
    present = {(w.kind, w.name, w.namespace) for w in workloads}
    names = {(w.name, w.namespace) for w in workloads}
    kept: list[Workload] = []
    seen_controllers: set[tuple[str, str, str | None]] = set()
    for w in workloads:
        if w.owner is None:
            kept.append(w)
            continue
        okind, oname = w.owner
        if (okind, oname, w.namespace) in present:
            continue
        if okind == "ReplicaSet":
            pod_hash = w.pod_labels.get("pod-template-hash") or w.labels.get("pod-template-hash")
            deploy = oname[: -len(pod_hash) - 1] if pod_hash and oname.endswith("-" + pod_hash) else None
            if deploy is None:
                deploy = _HASH_SUFFIX.sub("", oname)
            if (deploy, w.namespace) in names:
                continue
            oname, okind = deploy, "Deployment"
        key = (okind, oname, w.namespace)
        if key in seen_controllers:
            continue
        seen_controllers.add(key)
        kept.append(Workload(okind, oname, w.namespace, w.labels, w.annotations, w.pod_labels, w.replicas,
                             w.containers, w.config_volumes, None, w.location))
    return kept


def _group_workloads(workloads: list[Workload], services: list[KubeService]) -> tuple[list[_Group], list[KubeService]]:
    """Union workloads that one Service selects when they share an app label (versions of one app)."""
    parent = list(range(len(workloads)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    # workloads by one pod label: a Service's selector is checked only against workloads that
    # carry its first label, so grouping stays linear in the inventory
    by_label: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, w in enumerate(workloads):
        for item in w.pod_labels.items():
            by_label[item].append(i)
    selected: dict[int, list[KubeService]] = defaultdict(list)
    unselecting: list[KubeService] = []
    for svc in services:
        if not svc.selector:
            unselecting.append(svc)
            continue
        items = list(svc.selector.items())
        first = items[0] if len(items) == 1 else min(items, key=lambda kv: len(by_label.get(kv, ())))
        # the rest of the selector to check (a workload listed under ``first`` carries that label)
        others = [kv for kv in items if kv != first] if len(items) > 1 else []
        ns = svc.namespace
        hits = []
        for i in by_label.get(first, ()):
            w = workloads[i]
            # the same namespace (a namespace unknown on either side matches), and every label
            if (ns is None or w.namespace is None or w.namespace == ns) and (
                    not others or all(w.pod_labels.get(k) == v for k, v in others)):
                hits.append(i)
        if not hits:
            unselecting.append(svc)
            continue
        for i in hits:
            selected[i].append(svc)
        if len(hits) > 1:
            apps = {_app_label(workloads[i].pod_labels) for i in hits}
            if len(apps) == 1 and None not in apps:
                for i in hits[1:]:
                    parent[find(i)] = find(hits[0])
    groups: dict[int, _Group] = {}
    for i, w in enumerate(workloads):
        root = find(i)
        group = groups.get(root)
        if group is None:
            group = groups[root] = _Group([], [])
        group.workloads.append(w)
        for svc in selected.get(i, ()):
            if svc not in group.services:
                group.services.append(svc)
    return list(groups.values()), unselecting


def _group_name(group: _Group) -> str:
    app = _app_label(group.workloads[0].pod_labels) if group.workloads else None
    wnames = [w.name for w in group.workloads]
    if len(group.workloads) == 1 and not group.services:
        return wnames[0]
    snames = [s.name for s in group.services]
    for candidate in (app, *wnames):
        if candidate and candidate in snames:
            return candidate
    if len(group.workloads) == 1 and len(snames) == 1:
        return snames[0]
    if len(group.workloads) > 1:
        if snames:
            return sorted(snames, key=lambda n: (len(n), n))[0]
        if app:
            return app
    return wnames[0]


def _owner(labels_list: Sequence[Mapping[str, str]], options: ReadOptions,
           owner_keys: AbstractSet[str] | None = None) -> str | None:
    """The owner a label or annotation names (``owner_keys``: ``options.owner_keys`` as a set)."""
    return _first_label(options.owner_keys, owner_keys or frozenset(options.owner_keys), labels_list)


def _first_label(keys: Sequence[str], key_set: AbstractSet[str], labels_list: Sequence[Mapping[str, str]]
                 ) -> str | None:
    """The non-empty value of the first of ``keys`` (``key_set``: the same as a set) in any of
    ``labels_list`` (the first mapping that has it wins)."""
    for labels in labels_list:
        if not key_set.isdisjoint(labels):
            break
    else:
        return None  # the usual case, found without trying every key on every mapping
    for key in keys:
        for labels in labels_list:
            if labels.get(key):
                return labels[key]
    return None


def _workload_key(w: Workload) -> str:
    return f"{READER}-workload:{w.namespace or ''}/{w.kind}/{w.name}"


def _key(namespace: str | None, name: str) -> str:
    return f"{READER}:{namespace or ''}/{name}"


def assemble(summaries: Iterable[object], *, options: ReadOptions = DEFAULT_OPTIONS) -> tuple[
    list[EntityRecord], list[Claim], list[Skipped]
]:
    """Entities and claims from the Kubernetes summaries of every file."""
    summary = _Summary()
    for s in summaries:
        if isinstance(s, _Summary):
            summary.workloads.extend(s.workloads)
            summary.services.extend(s.services)
            summary.config_maps.extend(s.config_maps)
            summary.secrets.extend(s.secrets)
            summary.routes.extend(s.routes)
    workloads = _fold_controlled(summary.workloads)
    groups, unselecting = _group_workloads(workloads, summary.services)
    config_maps = _config_map_index(summary.config_maps)

    entities: list[EntityRecord] = []
    claims: list[Claim] = []
    skipped: list[Skipped] = []
    taken: set[str] = set()
    owner_keys = frozenset(options.owner_keys)
    # each group's namespace and name worked out once, then sorted by them
    named = [(group.namespace, _group_name(group), group) for group in groups]
    named.sort(key=lambda item: (item[0] or "", item[1]))
    for ns, name, group in named:
        key = _key(ns, name)
        if key in taken:
            key = _key(ns, f"{name}~{group.workloads[0].kind}")
        taken.add(key)
        group_workloads, services = group.workloads, group.services
        main = group_workloads[0]
        images, replicas, per_replica_cpu, per_replica_mem = _sizes(group_workloads)
        if main.classified is not None and len(group_workloads) == 1 and name == main.name:
            role, tech = main.classified  # classify(name, images) of the same name and images
        else:
            role, tech = classify(name, images)
        service_names = [s.name for s in services]
        addresses = tuple(sorted(set(service_names))) if len(service_names) > 1 else tuple(service_names)
        labels_all = [main.labels, main.pod_labels, main.annotations]
        owner = _owner(labels_all + [s.labels for s in services], options, owner_keys)
        if len(group_workloads) == 1:  # most groups: the values of the general case below, built directly
            workload_names: tuple[str, ...] = (f"{main.kind}/{main.name}",)
            claim_keys: tuple[str, ...] = (_workload_key(main),) if main.claims is not None else ()
            workload_set = {main.name}
        else:
            workload_names = tuple(f"{w.kind}/{w.name}" for w in group_workloads)
            claim_keys = tuple(_workload_key(w) for w in group_workloads if w.claims is not None)
            workload_set = {w.name for w in group_workloads}
        app = _app_label(main.pod_labels)
        aliases = tuple(sorted(workload_set.union(addresses, (app,) if app and app != name else ())))
        detail = ", ".join(workload_names)
        if services:
            detail += " behind Service " + ", ".join(service_names)
        entities.append(EntityRecord(
            key=key, name=name, role=role, reader=READER,
            evidence=Evidence(READER, main.location, detail),
            namespace=ns, technology=tech, addresses=addresses or (name,), owner=owner,
            runtime=_runtime(labels_all), images=tuple(dict.fromkeys(images)),
            replicas=int(replicas) if replicas is not None else None,
            cpu_request=round(per_replica_cpu, 4) if per_replica_cpu is not None else None,
            memory_request=int(per_replica_mem) if per_replica_mem is not None else None,
            labels=dict(main.pod_labels or main.labels), workloads=workload_names,
            system=main.labels.get("app.kubernetes.io/part-of") or main.pod_labels.get("app.kubernetes.io/part-of"),
            aliases=aliases, claim_keys=claim_keys,
        ))
        for w in group_workloads:
            if w.claims is not None:
                claims.extend(w.claims)  # their source is the workload key, listed in claim_keys
            elif w.config_claims is not None and _config_claims_hold(w, key, config_maps):
                claims.extend(w.config_claims)
            else:
                claims.extend(_workload_claims(key, w, config_maps))

    for svc in unselecting:
        key = _key(svc.namespace, svc.name)
        if key in taken:
            continue
        taken.add(key)
        role, tech = classify(svc.name)
        external = svc.external_name
        if role == "service":
            role, tech = "other", "external" if external else "unmanaged"
        detail = f"Service/{svc.name}" + (f" (ExternalName {external})" if external else " (no workload selected)")
        entities.append(EntityRecord(
            key=key, name=svc.name, role=role, reader=READER, evidence=Evidence(READER, svc.location, detail),
            namespace=svc.namespace, technology=tech, addresses=(svc.name,),
            owner=_owner([svc.labels, svc.annotations], options, owner_keys),
        ))

    for route in summary.routes:
        claims_for_route, entity = _route_claims(route)
        if entity is not None and entity.key not in taken:
            taken.add(entity.key)
            entities.append(entity)
        claims.extend(claims_for_route)
    return entities, claims, skipped


def _config_claims_hold(w: Workload, key: str, config_maps: Mapping[tuple[str | None, str], KubeConfigMap]
                        ) -> bool:
    """Whether ``w.config_claims`` are what ``_workload_claims(key, w, config_maps)`` gives: their
    source is ``key`` (or there are none), and every ConfigMap name it refers to finds in
    ``config_maps`` the ConfigMap it found in its own file (the same object, or an equal one)."""
    worked_out = w.config_claims
    if worked_out and worked_out[0].source != key:  # all of them have the same source
        return False
    for name, cm in w.config_refs:
        found = _lookup_config_map(config_maps, w.namespace, name)
        if found is not cm and found != cm:
            return False
    return True


def _sizes(workloads: Sequence[Workload]) -> tuple[
    tuple[str, ...], int | None, float | int | None, float | int | None
]:
    """The images of the (non-init) containers of ``workloads``, their replicas in total, and the
    CPU and memory requests per replica (totals over replicas divided by the replicas; without a
    replica count, those of the first workload).

    In one pass. A sum over nothing known is ``None`` (unknown, not 0), and ``int`` stays ``int``.
    """
    images: list[str] = []
    replicas: int | None = None
    cpu: float | int | None = None
    mem_total: float | int | None = None
    main_cpu: float | int | None = None
    main_mem: float | int | None = None
    for i, w in enumerate(workloads):
        w_cpu: float | int | None = None
        w_mem: float | int | None = None
        for c in w.containers:
            if c.init:
                continue
            if c.image:
                images.append(c.image)
            if c.cpu is not None:
                w_cpu = (w_cpu or 0) + c.cpu
            if c.memory is not None:
                w_mem = (w_mem or 0) + c.memory
        if i == 0:
            main_cpu, main_mem = w_cpu, w_mem
        if w.replicas is not None:
            replicas = (replicas or 0) + w.replicas
        if w_cpu is not None:
            cpu = (cpu or 0) + w_cpu * (w.replicas or 1)
        if w_mem is not None:
            mem_total = (mem_total or 0) + w_mem * (w.replicas or 1)
    per_replica_cpu = cpu / replicas if cpu is not None and replicas else main_cpu
    per_replica_mem = int(mem_total / replicas) if mem_total is not None and replicas else main_mem
    return tuple(images), replicas, per_replica_cpu, per_replica_mem


_RUNTIME_KEYS = ("app.kubernetes.io/runtime", "runtime", "language", "lang", "app.kubernetes.io/language")
_RUNTIME_KEY_SET = frozenset(_RUNTIME_KEYS)


def _runtime(labels_list: Sequence[Mapping[str, str]]) -> str | None:
    """The language/runtime when a label or annotation names it (an image name does not)."""
    runtime = _first_label(_RUNTIME_KEYS, _RUNTIME_KEY_SET, labels_list)
    return runtime.lower() if runtime is not None else None


def _expand(value: str, env: Mapping[str, str]) -> str:
    if "$(" not in value:  # nothing to expand (the usual case), without running the pattern
        return value
    return _VAR_REF.sub(lambda m: env.get(m.group(1), m.group(0)), value)


def _workload_claims(key: str, w: Workload, config_maps: Mapping[tuple[str | None, str], KubeConfigMap]) -> list[Claim]:
    claims: list[Claim] = []
    what = f"{w.kind}/{w.name}"

    def lookup(name: str) -> KubeConfigMap | None:
        return _lookup_config_map(config_maps, w.namespace, name)

    hints = schema_hints({})  # the database a host variable's siblings name, in the container at hand

    def claim(addr: Address, location: str, detail: str, hint: str | None = None) -> None:
        via = addr.database or (hints(hint) if hint else None)
        claims.append(Claim(source=key, target=addr, evidence=Evidence(READER, location, detail),
                            protocol=addr.scheme if addr.scheme not in (None, "dsn") else None,
                            via=via, report_unresolved=is_strong(addr, hint)))

    used_maps: set[str] = set()
    for c in w.containers:
        where = f"{what} {'init container' if c.init else 'container'} {c.name}"
        env_values: dict[str, str] = {}
        hints = schema_hints({v.name: v.value for v in c.env if v.value is not None})
        for kind, name, prefix in c.env_from:
            cm = lookup(name) if kind == "configmap" else None
            if cm is None:
                continue
            used_maps.add(cm.name)
            for entry in cm.entries:
                env_values[prefix + entry.key] = entry.value
                for addr, loc, ckey in entry.addresses:
                    claim(addr, loc, f"envFrom ConfigMap/{cm.name} {ckey}={_show(ckey, addr.raw)} in {where}",
                          ckey.rsplit(" ", 1)[-1])
        for var in c.env:
            if var.config_map:
                cm = lookup(var.config_map[0])
                if cm is None:
                    continue
                used_maps.add(cm.name)
                for entry in cm.entries:
                    if entry.key != var.config_map[1]:
                        continue
                    env_values[var.name] = entry.value
                    for addr in find_addresses(entry.value, key=var.name):
                        claim(addr, var.location,
                              f"env {var.name} from ConfigMap/{cm.name}[{entry.key}]="
                              f"{redact_env(var.name, entry.value)}"
                              f" in {where}", var.name)
                    for addr, loc, ckey in entry.addresses:
                        if "\n" in entry.value.strip():
                            claim(addr, loc, f"ConfigMap/{cm.name} {ckey} used by env {var.name} in {where}",
                                  ckey.rsplit(" ", 1)[-1])
                continue
            if var.value is None:
                continue
            env_values[var.name] = var.value
            addrs = var.addresses
            shown = var.value
            if "$(" in var.value:
                shown = _expand(var.value, env_values)
                addrs = addresses_in(shown, var.name)
            for addr in addrs:
                claim(addr, var.location, f"env {var.name}={redact_env(var.name, shown)} in {where}", var.name)
        for kind_s, text, loc in c.strings:
            expanded = _expand(text, env_values)
            for addr, _ in find_command_addresses(expanded):
                claim(addr, loc, f"{kind_s} `{_clip(redact_text(expanded))}` in {where}", "host")
    for name in w.config_volumes:
        cm = lookup(name)
        if cm is None or cm.name in used_maps:
            continue
        for entry in cm.entries:
            for addr, loc, ckey in entry.addresses:
                claim(addr, loc, f"ConfigMap/{cm.name} {ckey} mounted into {what}", ckey.rsplit(" ", 1)[-1])
    return claims


def _show(key: str, raw: str) -> str:
    return MASK if looks_secret(key) else _clip(raw)


def _clip(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _route_claims(route: Route) -> tuple[list[Claim], EntityRecord | None]:
    if route.kind == "VirtualService":
        external = [g for g in route.gateways if g != "mesh"]
        if not external:
            return [], None  # in-mesh routing between versions of one service: not a dependency
        source_name = external[0].split("/")[-1]
        tech = "istio-gateway"
    else:
        source_name = f"ingress-{route.name}"
        tech = "ingress"
    key = _key(route.namespace, source_name)
    entity = EntityRecord(
        key=key, name=source_name, role="other", reader=READER,
        evidence=Evidence(READER, route.location, f"{route.kind}/{route.name}"),
        namespace=route.namespace, technology=tech,
    )
    claims = [
        Claim(source=key, target=NamedTarget(host, role="service", namespace=route.namespace) if "." not in host
              else Address(host.lower(), port, None, None, host, "bare"),
              evidence=Evidence(READER, loc,
                                f"{route.kind}/{route.name} routes to {host}" + (f":{port}" if port else "")),
              kind="sync", protocol="http")
        for host, port, loc in route.backends
    ]
    return claims, entity
