# Databricks Gateway. `make run` and `make test` install what is missing first.
BAZEL ?= bazel

.PHONY: deps bench-deps build run test bench test-sanitizers check-config k8s-rules image clean help

help:
	@echo "make run           install deps, build, run the gateway on 127.0.0.1 (deploy/local)"
	@echo "make test          install deps, run every test, print 'N passed, N failed'"
	@echo "make bench         the gateway beside REST, nginx and a gRPC echo; 1M-row streams;"
	@echo "                   scale (writes docs/performance.md; about 8 minutes)"
	@echo "make test-sanitizers  every test under AddressSanitizer + UBSan, then ThreadSanitizer"
	@echo "                   (docs/reliability.md; about 25 minutes each from a cold cache)"
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
	./bazel-bin/tests/bench/http_client_bench --benchmark_min_time=2

# Each sanitizer builds into its own output tree, so neither evicts the other nor the
# normal build.
test-sanitizers: bench-deps
	$(BAZEL) test --config=asan --nocache_test_results //...
	$(BAZEL) test --config=tsan --nocache_test_results //...

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
