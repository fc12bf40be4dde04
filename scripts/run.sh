#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# run.sh: boot build/unisr.iso in QEMU with a serial console and, when it
# can, networking: a multiqueue tap "unisr0" with 10.0.2.2/24 on the host
# side, so the guest (10.0.2.15 by default) can be pinged and iperf'd.
# Needs root (or CAP_NET_ADMIN) and /dev/net/tun for the tap; without them
# it says why and boots without a NIC.  Leave QEMU with Ctrl-A x.
#
# Environment: SMP, QUEUES, MEM, MACHINE, ACCEL (kvm|tcg|auto), TAP.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
smp=${SMP:-4}
queues=${QUEUES:-$smp}
mem=${MEM:-256M}
machine=${MACHINE:-q35}
tap=${TAP:-unisr0}
host_cidr=10.0.2.2/24

accel=$(/usr/bin/python3 "$top/scripts/accel.py" --kernel "$top/build/unisr.elf")
qaccel=$accel
[ "$accel" = tcg ] && qaccel=tcg,thread=multi

net=()
if [ "$(id -u)" -eq 0 ] && [ -c /dev/net/tun ]; then
	if ! ip link show "$tap" >/dev/null 2>&1; then
		ip tuntap add dev "$tap" mode tap multi_queue
		ip addr add "$host_cidr" dev "$tap"
	fi
	ip link set "$tap" up
	net=(-netdev "tap,id=n0,ifname=$tap,script=no,downscript=no,queues=$queues,vhost=off"
	    -device "virtio-net-pci,netdev=n0,mq=on,vectors=$((2 * queues + 2)),rss=on,hash=on")
	echo "run: network on tap $tap (host $host_cidr, guest 10.0.2.15)"
else
	echo "run: not root or no /dev/net/tun: booting without a network"
fi
echo "run: accel=$accel smp=$smp queues=$queues mem=$mem machine=$machine (quit: Ctrl-A x)"
exec qemu-system-x86_64 -machine "$machine" -accel "$qaccel" -cpu max \
    -smp "$smp" -m "$mem" -display none -serial mon:stdio \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 "${net[@]}" \
    -cdrom "$top/build/unisr.iso" -boot d
