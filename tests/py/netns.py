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
  `ping()` with -6; `neigh(addr, family=6)` reads an NDP entry;
- several taps in one namespace (multi-homing): `add_tap("tap1")` makes
  another tap set up like the first; the per-tap methods (`make_tap`,
  `add_host_addr`, `add_host_addr6`, `addrs4`, `addrs6`, `host_mac`,
  `neigh`, `wait_ipv6_ready`) take `tap=` (default: the first tap,
  `ns.tap`); `tap_state(tap)` reads what `ip -d link` says of it (up,
  multi_queue, the queues a reader attached);
- several guest NICs, whose taps may live in different namespaces:
  `plan_nics([(ns, tap, queues), ...])` gives one `Nic` per entry (NIC i
  is the guest's vtnet<i>, MAC `nic_mac(i)`, netdev id n<i>), making each
  tap exist with the right queue mode; `qemu_nic_args(nics)` returns the
  (prefix, extra) for QEMU: it runs in the first NIC's namespace, opens
  the taps there by name (ifname=) and those elsewhere through
  tapfds.py, which attaches them inside their own namespace and hands
  QEMU the descriptors (fds=).  A tap attached that way stays in its
  namespace: the frames of NIC i never leave ns i.
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
import tapfds

IP = "ip"
NS_PREFIX = "unisr-"
NS_RE = re.compile(r"^unisr-(\d+)-(\d+)$")
TAP = "tap0"
TXQUEUELEN = 20000
NETDEV_ID = "n0"
GUEST_MAC = frames.GUEST_MAC
# NIC i of a multi-NIC guest: MAC 52:54:00:12:34:(56 + i), netdev n<i>;
# NIC 0 is GUEST_MAC and NETDEV_ID, as in a one-NIC boot.
NIC_MAC_FMT = "52:54:00:12:34:%02x"
NIC_MAC_FIRST = 0x56
NIC_NETDEV_FMT = "n%d"
NICS_MAX = 8                    # the command line's CMDLINE_IFS_MAX
IFF_MULTI_QUEUE = 0x0100        # /sys/class/net/<tap>/tun_flags
FRAMES_PY = Path(__file__).resolve().parent / "frames.py"
TAPFDS_PY = Path(__file__).resolve().parent / "tapfds.py"
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
                    netdev_id=NETDEV_ID, mac=GUEST_MAC, device_opts="",
                    fds=None):
    """QEMU arguments for a multiqueue virtio-net-pci on tap `tap`.

    rss=True also turns on hash reporting (rss=on,hash=on); legacy=False
    makes the device modern-only (disable-legacy=on).  MSI-X vectors:
    one per virtqueue (2 * queues), one for the control queue, one for
    config changes.  `romfile=` (empty): no iPXE option ROM, which the
    guest never uses and the firmware would otherwise load and run at
    every boot.  fds: QEMU gets the tap's queues as these
    descriptors (text, "3:4:..." or a tapfds.py placeholder) instead of
    opening the tap by name.
    """
    dev = ("virtio-net-pci,netdev=%s,mq=on,vectors=%d,mac=%s,romfile="
           % (netdev_id, 2 * queues + 2, mac))
    if rss:
        dev += ",rss=on,hash=on"
    dev += ",disable-legacy=%s" % ("off" if legacy else "on")
    if device_opts:
        dev += "," + device_opts
    if fds is not None:
        # fds= takes the queue count from the descriptors; QEMU refuses
        # ifname=, script=, downscript= and queues= beside it.
        return ["-netdev", "tap,id=%s,fds=%s,vhost=off" % (netdev_id, fds),
                "-device", dev]
    return ["-netdev", "tap,id=%s,ifname=%s,script=no,downscript=no,"
            "queues=%d,vhost=off" % (netdev_id, tap, queues),
            "-device", dev]


class _Tap:
    """What NetNS remembers of one tap, to rebuild it in make_tap()."""

    def __init__(self):
        self.multi_queue = None         # not made yet
        self.addrs = []                 # IPv4 CIDRs on the tap, in order
        self.addrs6 = []                # IPv6 CIDRs on the tap, in order


