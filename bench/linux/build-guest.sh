#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# build-guest.sh OUT_DIR: build the Linux reference guest `make bench`
# boots next to unisr, from Debian's own packages, without installing
# any of them on the host.
#
# Produces, in OUT_DIR:
#   vmlinuz             the kernel of Debian's linux-image-amd64 (the real
#                       package it depends on, e.g. linux-image-6.1.0-57-amd64)
#   initramfs.cpio.gz   busybox-static, the virtio-net modules the kernel
#                       does not build in (with their dependencies, in
#                       modules.dep order), iperf, iperf3, ethtool and the
#                       shared libraries they need, bench/linux/echod
#                       (built here, static) and bench/linux/init as /init
#   versions.json       the Debian versions of the kernel and the tools
#   debs/               the .debs, fetched with `apt-get download`
#   stamp               the inputs of the last build (package versions,
#                       hashes of this script, init and echod.c, the host
#                       gcc); when it matches and the image is there, the
#                       script returns at once
#
# Boot it with `-kernel OUT_DIR/vmlinuz -initrd OUT_DIR/initramfs.cpio.gz
# -append "console=ttyS0 quiet panic=-1"`; it prints `BENCH-READY linux
# ip=10.0.2.15 queues=<N>` when its servers listen (see bench/linux/init).
#
# Design: every guest file comes from a .deb unpacked with `dpkg -x`
# under OUT_DIR/work, never from the host: the libraries too (the lib*
# dependency closure of the tools' packages), found by walking each ELF's
# DT_NEEDED with readelf, so nothing guest-side is executed on the host
# except busybox's depmod (a static binary), which writes the
# modules.dep the kernel package does not ship.  Built as root or not;
# `apt-get download` needs no privileges.  A lock on OUT_DIR/.lock keeps
# two builds into the same directory apart.

set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ARCH_LIBDIR=lib/x86_64-linux-gnu
TOOL_PKGS=(busybox-static iperf iperf3 ethtool)
# The binaries taken from TOOL_PKGS (busybox is handled apart).
TOOL_BINS=(usr/bin/iperf usr/bin/iperf3 sbin/ethtool)
# Kernel config symbol -> module: what the guest needs for virtio-net.
NEED_CONFIG=(VIRTIO_PCI:virtio_pci VIRTIO_NET:virtio_net)
# Shown in the build log (y = built in, m = module), for the record.
SHOW_CONFIG=(VIRTIO VIRTIO_PCI VIRTIO_PCI_LIB VIRTIO_PCI_LIB_LEGACY
    VIRTIO_NET NET_FAILOVER FAILOVER)

die()
{
	echo "build-guest: $*" >&2
	exit 1
}

log()
{
	echo "build-guest: $*"
}

need_host_tools()
{
	local t pkg missing=()

	for t in apt-get:apt apt-cache:apt dpkg:dpkg dpkg-deb:dpkg \
	    cpio:cpio gzip:gzip gcc:gcc readelf:binutils \
	    sha256sum:coreutils flock:util-linux; do
		command -v "${t%%:*}" >/dev/null || missing+=("${t#*:}")
	done
	if [ "${#missing[@]}" -gt 0 ]; then
		pkg=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
		die "missing host tools; apt-get install $pkg"
	fi
}

# candidates PKG...: "PKG VERSION" for each PKG, VERSION being what
# `apt-get download PKG` would fetch (one apt-cache run: each takes
# seconds).
candidates()
{
	apt-cache policy "$@" | awk '
	    /^[^ ].*:$/ { p = substr($0, 1, length($0) - 1) }
	    $1 == "Candidate:" && $2 != "(none)" { print p, $2 }'
}

