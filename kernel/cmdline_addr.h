/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kernel/cmdline_addr.h: address and number text for the command-line
 * parser (kernel/cmdline_addr.c); private to kernel/cmdline.c.
 */
#ifndef KERNEL_CMDLINE_ADDR_H
#define KERNEL_CMDLINE_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Errors of the parse helpers. */
#define CL_EINVAL		22
#define CL_DECIMAL		10

int	cl_parse_digits(const char **pp, bool strict, uint32_t *out);
int	cl_parse_ipv4(const char **pp, uint32_t *out);
int	cl_format_ipv4(char *buf, size_t size, uint32_t a, const char *suffix);
int	cl_parse_ipv6(const char **pp, uint8_t *out);
bool	cl_ipv6_assignable(const uint8_t *a);

#endif /* KERNEL_CMDLINE_ADDR_H */
