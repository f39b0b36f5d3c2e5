# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PORT ?= 8501
EXAMPLE ?= examples/inventory
EXAMPLE_CONFIG ?= examples/advisor.yaml

.PHONY: install run test lint bench fuzz clean

install: $(STAMP)

$(STAMP): pyproject.toml setup.py inventory/_fastyaml.c
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	rm -f inventory/_fastyaml*.so  # a build that fails now must not leave the last one in place
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m compileall -q advisor inventory dashboard  # bytecode, as an install writes it
	@$(BIN)/python -c "import inventory._fastyaml" 2>/dev/null \
	  && echo "inventory._fastyaml built: YAML values are built in C" \
	  || echo "warning: inventory._fastyaml not built (no C compiler, or no libyaml headers: libyaml-dev);" \
	          "YAML values are built in Python, with the same results, more slowly" >&2
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/advisor dashboard $(EXAMPLE) --config $(EXAMPLE_CONFIG) --port $(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check advisor inventory dashboard tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.source_scan
	$(BIN)/python -m bench.traces_bench
	$(BIN)/python -m bench.dashboard_bench

fuzz: $(STAMP)
	$(BIN)/python -m bench.fuzz

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache inventory/_fastyaml*.so
