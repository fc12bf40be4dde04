/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sysctl.c: the `sysctl [name[=value]]` shell command over a table of
 * named tunables, FreeBSD style ("name: value"; a change prints
 * "name: old -> new").  A bad value is refused with a message and changes
 * nothing; boot-only tunables say so.
 *
 * Locking: none here; each setter takes what its subsystem needs (the
 * dispatch policy changes under netisr's barrier).
 */
#include <stddef.h>

#include "kernel/console.h"
#include "kernel/errno.h"
#include "kernel/libc.h"
#include "kernel/printf.h"
#include "drivers/virtio_net/vtnet.h"
#include "kernel/shell.h"
#include "net/netisr/netisr.h"

#define SYSCTL_VALUE_MAX	32
#define SYSCTL_UINT_MAX		1000000000u

struct sysctl_node {
	const char	*sn_name;
	void		(*sn_get)(char *buf, size_t len);
	int		(*sn_set)(const char *value);	/* NULL: boot-only */
	const char	*sn_values;			/* for messages */
};

static void
get_dispatch(char *buf, size_t len)
{
	ksnprintf(buf, len, "%s", netisr_dispatch_name(netisr_get_dispatch()));
}

static int
set_dispatch(const char *v)
{
	unsigned p;

	if (netisr_dispatch_parse(v, &p) != 0)
		return -EINVAL;
	return netisr_set_dispatch(p);
}

static void
get_maxthreads(char *buf, size_t len)
{
	ksnprintf(buf, len, "%u", netisr_get_maxthreads());
}

static void
get_numthreads(char *buf, size_t len)
{
	ksnprintf(buf, len, "%u", netisr_get_cpucount());
}

static void
get_defaultqlimit(char *buf, size_t len)
{
	ksnprintf(buf, len, "%u", netisr_get_defaultqlimit());
}

static int
set_defaultqlimit(const char *v)
{
	uint32_t q;

	if (kstrtou32(v, SYSCTL_UINT_MAX, &q) != 0)
		return -EINVAL;
	return netisr_set_defaultqlimit(q);
}

static void
get_maxqlimit(char *buf, size_t len)
{
	ksnprintf(buf, len, "%u", netisr_get_maxqlimit());
}

static void
get_rx_lend_max(char *buf, size_t len)
{
	ksnprintf(buf, len, "%u", vtnet_rx_get_lend_max());
}

static int
set_rx_lend_max(const char *v)
{
	uint32_t n;

	if (kstrtou32(v, VTNET_QUEUE_SIZE_MAX, &n) != 0)
		return -EINVAL;
	return vtnet_rx_set_lend_max(n);
}

static const struct sysctl_node sysctl_nodes[] = {
	{ "net.isr.dispatch", get_dispatch, set_dispatch,
	    "direct, hybrid or deferred" },
	{ "net.isr.maxthreads", get_maxthreads, NULL, NULL },
	{ "net.isr.numthreads", get_numthreads, NULL, NULL },
	{ "net.isr.defaultqlimit", get_defaultqlimit, set_defaultqlimit,
	    "1 to net.isr.maxqlimit" },
	{ "net.isr.maxqlimit", get_maxqlimit, NULL, NULL },
	{ "hw.vtnet.rx_lend_max", get_rx_lend_max, set_rx_lend_max,
	    "0 (copy every frame) to 256; capped at 3/4 of the ring" },
};

static void
sysctl_show(const struct sysctl_node *n)
{
	char v[SYSCTL_VALUE_MAX];

	n->sn_get(v, sizeof(v));
	printk("%s: %s\n", n->sn_name, v);
}

static int
sysctl_one(char *arg)
{
	char *eq = strchr(arg, '='), old[SYSCTL_VALUE_MAX];
	char now[SYSCTL_VALUE_MAX];
	const struct sysctl_node *n = NULL;
	size_t i;

	if (eq != NULL)
		*eq = '\0';
	for (i = 0; i < nitems(sysctl_nodes); i++)
		if (strcmp(sysctl_nodes[i].sn_name, arg) == 0)
			n = &sysctl_nodes[i];
	if (n == NULL) {
		printk("sysctl: unknown oid '%s'\n", arg);
		return -1;
	}
	if (eq == NULL) {
		sysctl_show(n);
		return 0;
	}
	if (n->sn_set == NULL) {
		printk("sysctl: %s is read-only at run time (set it on the "
		    "kernel command line)\n", n->sn_name);
		return -1;
	}
	n->sn_get(old, sizeof(old));
	if (n->sn_set(eq + 1) != 0) {
		printk("sysctl: %s: invalid value '%s' (%s); unchanged\n",
		    n->sn_name, eq + 1, n->sn_values);
		return -1;
	}
	n->sn_get(now, sizeof(now));
	printk("%s: %s -> %s\n", n->sn_name, old, now);
	return 0;
}

static int
cmd_sysctl(int argc, char **argv)
{
	size_t i;
	int i2, err = 0;

	if (argc == 1) {
		for (i = 0; i < nitems(sysctl_nodes); i++)
			sysctl_show(&sysctl_nodes[i]);
		return 0;
	}
	for (i2 = 1; i2 < argc; i2++)
		if (sysctl_one(argv[i2]) != 0)
			err = -1;
	return err;
}
SHELL_CMD(sysctl, "show or set tunables: sysctl [name[=value]]", cmd_sysctl);
