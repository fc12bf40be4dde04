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
#    7 (echo), 5001 (iperf2) and 5201 (iperf3) forwarded from localhost.
#
# Once the guest prints READY, the time from QEMU's start to that line
# (polled every 5 ms, so good to about 10 ms) and the exact commands to
# reach it (with the address it really got, e.g. from ip=dhcp) are printed
# on the terminal; the serial output is also logged to
# build/run-serial.log for that.  QEMU gets -nodefaults and romfile= on
# each NIC: no VGA BIOS, no default NIC, no iPXE ROM for the firmware to
# load and run, none of which the guest uses.
# CMDLINE="..." boots build/unisr.elf directly with that kernel command
# line instead of the GRUB ISO (whose command line is fixed).
#
# NICS=N (NET=tap only, default 1): N virtio-net NICs, the guest's vtnet0
# to vtnet<N-1>, on taps tap0..tap<N-1> in the same namespace, each with
# QUEUES queues.  NIC 0 is exactly the one-NIC setup; NIC k > 0 is the
# subnet 10.0.(2+k).0/24: host 10.0.(2+k).2/24 on tap<k>, guest
# 10.0.(2+k).15 through "vtnet<k>.ip=10.0.(2+k).15/24" put on the kernel
# command line (so NICS > 1 boots the ELF directly, those keys first, then
# CMDLINE, whose tokens win), MAC 52:54:00:12:34:(56+k).
#
# Leave QEMU with Ctrl-A x.  Environment: SMP, QUEUES, MEM, MACHINE, ACCEL,
# NET, CMDLINE, NS (the namespace name, default unisr), NICS.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
smp=${SMP:-4}
queues=${QUEUES:-$smp}
mem=${MEM:-256M}
machine=${MACHINE:-q35}
net=${NET:-tap}
cmdline=${CMDLINE:-}
serial_log="$top/build/run-serial.log"
ready_wait=300		# seconds the hint printer waits for READY
ready_poll=0.005	# how often it looks, seconds
ns=${NS:-unisr}
# Direct boots (CMDLINE) start from qboot, QEMU's minimal firmware, not
# SeaBIOS: about 0.05 s sooner; the kernel assigns the PCI BARs qboot
# leaves.  The ISO needs SeaBIOS for GRUB.
qboot=/usr/share/qemu/qboot.rom
guest=10.0.2.15		# the default ip=; NET=user forwards ports to it
tap=tap0
host_cidr=10.0.2.2/24
nics=${NICS:-1}
nics_max=8		# the kernel command line's vtnet0..vtnet7
subnet_first=2		# NIC k is 10.0.(subnet_first + k).0/24
mac_first=0x56		# NIC k's MAC ends in mac_first + k

accel=$(/usr/bin/python3 "$top/scripts/accel.py" --kernel "$top/build/unisr.elf")
qaccel=$accel
[ "$accel" = tcg ] && qaccel=tcg,thread=multi

prefix=()
netargs=()
if [ "$net" = tap ] && { [ "$(id -u)" -ne 0 ] || [ ! -c /dev/net/tun ]; }; then
	echo "run: NET=tap needs root and /dev/net/tun; using NET=user"
	net=user
fi
if ! [[ "$nics" =~ ^[1-9][0-9]*$ ]] || [ "$nics" -gt "$nics_max" ]; then
	echo "run: NICS must be 1..$nics_max" >&2
	exit 1
fi
if [ "$nics" -gt 1 ] && [ "$net" != tap ]; then
	echo "run: NICS=$nics needs NET=tap (root and /dev/net/tun)" >&2
	exit 1
fi
# NIC k's host side, guest address and tap (k > 0; NIC 0 is the above).
nic_subnet() { echo "10.0.$((subnet_first + $1))"; }
nic_tap() { echo "tap$1"; }
nic_keys=""
# Makes (or reuses) tap $1 with host address $2 in the namespace.
make_tap() {
	if ! ip netns exec "$ns" ip link show "$1" >/dev/null 2>&1; then
		ip netns exec "$ns" ip tuntap add dev "$1" mode tap multi_queue
		ip netns exec "$ns" ip addr add "$2" dev "$1"
	fi
	ip netns exec "$ns" ip link set "$1" up
}
case "$net" in
tap)
	ip netns list | grep -qw "^$ns" || ip netns add "$ns"
	make_tap "$tap" "$host_cidr"
	ip netns exec "$ns" ip link set lo up
	prefix=(ip netns exec "$ns")
	netargs=(-netdev "tap,id=n0,ifname=$tap,script=no,downscript=no,queues=$queues,vhost=off"
	    -device "virtio-net-pci,netdev=n0,mq=on,vectors=$((2 * queues + 2)),rss=on,hash=on,romfile=")
	echo "run: network namespace $ns, tap $tap ($host_cidr)"
	for ((k = 1; k < nics; k++)); do
		sn=$(nic_subnet $k)
		t=$(nic_tap $k)
		make_tap "$t" "$sn.2/24"
		netargs+=(-netdev "tap,id=n$k,ifname=$t,script=no,downscript=no,queues=$queues,vhost=off"
		    -device "virtio-net-pci,netdev=n$k,mq=on,vectors=$((2 * queues + 2)),rss=on,hash=on,romfile=,mac=$(printf '52:54:00:12:34:%02x' $((mac_first + k)))")
		nic_keys+="vtnet$k.ip=$sn.15/24 "
		echo "run: network namespace $ns, tap $t ($sn.2/24) for vtnet$k ($sn.15)"
	done
	;;
