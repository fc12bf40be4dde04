/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vtnet_cmds.c: the NICs' diagnostics: the attach's features line
 * (vtnet_log_features), each one's part of `netstat -i`
 * (per-queue counters, vtnet_if_print_stats, the interface's
 * ifo_print_stats; the command itself is net/netstat.c's; the rx drop
 * reasons stay the last line, after the tx completions line) and the `vtnet`
 * command: `vtnet units` lists every device, and `vtnet [<unit>] rss |
 * rings | flows [clear] | send <n> | msix | losekick | badgso` works on
 * one, unit 0 unless a unit (`1` or `vtnet1`) comes first.  `vtnet
 * flows` prints the flow table each rx queue keeps (vtnet_rx.c) and
 * `flows clear` empties it on each queue's own CPU.
 *
 * Locking: the counters are read racily (each is written by one CPU);
 * `vtnet send` transmits from the shell's CPU through the normal path.
 */
#include <stddef.h>

#include "drivers/virtio_net/vtnet.h"
#include "drivers/virtio_net/vtnet_hdr.h"
#include "kernel/console.h"
#include "kernel/coreloop.h"
#include "kernel/libc.h"
#include "kernel/printf.h"
#include "kernel/shell.h"

#define VTNET_SEND_MAX		100000
#define VTNET_DROPS_LINE_MAX	192	/* `netstat -i` drop reasons */
#define VTNET_LOSEKICK_MAX	1000	/* `vtnet losekick`: doorbells to skip */
#define VTNET_BADGSO_MAX	1000	/* `vtnet badgso`: GSO frames to spoil */
#define VTNET_TEST_ETHERTYPE	0x88b5	/* IEEE 802 local experimental */
#define VTNET_TEST_FRAME_LEN	60	/* minimum Ethernet payload + header */
#define RSS_PER_LINE		128

static const struct {
	unsigned	fn_bit;
	const char	*fn_name;
} vtnet_feature_names[] = {
	{ VIRTIO_F_VERSION_1, "VERSION_1" }, { VTNET_F_MAC, "MAC" },
	{ VTNET_F_STATUS, "STATUS" }, { VTNET_F_MRG_RXBUF, "MRG_RXBUF" },
	{ VTNET_F_CSUM, "CSUM" }, { VTNET_F_GUEST_CSUM, "GUEST_CSUM" },
	{ VTNET_F_CTRL_VQ, "CTRL_VQ" }, { VTNET_F_MQ, "MQ" },
	{ VTNET_F_RSS, "RSS" }, { VTNET_F_HASH_REPORT, "HASH_REPORT" },
	{ VIRTIO_F_EVENT_IDX, "EVENT_IDX" },
	{ VIRTIO_F_INDIRECT_DESC, "INDIRECT_DESC" }, { VTNET_F_MTU, "MTU" },
	{ VTNET_F_GUEST_TSO4, "GUEST_TSO4" },
	{ VTNET_F_GUEST_TSO6, "GUEST_TSO6" },
	{ VTNET_F_HOST_TSO4, "HOST_TSO4" }, { VTNET_F_HOST_TSO6, "HOST_TSO6" },
};

/* The attach line `vtnet<u>: features ...`: what was negotiated. */
void
vtnet_log_features(struct vtnet_softc *sc)
{
	char line[PRINTK_LINE_MAX];
	size_t i, n = 0;

	n += ksnprintf(line, sizeof(line), "%s: features", vtnet_name(sc));
	for (i = 0; i < nitems(vtnet_feature_names); i++)
		if (virtio_has(&sc->vs_vp, vtnet_feature_names[i].fn_bit) &&
		    n < sizeof(line))
			n += ksnprintf(line + n, sizeof(line) - n, " %s",
			    vtnet_feature_names[i].fn_name);
	printk("%s\n", line);
}

struct vtnet_totals {
	uint64_t	t_ipkts, t_ibytes, t_idrops, t_opkts, t_obytes;
	uint64_t	t_odrops, t_intrs, t_polls, t_refills, t_full, t_csum;
	uint64_t	t_hashed;
};

/* Sums one uint64_t rx counter, given by its offset, over all queues. */
static uint64_t
vtnet_sum_rx(const struct vtnet_softc *sc, size_t off)
{
	uint64_t sum = 0;
	uint16_t q;

	for (q = 0; q < sc->vs_nqueues; q++)
		sum += *(const uint64_t *)((const uint8_t *)&sc->vs_rxq[q] +
		    off);
	return sum;
}

