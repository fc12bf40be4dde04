/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_frames.c: libFuzzer target for the receive path: arbitrary frames
 * through the driver's input hook, the ether handler, netisr and the ARP,
 * IP and IPv6 handlers into lwIP (etharp_input, ip4_input, ip6_input and,
 * behind them, ICMP, ICMPv6/ND/MLD, UDP, TCP, reassembly) and the
 * services the kernel runs (UDP and TCP echo, discard, iperf2, iperf3,
 * the ping pcb).  The stack is the kernel's own code over host shims
 * (fuzz_shim.h); the input format is in fuzz_frames.h.
 *
 * Design: the stack is brought up once (LLVMFuzzerInitialize) and keeps
 * its state from input to input, as a kernel would: connections,
 * reassembly, ARP and neighbour caches.  The clock moves only when a
 * record asks (fuzz_frames.h), and then lwIP's timers run.  Everything is
 * deterministic, so a run over the same inputs in the same order takes
 * the same path.
 *
 * What is checked, besides ASan and UBSan on every access (the rx buffers
 * are poisoned around the frame, fuzz_vtnet.c), lwIP's assertions and the
 * glue's KASSERTs:
 *
 * - After every input, if lwIP holds nothing it may legitimately hold
 *   (no TCP connection, no reassembly, no packet waiting for ARP or
 *   neighbour discovery), then nothing may be left allocated: no rx
 *   buffer, no PBUF_POOL or PBUF (ref/rom) pbuf, no TCP segment, and the
 *   heap back to what it was after bring-up.  Otherwise a pbuf leaked.
 * - Every FUZZ_SWEEP_EVERY inputs (env FUZZ_FRAMES_SWEEP_EVERY; 1 checks
 *   after every input, to find which input leaked), a sweep: every TCP
 *   connection is aborted, every default router learned from an RA is
 *   given one second of lifetime left, and the clock moves on
 *   FUZZ_SWEEP_SECONDS in one-second steps; then lwIP must be idle
 *   (timers expired all reassembly and resolution state) and the check
 *   above must hold.  A failure prints the pools and the frames still
 *   held, and aborts.  Routers are cut short because lwIP never gives up
 *   resolving one (nd6_tmr keeps an INCOMPLETE entry with isrouter set,
 *   and the packets queued on it, for the router's lifetime, up to 18
 *   hours): legitimate, bounded by MEMP_NUM_ND6_QUEUE, but longer than a
 *   sweep should wait.
 * - The fake device checks every frame lwIP transmits (fuzz_vtnet.c).
 *
 * A failure may depend on earlier inputs (the state persists), so the
 * inputs since the last sweep are kept, and a failed lwIP assertion or a
 * leak writes them, numbered, to a directory it names (env
 * FUZZ_FRAMES_HISTORY, default /tmp/fuzz_frames-history.<pid>); running
 * the target over those files in order, with FUZZ_FRAMES_SWEEP_EVERY
 * large, replays the failure.  Only the files count: libFuzzer's crash
 * file is the last input alone.
 *
 * The corpus, tests/fuzz/corpus/fuzz_frames/: seed-* from mkseeds.py,
 * and regress-*, inputs that failed here once (each passes alone):
 *
 *   regress-arp-toosmall	a 20-byte ARP packet: etharp_input read
 *				past it (defect 6, arp-toosmall)
 *   regress-ip4-empty, regress-ip4-toosmall, regress-ip6-empty
 *				IPv4/IPv6 with 0 or 1 bytes, a device hash
 *				(no m2flow): ip4_input/ip6_input read past
 *				them (ip-toosmall, ip6-toosmall)
 *   regress-ip6-hbh-empty	payload length 0, next header hop-by-hop:
 *				ip6_input read the header length past the
 *				frame (an lwIP bug, ip6-badext)
 *   regress-tcp-opt-dangling	a SYN whose options end in an MSS kind
 *				byte: tcp_parseopt read the length byte
 *				past the header (an lwIP bug, tcp-badopt)
 *   regress-tcp-persist-empty	a zero-window probe acknowledged with the
 *				window still shut: an lwIP assertion, a
 *				kernel panic (an lwIP bug, tcp-persist-stopped)
 *   regress-nd6-router-incomplete	an RA without a link-layer address,
 *				then a reply through that router: packets
 *				held for the router's lifetime (not a bug;
 *				why the sweep ages routers)
 *
 * Environment: FUZZ_FRAMES_VERBOSE=1 echoes the kernel's printk lines
 * and the frames sent; FUZZ_FRAMES_VERBOSE=2 also prints `netstat -s`
 * after every input.
 *
 * Locking: single-threaded (fuzz_shim.h).
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lwip/memp.h"
#include "lwip/priv/nd6_priv.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/stats.h"
#include "lwip/tcp.h"
#include "net/lwip-glue/lwipg.h"
#include "net/lwip-glue/lwipg_inst.h"
#include "net/netisr/netisr.h"
#include "tests/fuzz/fuzz_frames.h"
#include "tests/fuzz/fuzz_shim.h"

