#!/usr/bin/env bash
# `make run`: builds the gateway and the Databricks emulator, starts the emulator on a free
# loopback port (tests/emulator/emulator.yaml) and runs the gateway in the foreground against
# it with deploy/local/gateway.yaml. Ctrl-C drains the gateway and stops both.
#
# To point the gateway at a real workspace instead, set DATABRICKS_HOST and DATABRICKS_TOKEN;
# the emulator is then not started.
set -euo pipefail
cd "$(dirname "$0")/../.."

bazel build //server:gateway //tests/emulator:databricks_emulator //client:dbgw //client/examples:all

emulator_pid=""
cleanup() {
  if [[ -n "$emulator_pid" ]]; then
    kill "$emulator_pid" 2>/dev/null || true
    wait "$emulator_pid" 2>/dev/null || true
  fi
  rm -rf "$workdir"
}
workdir=$(mktemp -d)
trap cleanup EXIT

if [[ -z "${DATABRICKS_HOST:-}" ]]; then
  ./bazel-bin/tests/emulator/databricks_emulator \
    --config=tests/emulator/emulator.yaml --port=0 >"$workdir/emulator.out" 2>&1 &
  emulator_pid=$!
  for _ in $(seq 1 100); do
    grep -q '^emulator listening: ' "$workdir/emulator.out" 2>/dev/null && break
    if ! kill -0 "$emulator_pid" 2>/dev/null; then
      echo "the emulator did not start:" >&2
      cat "$workdir/emulator.out" >&2
      exit 1
    fi
    sleep 0.1
  done
  export DATABRICKS_HOST
  DATABRICKS_HOST=$(sed -n 's/^emulator listening: //p' "$workdir/emulator.out")
  # The emulator's PAT (tests/emulator/emulator.yaml).
  export DATABRICKS_TOKEN="dapi-local-emulator-token"
  echo "Databricks emulator at $DATABRICKS_HOST (control API: $DATABRICKS_HOST/emulator/v1/)"
fi

echo "starting the gateway (deploy/local/gateway.yaml); Ctrl-C to stop"
./bazel-bin/server/gateway --config=deploy/local/gateway.yaml &
gateway_pid=$!
# SIGTERM or Ctrl-C: the gateway drains, then the emulator stops.
trap 'kill -TERM "$gateway_pid" 2>/dev/null || true' INT TERM
status=0
wait "$gateway_pid" || status=$?
if kill -0 "$gateway_pid" 2>/dev/null; then wait "$gateway_pid" || status=$?; fi
exit "$status"
