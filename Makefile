# Two entry points a new user needs: `make demo` and `make test`. Both create .venv themselves.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: demo test lint format run clean chromium check-chromium

$(BIN)/.installed-core: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	touch $@

$(BIN)/.installed-dev: pyproject.toml $(BIN)/.installed-core
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

demo: $(BIN)/.installed-core
	$(BIN)/monitor demo

# The browser tests (email rendering, browse pages, screenshots) drive Debian's chromium
# package headless; without it they are skipped here (and fail in CI, which installs it).
CHROMIUM ?= /usr/bin/chromium

check-chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  echo "note: $(CHROMIUM) is missing, so the browser tests will be SKIPPED."; \
	  echo "      Install it with 'make chromium' (runs scripts/install-chromium.sh: apt-get, needs root or sudo)."; \
	fi

chromium:
	bash scripts/install-chromium.sh

test: $(BIN)/.installed-dev check-chromium
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

format: $(BIN)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

run: $(BIN)/.installed-core
	$(BIN)/monitor run

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
