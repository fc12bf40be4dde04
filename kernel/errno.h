/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kernel/errno.h: error numbers used by kernel interfaces.
 *
 * Kernel functions that can fail return 0 on success or the negated value
 * of one of these constants (for example -ENOMEM).  The values are the
 * standard Linux ones so that they read the same in logs and in host
 * tools.  Only the numbers the kernel actually needs are defined here; add
 * more with their Linux values as the need arises.
 *
 * Locking: none; constants only.
 */

#ifndef KERNEL_ERRNO_H
#define KERNEL_ERRNO_H

#define ENOENT		2	/* no such entry */
#define EAGAIN		11	/* resource temporarily unavailable */
#define ENOMEM		12	/* out of memory */
#define EBUSY		16	/* resource busy */
#define EEXIST		17	/* entry already exists */
#define EDEADLK		35	/* the wait could deadlock */
#define EINVAL		22	/* invalid argument */
#define ENOSPC		28	/* no space left */
#define ENODEV		19	/* no such device */
#define EIO		5	/* I/O error */
#define EPROTONOSUPPORT	93	/* protocol not registered */
#define ENOBUFS		105	/* no buffer space available */
#define ETIMEDOUT	110	/* operation timed out */

#endif /* KERNEL_ERRNO_H */
