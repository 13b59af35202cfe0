#!/bin/sh
# tests/install_check.sh: prove that an installed orca can be used from
# outside the tree, the way the README ("Using the library") says.
#
# Every command a user would type is run through readme(), which first
# checks that the line is in README.md verbatim (a whole line) and then
# evaluates it: the README and this check cannot drift apart. HOME points
# at a temp dir, so the README's `make install PREFIX=$HOME/opt/orca` is a
# real install into a prefix that is not on the default paths (no DESTDIR,
# nothing deleted afterwards: liborca.a and liborca.so sit side by side).
#
# Checks:
#   - the installed files (orcad and orcactl in bin/ too), the soname chain lib.so -> .so.SOVER -> .so.VERSION
#     for liborca and liborca-uv, and the four .pc files;
#   - the ABI: every dynamic symbol liborca.so defines starts with orca_, and
#     every one liborca-uv.so defines with orca_uv_; liborca.so does not need
#     libuv, liborca.a has no uv.o, orca.pc requires no libuv;
#   - shared: the README's line, run with LD_LIBRARY_PATH and with an rpath;
#     the program needs liborca.so.SOVER, and nothing (even indirectly) of
#     libuv;
#   - static: the README's line; the program needs no liborca at all;
#   - the libuv adapter through pkg-config orca-uv, shared and static;
#   - `make install DESTDIR=...` stages under DESTDIR with the PREFIX paths.
# Each program prints orca's version and creates and frees an engine.
#
# Usage: tests/install_check.sh   (from anywhere; uses the tree it is in)
# Env: MAKE (default make; used only for the DESTDIR check), KEEP=1 keeps
# the temp dir.
set -eu

