#!/usr/bin/env bash
# Builds the gateway's OCI image offline with buildah (no Docker engine, no registry): FROM
# scratch plus the root filesystem of stage-rootfs.sh, running as user 65532. Writes an OCI
# archive that `podman load`, `skopeo copy` or a cluster's registry import take as is.
#   deploy/image/build.sh [--binary PATH] [--output FILE] [--tag TAG]
# Without --binary it builds //server:gateway with -c opt first. buildah's storage is a
# scratch directory that is removed afterwards (vfs driver: no overlay mounts needed).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

binary=""
output=databricks-gateway.oci.tar
tag=0.1.0
while (($#)); do
  case $1 in
    --binary) binary=$2; shift 2 ;;
    --output) output=$2; shift 2 ;;
    --tag) tag=$2; shift 2 ;;
    -h | --help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
command -v buildah >/dev/null || { echo "buildah is not installed (make deps installs it)" >&2; exit 1; }
if [[ -z "$binary" ]]; then
  binary=$(cd "$here/../.." && bazel build -c opt //server:gateway >&2 &&
    echo "$(bazel info -c opt bazel-bin)/server/gateway")
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$here/stage-rootfs.sh" "$binary" "$work/rootfs"

buildah=(buildah --storage-driver vfs --root "$work/storage" --runroot "$work/run")
container=$("${buildah[@]}" from scratch)
"${buildah[@]}" copy "$container" "$work/rootfs/" / >/dev/null
"${buildah[@]}" config \
  --user 65532:65532 \
  --workingdir / \
  --env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
  --entrypoint '["/usr/local/bin/databricks-gateway"]' \
  --cmd '--config=/etc/databricks-gateway/gateway.yaml' \
  --port 50051/tcp --port 9090/tcp \
  --stop-signal SIGTERM \
  --label org.opencontainers.image.title=databricks-gateway \
  --label "org.opencontainers.image.version=$tag" \
  "$container"
"${buildah[@]}" commit --quiet --format oci "$container" "databricks-gateway:$tag" >/dev/null
rm -f "$output"
"${buildah[@]}" push --quiet "databricks-gateway:$tag" "oci-archive:$output:databricks-gateway:$tag"
"${buildah[@]}" rm "$container" >/dev/null
echo "wrote $output (databricks-gateway:$tag)"
