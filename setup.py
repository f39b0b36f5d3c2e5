"""The one compiled part: inventory._fastyaml, built when libyaml's headers and a C compiler are there.

Everything else is in pyproject.toml. The extension is optional: where it cannot be built, the
install goes on and the readers build YAML values in Python (inventory/documents.py), with the same
results, more slowly.
"""

from setuptools import Extension, setup

setup(ext_modules=[
    Extension("inventory._fastyaml", ["inventory/_fastyaml.c"], libraries=["yaml"], optional=True),
])
