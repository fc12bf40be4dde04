# SPDX-License-Identifier: BSD-2-Clause
"""`make run` as a person uses it, on a pseudo-terminal.

- NET=tap: with NS set to a namespace name the test owns, `make run`
  creates that namespace with a multiqueue tap, boots the guest in it,
  and once the guest is READY prints the time from QEMU's start to READY
  (positive, with the guest's own `boot: ready in` figure, which is less)
  and the exact commands to reach it;
  the printed `ip netns exec <ns> ping <addr>` gets 3 of 3 replies.
  Ctrl-A x ends QEMU and make exits; the test deletes the namespace.
- NICS=2 (NET=tap): the namespace gets tap0 (10.0.2.2/24) and tap1
  (10.0.3.2/24), both up and attached by QEMU; besides the vtnet0 hint
  run.sh prints how to reach vtnet1 (guest 10.0.3.15 through
  vtnet1.ip=10.0.3.15/24, host 10.0.3.2/24 on tap1, the ping command);
  the guest's `cmdline` shows that key set, and vtnet0 answers 3 of 3
  pings as with one NIC.  With a command line the boot is direct, from
  qboot: the kernel assigned the BARs (`pci: assigned 5 memory BARs`:
  two per virtio-net, one of q35's AHCI), and the QEMU-start-to-READY
  line is printed as for the ISO.
- NET=user, itself run inside a fresh namespace (so "localhost" is the
  namespace's own loopback): the READY hint names the forwarded ports,
  and a TCP connection to localhost:7007 reaches the guest's echo
  service and gets its bytes back.
"""

import os
import subprocess

import pexpect
import pytest

import netns as nns
import unisr_console as uc

RUN_TIMEOUT = 120           # make (up to date) plus a TCG boot
EXIT_TIMEOUT = 20
HINT_RE = r"run: the guest is READY at ([\d.]+); from another terminal:"
WALL_RE = (r"run: READY (\d+)\.(\d{3}) s after QEMU started "
           r"\(the guest: (\d+) us from kernel entry\)")
USER_HINT_RE = r"run: the guest is READY; from another terminal:"
ECHO_FWD_PORT = 7007


def spawn_run(argv, log_name):
    log = open(uc.LOG_DIR / log_name, "w", encoding="utf-8")
    child = pexpect.spawn(argv[0], argv[1:], cwd=str(uc.TOP),
                          encoding="utf-8", codec_errors="replace",
                          timeout=RUN_TIMEOUT, dimensions=(50, 250),
                          env=dict(os.environ, SMP="2", QUEUES="2"))
    child.logfile_read = log
    return child, log


def quit_qemu(child):
    child.send("\x01x")                     # Ctrl-A x
    child.expect(pexpect.EOF, timeout=EXIT_TIMEOUT)
    child.close()
    return child.exitstatus


def build_dir_arg():
    return ["B=%s" % uc.BUILD] if "UNISR_BUILD" in os.environ else []


@pytest.mark.requires_tap
def test_make_run_tap():
    uc.LOG_DIR.mkdir(parents=True, exist_ok=True)
    name = nns.unique_name()
    child, log = spawn_run(["make", "-s", "run", "NS=" + name,
                            "SMP=2", "QUEUES=2"] + build_dir_arg(),
                           "test_run.tap.log")
    try:
        child.expect(WALL_RE)
        wall_ms = int(child.match.group(1)) * 1000 + int(child.match.group(2))
        own_us = int(child.match.group(3))
        assert 0 < own_us <= wall_ms * 1000, (own_us, wall_ms)
        child.expect(HINT_RE)
        addr = child.match.group(1)
        assert addr == "10.0.2.15"
        child.expect(r"run:   ip netns exec %s ping %s" % (name, addr))
        p = subprocess.run(["ip", "netns", "exec", name, "ping", "-n", "-c",
                            "3", "-i", "0.2", "-W", "2", addr],
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0 and "3 received" in p.stdout, p.stdout
        assert quit_qemu(child) == 0
    finally:
        child.terminate(force=True)
        log.close()
        subprocess.run(["ip", "netns", "del", name], capture_output=True)
    assert name not in nns.list_namespaces()


@pytest.mark.requires_tap
def test_make_run_nics2():
    uc.LOG_DIR.mkdir(parents=True, exist_ok=True)
    name = nns.unique_name()
    child, log = spawn_run(["make", "-s", "run", "NS=" + name, "NICS=2",
                            "SMP=2", "QUEUES=2"] + build_dir_arg(),
                           "test_run.nics2.log")
    try:
        child.expect(r"run: network namespace %s, tap tap1 \(10\.0\.3\.2/24\)"
                     r" for vtnet1 \(10\.0\.3\.15\)" % name)
        child.expect(r"pci: assigned (\d+) memory BARs in 0x")
        assert child.match.group(1) == "5"
        child.expect(WALL_RE)
        wall_ms = int(child.match.group(1)) * 1000 + int(child.match.group(2))
        assert 0 < int(child.match.group(3)) <= wall_ms * 1000
        child.expect(HINT_RE)
        addr = child.match.group(1)
        assert addr == "10.0.2.15"
        child.expect(r"run: vtnet1: guest 10\.0\.3\.15 \(vtnet1\.ip="
                     r"10\.0\.3\.15/24\), host 10\.0\.3\.2/24 on tap1 in "
                     r"namespace %s:" % name)
        child.expect(r"run:   ip netns exec %s ping 10\.0\.3\.15" % name)
        for tap, cidr in (("tap0", "10.0.2.2/24"), ("tap1", "10.0.3.2/24")):
            out = subprocess.run(["ip", "netns", "exec", name, "ip", "-d",
                                  "addr", "show", "dev", tap],
                                 capture_output=True, text=True,
                                 timeout=30).stdout
            assert "inet %s " % cidr in out, out
            assert "LOWER_UP" in out and "multi_queue" in out, out
        child.send("cmdline\r")
        child.expect(r"vtnet1\.ip=10\.0\.3\.15/24 \(set\)")
        p = subprocess.run(["ip", "netns", "exec", name, "ping", "-n", "-c",
                            "3", "-i", "0.2", "-W", "2", addr],
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0 and "3 received" in p.stdout, p.stdout
        assert quit_qemu(child) == 0
    finally:
        child.terminate(force=True)
        log.close()
        subprocess.run(["ip", "netns", "del", name], capture_output=True)
    assert name not in nns.list_namespaces()


@pytest.mark.requires_tap
def test_make_run_user():
    uc.LOG_DIR.mkdir(parents=True, exist_ok=True)
    ns = nns.NetNS.create()
    try:
        ns.run(["ip", "link", "set", "lo", "up"])
        child, log = spawn_run(ns.prefix() + ["make", "-s", "run",
                                              "NET=user"] + build_dir_arg(),
                               "test_run.user.log")
        try:
            child.expect(USER_HINT_RE)
            child.expect(r"run:   nc 127.0.0.1 %d" % ECHO_FWD_PORT)
            rc, out, err = ns.call(
                ["/usr/bin/python3", "-c",
                 "import socket; s = socket.create_connection(('127.0.0.1',"
                 " %d), timeout=20); s.sendall(b'unisr-run-test');"
                 " b = b''\n"
                 "while len(b) < 14:\n"
                 "    c = s.recv(64)\n"
                 "    if not c: break\n"
                 "    b += c\n"
                 "print(b.decode())" % ECHO_FWD_PORT], timeout=60)
            assert rc == 0 and out.strip() == "unisr-run-test", (out, err)
            assert quit_qemu(child) == 0
        finally:
            child.terminate(force=True)
            log.close()
    finally:
        ns.delete()
