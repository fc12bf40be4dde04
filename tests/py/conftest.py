# SPDX-License-Identifier: BSD-2-Clause
"""Shared fixtures for the unisr QEMU tests.

- The accelerator is chosen once per session by scripts/accel.py (which
  honours ACCEL=kvm|tcg|auto) and shown in the header as `unisr: accel=...`.
- `qemu` is a factory: qemu(mode=, machine=, mem=, smp=, cmdline=, extra=,
  expect_panic=, ready=, prefix=, monitor=) starts QEMU and returns a
  Console (see unisr_console.py), by default already at the first prompt
  with its BootInfo in `console.boot`.  `prefix` is put before QEMU's argv
  (`netns.prefix()` runs it inside a network namespace); monitor=True
  gives it a human monitor on a unix socket, driven by
  `console.monitor(cmd)`.  Every QEMU it started is killed (its whole
  process group) at teardown, whether the test passed or not.
- `netns` is a fresh network namespace with a multiqueue tap `tap0` (see
  netns.py); at teardown it kills the test's QEMUs first, then deletes the
  namespace, whether the test passed or not.  `netns_factory(tap=,
  ipv6=)` makes as many more as a test wants (for NICs in several
  namespaces), each deleted the same way.
- Several NICs: qemu(nics=[(ns, tap, queues), ...], rss=) boots with one
  virtio-net device per entry, in that order (the guest's vtnet0, vtnet1,
  ...; MACs netns.nic_mac(i)), QEMU running in the first entry's
  namespace (or nics_home=, a NetNS), the taps of other namespaces
  handed to it by tapfds.py; `console.nics` is the list of netns.Nic.
  Not with prefix=.
- `console` is a direct-mode, 64M, default-command-line boot at its prompt.
- `mode` is parametrized over "direct" and "iso".
- Markers: requires_kvm, requires_tap, slow (registered in pytest.ini);
  slow tests run only with --slow (make test-slow).
- Each boot logs to build/test-logs/<test>.log; a failed test's report gets
  the log's last 40 lines.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

import pytest

import unisr_console as uc

ACCEL_SCRIPT = uc.TOP / "scripts" / "accel.py"
ACCEL_TIMEOUT = 240     # TCG 60 s + KVM at most 123 s + slack
_accel = {}


def session_accel():
    """kvm or tcg, asked of scripts/accel.py once per session."""
    if "value" not in _accel:
        try:
            p = subprocess.run([sys.executable, str(ACCEL_SCRIPT)],
                               capture_output=True, text=True,
                               timeout=ACCEL_TIMEOUT, cwd=str(uc.TOP))
            word = p.stdout.strip()
            _accel["note"] = p.stderr.strip()
        except (OSError, subprocess.TimeoutExpired) as e:
            word = ""
            _accel["note"] = "accel.py failed: %s" % e
        _accel["value"] = word if word in ("kvm", "tcg") else "tcg"
    return _accel["value"]


def pytest_addoption(parser):
    parser.addoption(
        "--full", action="store_true", default=False,
        help="run every combination of large test matrices (make test-full); "
             "the default is a pairwise subset that still covers each value")
    parser.addoption(
        "--slow", action="store_true", default=False,
        help="also run the tests marked slow (make test-slow): the "
             "30-boot transmit-stall loop and the 10-minute soak")


@pytest.fixture(scope="session")
def full_matrix(request):
    """True under `make test-full`."""
    return request.config.getoption("--full")


def pytest_report_header(config):
    lines = ["unisr: accel=%s" % session_accel()]
    if _accel.get("note"):
        lines += ["unisr: " + ln for ln in _accel["note"].splitlines()]
    return lines


def have_tap():
    return os.geteuid() == 0 and os.path.exists("/dev/net/tun")


def pytest_collection_modifyitems(config, items):
    accel = session_accel()
    no_kvm = pytest.mark.skip(
        reason="requires KVM (accel=%s; ACCEL=kvm forces it)" % accel)
    no_tap = pytest.mark.skip(reason="requires root and /dev/net/tun")
    no_slow = pytest.mark.skip(reason="slow: make test-slow runs it")
    slow = config.getoption("--slow")
    for item in items:
        if "slow" in item.keywords and not slow:
            item.add_marker(no_slow)
        if "requires_kvm" in item.keywords and accel != "kvm":
            item.add_marker(no_kvm)
        if "requires_tap" in item.keywords and not have_tap():
            item.add_marker(no_tap)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for con in getattr(item, "_unisr_consoles", []):
            report.sections.append(
                ("console tail: %s" % con.log_path,
                 con.tail(uc.TAIL_LINES)))


@pytest.fixture(scope="session")
def accel():
    return session_accel()


def _log_name(nodename):
    return re.sub(r"[^A-Za-z0-9_.=-]+", "_", nodename).strip("_")


@pytest.fixture
def qemu(request, accel):
    """Factory booting unisr under QEMU; returns a Console."""
    consoles = []
    request.node._unisr_consoles = consoles

    tmpdirs = []

    def boot(mode="direct", machine="pc", mem="64M", smp=1, cmdline="",
             extra=(), expect_panic=False, ready=True,
             timeout=uc.BOOT_TIMEOUT, prefix=(), monitor=False, nics=None,
             rss=False, nics_home=None, firmware=None):
        image = uc.KERNEL if mode == "direct" else uc.ISO
        if not image.is_file():
            pytest.fail("%s does not exist: run make first" % image,
                        pytrace=False)
        planned = []
        if nics:
            import netns as nsmod
            if prefix:
                raise ValueError("nics= sets the prefix itself")
            planned = nsmod.plan_nics(nics)
            prefix, nic_extra = nsmod.qemu_nic_args(planned, rss=rss,
                                                    home=nics_home)
            extra = nic_extra + list(extra)
        mon = None
        if monitor:
            # Short path: unix socket names are limited to 107 bytes.
            tmpdirs.append(tempfile.mkdtemp(prefix="unisr-mon-"))
            mon = os.path.join(tmpdirs[-1], "monitor.sock")
        argv = uc.qemu_argv(accel, mode=mode, machine=machine, mem=mem,
                            smp=smp, cmdline=cmdline, extra=extra,
                            prefix=prefix, monitor=mon, firmware=firmware)
        name = _log_name("%s.%s" % (request.node.module.__name__,
                                     request.node.name))
        if consoles:
            name += ".%d" % len(consoles)
        echo = uc.echo_from_cmdline(uc.ISO_CMDLINE if mode == "iso"
                                    else cmdline)
        con = uc.Console(argv, uc.LOG_DIR / (name + ".log"), echo=echo,
                         expect_panic=expect_panic, monitor_path=mon)
        con.nics = planned
        consoles.append(con)
        con.boot = con.wait_ready(timeout) if ready else None
        return con

    yield boot
    for con in consoles:
        con.kill()
    for d in tmpdirs:
        shutil.rmtree(d, ignore_errors=True)


_stale_checked = []


@pytest.fixture
def netns(request):
    """A fresh namespace with a multiqueue tap0; always deleted after."""
    yield from _namespace(request, ipv6=False)


@pytest.fixture
def netns6(request):
    """Like `netns`, with IPv6 enabled in the namespace."""
    yield from _namespace(request, ipv6=True)


@pytest.fixture
def netns_factory(request):
    """make(tap="tap0", ipv6=False) -> a new NetNS; every one made is
    deleted after the test (its QEMUs killed first), pass or fail."""
    made = []

    def make(tap=None, ipv6=False):
        import netns as nsmod
        _check_stale()
        ns = nsmod.NetNS.create(tap=tap or nsmod.TAP, ipv6=ipv6)
        made.append(ns)
        return ns

    try:
        yield make
    finally:
        _kill_consoles(request)
        errors = []
        for ns in made:
            try:
                ns.delete()
            except Exception as e:      # delete the others all the same
                errors.append(e)
        if errors:
            raise errors[0]


def _check_stale():
    import netns as nsmod
    if not _stale_checked:
        _stale_checked.append(nsmod.cleanup_stale())


def _kill_consoles(request):
    # QEMU holds the taps' queues: stop it before the namespaces go.
    for con in getattr(request.node, "_unisr_consoles", []):
        con.kill()


def _namespace(request, ipv6):
    import netns as nsmod
    _check_stale()
    ns = nsmod.NetNS.create(ipv6=ipv6)
    try:
        yield ns
    finally:
        _kill_consoles(request)
        ns.delete()


@pytest.fixture
def console(qemu):
    """Direct-mode boot (pc, 64M, 1 CPU, empty command line) at its prompt."""
    return qemu()


@pytest.fixture(params=["direct", "iso"])
def mode(request):
    return request.param