user)
	queues=1
	netargs=(-netdev "user,id=n0,net=10.0.2.0/24,host=10.0.2.2,hostfwd=tcp:127.0.0.1:7007-$guest:7,hostfwd=tcp:127.0.0.1:5001-$guest:5001,hostfwd=tcp:127.0.0.1:5201-$guest:5201"
	    -device "virtio-net-pci,netdev=n0,romfile=")
	echo "run: user networking: localhost:7007 -> guest echo (7), localhost:5001 -> iperf2 (5001), localhost:5201 -> iperf3 (5201)"
	;;
*)
	echo "run: NET must be tap or user" >&2
	exit 1
	;;
esac
# With NICS > 1: how to reach vtnet1 and on (their addresses are ours).
nic_hints() {
	local k sn
	for ((k = 1; k < nics; k++)); do
		sn=$(nic_subnet $k)
		printf 'run: vtnet%d: guest %s.15 (vtnet%d.ip=%s.15/24), host %s.2/24 on %s in namespace %s:\r\n' \
		    $k "$sn" $k "$sn" "$sn" "$(nic_tap $k)" "$ns"
		printf 'run:   ip netns exec %s ping %s.15\r\n' "$ns" "$sn"
	done
}

# Milliseconds since the epoch.
now_ms() { local t; t=$(date +%s%N); echo $((t / 1000000)); }

# Prints how long QEMU took to READY, and how to reach the guest.  QEMU
# has the terminal in raw mode, hence the carriage returns.
hints() {
	local line addr own ms deadline
	deadline=$(($(now_ms) + ready_wait * 1000))
	while [ "$(now_ms)" -lt "$deadline" ]; do
		line=$(grep -a -m1 '^READY ' "$serial_log" 2>/dev/null | tr -d '\r') || true
		if [ -n "$line" ]; then
			ms=$(($(now_ms) - qemu_start_ms))
			sleep 0.05	# the guest's own figure follows READY
			own=$(sed -n 's/^boot: ready in \([0-9]*\) us.*/\1/p' "$serial_log" | head -n1)
			printf '\r\nrun: READY %d.%03d s after QEMU started (the guest: %s us from kernel entry)\r\n' \
			    $((ms / 1000)) $((ms % 1000)) "${own:-?}"
			addr=$(sed -n 's/.* ip=\([^/ ]*\).*/\1/p' <<<"$line")
			if [ "$addr" = none ] || [ -z "$addr" ]; then
				printf 'run: the guest is READY but has no IPv4 address\r\n'
				nic_hints
			elif [ "$net" = tap ]; then
				printf 'run: the guest is READY at %s; from another terminal:\r\n' "$addr"
				printf 'run:   ip netns exec %s ping %s\r\n' "$ns" "$addr"
				printf 'run:   ip netns exec %s iperf -c %s\r\n' "$ns" "$addr"
				printf 'run:   ip netns exec %s iperf3 -c %s\r\n' "$ns" "$addr"
				printf 'run:   (or make ping, make iperf, make iperf3, make ns-shell)\r\n'
				nic_hints
			else
				printf 'run: the guest is READY; from another terminal:\r\n'
				printf 'run:   iperf -c 127.0.0.1 -p 5001\r\n'
				printf 'run:   iperf3 -c 127.0.0.1 -p 5201\r\n'
				printf 'run:   nc 127.0.0.1 7007   (echo)\r\n'
			fi
			return
		fi
		sleep "$ready_poll"
	done
}

boot=(-cdrom "$top/build/unisr.iso" -boot d)
# The vtnetN keys first: a CMDLINE token for the same key comes later, wins.
[ -n "$nic_keys" ] && cmdline="$nic_keys$cmdline"
[ -n "$cmdline" ] && boot=(-bios "$qboot" -kernel "$top/build/unisr.elf" -append "${cmdline% }")

echo "run: accel=$accel smp=$smp queues=$queues mem=$mem machine=$machine (quit: Ctrl-A x)"
mkdir -p "$(dirname "$serial_log")"
: >"$serial_log"
qemu_start_ms=$(now_ms)
hints &
hint_pid=$!
trap 'kill $hint_pid 2>/dev/null || true' EXIT
"${prefix[@]}" qemu-system-x86_64 -machine "$machine" -accel "$qaccel" \
    -cpu max -smp "$smp" -m "$mem" -nodefaults -display none \
    -chardev "stdio,id=con0,mux=on,logfile=$serial_log" \
    -serial chardev:con0 -mon chardev=con0 \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 "${netargs[@]}" \
    "${boot[@]}"
