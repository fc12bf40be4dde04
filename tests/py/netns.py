# SPDX-License-Identifier: BSD-2-Clause
"""Network namespaces with a multiqueue tap, for the virtio-net tests.

Proves nothing on its own; it keeps every frame the tests send inside a
namespace they created:
- `NetNS.create()` makes a namespace named `unisr-<pid>-<n>` and in it a
  persistent multi_queue tap `tap0` with IPv6 disabled (all, default and
  on the tap, before it comes up), no IPv4 address and txqueuelen 20000,
  so the host kernel never sends anything on it of its own accord;
  `NetNS.virtio_net_args(queues)` remakes it single-queue for queues=1
  (QEMU opens a one-queue tap without IFF_MULTI_QUEUE);
  `delete()` removes the namespace (and with it the tap) and is safe to
  call twice;
- `cleanup_stale()` deletes `unisr-<pid>-<n>` namespaces whose creating
  process is gone (left by a run that was killed);
- `virtio_net_args()` is the QEMU -netdev/-device pair for N queues;
- for several NICs: `NetNS.virtio_net_args(queues, tap="tap1",
  netdev_id="n1", mac=...)` makes another tap in the namespace, set up as
  `tap0` is (no address, IPv6 as the namespace, same txqueuelen), and
  gives the pair for it; `send_frames(..., tap="tap1")`, `stats(dev)` and
  `tx_dropped(dev)` work on any of them (tap0 by default);
- `NetNS.send_frames()` runs frames.py as a program inside the namespace
  (`ip netns exec`), sending IPv4/UDP frames out of the tap to the guest,
  and checks from inside the namespace that the tap transmitted exactly
  those frames and dropped none;
- for the IP tests: `NetNS.create(ipv6=True)` leaves IPv6 enabled (off by
  default, as before); `add_host_addr("10.0.2.2/24")` gives the host side
  of the tap an IPv4 address, which survives `make_tap()`;
  `host_mac()` is the tap's MAC; `call()` runs a command inside and
  returns its exit code and output without raising; `ping()` runs
  iputils ping inside and parses its summary; `neigh()` reads the
  namespace's neighbour (ARP) entry for an address on the tap;
- for IPv6 (with ipv6=True): `add_host_addr6("fd00:1::2/64")` gives the
  tap an IPv6 address without DAD (nodad: usable at once), which also
  survives `make_tap()`; `addrs6()` lists the tap's IPv6 addresses;
  `wait_ipv6_ready()` waits until none of them is tentative (the kernel's
  own link-local address goes through DAD, about a second); `ping6()` is
  `ping()` with -6; `neigh(addr, family=6)` reads an NDP entry.
"""

import itertools
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import frames

IP = "ip"
NS_PREFIX = "unisr-"
NS_RE = re.compile(r"^unisr-(\d+)-(\d+)$")
TAP = "tap0"
TXQUEUELEN = 20000
NETDEV_ID = "n0"
GUEST_MAC = frames.GUEST_MAC
FRAMES_PY = Path(__file__).resolve().parent / "frames.py"
CMD_TIMEOUT = 30
PING_TIMEOUT = 60

# iputils' summary: "20 packets transmitted, 20 received, +1 duplicates,
# +1 corrupted, +2 errors, 0% packet loss, time 1000ms" (the "+N" parts
# only when non-zero).
PING_SUMMARY_RE = re.compile(
    r"^(\d+) packets transmitted, (\d+) received((?:, \+\d+ \w+)*), "
    r"([\d.]+)% packet loss", re.M)

_counter = itertools.count()


class NetNSError(RuntimeError):
    pass


def _run(argv, timeout=CMD_TIMEOUT, check=True, input=None):
    p = subprocess.run(argv, capture_output=True, text=True,
                       timeout=timeout, input=input)
    if check and p.returncode != 0:
        raise NetNSError("%s exited %d: %s%s" % (
            " ".join(argv), p.returncode, p.stdout, p.stderr))
    return p