#define FUZZ_SWEEP_EVERY	1024
#define FUZZ_SWEEP_SECONDS	120	/* > IPv6 reassembly's 60 s */
#define FUZZ_MS_PER_S		1000
#define FUZZ_FNV_BASIS		2166136261u
#define FUZZ_FNV_PRIME		16777619u
#define FUZZ_HISTORY_MAX	FUZZ_SWEEP_EVERY
#define FUZZ_PATH_MAX		512

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint32_t fuzz_clock_steps[] = FUZZ_CLOCK_STEPS;
_Static_assert(sizeof(fuzz_clock_steps) / sizeof(fuzz_clock_steps[0]) ==
    256 >> FUZZ_REC_CLOCK_SHIFT, "one clock step per value of the bits");

static unsigned long fuzz_sweep_every = FUZZ_SWEEP_EVERY;
static unsigned long fuzz_inputs;
static int fuzz_verbose;
static mem_size_t fuzz_heap_base;	/* heap in use after bring-up */
static uint8_t fuzz_frame[FUZZ_FRAME_MAX];

/* The inputs since the last sweep, oldest first from fuzz_hist_first. */
struct fuzz_hist {
	uint8_t	*fh_data;
	size_t	 fh_len, fh_cap;
};
static struct fuzz_hist fuzz_hist[FUZZ_HISTORY_MAX];
static unsigned fuzz_hist_first, fuzz_hist_count;

static uint32_t
fuzz_hash(const uint8_t *p, size_t n)
{
	uint32_t h = FUZZ_FNV_BASIS;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * FUZZ_FNV_PRIME;
	return h;
}

static unsigned
pool_used(memp_t t)
{
	return lwip_stats.memp[t]->used;
}

/* lwIP holds nothing it may keep between inputs (see the top). */
static bool
fuzz_lwip_idle(void)
{
	return tcp_active_pcbs == NULL && tcp_tw_pcbs == NULL &&
	    pool_used(MEMP_REASSDATA) == 0 &&
	    pool_used(MEMP_IP6_REASSDATA) == 0 &&
	    pool_used(MEMP_ARP_QUEUE) == 0 && pool_used(MEMP_ND6_QUEUE) == 0 &&
	    pool_used(MEMP_FRAG_PBUF) == 0;
}

static void
fuzz_hist_add(const uint8_t *data, size_t size)
{
	struct fuzz_hist *h;

	h = &fuzz_hist[(fuzz_hist_first + fuzz_hist_count) % FUZZ_HISTORY_MAX];
	if (fuzz_hist_count < FUZZ_HISTORY_MAX)
		fuzz_hist_count++;
	else
		fuzz_hist_first = (fuzz_hist_first + 1) % FUZZ_HISTORY_MAX;
	if (h->fh_cap < size) {
		free(h->fh_data);
		h->fh_cap = size;
		if ((h->fh_data = malloc(size)) == NULL)
			abort();
	}
	if (size != 0)
		memcpy(h->fh_data, data, size);
	h->fh_len = size;
}

/* Writes the kept inputs out (see the top); the fail hook. */
static void
fuzz_hist_dump(void)
{
	char dir[FUZZ_PATH_MAX], path[FUZZ_PATH_MAX];
	const struct fuzz_hist *h;
	const char *s;
	unsigned i;
	FILE *f;

	if ((s = getenv("FUZZ_FRAMES_HISTORY")) != NULL)
		snprintf(dir, sizeof(dir), "%s", s);
	else
		snprintf(dir, sizeof(dir), "/tmp/fuzz_frames-history.%d",
		    (int)getpid());
	if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
		perror(dir);
		return;
	}
	for (i = 0; i < fuzz_hist_count; i++) {
		h = &fuzz_hist[(fuzz_hist_first + i) % FUZZ_HISTORY_MAX];
		snprintf(path, sizeof(path), "%s/%04u", dir, i);
		if ((f = fopen(path, "wb")) == NULL) {
			perror(path);
			return;
		}
		fwrite(h->fh_data, 1, h->fh_len, f);
		fclose(f);
	}
	fprintf(stderr, "fuzz_frames: the %u inputs since the last sweep are "
	    "in %s/ (replay them in order)\n", fuzz_hist_count, dir);
}

