#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Choose the QEMU accelerator for running unisr: print `kvm` or `tcg`.

Usage: accel.py [kvm|tcg|auto] [--kernel PATH] [--no-cache]

The choice comes from the argument, else the environment variable ACCEL,
else `auto`.  `kvm` and `tcg` are answered as given.  `auto` answers `tcg`
when /dev/kvm is missing or cannot be opened read-write; otherwise it boots
the kernel (default build/unisr.elf) once under TCG and once under KVM,
measuring the time until the serial console shows a line starting with
READY, and answers `kvm` only when KVM reached READY and was not slower than
TCG.  KVM gets at most (TCG time * 2 + 3) seconds.  Some machines expose a
/dev/kvm that is a nested, paravirtualised KVM far slower than TCG: the
timing is what catches those.

The verdict is cached in build/accel-verdict (the word, then a comment line
with the timings) and reused while that file is newer than the QEMU binary.
Diagnostics go to stderr; stdout carries only the word.
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent
QEMU = "qemu-system-x86_64"
READY_RE = re.compile(rb"^READY", re.M)
TCG_TIMEOUT = 60.0          # seconds for a TCG boot to reach READY
POLL = 0.05                 # seconds between looks at the serial file
CHOICES = ("kvm", "tcg", "auto")


def log(msg):
    print("accel: " + msg, file=sys.stderr)


def kvm_usable():
    """True when /dev/kvm exists and opens read-write."""
    try:
        fd = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
    except OSError as e:
        log("/dev/kvm not usable (%s)" % e.strerror)
        return False
    os.close(fd)
    return True


def time_to_ready(qemu, accel, kernel, limit):
    """Boot `kernel` under `accel`; seconds until READY, or None past `limit`."""
    with tempfile.TemporaryDirectory(prefix="unisr-accel-") as tmp:
        serial = os.path.join(tmp, "serial.log")
        errlog = os.path.join(tmp, "qemu.err")
        argv = [qemu, "-accel", accel, "-m", "64M", "-display", "none",
                "-serial", "file:" + serial, "-monitor", "none",
                "-kernel", str(kernel)]
        with open(errlog, "wb") as err:
            start = time.monotonic()
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=err,
                                    start_new_session=True)
        elapsed = None
        try:
            while True:
                now = time.monotonic() - start
                try:
                    with open(serial, "rb") as f:
                        if READY_RE.search(f.read()):
                            elapsed = now
                            break
                except FileNotFoundError:
                    pass
                if proc.poll() is not None:
                    log("%s: QEMU exited with status %d before READY"
                        % (accel, proc.returncode))
                    break
                if now >= limit:
                    log("%s: no READY within %.1f s" % (accel, limit))
                    break
                time.sleep(POLL)
        finally:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            proc.wait()
        if elapsed is None:
            with open(errlog, "rb") as f:
                tail = f.read().decode("utf-8", "replace").strip()
            if tail:
                log("%s: QEMU stderr: %s" % (accel, tail[-500:]))
        return elapsed


def read_cache(cache, qemu):
    """The cached verdict if the cache is newer than the QEMU binary."""
    try:
        if cache.stat().st_mtime <= os.stat(qemu).st_mtime:
            return None
        for line in cache.read_text().splitlines():
            word = line.strip()
            if word and not word.startswith("#"):
                return word if word in ("kvm", "tcg") else None
    except OSError:
        return None
    return None


def write_cache(cache, verdict, comment):
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_name(cache.name + ".tmp")
    tmp.write_text("%s\n# %s\n" % (verdict, comment))
    os.replace(tmp, cache)


def fmt(t):
    return "none" if t is None else "%.3fs" % t


def auto(kernel, use_cache):
    if not kvm_usable():
        return "tcg"
    qemu = shutil.which(QEMU)
    if qemu is None:
        log("%s not found" % QEMU)
        return "tcg"
    if not kernel.is_file():
        log("error: kernel %s does not exist (run make first)" % kernel)
        return "tcg"
    cache = TOP / "build" / "accel-verdict"
    if use_cache:
        cached = read_cache(cache, qemu)
        if cached:
            return cached
    tcg = time_to_ready(qemu, "tcg", kernel, TCG_TIMEOUT)
    if tcg is None:
        log("TCG boot did not reach READY; answering tcg without caching")
        return "tcg"
    kvm_limit = tcg * 2 + 3
    kvm = time_to_ready(qemu, "kvm", kernel, kvm_limit)
    verdict = "kvm" if kvm is not None and kvm <= tcg else "tcg"
    comment = ("tcg=%s kvm=%s (kvm limit %.3fs) kernel=%s"
               % (fmt(tcg), fmt(kvm), kvm_limit, kernel))
    log(comment + " -> " + verdict)
    write_cache(cache, verdict, comment)
    return verdict


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("accel", nargs="?", choices=CHOICES,
                    help="default: $ACCEL, else auto")
    ap.add_argument("--kernel", default=str(TOP / "build" / "unisr.elf"),
                    help="kernel ELF to time (default build/unisr.elf)")
    ap.add_argument("--no-cache", action="store_true",
                    help="ignore and rewrite build/accel-verdict")
    args = ap.parse_args(argv)

    choice = args.accel or os.environ.get("ACCEL", "").strip() or "auto"
    if choice not in CHOICES:
        log("error: ACCEL=%r is not one of %s; using auto"
            % (choice, "|".join(CHOICES)))
        choice = "auto"
    if choice == "auto":
        kernel = Path(args.kernel)
        if not kernel.is_absolute():
            kernel = TOP / kernel
        choice = auto(kernel, not args.no_cache)
    elif choice == "kvm" and not os.access("/dev/kvm", os.R_OK | os.W_OK):
        log("warning: kvm requested but /dev/kvm is not usable")
    print(choice)
    return 0


if __name__ == "__main__":
    sys.exit(main())
