/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_shim.h: the kernel's receive path on the host, for the frame
 * fuzzer (fuzz_frames.c) and the input handlers' unit test
 * (tests/unit/test_lwipg_input.c).
 *
 * What runs is the kernel's own code: the lwIP glue (net/lwip-glue/, all
 * of it but lwipg_sys.c), netisr (net/netisr/ over tests/unit/
 * netisr_host.c), lwIP 2.1.3 and the services lwipg_apps_init() starts.
 * What is faked, in two files:
 *
 *   fuzz_shim.c   what lwipg_sys.c and the rest of the kernel provide: the
 *                 core lock (one thread: a flag with the same assertions),
 *                 a millisecond clock that moves only when told to,
 *                 deterministic random numbers, printk into a ring, and
 *                 fuzz_stack_init(), which brings the stack up the way
 *                 kmain does (net_init(): 10.0.2.15/24, gw 10.0.2.2,
 *                 IPv6 link-local and fd00:1::15/48).
 *   fuzz_vtnet.c  vtnet0, an interface (net/if/if.h): an rx ring of
 *                 FUZZ_RX_RING buffers that frames are received into,
 *                 handed up through if_input(), exactly as vtnet_rx.c
 *                 does; and a
 *                 transmit that checks, counts and completes every frame
 *                 at once.
 *
 * netisr runs with FUZZ_NCPUS CPUs and the deferred policy: the ether
 * handler runs at once (it asks for direct dispatch), and ARP, IP and
 * IPv6 are queued to a workstream and handled by fuzz_stack_poll(), which
 * plays each CPU in turn on the calling thread.
 *
 * Locking: single-threaded.  The calling thread is netisr's CPU 0 except
 * while fuzz_stack_poll() plays the others.
 */
#ifndef TESTS_FUZZ_FUZZ_SHIM_H
#define TESTS_FUZZ_FUZZ_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FUZZ_NCPUS		2
#define FUZZ_RX_RING		256	/* VTNET_QUEUE_SIZE_MAX */
#define FUZZ_RX_OFF		16	/* frame offset in a buffer, see below */
#define FUZZ_FRAME_MAX		(2048 - FUZZ_RX_OFF)	/* VTNET_RX_BUF_SIZE */
#define FUZZ_TX_FRAME_MAX	1514	/* Ethernet header + the MTU */
#define FUZZ_CHAIN_FRAME_MAX	(14 + 65536)	/* a split frame, at most:
						   one byte past a pbuf */

/* How one frame arrives (what the device's virtio_net_hdr said). */
struct fuzz_rx {
	unsigned	fr_queue;	/* rx queue, the netisr source */
	bool		fr_csum_valid;	/* DATA_VALID: L4 checksum vouched */
	bool		fr_copy;	/* buffers scarce: the glue copies */
	bool		fr_hashed;	/* the device reported a hash */
	uint32_t	fr_hash;
	uint32_t	fr_split;	/* a chain of fr_split-byte buffers (a
					   merged frame), 0: one buffer */
};

/* fuzz_shim.c */
extern void (*fuzz_fail_hook)(void);	/* before a failed lwIP assertion */
void	fuzz_stack_init(unsigned dispatch);
void	fuzz_stack_poll(void);
void	fuzz_clock_advance(uint32_t ms);
uint32_t fuzz_clock_now(void);
void	fuzz_log_echo(bool on);
bool	fuzz_log_echoing(void);
bool	fuzz_log_contains(const char *substr);
void	fuzz_log_clear(void);

/* fuzz_vtnet.c */
void	fuzz_vtnet_attach(void);
int	fuzz_vtnet_rx(const uint8_t *frame, size_t len,
	    const struct fuzz_rx *rx);
unsigned fuzz_vtnet_rx_held(void);
void	fuzz_vtnet_rx_dump_held(void);
uint64_t fuzz_vtnet_rx_frames(void);
uint64_t fuzz_vtnet_tx_frames(void);

#endif /* TESTS_FUZZ_FUZZ_SHIM_H */
