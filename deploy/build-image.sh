#!/usr/bin/env bash
# Builds the porpoise container image, offline: `FROM scratch` (no base image is pulled) with a
# statically linked porpoise and a static busybox for `sh` and the few tools that the compose
# entrypoints and healthchecks use.
#
#   deploy/build-image.sh [--tag NAME:TAG]... [--binary PATH]
#
# Default: `cargo build --release` of a static binary (glibc, crt-static) and the tags
# porpoise:<version> and porpoise:latest. `--binary PATH` packs an existing porpoise binary
# instead (no build); a dynamically linked one gets its loader and libraries copied beside it,
# which is how CI makes an image from the debug binary it has already built.
#
# Layout (as DolphinDB's image, so its compose projects run unchanged with IMAGE=porpoise:TAG):
#   /data/ddb/server/dolphindb        porpoise
#   /data/ddb/server/dolphindb.dos    the system script (-script dolphindb.dos), empty
#   /data/ddb/server/clusterDemo/{config,data,log}   mount points of the compose projects
#   /bin/busybox and its applets (sh, nc, wget, ps, ...), /bin/ddb-health (healthchecks)
# A mounted /data/ddb/server/dolphindb.lic is accepted and ignored: porpoise needs no licence.
#
# Needs: cargo (unless --binary), docker, and a static busybox (Debian: busybox-static, installed
# here with apt-get when missing; or BUSYBOX=/path/to/static/busybox).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

tags=()
binary=""
while [ $# -gt 0 ]; do
    case "$1" in
        --tag) tags+=("$2"); shift 2 ;;
        --binary) binary="$2"; shift 2 ;;
        -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
version=$(sed -n 's/^version *= *"\(.*\)"/\1/p' Cargo.toml | head -n 1)
if [ ${#tags[@]} -eq 0 ]; then
    tags=("porpoise:$version" "porpoise:latest")
fi

# A static busybox: Debian's busybox-static puts it at /bin/busybox.
busybox=${BUSYBOX:-/bin/busybox}
# (`ldd` lists no library `=>` a path for a static executable.)
dynamic() {
    case "$(ldd "$1" 2>/dev/null || true)" in *"=>"*) return 0 ;; *) return 1 ;; esac
}
if ! [ -x "$busybox" ] || dynamic "$busybox"; then
    if [ -z "${BUSYBOX:-}" ] && command -v apt-get >/dev/null; then
        echo "== installing busybox-static"
        apt-get install -y -qq busybox-static >/dev/null 2>&1 ||
            { apt-get update -qq >/dev/null && apt-get install -y -qq busybox-static >/dev/null; }
    fi
fi
if ! [ -x "$busybox" ] || dynamic "$busybox"; then
    echo "no static busybox at $busybox: install busybox-static or set BUSYBOX=" >&2
    exit 1
fi

if [ -z "$binary" ]; then
    echo "== cargo build --release (static)"
    target=x86_64-unknown-linux-gnu
    # An explicit --target keeps RUSTFLAGS off build scripts and proc macros (they stay dynamic).
    RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static" \
        cargo build --release -p porpoise --target "$target"
    binary="${CARGO_TARGET_DIR:-$repo/target}/$target/release/porpoise"
fi
if ! [ -x "$binary" ]; then
    echo "no porpoise binary at $binary" >&2
    exit 1
fi

# The build context is a small staging directory (never target/).
stage=$(mktemp -d "${TMPDIR:-/tmp}/porpoise-image.XXXXXX")
trap 'rm -rf "$stage"' EXIT
root=$stage/rootfs
server=$root/data/ddb/server
mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$server/clusterDemo/config" \
    "$server/clusterDemo/data" "$server/clusterDemo/log"
chmod 1777 "$root/tmp"

if command -v strip >/dev/null; then
    strip -o "$server/dolphindb" "$binary"
else
    cp "$binary" "$server/dolphindb"
fi
chmod 755 "$server/dolphindb"

# A dynamically linked binary (e.g. CI's debug build): its loader and libraries go along.
if dynamic "$binary"; then
    echo "== $binary is dynamically linked: copying its libraries"
    ldd "$binary" | awk '/=> \//{print $3} /^[ \t]*\/[^ ]*ld-linux/{print $1}' | while read -r lib; do
        mkdir -p "$root$(dirname "$lib")"
        cp -L "$lib" "$root$lib"
    done
fi

cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
    [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
done

cat >"$root/bin/ddb-health" <<'EOF'
#!/bin/sh
# ddb-health PORT...: healthy when every node listening on 127.0.0.1:PORT answers HTTP 200
# (the node's one port serves HTTP beside the binary API).
[ $# -gt 0 ] || { echo "usage: ddb-health PORT..." >&2; exit 2; }
for port in "$@"; do
    status=$(printf 'GET /metrics HTTP/1.0\r\n\r\n' | nc -w 3 127.0.0.1 "$port" 2>/dev/null | head -n 1)
    case "$status" in
        *" 200 "*) ;;
        *) echo "port $port: no answer"; exit 1 ;;
    esac
done
echo "ok $*"
EOF
chmod 755 "$root/bin/ddb-health"

printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\n' >"$root/etc/group"
cat >"$server/dolphindb.dos" <<'EOF'
// The system script: every node runs it at start (-script dolphindb.dos).
EOF

cat >"$stage/Dockerfile" <<EOF
FROM scratch
COPY rootfs/ /
ENV PATH=/bin
WORKDIR /data/ddb/server
LABEL org.opencontainers.image.title="porpoise" org.opencontainers.image.version="$version"
# Without a compose entrypoint: a standalone node on 8848, as DolphinDB's image.
ENTRYPOINT ["sh", "-c", "cd /data/ddb/server; exec ./dolphindb -console 0 -stdoutLog 1 -home data -script dolphindb.dos"]
EOF

echo "== docker build ($(du -sh "$stage" | cut -f1) context)"
tag_args=()
for t in "${tags[@]}"; do tag_args+=(-t "$t"); done
docker build -q "${tag_args[@]}" "$stage" >/dev/null
# The binary must start inside the image (a missing loader or library shows here, not later).
if ! docker run --rm --entrypoint /data/ddb/server/dolphindb "${tags[0]}" --version >/dev/null; then
    echo "the image ${tags[0]} cannot run porpoise" >&2
    exit 1
fi
for t in "${tags[@]}"; do
    echo "built $t ($(docker image inspect -f '{{.Size}}' "$t" | awk '{printf "%.1f MB", $1/1e6}'))"
done
