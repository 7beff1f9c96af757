# The two commands a newcomer needs: `make dev` and `make test`. Everything else is a building block.
.PHONY: setup dev dev-tls test bench fuzz install uninstall native-asan native-release wasm-release site static test-native test-wasm test-e2e test-fuzz test-static clean

JOBS ?= $(shell nproc)
# scripts/setup installs a project-local Node.js 20 here when the system's is older (Debian bookworm: 18).
export PATH := $(CURDIR)/build/tools/bin:$(PATH)
# libFuzzer: seconds per target for `make fuzz`, and for the short smoke run `make test` does.
FUZZ_SECONDS ?= 600
FUZZ_SMOKE_SECONDS ?= 10
DEV_LISTEN ?= 127.0.0.1:8080
# WebSocket origins make dev allows besides its own: the Secure Shell extension (stable, dev) and ours
# (its id is fixed by the key in extension/manifest.json).
DEV_ORIGINS ?= chrome-extension://iodihamcpbpeioajjeobimgagajmlibd,chrome-extension://algkcnfjnajfhgimadimbjhmpaeohhln,chrome-extension://ikmepbckbaofgbjjcbaklbifanigadjg
NPM_CI = npm ci --no-audit --no-fund --loglevel=error
WEB_DEPS = web/node_modules/.package-lock.json
E2E_DEPS = e2e/node_modules/.package-lock.json

# SETUP_ARGS=--build-only: only what builds (deploy/Dockerfile's build stage), not the test tools.
SETUP_ARGS ?=
setup:
	bash scripts/setup $(SETUP_ARGS)

native-asan native-release wasm-release: setup
	cmake --preset $@
	cmake --build --preset $@ -j $(JOBS)

# npm packages, reinstalled when a lock file changes: xterm.js for the page, playwright-core for e2e.
$(WEB_DEPS): web/package-lock.json | setup
	cd web && $(NPM_CI)
$(E2E_DEPS): e2e/package-lock.json | setup
	cd e2e && $(NPM_CI)

# The site sshrelayd serves (build/wasm-release/site) and the unpacked extension
# (build/wasm-release/extension): web/ + the wasm client + xterm.js vendored from web/node_modules.
site: setup $(WEB_DEPS)
	cmake --preset wasm-release
	cmake --build --preset wasm-release -j $(JOBS) --target sshrelay_client_wasm
	bash web/build-site build/wasm-release

# Most integration tests wait on sockets, sshd and child processes rather than compute: twice as many at
# once as there are cores (measured on 2 cores: 729 s at -j2, 618 s at -j4, all passing).
CTEST_JOBS ?= $(shell echo $$(( $(JOBS) * 2 )))
test-native: native-asan
	ctest --preset native-asan -j $(CTEST_JOBS)

# The wasm client's tests also run through the real daemon when test-native has built it.
test-wasm: wasm-release
	SSHRELAYD_PATH=$(CURDIR)/build/native-asan/native/sshrelayd ctest --preset wasm-release -j $(JOBS)

