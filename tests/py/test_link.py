# SPDX-License-Identifier: BSD-2-Clause
"""Link faults: the virtio-net link goes down and up under the guest
(QEMU's `set_link`, driven through the human monitor).

Every boot: pc, 128M, -smp 2, two queue pairs with RSS on the tap of a
fresh namespace (host 10.0.2.2/24, guest 10.0.2.15), with a monitor.
Proves:

- test_link_down_during_iperf3: 1 s into `iperf3 -c 10.0.2.15 -t 8`
  (once the guest's server says running) the link goes off, and on again
  3 s later.  The guest logs `vtnet0: link down` and then `vtnet0: link
  up` (its config interrupt), and `netstat -i` counts 2 link changes with
  the link up.  The iperf3 client either completes (exit 0) or ends with
  an error on its own within 60 s (no hang; which one is printed), the
  guest's server goes back to idle, and a new `iperf3 -t 3` then exits 0
  and the guest's `iperf3` command counts one more completed test.
- test_link_flap: the link goes off and on every 100 ms for 10 s
  (ending on), with `ping -i 0.05` running in the namespace throughout
  (its replies are printed, not asserted).  Afterwards the guest's
  `netstat -i` shows the link up and a link-change count that is even,
  at least 2 and at most the number of `set_link` commands, and equal to
  the number of `vtnet0: link <up|down>` lines the console got during the
  flap, which alternate down, up, down, ... and end with up; `ifconfig`
  shows LINK_UP; then 10 of 10 pings are answered and an `iperf3 -t 3`
  exits 0.
"""

import re
import subprocess
import time

import pytest

import netns as nsmod
import test_iperf3 as ti
from test_flood import netstat_i

GUEST_IP = "10.0.2.15"
HOST_CIDR = "10.0.2.2/24"
MEM = "128M"
SMP = 2
QUEUES = 2
NETDEV = nsmod.NETDEV_ID            # the -netdev id virtio_net_args uses
IPERF_SECONDS = 8
DOWN_AFTER = 1.0                    # s into the running test
DOWN_FOR = 3.0
AFTER_SECONDS = 3
CLIENT_TIMEOUT = 60
FLAP_PERIOD = 0.1
FLAP_SECONDS = 10.0
FLAP_PING_INTERVAL = 0.05
SETTLE_TIMEOUT = 10.0               # the guest noticing the last change
PINGS = 10
LINK_LINE_RE = re.compile(r"vtnet0: link (up|down)$", re.M)
LINK_DOWN = r"vtnet0: link down$"
LINK_UP = r"vtnet0: link up$"


def boot(qemu, netns):
    netns.add_host_addr(HOST_CIDR)
    return qemu(machine="pc", mem=MEM, smp=SMP, prefix=netns.prefix(),
                extra=netns.virtio_net_args(QUEUES, rss=True), monitor=True)


def set_link(con, up):
    out = con.monitor("set_link %s %s" % (NETDEV, "on" if up else "off"))
    assert out == [], out           # the monitor prints nothing on success


def wait_link(con, up, changes_at_least):
    """Poll netstat -i until the link is `up` with at least that many
    changes and the count stays put for one more reading."""
    deadline = time.monotonic() + SETTLE_TIMEOUT
    last = None
    while True:
        ni = netstat_i(con)
        now = (ni["link_up"], ni["link_changes"])
        if now[0] == up and now[1] >= changes_at_least and now == last:
            return ni
        assert time.monotonic() < deadline, ("link never settled", now)
        last = now
        time.sleep(0.5)


def iperf3_after(con, netns):
    """A short iperf3 run: exit 0, and the guest counts it completed."""
    _, before = ti.wait_state(con, lambda s, c: s == "idle", "idle")
    rc, out, err = netns.call(ti.client_argv(AFTER_SECONDS),
                              timeout=CLIENT_TIMEOUT)
    assert rc == 0, (out[-600:], err)
    ti.check_result(out, 1, lambda *a: None, "after")
    _, after = ti.wait_state(con, lambda s, c: s == "idle", "idle again")
    assert after["completed"] == before["completed"] + 1, (before, after)
    assert after["tests"] == before["tests"] + 1, (before, after)
    return after


@pytest.mark.requires_tap
def test_link_down_during_iperf3(qemu, netns):
    con = boot(qemu, netns)
    p = netns.ping(GUEST_IP, 3)
    assert p.received == 3, p
    ni0 = netstat_i(con)
    assert ni0["link_up"] and ni0["link_changes"] == 0, ni0

    with ti.Client(netns, ti.client_argv(IPERF_SECONDS,
                                         as_json=False)) as client:
        ti.wait_state(con, lambda s, c: s == "running", "test running")
        time.sleep(DOWN_AFTER)
        set_link(con, False)
        con.wait_for(LINK_DOWN)
        time.sleep(DOWN_FOR)
        set_link(con, True)
        con.wait_for(LINK_UP)
        try:
            rc, out, err = client.wait(CLIENT_TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail("iperf3 client still running %d s after the link "
                        "came back" % CLIENT_TIMEOUT)
    print("iperf3 across the link outage: exit %d; %s" % (
        rc, (out + err).strip().splitlines()[-1:]))
    if rc != 0:
        assert "iperf3: error" in out + err, (rc, out[-600:], err)
    ni = wait_link(con, True, 2)
    assert ni["link_changes"] == 2, ni

    print("guest iperf3 counters: %s" % iperf3_after(con, netns))
    assert not con.panics and con.alive()


@pytest.mark.requires_tap
def test_link_flap(qemu, netns):
    con = boot(qemu, netns)
    p = netns.ping(GUEST_IP, 3)
    assert p.received == 3, p
    start = len(con.text)
    ni0 = netstat_i(con)
    npings = int(FLAP_SECONDS / FLAP_PING_INTERVAL)
    pinger = subprocess.Popen(
        netns.prefix() + ["ping", "-n", "-q", "-c", str(npings), "-i",
                          str(FLAP_PING_INTERVAL), "-W", "1", GUEST_IP],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        commands, up = 0, True
        t0 = time.monotonic()
        while time.monotonic() - t0 < FLAP_SECONDS or not up:
            up = not up
            set_link(con, up)
            commands += 1
            time.sleep(FLAP_PERIOD)
        out, _ = pinger.communicate(timeout=CLIENT_TIMEOUT)
    finally:
        if pinger.poll() is None:
            pinger.kill()
            pinger.communicate()
    fp = nsmod.Ping(["ping"], pinger.returncode, out)
    print("flap: %d set_link commands; ping during it: %d sent, %d "
          "received" % (commands, fp.transmitted, fp.received))

    ni = wait_link(con, True, ni0["link_changes"] + 2)
    changes = ni["link_changes"] - ni0["link_changes"]
    logged = [m.group(1) for m in LINK_LINE_RE.finditer(con.text, start)]
    print("flap: guest counted %d link changes, logged %d" % (
        changes, len(logged)))
    assert changes % 2 == 0 and 2 <= changes <= commands, (changes,
                                                           commands)
    assert len(logged) == changes, logged
    assert logged == ["down", "up"] * (changes // 2), logged
    flags = [ln for ln in con.run("ifconfig") if "flags " in ln]
    assert len(flags) == 1 and "LINK_UP" in flags[0].split()[2].split(","), \
        flags

    p = netns.ping(GUEST_IP, PINGS)
    assert (p.rc, p.received) == (0, PINGS), p
    iperf3_after(con, netns)
    assert not con.panics and con.alive()
