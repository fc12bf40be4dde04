# SPDX-License-Identifier: BSD-2-Clause
"""The kernel command line is parsed, reported and applied.

Proves (direct boots, -append): `cmdline` shows the raw line and every known
key, marking the ones the line set; an unknown key, a bad value and a token
that is not key=value each give exactly one `cmdline: ignoring ...` line
while the boot still reaches READY, and a bad value leaves the default in
force; console.echo=0 turns the shell's echo off (and =1 keeps it on).
Per-interface keys: vtnet1.* set with valid values add exactly the four
vtnet1 lines after the global ones (the rest unchanged), vtnet0.ip= is
shown as ip=, and vtnet9.ip= / vtnet1.vnet=99 / vtnet1.ip=garbage /
vtnetX.foo= are each ignored with one warning.
"""

import re

import pytest

DEFAULTS = [
    ("ip", "10.0.2.15/24"),
    ("gw", "10.0.2.2"),
    ("ip6", "auto"),
    ("net.isr.dispatch", "direct"),
    ("net.isr.maxthreads", "all"),
    ("net.isr.defaultqlimit", "256"),
    ("virtio_net.queues", "max"),
    ("virtio_net.offload", "1"),
    ("console.echo", "1"),
]
KEY_RE = re.compile(r"^\s*([a-z0-9_.]+)=(\S+?)( \(set\))?$")


def parse_cmdline(lines):
    """(raw, [(key, value, was_set)]) from the output of `cmdline`."""
    assert lines, "cmdline printed nothing"
    m = re.match(r'^cmdline: raw "(.*)"$', lines[0])
    assert m, "first line not 'cmdline: raw \"...\"': %r" % lines[0]
    keys = []
    for line in lines[1:]:
        k = KEY_RE.match(line)
        assert k, "not a key line: %r" % line
        keys.append((k.group(1), k.group(2), k.group(3) is not None))
    return m.group(1), keys


def expected(overrides):
    return [(key, overrides.get(key, default), key in overrides)
            for key, default in DEFAULTS]


def test_defaults(qemu):
    con = qemu(cmdline="")
    assert con.boot.ignoring == []
    raw, keys = parse_cmdline(con.run("cmdline"))
    assert raw == ""
    assert keys == expected({})


def test_set_keys_marked(qemu):
    given = {"ip": "10.0.2.20/24", "gw": "10.0.2.1",
             "net.isr.defaultqlimit": "512", "virtio_net.queues": "2",
             "virtio_net.offload": "0", "console.echo": "1"}
    line = " ".join("%s=%s" % kv for kv in given.items())
    con = qemu(cmdline=line)
    assert con.boot.ignoring == []
    raw, keys = parse_cmdline(con.run("cmdline"))
    assert raw == line
    assert keys == expected(given)
    assert sum(1 for _k, _v, was_set in keys if was_set) == 6


@pytest.mark.parametrize("token,reason", [
    ("frobnicate=1", "unknown key"),
    ("ip=10.0.0.300/24", "bad value"),
    ("quiet", "not key=value"),
])
def test_ignored_token(qemu, token, reason):
    line = "gw=10.0.2.1 %s" % token
    con = qemu(cmdline=line)
    b = con.boot
    assert b.ignoring == ["cmdline: ignoring %s (%s)" % (token, reason)]
    assert len(b.ready) == 1
    ign = b.index(lambda ln: ln.startswith("cmdline: ignoring "))
    rdy = b.index(lambda ln: ln.startswith("READY"))
    assert 0 <= ign < rdy
    raw, keys = parse_cmdline(con.run("cmdline"))
    assert raw == line
    # The valid key beside it still applies; the ignored one changes nothing
    # (for the bad ip value the default stays, unmarked).
    assert keys == expected({"gw": "10.0.2.1"})


def test_too_long_token(qemu):
    token = "gw=" + "1" * 297     # 300 characters: beyond any token limit
    con = qemu(cmdline="%s ip6=off" % token)
    ign = con.boot.ignoring
    assert len(ign) == 1, ign
    m = re.match(r"^cmdline: ignoring (\S+) \(too long\)$", ign[0])
    assert m, ign[0]
    shown = m.group(1).rstrip(".")
    assert 0 < len(shown) < len(token) and token.startswith(shown), shown
    assert len(con.boot.ready) == 1
    _raw, keys = parse_cmdline(con.run("cmdline"))
    assert keys == expected({"ip6": "off"})


def test_echo_off(qemu):
    con = qemu(cmdline="console.echo=0")
    assert con.echo is False
    start = con.pos
    out = con.run("uptime")
    sent = con.text[start:con.pos]
    assert sent.find("uptime") == sent.find("uptime:"), (
        "command text echoed with console.echo=0: %r" % sent)
    assert len(out) == 1 and re.match(r"^uptime: \d+ us$", out[0]), out
    raw, keys = parse_cmdline(con.run("cmdline"))
    assert raw == "console.echo=0"
    assert keys == expected({"console.echo": "0"})


def test_echo_on(qemu):
    con = qemu(cmdline="console.echo=1")
    start = con.pos
    out = con.run("uptime")
    sent = con.text[start:con.pos]
    assert sent.startswith("uptime\n"), (
        "command not echoed with console.echo=1: %r" % sent)
    assert len(out) == 1 and re.match(r"^uptime: \d+ us$", out[0]), out


def test_vtnet_keys(qemu):
    line = ("vtnet0.ip=10.0.2.20/24 vtnet1.ip=10.0.3.15/24 vtnet1.vnet=1 "
            "vtnet9.ip=10.0.9.15/24 vtnet1.vnet=99 vtnet1.ip=garbage "
            "vtnetX.foo=1")
    con = qemu(cmdline=line)
    assert con.boot.ignoring == [
        "cmdline: ignoring vtnet9.ip=10.0.9.15/24 (unit out of range)",
        "cmdline: ignoring vtnet1.vnet=99 (bad value)",
        "cmdline: ignoring vtnet1.ip=garbage (bad value)",
        "cmdline: ignoring vtnetX.foo=1 (unknown key)",
    ]
    assert len(con.boot.ready) == 1
    raw, keys = parse_cmdline(con.run("cmdline"))
    assert raw == line
    assert keys[:len(DEFAULTS)] == expected({"ip": "10.0.2.20/24"})
    assert keys[len(DEFAULTS):] == [
        ("vtnet1.ip", "10.0.3.15/24", True),
        ("vtnet1.gw", "0.0.0.0", False),
        ("vtnet1.ip6", "auto", False),
        ("vtnet1.vnet", "1", True),
    ]
