# SPDX-License-Identifier: BSD-2-Clause
"""The two guests `make bench` compares, and how one of them is booted.

A `Guest` knows its image (what it boots, what it costs on disk), the line
that says it is ready, and its kernel command line.  `boot()` starts it in
a network namespace the caller made, with exactly the QEMU options the
other guest gets (`qemu_argv()`: machine, accelerator, CPU, -smp, -m, the
tap netdev with vhost=off and virtio-net with mq, vectors, rss and hash),
and returns a `Boot`: the console, QEMU's pid (for its CPU time), and the
seconds from QEMU's start to the ready line.

- unisr: build/unisr.elf (PVH -kernel), ready at its `READY` line;
- linux: the reference guest bench/linux/build-guest.sh builds from
  Debian's packages into build/bench/linux (kernel + initramfs), ready at
  its `BENCH-READY linux` line.

Nothing here measures; bench/metrics.py does.  No locks: one bench
process drives one guest at a time.
"""

import json
import os
import re
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests", "py"))

import unisr_console as uc      # noqa: E402

MACHINE = "q35"
LINUX_DIR = os.path.join(TOP, "build", "bench", "linux")
LINUX_BUILD = os.path.join(TOP, "bench", "linux", "build-guest.sh")
LINUX_APPEND = "console=ttyS0 quiet panic=-1"
BOOT_TIMEOUT = 300.0            # Linux under TCG at -smp 4 with 2 host cores
UNISR_READY_RE = re.compile(r"^READY .*$", re.M)
OWN_BOOT_RE = re.compile(r"^boot: ready in (\d+) us", re.M)
LINUX_READY_RE = re.compile(r"^BENCH-(READY linux|FAIL) .*$", re.M)


