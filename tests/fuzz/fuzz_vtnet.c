/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_vtnet.c: a stand-in for vtnet0 on the host: a driver registered
 * with the interface layer (net/if/if.h) as "vtnet0", with the
 * constants of drivers/virtio_net/vtnet.h.
 *
 * Receive: a ring of FUZZ_RX_RING buffers laid out like the driver's
 * (struct m_upper first, M_UPPER set, so the glue's pbuf_custom lives in
 * the mbuf's scratch and m_freem() brings the buffer back here).
 * fuzz_vtnet_rx() copies a frame into a free buffer (or, split, into a
 * chain of them, as the driver chains a merged frame), fills the mbufs as
 * vtnet_rx.c's rx_frame() does and hands them to if_input(), once the
 * stack has brought the interface up.  With
 * AddressSanitizer, everything in a buffer outside the frame is poisoned
 * while the stack holds it, and the whole buffer once it is back: a read
 * past the end of a frame, or of a frame already returned, is reported
 * where it happens.  The frame starts at FUZZ_RX_OFF, the driver's
 * 12-byte virtio_net_hdr rounded up to ASan's 8-byte granule, so the
 * poisoning is exact at both ends (the IP header is 2-byte aligned, as in
 * the kernel).  When a frame finds no free buffer, it is dropped, as the
 * device would have to.  The ifo_rx_scarce op answers as the driver does
 * (fewer than a quarter of the buffers left), or yes for a frame that
 * asked for the copy path.
 *
 * Transmit: the ifo_transmit op checks what the glue hands over (1 to
 * VTNET_TX_MAX_SEGS segments, a frame of 14 to FUZZ_TX_FRAME_MAX bytes,
 * a checksum request inside the first segment), reads every byte (so
 * ASan checks the memory lwIP sends from), counts the frame and completes
 * it at once, as if the device had been quick.  A bad frame aborts.
 *
 * Locking: single-threaded (fuzz_shim.h).
 */
#include <sanitizer/asan_interface.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/virtio_net/vtnet.h"
#include "kernel/errno.h"
#include "kernel/kassert.h"
#include "net/if/if.h"
#include "tests/fuzz/fuzz_shim.h"

#define FUZZ_MAC		{ 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 }
#define FUZZ_MTU		1500
#define FUZZ_NQUEUES		2
#define FUZZ_DUMP_BYTES		64	/* of each held frame, on a leak */

_Static_assert(FUZZ_RX_OFF >= VTNET_HDR_LEN && FUZZ_RX_OFF % 8 == 0,
    "the frame follows the virtio_net_hdr, on an ASan granule");
_Static_assert(FUZZ_TX_FRAME_MAX == VTNET_ETHER_HDR_LEN + FUZZ_MTU,
    "the largest frame is a full MTU");

struct fuzz_rxslot {
	struct m_upper		fs_mu;		/* first: the mbuf casts back */
	bool			fs_busy;	/* the stack holds it */
	bool			fs_copy;	/* scarce for this frame */
	uint64_t		fs_seq;		/* which frame (for dumps) */
	uint8_t			fs_buf[VTNET_RX_BUF_SIZE]
				    __attribute__((aligned(64)));
};

static struct ifnet fuzz_ifnet;
static struct fuzz_rxslot fuzz_rx_ring[FUZZ_RX_RING];
static unsigned fuzz_rx_next;		/* where the search starts */
static unsigned fuzz_rx_busy;		/* buffers the stack holds */
static uint64_t fuzz_rx_count, fuzz_rx_ring_full, fuzz_tx_count;
static volatile uint8_t fuzz_tx_sink;

static int fuzz_if_transmit(struct ifnet *ifp, const struct if_seg *segs,
    unsigned nsegs, const struct if_tx_csum *csum, uint32_t flowid,
    if_tx_done_fn *done, void *arg);
static bool fuzz_if_rx_scarce(struct ifnet *ifp, const struct mbuf *m);

static const struct ifnet_ops fuzz_ifnet_ops = {
	.ifo_transmit = fuzz_if_transmit,
	.ifo_rx_scarce = fuzz_if_rx_scarce,
};

/* Registers the fake NIC as the first interface (index 1). */
void
fuzz_vtnet_attach(void)
{
	static const uint8_t mac[VTNET_ETHER_ADDR_LEN] = FUZZ_MAC;
	struct ifnet *ifp = &fuzz_ifnet;
	unsigned i;

	snprintf(ifp->if_name, sizeof(ifp->if_name), "vtnet0");
	memcpy(ifp->if_mac, mac, sizeof(mac));
	ifp->if_nqueues = FUZZ_NQUEUES;
	ifp->if_mtu = FUZZ_MTU;
	ifp->if_capabilities = IFCAP_TXCSUM | IFCAP_RXCSUM;
	ifp->if_link_up = true;
	ifp->if_tx_maxsegs = VTNET_TX_MAX_SEGS;
	ifp->if_ops = &fuzz_ifnet_ops;
	for (i = 0; i < FUZZ_RX_RING; i++)
		ASAN_POISON_MEMORY_REGION(fuzz_rx_ring[i].fs_buf,
		    VTNET_RX_BUF_SIZE);
	if (if_attach(ifp) != 0 || ifp->if_index != 1) {
		fprintf(stderr, "fuzz: if_attach failed\n");
		abort();
	}
}

/* ---- receive ------------------------------------------------------------- */

/* The buffer's m_free: the stack is done with it. */
static void
fuzz_rx_return(struct mbuf *m)
{
	struct fuzz_rxslot *fs = (struct fuzz_rxslot *)(void *)m;

	KASSERT(fs->fs_busy, ("fuzz_rx_return: buffer %p freed twice", fs));
	fs->fs_busy = false;
	fuzz_rx_busy--;
	ASAN_POISON_MEMORY_REGION(fs->fs_buf, VTNET_RX_BUF_SIZE);
}

/* Takes a free buffer for n bytes of a frame, or NULL if none is. */
static struct fuzz_rxslot *
fuzz_rx_slot(const uint8_t *data, size_t n, const struct fuzz_rx *rx)
{
	struct fuzz_rxslot *fs = NULL;
	struct mbuf *m;
	unsigned i;

	for (i = 0; i < FUZZ_RX_RING && fs == NULL; i++) {
		fs = &fuzz_rx_ring[(fuzz_rx_next + i) % FUZZ_RX_RING];
		if (fs->fs_busy)
			fs = NULL;
	}
	if (fs == NULL)
		return NULL;
	fuzz_rx_next = (unsigned)(fs - fuzz_rx_ring + 1) % FUZZ_RX_RING;
	fs->fs_busy = true;
	fs->fs_copy = rx->fr_copy;
	fs->fs_seq = fuzz_rx_count;
	fuzz_rx_busy++;
	ASAN_UNPOISON_MEMORY_REGION(fs->fs_buf + FUZZ_RX_OFF, n);
	memcpy(fs->fs_buf + FUZZ_RX_OFF, data, n);
	m = &fs->fs_mu.mu_m;
	*m = (struct mbuf){ 0 };
	m->m_flags = M_UPPER;
	m->m_data = fs->fs_buf + FUZZ_RX_OFF;
	m->m_len = (uint32_t)n;
	m->m_free = fuzz_rx_return;
	m->m_owner = fs;
	return fs;
}

/*
 * Receives frame (len bytes: at most FUZZ_FRAME_MAX, or with fr_split
 * FUZZ_CHAIN_FRAME_MAX in buffers of fr_split bytes, as the driver
 * chains a merged frame) as described by rx and hands it to the stack.
 * Returns 0, or -ENOBUFS if too few buffers are free (the frame is
 * dropped), or -ENODEV before the stack brought the interface up.
 */
int
fuzz_vtnet_rx(const uint8_t *frame, size_t len, const struct fuzz_rx *rx)
{
	size_t piece = rx->fr_split != 0 ? rx->fr_split : len, off, n;
	struct mbuf *m = NULL, **tail = &m;
	struct fuzz_rxslot *fs;
	unsigned i, nbuf, nfree = 0;

	KASSERT(rx->fr_split <= FUZZ_FRAME_MAX && (rx->fr_split != 0 ?
	    len <= FUZZ_CHAIN_FRAME_MAX : len <= FUZZ_FRAME_MAX),
	    ("fuzz_vtnet_rx: %zu bytes split %u", len, rx->fr_split));
	if (!if_is_up(&fuzz_ifnet))
		return -ENODEV;
	nbuf = piece == 0 ? 1 : (unsigned)((len + piece - 1) / piece);
	if (nbuf == 0)
		nbuf = 1;
	for (i = 0; i < FUZZ_RX_RING; i++)
		nfree += !fuzz_rx_ring[i].fs_busy;
	if (nfree < nbuf) {
		fuzz_rx_ring_full++;
		return -ENOBUFS;
	}
	for (i = 0, off = 0; i < nbuf; i++, off += n) {
		n = len - off < piece ? len - off : piece;
		fs = fuzz_rx_slot(frame + off, n, rx);
		*tail = &fs->fs_mu.mu_m;
		tail = &(*tail)->m_next;
	}
	fuzz_rx_count++;
	m->m_pkthdr.len = (uint32_t)len;
	m->m_pkthdr.rxqueue = (uint16_t)(rx->fr_queue % FUZZ_NQUEUES);
	if (rx->fr_hashed) {
		m->m_pkthdr.flowid = rx->fr_hash;
		M_HASHTYPE_SET(m, M_HASHTYPE_OPAQUE);
	}
	if (rx->fr_csum_valid)
		m->m_pkthdr.csum_flags = CSUM_DATA_VALID;
	if_input(&fuzz_ifnet, m);
	return 0;
}

/* As vtnet_rx.c: scarce below a quarter of the ring, or when asked. */
static bool
fuzz_if_rx_scarce(struct ifnet *ifp, const struct mbuf *m)
{
	const struct fuzz_rxslot *fs = (const struct fuzz_rxslot *)
	    (const void *)m;

	(void)ifp;
	return fs->fs_copy || FUZZ_RX_RING - fuzz_rx_busy <
	    FUZZ_RX_RING / VTNET_RX_SCARCE_DIV;
}

unsigned
fuzz_vtnet_rx_held(void)
{
	return fuzz_rx_busy;
}

uint64_t
fuzz_vtnet_rx_frames(void)
{
	return fuzz_rx_count;
}

/* Prints the frames the stack still holds (a leak report). */
void
fuzz_vtnet_rx_dump_held(void)
{
	const struct fuzz_rxslot *fs;
	unsigned i, j, n;

	for (i = 0; i < FUZZ_RX_RING; i++) {
		fs = &fuzz_rx_ring[i];
		if (!fs->fs_busy)
			continue;
		n = fs->fs_mu.mu_m.m_len;
		fprintf(stderr, "fuzz: held rx frame #%llu, %u bytes:",
		    (unsigned long long)fs->fs_seq, n);
		for (j = 0; j < n && j < FUZZ_DUMP_BYTES; j++)
			fprintf(stderr, " %02x", fs->fs_buf[FUZZ_RX_OFF + j]);
		fprintf(stderr, "\n");
	}
}

/* ---- transmit ------------------------------------------------------------ */

static int
fuzz_if_transmit(struct ifnet *ifp, const struct if_seg *segs,
    unsigned nsegs, const struct if_tx_csum *csum, uint32_t flowid,
    if_tx_done_fn *done, void *arg)
{
	const uint8_t *b, *b0 = segs[0].ifs_addr;
	uint32_t len = 0, j;
	uint8_t sum = 0;
	unsigned i;

	(void)flowid;
	KASSERT(ifp == &fuzz_ifnet, ("vtnet_transmit: not vtnet0"));
	KASSERT(nsegs >= 1 && nsegs <= VTNET_TX_MAX_SEGS,
	    ("vtnet_transmit: %u segments", nsegs));
	for (i = 0; i < nsegs; i++) {
		b = segs[i].ifs_addr;
		for (j = 0; j < segs[i].ifs_len; j++)
			sum ^= b[j];
		len += segs[i].ifs_len;
	}
	fuzz_tx_sink = sum;
	KASSERT(len >= VTNET_ETHER_HDR_LEN && len <= FUZZ_TX_FRAME_MAX,
	    ("vtnet_transmit: a frame of %u bytes", len));
	if (csum != NULL)
		KASSERT((uint32_t)csum->itc_start + csum->itc_offset + 2 <=
		    segs[0].ifs_len, ("vtnet_transmit: checksum at %u+%u, "
		    "first segment %u bytes", csum->itc_start,
		    csum->itc_offset, segs[0].ifs_len));
	fuzz_tx_count++;
	if (fuzz_log_echoing())
		fprintf(stderr, "fuzz: tx %u bytes, type %02x%02x%s\n", len,
		    segs[0].ifs_len > 13 ? b0[12] : 0,
		    segs[0].ifs_len > 13 ? b0[13] : 0,
		    csum != NULL ? ", checksum offloaded" : "");
	done(arg);
	return 0;
}

uint64_t
fuzz_vtnet_tx_frames(void)
{
	return fuzz_tx_count;
}