# kernel_package: the linux-image-<abi>-amd64 linux-image-amd64 depends on.
kernel_package()
{
	local p

	p=$(apt-cache depends linux-image-amd64 |
	    awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
	[ -n "$p" ] || die "linux-image-amd64 depends on no linux-image-*"
	echo "$p"
}

# lib_closure PKG...: the lib* packages PKG... depend on, transitively
# (Depends and Pre-Depends; virtual packages and alternatives' other
# branches are not followed).  One apt-cache run a level.
lib_closure()
{
	local -A seen=()
	local level=("$@") next d

	while [ "${#level[@]}" -gt 0 ]; do
		next=()
		for d in $(apt-cache depends --no-recommends --no-suggests \
		    --no-conflicts --no-breaks --no-replaces --no-enhances \
		    "${level[@]}" | awk '($1 == "Depends:" ||
			$1 == "PreDepends:") && $2 ~ /^lib/ { print $2 }'); do
			[ -n "${seen[$d]:-}" ] && continue
			seen[$d]=1
			next+=("$d")
		done
		level=("${next[@]}")
	done
	printf '%s\n' "${!seen[@]}" | sort
}

# deb_file PKG VERSION: where apt-get download puts PKG=VERSION.
deb_file()
{
	local f

	for f in "$DEBS/${1}_${2//:/%3a}"_*.deb; do
		[ -e "$f" ] && echo "$f" && return 0
	done
	return 1
}

# fetch PKG VERSION: download PKG=VERSION into DEBS unless it is there,
# dropping other versions of PKG.
fetch()
{
	local f opts=()

	if deb_file "$1" "$2" >/dev/null; then
		return 0
	fi
	for f in "$DEBS/${1}"_*.deb; do
		[ -e "$f" ] && rm -f "$f"
	done
	# As root, apt's _apt sandbox cannot write into OUT_DIR.
	[ "$(id -u)" = 0 ] && opts=(-o APT::Sandbox::User=root)
	(cd "$DEBS" && apt-get "${opts[@]}" download "$1=$2" >/dev/null) ||
	    die "apt-get download $1=$2 failed"
	deb_file "$1" "$2" >/dev/null || die "$1=$2: no .deb after download"
}

# resolve ROOT PATH: PATH with its symlinks followed inside ROOT (a
# package's absolute links point into its own file system, not ours).
resolve()
{
	local root=$1 path=$2 t

	for _ in 1 2 3 4 5 6 7 8 9 10; do
		[ -L "$root$path" ] || break
		t=$(readlink "$root$path")
		case $t in
		/*) path=$t ;;
		*) path=$(dirname "$path")/$t ;;
		esac
	done
	[ -f "$root$path" ] || return 1
	echo "$path"
}

# needed ELF: its DT_NEEDED sonames.
needed()
{
	readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'
}

# interp ELF: its program interpreter, empty for a static binary.
interp()
{
	readelf -l "$1" | sed -n 's/.*program interpreter: \(.*\)\]$/\1/p'
}

# copy_libs ELF...: copy into ROOTFS/ARCH_LIBDIR every library ELF...
# need, transitively, from the unpacked library packages in LIBROOT.
copy_libs()
{
	local -A have=()
	local todo=("$@") f so p dir

	while [ "${#todo[@]}" -gt 0 ]; do
		f=${todo[0]}
		todo=("${todo[@]:1}")
		for so in $(needed "$f"); do
			[ -n "${have[$so]:-}" ] && continue
			have[$so]=1
			p=
			for dir in /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu; do
				p=$(resolve "$LIBROOT" "$dir/$so") && break
			done
			[ -n "$p" ] || die "$so (needed by ${f##*/}) is in no" \
			    "unpacked package: ${LIB_PKGS[*]}"
			cp "$LIBROOT$p" "$ROOTFS/$ARCH_LIBDIR/$so"
			todo+=("$ROOTFS/$ARCH_LIBDIR/$so")
		done
	done
}

# config_value SYM: y, m or empty, from the kernel's config.
config_value()
{
	sed -n "s/^CONFIG_$1=\(.*\)$/\1/p" "$KROOT/boot/config-$KVER"
}

