# make demo  - install everything, then describe the bundled demo video
# make test  - install everything, then run the test suite (the slow end-to-end tests only with CI=true)
# make test-all - the same with the slow tests, as CI runs it
SHELL := /bin/bash
VENV := .venv
STAMP := $(VENV)/.setup-done
DEMO_DIR ?= demo-out

.PHONY: setup demo test test-all bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml scripts/setup.sh node/package.json node/package-lock.json
	bash scripts/setup.sh
	touch $(STAMP)

demo: setup
	$(VENV)/bin/cinescribe demo -o $(DEMO_DIR)

test: setup
	$(VENV)/bin/python -m pytest -q --durations=25

test-all: setup
	$(VENV)/bin/python -m pytest -q --durations=25 --slow

bench: setup
	$(VENV)/bin/python benchmarks/bench_describe.py

clean:
	rm -rf $(DEMO_DIR) .pytest_cache
