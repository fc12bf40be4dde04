#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# run.sh: boot build/unisr.iso in QEMU with a serial console and networking.
#
#  NET=tap (default, needs root and /dev/net/tun): creates or reuses the
#    network namespace "unisr" holding a multiqueue tap with the host
#    address 10.0.2.2/24, and runs QEMU inside it.  Reach the guest
#    (10.0.2.15) with `ip netns exec unisr ...`, or `make ping`, `make
#    iperf`, `make ns-shell`.  Nothing is added outside the namespace.
#  NET=user: QEMU user networking (one queue, no root), with guest ports
#    7 (echo) and 5001 (iperf2) forwarded from localhost.
#
# Leave QEMU with Ctrl-A x.  Environment: SMP, QUEUES, MEM, MACHINE, ACCEL.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
smp=${SMP:-4}
queues=${QUEUES:-$smp}
mem=${MEM:-256M}
machine=${MACHINE:-q35}
net=${NET:-tap}
ns=unisr
tap=tap0
host_cidr=10.0.2.2/24
guest=10.0.2.15

accel=$(/usr/bin/python3 "$top/scripts/accel.py" --kernel "$top/build/unisr.elf")
qaccel=$accel
[ "$accel" = tcg ] && qaccel=tcg,thread=multi

prefix=()
netargs=()
if [ "$net" = tap ] && { [ "$(id -u)" -ne 0 ] || [ ! -c /dev/net/tun ]; }; then
	echo "run: NET=tap needs root and /dev/net/tun; using NET=user"
	net=user
fi
case "$net" in
tap)
	ip netns list | grep -qw "^$ns" || ip netns add "$ns"
	if ! ip netns exec "$ns" ip link show "$tap" >/dev/null 2>&1; then
		ip netns exec "$ns" ip tuntap add dev "$tap" mode tap multi_queue
		ip netns exec "$ns" ip addr add "$host_cidr" dev "$tap"
	fi
	ip netns exec "$ns" ip link set lo up
	ip netns exec "$ns" ip link set "$tap" up
	prefix=(ip netns exec "$ns")
	netargs=(-netdev "tap,id=n0,ifname=$tap,script=no,downscript=no,queues=$queues,vhost=off"
	    -device "virtio-net-pci,netdev=n0,mq=on,vectors=$((2 * queues + 2)),rss=on,hash=on")
	echo "run: network namespace $ns, tap $tap ($host_cidr); the guest is $guest"
	echo "run: try: ip netns exec $ns ping $guest"
	echo "run:      ip netns exec $ns iperf -c $guest"
	echo "run:      (or make ping, make iperf, make ns-shell from another terminal)"
	;;
user)
	queues=1
	netargs=(-netdev "user,id=n0,net=10.0.2.0/24,host=10.0.2.2,hostfwd=tcp:127.0.0.1:7007-$guest:7,hostfwd=tcp:127.0.0.1:5001-$guest:5001"
	    -device "virtio-net-pci,netdev=n0")
	echo "run: user networking: localhost:7007 -> guest echo (7), localhost:5001 -> guest iperf2 (5001)"
	;;
*)
	echo "run: NET must be tap or user" >&2
	exit 1
	;;
esac
echo "run: accel=$accel smp=$smp queues=$queues mem=$mem machine=$machine (quit: Ctrl-A x)"
exec "${prefix[@]}" qemu-system-x86_64 -machine "$machine" -accel "$qaccel" \
    -cpu max -smp "$smp" -m "$mem" -display none -serial mon:stdio \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 "${netargs[@]}" \
    -cdrom "$top/build/unisr.iso" -boot d