class NetNS:
    """One network namespace with a multiqueue tap (or several) in it."""

    def __init__(self, name, tap=TAP, ipv6=False):
        self.name = name
        self.tap = tap                  # the first tap: the default
        self.ipv6 = ipv6
        self.deleted = False
        self.txqueuelen = TXQUEUELEN
        self._taps = {tap: _Tap()}      # by name, in creation order

    def _t(self, tap):
        name = tap or self.tap
        if name not in self._taps:
            raise NetNSError("%s: no tap %s (taps: %s)" % (
                self.name, name, ", ".join(self._taps)))
        return self._taps[name]

    @property
    def multi_queue(self):
        """The first tap's queue mode (None before it exists)."""
        return self._taps[self.tap].multi_queue

    @property
    def host_addrs(self):
        """IPv4 CIDRs on the first tap, in order."""
        return self._taps[self.tap].addrs

    @property
    def host_addrs6(self):
        """IPv6 CIDRs on the first tap, in order."""
        return self._taps[self.tap].addrs6

    def taps(self):
        """The names of this namespace's taps, the first first."""
        return list(self._taps)

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
        """(Re)create a tap (default the first), multi_queue or not.

        QEMU opens a tap for queues=1 without IFF_MULTI_QUEUE, which a
        multi_queue persistent tap refuses (EINVAL), so one-queue boots
        need a single-queue tap.
        """
        name = tap or self.tap
        t = self._t(name)
        if t.multi_queue is not None:
            self.run([IP, "tuntap", "del", "dev", name, "mode", "tap"]
                     + (["multi_queue"] if t.multi_queue else []))
        t.multi_queue = None
        self.run([IP, "tuntap", "add", "dev", name, "mode", "tap"]
                 + (["multi_queue"] if multi_queue else []))
        t.multi_queue = multi_queue
        txqueuelen = self.txqueuelen
        v6off = 0 if self.ipv6 else 1
        self.sysctl("net.ipv6.conf.%s.disable_ipv6" % name, v6off)
        self.run([IP, "link", "set", "dev", name, "txqueuelen",
                  str(txqueuelen)])
        self.run([IP, "link", "set", "dev", name, "up"])
        # What we asked for is what we got.
        if self.read_sysctl("net.ipv6.conf.%s.disable_ipv6"
                            % name) != v6off:
            raise NetNSError("IPv6 %s on %s" % (
                "disabled" if self.ipv6 else "still enabled", name))
        if int(self.read_sys("tx_queue_len", dev=name)) != txqueuelen:
            raise NetNSError("txqueuelen not %d" % txqueuelen)
        flags = int(self.read_sys("tun_flags", dev=name), 16)
        if bool(flags & IFF_MULTI_QUEUE) != multi_queue:
            raise NetNSError("%s: multi_queue %s wanted, tun_flags 0x%x"
                             % (name, multi_queue, flags))
        # With IPv6 on, the kernel may give the tap a link-local address
        # of its own; IPv4 addresses come only from add_host_addr().
        addrs = self.run([IP, "-o"] + (["-4"] if self.ipv6 else [])
                         + ["addr", "show", "dev", name]).stdout
        if addrs.strip():
            raise NetNSError("%s has addresses: %s" % (name, addrs))
        for cidr in t.addrs:
            self._apply_addr(cidr, name)
        for cidr in t.addrs6:
            self._apply_addr6(cidr, name)

    def add_tap(self, tap, multi_queue=True):
        """Another tap in this namespace, set up like the first
        (multi-homing); returns its name."""
        if tap in self._taps:
            raise NetNSError("%s: tap %s exists" % (self.name, tap))
        self._taps[tap] = _Tap()
        try:
            self.make_tap(multi_queue, tap=tap)
        except BaseException:
            if self._taps[tap].multi_queue is None:
                del self._taps[tap]
            raise
        return tap

    def ensure_queues(self, queues, tap=None):
        """Make the tap multi_queue iff queues > 1 (QEMU's rule)."""
        if self._t(tap).multi_queue != (queues > 1):
            self.make_tap(queues > 1, tap=tap)

    def tap_state(self, tap=None):
        """What `ip -d link show` says of a tap: {"up": IFF_UP set,
        "lower_up": carrier (a reader attached), "multi_queue",
        "numqueues": queues attached and enabled, "numdisabled": attached
        but disabled (QEMU disables the queues the guest does not use)}."""
        name = tap or self.tap
        out = self.run([IP, "-d", "link", "show", "dev", name]).stdout
        m = re.search(r"<([^>]*)>", out)
        flags = m.group(1).split(",") if m else []
        num = dict((k, int(v)) for k, v in re.findall(
            r"\b(numqueues|numdisabled) (\d+)", out))
        return {"up": "UP" in flags, "lower_up": "LOWER_UP" in flags,
                "multi_queue": " multi_queue " in out,
                "numqueues": num.get("numqueues", 0),
                "numdisabled": num.get("numdisabled", 0)}

    def _apply_addr(self, cidr, tap):
        self.run([IP, "addr", "add", cidr, "dev", tap])
        have = self.addrs4(tap=tap)
        if cidr not in have:
            raise NetNSError("%s: asked for %s, has %s" % (tap, cidr, have))

    def add_host_addr(self, cidr, tap=None):
        """Give the host side of a tap (default the first) the IPv4
        address `cidr` (e.g. "10.0.2.2/24"); make_tap() puts it back on
        a new tap."""
        name = tap or self.tap
        self._apply_addr(cidr, name)
        self._t(name).addrs.append(cidr)

    def _apply_addr6(self, cidr, tap):
        self.run([IP, "-6", "addr", "add", cidr, "dev", tap, "nodad"])
        have = self.addrs6(tap=tap)
        if cidr not in have:
            raise NetNSError("%s: asked for %s, has %s" % (tap, cidr, have))

    def add_host_addr6(self, cidr, tap=None):
        """Give the host side of a tap (default the first) the IPv6
        address `cidr` (e.g. "fd00:1::2/64"), without duplicate address
        detection, so it is usable at once; make_tap() puts it back on a
        new tap.  Needs a namespace created with ipv6=True."""
        if not self.ipv6:
            raise NetNSError("add_host_addr6 needs NetNS.create(ipv6=True)")
        name = tap or self.tap
        self._apply_addr6(cidr, name)
        self._t(name).addrs6.append(cidr)

    def addrs6(self, tentative=False, tap=None):
        """A tap's IPv6 addresses as CIDR strings (link-local too);
        tentative=True: only those still in duplicate address detection."""
        out = self.run([IP, "-o", "-6", "addr", "show", "dev",
                        tap or self.tap]
                       + (["tentative"] if tentative else [])).stdout
        return re.findall(r"\binet6 (\S+)", out)

    def wait_ipv6_ready(self, timeout=10.0, poll=0.1, tap=None):
        """Wait until a tap has an IPv6 link-local address and none of
        its IPv6 addresses is tentative; returns addrs6()."""
        name = tap or self.tap
        deadline = time.monotonic() + timeout
        while True:
            have = self.addrs6(tap=name)
            pending = self.addrs6(tentative=True, tap=name)
            if not pending and any(a.startswith("fe80:") for a in have):
                return have
            if time.monotonic() > deadline:
                raise NetNSError("%s: IPv6 not ready after %.0f s: %s, "
                                 "tentative %s" % (name, timeout, have,
                                                   pending))
            time.sleep(poll)

    def addrs4(self, tap=None):
        """A tap's IPv4 addresses as CIDR strings."""
        out = self.run([IP, "-o", "-4", "addr", "show", "dev",
                        tap or self.tap]).stdout
        return re.findall(r"\binet (\S+)", out)

    def host_mac(self, tap=None):
        """A tap's own MAC, as /sys/class/net/<tap>/address shows it."""
        return self.read_sys("address", dev=tap)

    def virtio_net_args(self, queues, rss=False, legacy=True, device_opts="",
                        tap=None, netdev_id=NETDEV_ID, mac=GUEST_MAC):
        """virtio_net_args() for the first tap (or `tap`, made if need
        be), made multi_queue iff queues > 1.  Each NIC needs its own
        tap, netdev_id and mac."""
        tap = tap or self.tap
        if tap not in self._taps:
            self.add_tap(tap, multi_queue=queues > 1)
        self.ensure_queues(queues, tap=tap)
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

    def neigh(self, addr, family=4, tap=None):
        """(lladdr or None, state) of the namespace's neighbour entry for
        `addr` on a tap (ARP, or NDP with family=6), or None when it has
        none."""
        out = self.run([IP, "-%d" % family, "neigh", "show", "to", addr,
                        "dev", tap or self.tap]).stdout
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


