# The two commands a newcomer needs: `make dev` and `make test`. Everything else is a building block.
.PHONY: setup dev test bench native-asan native-release wasm-release test-native test-wasm clean

JOBS ?= $(shell nproc)
DEV_LISTEN ?= 127.0.0.1:8080

setup:
	bash scripts/setup

native-asan native-release wasm-release: setup
	cmake --preset $@
	cmake --build --preset $@ -j $(JOBS)

test-native: native-asan
	ctest --preset native-asan -j $(JOBS)

# The wasm client's tests also run through the real daemon when test-native has built it.
test-wasm: wasm-release
	SSHRELAYD_PATH=$(CURDIR)/build/native-asan/native/sshrelayd ctest --preset wasm-release -j $(JOBS)

# Every test: core unit tests natively (under ASan/UBSan) and as wasm under node, native unit and
# integration tests against a real sshd.
test: setup
	$(MAKE) test-native
	$(MAKE) test-wasm

# Runs the relay with dev defaults: no auth, loopback targets allowed, logs on stderr. Builds only what
# it runs.
dev: setup
	cmake --preset native-release
	cmake --build --preset native-release -j $(JOBS) --target sshrelayd
	./build/native-release/native/sshrelayd --dev --listen $(DEV_LISTEN)

# Benchmarks against a baseline measured in the same run (figures and ratios, never pass/fail timings).
bench: native-release
	bash tests/bench/run build/native-release

clean:
	rm -rf build