/* The same for a tx counter. */
static uint64_t
vtnet_sum_tx(const struct vtnet_softc *sc, size_t off)
{
	uint64_t sum = 0;
	uint16_t q;

	for (q = 0; q < sc->vs_nqueues; q++)
		sum += *(const uint64_t *)((const uint8_t *)&sc->vs_txq[q] +
		    off);
	return sum;
}

/* Every rx drop of one queue: each header reason, oversize, refill. */
static uint64_t
vtnet_rxq_drops(const struct vtnet_rxq *r)
{
	uint64_t n = r->vrx_drop_oversize + r->vrx_drop_refill;
	int reason;

	for (reason = 1; reason < VTNET_RXE_COUNT; reason++)
		n += r->vrx_drop_hdr[reason];
	for (reason = 1; reason < VTNET_GSOE_COUNT; reason++)
		n += r->vrx_drop_gso[reason];
	return n;
}

/* The rx drops of every queue, by reason. */
static void
netstat_i_drops(struct vtnet_softc *sc)
{
	uint64_t hdr[VTNET_RXE_COUNT] = { 0 }, oversize = 0, refill = 0;
	char line[VTNET_DROPS_LINE_MAX];
	size_t n = 0;
	uint16_t q;
	int r;

	for (q = 0; q < sc->vs_nqueues; q++) {
		for (r = 1; r < VTNET_RXE_COUNT; r++)
			hdr[r] += sc->vs_rxq[q].vrx_drop_hdr[r];
		oversize += sc->vs_rxq[q].vrx_drop_oversize;
		refill += sc->vs_rxq[q].vrx_drop_refill;
	}
	for (r = 1; r < VTNET_RXE_COUNT; r++)
		n += (size_t)ksnprintf(line + n, sizeof(line) - n, " %s %lu",
		    vtnet_rxe_name(r), hdr[r]);
	printk("%s: rx drops%s oversize %lu refill %lu\n", vtnet_name(sc),
	    line, oversize, refill);
}

/*
 * Large segments in (GUEST_TSO4/6): the GSO frames taken, their bytes,
 * the frames that spanned several buffers and those buffers, the largest
 * frame; then the GSO frames dropped, by vtnet_gsoe reason.
 */
static void
netstat_i_gso(struct vtnet_softc *sc)
{
	uint64_t drop[VTNET_GSOE_COUNT] = { 0 };
	char line[VTNET_DROPS_LINE_MAX];
	uint32_t max = 0;
	size_t n = 0;
	uint16_t q;
	int r;

	for (q = 0; q < sc->vs_nqueues; q++) {
		for (r = 1; r < VTNET_GSOE_COUNT; r++)
			drop[r] += sc->vs_rxq[q].vrx_drop_gso[r];
		if (sc->vs_rxq[q].vrx_gso_max > max)
			max = sc->vs_rxq[q].vrx_gso_max;
	}
	printk("%s: rx gso segments %lu bytes %lu largest %u, merged frames "
	    "%lu buffers %lu\n", vtnet_name(sc),
	    vtnet_sum_rx(sc, offsetof(struct vtnet_rxq, vrx_gso)),
	    vtnet_sum_rx(sc, offsetof(struct vtnet_rxq, vrx_gso_bytes)), max,
	    vtnet_sum_rx(sc, offsetof(struct vtnet_rxq, vrx_chains)),
	    vtnet_sum_rx(sc, offsetof(struct vtnet_rxq, vrx_chain_bufs)));
	line[0] = '\0';
	for (r = 1; r < VTNET_GSOE_COUNT; r++)
		n += (size_t)ksnprintf(line + n, sizeof(line) - n, " %s %lu",
		    vtnet_gsoe_name(r), drop[r]);
	printk("%s: rx gso drops%s\n", vtnet_name(sc), line);
}

/*
 * Transmit completions (vtnet_tx.c): chains reclaimed, the non-empty
 * batches they came in, tx interrupts, postponed interrupt armings, idle
 * callout runs, and the chains the device holds or has not had reclaimed.
 */
