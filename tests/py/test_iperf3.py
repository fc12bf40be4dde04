# SPDX-License-Identifier: BSD-2-Clause
"""iperf3 against the guest's own iperf3 server (lwipg_iperf3.c, TCP port
5201), with Debian's iperf3 client from inside a network namespace the
test creates.

Proves:
- `iperf3 -c 10.0.2.15 -t 2 -J` forward (the client sends), `-R` (the
  guest sends) and `-P 4` each exit 0 with JSON whose
  end.sum_received.bytes is positive and end.sum_received.bits_per_second
  above a 10 Mbit/s sanity floor, with one end.streams entry per stream;
  the guest prints `iperf3: test 1: <forward|reverse>, <n> streams, ...`
  and its `iperf3` command counts 1 test, 1 completed, none aborted;
  the client's remote CPU use (end.cpu_utilization_percent.remote_total,
  0 to 100, user 0) is the one the guest prints, and for -R the
  client's sum_sent.retransmits is the guest's count;
- one test at a time: a second client while a test runs is refused
  (non-zero exit, "busy" in its message), the running test still
  completes, and the guest counts 1 completed and 1 denied;
- a client killed with SIGKILL 1 s into its test (forward, then -R) is
  counted as aborted and the server goes back to idle; the next test
  then completes normally;
- malformed control messages (parameter JSON jsmn cannot read, nested
  too deep for the token array, a length past the limit) get SERVER_ERROR
  with IERECVPARAMS (114), or a reset for the length, are counted, and
  leave the server idle; a real test then completes.  A UDP datagram
  size out of 16..65507 gets IEUDPBLOCKSIZE (20), 9 streams IENUMSTREAMS
  (6), and `iperf3 --sctp` iperf3's own "protocol does not exist"
  (IEPROTOCOL); each is counted under its reason in `iperf3: refused`.
  (UDP and --bidir: test_iperf3_udp.py.)

Rates are recorded (record_property and stdout), not asserted beyond the
floor: throughput is a benchmark, not a test.
"""

import json
import re
import signal
import subprocess
import time

import pytest

GUEST_IP = "10.0.2.15"
HOST_CIDR = "10.0.2.2/24"
MEM = "128M"
TEST_SECONDS = 2
CLIENT_TIMEOUT = 60
FLOOR_BPS = 10e6
STATE_TIMEOUT = 30              # the guest reaching a state we wait for
POLL = 0.5
KILL_AFTER = 1.0

STATE_RE = re.compile(r"^iperf3: port 5201 state (\w+) max-streams (\d+)$",
                      re.M)
COUNTERS_RE = re.compile(
    r"^iperf3: tests (\d+) completed (\d+) aborted (\d+) denied (\d+) "
    r"errors (\d+)$", re.M)
# Printed when the results go out, possibly after the prompt on its line.
DONE_RE = (r"iperf3: test (\d+): (forward|reverse), (\d+) streams, "
           r"(\d+) bytes in (\d+) ms, cpu (\d+\.\d+)%, "
           r"retransmits (\d+)$")

# mode: (iperf3 arguments, streams, direction the guest reports, smp,
# queues).  -P 4 runs on two RSS queues: the streams spread over both.
MODES = {
    "forward": ([], 1, "forward", 1, 1),
    "reverse": (["-R"], 1, "reverse", 2, 2),
    "P4": (["-P", "4"], 4, "forward", 2, 2),
}


def boot(qemu, netns, smp=1, queues=1):
    netns.add_host_addr(HOST_CIDR)
    return qemu(machine="pc", mem=MEM, smp=smp, prefix=netns.prefix(),
                extra=netns.virtio_net_args(queues, rss=queues > 1))


def client_argv(seconds, extra=(), as_json=True):
    return (["iperf3", "-c", GUEST_IP, "-t", str(seconds)]
            + (["-J"] if as_json else []) + list(extra))


def server_state(con):
    """(state, {tests, completed, aborted, denied, errors}) from `iperf3`."""
    return server_state_text("\n".join(con.run("iperf3")))


def server_state_text(text):
    """server_state() of the `iperf3` command's output text."""
    s, c = STATE_RE.search(text), COUNTERS_RE.search(text)
    assert s and c, text
    keys = ("tests", "completed", "aborted", "denied", "errors")
    return s.group(1), dict(zip(keys, map(int, c.groups())))