def list_namespaces():
    """Names of all network namespaces `ip netns list` shows."""
    out = _run([IP, "netns", "list"]).stdout
    # Lines look like "name" or "name (id: 3)".
    return [ln.split()[0] for ln in out.splitlines() if ln.strip()]


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def cleanup_stale():
    """Delete unisr-<pid>-<n> namespaces whose process no longer exists."""
    gone = []
    for name in list_namespaces():
        m = NS_RE.match(name)
        if m and int(m.group(1)) != os.getpid() and not _pid_alive(
                int(m.group(1))):
            _run([IP, "netns", "del", name], check=False)
            gone.append(name)
    return gone


def unique_name():
    existing = set(list_namespaces())
    while True:
        name = "%s%d-%d" % (NS_PREFIX, os.getpid(), next(_counter))
        if name not in existing:
            return name


def virtio_net_args(queues, rss=False, legacy=True, tap=TAP,
                    netdev_id=NETDEV_ID, mac=GUEST_MAC, device_opts=""):
    """QEMU arguments for a multiqueue virtio-net-pci on tap `tap`.

    rss=True also turns on hash reporting (rss=on,hash=on); legacy=False
    makes the device modern-only (disable-legacy=on).  MSI-X vectors:
    one per virtqueue (2 * queues), one for the control queue, one for
    config changes.
    """
    dev = ("virtio-net-pci,netdev=%s,mq=on,vectors=%d,mac=%s"
           % (netdev_id, 2 * queues + 2, mac))
    if rss:
        dev += ",rss=on,hash=on"
    dev += ",disable-legacy=%s" % ("off" if legacy else "on")
    if device_opts:
        dev += "," + device_opts
    return ["-netdev", "tap,id=%s,ifname=%s,script=no,downscript=no,"
            "queues=%d,vhost=off" % (netdev_id, tap, queues),
            "-device", dev]