cd "$(dirname "$0")/.."
top=$(pwd)
MAKE=${MAKE:-make}
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
major=${version%%.*}
minor=${version#*.}
minor=${minor%%.*}
if [ "$major" = 0 ]; then sover=0.$minor; else sover=$major; fi

# readme <dir> <line>: run one README line, verbatim, in <dir>, in this
# shell (so that its `export` holds for the next lines); output in $tmp/out.
readme() {
    dir=$1 line=$2
    grep -Fxq -- "$line" README.md || fail "README.md has no line: $line"
    echo "install_check: \$ $line"
    cd "$dir"
    eval "$line" >"$tmp/out" 2>&1 || { cat "$tmp/out" >&2; cd "$top"; fail "$line"; }
    cd "$top"
    sed 's/^/  /' "$tmp/out"
}

needed() { # the DT_NEEDED entries of an ELF file
    LC_ALL=C readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'
}

soname() {
    LC_ALL=C readelf -d "$1" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p'
}

# ran <name>: the program's output ($tmp/out) says the right version
ran() {
    grep -qx "orca $version" "$tmp/out" || fail "$1 did not print 'orca $version'"
}

work=$tmp/work
mkdir -p "$work" "$tmp/home"
HOME=$tmp/home
export HOME
unset PKG_CONFIG_PATH LD_LIBRARY_PATH 2>/dev/null || true

cat >"$work/app.c" <<'APP'
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

cat >"$work/app_uv.c" <<'APP'
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

# 1. Install into a prefix off the default paths, as the README says.
readme "$top" 'make install PREFIX=$HOME/opt/orca'
prefix=$HOME/opt/orca
lib=$prefix/lib
for f in include/orca.h include/orca/uv.h; do
    [ -f "$prefix/$f" ] || fail "not installed: $f"
done
[ -x "$prefix/bin/orcad" ] || fail "not installed: bin/orcad"
"$prefix/bin/orcad" --version | grep -q "liborca $version" || fail "installed orcad --version"
[ -x "$prefix/bin/orcactl" ] || fail "not installed: bin/orcactl"
"$prefix/bin/orcactl" --help | grep -q "usage: orcactl" || fail "installed orcactl --help"
for l in liborca liborca-uv; do
    [ -f "$lib/$l.a" ] || fail "not installed: lib/$l.a"
    [ -f "$lib/$l.so.$version" ] && [ ! -L "$lib/$l.so.$version" ] ||
        fail "not installed: lib/$l.so.$version"
    [ "$(readlink "$lib/$l.so.$sover")" = "$l.so.$version" ] ||
        fail "lib/$l.so.$sover is not a link to $l.so.$version"
    [ "$(readlink "$lib/$l.so")" = "$l.so.$sover" ] ||
        fail "lib/$l.so is not a link to $l.so.$sover"
    [ "$(soname "$lib/$l.so.$version")" = "$l.so.$sover" ] ||
        fail "$l.so.$version has soname '$(soname "$lib/$l.so.$version")', not $l.so.$sover"
done
for pc in orca orca-static orca-uv orca-uv-static; do
    [ -f "$lib/pkgconfig/$pc.pc" ] || fail "not installed: lib/pkgconfig/$pc.pc"
done

# 2. The ABI: only the public API is exported, and liborca is free of libuv.
exports() { # exports <lib> <prefix>: every defined dynamic symbol has it
    bad=$(LC_ALL=C nm -D --defined-only "$1" | awk '{print $NF}' | grep -v "^$2" || true)
    [ -z "$bad" ] || fail "$(basename "$1") exports symbols without the $2 prefix: $(echo $bad)"
    n=$(LC_ALL=C nm -D --defined-only "$1" | wc -l)
    [ "$n" -gt 0 ] || fail "$(basename "$1") exports nothing"
    echo "install_check: $(basename "$1"): $n exported symbols, all $2*"
}
exports "$lib/liborca.so.$version" orca_
exports "$lib/liborca-uv.so.$version" orca_uv_
if needed "$lib/liborca.so.$version" | grep -q libuv; then
    fail "liborca.so needs libuv: $(needed "$lib/liborca.so.$version" | tr '\n' ' ')"
fi
needed "$lib/liborca-uv.so.$version" | grep -qx "liborca.so.$sover" ||
    fail "liborca-uv.so does not need liborca.so.$sover"
needed "$lib/liborca-uv.so.$version" | grep -q '^libuv' ||
    fail "liborca-uv.so does not need libuv"
if ar t "$lib/liborca.a" | grep -q '^uv\.o$'; then
    fail "liborca.a contains uv.o"
fi
ar t "$lib/liborca-uv.a" | grep -q '^uv\.o$' || fail "liborca-uv.a has no uv.o"

readme "$work" 'export PKG_CONFIG_PATH=$HOME/opt/orca/lib/pkgconfig'
got=$(pkg-config --modversion orca) || fail "pkg-config cannot find orca"
[ "$got" = "$version" ] || fail "pkg-config says version $got, orca.h says $version"
if pkg-config --print-requires --print-requires-private orca | grep -q libuv; then
    fail "orca.pc requires libuv"
fi
if pkg-config --static --libs orca | grep -q -- -luv; then
    fail "pkg-config --static --libs orca names libuv"
fi

# 3. Shared, run with LD_LIBRARY_PATH, then built with an rpath.
readme "$work" 'cc app.c $(pkg-config --cflags --libs orca) -o app'
needed "$work/app" | grep -qx "liborca.so.$sover" || fail "app does not need liborca.so.$sover"
readme "$work" 'LD_LIBRARY_PATH=$HOME/opt/orca/lib ./app'
ran app
deps=$(LD_LIBRARY_PATH=$lib ldd "$work/app")
echo "$deps" | grep -q "liborca.so.$sover => $lib/liborca.so.$sover" ||
    fail "app did not load $lib/liborca.so.$sover: $deps"
if echo "$deps" | grep -q libuv; then
    fail "app uses only orca.h but loads libuv: $deps"
fi
readme "$work" 'cc app.c $(pkg-config --cflags --libs orca) -Wl,-rpath,$HOME/opt/orca/lib -o app'
readme "$work" './app'
ran app

# 4. Static, with liborca.so right next to liborca.a.
readme "$work" 'cc app.c $(pkg-config --cflags --libs orca-static) -o app           # static'
if needed "$work/app" | grep -q -e liborca -e libuv; then
    fail "static app needs: $(needed "$work/app" | tr '\n' ' ')"
fi
readme "$work" './app'
ran app

# 5. The libuv adapter, shared and static.
readme "$work" 'cc app_uv.c $(pkg-config --cflags --libs orca-uv) -o app_uv         # with the libuv adapter'
needed "$work/app_uv" | grep -qx "liborca-uv.so.$sover" || fail "app_uv does not need liborca-uv.so.$sover"
LD_LIBRARY_PATH=$lib "$work/app_uv" >"$tmp/out" 2>&1 || { cat "$tmp/out"; fail "app_uv exited with $?"; }
sed 's/^/  /' "$tmp/out"
ran app_uv
readme "$work" 'cc app_uv.c $(pkg-config --cflags --libs orca-uv-static) -o app_uv  # the same, orca static'
if needed "$work/app_uv" | grep -q liborca; then
    fail "static app_uv needs: $(needed "$work/app_uv" | tr '\n' ' ')"
fi
"$work/app_uv" >"$tmp/out" 2>&1 || { cat "$tmp/out"; fail "static app_uv exited with $?"; }
sed 's/^/  /' "$tmp/out"
ran app_uv

# 6. Packagers stage with DESTDIR: files under it, paths in the .pc without.
$MAKE --no-print-directory install PREFIX=/usr/local DESTDIR="$tmp/stage" >"$tmp/out" 2>&1 ||
    { cat "$tmp/out" >&2; fail "make install DESTDIR=$tmp/stage"; }
[ -L "$tmp/stage/usr/local/lib/liborca-uv.so.$sover" ] || fail "DESTDIR stage lacks liborca-uv.so.$sover"
grep -qx 'libdir=/usr/local/lib' "$tmp/stage/usr/local/lib/pkgconfig/orca.pc" ||
    fail "staged orca.pc does not say libdir=/usr/local/lib"

echo "install_check: OK (orca $version, soname .$sover: custom prefix, shared, rpath, static, libuv adapter shared and static, DESTDIR)"
