/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vtnet_ctrl.c: virtio-net control commands (virtio 1.2, 5.1.6.5).
 *
 * vtnet_ctrl() sends one command through the control queue and polls for
 * the device's ack: the queue has no interrupt vector, and commands are
 * rare (RSS_CONFIG or VQ_PAIRS_SET at attach).  One buffer, vs_ctrl_buf,
 * carries every command as a three-descriptor chain:
 *
 *	0       1     2                           2 + len   ACK_OFF
 *	+-------+-----+---------------------------+-- ... --+-----+
 *	| class | cmd | data                      | unused  | ack |
 *	+-------+-----+---------------------------+-- ... --+-----+
 *	 desc 1: 2 B   desc 2: len B                         desc 3: 1 B
 *	 device-readable                                     device-writable
 *
 * A command the device does not answer within VTNET_CTRL_TIMEOUT_US keeps
 * its buffer with the device (vs_ctrl_pending): the device may still read
 * the command or write the ack at any time, so the buffer is neither
 * rewritten nor reused until the device returns it.  Each later command
 * first looks for that late return (vs_ctrl_late) and is refused while it
 * has not come (vs_ctrl_refused), as it is once the device has broken the
 * queue.  Bad used entries are the virtqueue's to skip and count.
 *
 * The queue itself is set up at attach (vtnet.c).  This file needs only
 * the virtqueue, the lock, printk and the clock, so the host unit test
 * (tests/unit/test_vtnet_ctrl.c) builds it unchanged over a simulated
 * device and drives the clock, uptime_us(), itself.
 *
 * Locking: vs_ctrl_lock serialises commands and protects vs_ctrlq,
 * vs_ctrl_buf, vs_ctrl_pending and the three counters (read racily by
 * `vtnet rings`).  It is held for the whole wait, at most
 * VTNET_CTRL_TIMEOUT_US.
 */
#include <stddef.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/tsc.h"
#include "drivers/virtio_net/vtnet.h"
#include "kernel/console.h"
#include "kernel/errno.h"
#include "kernel/kassert.h"
#include "kernel/libc.h"

/*
 * Takes back the buffer of a command that timed out, if the device has
 * returned it since.  With vs_ctrl_lock.  Returns 0 or -EBUSY.
 */
static int
vtnet_ctrl_reclaim(struct vtnet_softc *sc)
{
	void *ck = vq_get_used(&sc->vs_ctrlq, NULL);

	if (ck == NULL)
		return -EBUSY;
	/* The queue returns only what was added: one command at a time. */
	KASSERT(ck == sc->vs_ctrl_buf, ("%s: foreign cookie %p", __func__, ck));
	sc->vs_ctrl_pending = false;
	sc->vs_ctrl_late++;
	printk("%s: control queue: the timed-out command came back; "
	    "usable again\n", vtnet_name(sc));
	return 0;
}

/*
 * Runs one control command: class, cmd, len bytes of data; waits for the
 * device's ack.  Takes vs_ctrl_lock.  Returns 0, -EIO (a nak, or a queue
 * the device broke), -ETIMEDOUT, or -EBUSY while an earlier command that
 * timed out is still the device's.
 *
 * A command that times out leaves its buffer with the device, which may
 * still read the command or write the ack at any time: the buffer is
 * neither rewritten nor reused until the device returns it.  Meanwhile
 * every command is refused with a log line; each first checks for that
 * late return.  Timeouts and refusals are counted (`vtnet rings`).
 */
int
vtnet_ctrl(struct vtnet_softc *sc, uint8_t class, uint8_t cmd,
    const void *data, size_t len)
{
	uint8_t *buf = sc->vs_ctrl_buf, *ack = buf + VTNET_CTRL_ACK_OFF;
	struct vq_seg segs[3];
	uint64_t t0;
	int err = 0;

	if (len > VTNET_CTRL_ACK_OFF - 2)
		return -EINVAL;
	spinlock_lock(&sc->vs_ctrl_lock);
	if (vq_is_broken(&sc->vs_ctrlq))
		err = -EIO;
	else if (sc->vs_ctrl_pending)
		err = vtnet_ctrl_reclaim(sc);
	if (err != 0) {
		sc->vs_ctrl_refused++;
		printk("%s: control command %u.%u refused: %s\n",
		    vtnet_name(sc), class, cmd, err == -EIO ? "the device broke the control queue" :
		    "an earlier command timed out and the device still holds "
		    "its buffer");
		goto out;
	}
	buf[0] = class;
	buf[1] = cmd;
	memcpy(buf + 2, data, len);
	*ack = 0xff;
	segs[0] = (struct vq_seg){ buf, 2 };
	segs[1] = (struct vq_seg){ buf + 2, (uint32_t)len };
	segs[2] = (struct vq_seg){ ack, 1 };
	if ((err = vq_add(&sc->vs_ctrlq, segs, 2, 1, buf, NULL)) != 0)
		goto out;
	if (vq_kick_prepare(&sc->vs_ctrlq))
		*sc->vs_ctrl_notify = (uint16_t)(2 * sc->vs_max_pairs);
	t0 = uptime_us();
	while (vq_get_used(&sc->vs_ctrlq, NULL) == NULL) {
		if (vq_is_broken(&sc->vs_ctrlq)) {
			err = -EIO;
			break;
		}
		if (uptime_us() - t0 > VTNET_CTRL_TIMEOUT_US) {
			err = -ETIMEDOUT;
			sc->vs_ctrl_pending = true;
			sc->vs_ctrl_timeouts++;
			printk("%s: control command %u.%u timed out after "
			    "%u ms; its buffer stays with the device\n",
			    vtnet_name(sc), class, cmd,
			    VTNET_CTRL_TIMEOUT_US / 1000);
			break;
		}
		cpu_relax();
	}
	if (err == 0 && *(volatile uint8_t *)ack != VTNET_CTRL_OK)
		err = -EIO;
out:
	spinlock_unlock(&sc->vs_ctrl_lock);
	return err;
}
