#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Open taps that live in other network namespaces, then exec QEMU.

QEMU runs in one network namespace, but a guest with several NICs may
need its taps in different ones (two namespaces that both use 10.0.2.2,
for instance).  This program is put between `ip netns exec <A>` and QEMU:

    ip netns exec A tapfds.py --tap n1=B:tap1:4 -- qemu-system-x86_64 ...
        -netdev tap,id=n1,fds=@n1@,vhost=off ...

For each --tap ID=NS:TAP:QUEUES it enters namespace NS (setns(2) on
/run/netns/NS), opens /dev/net/tun QUEUES times and attaches each file
to the existing tap TAP with TUNSETIFF (IFF_TAP | IFF_NO_PI |
IFF_VNET_HDR, plus IFF_MULTI_QUEUE when QUEUES > 1: the tap must have
been made multi_queue exactly then), returns to its own namespace, and
replaces the placeholder @ID@ in QEMU's argv by the descriptors joined
with ':' (QEMU's `fds=` syntax, which takes the queue count from them).
Then it execs QEMU, which inherits the descriptors and keeps the pid, so
whoever started us can wait for and kill QEMU as before.  A tun file
stays bound to the namespace it was attached in, so the tap and every
frame on it stay in NS.

`tap_spec()` and `placeholder()` build the arguments for callers
(netns.py, scripts/run.sh uses the program form).
"""

import argparse
import ctypes
import fcntl
import os
import struct
import sys

NETNS_DIR = "/run/netns"
TUN_DEV = "/dev/net/tun"
CLONE_NEWNET = 0x40000000               # <linux/sched.h>
# <linux/if_tun.h>
TUNSETIFF = 0x400454CA                  # _IOW('T', 202, int)
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
IFF_VNET_HDR = 0x4000
IFF_MULTI_QUEUE = 0x0100
IFNAMSIZ = 16
IFREQ_SIZE = 40                         # sizeof(struct ifreq) on x86_64


def placeholder(netdev_id):
    """The text in QEMU's argv that becomes netdev_id's descriptors."""
    return "@%s@" % netdev_id


def tap_spec(netdev_id, ns, tap, queues):
    """The --tap argument for one tap."""
    return "%s=%s:%s:%d" % (netdev_id, ns, tap, queues)


def _setns(fd):
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, "setns: %s" % os.strerror(err))


def open_tap(tap, queues):
    """QUEUES inheritable descriptors attached to tap (current netns)."""
    flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR
    if queues > 1:
        flags |= IFF_MULTI_QUEUE
    name = tap.encode()
    if not 0 < len(name) < IFNAMSIZ:
        raise ValueError("bad interface name %r" % tap)
    ifr = struct.pack("%dsH" % IFNAMSIZ, name, flags)
    ifr += b"\0" * (IFREQ_SIZE - len(ifr))
    fds = []
    try:
        for _ in range(queues):
            fd = os.open(TUN_DEV, os.O_RDWR)
            fds.append(fd)
            fcntl.ioctl(fd, TUNSETIFF, ifr)
            os.set_inheritable(fd, True)
    except BaseException:
        for fd in fds:
            os.close(fd)
        raise
    return fds


def open_in_ns(ns, tap, queues):
    """open_tap() inside namespace ns, coming back to ours after."""
    own = os.open("/proc/self/ns/net", os.O_RDONLY)
    other = os.open(os.path.join(NETNS_DIR, ns), os.O_RDONLY)
    try:
        _setns(other)
        try:
            return open_tap(tap, queues)
        finally:
            _setns(own)
    finally:
        os.close(other)
        os.close(own)


def _parse_spec(text):
    netdev_id, sep, rest = text.partition("=")
    parts = rest.split(":")
    if not sep or not netdev_id or len(parts) != 3:
        raise argparse.ArgumentTypeError(
            "want ID=NS:TAP:QUEUES, got %r" % text)
    try:
        queues = int(parts[2])
    except ValueError:
        raise argparse.ArgumentTypeError("bad queue count in %r" % text)
    if queues < 1:
        raise argparse.ArgumentTypeError("bad queue count in %r" % text)
    return netdev_id, parts[0], parts[1], queues


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tap", action="append", type=_parse_spec, default=[],
                    metavar="ID=NS:TAP:QUEUES")
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args(argv)
    cmd = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not cmd:
        ap.error("no command to run")
    for netdev_id, ns, tap, queues in args.tap:
        fds = open_in_ns(ns, tap, queues)
        mark = placeholder(netdev_id)
        if not any(mark in a for a in cmd):
            ap.error("%s does not appear in the command" % mark)
        joined = ":".join(str(fd) for fd in fds)
        cmd = [a.replace(mark, joined) for a in cmd]
    os.execvp(cmd[0], cmd)


if __name__ == "__main__":
    sys.exit(main())