def qemu_argv(accel, smp, mem, image, ns):
    """One QEMU line for either guest: only `image` differs."""
    argv = [uc.QEMU,
            "-machine", MACHINE,
            "-m", "%dM" % mem,
            "-smp", str(smp),
            "-accel", "kvm" if accel == "kvm" else "tcg,thread=multi",
            "-cpu", "max",
            "-nodefaults",          # no VGA BIOS, no default NIC ROM
            "-bios", uc.QBOOT,      # both guests: -kernel boots, no SeaBIOS
            "-display", "none",
            "-serial", "stdio",
            "-monitor", "none",
            "-no-reboot",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    argv += image
    argv += ns.virtio_net_args(smp, rss=smp > 1)
    return argv


class Boot:
    """A running guest: console, QEMU pid, seconds to ready."""

    def __init__(self, con, ready_s, ready_line):
        self.con = con
        self.pid = con.child.pid
        self.ready_s = ready_s
        self.ready_line = ready_line

    def cpu_seconds(self):
        """utime + stime of the whole QEMU process, all threads."""
        with open("/proc/%d/stat" % self.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        # After the ")" field 3 is index 0: utime is field 14, stime 15.
        ticks = int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    def kill(self):
        self.con.kill()


class Guest:
    name = None
    ready_re = None

    def image(self):
        """QEMU arguments that name what is booted."""
        raise NotImplementedError

    def image_files(self):
        raise NotImplementedError

    def image_bytes(self):
        return sum(os.path.getsize(p) for p in self.image_files())

    def versions(self):
        return {}

    def argv(self, accel, smp, mem, ns):
        """The QEMU line in `ns` (this remakes ns's tap for one queue)."""
        return ns.prefix() + qemu_argv(accel, smp, mem, self.image(), ns)

    def start(self, argv, log, timeout=BOOT_TIMEOUT):
        """Start QEMU; wait for the ready line; return a Boot.

        Raises uc.ConsoleError (QEMU died, timed out, or the guest said
        it failed) with the console's tail in the message.
        """
        t0 = time.monotonic()
        con = uc.Console(argv, log)
        try:
            m = con.wait_for(self.ready_re, timeout)
        except BaseException:
            con.kill()
            raise
        ready = time.monotonic() - t0
        if "FAIL" in m.group(0):
            con.kill()
            raise uc.ConsoleError("%s: %s" % (self.name, m.group(0)))
        b = Boot(con, ready, m.group(0))
        b.t0 = t0
        b.argv = argv
        return b

    def counters(self, boot):
        """The guest's own counters after a run, as console lines."""
        return []

    def own_boot_s(self, boot):
        """Entry to ready as the guest itself measured it, or None."""
        return None

    def prof_start(self, boot):
        """Starts the guest's cycle accounting; False if it has none."""
        return False

    def prof_read(self, boot):
        """Stops it and returns its figures (a dict), or None."""
        return None


PROF_FRAMES_RE = re.compile(r"^prof: rx frames (\d+) bytes (\d+) tx frames "
                            r"(\d+) bytes (\d+)$")
PROF_BUSY_RE = re.compile(r"^prof: busy cycles (\d+) per-frame (\d+) "
                          r"per-kib (\d+)$")
PROF_STAGE_RE = re.compile(r"^prof: ([a-z-]+) cycles (\d+) calls (\d+) "
                           r"per-frame (\d+) share ([\d.]+)%$")


def parse_prof(lines):
    """`prof` output as {"rx_frames": .., "busy_per_frame": ..,
    "stages": {name: {"cycles", "calls", "per_frame", "share"}}}."""
    res = {"stages": {}}
    for ln in lines:
        m = PROF_FRAMES_RE.match(ln)
        if m:
            for k, v in zip(("rx_frames", "rx_bytes", "tx_frames",
                             "tx_bytes"), m.groups()):
                res[k] = int(v)
        m = PROF_BUSY_RE.match(ln)
        if m:
            res["busy_cycles"], res["busy_per_frame"], res["busy_per_kib"] = (
                int(x) for x in m.groups())
        m = PROF_STAGE_RE.match(ln)
        if m:
            res["stages"][m.group(1)] = {
                "cycles": int(m.group(2)), "calls": int(m.group(3)),
                "per_frame": int(m.group(4)), "share": float(m.group(5))}
    return res if "busy_cycles" in res else None


class Unisr(Guest):
    name = "unisr"
    ready_re = UNISR_READY_RE

    def __init__(self, kernel=None):
        self.kernel = str(kernel or uc.KERNEL)

    def image(self):
        return ["-kernel", self.kernel, "-append", ""]

    def image_files(self):
        return [self.kernel]

    @staticmethod
    def _at_prompt(boot):
        """Consumes the boot's first prompt once; commands then run from
        one prompt to the next."""
        if not getattr(boot, "at_prompt", False):
            boot.con.wait_prompt(uc.CMD_TIMEOUT)
            boot.at_prompt = True

    def counters(self, boot):
        lines = []
        try:
            self._at_prompt(boot)
            for cmd in ("netstat -i", "vtnet rings", "netstat -Q",
                        "netstat -s", "cpus"):
                lines += ["> " + cmd] + boot.con.run(cmd, 30)
        except Exception as e:          # a wedged guest is a finding
            lines.append("counters unavailable: %s" % str(e)[:200])
        return lines

    def prof_start(self, boot):
        self._at_prompt(boot)
        return "prof: on" in boot.con.run("prof on", uc.CMD_TIMEOUT)

    def prof_read(self, boot):
        boot.con.run("prof off", uc.CMD_TIMEOUT)
        return parse_prof(boot.con.run("prof", uc.CMD_TIMEOUT))

    def own_boot_s(self, boot):
        m = OWN_BOOT_RE.search(boot.con.text)
        return int(m.group(1)) / 1e6 if m else None

    def versions(self):
        p = subprocess.run(["git", "-C", TOP, "describe", "--always",
                            "--dirty"], capture_output=True, text=True)
        return {"unisr_commit": p.stdout.strip()}


class Linux(Guest):
    name = "linux"
    ready_re = LINUX_READY_RE

    def __init__(self, out=LINUX_DIR):
        self.out = out

    def build(self):
        """Build (or reuse) the reference guest; raises on failure."""
        subprocess.run(["bash", LINUX_BUILD, self.out], check=True)

    def image(self):
        return ["-kernel", os.path.join(self.out, "vmlinuz"),
                "-initrd", os.path.join(self.out, "initramfs.cpio.gz"),
                "-append", LINUX_APPEND]

    def image_files(self):
        return [os.path.join(self.out, "vmlinuz"),
                os.path.join(self.out, "initramfs.cpio.gz")]

    def versions(self):
        try:
            with open(os.path.join(self.out, "versions.json")) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}


def qemu_version():
    p = subprocess.run([uc.QEMU, "--version"], capture_output=True,
                       text=True)
    return p.stdout.split("\n")[0].strip()


def host_cpu():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown"