static void
fuzz_fail(const char *what)
{
	fprintf(stderr, "fuzz_frames: %s after input %lu: rx buffers held %u, "
	    "pbuf_pool %u, pbuf %u, tcp_seg %u, heap %lu (%lu after "
	    "bring-up), tcp active %s, time-wait %s, reassdata %u, "
	    "ip6_reassdata %u, arp_queue %u, nd6_queue %u, frag_pbuf %u\n",
	    what, fuzz_inputs, fuzz_vtnet_rx_held(),
	    pool_used(MEMP_PBUF_POOL), pool_used(MEMP_PBUF),
	    pool_used(MEMP_TCP_SEG), (unsigned long)lwip_stats.mem.used,
	    (unsigned long)fuzz_heap_base,
	    tcp_active_pcbs != NULL ? "yes" : "no",
	    tcp_tw_pcbs != NULL ? "yes" : "no", pool_used(MEMP_REASSDATA),
	    pool_used(MEMP_IP6_REASSDATA), pool_used(MEMP_ARP_QUEUE),
	    pool_used(MEMP_ND6_QUEUE), pool_used(MEMP_FRAG_PBUF));
	fuzz_vtnet_rx_dump_held();
	fuzz_hist_dump();
	abort();
}

/* If lwIP is idle, everything must be back. */
static void
fuzz_check_leaks(void)
{
	if (lwipg_core_owned())
		fuzz_fail("core lock still held");
	if (!fuzz_lwip_idle())
		return;
	if (fuzz_vtnet_rx_held() != 0 || pool_used(MEMP_PBUF_POOL) != 0 ||
	    pool_used(MEMP_PBUF) != 0 || pool_used(MEMP_TCP_SEG) != 0 ||
	    lwip_stats.mem.used != fuzz_heap_base)
		fuzz_fail("leak: lwIP is idle but memory is in use");
}

/* Aborts every connection and lets every timer expire; see the top. */
static void
fuzz_sweep(void)
{
	unsigned i;

	lwipg_core_lock();
	while (tcp_active_pcbs != NULL)
		tcp_abort(tcp_active_pcbs);
	while (tcp_tw_pcbs != NULL)
		tcp_abort(tcp_tw_pcbs);
	for (i = 0; i < LWIP_ND6_NUM_ROUTERS; i++)
		if (default_router_list[i].neighbor_entry != NULL)
			default_router_list[i].invalidation_timer = 1;
	lwipg_core_unlock();
	fuzz_stack_poll();
	for (i = 0; i < FUZZ_SWEEP_SECONDS; i++)
		fuzz_clock_advance(FUZZ_MS_PER_S);
	if (!fuzz_lwip_idle())
		fuzz_fail("sweep: lwIP still busy");
	fuzz_check_leaks();
	fuzz_hist_count = 0;
}

/* One record: move the clock, receive the frame, run netisr's queues. */
static void
fuzz_record(unsigned flags, const uint8_t *frame, size_t len)
{
	struct fuzz_rx rx = {
		.fr_queue = (flags & FUZZ_REC_QUEUE1) != 0,
		.fr_csum_valid = (flags & FUZZ_REC_CSUM_VALID) != 0,
		.fr_copy = (flags & FUZZ_REC_COPY) != 0,
		.fr_hashed = (flags & FUZZ_REC_HASH) != 0,
	};
	uint32_t step = fuzz_clock_steps[flags >> FUZZ_REC_CLOCK_SHIFT];

	if (step != 0)
		fuzz_clock_advance(step);
	if (len > FUZZ_FRAME_MAX)
		len = FUZZ_FRAME_MAX;
	memcpy(fuzz_frame, frame, len);
	if (flags & FUZZ_REC_FIXUP)
		fuzz_fixup(fuzz_frame, len);
	rx.fr_hash = fuzz_hash(fuzz_frame, len);
	(void)fuzz_vtnet_rx(fuzz_frame, len, &rx);
	fuzz_stack_poll();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *s;

	(void)argc;
	(void)argv;
	if ((s = getenv("FUZZ_FRAMES_SWEEP_EVERY")) != NULL &&
	    strtoul(s, NULL, 10) != 0)
		fuzz_sweep_every = strtoul(s, NULL, 10);
	if ((s = getenv("FUZZ_FRAMES_VERBOSE")) != NULL)
		fuzz_verbose = atoi(s);
	fuzz_log_echo(fuzz_verbose > 0);
	fuzz_fail_hook = fuzz_hist_dump;
	fuzz_stack_init(NETISR_DISPATCH_DEFERRED);
	fuzz_heap_base = lwip_stats.mem.used;
	fuzz_sweep();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned n, flags;
	size_t len;

	fuzz_hist_add(data, size);
	for (n = 0; n < FUZZ_MAX_RECORDS && size >= FUZZ_REC_HDR; n++) {
		flags = data[0];
		len = (size_t)data[1] << 8 | data[2];
		data += FUZZ_REC_HDR;
		size -= FUZZ_REC_HDR;
		if (len > size)
			len = size;
		fuzz_record(flags, data, len);
		data += len;
		size -= len;
	}
	fuzz_inputs++;
	if (fuzz_verbose > 1)
		lwipg_print_stats();
	fuzz_check_leaks();
	if (fuzz_inputs % fuzz_sweep_every == 0)
		fuzz_sweep();
	return 0;
}
