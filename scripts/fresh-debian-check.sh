#!/usr/bin/env bash
# The README's two commands on a plain Debian 12 machine: debootstrap minbase plus make, g++, git
# and ca-certificates, nothing else of this machine's image. Catches install steps that
# scripts/deps.sh misses and that a developer's image hides. Slow (it installs everything from
# scratch), so CI does not run it; run it, as root, before changing dependencies.
#
#   scripts/fresh-debian-check.sh [ROOT_DIR]      default /var/tmp/slipway-fresh-debian
#
# It clones the current commit (HEAD) of this checkout into the chroot and runs `make run`, then
# `make test`, there. The chroot is kept for a look afterwards; delete ROOT_DIR to start afresh.
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "fresh-debian-check: run as root (it uses debootstrap and chroot)" >&2; exit 2; }
src=$(cd "$(dirname "$0")/.." && pwd)
commit=$(git -C "$src" rev-parse HEAD)  # fixed now: commits made while this runs are not tested
root=${1:-/var/tmp/slipway-fresh-debian}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

command -v debootstrap > /dev/null || apt-get install -y -qq debootstrap
if [ ! -x "$root/usr/bin/make" ]; then
  echo "fresh-debian-check: debootstrap bookworm (minbase) into $root"
  debootstrap --variant=minbase --include=make,g++,git,ca-certificates bookworm "$root" "$mirror"
fi

mounted=()
mount_in() {  # mount_in TARGET MOUNT-ARGS...
  local target=$root/$1
  shift
  mkdir -p "$target"
  mountpoint -q "$target" || mount "$@" "$target"
  mounted=("$target" "${mounted[@]}")
}
cleanup() { for m in "${mounted[@]}"; do umount -l "$m" 2> /dev/null || true; done; }
trap cleanup EXIT
# The root itself a mount point, as on a real machine: util-linux's `unshare --mount` (the
# private mounts of a KFP step's volumes) makes / private, which a plain directory refuses.
mount_in "" --bind "$root"
mount_in proc -t proc proc
mount_in sys -t sysfs sysfs
# The host's cgroup mounts as they are (v1, v2 or hybrid): slurmd refuses a cgroup2 mount whose
# /proc/self/cgroup still lists v1 hierarchies ("Hybrid mode is not supported").
mount_in sys/fs/cgroup --rbind /sys/fs/cgroup
mount_in dev --rbind /dev
mount_in dev/shm -t tmpfs tmpfs
mount_in tmp -t tmpfs tmpfs
# The corpora the corpus tests read sit at ../shared from a checkout; bind them read-only.
if [ -d "$src/../shared/corpora" ]; then
  mount_in work/shared --bind "$(cd "$src/../shared" && pwd)"
  mount -o remount,bind,ro "$root/work/shared"
fi

# What a freshly installed machine gets from its installer: a name, name resolution, and the
# site's CA bundle and pip settings (a proxy that re-signs TLS needs both).
cp /etc/hosts /etc/resolv.conf "$root/etc/"
echo "$(hostname)" > "$root/etc/hostname"
[ -f /etc/pip.conf ] && cp /etc/pip.conf "$root/etc/pip.conf"
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"

rm -rf "$root/work/slipway"
mkdir -p "$root/work"
git clone -q --no-local "$src" "$root/work/slipway"
git -C "$root/work/slipway" checkout -q "$commit"

run_in() {
  chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    bash -c "cd /work/slipway && $1"
}
start=$(date +%s)
run_in "make run" || { echo "fresh-debian-check: make run FAILED on plain Debian 12" >&2; exit 1; }
echo "fresh-debian-check: make run passed ($(($(date +%s) - start)) s)"
start=$(date +%s)
run_in "make test" || { echo "fresh-debian-check: make test FAILED on plain Debian 12" >&2; exit 1; }
echo "fresh-debian-check: make run and make test passed on plain Debian 12 ($(($(date +%s) - start)) s for make test)"
