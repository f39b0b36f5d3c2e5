"""What the install builds where it can."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from inventory import documents


def test_the_compiled_yaml_builder_is_built_where_it_can_be() -> None:
    """Where libyaml's headers and a C compiler are, `make install` builds inventory._fastyaml: a
    test run that silently fell back to the builder in Python would never test the compiled one."""
    if not Path("/usr/include/yaml.h").is_file() or not (shutil.which("cc") or shutil.which("gcc")):
        pytest.skip("no libyaml headers or no C compiler here: YAML values are built in Python (same results)")
    assert documents.LIBYAML, "PyYAML without libyaml: the compiled builder is not used"
    assert documents._COMPILED is not None, "inventory._fastyaml was not built or not loaded: run make install"
    assert documents.compiled_libyaml() and documents.compiled_builder_digest()
