"""What the per-file parse works out ahead for :func:`kubernetes.assemble` (a workload's
classification, the claims of a workload whose ConfigMaps are in its own file) is used only when
it is what assemble would work out itself; every other case falls back to assemble's own work."""

from __future__ import annotations

from dataclasses import replace

from inventory import kubernetes
from inventory.documents import Document, iter_documents
from inventory.model import Address


def summaries(files: dict[str, str]) -> list[kubernetes._Summary]:
    out: list[kubernetes._Summary] = []
    for name, text in files.items():
        docs = [d for d in iter_documents(text, name) if isinstance(d, Document)]
        out.extend(s for s in kubernetes.parse_manifests(docs).extras if isinstance(s, kubernetes._Summary))
    return out


def without_worked_out(summary: kubernetes._Summary) -> kubernetes._Summary:
    """The summary as if the parse had worked nothing out ahead (assemble does it all)."""
    workloads = [replace(w, classified=None, config_claims=None, config_refs=()) for w in summary.workloads]
    return kubernetes._Summary(workloads, summary.services, summary.config_maps, summary.secrets, summary.routes)


def assemble_both_ways(files: dict[str, str]) -> tuple[list[kubernetes._Summary], tuple[object, ...]]:
    """The summaries of ``files``, and assemble's result, checked to be the same either way."""
    parsed = summaries(files)
    ahead = kubernetes.assemble(parsed)
    plain = kubernetes.assemble([without_worked_out(s) for s in parsed])
    assert repr(ahead) == repr(plain)
    return parsed, ahead


def workload(summaries_: list[kubernetes._Summary], name: str) -> kubernetes.Workload:
    [w] = [w for s in summaries_ for w in s.workloads if w.name == name]
    return w


def deployment(name: str, *, namespace: str | None = "shop", image: str = "example/app:1", app: str | None = None,
               env: str = "", env_from: str = "", volumes: str = "", owner: str = "") -> str:
    ns = f"\n  namespace: {namespace}" if namespace else ""
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}{ns}{owner}
spec:
  selector:
    matchLabels:
      app: {app or name}
  template:
    metadata:
      labels:
        app: {app or name}
    spec:
      containers:
        - name: main
          image: {image}{env}{env_from}{volumes}
"""


def config_map(name: str, url: str, *, namespace: str | None = "shop") -> str:
    ns = f"\n  namespace: {namespace}" if namespace else ""
    return f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}{ns}
data:
  DATABASE_URL: {url}
"""


def service(name: str, app: str, *, namespace: str | None = "shop") -> str:
    ns = f"\n  namespace: {namespace}" if namespace else ""
    return f"""apiVersion: v1
kind: Service
metadata:
  name: {name}{ns}
spec:
  selector:
    app: {app}
"""


ENV_FROM = """
          envFrom:
            - configMapRef:
                name: orders-config"""
KEY_REF = """
          env:
            - name: DATABASE_URL
              valueFrom:
                configMapKeyRef:
                  name: orders-config
                  key: DATABASE_URL"""


def hosts(claims: object) -> set[str]:
    return {c.target.host for c in claims if isinstance(c.target, Address)}  # type: ignore[attr-defined]


def test_configmap_in_the_same_file_gives_claims_worked_out_while_parsing() -> None:
    text = deployment("orders", env_from=ENV_FROM) + "---\n" + config_map("orders-config", "postgres://orders-db:5432/o")
    parsed, (_, claims, _) = assemble_both_ways({"orders.yaml": text})
    w = workload(parsed, "orders")
    assert w.claims is None and w.config_claims is not None
    assert [name for name, _ in w.config_refs] == ["orders-config"]
    assert kubernetes._config_claims_hold(w, "kubernetes:shop/orders", kubernetes._config_map_index(
        parsed[0].config_maps))
    assert all(c.source == "kubernetes:shop/orders" for c in w.config_claims)
    assert hosts(claims) == {"orders-db"}


def test_configmap_defined_after_the_workload_in_its_file_is_found() -> None:
    text = deployment("orders", env=KEY_REF) + "---\n" + config_map("orders-config", "postgres://orders-db:5432/o")
    parsed, (_, claims, _) = assemble_both_ways({"orders.yaml": text})
    assert workload(parsed, "orders").config_claims is not None
    assert hosts(claims) == {"orders-db"}


