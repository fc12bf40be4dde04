/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/unit/test_vtnet_ctrl.c: drivers/virtio_net/vtnet_ctrl.c, the
 * virtio-net control command (virtio 1.2, 5.1.6.5), against the simulated
 * device of virtio_simdev.c; above all its timeout path: a command the
 * device has not answered keeps its buffer with the device until the
 * device returns it.
 *
 * Design: the driver's own vtnet_ctrl() runs on a softc whose control
 * queue sits on the simulated device's rings.  The driver polls for the
 * ack and reads its clock, uptime_us(), once before and once per poll;
 * this file supplies that clock.  Each read advances it by CT_TICK_US and
 * first lets the device act (ct_dev, the test's device behaviour, with
 * the read's number), so "the device answers on poll 3" and "a whole
 * VTNET_CTRL_TIMEOUT_US passes" both take microseconds of real time.  The
 * device sees the command only through the descriptors the driver
 * published (ct_look()), writes the ack through the chain's writable
 * descriptor and returns chains with sd_put() or, as a broken device,
 * sd_put_raw().  printk() is captured: a count and the last line.
 *
 * The cases, each with its numbers:
 *   answered       ack OK -> 0, ack ERR -> -EIO; the device saw class,
 *                  cmd and data; all descriptors back; counters 0.
 *   timeout        no answer -> -ETIMEDOUT after more than the timeout
 *                  and less than one tick over it; vs_ctrl_timeouts 1,
 *                  vs_ctrl_pending; the chain still the device's.
 *   refused        while pending: -EBUSY, vs_ctrl_refused 1, all
 *                  VTNET_CTRL_BUF_SIZE bytes unchanged, nothing published,
 *                  no doorbell, no wait.
 *   late           the device writes the ack and returns the chain; the
 *                  next command reclaims it (vs_ctrl_late 1, pending
 *                  cleared) and itself completes.
 *   bogus          a used id out of range or not a chain head in place of
 *                  the answer (skipped, counted, then a timeout), a length
 *                  past the one writable byte (clamped, counted, the
 *                  command completes), a bogus entry before the real one
 *                  (used idx past the published: queue stopped, -EIO, then
 *                  refused), a bogus id in place of the late return (still
 *                  pending, refused); never a crash (ASan, UBSan, forked).
 *
 * Locking: none; single-threaded.  The driver takes vs_ctrl_lock
 * uncontended, and the "device" runs inside its clock reads.
 */

#include <check.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86_64/tsc.h"
#include "drivers/virtio/virtqueue.h"
#include "drivers/virtio_net/vtnet.h"
#include "kernel/console.h"
#include "kernel/errno.h"
#include "tests/unit/virtio_simdev.h"

#define CT_QSIZE	8		/* control queue entries */
#define CT_MAX_PAIRS	4		/* the doorbell says 2 * 4 = 8 */
#define CT_T0_US	5000000		/* the clock's reading at the start */
#define CT_TICK_US	10000		/* clock advance per read */
#define CT_ANSWER_READ	3		/* the device answers at this read */
#define CT_DESC		3		/* descriptors of one command */
#define CT_BAD_ID	0xdead		/* >= CT_QSIZE */
#define CT_BAD_LEN	4096		/* > the 1 writable byte */
#define CT_LOG_MAX	256
#define CT_PAGE		4096
#define CT_NO_DOORBELL	0xffff
/* Reads in a timed-out command: t0, then one per poll until past it. */
#define CT_TIMEOUT_READS \
	(1 + (VTNET_CTRL_TIMEOUT_US + CT_TICK_US) / CT_TICK_US)

/* What the device read from the last command it took. */
struct ct_seen {
	unsigned	cs_nseg;
	uint32_t	cs_len[SD_MAXSEG];
	bool		cs_write[SD_MAXSEG];
	uint8_t		cs_class, cs_cmd;
	uint8_t		cs_data[VTNET_CTRL_BUF_SIZE];
};

typedef void ct_dev_fn(unsigned nread);

static struct vtnet_softc ct_sc;
static struct vtnet_softc *const sc = &ct_sc;
static uint8_t *ct_buf;
static volatile uint16_t ct_doorbell;
static uint64_t ct_now;			/* the clock */
static uint64_t ct_first;		/* its first reading in a command */
static unsigned ct_reads;		/* clock reads in this command */
static ct_dev_fn *ct_dev;		/* the device, run at each read */
static struct ct_seen ct_seen;
static unsigned ct_nlog;
static char ct_log[CT_LOG_MAX];

void
kassert_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "KASSERT failed at %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

void
vprintk(const char *fmt, va_list ap)
{
	vsnprintf(ct_log, sizeof(ct_log), fmt, ap);
	ct_nlog++;
}

void
printk(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
}

/* The driver's clock: the device acts, then time moves on one tick. */
uint64_t
uptime_us(void)
{
	if (++ct_reads == 1)
		ct_first = ct_now;
	if (ct_dev != NULL)
		ct_dev(ct_reads);
	ct_now += CT_TICK_US;
	return (ct_now - CT_TICK_US);
}

/* ---- the device ---- */

/* Takes the published command, if any, and records what it says. */
static void
ct_look(void)
{
	const struct sd_chain *c;
	unsigned i;

	if (sd_take(1) == 0)
		return;
	c = &sd.sd_flight[sd.sd_nflight - 1];
	memset(&ct_seen, 0, sizeof(ct_seen));
	ct_seen.cs_nseg = c->sc_nseg;
	for (i = 0; i < c->sc_nseg; i++) {
		ct_seen.cs_len[i] = c->sc_seg[i].vd_len;
		ct_seen.cs_write[i] =
		    (c->sc_seg[i].vd_flags & VRING_DESC_F_WRITE) != 0;
	}
	if (c->sc_nseg != CT_DESC || c->sc_seg[0].vd_len != 2 ||
	    c->sc_seg[1].vd_len > sizeof(ct_seen.cs_data))
		return;			/* checked by the caller */
	ct_seen.cs_class = ((const uint8_t *)vq_virt(c->sc_seg[0].vd_addr))[0];
	ct_seen.cs_cmd = ((const uint8_t *)vq_virt(c->sc_seg[0].vd_addr))[1];
	memcpy(ct_seen.cs_data, vq_virt(c->sc_seg[1].vd_addr),
	    c->sc_seg[1].vd_len);
}

/* Writes the ack of the one chain in flight, through its descriptor. */
static void
ct_write_ack(uint8_t ack)
{
	const struct sd_chain *c;

	ck_assert_uint_eq(sd.sd_nflight, 1);
	c = &sd.sd_flight[0];
	ck_assert_uint_eq(c->sc_nseg, CT_DESC);
	ck_assert(c->sc_seg[2].vd_flags & VRING_DESC_F_WRITE);
	ck_assert_uint_eq(c->sc_seg[2].vd_len, 1);
	*(uint8_t *)vq_virt(c->sc_seg[2].vd_addr) = ack;
}

/* Returns the one chain in flight, having written len bytes. */
static void
ct_return(uint32_t len)
{
	uint16_t old = (uint16_t)sd.sd_used_idx;

	sd_put(0, len);
	sd_publish(old);
}

/* Takes the command and never answers. */
static void
dev_silent(unsigned nread)
{
	(void)nread;
	ct_look();
}

static void
dev_ack(unsigned nread, uint8_t ack, uint32_t len)
{
	ct_look();
	if (nread == CT_ANSWER_READ) {
		ct_write_ack(ack);
		ct_return(len);
	}
}

static void
dev_ok(unsigned nread)
{
	dev_ack(nread, VTNET_CTRL_OK, 1);
}

static void
dev_err(unsigned nread)
{
	dev_ack(nread, VTNET_CTRL_ERR, 1);
}

/* Answers OK but claims more bytes than the one it could write. */
static void
dev_bad_len(unsigned nread)
{
	dev_ack(nread, VTNET_CTRL_OK, CT_BAD_LEN);
}

/* Answers with a used id out of range instead of the chain's head. */
static void
dev_bad_id(unsigned nread)
{
	uint16_t old = (uint16_t)sd.sd_used_idx;

	ct_look();
	if (nread == CT_ANSWER_READ) {
		ct_write_ack(VTNET_CTRL_OK);
		sd_put_raw(CT_BAD_ID, 1);
		sd_publish(old);
	}
}

/* Answers with the chain's second descriptor: in range, not a head. */
static void
dev_not_head(unsigned nread)
{
	uint16_t old = (uint16_t)sd.sd_used_idx;

	ct_look();
	if (nread == CT_ANSWER_READ) {
		ct_write_ack(VTNET_CTRL_OK);
		sd_put_raw(sd.sd_desc[sd.sd_flight[0].sc_head].vd_next, 1);
		sd_publish(old);
	}
}

/* A bogus entry, then the real answer, published together. */
static void
dev_bad_then_ok(unsigned nread)
{
	uint16_t old = (uint16_t)sd.sd_used_idx;

	ct_look();
	if (nread == CT_ANSWER_READ) {
		ct_write_ack(VTNET_CTRL_OK);
		sd_put_raw(CT_BAD_ID, 1);
		sd_put(0, 1);
		sd_publish(old);
	}
}

/* ---- the driver side ---- */

static void
ct_setup(void)
{
	setup(CT_QSIZE, false, false);	/* the device asleep: kicks wanted */
	memset(&ct_sc, 0, sizeof(ct_sc));
	/* A zeroed page, as vtnet_ring_alloc() gives. */
	ct_buf = aligned_alloc(CT_PAGE, CT_PAGE);
	ck_assert_ptr_nonnull(ct_buf);
	memset(ct_buf, 0, CT_PAGE);
	/* As vtnet_ctrl_setup() does, on the device's rings. */
	spinlock_init(&sc->vs_ctrl_lock);
	ck_assert_int_eq(vq_init(&sc->vs_ctrlq, CT_QSIZE, sd.sd_desc,
	    sd.sd_avail, sd.sd_used, sc->vs_ctrl_cookies, false, false), 0);
	sc->vs_ctrl_buf = ct_buf;
	sc->vs_ctrl_notify = &ct_doorbell;
	sc->vs_max_pairs = CT_MAX_PAIRS;
	ct_now = CT_T0_US;
	ct_dev = NULL;
	ct_nlog = 0;
	ct_log[0] = '\0';
	memset(&ct_seen, 0, sizeof(ct_seen));
}

static void
ct_teardown(void)
{
	free(ct_buf);
	teardown();
}

/* One command with device behaviour dev; returns vtnet_ctrl()'s result. */
static int
ct_cmd(ct_dev_fn *dev, uint8_t class, uint8_t cmd, const void *data,
    size_t len)
{
	ct_dev = dev;
	ct_reads = 0;
	ct_first = 0;
	ct_doorbell = CT_NO_DOORBELL;
	return (vtnet_ctrl(sc, class, cmd, data, len));
}

static void
ct_counters(uint64_t timeouts, uint64_t late, uint64_t refused,
    bool pending)
{
	ck_assert_uint_eq(sc->vs_ctrl_timeouts, timeouts);
	ck_assert_uint_eq(sc->vs_ctrl_late, late);
	ck_assert_uint_eq(sc->vs_ctrl_refused, refused);
	ck_assert_int_eq(sc->vs_ctrl_pending, pending);
}

static void
ct_vq_bad(uint64_t id, uint64_t dup, uint64_t len, uint64_t idx)
{
	const struct virtqueue *q = &sc->vs_ctrlq;

	ck_assert_uint_eq(q->vq_bad_id, id);
	ck_assert_uint_eq(q->vq_bad_dup, dup);
	ck_assert_uint_eq(q->vq_bad_len, len);
	ck_assert_uint_eq(q->vq_bad_idx, idx);
	ck_assert_uint_eq(q->vq_bad_chain, 0);
	ck_assert_int_eq(vq_is_broken(q), idx != 0);
}

/* The device's view of the last command: its shape and its bytes. */
static void
ct_saw(uint8_t class, uint8_t cmd, const uint8_t *data, size_t len)
{
	ck_assert_uint_eq(ct_seen.cs_nseg, CT_DESC);
	ck_assert_uint_eq(ct_seen.cs_len[0], 2);
	ck_assert_uint_eq(ct_seen.cs_len[1], len);
	ck_assert_uint_eq(ct_seen.cs_len[2], 1);
	ck_assert(!ct_seen.cs_write[0] && !ct_seen.cs_write[1]);
	ck_assert(ct_seen.cs_write[2]);
	ck_assert_uint_eq(ct_seen.cs_class, class);
	ck_assert_uint_eq(ct_seen.cs_cmd, cmd);
	ck_assert_mem_eq(ct_seen.cs_data, data, len);
}

static const uint8_t cmd1[] = { 0x11, 0x22, 0x33, 0x44 };
static const uint8_t cmd2[] = { 0xa5, 0x5a, 0xc3 };
static const uint8_t cmd3[] = { 0x01, 0x00 };

/*
 * The first command, unanswered: -ETIMEDOUT once the clock is past the
 * timeout, by less than one tick; the chain stays the device's.
 */
static void
ct_time_out(ct_dev_fn *dev)
{
	uint64_t waited;

	ck_assert_int_eq(ct_cmd(dev, VTNET_CTRL_MQ, VTNET_CTRL_MQ_RSS_CONFIG,
	    cmd1, sizeof(cmd1)), -ETIMEDOUT);
	waited = ct_now - CT_TICK_US - ct_first;
	ck_assert_uint_gt(waited, VTNET_CTRL_TIMEOUT_US);
	ck_assert_uint_le(waited, VTNET_CTRL_TIMEOUT_US + CT_TICK_US);
	ck_assert_uint_eq(ct_reads, CT_TIMEOUT_READS);
	ck_assert_uint_eq(ct_doorbell, 2 * CT_MAX_PAIRS);
	ct_saw(VTNET_CTRL_MQ, VTNET_CTRL_MQ_RSS_CONFIG, cmd1, sizeof(cmd1));
	ct_counters(1, 0, 0, true);
	/* Still the device's: its three descriptors, in its hands. */
	ck_assert_uint_eq(vq_nfree(&sc->vs_ctrlq), CT_QSIZE - CT_DESC);
	ck_assert_uint_eq(sd.sd_nflight, 1);
	ck_assert_ptr_nonnull(strstr(ct_log, "timed out"));
}

/*
 * A command while the first is the device's: refused at once, the buffer
 * untouched to the byte, nothing published, no doorbell, no wait.
 */
static void
ct_refused(int want, uint64_t refused)
{
	uint8_t snap[VTNET_CTRL_BUF_SIZE];
	uint16_t avail = sd.sd_avail->va_idx;
	uint16_t nfree = vq_nfree(&sc->vs_ctrlq);
	int err;

	memcpy(snap, ct_buf, sizeof(snap));
	err = ct_cmd(dev_silent, VTNET_CTRL_MQ, VTNET_CTRL_MQ_VQ_PAIRS_SET,
	    cmd2, sizeof(cmd2));
	/* The bytes first: they are what the device may still read. */
	ck_assert_mem_eq(ct_buf, snap, sizeof(snap));
	ck_assert_uint_eq(sd.sd_avail->va_idx, avail);
	ck_assert_uint_eq(vq_nfree(&sc->vs_ctrlq), nfree);
	ck_assert_uint_eq(ct_doorbell, CT_NO_DOORBELL);
	ck_assert_uint_eq(ct_reads, 0);
	ck_assert_int_eq(err, want);
	ck_assert_uint_eq(sc->vs_ctrl_refused, refused);
	ck_assert_ptr_nonnull(strstr(ct_log, "refused"));
}

/* The device answers: 0 with ack OK, -EIO with ERR; counters stay 0. */
START_TEST(test_answered)
{
	static ct_dev_fn *const dev[] = { dev_ok, dev_err };
	static const int want[] = { 0, -EIO };

	ck_assert_int_eq(ct_cmd(dev[_i], VTNET_CTRL_MQ,
	    VTNET_CTRL_MQ_RSS_CONFIG, cmd1, sizeof(cmd1)), want[_i]);
	ck_assert_uint_eq(ct_reads, CT_ANSWER_READ);
	ck_assert_uint_eq(ct_doorbell, 2 * CT_MAX_PAIRS);
	ct_saw(VTNET_CTRL_MQ, VTNET_CTRL_MQ_RSS_CONFIG, cmd1, sizeof(cmd1));
	ck_assert_uint_eq(ct_buf[VTNET_CTRL_ACK_OFF],
	    _i == 0 ? VTNET_CTRL_OK : VTNET_CTRL_ERR);
	ct_counters(0, 0, 0, false);
	ct_vq_bad(0, 0, 0, 0);
	ck_assert_uint_eq(vq_nfree(&sc->vs_ctrlq), CT_QSIZE);
	ck_assert_uint_eq(sd.sd_nflight, 0);
	ck_assert_uint_eq(ct_nlog, 0);
	/* And the next one goes through the same buffer. */
	ck_assert_int_eq(ct_cmd(dev_ok, VTNET_CTRL_MQ,
	    VTNET_CTRL_MQ_VQ_PAIRS_SET, cmd3, sizeof(cmd3)), 0);
	ct_saw(VTNET_CTRL_MQ, VTNET_CTRL_MQ_VQ_PAIRS_SET, cmd3, sizeof(cmd3));
	ct_counters(0, 0, 0, false);
}
END_TEST

/* Never answered: a timeout, counted, the buffer left pending. */
START_TEST(test_timeout)
{
	ct_time_out(dev_silent);
	ct_vq_bad(0, 0, 0, 0);
	ck_assert_uint_eq(ct_nlog, 1);
	/* The driver's "no ack yet" byte, as the device found it. */
	ck_assert_uint_eq(ct_buf[VTNET_CTRL_ACK_OFF], 0xff);
}
END_TEST

/* While pending, each command is refused and the buffer is not touched. */
START_TEST(test_refused_while_pending)
{
	ct_time_out(dev_silent);
	ct_refused(-EBUSY, 1);
	ct_counters(1, 0, 1, true);
	/* The device still holds the first command, byte for byte. */
	ck_assert_uint_eq(sd.sd_nflight, 1);
	ck_assert_uint_eq(ct_buf[0], VTNET_CTRL_MQ);
	ck_assert_uint_eq(ct_buf[1], VTNET_CTRL_MQ_RSS_CONFIG);
	ck_assert_mem_eq(ct_buf + 2, cmd1, sizeof(cmd1));
	/* Refused again: counted again, still nothing written. */
	ct_refused(-EBUSY, 2);
	ct_counters(1, 0, 2, true);
	ct_vq_bad(0, 0, 0, 0);
}
END_TEST

/*
 * The late answer lands in the buffer nobody rewrote; the next command
 * takes the chain back (late 1, pending cleared) and completes itself.
 */
START_TEST(test_late_return)
{
	unsigned nlog;

	ct_time_out(dev_silent);
	ct_refused(-EBUSY, 1);
	ct_write_ack(VTNET_CTRL_OK);
	ct_return(1);
	ck_assert_uint_eq(ct_buf[VTNET_CTRL_ACK_OFF], VTNET_CTRL_OK);
	ct_counters(1, 0, 1, true);	/* nothing happens until asked */
	nlog = ct_nlog;
	ck_assert_int_eq(ct_cmd(dev_ok, VTNET_CTRL_MQ,
	    VTNET_CTRL_MQ_VQ_PAIRS_SET, cmd3, sizeof(cmd3)), 0);
	ct_counters(1, 1, 1, false);
	ck_assert_uint_eq(ct_nlog, nlog + 1);
	ck_assert_ptr_nonnull(strstr(ct_log, "came back"));
	ct_saw(VTNET_CTRL_MQ, VTNET_CTRL_MQ_VQ_PAIRS_SET, cmd3, sizeof(cmd3));
	ck_assert_uint_eq(ct_reads, CT_ANSWER_READ);
	ck_assert_uint_eq(ct_doorbell, 2 * CT_MAX_PAIRS);
	ck_assert_uint_eq(vq_nfree(&sc->vs_ctrlq), CT_QSIZE);
	ck_assert_uint_eq(sd.sd_nflight, 0);
	/* Back to normal: one more, no counter moves. */
	ck_assert_int_eq(ct_cmd(dev_ok, VTNET_CTRL_MQ,
	    VTNET_CTRL_MQ_RSS_CONFIG, cmd1, sizeof(cmd1)), 0);
	ct_counters(1, 1, 1, false);
	ct_vq_bad(0, 0, 0, 0);
}
END_TEST

/* A used id out of range, or not a head, in place of the answer. */
START_TEST(test_bogus_id)
{
	static ct_dev_fn *const dev[] = { dev_bad_id, dev_not_head };

	ct_time_out(dev[_i]);
	ct_vq_bad(_i == 0, _i == 1, 0, 0);
	ct_refused(-EBUSY, 1);
	ct_counters(1, 0, 1, true);
	ct_vq_bad(_i == 0, _i == 1, 0, 0);
}
END_TEST

/* A length past the one writable byte: clamped, counted, completed. */
START_TEST(test_bogus_len)
{
	ck_assert_int_eq(ct_cmd(dev_bad_len, VTNET_CTRL_MQ,
	    VTNET_CTRL_MQ_RSS_CONFIG, cmd1, sizeof(cmd1)), 0);
	ct_vq_bad(0, 0, 1, 0);
	ct_counters(0, 0, 0, false);
	ck_assert_uint_eq(vq_nfree(&sc->vs_ctrlq), CT_QSIZE);
	ck_assert_int_eq(ct_cmd(dev_ok, VTNET_CTRL_MQ,
	    VTNET_CTRL_MQ_VQ_PAIRS_SET, cmd3, sizeof(cmd3)), 0);
	ct_vq_bad(0, 0, 1, 0);
}
END_TEST

/*
 * A bogus entry and then the real one: two used entries for one published
 * chain, so the queue stops (-EIO); later commands are refused with -EIO
 * and the buffer, which the device may still hold, stays as it was.
 */
START_TEST(test_bogus_idx)
{
	ck_assert_int_eq(ct_cmd(dev_bad_then_ok, VTNET_CTRL_MQ,
	    VTNET_CTRL_MQ_RSS_CONFIG, cmd1, sizeof(cmd1)), -EIO);
	ct_vq_bad(0, 0, 0, 1);
	ck_assert_uint_eq(ct_reads, CT_ANSWER_READ);
	ct_counters(0, 0, 0, false);
	ct_refused(-EIO, 1);
	ct_counters(0, 0, 1, false);
	ck_assert_ptr_nonnull(strstr(ct_log, "broke"));
	ct_vq_bad(0, 0, 0, 1);
}
END_TEST

/* While pending, a bogus id instead of the late return: still pending. */
START_TEST(test_bogus_late)
{
	uint16_t old;

	ct_time_out(dev_silent);
	old = (uint16_t)sd.sd_used_idx;
	sd_put_raw(CT_BAD_ID, 1);
	sd_publish(old);
	ct_refused(-EBUSY, 1);
	ct_counters(1, 0, 1, true);
	ct_vq_bad(1, 0, 0, 0);
	ck_assert_uint_eq(sd.sd_nflight, 1);
}
END_TEST

static Suite *
vtnet_ctrl_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("vtnet_ctrl");
	tc = tcase_create("vtnet_ctrl");
	tcase_add_checked_fixture(tc, ct_setup, ct_teardown);
	tcase_add_loop_test(tc, test_answered, 0, 2);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_refused_while_pending);
	tcase_add_test(tc, test_late_return);
	tcase_add_loop_test(tc, test_bogus_id, 0, 2);
	tcase_add_test(tc, test_bogus_len);
	tcase_add_test(tc, test_bogus_idx);
	tcase_add_test(tc, test_bogus_late);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(vtnet_ctrl_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