# add_modules: copy the modules the kernel does not build in, with their
# dependencies, into ROOTFS; write their dependency order (deepest first)
# to ROOTFS/etc/modules.load and their modules.dep lines beside them.
add_modules()
{
	local -A seen=()
	local order=() kmods=$KROOT/lib/modules/$KVER pair sym mod val path m

	for sym in "${SHOW_CONFIG[@]}"; do
		log "CONFIG_$sym=$(config_value "$sym")"
	done
	"$BUSYBOX" depmod -b "$KROOT" "$KVER" || die "depmod failed"

	visit()
	{
		local m=$1 d deps
		[ -n "${seen[$m]:-}" ] && return 0
		seen[$m]=1
		read -r -a deps < <(awk -v m="$m:" \
		    '$1 == m { $1 = ""; print }' "$kmods/modules.dep")
		for d in "${deps[@]}"; do
			visit "$d"
		done
		order+=("$m")
	}

	for pair in "${NEED_CONFIG[@]}"; do
		sym=${pair%%:*}
		mod=${pair#*:}
		val=$(config_value "$sym")
		case $val in
		y) log "$mod is built in"; continue ;;
		m) ;;
		*) die "CONFIG_$sym is '$val' in $KVER: no $mod" ;;
		esac
		path=$(awk -v m="$mod.ko:" '{ n = split($1, a, "/") }
		    a[n] == m { sub(/:$/, "", $1); print $1; exit }' \
		    "$kmods/modules.dep")
		[ -n "$path" ] || die "$mod.ko not in modules.dep"
		visit "$path"
	done

	mkdir -p "$ROOTFS/etc" "$ROOTFS/lib/modules/$KVER"
	: >"$ROOTFS/etc/modules.load"
	: >"$ROOTFS/lib/modules/$KVER/modules.dep"
	for m in "${order[@]}"; do
		mkdir -p "$ROOTFS/lib/modules/$KVER/$(dirname "$m")"
		cp "$kmods/$m" "$ROOTFS/lib/modules/$KVER/$m"
		echo "$m" >>"$ROOTFS/etc/modules.load"
		grep "^$m:" "$kmods/modules.dep" \
		    >>"$ROOTFS/lib/modules/$KVER/modules.dep"
	done
	log "modules, in load order: $(sed 's,.*/,,' \
	    "$ROOTFS/etc/modules.load" | tr '\n' ' ')"
}

add_busybox()
{
	local a

	mkdir -p "$ROOTFS/bin"
	cp "$BUSYBOX" "$ROOTFS/bin/busybox"
	for a in $("$BUSYBOX" --list-full); do
		[ -e "$ROOTFS/$a" ] && continue
		mkdir -p "$ROOTFS/$(dirname "$a")"
		ln -s /bin/busybox "$ROOTFS/$a"
	done
}

add_tools()
{
	local b ip

	mkdir -p "$ROOTFS/$ARCH_LIBDIR" "$ROOTFS/lib64"
	for b in "${TOOL_BINS[@]}"; do
		[ -f "$TOOLROOT/$b" ] || die "$b not in ${TOOL_PKGS[*]}"
		mkdir -p "$ROOTFS/$(dirname "$b")"
		cp "$TOOLROOT/$b" "$ROOTFS/$b"
	done
	copy_libs "${TOOL_BINS[@]/#/$ROOTFS/}"
	# The loader where the binaries ask for it, as Debian links it.
	ip=$(interp "$ROOTFS/${TOOL_BINS[0]}")
	[ -n "$ip" ] || die "no program interpreter in ${TOOL_BINS[0]}"
	[ -f "$ROOTFS/$ARCH_LIBDIR/${ip##*/}" ] || die "no ${ip##*/} copied"
	mkdir -p "$ROOTFS/$(dirname "$ip")"
	[ -e "$ROOTFS$ip" ] || ln -s "/$ARCH_LIBDIR/${ip##*/}" "$ROOTFS$ip"
}

write_versions()
{
	local f=$1

	ver()
	{
		dpkg-deb -f "$(deb_file "$1" "${VERSION[$1]}")" Version
	}
	printf '{"kernel_package": "%s", "kernel_version": "%s", "busybox": "%s", "iperf": "%s", "iperf3": "%s", "ethtool": "%s"}\n' \
	    "$KPKG" "$(ver "$KPKG")" "$(ver busybox-static)" "$(ver iperf)" \
	    "$(ver iperf3)" "$(ver ethtool)" >"$f"
}

# make_stamp PKG...: the inputs of a build from packages PKG... (their
# candidate versions), this directory's sources and the host gcc.
make_stamp()
{
	local p v cands

	cands=$(candidates "$@")
	for p in "$@"; do
		v=$(awk -v p="$p" '$1 == p { print $2 }' <<<"$cands")
		[ -n "$v" ] || die "no candidate version for $p (apt-get update?)"
		echo "package $p $v"
	done
	(cd "$HERE" && sha256sum build-guest.sh init echod.c) |
	    awk '{ print "source", $2, $1 }'
	echo "gcc $(gcc -dumpfullversion)"
}

