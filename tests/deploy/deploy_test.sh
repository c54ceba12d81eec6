#!/usr/bin/env bash
# Checks what an operator deploys, offline: each kustomize overlay renders, every rendered
# object passes its schema and the cross-checks of validate_manifests.mjs, each overlay's
# gateway config passes `gateway --check`, the PrometheusRule's rules pass promtool, and
# the Grafana dashboard passes check_dashboard.mjs. Writes a JUnit report, one case per
# check. Needs kubectl, node and the npm packages of package.json, which
# deploy/install-deps.sh installs into ~/.cache/databricks-gateway/node.
set -uo pipefail

# Under Bazel the runfiles tree is the root; run by hand, the repository.
if [[ -n "${TEST_SRCDIR:-}" ]]; then
  root=$TEST_SRCDIR/$TEST_WORKSPACE
else
  root=$(cd "$(dirname "$0")/../.." && pwd)
fi
gateway=$root/server/gateway
work=${TEST_TMPDIR:-$(mktemp -d)}/deploy
mkdir -p "$work"
# kustomize refuses files whose real path is outside the kustomization (runfiles are
# symlinks): render a real copy.
rm -rf "$work/k8s"
cp -rL "$root/k8s" "$work/k8s"
# Bazel points HOME at the test's scratch directory; the cache is in the user's real home.
home=$(getent passwd "$(id -u)" | cut -d: -f6)
node_modules=${DBGW_NODE_MODULES:-$home/.cache/databricks-gateway/node/node_modules}

source "$root/tests/harness/junit.sh"

missing=""
for tool in kubectl node promtool; do
  command -v "$tool" >/dev/null || missing+=" $tool"
done
[[ -d "$node_modules/kubernetes-models" ]] || missing+=" $node_modules (npm packages)"
if [[ -n "$missing" ]]; then
  echo "missing:$missing (make deps installs them)" >&2
  run_case tools false
else
  # ES modules find packages next to the script, not through NODE_PATH.
  cp "$root"/tests/deploy/*.mjs "$work"/
  ln -sfn "$node_modules" "$work/node_modules"

  for overlay in dev prod; do
    rendered=$work/$overlay.yaml
    # stdout, not -o: Debian's kubectl 1.20 (kustomize v2) has no -o.
    run_case "render_$overlay" bash -c "kubectl kustomize '$work/k8s/overlays/$overlay' >'$rendered'"
    run_case "validate_$overlay" node "$work/validate_manifests.mjs" "$rendered" \
      "$root/deploy/prometheus/alerts.yaml" "$work/$overlay-gateway.yaml"
    # The Secret's keys as the Deployment passes them, with values of the right shape; the
    # host is loopback because --check loads and validates and connects to nothing.
    run_case "gateway_config_$overlay" env -i \
      DATABRICKS_HOST=https://127.0.0.1:8443 \
      DATABRICKS_TOKEN=dapi0123456789abcdef0123456789abcdef DATABRICKS_WAREHOUSE_ID= \
      GATEWAY_HANDLE_SIGNING_KEY=deploy-test-signing-key-0123456789 \
      "$gateway" --config="$work/$overlay-gateway.yaml" --check
  done
  # The PrometheusRule's rules as Prometheus Operator hands them to Prometheus.
  run_case prometheusrule_promtool bash -c \
    "sed -n '/^kind: PrometheusRule/,/^---/p' '$work/prod.yaml' | sed -n '/^spec:/,\$p' | sed -e '1d' -e '/^---/d' -e 's/^  //' > '$work/rule.yaml' && promtool check rules '$work/rule.yaml'"
  run_case dashboard node "$work/check_dashboard.mjs" \
    "$root/deploy/grafana/databricks-gateway.json" "$node_modules" "$work/dashboard"
fi

junit_finish deploy
