# make demo  - install everything, then describe the bundled demo video
# make test  - install everything, then run the test suite
SHELL := /bin/bash
VENV := .venv
STAMP := $(VENV)/.setup-done
DEMO_DIR ?= demo-out

.PHONY: setup demo test bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml scripts/setup.sh node/package.json node/package-lock.json
	bash scripts/setup.sh
	touch $(STAMP)

demo: setup
	$(VENV)/bin/cinescribe demo -o $(DEMO_DIR)

test: setup
	$(VENV)/bin/python -m pytest -q

bench: setup
	$(VENV)/bin/python benchmarks/bench_describe.py

clean:
	rm -rf $(DEMO_DIR) .pytest_cache
