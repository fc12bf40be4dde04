#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# deps.sh: install what unisr needs to build, run and test, idempotently.
#
# 1. Debian packages (compiler, GRUB tools, QEMU, test frameworks, the
#    header-only JSON tokenizer jsmn the iperf3 server uses).
# 2. The lwIP 2.1.3 source from Debian's source package, with Debian's
#    patches applied, unpacked into third_party/lwip (gitignored).
#
# Needs root for step 1 (apt-get). Run as non-root with packages missing, it
# prints the exact command to run as root and fails.  When everything is
# already present it touches build/.deps-stamp and returns in well under a
# second, without touching the network.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
# The stamp make checks: build/.deps-stamp, or $(B)/.deps-stamp for make B=.
stamp="${DEPS_STAMP:-$top/build/.deps-stamp}"
lwip_dir="$top/third_party/lwip"
lwip_version="2.1.3"

packages=(
	gcc binutils make grub-pc-bin grub-common xorriso mtools
	qemu-system-x86 python3 python3-pytest python3-pexpect iproute2
	iputils-ping check pkg-config dpkg-dev gdb clang-format iperf
	dnsmasq-base iputils-arping iperf3 python3-scapy nmap clang
	gnuplot-nox cpio libjsmn-dev
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

need_src=0
[ -f "$lwip_dir/src/core/tcp.c" ] || need_src=1

if [ ${#missing[@]} -eq 0 ] && [ $need_src -eq 0 ]; then
	mkdir -p "$(dirname "$stamp")"
	touch "$stamp"
	exit 0
fi

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	else
		echo "deps: run this as root, then re-run make:" >&2
		echo "  $*" >&2
		exit 1
	fi
}

have_deb_src() {
	grep -rqsE '^(deb-src|Types:.*deb-src)' /etc/apt/sources.list \
	    /etc/apt/sources.list.d/ 2>/dev/null
}

add_deb_src() {
	# Mirror the binary entries of debian.sources (deb822) or
	# sources.list (one-line) as deb-src entries in a file of our own.
	local f=/etc/apt/sources.list.d/unisr-deb-src.sources
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then
		as_root sh -c "sed -e 's/^Types:.*/Types: deb-src/' \
		    /etc/apt/sources.list.d/debian.sources > $f"
	elif [ -f /etc/apt/sources.list ]; then
		as_root sh -c "grep -E '^deb ' /etc/apt/sources.list |
		    sed -e 's/^deb /deb-src /' \
		    > /etc/apt/sources.list.d/unisr-deb-src.list"
	else
		echo "deps: no apt sources found to derive deb-src from" >&2
		exit 1
	fi
}

# Prints MAJOR.MINOR.REVISION from an lwIP tree's init.h.
lwip_version_of() {
	awk '/define LWIP_VERSION_(MAJOR|MINOR|REVISION)[ \t]/ { sub(/\r$/, "", $3); v[$2] = $3 }
	    END { printf "%s.%s.%s", v["LWIP_VERSION_MAJOR"],
	    v["LWIP_VERSION_MINOR"], v["LWIP_VERSION_REVISION"] }' \
	    "$1/src/include/lwip/init.h" 2>/dev/null
}

updated=0
if [ ${#missing[@]} -ne 0 ]; then
	echo "deps: installing ${missing[*]}"
	as_root apt-get update -qq
	updated=1
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends "${missing[@]}"
fi

if [ $need_src -eq 1 ]; then
	if ! have_deb_src; then
		echo "deps: adding a deb-src entry for Debian's lwip source package"
		add_deb_src
		updated=0
	fi
	[ $updated -eq 1 ] || as_root apt-get update -qq
	tmp=$(mktemp -d)
	chmod 755 "$tmp"	# apt's _apt user downloads into it
	trap 'rm -rf "$tmp"' EXIT
	echo "deps: fetching Debian source package lwip"
	(cd "$tmp" && apt-get source -qq lwip >/dev/null)
	src=$(find "$tmp" -maxdepth 1 -mindepth 1 -type d -name 'lwip-*' | head -n1)
	if [ -z "$src" ] || [ "$(lwip_version_of "$src")" != "$lwip_version" ]; then
		echo "deps: expected lwIP $lwip_version in Debian's lwip source" \
		    "package, found '$(lwip_version_of "${src:-/nonexistent}")'" >&2
		exit 1
	fi
	rm -rf "$lwip_dir"
	mkdir -p "$top/third_party"
	mv "$src" "$lwip_dir"
	echo "deps: lwIP source (Debian patches applied) in third_party/lwip"
fi

mkdir -p "$(dirname "$stamp")"
touch "$stamp"