def nic_mac(index):
    """The guest MAC of NIC `index` (vtnet<index>): 52:54:00:12:34:56,
    :57, ... (NIC 0's is GUEST_MAC)."""
    if not 0 <= index < NICS_MAX:
        raise ValueError("NIC index %d not in 0..%d" % (index, NICS_MAX - 1))
    return NIC_MAC_FMT % (NIC_MAC_FIRST + index)


class Nic:
    """One guest NIC: vtnet<index>, on tap `tap` in namespace `ns`."""

    def __init__(self, index, ns, tap, queues):
        self.index = index
        self.ns = ns                    # a NetNS
        self.tap = tap
        self.queues = queues
        self.mac = nic_mac(index)
        self.netdev_id = NIC_NETDEV_FMT % index
        self.name = "vtnet%d" % index   # what the guest calls it

    def __repr__(self):
        return "Nic(%s: %s/%s, %d queues, %s)" % (
            self.name, self.ns.name, self.tap, self.queues, self.mac)


def plan_nics(specs):
    """One Nic per (ns, tap, queues) in specs, in guest order.

    ns is a NetNS; tap must be one of its taps (NetNS.create(tap=...) or
    add_tap()) and is remade multi_queue iff queues > 1.  Each (ns, tap)
    may back one NIC only.
    """
    nics, seen = [], set()
    if not 0 < len(specs) <= NICS_MAX:
        raise ValueError("1 to %d NICs, not %d" % (NICS_MAX, len(specs)))
    for index, spec in enumerate(specs):
        ns, tap, queues = spec
        if (ns.name, tap) in seen:
            raise ValueError("%s/%s backs two NICs" % (ns.name, tap))
        seen.add((ns.name, tap))
        if queues < 1:
            raise ValueError("%s/%s: %d queues" % (ns.name, tap, queues))
        ns.ensure_queues(queues, tap=tap)
        nics.append(Nic(index, ns, tap, queues))
    return nics


def qemu_nic_args(nics, rss=False, legacy=True, device_opts="", home=None):
    """(prefix, extra) that boot QEMU with these Nics (plan_nics()).

    QEMU runs inside namespace `home` (a NetNS; default the first NIC's);
    the taps there it opens by name like virtio_net_args(); each tap in
    another namespace is attached there by tapfds.py, which then execs
    QEMU with the descriptors (`-netdev tap,fds=...`).  The -device
    options (rss, legacy, device_opts) are the same for every NIC.
    """
    home = home or nics[0].ns
    prefix = home.prefix()
    extra, specs = [], []
    for nic in nics:
        fds = None
        if nic.ns is not home:
            fds = tapfds.placeholder(nic.netdev_id)
            specs += ["--tap", tapfds.tap_spec(nic.netdev_id, nic.ns.name,
                                               nic.tap, nic.queues)]
        extra += virtio_net_args(nic.queues, rss=rss, legacy=legacy,
                                 tap=nic.tap, netdev_id=nic.netdev_id,
                                 mac=nic.mac, device_opts=device_opts,
                                 fds=fds)
    if specs:
        prefix += [sys.executable, str(TAPFDS_PY)] + specs + ["--"]
    return prefix, extra


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
