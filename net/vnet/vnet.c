/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vnet.c: the virtual network stacks (VIMAGE) as the shell drives them.
 *
 * A vnet is an id below NETISR_MAXVNETS.  Vnet 0 always exists; others
 * exist once an interface is given to them (vnet_attach_if(), called by
 * the interface layer when it hands an interface to a stack).  A stack's
 * protocols are the network-layer ones, as FreeBSD's per-vnet
 * registrations: IP, ARP and IPv6 (those of them registered); the link
 * layer (NETISR_ETHER) belongs to the interfaces.
 *
 *   vnet             one line per vnet: its interfaces, each protocol
 *                    and whether it is on there, and the packets netisr
 *                    dropped at the door (protocol off) and purged from
 *                    its queues (protocol switched off while queued)
 *   vnet K stop      netisr_unregister_vnet() for each of K's protocols:
 *                    K stops answering, its queued packets are purged
 *   vnet K start     netisr_register_vnet() for each: K answers again
 *   vnet K <cmd ...> runs a shell command in K (curvnet = K): arp, ping,
 *                    iperf3 and netstat -s then show K's stack
 *
 * Output:
 *   vnet <k>: interfaces <name>[,<name>...]|- protocols <p>=on|off ...
 *       drops <n> purged <n>
 *   vnet <k>: stopped <p> <p> ...      /  vnet <k>: started <p> ...
 *
 * Locking: vnet_ifs is written at attach time, before the shell runs,
 * and read by the shell's CPU only; the protocol switches and counters
 * are netisr's (netisr_vnet.c).  stop and start take netisr's barrier,
 * so they must not run inside a netisr handler or a poller (the shell
 * does not).
 */
#include <stddef.h>
#include <stdint.h>

#include "kernel/console.h"
#include "kernel/errno.h"
#include "kernel/libc.h"
#include "kernel/shell.h"
#include "net/netisr/netisr.h"
#include "net/vnet/vnet.h"

#define VNET_IFNAME_MAX		16	/* "vtnet0" and room to grow */
#define VNET_IFS_MAX		8	/* interfaces one vnet lists */
#define VNET_ID_PARSE_MAX	999	/* then "no vnet", not a parse error */

struct vnet_ifs {
	unsigned	vi_count;
	char		vi_name[VNET_IFS_MAX][VNET_IFNAME_MAX];
};

static struct vnet_ifs vnet_ifs[NETISR_MAXVNETS];

int
vnet_attach_if(unsigned vnet, const char *ifname)
{
	struct vnet_ifs *vi;

	if (vnet >= NETISR_MAXVNETS || ifname == NULL)
		return -EINVAL;
	vi = &vnet_ifs[vnet];
	if (vi->vi_count == VNET_IFS_MAX ||
	    strlen(ifname) >= VNET_IFNAME_MAX)
		return -ENOSPC;
	memcpy(vi->vi_name[vi->vi_count++], ifname, strlen(ifname) + 1);
	return 0;
}

bool
vnet_exists(unsigned vnet)
{
	return vnet == 0 || (vnet < NETISR_MAXVNETS &&
	    vnet_ifs[vnet].vi_count != 0);
}

static const unsigned vnet_protos[] = { NETISR_IP, NETISR_ARP, NETISR_IPV6 };

/* Whether proto is a registered stack protocol (fills *info if so). */
static bool
stack_proto(unsigned proto, struct netisr_proto_info *info)
{
	size_t i;

	for (i = 0; i < nitems(vnet_protos); i++)
		if (vnet_protos[i] == proto)
			return netisr_proto_info(proto, info);
	return false;
}

static void
vnet_print(unsigned vnet)
{
	const struct vnet_ifs *vi = &vnet_ifs[vnet];
	struct netisr_proto_info info;
	uint64_t drops = 0, purged = 0;
	unsigned i, proto;

	printk("vnet %u: interfaces ", vnet);
	if (vi->vi_count == 0)
		printk("-");
	for (i = 0; i < vi->vi_count; i++)
		printk("%s%s", i ? "," : "", vi->vi_name[i]);
	printk(" protocols");
	for (proto = 1; proto < NETISR_MAXPROT; proto++) {
		if (!stack_proto(proto, &info))
			continue;
		printk(" %s=%s", info.npi_name,
		    netisr_vnet_enabled(vnet, proto) ? "on" : "off");
		drops += netisr_get_vnet_drops(vnet, proto);
		purged += netisr_get_vnet_purged(vnet, proto);
	}
	printk(" drops %lu purged %lu\n", drops, purged);
}

/* Switches every protocol of vnet on or off; prints what it did. */
static int
vnet_switch(unsigned vnet, bool on)
{
	struct netisr_proto_info info;
	struct netisr_handler h;
	unsigned proto;
	int err, first = 0;

	printk("vnet %u: %s", vnet, on ? "started" : "stopped");
	CURVNET_SET(vnet);
	for (proto = 1; proto < NETISR_MAXPROT; proto++) {
		if (!stack_proto(proto, &info))
			continue;
		memset(&h, 0, sizeof(h));
		h.nh_name = info.npi_name;
		h.nh_proto = proto;
		err = on ? netisr_register_vnet(&h) :
		    netisr_unregister_vnet(&h);
		if (err != 0 && first == 0)
			first = err;
		printk(err == 0 ? " %s" : " %s(error %d)", info.npi_name, err);
	}
	CURVNET_RESTORE();
	printk("\n");
	return first;
}

/*
 * Runs a shell command with the shell's CPU in vnet (curvnet), as
 * FreeBSD's jexec runs one in a jail's vnet: the stack's commands
 * (arp, ping, iperf3, netstat -s) then act on that vnet's stack.
 */
static int
vnet_exec(unsigned vnet, int argc, char **argv)
{
	int err;

	CURVNET_SET(vnet);
	err = shell_run(argc, argv);
	CURVNET_RESTORE();
	return err;
}

static int
cmd_vnet(int argc, char **argv)
{
	uint32_t vnet;

	if (argc == 1) {
		for (vnet = 0; vnet < NETISR_MAXVNETS; vnet++)
			if (vnet_exists(vnet))
				vnet_print(vnet);
		return 0;
	}
	if (argc < 3 || kstrtou32(argv[1], VNET_ID_PARSE_MAX, &vnet) != 0)
		goto usage;
	if (!vnet_exists(vnet)) {
		printk("vnet: no vnet %u (vnets with interfaces, and 0)\n",
		    vnet);
		return -ENOENT;
	}
	if (argc == 3 && strcmp(argv[2], "stop") == 0)
		return vnet_switch(vnet, false);
	if (argc == 3 && strcmp(argv[2], "start") == 0)
		return vnet_switch(vnet, true);
	if (strcmp(argv[2], "vnet") == 0)
		goto usage;		/* one vnet at a time */
	return vnet_exec(vnet, argc - 2, argv + 2);
usage:
	printk("usage: vnet [<id> stop|start|<command> [<arg>...]]\n");
	return -EINVAL;
}
SHELL_CMD(vnet, "virtual stacks: list; <id> stop|start switches its "
    "protocols in netisr; <id> <command> runs a command in it", cmd_vnet);
