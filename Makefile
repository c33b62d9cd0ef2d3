# Everything a fresh machine needs comes from here: a pinned uv in .tools/, then the
# locked workspace in .venv/.
UV_VERSION := 0.13.9
PYTHON ?= python3
UV := .tools/bin/uv
PYTEST_ARGS ?=

.PHONY: install run test migrate clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)

install: $(UV)
	$(UV) sync --frozen --all-packages

run: install
	.venv/bin/awardpath serve all --demo

test: install
	.venv/bin/python -m pytest $(PYTEST_ARGS)

migrate: install
	.venv/bin/awardpath migrate all

clean:
	rm -rf .venv .tools var .pytest_cache
