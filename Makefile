# Databricks Gateway. `make run` and `make test` install what is missing first.
BAZEL ?= bazel

.PHONY: deps build run test bench bench-stream check-config k8s-rules image clean help

help:
	@echo "make run           install deps, build, run the gateway on 127.0.0.1 (deploy/local)"
	@echo "make test          install deps, run every test, print 'N passed, N failed'"
	@echo "make bench         build the benchmarks with -c opt and run them (docs/performance.md)"
	@echo "make bench-stream  stream 1,000,000 rows x 10 columns through the gateway; peak RSS"
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

bench: deps
	$(BAZEL) build -c opt //tests/bench:all
	./bazel-bin/tests/bench/http_client_bench --benchmark_min_time=2

# The stack (gateway + emulator) is found through the benchmark's runfiles.
bench-stream: deps
	$(BAZEL) build -c opt //tests/bench:stream_rss_bench
	TEST_SRCDIR=$(CURDIR)/bazel-bin/tests/bench/stream_rss_bench.runfiles \
	  TEST_WORKSPACE=databricks_gateway TEST_TMPDIR=$${TMPDIR:-/tmp} \
	  ./bazel-bin/tests/bench/stream_rss_bench

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