def wait_state(con, pred, what):
    """Poll `iperf3` until pred(state, counters) holds."""
    deadline = time.monotonic() + STATE_TIMEOUT
    while True:
        state, counters = server_state(con)
        if pred(state, counters):
            return state, counters
        assert time.monotonic() < deadline, (what, state, counters)
        time.sleep(POLL)


def json_sent_bytes(out):
    """The bytes the client's -J output says it sent."""
    return json.loads(out)["end"]["sum_sent"]["bytes"]


def json_received_bytes(out):
    """The bytes the server reported receiving, in the client's -J."""
    return json.loads(out)["end"]["sum_received"]["bytes"]


def check_result(out, streams, record_property, name):
    """The client's JSON: sum_received above the floor, one entry per
    stream; returns the received rate in bit/s."""
    res = json.loads(out)
    end = res["end"]
    recv = end["sum_received"]
    record_property(name + "_bps", recv["bits_per_second"])
    print("iperf3 %s: %.1f Mbit/s received, %d bytes" % (
        name, recv["bits_per_second"] / 1e6, recv["bytes"]))
    assert recv["bytes"] > 0, end
    assert recv["bits_per_second"] > FLOOR_BPS, end
    assert len(end["streams"]) == streams, end["streams"]
    return recv["bits_per_second"]