static void
netstat_i_txdone(struct vtnet_softc *sc)
{
	uint64_t out = 0;
	uint16_t q;

	for (q = 0; q < sc->vs_nqueues; q++)
		out += (uint16_t)(sc->vs_txq[q].vtx_vq.vq_avail_idx -
		    sc->vs_txq[q].vtx_vq.vq_last_used);
	printk("%s: tx done reclaimed %lu batches %lu intrs %lu intr-arms %lu "
	    "timer-polls %lu outstanding %lu\n", vtnet_name(sc),
	    vtnet_sum_tx(sc, offsetof(struct vtnet_txq, vtx_reclaimed)),
	    vtnet_sum_tx(sc, offsetof(struct vtnet_txq, vtx_batches)),
	    vtnet_sum_tx(sc, offsetof(struct vtnet_txq, vtx_intrs)),
	    vtnet_sum_tx(sc, offsetof(struct vtnet_txq, vtx_intr_arms)),
	    vtnet_sum_tx(sc, offsetof(struct vtnet_txq, vtx_timer_polls)), out);
}

static void
netstat_i(struct vtnet_softc *sc)
{
	struct vtnet_totals t;
	uint64_t idrops;
	uint16_t q;

	memset(&t, 0, sizeof(t));
	printk("Name   Queue CPU RxVec TxVec      Ipkts       Ibytes Idrops "
	    "     Opkts       Obytes Odrops    Intrs    Polls  Refills  Full "
	    "    Csum   Hashed\n");
	for (q = 0; q < sc->vs_nqueues; q++) {
		const struct vtnet_rxq *r = &sc->vs_rxq[q];
		const struct vtnet_txq *x = &sc->vs_txq[q];

		idrops = vtnet_rxq_drops(r);
		printk("%-6s %5u %3u %5d %5d %10lu %12lu %6lu %10lu %12lu "
		    "%6lu %8lu %8lu %8lu %5lu %8lu %8lu\n", vtnet_name(sc), q,
		    r->vrx_cpu,
		    r->vrx_vector, x->vtx_vector, r->vrx_packets,
		    r->vrx_bytes, idrops, x->vtx_packets, x->vtx_bytes,
		    x->vtx_drops, r->vrx_intrs + x->vtx_intrs, r->vrx_polls,
		    r->vrx_refills, x->vtx_full,
		    r->vrx_csum_valid + x->vtx_csum, r->vrx_hashed);
		t.t_ipkts += r->vrx_packets;
		t.t_ibytes += r->vrx_bytes;
		t.t_idrops += idrops;
		t.t_opkts += x->vtx_packets;
		t.t_obytes += x->vtx_bytes;
		t.t_odrops += x->vtx_drops;
		t.t_intrs += r->vrx_intrs + x->vtx_intrs;
		t.t_polls += r->vrx_polls;
		t.t_refills += r->vrx_refills;
		t.t_full += x->vtx_full;
		t.t_csum += r->vrx_csum_valid + x->vtx_csum;
		t.t_hashed += r->vrx_hashed;
	}
	printk("%-6s total   -     -     - %10lu %12lu %6lu %10lu %12lu "
	    "%6lu %8lu %8lu %8lu %5lu %8lu %8lu\n", vtnet_name(sc),
	    t.t_ipkts, t.t_ibytes,
	    t.t_idrops, t.t_opkts, t.t_obytes, t.t_odrops, t.t_intrs,
	    t.t_polls, t.t_refills, t.t_full, t.t_csum, t.t_hashed);
	printk("%s: link %s, link changes %lu\n", vtnet_name(sc),
	    sc->vs_ifnet.if_link_up ? "up" : "down",
	    sc->vs_ifnet.if_link_changes);
	printk("%s: rx csum completed %lu, buffers returned by the stack "
	    "%lu\n", vtnet_name(sc), vtnet_sum_rx(sc, offsetof(struct vtnet_rxq,
	    vrx_csum_completed)), vtnet_sum_rx(sc, offsetof(struct vtnet_rxq,
	    vrx_returns)));
	netstat_i_gso(sc);
	printk("%s: tx tso %lu segments %lu refused %lu\n", vtnet_name(sc),
	    vtnet_sum_tx(sc, offsetof(struct vtnet_txq, vtx_tso)),
	    vtnet_sum_tx(sc, offsetof(struct vtnet_txq, vtx_tso_segs)),
	    vtnet_sum_tx(sc, offsetof(struct vtnet_txq, vtx_tso_refused)));
	netstat_i_txdone(sc);
	netstat_i_drops(sc);	/* the last line */
}

/* `netstat -i` for this interface (its ifo_print_stats). */
void
vtnet_if_print_stats(struct ifnet *ifp)
{
	netstat_i(ifp->if_softc);
}

