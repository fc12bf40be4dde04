/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_frames.h: the input format of the fuzz_frames target (what
 * tests/fuzz/mkseeds.py writes and tests/fuzz/corpus/fuzz_frames/ holds).
 *
 * An input is up to FUZZ_MAX_RECORDS records, each one received frame:
 *
 *	+-------+------------------+------------------------------------+
 *	| flags | length (BE, 16)  | Ethernet frame, `length` bytes      |
 *	+-------+------------------+------------------------------------+
 *
 * The last record's frame is cut short by the end of the input; a frame
 * longer than FUZZ_FRAME_MAX is cut there (the driver's rx buffer).  The
 * flags say how the frame arrives:
 *
 *	bit 0	FUZZ_REC_CSUM_VALID	the device vouched for the L4 checksum
 *	bit 1	FUZZ_REC_COPY		rx buffers are scarce: the glue copies
 *	bit 2	FUZZ_REC_FIXUP		fix checksums and TCP seq/ack first
 *					(fuzz_fixup.c)
 *	bit 3	FUZZ_REC_HASH		the device reported a flow hash, so
 *					netisr does not compute one (m2flow)
 *	bit 4	FUZZ_REC_QUEUE1		arrives on rx queue 1, not 0
 *	bits 5-7			the clock first moves on by
 *					fuzz_clock_steps[bits] ms, and lwIP's
 *					timers that are due run
 */
#ifndef TESTS_FUZZ_FUZZ_FRAMES_H
#define TESTS_FUZZ_FUZZ_FRAMES_H

#include <stddef.h>
#include <stdint.h>

#define FUZZ_REC_HDR		3
#define FUZZ_MAX_RECORDS	16
#define FUZZ_REC_CSUM_VALID	0x01
#define FUZZ_REC_COPY		0x02
#define FUZZ_REC_FIXUP		0x04
#define FUZZ_REC_HASH		0x08
#define FUZZ_REC_QUEUE1		0x10
#define FUZZ_REC_CLOCK_SHIFT	5

/* Milliseconds, indexed by flags >> FUZZ_REC_CLOCK_SHIFT. */
#define FUZZ_CLOCK_STEPS	{ 0, 10, 100, 500, 1000, 5000, 30000, 300000 }

/* fuzz_fixup.c */
void	fuzz_fixup(uint8_t *frame, size_t len);

#endif /* TESTS_FUZZ_FUZZ_FRAMES_H */
