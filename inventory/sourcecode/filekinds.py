"""Which files of a checked-out repository the source scanner reads, and which it leaves alone.

Decided by the file's path and name only (never by running anything). A file is one of

``code``       source in a language the scanner lexes (Java, Kotlin, Go, Python, JS/TS, C#, C/C++ ...)
``config``     application configuration (Spring ``application*.yml``/``.properties``, .NET
               ``appsettings*.json``, ``config.json``/``service-config.json``, ``.env.*``, nginx/HAProxy/
               Envoy configs, Dockerfile ``ENV`` lines)
``build``      a module or image definition that names the module (``pom.xml``, ``go.mod``,
               ``package.json``, ``*.csproj``, ``Dockerfile`` ...): identity for the code map
``skip``       a file the scanner recognises but does not scan, with the reason (tests, mocks,
               vendored or generated code, minified bundles, documentation, interface definitions)

Path segments that are *always* non-production wherever they appear (``__tests__``, ``testdata``,
``node_modules``, ``vendor``, ``src/test``) are judged here. Segments that can also be the name of a
folder *above* the scanned tree (``tests``, ``fixtures``, ``mocks``, ``examples`` ...) are only
reported here (:attr:`FileKind.soft_segments`); the code map judges them relative to the folder a
service's code lives in, so that a checkout under ``~/work/tests/`` is not thrown away whole.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

#: Source files larger than this are not scanned (usually generated or bundled code).
MAX_SOURCE_BYTES = 1_000_000

LANGUAGES: dict[str, str] = {
    ".java": "java", ".kt": "kotlin", ".kts": "kotlin", ".scala": "scala", ".groovy": "groovy",
    ".go": "go", ".py": "python", ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript",
    ".jsx": "javascript", ".ts": "typescript", ".tsx": "typescript", ".mts": "typescript", ".cts": "typescript",
    ".cs": "csharp", ".c": "c", ".h": "cpp", ".cc": "cpp", ".cpp": "cpp", ".cxx": "cpp", ".hh": "cpp",
    ".hpp": "cpp", ".hxx": "cpp", ".lua": "lua", ".rb": "ruby", ".php": "php", ".rs": "rust", ".swift": "swift",
}

#: Lexical family of each language: which comments and string literals it has.
FAMILY: dict[str, str] = {
    "java": "c", "kotlin": "c", "scala": "c", "groovy": "c", "go": "c", "javascript": "c", "typescript": "c",
    "csharp": "c", "c": "c", "cpp": "c", "rust": "c", "swift": "c", "php": "php", "python": "python",
    "ruby": "hash", "lua": "lua",
}

_BUILD_FILES = frozenset({
    "pom.xml", "build.gradle", "build.gradle.kts", "settings.gradle", "settings.gradle.kts", "go.mod",
    "package.json", "cargo.toml", "pyproject.toml", "setup.cfg", "requirements.txt", "gemfile", "composer.json",
    "cmakelists.txt", "build.sbt", "mix.exs",
})
_DOCKERFILE = re.compile(r"^(?:dockerfile|containerfile)(?:[.\-].*)?$|.*\.dockerfile$", re.IGNORECASE)
_CONFIG_NAMES = re.compile(
    r"^(?:(?:application|bootstrap)(?:[-.][\w.\-]*)?\.(?:ya?ml|properties)"
    r"|appsettings(?:\.[\w.\-]*)?\.json"
    r"|(?:[\w\-]*[-_.])?(?:config|configuration|settings)(?:[-_.][\w\-]*)?\.(?:json|ya?ml|toml|ini)"
    r"|\.env\.[\w.\-]+|[\w\-]+\.env"
    r"|nginx(?:[-.][\w\-]*)?\.conf|[\w\-]+\.conf|haproxy(?:[-.][\w\-]*)?\.cfg"
    r"|(?:[\w\-]*[-_.])?envoy(?:[-_.][\w\-]*)?\.(?:ya?ml|json))$",
    re.IGNORECASE,
)
#: Tooling configuration that names no production peer.
_TOOLING_CONFIG = re.compile(
    r"^(?:ts|js)config|^(?:\.?eslint|\.?prettier|babel|jest|vitest|webpack|vite|rollup|tslint|karma|"
    r"renovate|lerna|nx|turbo|angular|nodemon|tsup|stylelint|commitlint|\.?markdownlint|cypress|playwright|"
    r"sonar|codecov|mkdocs|phpunit|launchsettings)",
    re.IGNORECASE,
)

_DOCS = frozenset({".md", ".markdown", ".rst", ".adoc", ".asciidoc", ".txt"})
_DOC_NAMES = re.compile(r"^(?:license|licence|notice|authors|contributors|changelog|changes|copying)(?:[.\-].*)?$",
                        re.IGNORECASE)
_ASSETS = frozenset({".css", ".scss", ".sass", ".less", ".html", ".htm", ".svg", ".ejs", ".hbs", ".jinja",
                     ".j2", ".vue", ".svelte"})
_INTERFACES = frozenset({".proto", ".thrift", ".avsc", ".avdl", ".graphql", ".gql", ".wsdl", ".idl"})
_SQL = frozenset({".sql", ".cql"})
_LOCKFILES = frozenset({"package-lock.json", "yarn.lock", "pnpm-lock.yaml", "go.sum", "cargo.lock",
                        "poetry.lock", "gemfile.lock", "composer.lock", "packages.lock.json"})

#: Path segments that mark non-production code wherever they appear.
_HARD_SEGMENTS: dict[str, str] = {
    "__tests__": "test code", "__mocks__": "a mock", "testdata": "test data", "test-data": "test data",
    "node_modules": "vendored third-party code", "bower_components": "vendored third-party code",
    "vendor": "vendored third-party code", "third_party": "vendored third-party code",
    "third-party": "vendored third-party code", "thirdparty": "vendored third-party code",
    "generated": "generated code", "gen-cpp": "generated code", "gen-py": "generated code",
    "gen-go": "generated code", "gen-java": "generated code", "gen-js": "generated code",
    "gen-nodejs": "generated code", "gen-php": "generated code", "gen-rb": "generated code",
    ".next": "build output", ".nuxt": "build output",
}
#: Path segments that mark non-production code when they are inside a service's folder.
SOFT_SEGMENTS: dict[str, str] = {
    "test": "test code", "tests": "test code", "spec": "test code", "specs": "test code",
    "e2e": "test code", "it": "test code", "integration-test": "test code", "integration-tests": "test code",
    "integration_tests": "test code", "unit-tests": "test code", "unittests": "test code", "testing": "test code",
    "fixture": "a test fixture", "fixtures": "a test fixture", "mock": "a mock", "mocks": "a mock",
    "fakes": "a test fake", "stubs": "a test stub", "examples": "an example", "example": "an example",
    "samples": "a sample", "sample": "a sample", "docs": "documentation", "doc": "documentation",
    "benchmark": "a benchmark", "benchmarks": "a benchmark", "loadtest": "a load test", "load-test": "a load test",
    "obj": "build output", "bin": "build output", "out": "build output", "target": "build output",
    "dist": "build output", "build": "build output", "coverage": "test coverage output",
    "migrations": "a database migration",
}
_TEST_FILE = re.compile(
    r"(?:_test\.go|_test\.py|^test_[\w\-]*\.py|^conftest\.py|(?:Tests?|IT)\.(?:java|kt|scala|groovy|cs)|Spec\.(?:groovy|scala|kt)"
    r"|\.(?:spec|test|e2e-spec|stories)\.[cm]?[jt]sx?|_spec\.rb|_test\.rb|_test\.(?:cc|cpp|c)|_unittest\.(?:cc|cpp)"
    r"|Test\.php|_test\.lua|_spec\.lua)$"
)
_MOCK_FILE = re.compile(r"(?:^mock_[\w\-]*\.go|_mock\.go|^mock[A-Z]\w*\.\w+|Mock\.(?:java|kt|cs)|^fake_\w*\.go)$")
_GENERATED_FILE = re.compile(
    r"(?:\.pb\.go|\.pb\.gw\.go|_grpc\.pb\.go|_pb2(?:_grpc)?\.py|\.pb\.(?:cc|h)|\.grpc\.pb\.(?:cc|h)|_pb\.js|_pb\.d\.ts"
    r"|_grpc_pb\.js|\.g\.cs|\.g\.i\.cs|\.designer\.cs|Designer\.cs|AssemblyInfo\.cs|_generated\.go|\.gen\.go"
    r"|zz_generated[\w.]*\.go)$",
    re.IGNORECASE,
)
_MINIFIED_FILE = re.compile(r"(?:\.min\.[cm]?js|\.bundle\.js|\.chunk\.js)$", re.IGNORECASE)
_THRIFT_STUB = re.compile(r"^[A-Z]\w*_server\.skeleton\.cpp$")
_TEST_PROFILE = re.compile(r"^(?:application|bootstrap|appsettings)[-.](?:test|tests|it|junit|testing|ci)\.",
                           re.IGNORECASE)


@dataclass(frozen=True)
class FileKind:
    """What the scanner does with one file: its kind, language and (for ``skip``) the reason."""

    kind: str  # code | config | build | skip | none
    language: str | None = None
    reason: str = ""
    soft_segments: tuple[str, ...] = ()


NOT_MINE = FileKind("none")


def split_location(location: str) -> tuple[str, str]:
    """``(archive prefix, path)``: ``"a.zip!x/y.go"`` -> ``("a.zip!", "x/y.go")``."""
    if "!" in location:
        prefix, _, rest = location.rpartition("!")
        return prefix + "!", rest
    return "", location


def classify_file(location: str) -> FileKind:
    """How the source scanner treats the file at ``location`` (a path as shown to people).

    >>> classify_file("orders/src/main/java/shop/OrderClient.java").kind
    'code'
    >>> classify_file("orders/src/test/java/shop/OrderClientTest.java").reason
    'is test code; tests are not production code and are not scanned'
    >>> classify_file("orders/src/main/resources/application-prod.yml").kind
    'config'
    >>> classify_file("README.md").kind
    'skip'
    """
    _prefix, path = split_location(location)
    path = path.replace("\\", "/")
    name = posixpath.basename(path)
    lower = name.lower()
    segments = [s for s in path.split("/")[:-1] if s and s != "."]
    lowered = [s.lower() for s in segments]
    ext = posixpath.splitext(lower)[1]
    language = LANGUAGES.get(ext)
    build = lower in _BUILD_FILES or ext in (".csproj", ".fsproj", ".vbproj") or bool(_DOCKERFILE.match(name))
    config = bool(_CONFIG_NAMES.match(name)) and not _TOOLING_CONFIG.match(name)
    if lower in _LOCKFILES:
        return FileKind("skip", None, "is a dependency lock file; it names packages, not services")
    if not (language or build or config):
        if ext in _DOCS or _DOC_NAMES.match(name):
            return FileKind("skip", None, "is documentation; documentation is not scanned for dependencies")
        if ext in _ASSETS:
            return FileKind("skip", None, "is markup or a stylesheet; it is not scanned for dependencies")
        if ext in _INTERFACES:
            return FileKind("skip", None, "is an interface definition (it declares an API but names no peer); "
                                          "not scanned")
        if ext in _SQL:
            return FileKind("skip", None, "is SQL (a schema or data); it names no service and is not scanned")
        return NOT_MINE
    for i, seg in enumerate(lowered):
        what = _HARD_SEGMENTS.get(seg)
        if what is None and seg == "test" and i > 0 and lowered[i - 1] == "src":
            what = "test code"
        if what is None and re.search(r"[.\-_](?:unit|functional|integration)?tests?$", seg) and "." in seg:
            what = "test code"  # .NET test projects: Ordering.UnitTests, Basket.FunctionalTests
        if what is not None and not (what == "build output" and build):
            return FileKind("skip", language, _reason(what))
    if language and _TEST_FILE.search(name):
        return FileKind("skip", language, _reason("test code"))
    if language and _MOCK_FILE.search(name):
        return FileKind("skip", language, _reason("a mock"))
    if _MINIFIED_FILE.search(name):
        return FileKind("skip", language, "is minified or bundled JavaScript; it is not scanned")
    if _GENERATED_FILE.search(name) or _THRIFT_STUB.match(name):
        return FileKind("skip", language, _reason("generated code"))
    if config and _TEST_PROFILE.match(name):
        return FileKind("skip", None, "is test configuration (a test profile); it is not production configuration")
    soft = tuple(seg for seg in lowered if seg in SOFT_SEGMENTS)
    if build:
        return FileKind("build", language, soft_segments=soft)
    if language:
        return FileKind("code", language, soft_segments=soft)
    return FileKind("config", None, soft_segments=soft)


def _reason(what: str) -> str:
    if what == "test code":
        return "is test code; tests are not production code and are not scanned"
    if what == "vendored third-party code":
        return "is vendored third-party code; it is not scanned"
    if what == "generated code":
        return "is generated code; it is not scanned"
    if what == "build output":
        return "is build output; it is not scanned"
    return f"is {what}, not production code; it is not scanned"


_GENERATED_MARK = re.compile(r"(?:Code generated .{0,80}DO NOT EDIT|@generated\b|<auto-generated|"
                             r"Autogenerated by Thrift|Generated by the protocol buffer compiler)")


def content_skip_reason(text: str, language: str | None) -> str | None:
    """A reason to skip a file judged by its text: generated markers, minified bundles, size."""
    size = len(text) if len(text) * 4 <= MAX_SOURCE_BYTES else len(text.encode("utf-8", errors="ignore"))
    if size > MAX_SOURCE_BYTES:
        return (f"is {size:,} bytes, more than the {MAX_SOURCE_BYTES:,}-byte bound for scanning one source file "
                "(usually generated or bundled code); it was not scanned")
    if _GENERATED_MARK.search(text[:2000]):
        return _reason("generated code")
    if language in ("javascript", "typescript") and len(text) > 5000:
        lines = text.count("\n") + 1
        if len(text) / lines > 400:
            return "is minified or bundled JavaScript; it is not scanned"
    return None
