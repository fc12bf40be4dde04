#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# lwip-instances.sh IN.o N OUTDIR: N independent copies of an lwIP build.
#
# lwIP keeps all of its state in globals, so one program can hold several
# lwIP instances only as several copies of lwIP.  IN.o is one relocatable
# object (ld -r) of lwIP plus a per-instance wrapper that defines
# `lwip_inst`, the instance's descriptor.  This writes OUTDIR/inst<k>.o
# for k = 0..N-1, each IN.o with every DEFINED global symbol (strong or
# weak, any visibility) renamed <sym> -> <sym>__i<k>, except `lwip_inst`,
# which becomes `lwip_inst_<k>`.  Each copy then has its own code, data
# and bss (static symbols are local to their sections already) and meets
# the others only through what it leaves UNDEFINED: those references are
# not renamed and resolve to the one definition outside (libc, sys_now,
# the core-lock and assertion hooks, printk).  Finally it prints the
# copies' text/data/bss (size(1)).
#
# It refuses an input that would make copies share state silently:
#   - COMMON symbols (build with -fno-common): the linker merges commons
#     of the same name, and nm -g --defined-only does not list them;
#   - undefined symbols that look like lwIP's own (lwip_*, tcp_*, pbuf_*,
#     netif_*, ip4_*, ...): every copy would call the one definition
#     outside, and its state, instead of its own;
#   - section groups (COMDAT) or .gnu.linkonce sections whose key was not
#     renamed: the final link keeps one per name and drops the others';
#   - linker-table entries (.shell_cmds.*, .selftests.*, .pci_drivers.*):
#     every copy would add its own (N shell commands of one name).
# and checks each copy afterwards: every defined global renamed, the
# undefined list unchanged.
#
# NM, OBJCOPY, READELF and SIZE may name other binutils (cross builds).
set -euo pipefail

NM=${NM:-nm}
OBJCOPY=${OBJCOPY:-objcopy}
READELF=${READELF:-readelf}
SIZE=${SIZE:-size}

# Undefined names that must have been defined inside: lwIP's modules.
# (sys_now, sys_arch_* and the lwipg_* hooks are the platform's.)
LWIP_OWN='^(lwip_|tcp_|tcpip_|udp_|raw_|pbuf_|netif_|netifapi_|ip_|ip4_|ip6_|ip4addr_|ip6addr_|ipaddr_|ipfrag_|etharp_|ethernet_|ethip6_|icmp_|icmp6_|igmp_|mld6_|nd6_|dhcp_|dhcp6_|autoip_|dns_|mem_|memp_|stats_|inet_|sys_timeout|sys_untimeout|sys_check_timeouts|sys_restart_timeouts|sys_timeouts_|lwiperf_|altcp_|snmp_|mib2_|netbuf_|netconn_|api_msg|ethbroadcast|ethzero)'

die() {
	echo "lwip-instances: $*" >&2
	exit 1
}

[ $# -eq 3 ] || die "usage: $0 IN.o N OUTDIR"
in=$1
n=$2
out=$3
[ -f "$in" ] || die "$in: no such file"
[[ "$n" =~ ^[1-9][0-9]*$ ]] || die "N must be a positive integer, not '$n'"

# One symbol per line: "NAME TYPE" (POSIX format, any binutils).
syms() {
	"$NM" -P "$@" "$in" | awk '{ print $1, $2 }'
}

common=$(syms | awk '$2 == "C" { print $1 }')
[ -z "$common" ] || die "$in has COMMON symbols (compile with -fno-common):
$common"

syms -g --defined-only | awk '$1 == "lwip_inst" { f = 1 } END { exit !f }' ||
	die "$in does not define lwip_inst"

renamed=$(syms -g --defined-only | awk '$1 ~ /__i[0-9]+$|^lwip_inst_[0-9]+$/ \
    { print $1 }')
[ -z "$renamed" ] || die "$in already defines names of the copies' form:
$renamed"

undef=$(syms -u | awk '{ print $1 }' | sort -u)
own=$(grep -E "$LWIP_OWN" <<<"$undef" || true)
[ -z "$own" ] || die "$in leaves lwIP's own symbols undefined; every copy \
would share the one definition outside (link those sources into $in):
$own"

sections=$("$READELF" -S -W "$in")
# Linker tables (linker.ld) would list every copy's entry: N shell
# commands of one name, N self-tests.  A copy exports its descriptor only.
tables=$(grep -oE '\.(shell_cmds|selftests|pci_drivers)\.[A-Za-z0-9_]+' \
    <<<"$sections" | sort -u || true)
[ -z "$tables" ] || die "$in has linker-table entries, which every copy \
would repeat (register them outside the copied code):
$tables"
if grep -q '\.gnu\.linkonce\.' <<<"$sections"; then
	die "$in has .gnu.linkonce sections: the final link would keep one copy"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"
syms -g --defined-only | awk '{ print $1 }' | sort -u >"$tmp/defined"
syms -u | awk '{ print $1 }' | sort -u >"$tmp/undef"

# Group signatures (COMDAT keys): readelf -g prints
# "COMDAT group section [    1] `.group' [SIG] contains 2 sections:".
"$READELF" -g -W "$in" >"$tmp/readelf-g"
sed -n 's/.* \[\([^]]*\)\] contains .*/\1/p' \
    "$tmp/readelf-g" >"$tmp/groups"
while read -r sig; do
	[ -n "$sig" ] || continue
	grep -qxF "$sig" "$tmp/defined" ||
		die "$in: section group keyed by '$sig', which is not a defined \
global and so is not renamed: the final link would keep one copy's group"
done <"$tmp/groups"

for ((k = 0; k < n; k++)); do
	awk -v k="$k" '{
		if ($1 == "lwip_inst") print $1, "lwip_inst_" k
		else print $1, $1 "__i" k
	}' "$tmp/defined" >"$tmp/map$k"
	"$OBJCOPY" --redefine-syms="$tmp/map$k" "$in" "$out/inst$k.o"

	# Check the copy: all of its globals renamed, its imports unchanged.
	bad=$("$NM" -P -g --defined-only "$out/inst$k.o" |
	    awk -v k="$k" '$1 != "lwip_inst_" k && $1 !~ ("__i" k "$") \
	    { print $1 }')
	[ -z "$bad" ] || die "$out/inst$k.o: globals not renamed: $bad"
	"$NM" -P -u "$out/inst$k.o" | awk '{ print $1 }' | sort -u |
	    cmp -s - "$tmp/undef" ||
		die "$out/inst$k.o: its undefined symbols changed"
done

echo "lwip-instances: $n copies of $in in $out," \
    "$(wc -l <"$tmp/defined") globals renamed each," \
    "$(wc -l <"$tmp/undef") undefined (shared) left alone"
copies=()
for ((k = 0; k < n; k++)); do
	copies+=("$out/inst$k.o")
done
"$SIZE" "${copies[@]}"