# The page and the extension in headless Chromium against a real sshrelayd (the ASan build) and sshd.
# Screenshots land in e2e/artifacts/.
test-e2e: site $(E2E_DEPS)
	cmake --preset native-asan
	cmake --build --preset native-asan -j $(JOBS) --target sshrelayd sshrelay sshwebd
	SSHRELAYD_PATH=$(CURDIR)/build/native-asan/native/sshrelayd \
	  node --test --test-concurrency=1 $(sort $(wildcard e2e/tests/*_test.mjs))

# sshrelayd and sshrelay statically linked (build/native-static/native/): they run in an empty root, as
# deploy/Dockerfile's FROM-scratch image has them.
static: setup
	cmake --preset native-static
	cmake --build --preset native-static -j $(JOBS)

# The static binaries in an empty root built from the Dockerfile's last stage (static_image_test.cpp),
# serving the site: after `static` and `site`, so test-native only reports it skipped.
test-static: static site native-asan
	SSHRELAY_TEST_STATIC=1 ctest --preset native-asan -j $(JOBS) -R '^StaticImageTest\.'

# Every libFuzzer target (tests/fuzz, clang) for FUZZ_SECONDS each; crashes land in build/fuzz/artifacts.
fuzz: setup
	bash scripts/fuzz --seconds $(FUZZ_SECONDS) --jobs $(JOBS)

# The same targets briefly, so a regression in a parser or in the resume rules is caught by make test.
test-fuzz: setup
	bash scripts/fuzz --seconds $(FUZZ_SMOKE_SECONDS) --jobs $(JOBS)

# Every test: core unit tests natively (under ASan/UBSan) and as wasm under node, native unit and
# integration tests against a real sshd, a short run of every fuzz target, the browser client end to end,
# then the static binaries in an empty root.
test: setup
	@echo "make test: native from $$(date +%T)"
	$(MAKE) test-native
	@echo "make test: fuzz smoke from $$(date +%T)"
	$(MAKE) test-fuzz
	@echo "make test: wasm, then e2e, with the static build alongside, from $$(date +%T)"
	@# Fetching and building libssh for wasm and the single-file browser tests leave a core idle: the
	@# static build (its own build tree) fills it. Its output is kept in build/static.log.
	@mkdir -p build; $(MAKE) static > build/static.log 2>&1 & static=$$!; \
	  $(MAKE) test-wasm && $(MAKE) test-e2e; tests=$$?; \
	  wait $$static; built=$$?; \
	  if [ $$built -ne 0 ]; then tail -n 40 build/static.log; echo "make test: make static failed (build/static.log)"; fi; \
	  [ $$tests -eq 0 ] && [ $$built -eq 0 ]
	@echo "make test: static from $$(date +%T)"
	$(MAKE) test-static
	@echo "make test: done at $$(date +%T)"

# Runs the relay with dev defaults (no auth, loopback targets allowed, logs on stderr) serving the
# browser client at http://$(DEV_LISTEN)/, and beside it the SSH-Web demo site (deploy/sshweb-demo:
# open sshweb://127.0.0.1:$(DEV_SSHWEB_PORT)/ in the page; DEV_SSHWEB_PORT= leaves it out). Builds only
# what it runs (the first wasm build compiles libssh and mbedTLS: a few minutes, cached after).
DEV_SSHWEB_PORT ?= 22443
DEV_SSHWEB_BACKEND_PORT ?= 8082
dev: setup site
	cmake --preset native-release
	cmake --build --preset native-release -j $(JOBS) --target sshrelayd $(if $(DEV_SSHWEB_PORT),sshwebd)
	$(if $(DEV_SSHWEB_PORT),deploy/sshweb-demo/start ./build/native-release/native/sshwebd build/dev-sshweb \
	  $(DEV_SSHWEB_PORT) $(DEV_SSHWEB_BACKEND_PORT) & demo=$$!; trap 'kill $$demo 2>/dev/null' EXIT;) \
	./build/native-release/native/sshrelayd --dev --listen $(DEV_LISTEN) --web-root build/wasm-release/site \
	  --allowed-origins $(DEV_ORIGINS)

# `make dev` over TLS at https://$(DEV_TLS_LISTEN)/ with a certificate from mkcert (scripts/dev-tls),
# its CA installed for this user's browsers where mkcert can.
DEV_TLS_LISTEN ?= 127.0.0.1:8443
dev-tls: setup site
	cmake --preset native-release
	cmake --build --preset native-release -j $(JOBS) --target sshrelayd
	DEV_TLS_LISTEN=$(DEV_TLS_LISTEN) DEV_ORIGINS=$(DEV_ORIGINS) \
	  bash scripts/dev-tls ./build/native-release/native/sshrelayd build/wasm-release/site

# Benchmarks against a baseline measured in the same run (figures and ratios, never pass/fail timings).
bench: native-release site $(E2E_DEPS)
	bash tests/bench/run build/native-release

# sshrelayd as a systemd service (deploy/systemd/install.sh): PREFIX/bin, PREFIX/share/sshrelay/web, the
# unit, and /etc/sshrelay/env seeded once. DESTDIR installs under another root (packaging).
PREFIX ?= /usr/local
DESTDIR ?=
INSTALL_FLAGS = --prefix $(PREFIX) $(if $(DESTDIR),--destdir $(DESTDIR))
install: native-release site
	bash deploy/systemd/install.sh $(INSTALL_FLAGS)
uninstall:
	bash deploy/systemd/install.sh --uninstall $(INSTALL_FLAGS)

clean:
	rm -rf build