/* Ring indices and doorbell counters per queue, to diagnose a stall. */
static void
vtnet_rings_print(struct vtnet_softc *sc)
{
	uint16_t q;

	for (q = 0; q < sc->vs_nqueues; q++) {
		const struct vtnet_rxq *r = &sc->vs_rxq[q];
		const struct virtqueue *vq = &r->vrx_vq;

		printk("rx%u: avail %u published %u used %u last_used %u "
		    "used_event %u avail_event %u nfree %u posted %u "
		    "intr_off %d starved %lu wd-kicks %lu\n", q,
		    vq->vq_avail_idx, vq->vq_avail_pub, vq->vq_used->vu_idx,
		    vq->vq_last_used, *vring_used_event(vq->vq_avail, vq->vq_size),
		    *vring_avail_event(vq->vq_used, vq->vq_size), vq_nfree(vq),
		    r->vrx_posted, vq->vq_intr_off, r->vrx_starved,
		    r->vrx_wd_kicks);
		printk("rx%u: kicks %lu suppressed %lu misrouted-intrs %lu "
		    "lent-hwm %u polls-capped %lu\n", q, vq->vq_kicks,
		    vq->vq_kicks_suppressed, r->vrx_intr_misrouted,
		    r->vrx_lent_hwm, r->vrx_poll_capped);
	}
	for (q = 0; q < sc->vs_nqueues; q++) {
		const struct vtnet_txq *t = &sc->vs_txq[q];
		const struct virtqueue *vq = &t->vtx_vq;

		printk("tx%u: avail %u published %u used %u last_used %u "
		    "avail_event %u nfree %u kicks %lu suppressed %lu "
		    "full %lu full-kicks %lu wd-kicks %lu misrouted-intrs "
		    "%lu lost-kicks %lu\n", q, vq->vq_avail_idx, vq->vq_avail_pub,
		    vq->vq_used->vu_idx, vq->vq_last_used,
		    *vring_avail_event(vq->vq_used, vq->vq_size), vq_nfree(vq),
		    vq->vq_kicks, vq->vq_kicks_suppressed, t->vtx_full,
		    t->vtx_full_kicks, t->vtx_wd_kicks,
		    t->vtx_intr_misrouted, t->vtx_kicks_lost);
		printk("tx%u: intr %s used_event %u idle-callout %s\n", q,
		    vq->vq_intr_postponed ? "postponed" : vq->vq_intr_off ?
		    "parked" : "armed",
		    *vring_used_event(vq->vq_avail, vq->vq_size),
		    t->vtx_idle_armed ? "armed" : "idle");
	}
	vtnet_health_print(sc);		/* bad device input, per queue */
}

static void
rss_print(struct vtnet_softc *sc)
{
	char line[RSS_PER_LINE * 4];
	size_t n = 0;
	int i;

	if (!sc->vs_rss) {
		printk("rss: not negotiated\n");
		return;
	}
	printk("rss: key %s\n", vtnet_rss_key_hex());
	printk("rss: types 0x%x\n", sc->vs_hash_types);
	for (i = 0; i < RSS_PER_LINE; i++)
		n += (size_t)ksnprintf(line + n, sizeof(line) - n, "%s%u",
		    i == 0 ? "" : " ", sc->vs_rss_table[i]);
	printk("rss: table %s\n", line);
}

static void
send_done(void *arg)
{
	(void)arg;
}

/* Sends n broadcast test frames (ethertype 0x88b5) from this CPU. */
static int
vtnet_send_test(struct vtnet_softc *sc, uint32_t n)
{
	static uint8_t frame[VTNET_TEST_FRAME_LEN];
	struct if_seg seg = { frame, sizeof(frame) };
	uint32_t i, sent = 0, full = 0;

	memset(frame, 0xff, VTNET_ETHER_ADDR_LEN);
	memcpy(frame + VTNET_ETHER_ADDR_LEN, sc->vs_mac, VTNET_ETHER_ADDR_LEN);
	frame[12] = VTNET_TEST_ETHERTYPE >> 8;
	frame[13] = VTNET_TEST_ETHERTYPE & 0xff;
	for (i = 0; i < n; i++) {
		if (vtnet_transmit(sc, &seg, 1, NULL, IF_FLOWID_CURCPU,
		    send_done, NULL) == 0)
			sent++;
		else
			full++;
	}
	printk("vtnet send: %u sent, %u refused (ring full)\n", sent, full);
	return 0;
}

/*
 * Fault injection: points queue q's rx and tx MSI-X entries at another
 * CPU, keeping their vectors, so its interrupts arrive on the wrong CPU.
 * The handlers must still wake the queue's own poller (and count it).
 */