class NetNS:
    """One network namespace with a multiqueue tap in it."""

    def __init__(self, name, tap=TAP, ipv6=False):
        self.name = name
        self.tap = tap
        self.ipv6 = ipv6
        self.deleted = False
        self.multi_queue = None         # no tap yet
        self.extra_taps = {}            # other taps: name -> multi_queue
        self.txqueuelen = TXQUEUELEN
        self.host_addrs = []            # IPv4 CIDRs on the tap, in order
        self.host_addrs6 = []           # IPv6 CIDRs on the tap, in order

    # ---- life cycle ----------------------------------------------------
    @classmethod
    def create(cls, tap=TAP, txqueuelen=TXQUEUELEN, ipv6=False):
        ns = cls(unique_name(), tap, ipv6=ipv6)
        _run([IP, "netns", "add", ns.name])
        try:
            ns._setup(txqueuelen)
        except BaseException:
            ns.delete()
            raise
        return ns

    def _setup(self, txqueuelen):
        # New devices take net.ipv6.conf.default, so set it first.
        if not self.ipv6:
            for scope in ("all", "default"):
                self.sysctl("net.ipv6.conf.%s.disable_ipv6" % scope, 1)
        self.txqueuelen = txqueuelen
        self.make_tap(True)

    def make_tap(self, multi_queue, tap=None):
        """(Re)create the tap (tap0, or another one: `tap`), multi_queue
        or single-queue.

        QEMU opens a tap for queues=1 without IFF_MULTI_QUEUE, which a
        multi_queue persistent tap refuses (EINVAL), so one-queue boots
        need a single-queue tap.  Host addresses go on tap0 only.
        """
        tap = tap or self.tap
        old = (self.multi_queue if tap == self.tap
               else self.extra_taps.get(tap))
        if old is not None:
            self.run([IP, "tuntap", "del", "dev", tap, "mode", "tap"]
                     + (["multi_queue"] if old else []))
        if tap == self.tap:
            self.multi_queue = None
        else:
            self.extra_taps.pop(tap, None)
        self.run([IP, "tuntap", "add", "dev", tap, "mode", "tap"]
                 + (["multi_queue"] if multi_queue else []))
        if tap == self.tap:
            self.multi_queue = multi_queue
        else:
            self.extra_taps[tap] = multi_queue
        txqueuelen = self.txqueuelen
        v6off = 0 if self.ipv6 else 1
        self.sysctl("net.ipv6.conf.%s.disable_ipv6" % tap, v6off)
        self.run([IP, "link", "set", "dev", tap, "txqueuelen",
                  str(txqueuelen)])
        self.run([IP, "link", "set", "dev", tap, "up"])
        # What we asked for is what we got.
        if self.read_sysctl("net.ipv6.conf.%s.disable_ipv6"
                            % tap) != v6off:
            raise NetNSError("IPv6 %s on %s" % (
                "disabled" if self.ipv6 else "still enabled", tap))
        if int(self.read_sys("tx_queue_len", tap)) != txqueuelen:
            raise NetNSError("txqueuelen not %d" % txqueuelen)
        flags = int(self.read_sys("tun_flags", tap), 16)
        if bool(flags & 0x0100) != multi_queue:         # IFF_MULTI_QUEUE
            raise NetNSError("%s: multi_queue %s wanted, tun_flags 0x%x"
                             % (tap, multi_queue, flags))
        # With IPv6 on, the kernel may give the tap a link-local address
        # of its own; IPv4 addresses come only from add_host_addr().
        addrs = self.run([IP, "-o"] + (["-4"] if self.ipv6 else [])
                         + ["addr", "show", "dev", tap]).stdout
        if addrs.strip():
            raise NetNSError("%s has addresses: %s" % (tap, addrs))
        if tap != self.tap:
            return
        for cidr in self.host_addrs:
            self._apply_addr(cidr)
        for cidr in self.host_addrs6:
            self._apply_addr6(cidr)

    def _apply_addr(self, cidr):
        self.run([IP, "addr", "add", cidr, "dev", self.tap])
        have = self.addrs4()
        if cidr not in have:
            raise NetNSError("%s: asked for %s, has %s" % (self.tap, cidr,
                                                         have))

    def add_host_addr(self, cidr):
        """Give the host side of the tap the IPv4 address `cidr`
        (e.g. "10.0.2.2/24"); make_tap() puts it back on a new tap."""
        self._apply_addr(cidr)
        self.host_addrs.append(cidr)

    def _apply_addr6(self, cidr):
        self.run([IP, "-6", "addr", "add", cidr, "dev", self.tap, "nodad"])
        have = self.addrs6()
        if cidr not in have:
            raise NetNSError("%s: asked for %s, has %s" % (self.tap, cidr,
                                                         have))

    def add_host_addr6(self, cidr):
        """Give the host side of the tap the IPv6 address `cidr` (e.g.
        "fd00:1::2/64"), without duplicate address detection, so it is
        usable at once; make_tap() puts it back on a new tap.  Needs a
        namespace created with ipv6=True."""
        if not self.ipv6:
            raise NetNSError("add_host_addr6 needs NetNS.create(ipv6=True)")
        self._apply_addr6(cidr)
        self.host_addrs6.append(cidr)

    def addrs6(self, tentative=False):
        """The tap's IPv6 addresses as CIDR strings (link-local too);
        tentative=True: only those still in duplicate address detection."""
        out = self.run([IP, "-o", "-6", "addr", "show", "dev", self.tap]
                       + (["tentative"] if tentative else [])).stdout
        return re.findall(r"\binet6 (\S+)", out)

    def wait_ipv6_ready(self, timeout=10.0, poll=0.1):
        """Wait until the tap has an IPv6 link-local address and none of
        its IPv6 addresses is tentative; returns addrs6()."""
        deadline = time.monotonic() + timeout
        while True:
            have = self.addrs6()
            pending = self.addrs6(tentative=True)
            if not pending and any(a.startswith("fe80:") for a in have):
                return have
            if time.monotonic() > deadline:
                raise NetNSError("%s: IPv6 not ready after %.0f s: %s, "
                                 "tentative %s" % (self.tap, timeout, have,
                                                   pending))
            time.sleep(poll)

    def addrs4(self):
        """The tap's IPv4 addresses as CIDR strings."""
        out = self.run([IP, "-o", "-4", "addr", "show", "dev",
                        self.tap]).stdout
        return re.findall(r"\binet (\S+)", out)

    def host_mac(self):
        """The tap's own MAC, as /sys/class/net/<tap>/address shows it."""
        return self.read_sys("address")

    def virtio_net_args(self, queues, rss=False, legacy=True, device_opts="",
                        tap=None, netdev_id=NETDEV_ID, mac=GUEST_MAC):
        """virtio_net_args() for tap0 (or `tap`, made if need be), made
        multi_queue iff queues > 1.  Each NIC needs its own tap,
        netdev_id and mac."""
        tap = tap or self.tap
        have = (self.multi_queue if tap == self.tap
                else self.extra_taps.get(tap))
        if have != (queues > 1):
            self.make_tap(queues > 1, tap)
        return virtio_net_args(queues, rss=rss, legacy=legacy, tap=tap,
                               netdev_id=netdev_id, mac=mac,
                               device_opts=device_opts)

    def delete(self):
        """Remove the namespace (the tap goes with it); idempotent."""
        if self.deleted:
            return
        _run([IP, "netns", "del", self.name], check=False)
        self.deleted = self.name not in list_namespaces()
        if not self.deleted:
            raise NetNSError("namespace %s still exists" % self.name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.delete()

    # ---- running things inside -----------------------------------------
    def prefix(self):
        """argv prefix that runs a command inside the namespace."""
        return [IP, "netns", "exec", self.name]

    def run(self, argv, timeout=CMD_TIMEOUT, check=True, input=None):
        return _run(self.prefix() + list(argv), timeout, check, input)

    def call(self, argv, timeout=CMD_TIMEOUT, input=None):
        """Run argv inside; return (exit code, stdout, stderr), never
        raising for a non-zero exit (a timeout still raises)."""
        p = _run(self.prefix() + list(argv), timeout, False, input)
        return p.returncode, p.stdout, p.stderr

    def ping(self, addr, count, interval=0.2, wait=2, timeout=PING_TIMEOUT):
        """iputils `ping -n -c count -i interval -W wait addr` inside.

        Returns a Ping with the exit code, the whole output and the
        summary numbers (transmitted, received, duplicates, errors, loss).
        """
        argv = ["ping", "-n", "-c", str(count), "-i", str(interval),
                "-W", str(wait), addr]
        rc, out, err = self.call(argv, timeout=timeout)
        return Ping(argv, rc, out + err)

    def ping6(self, addr, count, interval=0.2, wait=2, timeout=PING_TIMEOUT):
        """ping() over IPv6 (`ping -6`); addr may carry a %zone."""
        argv = ["ping", "-6", "-n", "-c", str(count), "-i", str(interval),
                "-W", str(wait), addr]
        rc, out, err = self.call(argv, timeout=timeout)
        return Ping(argv, rc, out + err)

    def neigh(self, addr, family=4):
        """(lladdr or None, state) of the namespace's neighbour entry for
        `addr` on the tap (ARP, or NDP with family=6), or None when it has
        none."""
        out = self.run([IP, "-%d" % family, "neigh", "show", "to", addr,
                        "dev", self.tap]).stdout
        for line in out.splitlines():
            f = line.split()
            if not f or f[0] != addr:
                continue
            mac = f[f.index("lladdr") + 1] if "lladdr" in f else None
            return mac, f[-1]
        return None

    def sysctl(self, key, value):
        self.run(["sysctl", "-qw", "%s=%s" % (key, value)])

    def read_sysctl(self, key):
        return int(self.run(["sysctl", "-n", key]).stdout.strip())

    def read_sys(self, attr, dev=None):
        """/sys/class/net/<dev>/<attr> as seen inside the namespace."""
        path = "/sys/class/net/%s/%s" % (dev or self.tap, attr)
        return self.run(["cat", path]).stdout.strip()

    def stats(self, dev=None):
        """The tap's statistics counters (tx_packets, tx_dropped, ...)."""
        out = self.run([
            "sh", "-c", 'cd /sys/class/net/"$1"/statistics && grep . *',
            "sh", dev or self.tap]).stdout
        st = {}
        for line in out.splitlines():
            k, _, v = line.partition(":")
            st[k] = int(v)
        return st

    def tx_dropped(self, dev=None):
        return int(self.read_sys("statistics/tx_dropped", dev))

    def send_frames(self, nflows, count, timeout=120, tap=None, **kw):
        """Send `count` UDP frames over `nflows` flows from the tap side.

        Returns a Sent record.  Fails at once if the sender's per-flow
        counts are not the round-robin plan or the tap's tx_dropped moved
        while sending (the tap's queues were outrun); Sent.wait_drained()
        later checks that QEMU read every frame off the tap.
        """
        flows = frames.make_flows(nflows, **{
            k: kw[k] for k in ("src", "dst", "sport_base", "dport")
            if k in kw})
        tap = tap or self.tap
        argv = [sys.executable, str(FRAMES_PY), "send", "--iface", tap,
                "--flows", str(nflows), "--count", str(count)]
        for k in ("src", "dst", "sport_base", "dport", "payload", "batch",
                  "gap"):
            if k in kw:
                argv += ["--" + k.replace("_", "-"), str(kw[k])]
        before = self.stats(tap)
        p = self.run(argv, timeout=timeout)
        dropped = self.tx_dropped(tap)
        res = json.loads(p.stdout)
        want = frames.flow_plan(nflows, count)
        if res["per_flow"] != want or res["sent"] != count:
            raise NetNSError("sender sent %s, planned %s" % (res, want))
        if dropped != before["tx_dropped"]:
            raise NetNSError("tap dropped %d frames (tx_dropped %d -> %d)"
                             % (dropped - before["tx_dropped"],
                                before["tx_dropped"], dropped))
        return Sent(self, flows, res["per_flow"], res["frame_len"], before,
                    res["seconds"], tap)


class Ping:
    """One ping run: argv, rc, output, and its parsed summary line."""

    def __init__(self, argv, rc, output):
        self.argv = argv
        self.rc = rc
        self.output = output
        m = PING_SUMMARY_RE.search(output)
        self.summary = m is not None
        self.transmitted = int(m.group(1)) if m else 0
        self.received = int(m.group(2)) if m else 0
        extra = dict((k, int(v)) for v, k in re.findall(
            r"\+(\d+) (\w+)", m.group(3))) if m else {}
        self.duplicates = extra.get("duplicates", 0)
        self.corrupted = extra.get("corrupted", 0)
        self.errors = extra.get("errors", 0)
        self.loss = float(m.group(4)) if m else 100.0

    def __repr__(self):
        return "%s -> exit %d:\n%s" % (" ".join(self.argv), self.rc,
                                       self.output)


class Sent:
    """What one send_frames() sent, and the tap counters before it."""

    def __init__(self, ns, flows, per_flow, frame_len, before, seconds,
                 tap=None):
        self.ns = ns
        self.tap = tap
        self.flows = flows
        self.per_flow = per_flow
        self.frame_len = frame_len
        self.before = before
        self.seconds = seconds

    @property
    def count(self):
        return sum(self.per_flow)

    def by_key(self):
        """{(src, sport, dst, dport): frames sent}."""
        return {f.key: n for f, n in zip(self.flows, self.per_flow)}

    def delta(self):
        after = self.ns.stats(self.tap)
        return {k: after[k] - self.before.get(k, 0) for k in after}

    def wait_drained(self, timeout=60.0, poll=0.25):
        """Wait until the tap delivered every frame to QEMU.

        A tap counts tx_packets when its reader (QEMU) takes a frame, so
        this waits for tx_packets to grow by exactly the frames sent, then
        checks tx_dropped did not move.  Returns the stats delta.
        """
        deadline = time.monotonic() + timeout
        while True:
            d = self.delta()
            if d["tx_packets"] > self.count:
                raise NetNSError("tap transmitted %d frames, %d sent: "
                                 "something else used it" %
                                 (d["tx_packets"], self.count))
            if d["tx_packets"] == self.count or time.monotonic() > deadline:
                break
            time.sleep(poll)
        if d["tx_dropped"] != 0:
            raise NetNSError("tap dropped %d frames" % d["tx_dropped"])
        if d["tx_packets"] != self.count:
            raise NetNSError("QEMU took %d of %d frames off the tap in %.0f s"
                             % (d["tx_packets"], self.count, timeout))
        return d