class Client:
    """An iperf3 client running in the background inside the namespace;
    killed at exit if still running."""

    def __init__(self, netns, argv):
        self.proc = subprocess.Popen(netns.prefix() + argv,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)

    def wait(self, timeout=CLIENT_TIMEOUT):
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, out, err

    def kill(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.communicate(timeout=CLIENT_TIMEOUT)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()


@pytest.mark.requires_tap
@pytest.mark.parametrize("mode", list(MODES))
def test_iperf3_tcp(qemu, netns, mode, record_property):
    args, streams, direction, smp, queues = MODES[mode]
    con = boot(qemu, netns, smp, queues)
    rc, out, err = netns.call(client_argv(TEST_SECONDS, args),
                              timeout=CLIENT_TIMEOUT)
    assert rc == 0, (out, err)
    check_result(out, streams, record_property, mode)
    m = con.wait_for(DONE_RE, timeout=STATE_TIMEOUT)
    assert (m.group(1), m.group(2), int(m.group(3))) == (
        "1", direction, streams), m.group(0)
    assert int(m.group(4)) > 0, m.group(0)
    # CPU use and, for -R, retransmissions: the guest's figures are what
    # the client's JSON reports.
    res = json.loads(out)["end"]
    cpu = res["cpu_utilization_percent"]
    assert 0 < cpu["remote_total"] <= 100, cpu
    assert abs(cpu["remote_total"] - float(m.group(6))) < 0.01, (
        cpu, m.group(0))
    assert cpu["remote_user"] == 0, cpu
    if direction == "reverse":
        assert res["sum_sent"]["retransmits"] == int(m.group(7)), (
            res["sum_sent"], m.group(0))
    state, counters = wait_state(con, lambda s, c: s == "idle",
                                 "back to idle")
    assert counters == {"tests": 1, "completed": 1, "aborted": 0,
                        "denied": 0, "errors": 0}, counters
    assert con.alive()


@pytest.mark.requires_tap
def test_iperf3_busy(qemu, netns, record_property):
    con = boot(qemu, netns)
    with Client(netns, client_argv(TEST_SECONDS + 3)) as first:
        wait_state(con, lambda s, c: s == "running", "first test running")
        rc, out, err = netns.call(client_argv(1, as_json=False),
                                  timeout=CLIENT_TIMEOUT)
        assert rc != 0 and "busy" in out + err, (rc, out, err)
        rc, out, err = first.wait()
    assert rc == 0, (out, err)
    check_result(out, 1, record_property, "busy_first")
    state, counters = wait_state(con, lambda s, c: s == "idle",
                                 "back to idle")
    assert counters == {"tests": 1, "completed": 1, "aborted": 0,
                        "denied": 1, "errors": 0}, counters
    assert con.alive()


@pytest.mark.requires_tap
def test_iperf3_client_killed(qemu, netns, record_property):
    con = boot(qemu, netns)
    for n, args in enumerate(([], ["-R"]), start=1):
        with Client(netns, client_argv(10, args)):
            wait_state(con, lambda s, c: s == "running", "test running")
            time.sleep(KILL_AFTER)
        state, counters = wait_state(
            con, lambda s, c, n=n: s == "idle" and c["aborted"] == n,
            "abort %d counted" % n)
        assert counters["completed"] == 0, counters
    rc, out, err = netns.call(client_argv(TEST_SECONDS),
                              timeout=CLIENT_TIMEOUT)
    assert rc == 0, (out, err)
    check_result(out, 1, record_property, "after_kill")
    state, counters = wait_state(con, lambda s, c: s == "idle",
                                 "back to idle")
    assert counters == {"tests": 3, "completed": 1, "aborted": 2,
                        "denied": 0, "errors": 0}, counters
    assert con.alive()


# A raw client in the namespace: cookie, then one parameter message
# (length as given, JSON as given); prints the bytes the server answers
# (hex; up to the 9 of a SERVER_ERROR, or until it closes), or "reset".
RAW_CLIENT = r"""
import socket, struct, sys
body = sys.argv[1].encode()
length = int(sys.argv[2]) if len(sys.argv) > 2 else len(body)
s = socket.create_connection(("%s", 5201), timeout=10)
s.sendall(b"x" * 36 + b"\0")
assert s.recv(1) == bytes([9]), "no PARAM_EXCHANGE"
try:
    s.sendall(struct.pack(">I", length) + body)
    got = b""
    while len(got) < 9:
        b = s.recv(9 - len(got))
        if not b:
            break
        got += b
    print(got.hex())
except ConnectionResetError:
    print("reset")
""" % GUEST_IP

# (JSON, length or None, what the server answers, the `iperf3 refused`
# counter).  SERVER_ERROR (0xfe), then i_errno and errno 0, big-endian:
# 114 (IERECVPARAMS), 20 (IEUDPBLOCKSIZE), 6 (IENUMSTREAMS).
MALFORMED = [
    ('{"tcp":true,"parallel":[', None, "fe0000007200000000", "malformed"),
    ('{"tcp":true,"x":' + "[" * 200 + "]" * 200 + "}", None,
     "fe0000007200000000", "malformed"),
    ('{"tcp":true,"parallel":"two"}', None, "fe0000007200000000",
     "malformed"),
    ('{"udp":true,"parallel":1,"len":15}', None, "fe0000001400000000",
     "length"),
    ('{"udp":true,"parallel":1,"len":65508}', None, "fe0000001400000000",
     "length"),
    ('{"tcp":true,"parallel":9}', None, "fe0000000600000000", "streams"),
    ("{}", 1 << 20, "reset", None),
]
REFUSED_RE = re.compile(r"^iperf3: refused malformed (\d+) protocol (\d+) "
                        r"streams (\d+) length (\d+)$", re.M)


@pytest.mark.requires_tap
def test_iperf3_malformed(qemu, netns, record_property):
    con = boot(qemu, netns)
    errors = aborted = 0
    refused = {"malformed": 0, "protocol": 0, "streams": 0, "length": 0}
    for body, length, want, reason in MALFORMED:
        argv = ["python3", "-c", RAW_CLIENT, body]
        if length is not None:
            argv.append(str(length))
        rc, out, err = netns.call(argv, timeout=CLIENT_TIMEOUT)
        assert rc == 0, (body, out, err)
        got = out.strip()
        if want == "reset":
            # Reset, or closed with nothing said: the length is refused.
            assert got in ("reset", ""), (body, got)
            aborted += 1
        else:
            assert got == want, (body, got)
            errors += 1
            refused[reason] += 1
        wait_state(con, lambda s, c, e=errors, a=aborted:
                   s == "idle" and c["errors"] == e and c["aborted"] == a,
                   "malformed message counted")
    rc, out, err = netns.call(client_argv(1, ["--sctp"], as_json=False),
                              timeout=CLIENT_TIMEOUT)
    assert rc != 0 and "protocol does not exist" in out + err, (
        rc, out, err)
    errors += 1
    refused["protocol"] += 1
    m = REFUSED_RE.search("\n".join(con.run("iperf3")))
    assert m, "no refused line"
    assert dict(zip(refused, map(int, m.groups()))) == refused, (
        m.group(0), refused)
    rc, out, err = netns.call(client_argv(TEST_SECONDS),
                              timeout=CLIENT_TIMEOUT)
    assert rc == 0, (out, err)
    check_result(out, 1, record_property, "after_malformed")
    state, counters = wait_state(con, lambda s, c: s == "idle",
                                 "back to idle")
    assert counters == {"tests": len(MALFORMED) + 2, "completed": 1,
                        "aborted": aborted, "denied": 0,
                        "errors": errors}, counters
    assert con.alive()
