# conveyor developer commands. `make demo` and `make check` work on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install browser check lint types test test-local test-services test-core test-process bench demo clean fuzz screenshots



$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

types: $(STAMP)
	$(BIN)/mypy

test: test-local test-process

# The browser tests (dashboard, static sites) drive Debian's Chromium, never a downloaded
# browser: installed here with apt-get when it is missing.
browser:
	@command -v chromium >/dev/null 2>&1 || \
	  { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

# The whole suite, with jobs on threads of the conveyor process (the default executor), in
# two halves: the suites that mostly wait on the processes and services they start
# (deployments, the server, the browser, Celery workers, the agent) and the rest.
SERVICE_TESTS := tests/delivery tests/providers tests/server tests/dashboard tests/executors \
                 tests/agent tests/examples tests/tiers

test-local: test-services test-core

test-services: $(STAMP) browser
	$(BIN)/pytest -q -p no:cacheprovider $(SERVICE_TESTS)

test-core: $(STAMP)
	$(BIN)/pytest -q -p no:cacheprovider $(addprefix --ignore=,$(SERVICE_TESTS))

# The engine, end-to-end and example tests again, each job in a child process.
test-process: $(STAMP)
	CONVEYOR_EXECUTOR=process $(BIN)/pytest -q -p no:cacheprovider tests/engine tests/e2e tests/examples

# lint, types and the three test runs go side by side (2 cores; the service suites mostly
# wait); each one's output is kept together.
check: $(STAMP)
	$(MAKE) --no-print-directory -j3 --output-sync=target lint types test-services test-core \
	  test-process

# The property tests (tests/properties) with many more examples than `make test` runs;
# FUZZ_EXAMPLES per property (default 4000). Failures found are kept in .hypothesis/ and
# replayed first next time. What it ran and found: docs/fuzzing.md.
FUZZ_EXAMPLES ?= 4000

fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=fuzz CONVEYOR_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) \
	  $(BIN)/pytest -q -p no:cacheprovider -o timeout=0 -m property tests/properties --durations=0

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

# docs/screenshots/*.png: every dashboard page in Chromium (Debian's /usr/bin/chromium),
# from `conveyor serve` over runs `conveyor run` makes in a scratch project.
screenshots: $(STAMP) browser
	$(BIN)/python tests/dashboard/make_screenshots.py docs/screenshots

# The demo copies the example service into $(DEMO_DIR) as its own git repository, runs
# its PR-validation workflow and its nightly build with conveyor, and shows the nightly
# report. State (history, tool venvs) is kept in
# $(DEMO_DIR)/state so a second `make demo` is faster; `make clean` removes it.
DEMO_DIR ?= .demo
DEMO_ABS = $(abspath $(DEMO_DIR))

demo: $(STAMP)
	rm -rf $(DEMO_DIR)/service && mkdir -p $(DEMO_DIR)
	cp -R examples/service $(DEMO_DIR)/service
	cd $(DEMO_DIR)/service && git init -q -b main && git add -A && \
	  git -c user.name=conveyor-demo -c user.email=demo@conveyor.invalid commit -qm "demo service"
	cd $(DEMO_DIR)/service && $(abspath $(BIN))/conveyor run \
	  -W .github/workflows/pr-validation.yml --event push --state-dir $(DEMO_ABS)/state
	@echo; echo "== nightly build (as the 18:00 UTC schedule would fire it) =="
	cd $(DEMO_DIR)/service && $(abspath $(BIN))/conveyor run \
	  -W .github/workflows/nightly.yml --event schedule --state-dir $(DEMO_ABS)/state
	@echo; echo "== nightly report =="
	cd $(DEMO_DIR)/service && $(abspath $(BIN))/conveyor report latest --format md \
	  --state-dir $(DEMO_ABS)/state
	cd $(DEMO_DIR)/service && $(abspath $(BIN))/conveyor runs --state-dir $(DEMO_ABS)/state --limit 5
	@echo; echo "== delivery: build once, promote dev -> staging -> production =="
	cd $(DEMO_DIR)/service && bash $(abspath examples/demo-delivery.sh) \
	  $(abspath $(BIN))/conveyor $(DEMO_ABS)/state

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis $(DEMO_DIR)
