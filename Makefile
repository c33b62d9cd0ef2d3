# Everything a fresh machine needs comes from here: a pinned uv in .tools/, then the
# locked workspace in .venv/.
UV_VERSION := 0.13.9
PYTHON ?= python3
UV := .tools/bin/uv
PYTEST_ARGS ?=

.PHONY: install run lint test migrate clean screenshots

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)

# promtool (Prometheus' rule checker) for the alert rules' tests: Debian's package, unpacked
# here, not installed (installing it would start a Prometheus server).
PROMTOOL := .tools/bin/promtool

$(PROMTOOL): $(UV)
	@apt-cache show prometheus > /dev/null 2>&1 || apt-get update -qq
	rm -rf .tools/prometheus && mkdir -p .tools/prometheus
	cd .tools/prometheus && apt-get download -qq prometheus && dpkg-deb -x prometheus_*.deb root
	ln -sf ../prometheus/root/usr/bin/promtool $(PROMTOOL)

# Browser tests: Debian's chromium (installed: it needs its libraries; as root, as CI runs)
# driven by Playwright, and axe-core from the npm registry for the accessibility checks.
CHROMIUM := /usr/bin/chromium
AXE_VERSION := 4.14.1
AXE := .tools/axe-core/axe.min.js

$(CHROMIUM):
	@apt-cache show chromium > /dev/null 2>&1 || apt-get update -qq
	apt-get install -y -qq chromium

$(AXE):
	rm -rf .tools/axe-core && mkdir -p .tools/axe-core
	cd .tools/axe-core && npm pack --silent axe-core@$(AXE_VERSION) > /dev/null && tar -xzf axe-core-$(AXE_VERSION).tgz --strip-components=1 package/axe.min.js

# The store the workspace's replicas share of sign-in links taken, for its tests: Debian's
# redis-server, which the tests start on a loopback port of their own (installed, not
# unpacked like promtool: it needs its libraries; a service the package may start is unused).
REDIS_SERVER := /usr/bin/redis-server

$(REDIS_SERVER):
	@apt-cache show redis-server > /dev/null 2>&1 || apt-get update -qq
	apt-get install -y -qq redis-server

install: $(UV)
	$(UV) sync --frozen --all-packages

run: install
	.venv/bin/awardpath serve all --demo

# The written rules (RULES.md): lint, format, types, import contracts. The migration check
# needs databases, so it runs with the tests (tests/integration/test_migrations.py).
lint: install
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy
	.venv/bin/lint-imports

test: lint $(PROMTOOL) $(CHROMIUM) $(AXE) $(REDIS_SERVER)
	.venv/bin/python -m pytest $(PYTEST_ARGS)

# The README's screenshots of the workspaces, taken by their browser test.
screenshots: install $(CHROMIUM) $(AXE)
	AWARDPATH_SCREENSHOTS=docs/screenshots .venv/bin/python -m pytest tests/e2e/test_workspace.py -k award_path_through_the_pages

migrate: install
	.venv/bin/awardpath migrate all

clean:
	rm -rf .venv .tools var .pytest_cache