def test_configmap_only_in_another_file_is_left_to_assemble() -> None:
    parsed, (_, claims, _) = assemble_both_ways({
        "deploy.yaml": deployment("orders", env_from=ENV_FROM),
        "config.yaml": config_map("orders-config", "postgres://orders-db:5432/o"),
    })
    assert workload(parsed, "orders").config_claims is None
    assert hosts(claims) == {"orders-db"}


def test_configmap_redefined_in_a_later_file_wins_over_the_one_in_the_workloads_file() -> None:
    for ref in (ENV_FROM, KEY_REF):
        parsed, (_, claims, _) = assemble_both_ways({
            "orders.yaml": deployment("orders", env=ref if ref is KEY_REF else "",
                                      env_from=ref if ref is ENV_FROM else "")
            + "---\n" + config_map("orders-config", "postgres://old-db:5432/o"),
            "override.yaml": config_map("orders-config", "postgres://new-db:5432/o"),
        })
        w = workload(parsed, "orders")
        assert w.config_claims is not None and hosts(w.config_claims) == {"old-db"}
        index = kubernetes._config_map_index(cm for s in parsed for cm in s.config_maps)
        assert not kubernetes._config_claims_hold(w, "kubernetes:shop/orders", index)
        assert hosts(claims) == {"new-db"}


def test_a_namespaceless_reference_finds_the_first_configmap_of_that_name_across_files() -> None:
    # a workload without a namespace looks up (None, name): the first ConfigMap of that name in any
    # namespace, unless one without a namespace exists (the last of those)
    parsed, (_, claims, _) = assemble_both_ways({
        "a.yaml": config_map("orders-config", "postgres://first-db:5432/o", namespace="other"),
        "b.yaml": deployment("orders", namespace=None, env_from=ENV_FROM)
        + "---\n" + config_map("orders-config", "postgres://local-db:5432/o", namespace="shop"),
    })
    w = workload(parsed, "orders")
    assert w.config_claims is not None and hosts(w.config_claims) == {"local-db"}
    assert hosts(claims) == {"first-db"}

    parsed, (_, claims, _) = assemble_both_ways({
        "a.yaml": config_map("orders-config", "postgres://first-db:5432/o", namespace="other"),
        "b.yaml": deployment("orders", namespace=None, env_from=ENV_FROM)
        + "---\n" + config_map("orders-config", "postgres://local-db:5432/o", namespace=None),
    })
    assert hosts(claims) == {"local-db"}  # the one without a namespace wins: the worked-out claims hold


def test_a_service_that_renames_the_group_gets_its_own_classification_and_claims() -> None:
    # on its own, "orders-db" is a database by name; behind Service "orders" the group is "orders"
    text = (deployment("orders-db", env_from=ENV_FROM) + "---\n"
            + config_map("orders-config", "postgres://pg:5432/o") + "---\n" + service("orders", "orders-db"))
    parsed, (entities, claims, _) = assemble_both_ways({"orders.yaml": text})
    w = workload(parsed, "orders-db")
    assert w.classified == ("database", None)
    assert w.config_claims and all(c.source == "kubernetes:shop/orders-db" for c in w.config_claims)
    [entity] = [e for e in entities if e.workloads == ("Deployment/orders-db",)]
    assert (entity.key, entity.name, entity.role) == ("kubernetes:shop/orders", "orders", "service")
    assert {c.source for c in claims} == {"kubernetes:shop/orders"}


def test_a_namespaced_service_gives_a_namespaceless_workload_another_key() -> None:
    text = (deployment("orders", namespace=None, env_from=ENV_FROM) + "---\n"
            + config_map("orders-config", "postgres://pg:5432/o", namespace=None) + "---\n"
            + service("orders", "orders", namespace="shop"))
    parsed, (entities, claims, _) = assemble_both_ways({"orders.yaml": text})
    assert workload(parsed, "orders").config_claims  # worked out with the key kubernetes:/orders
    assert [e.key for e in entities] == ["kubernetes:shop/orders"]
    assert {c.source for c in claims} == {"kubernetes:shop/orders"}


