#!/usr/bin/env bash
# Stages the gateway's image root filesystem in DIR: the binary, exactly the shared
# libraries the dynamic loader resolves for it (ldd) at the paths it resolves them to, the
# loader itself, CA certificates for TLS to Databricks, and the non-root user 65532.
# Used by build.sh (buildah, offline) and by deploy/Containerfile.
#   stage-rootfs.sh GATEWAY_BINARY DIR
set -euo pipefail
if (($# != 2)); then
  echo "usage: $0 GATEWAY_BINARY DIR" >&2
  exit 2
fi
binary=$1
root=$2
[[ -x "$binary" ]] || { echo "not an executable: $binary" >&2; exit 2; }

mkdir -p "$root/usr/local/bin" "$root/etc/ssl/certs" "$root/etc/databricks-gateway" "$root/tmp"
chmod 1777 "$root/tmp"
install -m 0755 "$binary" "$root/usr/local/bin/databricks-gateway"

# ldd prints "name => /path (addr)" for each library and "/path (addr)" for the loader.
ldd "$binary" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' |
  while read -r library; do
    mkdir -p "$root$(dirname "$library")"
    cp -L "$library" "$root$library"
  done
if ldd "$binary" | grep -q 'not found'; then
  echo "unresolved libraries:" >&2
  ldd "$binary" | grep 'not found' >&2
  exit 1
fi

cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
# Name resolution (Redis, Databricks) through glibc: files, then DNS.
printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
printf 'root:x:0:0:root:/:/nonexistent\nnonroot:x:65532:65532:databricks-gateway:/nonexistent:/nonexistent\n' \
  >"$root/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' >"$root/etc/group"