# ---- main ------------------------------------------------------------------
[ $# -eq 1 ] || die "usage: build-guest.sh OUT_DIR"
need_host_tools
mkdir -p "$1"
OUT=$(cd "$1" && pwd)
DEBS=$OUT/debs
WORK=$OUT/work
ROOTFS=$WORK/rootfs
KROOT=$WORK/kernel
TOOLROOT=$WORK/tools
LIBROOT=$WORK/libs
BUSYBOX=$TOOLROOT/bin/busybox
mkdir -p "$DEBS"
exec 9>"$OUT/.lock"
flock 9

# Fast path: the packages of the last build (linux-image-amd64 among
# them, so a new kernel ABI shows) still at the same versions, the same
# sources: nothing to do.
if [ -f "$OUT/stamp" ] && [ -f "$OUT/vmlinuz" ] &&
    [ -f "$OUT/initramfs.cpio.gz" ] && [ -f "$OUT/versions.json" ]; then
	mapfile -t pkgs < <(awk '$1 == "package" { print $2 }' "$OUT/stamp")
	if [ "${#pkgs[@]}" -gt 0 ] &&
	    [ "$(make_stamp "${pkgs[@]}" 2>/dev/null)" = "$(cat "$OUT/stamp")" ]
	then
		log "$OUT is up to date ($(awk '$1 == "package" &&
		    $2 ~ /^linux-image-[0-9]/ { print $2, $3 }' "$OUT/stamp"))"
		exit 0
	fi
fi
rm -f "$OUT/stamp"

KPKG=$(kernel_package)
KVER=${KPKG#linux-image-}
mapfile -t LIB_PKGS < <(lib_closure "${TOOL_PKGS[@]}")
ALL_PKGS=(linux-image-amd64 "$KPKG" "${TOOL_PKGS[@]}" "${LIB_PKGS[@]}")
stamp=$(make_stamp "${ALL_PKGS[@]}")
declare -A VERSION=()
while read -r _ p v; do
	VERSION[$p]=$v
done < <(awk '$1 == "package"' <<<"$stamp")

log "fetching $KPKG ${TOOL_PKGS[*]} ${LIB_PKGS[*]}"
for p in "$KPKG" "${TOOL_PKGS[@]}" "${LIB_PKGS[@]}"; do
	fetch "$p" "${VERSION[$p]}"
done

rm -rf "$WORK"
mkdir -p "$ROOTFS" "$KROOT" "$TOOLROOT" "$LIBROOT"
dpkg -x "$(deb_file "$KPKG" "${VERSION[$KPKG]}")" "$KROOT"
for p in "${TOOL_PKGS[@]}"; do
	dpkg -x "$(deb_file "$p" "${VERSION[$p]}")" "$TOOLROOT"
done
for p in "${LIB_PKGS[@]}"; do
	dpkg -x "$(deb_file "$p" "${VERSION[$p]}")" "$LIBROOT"
done
[ -f "$KROOT/boot/vmlinuz-$KVER" ] || die "no boot/vmlinuz-$KVER in $KPKG"
[ -x "$BUSYBOX" ] || die "no bin/busybox in busybox-static"

add_busybox
add_modules
add_tools
mkdir -p "$ROOTFS/usr/bin" "$ROOTFS/proc" "$ROOTFS/sys" "$ROOTFS/dev" \
    "$ROOTFS/tmp" "$ROOTFS/root"
gcc -static -O2 -Wall -Wextra -Werror -pthread -s \
    -o "$ROOTFS/usr/bin/echod" "$HERE/echod.c"
cp "$HERE/init" "$ROOTFS/init"
chmod 0755 "$ROOTFS/init"

# Same inputs, same bytes: fixed times, owners, order and inode numbers.
find "$ROOTFS" -exec touch -h -d @0 {} +
(cd "$ROOTFS" && find . -print0 | LC_ALL=C sort -z |
    cpio --null --create --format=newc --owner=0:0 --reproducible \
    --quiet) |
    gzip -9n >"$OUT/initramfs.cpio.gz.new"
cp "$KROOT/boot/vmlinuz-$KVER" "$OUT/vmlinuz.new"
write_versions "$OUT/versions.json.new"
mv "$OUT/vmlinuz.new" "$OUT/vmlinuz"
mv "$OUT/initramfs.cpio.gz.new" "$OUT/initramfs.cpio.gz"
mv "$OUT/versions.json.new" "$OUT/versions.json"
rm -rf "$WORK"
echo "$stamp" >"$OUT/stamp"
log "built $OUT: vmlinuz $(stat -c %s "$OUT/vmlinuz") bytes," \
    "initramfs.cpio.gz $(stat -c %s "$OUT/initramfs.cpio.gz") bytes"
