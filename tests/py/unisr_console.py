# SPDX-License-Identifier: BSD-2-Clause
"""QEMU launcher and serial-console driver for the unisr tests.

`qemu_argv()` builds the QEMU command line; `Console` runs it under pexpect
(serial on stdio), logs everything QEMU prints, and offers waits that fail
at once on a bad sign (a PANIC line nobody expected, a second banner, QEMU
exiting) with the last 40 console lines in the message.

Matching works on the console text with carriage returns removed, so `$`
in a multi-line pattern means end of line.  By default a pattern only
matches complete lines (text up to the last newline), so `^READY .*$` never
sees half a line; `partial=True` also searches the unfinished last line,
which is how the `unisr> ` prompt (no newline after it) is found.
"""

import os
import re
import shlex
import signal
import socket
import subprocess
import termios
import time
from pathlib import Path

import pexpect

TOP = Path(__file__).resolve().parent.parent.parent
# UNISR_BUILD: another build directory (make B=...), for parallel work.
BUILD = Path(os.environ.get("UNISR_BUILD", TOP / "build")).resolve()
KERNEL = BUILD / "unisr.elf"
SYMBOLS = BUILD / "unisr.debug"
ISO = BUILD / "unisr.iso"
LOG_DIR = BUILD / "test-logs"
QEMU = "qemu-system-x86_64"

BOOT_TIMEOUT = 60.0     # power-on to prompt, TCG
CMD_TIMEOUT = 10.0      # one shell command
EXIT_TIMEOUT = 15.0     # last output to QEMU exit
TAIL_LINES = 40

BANNER_RE = re.compile(r"^unisr \d+\.\d+\.\d+")
PANIC_RE = re.compile(r"^PANIC")
PHASES_RE = re.compile(r"^boot: phases((?: [a-z0-9_]+=\d+)+)$")
CLOCK_RE = re.compile(r"^clock: tsc (\d+) kHz \(([^)]*)\), "
                      r"lapic timer (\d+) kHz \(([^)]*)\)$")
PROMPT = r"^unisr> "
PROMPT_PREFIX_RE = re.compile(r"^(?:unisr> )+")
ISO_CMDLINE = "console.echo=1"     # GRUB's built-in command line
# Direct (-kernel) boots use qboot, QEMU's minimal firmware (package
# qemu-system-data): about 0.05 s sooner to kernel entry than SeaBIOS.  It
# assigns no PCI BARs; the kernel does (drivers/pci/pci_assign.c).  ISO
# boots keep SeaBIOS, which GRUB needs.
QBOOT = "/usr/share/qemu/qboot.rom"


def mem_kib(mem):
    """KiB in a QEMU -m value such as 64M or 2G (plain numbers are MiB)."""
    m = re.fullmatch(r"(\d+)([KMGT]?)", str(mem).strip().upper())
    if not m:
        raise ValueError("bad memory size %r" % (mem,))
    shift = {"K": 0, "": 10, "M": 10, "G": 20, "T": 30}[m.group(2)]
    return int(m.group(1)) << shift


def echo_from_cmdline(cmdline):
    """Whether the shell echoes, given a kernel command line (default on)."""
    echo = True
    for tok in cmdline.split():
        if tok == "console.echo=0":
            echo = False
        elif tok == "console.echo=1":
            echo = True
    return echo


