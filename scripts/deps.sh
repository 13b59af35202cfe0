#!/bin/sh
# Make sure the build dependencies are installed. Installs them with apt-get
# when we can (root, or passwordless sudo); otherwise stops and prints the
# exact command to run. Usage: scripts/deps.sh [extra-debian-packages...]
set -e
need=""
have_pc() { pkg-config --exists "$1" 2>/dev/null; }
command -v pkg-config >/dev/null 2>&1 || need="$need pkg-config"
command -v gcc >/dev/null 2>&1 || need="$need gcc"
have_pc libuv || need="$need libuv1-dev"
have_pc cmocka || need="$need libcmocka-dev"
[ -f /usr/include/xxhash.h ] || need="$need libxxhash-dev"
for p in "$@"; do
    dpkg -s "$p" >/dev/null 2>&1 || need="$need $p"
done
[ -z "$need" ] && exit 0
echo "orca: installing missing packages:$need"
if [ "$(id -u)" = 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO=none; fi
if [ "$SUDO" != none ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get install -y $need >/dev/null 2>&1 ||
        { $SUDO apt-get update >/dev/null 2>&1 && $SUDO apt-get install -y $need >/dev/null; } && exit 0
fi
echo "orca: could not install them; run:" >&2
echo "    sudo apt-get install -y$need" >&2
exit 1
