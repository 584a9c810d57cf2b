#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the standard Linux guest from Debian 12 packages: the distribution's kernel, untouched,
# and a small busybox initramfs whose /init reports what the kernel found and powers off.
#
#   samples/linux/build-guest.sh [OUTDIR]          (default: build/samples/linux)
#
# Outputs in OUTDIR: vmlinuz, initrd.cpio.gz, kernel-version.txt, config (the kernel's .config),
# kernel/ (the extracted package: lib/modules/<version>/... for later use).
# The .debs are cached in ${REWIND_CACHE:-$HOME/.cache/rewind}/debs, so a rebuild (or a build on
# a machine without network, once the cache is filled) fetches nothing. Idempotent: re-running
# with the same packages rewrites identical files. The initramfs is reproducible (fixed mtimes,
# owners and order; gzip -n), because recordings name their images by content hash.
#
# REWIND_GUEST_MODULES="e1000 ahci" adds those kernel modules and their dependencies to the
# initramfs; /init loads them in dependency order.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=${1:-$repo/build/samples/linux}
cache=${REWIND_CACHE:-$HOME/.cache/rewind}/debs
mkdir -p "$out" "$cache"
out=$(cd "$out" && pwd)

for tool in dpkg-deb cpio gzip; do
  if ! command -v "$tool" >/dev/null; then
    echo "build-guest: '$tool' is missing (scripts/setup installs it)" >&2
    exit 1
  fi
done

# The concrete kernel package behind the linux-image-amd64 metapackage, e.g.
# linux-image-6.1.0-56-amd64; the newest linux-image-6.1.0-NN-amd64 if the metapackage is unknown.
resolve_kernel_package() {
  local pkg
  pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
          awk '/Depends: linux-image-[0-9]/ { print $2; exit }') || true
  if [ -z "$pkg" ]; then
    pkg=$(apt-cache search --names-only '^linux-image-[0-9.]+-[0-9]+-amd64$' 2>/dev/null |
            awk '{ print $1 }' | sort -V | tail -n 1) || true
  fi
  echo "$pkg"
}

# Prints the path of the cached .deb for package $1, downloading it if the cache lacks the
# candidate version. Without apt metadata (offline), falls back to the newest cached version.
fetch_deb() {
  local pkg=$1 version file
  version=$(apt-cache show --no-all-versions "$pkg" 2>/dev/null |
              awk '/^Version:/ { print $2; exit }') || true
  if [ -n "$version" ]; then
    # apt-get download spells the epoch colon as %3a in file names.
    file="$cache/${pkg}_${version/:/%3a}_amd64.deb"
    if [ ! -s "$file" ]; then
      echo "build-guest: downloading $pkg $version" >&2
      (cd "$cache" && apt-get download -q -o APT::Sandbox::User=root "$pkg=$version" >&2)
    fi
  else
    file=$(find "$cache" -maxdepth 1 -name "${pkg}_*_amd64.deb" | sort -V | tail -n 1) || true
  fi
  if [ -z "$file" ] || [ ! -s "$file" ]; then
    echo "build-guest: cannot find package $pkg (run apt-get update, or fill $cache)" >&2
    exit 1
  fi
  echo "$file"
}

kernel_pkg=$(resolve_kernel_package)
if [ -z "$kernel_pkg" ]; then
  # Offline and no apt lists: use whatever kernel the cache holds.
  kernel_pkg=$(find "$cache" -maxdepth 1 -name 'linux-image-*-amd64_*.deb' | sort -V | tail -n 1 |
                 sed 's|.*/||; s|_.*||') || true
fi
[ -n "$kernel_pkg" ] || { echo "build-guest: no Debian kernel package found" >&2; exit 1; }
kernel_deb=$(fetch_deb "$kernel_pkg")
busybox_deb=$(fetch_deb busybox-static)
kernel_release=${kernel_pkg#linux-image-}
kernel_version=$(dpkg-deb -f "$kernel_deb" Version)

work=$(mktemp -d "$out/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The kernel: extracted once per package version (the tree is ~400 MB of modules).
stamp="$out/kernel/.package"
if [ "$(cat "$stamp" 2>/dev/null)" != "$kernel_pkg $kernel_version" ]; then
  rm -rf "$out/kernel"
  dpkg-deb -x "$kernel_deb" "$work/kernel"
  echo "$kernel_pkg $kernel_version" > "$work/kernel/.package"
  mv "$work/kernel" "$out/kernel"
fi
cp "$out/kernel/boot/vmlinuz-$kernel_release" "$work/vmlinuz"
cp "$out/kernel/boot/config-$kernel_release" "$work/config"

# The initramfs tree.
root="$work/root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,etc,tmp,root}
dpkg-deb -x "$busybox_deb" "$work/busybox"
install -m 0755 "$work/busybox/bin/busybox" "$root/bin/busybox"
# busybox --install needs to run inside the guest; the static binary runs on the host just as
# well, so ask it for its applets and make the links here. --list-full names each applet's
# directory (bin/sh, sbin/poweroff, usr/bin/awk...).
"$root/bin/busybox" --list-full | while read -r applet; do
  [ "$applet" = bin/busybox ] && continue
  mkdir -p "$root/$(dirname "$applet")"
  ln -sf /bin/busybox "$root/$applet"
done
install -m 0755 "$here/init" "$root/init"

# Optional modules, each after the modules it depends on (the .ko's modinfo "depends=").
modules_dir="$out/kernel/lib/modules/$kernel_release"
declare -A added=()
add_module() {
  local name=$1 file dep
  [ -n "${added[$name]:-}" ] && return 0
  added[$name]=1
  if grep -q -E "/${name//-/[-_]}\.ko\$" "$modules_dir/modules.builtin" 2>/dev/null; then
    return 0  # built into the kernel
  fi
  file=$(find "$modules_dir/kernel" \( -name "$name.ko" -o -name "${name//_/-}.ko" \) \
           -print -quit)
  [ -n "$file" ] || { echo "build-guest: no module '$name' in $kernel_pkg" >&2; exit 1; }
  for dep in $(tr '\0' '\n' < "$file" | sed -n 's/^depends=//p' | tr ',' ' '); do
    add_module "$dep"
  done
  mkdir -p "$root/lib/modules"
  cp "$file" "$root/lib/modules/"
  echo "/lib/modules/$(basename "$file")" >> "$root/etc/rewind-modules"
}
for module in ${REWIND_GUEST_MODULES:-}; do
  add_module "$module"
done

# newc cpio, reproducible: sorted names, root-owned, one fixed mtime.
find "$root" -exec touch -h -d @0 {} +
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
   cpio --quiet -o -H newc -R 0:0 --reproducible) | gzip -n -9 > "$work/initrd.cpio.gz"

echo "$kernel_pkg $kernel_version" > "$work/kernel-version.txt"
for f in vmlinuz config initrd.cpio.gz kernel-version.txt; do
  # Replace only on change, so make-style consumers see stable timestamps.
  cmp -s "$work/$f" "$out/$f" || mv "$work/$f" "$out/$f"
done
echo "build-guest: $kernel_pkg $kernel_version -> $out/{vmlinuz,initrd.cpio.gz}"