def qemu_argv(accel, mode="direct", machine="pc", mem="64M", smp=1,
              cmdline="", extra=(), kernel=KERNEL, iso=ISO, prefix=(),
              monitor=None, firmware=None):
    """The QEMU command line for one unisr boot, as a list.

    `prefix` goes before QEMU itself (e.g. `ip netns exec NS`); `monitor`,
    a path, puts the human monitor on a unix socket there instead of
    `-monitor none`.  `-nodefaults`: no VGA card (whose BIOS the firmware
    would run), no default NIC with its option ROM, no floppy or
    parallel port; the guest uses none of them.  `firmware`: the -bios
    image; by default QBOOT for direct boots and QEMU's own (SeaBIOS) for
    the ISO; "seabios" asks for SeaBIOS on a direct boot too.
    """
    if accel not in ("kvm", "tcg"):
        raise ValueError("accel must be kvm or tcg, not %r" % (accel,))
    mon = "none" if monitor is None else (
        "unix:%s,server=on,wait=off" % monitor)
    argv = list(prefix) + [QEMU,
            "-machine", machine,
            "-m", str(mem),
            "-smp", str(smp),
            "-accel", "kvm" if accel == "kvm" else "tcg,thread=multi",
            "-cpu", "max",
            "-nodefaults",
            "-display", "none",
            "-serial", "stdio",
            "-monitor", mon,
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    if firmware is None:
        firmware = QBOOT if mode == "direct" else "seabios"
    if firmware != "seabios":
        argv += ["-bios", str(firmware)]
    if mode == "direct":
        argv += ["-kernel", str(kernel), "-append", cmdline]
    elif mode == "iso":
        if cmdline:
            raise ValueError("ISO mode boots GRUB's built-in command line; "
                             "cmdline %r cannot be passed" % (cmdline,))
        argv += ["-cdrom", str(iso), "-boot", "d"]
    else:
        raise ValueError("mode must be direct or iso, not %r" % (mode,))
    return argv + list(extra)


def elf_symbols(elf=SYMBOLS):
    """{name: address} of the symbols `nm` lists in `elf` ({} if none):
    build/unisr.debug, the kernel's link with its symbol table (unisr.elf
    is that image stripped)."""
    try:
        out = subprocess.run(["nm", "--defined-only", str(elf)],
                             capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return {}
    syms = {}
    for line in out.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3:
            try:
                syms.setdefault(parts[2], int(parts[0], 16))
            except ValueError:
                pass
    return syms


def selftest_cases(elf=SYMBOLS):
    """Sorted selftest case names: the `selftest_case_<name>` symbols."""
    prefix = "selftest_case_"
    return sorted(n[len(prefix):] for n in elf_symbols(elf)
                  if n.startswith(prefix) and len(n) > len(prefix))


ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
MONITOR_PROMPT = "(qemu) "


def monitor_command(path, cmd, timeout=CMD_TIMEOUT):
    """Run one human-monitor command on the unix socket at `path`.

    Connects (retrying until QEMU has made the socket), reads the banner
    up to the `(qemu) ` prompt, sends `cmd` and returns what the monitor
    printed before its next prompt, without the echo of `cmd`, terminal
    escapes or carriage returns.
    """
    deadline = time.monotonic() + timeout
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(str(path))
            break
        except OSError:
            s.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    try:
        def read_to_prompt(buf):
            while not ANSI_RE.sub("", buf.decode("utf-8", "replace")
                                  ).replace("\r", "").endswith(
                                      MONITOR_PROMPT):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("monitor: no prompt after %r: %r"
                                       % (cmd, buf))
                s.settimeout(left)
                data = s.recv(4096)
                if not data:
                    raise EOFError("monitor closed: %r" % buf)
                buf += data
            return buf

        read_to_prompt(b"")
        s.sendall(cmd.encode() + b"\n")
        out = ANSI_RE.sub("", read_to_prompt(b"").decode("utf-8", "replace"))
    finally:
        s.close()
    out = out.replace("\r", "")[:-len(MONITOR_PROMPT)]
    # The monitor echoes the command line first (redrawn as it is typed).
    lines = out.split("\n")[1:]
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _raw_output():
    """In the child before exec: stop the pty turning \\n into \\r\\n.

    QEMU's stdio backend keeps the tty's output processing on, so with the
    pty's default ONLCR every \\r\\n the guest sends would arrive as
    \\r\\r\\n.  Clearing ONLCR makes the console bytes exactly the guest's.
    """
    attrs = termios.tcgetattr(0)
    attrs[1] &= ~termios.ONLCR
    termios.tcsetattr(0, termios.TCSANOW, attrs)


class ConsoleError(AssertionError):
    """A console wait failed; the message carries the console tail."""


class BootInfo:
    """What one boot printed from its banner up to its first prompt."""

    def __init__(self, lines):
        self.lines = lines
        self.banners = [ln for ln in lines if BANNER_RE.match(ln)]
        self.ready = [ln for ln in lines if ln.startswith("READY")]
        self.cpus = [ln for ln in lines if re.match(r"^cpu \d+: ", ln)]
        self.ignoring = [ln for ln in lines
                         if ln.startswith("cmdline: ignoring ")]
        self.mem = [ln for ln in lines if ln.startswith("mem: ")]
        m = None
        for ln in lines:
            m = re.match(r"^boot: ready in (\d+) us$", ln)
            if m:
                break
        self.ready_us = int(m.group(1)) if m else None
        # `boot: phases name=us ...`, right after `boot: ready in`: an
        # ordered list of (name, us), or None when the line is missing.
        self.phases = None
        for ln in lines:
            p = PHASES_RE.match(ln)
            if p:
                self.phases = [(k, int(v)) for k, v in
                               (f.split("=") for f in p.group(1).split())]
                break
        self.clock = next((CLOCK_RE.match(ln) for ln in lines
                           if CLOCK_RE.match(ln)), None)

    def index(self, pred):
        """Index of the first line for which pred(line) holds, or -1."""
        for i, ln in enumerate(self.lines):
            if pred(ln):
                return i
        return -1


class Console:
    """One QEMU process with its serial console on a pexpect pty."""

    def __init__(self, argv, log_path, echo=True, expect_panic=False,
                 monitor_path=None):
        self.argv = list(argv)
        self.monitor_path = monitor_path
        self.log_path = Path(log_path)
        self.echo = echo
        self.expect_panic = expect_panic
        self.raw = ""           # everything read, as printed
        self.text = ""          # the same without carriage returns
        self.pos = 0            # matches are searched from here in text
        self._scanned = 0       # text[:_scanned] has been scanned for events
        self.banners = []       # text offsets of banner lines
        self.panics = []        # text offsets of PANIC lines
        self.exited = False
        self.status = None
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "w", encoding="utf-8")
        self._log.write("# %s\n" % shlex.join(self.argv))
        self._log.flush()
        self.child = pexpect.spawn(self.argv[0], self.argv[1:], echo=False,
                                   encoding="utf-8", codec_errors="replace",
                                   dimensions=(50, 250), timeout=None,
                                   preexec_fn=_raw_output)

    # ---- reading -------------------------------------------------------
    def _take(self, data):
        self.raw += data
        self._log.write(data)
        self._log.flush()
        self.text += data.replace("\r", "")
        end = self.text.rfind("\n") + 1
        while self._scanned < end:
            nl = self.text.index("\n", self._scanned)
            # With echo off, output follows the prompt on its line.
            line = PROMPT_PREFIX_RE.sub("", self.text[self._scanned:nl])
            if BANNER_RE.match(line):
                self.banners.append(self._scanned)
            if PANIC_RE.match(line):
                self.panics.append(self._scanned)
            self._scanned = nl + 1

    def _reap(self):
        if self.status is not None:
            return
        try:
            self.child.close(force=True)
        except Exception:
            pass
        if self.child.exitstatus is not None:
            self.status = self.child.exitstatus
        elif self.child.signalstatus is not None:
            self.status = -self.child.signalstatus

    def _pump(self, timeout):
        """Read what arrives within `timeout` seconds; note QEMU's exit."""
        if self.exited:
            return
        try:
            self._take(self.child.read_nonblocking(65536, max(timeout, 0)))
        except pexpect.TIMEOUT:
            pass
        except pexpect.EOF:
            self.exited = True
            self._reap()

    # ---- failure reporting --------------------------------------------
    def tail(self, n=TAIL_LINES):
        lines = self.text.split("\n")
        return "\n".join(lines[-n:])

    def fail(self, why):
        __tracebackhide__ = True
        raise ConsoleError("%s\n--- last %d console lines (%s) ---\n%s\n---"
                           % (why, TAIL_LINES, self.log_path, self.tail()))

    def _first_bad(self, start):
        """(offset, reason) of the first bad event at or after start."""
        bad = []
        if len(self.banners) > 1 and self.banners[1] >= start:
            bad.append((self.banners[1], "second banner (the guest rebooted)"))
        elif len(self.banners) > 1:
            bad.append((start, "second banner (the guest rebooted)"))
        if not self.expect_panic:
            for off in self.panics:
                bad.append((max(off, start), "unexpected PANIC"))
                break
        return min(bad) if bad else None

    # ---- waits ---------------------------------------------------------
    def wait_for(self, pattern, timeout=CMD_TIMEOUT, partial=False):
        """Wait for regex `pattern` (multi-line) after the cursor.

        Returns the match (offsets into self.text) and moves the cursor past
        it.  Fails at once on a bad event before the match, or on QEMU's
        exit, and after `timeout` seconds otherwise.
        """
        __tracebackhide__ = True
        rx = re.compile(pattern, re.M) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout
        while True:
            hay = self.text if partial else self.text[:self.text.rfind("\n") + 1]
            m = rx.search(hay, self.pos)
            bad = self._first_bad(self.pos)
            if m and (bad is None or m.end() <= bad[0]):
                self.pos = m.end()
                return m
            if bad:
                self.fail("%s while waiting for /%s/" % (bad[1], rx.pattern))
            if self.exited:
                self.fail("QEMU exited (status %s) while waiting for /%s/"
                          % (self.status, rx.pattern))
            left = deadline - time.monotonic()
            if left <= 0:
                self.fail("timeout after %.0f s waiting for /%s/"
                          % (timeout, rx.pattern))
            self._pump(min(left, 0.5))

    def wait_prompt(self, timeout=CMD_TIMEOUT):
        __tracebackhide__ = True
        return self.wait_for(PROMPT, timeout, partial=True)

    def wait_ready(self, timeout=BOOT_TIMEOUT):
        """Wait from power-on to the first prompt; return a BootInfo."""
        __tracebackhide__ = True
        start = self.pos
        m = self.wait_prompt(timeout)
        lines = self.text[start:m.start()].split("\n")
        first = next((i for i, ln in enumerate(lines) if BANNER_RE.match(ln)),
                     0)
        b = BootInfo([ln for ln in lines[first:]])
        if b.ready_us is not None and b.phases is None:
            self.fail("`boot: ready in` without a `boot: phases` line")
        return b

    def send(self, s):
        self.child.send(s)

    def sendline(self, cmd):
        """Type `cmd` and Enter (a carriage return)."""
        self.send(cmd + "\r")

    def run(self, cmd, timeout=CMD_TIMEOUT):
        """Run a shell command; return its output lines (no echo, no prompt).

        Call with the cursor just past a prompt.  When echo is on, waits for
        the command's echo first, then for the next prompt.
        """
        __tracebackhide__ = True
        deadline = time.monotonic() + timeout
        self.sendline(cmd)
        if self.echo:
            self.wait_for(re.escape(cmd), timeout, partial=True)
        start = self.pos
        m = self.wait_prompt(max(deadline - time.monotonic(), 0.1))
        out = self.text[start:m.start()]
        if out.startswith("\n"):
            out = out[1:]
        lines = out.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        return lines

    def expect_exit(self, timeout=EXIT_TIMEOUT):
        """Wait for QEMU to exit; return its exit status.

        A bad event (unexpected PANIC, second banner) fails at once.
        """
        __tracebackhide__ = True
        deadline = time.monotonic() + timeout
        while not self.exited:
            bad = self._first_bad(self.pos)
            if bad:
                self.fail("%s while waiting for QEMU to exit" % bad[1])
            left = deadline - time.monotonic()
            if left <= 0:
                self.fail("QEMU still running %.0f s later" % timeout)
            self._pump(min(left, 0.5))
        bad = self._first_bad(self.pos)
        if bad:
            self.fail("%s before QEMU exited" % bad[1])
        self.pos = len(self.text)
        return self.status

    def monitor(self, cmd, timeout=CMD_TIMEOUT):
        """Run a QEMU human-monitor command; return its output lines.

        Needs a boot with a monitor socket (qemu(..., monitor=True)).
        """
        if self.monitor_path is None:
            raise ValueError("this QEMU has no monitor socket")
        if self.exited:
            self.fail("QEMU exited before monitor command %r" % cmd)
        return monitor_command(self.monitor_path, cmd, timeout)

    def lines(self):
        """All complete console lines so far."""
        return self.text[:self.text.rfind("\n") + 1].split("\n")[:-1]

    def alive(self):
        return not self.exited and self.child.isalive()

    def kill(self):
        """Kill QEMU's whole process group and reap it; close the log."""
        if self.child.pid and not self.exited:
            try:
                os.killpg(self.child.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            # Drain what is left so the log is complete.
            for _ in range(20):
                if self.exited:
                    break
                self._pump(0.05)
            self.exited = True
            self._reap()
        if not self._log.closed:
            self._log.close()