static int
vtnet_msix_route(struct vtnet_softc *sc, const char *qs, const char *cs)
{
	uint32_t q, cpu;
	struct percpu *pc;
	int err;

	if (kstrtou32(qs, sc->vs_nqueues - 1u, &q) != 0 ||
	    kstrtou32(cs, ncpus_online() - 1u, &cpu) != 0 ||
	    (pc = percpu_get(cpu)) == NULL) {
		printk("vtnet: msix: queue 0..%u, cpu 0..%u\n",
		    sc->vs_nqueues - 1u, ncpus_online() - 1u);
		return -1;
	}
	if ((err = pci_msix_set(&sc->vs_msix, (uint16_t)(2 * q),
	    (uint8_t)sc->vs_rxq[q].vrx_vector, pc->pc_apic_id)) != 0 ||
	    (err = pci_msix_set(&sc->vs_msix, (uint16_t)(2 * q + 1),
	    (uint8_t)sc->vs_txq[q].vtx_vector, pc->pc_apic_id)) != 0) {
		printk("vtnet: msix: entry update failed (%d)\n", err);
		return -1;
	}
	printk("vtnet: queue %u interrupts now go to cpu %u (owner cpu %u)\n",
	    q, cpu, sc->vs_rxq[q].vrx_cpu);
	return 0;
}

/* `vtnet units`: every unit, attached or not, and the refusals. */
static int
vtnet_units_print(void)
{
	struct vtnet_softc *sc;
	unsigned u;

	for (u = 0; (sc = vtnet_unit(u)) != NULL; u++) {
		if (!sc->vs_attached) {
			printk("%s: failed\n", vtnet_name(sc));
			continue;
		}
		/* attach takes rx0, tx0, rx1, ... and config, in a row */
		printk("%s: if %u queues %u vectors %d-%d mac "
		    "%02x:%02x:%02x:%02x:%02x:%02x link %s\n", vtnet_name(sc),
		    sc->vs_ifnet.if_index, sc->vs_nqueues,
		    sc->vs_rxq[0].vrx_vector, sc->vs_config_vector,
		    sc->vs_mac[0], sc->vs_mac[1], sc->vs_mac[2], sc->vs_mac[3],
		    sc->vs_mac[4], sc->vs_mac[5],
		    sc->vs_ifnet.if_link_up ? "up" : "down");
	}
	printk("vtnet: %u units, %u refused (at most %u)\n",
	    vtnet_unit_count(), vtnet_units_refused(), VTNET_MAX_UNITS);
	return 0;
}

/*
 * Whether arg names a unit, `<k>` or `vtnet<k>` (any k: a unit that is
 * not there is reported as such); if so, *unit is k.
 */
static bool
vtnet_arg_unit(const char *arg, uint32_t *unit)
{
	static const char prefix[] = "vtnet";

	if (strncmp(arg, prefix, sizeof(prefix) - 1) == 0)
		arg += sizeof(prefix) - 1;
	return kstrtou32(arg, UINT16_MAX, unit) == 0;
}

/* `vtnet flows`: the flows each rx queue recorded (vtnet_rx.c). */
static const char *
flow_proto(uint8_t p)
{
	return p == VTNET_FLOW_TCP ? "tcp" : "udp";
}

static void
vtnet_flows_print(struct vtnet_softc *sc)
{
	uint64_t flows = 0, frames = 0, untracked = 0, probes = 0;
	const struct vtnet_flow *fl;
	char hs[sizeof("0x12345678")];
	uint16_t q;
	uint32_t i;

	for (q = 0; q < sc->vs_nqueues; q++) {
		untracked += sc->vs_rxq[q].vrx_flows_untracked;
		probes += sc->vs_rxq[q].vrx_flow_probes;
		for (i = 0; i < VTNET_FLOWS_PER_QUEUE; i++) {
			fl = &sc->vs_rxq[q].vrx_flows[i];
			if (!fl->vf_used)
				continue;
			flows++;
			frames += fl->vf_frames;
			if (fl->vf_hash_type != 0)
				ksnprintf(hs, sizeof(hs), "0x%08x",
				    fl->vf_hash);
			else
				ksnprintf(hs, sizeof(hs), "none");
			printk("flow %s %u.%u.%u.%u:%u -> %u.%u.%u.%u:%u queue %u "
			    "hash %s type %u frames %lu\n",
			    flow_proto(fl->vf_proto), fl->vf_src >> 24,
			    (fl->vf_src >> 16) & 0xff, (fl->vf_src >> 8) & 0xff,
			    fl->vf_src & 0xff, fl->vf_sport, fl->vf_dst >> 24,
			    (fl->vf_dst >> 16) & 0xff, (fl->vf_dst >> 8) & 0xff,
			    fl->vf_dst & 0xff, fl->vf_dport, q, hs,
			    fl->vf_hash_type, fl->vf_frames);
		}
	}
	/* probes: table slots looked at, at most VTNET_FLOW_PROBES a frame. */
	if (untracked != 0)
		printk("flows: %lu flows, %lu frames untracked %lu probes %lu\n",
		    flows, frames, untracked, probes);
	else
		printk("flows: %lu flows, %lu frames probes %lu\n", flows,
		    frames, probes);
}

