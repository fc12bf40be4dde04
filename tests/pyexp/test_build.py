# SPDX-License-Identifier: BSD-2-Clause
"""build/unisr.elf is small and bootable both by QEMU -kernel and by GRUB.

Proves, by parsing the ELF with struct: the file is under 512 KiB; a
PT_NOTE segment holds a "Xen" note of type 18 (XEN_ELFNOTE_PHYS32_ENTRY,
the PVH entry QEMU -kernel uses) whose entry lies in a loaded segment; and
exactly one valid multiboot2 header (magic 0xE85250D6, i386 architecture,
checksum, well-formed tags ending in the end tag) sits 8-byte aligned and
whole within the first 32 KiB.
"""

import struct

import pytest

import unisr_console as uc

MAX_SIZE = 512 * 1024
PT_LOAD = 1
PT_NOTE = 4
XEN_ELFNOTE_PHYS32_ENTRY = 18
MB2_MAGIC = 0xE85250D6
MB2_SEARCH = 32768
MB2_ALIGN = 8


@pytest.fixture(scope="module")
def elf():
    if not uc.KERNEL.is_file():
        pytest.fail("%s does not exist: run make first" % uc.KERNEL,
                    pytrace=False)
    return uc.KERNEL.read_bytes()


def program_headers(data):
    """[(p_type, p_offset, p_paddr, p_filesz, p_memsz, p_align)]."""
    assert data[:4] == b"\x7fELF", "not an ELF file"
    ei_class, ei_data = data[4], data[5]
    assert ei_data == 1, "not little-endian"
    if ei_class == 2:
        phoff, = struct.unpack_from("<Q", data, 0x20)
        phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
        fmt = "<IIQQQQQQ"
    else:
        assert ei_class == 1, "bad ELF class %d" % ei_class
        phoff, = struct.unpack_from("<I", data, 0x1C)
        phentsize, phnum = struct.unpack_from("<HH", data, 0x2A)
        fmt = "<IIIIIIII"
    assert phentsize == struct.calcsize(fmt)
    phdrs = []
    for i in range(phnum):
        f = struct.unpack_from(fmt, data, phoff + i * phentsize)
        if ei_class == 2:
            p_type, _flags, off, _vaddr, paddr, filesz, memsz, align = f
        else:
            p_type, off, _vaddr, paddr, filesz, memsz, _flags, align = f
        phdrs.append((p_type, off, paddr, filesz, memsz, align))
    return phdrs


def notes(data, off, size, align):
    """[(name, type, desc)] of the notes in data[off:off+size]."""
    a = 8 if align == 8 else 4
    out = []
    pos, end = off, off + size
    while pos + 12 <= end:
        namesz, descsz, ntype = struct.unpack_from("<III", data, pos)
        pos += 12
        name = data[pos:pos + namesz].rstrip(b"\0")
        pos += (namesz + a - 1) & ~(a - 1)
        desc = data[pos:pos + descsz]
        pos += (descsz + a - 1) & ~(a - 1)
        out.append((name, ntype, desc))
    return out


def test_size(elf):
    assert len(elf) < MAX_SIZE, "%d bytes" % len(elf)


def test_pvh_note(elf):
    phdrs = program_headers(elf)
    found = []
    for p_type, off, _paddr, filesz, _memsz, align in phdrs:
        if p_type == PT_NOTE:
            found += [n for n in notes(elf, off, filesz, align)
                      if n[0] == b"Xen" and n[1] == XEN_ELFNOTE_PHYS32_ENTRY]
    assert len(found) == 1, "want one Xen/18 note in PT_NOTE, got %d" % len(
        found)
    desc = found[0][2]
    assert len(desc) in (4, 8), "entry desc of %d bytes" % len(desc)
    entry = int.from_bytes(desc, "little")
    assert 0 < entry < 1 << 32, hex(entry)
    loads = [(paddr, memsz) for t, _o, paddr, _f, memsz, _a in phdrs
             if t == PT_LOAD]
    assert any(paddr <= entry < paddr + memsz for paddr, memsz in loads), (
        "PVH entry 0x%x outside the PT_LOAD segments %s" % (
            entry, [(hex(p), hex(m)) for p, m in loads]))


def test_multiboot2_header(elf):
    head = elf[:MB2_SEARCH]
    valid = []
    misaligned = []
    for off in range(0, len(head) - 15, 4):
        magic, arch, length, csum = struct.unpack_from("<IIII", head, off)
        if magic != MB2_MAGIC:
            continue
        if (magic + arch + length + csum) & 0xFFFFFFFF:
            continue
        (valid if off % MB2_ALIGN == 0 else misaligned).append(off)
    assert len(valid) == 1, (
        "want one 8-aligned multiboot2 header in the first 32 KiB; aligned "
        "at %s, misaligned at %s" % (valid, misaligned))
    off = valid[0]
    _magic, arch, length, _csum = struct.unpack_from("<IIII", head, off)
    assert arch == 0, "architecture %d, want 0 (i386)" % arch
    assert off + length <= MB2_SEARCH, "header runs past 32 KiB"
    # Tags: u16 type, u16 flags, u32 size, each 8-byte aligned; the last
    # is the end tag (type 0, size 8) finishing exactly at header_length.
    pos, end = off + 16, off + length
    last = None
    while pos < end:
        ttype, _flags, size = struct.unpack_from("<HHI", head, pos)
        assert size >= 8, "tag type %d with size %d" % (ttype, size)
        last = (ttype, size, pos)
        pos += (size + 7) & ~7
        if ttype == 0:
            break
    assert last is not None and last[:2] == (0, 8), "no end tag: %s" % (last,)
    assert pos == end, "end tag at 0x%x, header ends at 0x%x" % (pos, end)
