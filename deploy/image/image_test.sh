#!/usr/bin/env bash
# Builds the image with build.sh from the gateway under test, unpacks the OCI archive as a
# runtime would, and checks: it runs as 65532; every library the binary needs is inside at
# the path the loader resolves, and no other library is; and the binary starts from the
# image's root filesystem alone (chroot, so nothing of the host's /lib can be used),
# printing --help and validating a configuration with --check. Writes a JUnit report.
set -uo pipefail

if [[ -n "${TEST_SRCDIR:-}" ]]; then
  root=$TEST_SRCDIR/$TEST_WORKSPACE
else
  root=$(cd "$(dirname "$0")/../.." && pwd)
fi
work=${TEST_TMPDIR:-$(mktemp -d)}/image
rm -rf "$work"
mkdir -p "$work/oci" "$work/rootfs"

source "$root/tests/harness/junit.sh"
finish() {
  junit_finish image
  exit
}

# buildah keeps its storage under $work; run from a copy of the scripts so they find
# each other.
cp -rL "$root/deploy/image" "$work/scripts"
run_case build "$work/scripts/build.sh" --binary "$root/server/gateway" \
  --output "$work/image.tar" --tag test
((junit_failures == 0)) || finish

# Unpack as a runtime does: index -> manifest -> config and layers, in order.
unpack() {
  tar -xf "$work/image.tar" -C "$work/oci" &&
    manifest=$(jq -r '.manifests[0].digest' "$work/oci/index.json" | sed 's/^sha256://') &&
    config=$(jq -r '.config.digest' "$work/oci/blobs/sha256/$manifest" | sed 's/^sha256://') &&
    cp "$work/oci/blobs/sha256/$config" "$work/config.json" &&
    for layer in $(jq -r '.layers[].digest' "$work/oci/blobs/sha256/$manifest" | sed 's/^sha256://'); do
      tar -xf "$work/oci/blobs/sha256/$layer" -C "$work/rootfs" || return 1
    done
}
run_case unpack unpack
((junit_failures == 0)) || finish

image_binary=$work/rootfs/usr/local/bin/databricks-gateway
run_case runs_as_non_root bash -c "
  user=\$(jq -r '.config.User' '$work/config.json')
  echo \"User: \$user\"
  [[ \$user == 65532:65532 ]]"

# What the loader needs: every resolved library and the loader itself.
needed=$(ldd "$image_binary" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort)
libraries_inside() {
  local missing=0 library
  for library in $needed; do
    if [[ ! -f "$work/rootfs$library" ]]; then
      echo "missing from the image: $library"
      missing=1
    fi
  done
  if ldd "$image_binary" | grep 'not found'; then missing=1; fi
  echo "$(wc -w <<<"$needed") libraries needed"
  ((missing == 0))
}
run_case every_library_inside libraries_inside

only_needed_libraries() {
  local present extra
  present=$(cd "$work/rootfs" && find . -name '*.so*' -type f | sed 's/^\.//' | sort)
  extra=$(comm -13 <(echo "$needed") <(echo "$present"))
  if [[ -n "$extra" ]]; then
    echo "libraries the gateway does not need:"
    echo "$extra"
    return 1
  fi
  echo "$(wc -l <<<"$present") shared objects in the image, all needed"
}
run_case only_needed_libraries only_needed_libraries

# Start it from the image alone, as the image's user, with only the environment given.
in_image() {
  # env -i drops PATH: the host's tools by their full paths.
  local chroot=("$(command -v chroot)" --userspec=65532:65532 "$work/rootfs")
  [[ $(id -u) == 0 ]] ||
    chroot=("$(command -v unshare)" --user --map-root-user "$(command -v chroot)" "$work/rootfs")
  env -i SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt "$@" "${chroot[@]}" \
    /usr/local/bin/databricks-gateway "${gateway_args[@]}"
}
starts_from_image() {
  local out
  gateway_args=(--help)
  out=$(in_image) || return 1
  head -5 <<<"$out"
}
check_config_in_image() {
  local out
  gateway_args=(--config=/etc/databricks-gateway/gateway.yaml --check)
  out=$(in_image DATABRICKS_TOKEN=dapi0123456789abcdef0123456789abcdef) || return 1
  head -3 <<<"$out"
}
run_case starts_from_image starts_from_image
# A loopback workspace: --check loads and validates, it connects to nothing.
cat >"$work/rootfs/etc/databricks-gateway/gateway.yaml" <<'YAML'
workspaces:
  - name: default
    host: https://127.0.0.1:8443
YAML
run_case check_config_in_image check_config_in_image
finish