static void
flows_clear_queue(void *arg)
{
	struct vtnet_rxq *rxq = arg;

	memset(rxq->vrx_flows, 0, VTNET_FLOWS_PER_QUEUE *
	    sizeof(struct vtnet_flow));
	rxq->vrx_flows_untracked = 0;
	rxq->vrx_flow_probes = 0;
}

/* Forgets the recorded flows, on each queue's own CPU. */
static void
vtnet_flows_clear(struct vtnet_softc *sc)
{
	uint16_t q;

	for (q = 0; q < sc->vs_nqueues; q++)
		smp_call_sync(sc->vs_rxq[q].vrx_cpu, flows_clear_queue,
		    &sc->vs_rxq[q]);
}

static int
cmd_vtnet(int argc, char **argv)
{
	struct vtnet_softc *sc;
	uint32_t unit = 0, n;

	if (argc == 2 && strcmp(argv[1], "units") == 0)
		return vtnet_units_print();
	if (argc >= 2 && vtnet_arg_unit(argv[1], &unit)) {
		argc--;
		argv++;
	}
	if ((sc = vtnet_unit(unit)) == NULL) {
		printk("vtnet: no device vtnet%u (%u found)\n", unit,
		    vtnet_unit_count());
		return -1;
	}
	if (!sc->vs_attached) {
		printk("vtnet: %s failed to attach\n", vtnet_name(sc));
		return -1;
	}
	if (argc == 2 && strcmp(argv[1], "rss") == 0) {
		rss_print(sc);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "rings") == 0) {
		vtnet_rings_print(sc);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "flows") == 0) {
		vtnet_flows_print(sc);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "flows") == 0 &&
	    strcmp(argv[2], "clear") == 0) {
		vtnet_flows_clear(sc);
		printk("flows: cleared\n");
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "losekick") == 0) {
		uint32_t q;

		if (kstrtou32(argv[2], VTNET_MAX_QUEUES - 1, &q) != 0 ||
		    kstrtou32(argv[3], VTNET_LOSEKICK_MAX, &n) != 0 ||
		    vtnet_tx_lose_kicks(sc, (uint16_t)q, n) != 0) {
			printk("vtnet: losekick <queue> <n, up to %u>\n",
			    VTNET_LOSEKICK_MAX);
			return -1;
		}
		printk("vtnet: tx%u will lose its next %u doorbells\n", q, n);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "badgso") == 0) {
		if (kstrtou32(argv[2], VTNET_BADGSO_MAX, &n) != 0) {
			printk("vtnet: badgso <n, up to %u>\n",
			    VTNET_BADGSO_MAX);
			return -1;
		}
		vtnet_rx_bad_gso(sc, n);
		printk("%s: the next %u GSO frames in will be spoilt\n",
		    vtnet_name(sc), n);
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "msix") == 0)
		return vtnet_msix_route(sc, argv[2], argv[3]);
	if (argc == 3 && strcmp(argv[1], "send") == 0 &&
	    kstrtou32(argv[2], VTNET_SEND_MAX, &n) == 0)
		return vtnet_send_test(sc, n);
	printk("usage: vtnet units | vtnet [<unit>] rss | rings | flows "
	    "[clear] | send <n, up to %d> | msix <queue> <cpu> | losekick "
	    "<queue> <n> | badgso <n>; <unit>: 0..%u or vtnet0..vtnet%u, "
	    "default 0\n",
	    VTNET_SEND_MAX, VTNET_MAX_UNITS - 1, VTNET_MAX_UNITS - 1);
	return -1;
}
SHELL_CMD(vtnet, "virtio-net: units | [<unit>] rss | rings | flows [clear] "
    "| send <n> | msix <q> <cpu> | losekick <q> <n> | badgso <n> (unit 0 "
    "by default)",
    cmd_vtnet);
