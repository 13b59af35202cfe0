#!/bin/sh
# tests/install_check.sh: prove that an installed orca can be used from
# outside the tree.
#
# Stages `make install PREFIX=/usr/local DESTDIR=<tmp>` twice, then, with
# pkg-config pointed at the staged orca.pc (PKG_CONFIG_SYSROOT_DIR=<stage>):
#   1. shared: cc app.c $(pkg-config --cflags --libs orca), run with
#      LD_LIBRARY_PATH at the staged lib; it must load the staged liborca.so;
#   2. static: the same with `pkg-config --static`, in a stage without
#      liborca.so, so -lorca can only be liborca.a and Libs.private /
#      Requires.private must name everything it needs; the program must not
#      need liborca.so at all;
#   3. the libuv adapter: app_uv.c includes <orca/uv.h> and attaches an
#      engine to a loop, built with $(pkg-config --cflags --libs orca libuv).
# Each program prints orca's version and creates and frees an engine.
#
# Usage: tests/install_check.sh   (from anywhere; uses the tree it is in)
# Env: CC (default cc), MAKE (default make), KEEP=1 keeps the temp dir.
set -eu

cd "$(dirname "$0")/.."
CC=${CC:-cc}
MAKE=${MAKE:-make}
prefix=/usr/local
tmp=$(mktemp -d "${TMPDIR:-/tmp}/orca-install.XXXXXX")
if [ "${KEEP:-0}" = 1 ]; then
    echo "install_check: keeping $tmp"
else
    trap 'rm -rf "$tmp"' EXIT
    trap 'exit 1' INT TERM HUP
fi

fail() { echo "install_check: FAIL: $*" >&2; exit 1; }
version=$(sed -n 's/^#define ORCA_VERSION_STRING "\(.*\)"$/\1/p' include/orca.h)
[ -n "$version" ] || fail "no ORCA_VERSION_STRING in include/orca.h"

stage() { # stage <dir>: make install into it
    if ! $MAKE --no-print-directory install PREFIX=$prefix DESTDIR="$1" \
        >"$tmp/install.log" 2>&1; then
        cat "$tmp/install.log" >&2
        fail "make install DESTDIR=$1"
    fi
}

shared=$tmp/shared
static=$tmp/static
stage "$shared"
stage "$static"
rm -f "$static$prefix"/lib/liborca.so*

lib=$shared$prefix/lib
for f in include/orca.h include/orca/uv.h lib/liborca.a lib/pkgconfig/orca.pc \
    "lib/liborca.so.$version"; do
    [ -f "$shared$prefix/$f" ] || fail "not installed: $prefix/$f"
done
for l in liborca.so liborca.so.0; do
    if [ ! -L "$lib/$l" ] || [ ! -e "$lib/$l" ]; then
        fail "missing or dangling symlink: $prefix/lib/$l"
    fi
done

# pkg-config against a stage: its .pc first, then the system's (for libuv).
pc() { # pc <stage> args...
    root=$1
    shift
    PKG_CONFIG_PATH="$root$prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}" \
        PKG_CONFIG_SYSROOT_DIR="$root" pkg-config "$@"
}
got=$(pc "$shared" --modversion orca) || fail "pkg-config cannot find orca"
[ "$got" = "$version" ] || fail "pkg-config says version $got, orca.h says $version"

cat >"$tmp/app.c" <<'APP'
#include <stdio.h>
#include <string.h>
#include <orca.h>

int main(void)
{
    orca_engine *e = NULL;
    orca_config cfg;
    int rc;
    printf("orca %s\n", orca_version());
    if (strcmp(orca_version(), ORCA_VERSION_STRING) != 0) {
        fprintf(stderr, "header says %s, library says %s\n",
                ORCA_VERSION_STRING, orca_version());
        return 1;
    }
    orca_config_init(&cfg);
    cfg.start_ms = 1000;
    rc = orca_engine_new(&cfg, &e);
    if (rc != ORCA_OK || e == NULL) {
        fprintf(stderr, "orca_engine_new: %s\n", orca_strerror(rc));
        return 1;
    }
    if (orca_engine_now(e) != 1000) {
        fprintf(stderr, "engine clock %llu\n", (unsigned long long)orca_engine_now(e));
        return 1;
    }
    orca_engine_free(e);
    printf("engine created and freed\n");
    return 0;
}
APP

cat >"$tmp/app_uv.c" <<'APP'
#include <stdio.h>
#include <orca.h>
#include <orca/uv.h>

static void done(orca_uv *u, void *arg)
{
    (void)u;
    *(int *)arg = 1;
}

int main(void)
{
    uv_loop_t loop;
    orca_engine *e = NULL;
    orca_uv *u = NULL;
    int closed = 0;
    printf("orca %s\n", orca_version());
    if (uv_loop_init(&loop) != 0 || orca_engine_new(NULL, &e) != ORCA_OK ||
        orca_uv_new(&loop, e, &u) != ORCA_OK || orca_uv_kick(u) != ORCA_OK)
        return 1;
    orca_uv_close(u, done, &closed);
    uv_run(&loop, UV_RUN_DEFAULT);
    orca_engine_free(e);
    if (!closed || uv_loop_close(&loop) != 0)
        return 1;
    printf("engine attached to a uv loop and detached\n");
    return 0;
}
APP

# orca.h is plain C11; <orca/uv.h> includes <uv.h>, which needs POSIX
# declarations, so app_uv.c is built in the compiler's default dialect.
WARN="-Wall -Wextra -Werror"

# build <name> <stage> <src> <pkg-config args...>
build() {
    name=$1 root=$2 src=$3
    shift 3
    flags=$(pc "$root" "$@") || fail "pkg-config $*"
    echo "install_check: $CC $src $flags"
    # shellcheck disable=SC2086 # flags are a list of words
    $CC $WARN $STD "$tmp/$src" $flags -o "$tmp/$name" || fail "cannot build $name"
}

run() { # run <name> <ld-library-path or empty>
    name=$1
    if [ -n "$2" ]; then
        out=$(LD_LIBRARY_PATH="$2${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$tmp/$name") ||
            fail "$name exited with $?"
    else
        out=$("$tmp/$name") || fail "$name exited with $?"
    fi
    printf '%s\n' "$out" | sed "s/^/  $name: /"
    printf '%s\n' "$out" | grep -qx "orca $version" || fail "$name did not print 'orca $version'"
}

needed() { # the DT_NEEDED entries of a binary
    LC_ALL=C readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'
}

# 1. shared
STD=-std=c11
build app "$shared" app.c --cflags --libs orca
needed "$tmp/app" | grep -qx liborca.so.0 || fail "app does not need liborca.so.0"
run app "$lib"
LD_LIBRARY_PATH="$lib" ldd "$tmp/app" | grep -q "$lib/liborca.so.0" ||
    fail "app did not load the staged liborca.so.0"

# 2. static
build app_static "$static" app.c --static --cflags --libs orca
if needed "$tmp/app_static" | grep -q liborca; then
    fail "app_static still needs a shared liborca"
fi
run app_static ""

# 3. the libuv adapter, shared and static
STD=
build app_uv "$shared" app_uv.c --cflags --libs orca libuv
run app_uv "$lib"
build app_uv_static "$static" app_uv.c --static --cflags --libs orca libuv
run app_uv_static ""

echo "install_check: OK (orca $version: shared, static, libuv adapter)"
