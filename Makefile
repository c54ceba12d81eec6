# Databricks Gateway. `make run` and `make test` install what is missing first.
BAZEL ?= bazel

.PHONY: deps bench-deps quality-deps build run test bench soak fuzz test-sanitizers coverage lint \
	format-check check-config k8s-rules image clean help

help:
	@echo "make run           install deps, build, run the gateway on 127.0.0.1 (deploy/local)"
	@echo "make test          install deps, run every test, print 'N passed, N failed'"
	@echo "make bench         the gateway beside REST, nginx and a gRPC echo; 1M-row streams;"
	@echo "                   scale (writes docs/performance.md; about 8 minutes)"
	@echo "make soak          4 minutes of mixed calls under every emulator fault, a credential"
	@echo "                   revoked, Redis stopped and frozen, a reload (docs/reliability.md)"
	@echo "make fuzz          each libFuzzer target 60 s from its seed corpus (docs/reliability.md;"
	@echo "                   FUZZ_SECONDS=N to change; clang build in its own output base)"
	@echo "make test-sanitizers  every test under AddressSanitizer + UBSan, then ThreadSanitizer"
	@echo "                   (docs/reliability.md; about 25 minutes each from a cold cache)"
	@echo "make coverage      every test with gcov; line coverage of server/ and client/, HTML in"
	@echo "                   bazel-coverage/ (gate: 80% of server/; about 11 minutes)"
	@echo "make lint          clang-tidy (.clang-tidy) and cppcheck over server/, client/, tests/"
	@echo "                   (about 12 minutes; tests/quality/lint.sh --fix applies fixes)"
	@echo "make format-check  every .cc, .h and .proto as .clang-format lays it out"
	@echo "make build         bazel build //..."
	@echo "make check-config  validate deploy/local/gateway.yaml and print it redacted"
	@echo "make k8s-rules     regenerate k8s/base/prometheusrule.yaml from deploy/prometheus/alerts.yaml"
	@echo "make image         build the OCI image offline with buildah (databricks-gateway.oci.tar)"

deps:
	@./deploy/install-deps.sh

build: deps
	$(BAZEL) build //...

run: deps
	@./deploy/local/run.sh

test: deps
	@./tests/run-tests.sh

bench-deps:
	@./deploy/install-deps.sh --bench

# Each benchmark writes its section of docs/performance.md (tests/bench/run.sh runs it
# with the gateway and the emulator from its runfiles).
bench: bench-deps
	$(BAZEL) build -c opt //tests/bench/...
	tests/bench/run.sh side_by_side_bench --doc=docs/performance.md --command="make bench"
	tests/bench/run.sh stream_bench --doc=docs/performance.md --command="make bench"
	tests/bench/run.sh scale_bench --doc=docs/performance.md --command="make bench"
	tests/bench/plot.sh docs/performance.md docs/img
	./bazel-bin/tests/bench/http_client_bench --benchmark_min_time=2

# The fault soak writes its section of docs/reliability.md; SOAK_ARGS=--seconds=60 shortens it.
soak: deps
	$(BAZEL) build -c opt //tests/bench:soak
	tests/bench/run.sh soak --doc=docs/reliability.md --command="make soak" $(SOAK_ARGS)

# clang's toolchain lives in an output base of its own, beside the disk cache.
FUZZ_BAZEL = $(BAZEL) --output_base=$(HOME)/.cache/databricks-gateway/fuzz-output-base
FUZZ_TARGETS = //tests/fuzz:config_fuzz //tests/fuzz:mappers_fuzz //tests/fuzz:sql_fuzz //tests/fuzz:sql_refs_fuzz \
	//tests/fuzz:emulator_fuzz
FUZZ_SECONDS ?= 60
fuzz: bench-deps
	$(FUZZ_BAZEL) build --config=fuzz --symlink_prefix=/ $(FUZZ_TARGETS)
	tests/fuzz/run.sh "$$($(FUZZ_BAZEL) info --config=fuzz bazel-bin)" $(FUZZ_SECONDS)

# Each sanitizer builds into its own output tree, so neither evicts the other nor the
# normal build.
test-sanitizers: bench-deps
	$(BAZEL) test --config=asan --nocache_test_results //...
	$(BAZEL) test --config=tsan --nocache_test_results //...

quality-deps:
	@./deploy/install-deps.sh --quality

# The quality gates (docs/testing.md).
coverage: quality-deps
	tests/quality/coverage.sh

lint: quality-deps
	tests/quality/lint.sh

format-check: quality-deps
	tests/quality/format-check.sh

check-config: deps
	$(BAZEL) build //server:gateway
	DATABRICKS_TOKEN=$${DATABRICKS_TOKEN:-dapi-local-emulator-token} \
	  ./bazel-bin/server/gateway --config=deploy/local/gateway.yaml --check

k8s-rules:
	./deploy/prometheus/to-prometheusrule.sh

clean:
	$(BAZEL) clean

# The OCI image, offline with buildah: databricks-gateway.oci.tar (docs/deploy.md).
image: deps
	./deploy/image/build.sh --output databricks-gateway.oci.tar
