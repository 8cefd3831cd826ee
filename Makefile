# The commands developers and CI run. `make run` and `make test` set everything up themselves.
UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install run test lint format bench clean

$(UV):
	python3 -m venv .tools
	.tools/bin/pip install --quiet "uv==$(UV_VERSION)"

# The virtualenv follows the lock file exactly (dev dependencies included).
$(BIN)/remediation-bot: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen
	@touch $@

install: $(BIN)/remediation-bot

run: install
	$(BIN)/remediation-bot serve

# The browser tests drive Debian's Chromium through the playwright package (its own browser
# downloads cannot be fetched here); install it when missing (CI runs as root).
CHROMIUM := /usr/bin/chromium

$(CHROMIUM):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

test: install $(CHROMIUM)
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check bot tests benchmarks
	$(BIN)/ruff format --check bot tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix bot tests benchmarks
	$(BIN)/ruff format bot tests benchmarks

bench: install
	$(BIN)/python -m benchmarks.ingest
	$(BIN)/python -m benchmarks.evaluate
	$(BIN)/python -m benchmarks.webhooks
	$(BIN)/python -m benchmarks.sync_latency
	$(BIN)/python -m benchmarks.dashboard
	$(BIN)/python -m benchmarks.body_limits
	$(BIN)/python -m benchmarks.reading
	$(BIN)/python -m benchmarks.cli
	$(BIN)/python -m benchmarks.action_calls

clean:
	rm -rf $(VENV) .tools .pytest_cache .mypy_cache .ruff_cache