def test_two_workloads_of_one_group_and_same_name_groups() -> None:
    # versions behind one Service form one group: classified and claimed by assemble
    text = (deployment("reviews-v1", app="reviews", image="redis:7") + "---\n"
            + deployment("reviews-v2", app="reviews", env_from=ENV_FROM) + "---\n"
            + config_map("orders-config", "postgres://pg:5432/o") + "---\n" + service("reviews", "reviews"))
    _, (entities, claims, _) = assemble_both_ways({"reviews.yaml": text})
    assert [e.key for e in entities] == ["kubernetes:shop/reviews"]
    assert {c.source for c in claims if hosts([c])} == {"kubernetes:shop/reviews"}
    # the same name twice: the second group's key gets the kind, so its worked-out claims do not hold
    first = deployment("orders", env=KEY_REF.replace("configMapKeyRef", "secretKeyRef"))
    second = (deployment("orders", app="orders-other", env_from=ENV_FROM).replace("kind: Deployment",
                                                                                  "kind: StatefulSet")
              + "---\n" + config_map("orders-config", "postgres://pg:5432/o"))
    parsed, (entities, claims, _) = assemble_both_ways({"a.yaml": first, "b.yaml": second})
    assert [e.key for e in entities] == ["kubernetes:shop/orders", "kubernetes:shop/orders~StatefulSet"]
    [w] = [w for s in parsed for w in s.workloads if w.kind == "StatefulSet"]
    assert w.config_claims and w.config_claims[0].source == "kubernetes:shop/orders"
    index = kubernetes._config_map_index(cm for s in parsed for cm in s.config_maps)
    assert not kubernetes._config_claims_hold(w, "kubernetes:shop/orders~StatefulSet", index)
    assert {c.source for c in claims if hosts([c])} == {"kubernetes:shop/orders~StatefulSet"}


def test_owned_workloads_are_left_to_assemble() -> None:
    owner = """
  ownerReferences:
    - kind: ReplicaSet
      name: orders-5d8f7c9b4
      controller: true"""
    text = (deployment("orders-5d8f7c9b4-abcde", env_from=ENV_FROM, owner=owner).replace("kind: Deployment",
                                                                                            "kind: Pod")
            + "---\n" + config_map("orders-config", "postgres://pg:5432/o"))
    parsed, (entities, _, _) = assemble_both_ways({"pod.yaml": text})
    w = workload(parsed, "orders-5d8f7c9b4-abcde")
    assert (w.classified, w.config_claims) == (None, None)
    assert [e.name for e in entities] == ["orders"]


PLAIN_ENV = """
          env:
            - name: DATABASE_URL
              value: postgres://orders-db:5432/orders
            - name: API_TOKEN
              value: s3cret-token
          args: ["--cache", "redis://cache:6379"]
          resources:
            requests:
              cpu: 250m
              memory: 256Mi"""


def test_claims_worked_out_while_parsing_leave_only_the_sizes_of_the_containers() -> None:
    # the env and strings were read for those claims: nothing reads them again, so they are not
    # sent back from the worker nor cached; the sizes the record needs stay
    parsed, (entities, claims, _) = assemble_both_ways({"orders.yaml": deployment("orders", env=PLAIN_ENV)})
    w = workload(parsed, "orders")
    assert w.claims is not None
    [c] = w.containers
    assert (c.env, c.env_from, c.strings) == ((), (), ())
    assert (c.name, c.image, c.cpu, c.memory) == ("main", "example/app:1", 0.25, 256 * 1024 ** 2)
    assert hosts(claims) == {"orders-db", "cache"}
    [record] = entities
    assert (record.cpu_request, record.memory_request, record.images) == (0.25, 256 * 1024 ** 2, ("example/app:1",))


def test_a_workload_left_to_assemble_keeps_its_env() -> None:
    parsed, (_, claims, _) = assemble_both_ways({
        "deploy.yaml": deployment("orders", env=PLAIN_ENV + ENV_FROM),
        "config.yaml": config_map("orders-config", "postgres://orders-db:5432/o"),
    })
    w = workload(parsed, "orders")
    assert w.claims is None and w.config_claims is None
    assert [v.name for v in w.containers[0].env] == ["DATABASE_URL", "API_TOKEN"]
    assert hosts(claims) == {"orders-db", "cache"}
