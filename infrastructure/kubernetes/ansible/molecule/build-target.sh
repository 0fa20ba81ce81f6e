#!/bin/sh
# Build, once, the Debian bookworm root that every molecule scenario of this folder copies and
# drives through the community.general.chroot connection (no containers on this kind of machine).
#
#   build-target.sh [ROOT]      ROOT defaults to $MOJALOOP_PERF_MOLECULE_ROOT or
#                               /var/cache/mojaloop_perf/molecule-bookworm
#
# Prints "built ROOT" or "cached ROOT". Needs root (debootstrap and chroot do) and the Debian mirror
# ($MOJALOOP_PERF_DEBIAN_MIRROR, default http://deb.debian.org/debian). Safe to run concurrently: a lock
# serialises builders and the root appears only when complete (built aside, then renamed).
set -eu

# Bump when the recipe below changes: a cached root with another stamp is rebuilt.
RECIPE=3
SUITE=bookworm
INCLUDE=python3,python3-apt

root=${1:-${MOJALOOP_PERF_MOLECULE_ROOT:-/var/cache/mojaloop_perf/molecule-bookworm}}
mirror=${MOJALOOP_PERF_DEBIAN_MIRROR:-http://deb.debian.org/debian}
stamp="$SUITE minbase $INCLUDE recipe-$RECIPE"

if [ "$(id -u)" != 0 ]; then
    echo "build-target.sh: debootstrap and chroot need root; run molecule as root (uid 0), this is uid $(id -u)" >&2
    exit 1
fi
if ! command -v debootstrap >/dev/null 2>&1; then
    echo "build-target.sh: debootstrap is not installed (apt-get install debootstrap)" >&2
    exit 1
fi

mkdir -p "$(dirname "$root")"
exec 9>"$root.lock"
flock 9

if [ -f "$root/.mlperf-target" ] && [ "$(cat "$root/.mlperf-target")" = "$stamp" ]; then
    echo "cached $root"
    exit 0
fi

tmp="$root.building.$$"
trap 'rm -rf "$tmp"' EXIT
rm -rf "$root".building.*
debootstrap --variant=minbase --include="$INCLUDE" "$SUITE" "$tmp" "$mirror" >"$tmp.log" 2>&1 || {
    tail -n 20 "$tmp.log" >&2
    rm -f "$tmp.log"
    echo "build-target.sh: debootstrap $SUITE from $mirror failed" >&2
    exit 1
}
rm -f "$tmp.log"

# Never start services from package scripts inside the chroot: they would run on this machine.
printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
chmod 0755 "$tmp/usr/sbin/policy-rc.d"
# Package lists, so the roles' apt tasks find packages without a first update; drop the .debs.
chroot "$tmp" apt-get -qq update >/dev/null
chroot "$tmp" apt-get -qq clean
echo "$stamp" >"$tmp/.mlperf-target"

rm -rf "$root"
mv "$tmp" "$root"
trap - EXIT
echo "built $root"
