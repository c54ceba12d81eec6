#!/usr/bin/env bash
# `make run`: builds the gateway and runs it in the foreground on loopback with
# deploy/local/gateway.yaml. Ctrl-C drains and stops it.
set -euo pipefail
cd "$(dirname "$0")/../.."

bazel build //server:gateway

# The local emulator's token; a real workspace's token comes from your environment.
export DATABRICKS_TOKEN="${DATABRICKS_TOKEN:-dapi-local-emulator-token}"
export DATABRICKS_HOST="${DATABRICKS_HOST:-http://127.0.0.1:8080}"

echo "starting the gateway (deploy/local/gateway.yaml); Ctrl-C to stop"
exec ./bazel-bin/server/gateway --config=deploy/local/gateway.yaml
