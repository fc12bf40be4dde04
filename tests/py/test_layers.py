# SPDX-License-Identifier: BSD-2-Clause
"""The layers call one way (docs/DESIGN.md, "Layers"), checked over the
sources' #include lines and a few symbols, with no build and no guest:

- nothing under net/lwip-glue/ includes a driver header (drivers/...);
- nothing under kernel/, drivers/ or arch/ includes an lwIP header
  (lwip/..., netif/..., arch/cc.h's lwIP port) or a glue header
  (net/lwip-glue/...);
- net/stack/, net/vnet/, net/if/, net/netisr/ and net/*.c include no lwIP
  header: only the copied glue sees lwIP (net/stack/ sees the glue only
  through net/lwip-glue/lwipg_inst.h, which names no lwIP type);
- the glue, which is copied once per vnet, defines no shell command,
  self-test or PCI driver (linker tables every copy would repeat);
- outside drivers/, only kernel/main.c and kernel/sysctl.c include a
  driver header (the missing-memory figure and the hw.vtnet sysctl), and
  nothing outside drivers/virtio_net/ names a vtnet softc.
Each check counts its offenders and asserts the count is 0.
"""

import re
from pathlib import Path

TOP = Path(__file__).resolve().parents[2]
INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
LWIP_HDR_RE = re.compile(r"^(lwip/|netif/|lwipopts\.h$|arch/cc\.h$|"
                         r"arch/sys_arch\.h$)")
TABLE_RE = re.compile(r"\b(SHELL_CMD|SELFTEST|PCI_DRIVER)\s*\(")
DRIVER_INCLUDERS = {"kernel/main.c", "kernel/sysctl.c"}


def sources(*dirs):
    for d in dirs:
        for p in sorted((TOP / d).rglob("*")):
            if p.suffix in (".c", ".h", ".S"):
                yield p


def includes(p):
    return INCLUDE_RE.findall(p.read_text(errors="replace"))


def offenders(files, bad):
    out = []
    for p in files:
        for inc in includes(p):
            if bad(inc):
                out.append("%s: %s" % (p.relative_to(TOP), inc))
    return out


def test_glue_sees_no_driver():
    bad = offenders(sources("net/lwip-glue"),
                    lambda inc: inc.startswith("drivers/"))
    assert len(bad) == 0, bad


def test_kernel_and_drivers_see_no_lwip():
    bad = offenders(sources("kernel", "drivers", "arch"),
                    lambda inc: inc.startswith("net/lwip-glue/") or
                    LWIP_HDR_RE.match(inc) is not None)
    assert len(bad) == 0, bad


def test_only_the_glue_sees_lwip():
    files = list(sources("net/stack", "net/vnet", "net/if", "net/netisr"))
    files += sorted((TOP / "net").glob("*.c")) + sorted(
        (TOP / "net").glob("*.h"))
    bad = offenders(files, lambda inc: LWIP_HDR_RE.match(inc) is not None or
                    (inc.startswith("net/lwip-glue/") and
                     inc != "net/lwip-glue/lwipg_inst.h"))
    assert len(bad) == 0, bad


def test_copied_glue_has_no_linker_tables():
    bad = []
    for p in sources("net/lwip-glue"):
        for m in TABLE_RE.finditer(p.read_text(errors="replace")):
            line = p.read_text().count("\n", 0, m.start()) + 1
            bad.append("%s:%d: %s" % (p.relative_to(TOP), line, m.group(1)))
    # The macros' own definitions are not under net/lwip-glue/.
    assert len(bad) == 0, bad


def test_drivers_stay_below():
    files = [p for p in sources("kernel", "net", "arch")]
    bad = [x for x in offenders(files, lambda inc: inc.startswith("drivers/"))
           if x.split(":")[0] not in DRIVER_INCLUDERS]
    assert len(bad) == 0, bad
    softc = [str(p.relative_to(TOP)) for p in files
             if "vtnet_softc" in p.read_text(errors="replace")]
    assert len(softc) == 0, softc
