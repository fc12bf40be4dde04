/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pci.h: PCI configuration space, enumeration, BARs, capabilities and
 * MSI-X, and the driver registration table.
 *
 * A driver registers with one line:
 *
 *	PCI_DRIVER(vtnet, &vtnet_pci_driver);
 *
 * which drops a pointer into the .pci_drivers linker section; after
 * enumeration pci_attach_drivers() offers every device to every driver.
 */
#ifndef DRIVERS_PCI_PCI_H
#define DRIVERS_PCI_PCI_H

#include <stdbool.h>
#include <stdint.h>

#define PCI_MAX_DEVICES		64
#define PCI_NUM_BARS		6

/* Configuration header offsets (PCI Local Bus 3.0, 6.1). */
#define PCI_VENDOR_ID		0x00
#define PCI_DEVICE_ID		0x02
#define PCI_COMMAND		0x04
#define PCI_STATUS		0x06
#define PCI_CLASS_REV		0x08
#define PCI_HEADER_TYPE		0x0e
#define PCI_BAR0		0x10
#define PCI_SECONDARY_BUS	0x19	/* type 1 (bridge) header */
#define PCI_CAP_PTR		0x34
#define PCI_COMMAND_IO		(1u << 0)
#define PCI_COMMAND_MEMORY	(1u << 1)
#define PCI_COMMAND_MASTER	(1u << 2)
#define PCI_COMMAND_INTX_OFF	(1u << 10)
#define PCI_STATUS_CAP_LIST	(1u << 4)
#define PCI_VENDOR_NONE		0xffff

/* Capability ids (PCI Code and ID Assignment, 2). */
#define PCI_CAP_MSIX		0x11
#define PCI_CAP_VENDOR		0x09

struct pci_bar {
	uint64_t	pb_base;
	uint64_t	pb_size;
	bool		pb_io;
	bool		pb_64;
	bool		pb_prefetch;
	void		*pb_map;	/* uncached mapping, memory BARs */
};

struct pci_dev {
	uint8_t		pd_bus, pd_dev, pd_fn;
	uint16_t	pd_vendor, pd_device;
	uint32_t	pd_class;	/* class << 16 | subclass << 8 | progif */
	uint8_t		pd_header;
	struct pci_bar	pd_bar[PCI_NUM_BARS];
	const char	*pd_driver;	/* attached driver's name */
};

struct pci_driver {
	const char	*pdr_name;
	bool		(*pdr_match)(const struct pci_dev *pd);
	int		(*pdr_attach)(struct pci_dev *pd);
};

#define PCI_DRIVER(name, drv)						\
	static const struct pci_driver *const pci_driver_##name		\
	    __attribute__((used, section(".pci_drivers." #name),	\
	    aligned(8))) = (drv)

uint8_t	 pci_read8(const struct pci_dev *pd, uint16_t off);
uint16_t pci_read16(const struct pci_dev *pd, uint16_t off);
uint32_t pci_read32(const struct pci_dev *pd, uint16_t off);
void	 pci_write16(const struct pci_dev *pd, uint16_t off, uint16_t v);
void	 pci_write32(const struct pci_dev *pd, uint16_t off, uint32_t v);

void	 pci_init(void);
void	 pci_attach_drivers(void);
void	 pci_enable(struct pci_dev *pd);
void	*pci_bar_map(struct pci_dev *pd, int bar);
int	 pci_find_cap(const struct pci_dev *pd, uint8_t id, int from);

/* MSI-X (PCI Local Bus 3.0, 6.8.2). */
struct pci_msix {
	struct pci_dev		*pm_dev;
	int			pm_cap;
	uint16_t		pm_nvec;
	volatile uint32_t	*pm_table;
};

int	 pci_msix_init(struct pci_dev *pd, struct pci_msix *pm);
int	 pci_msix_set(struct pci_msix *pm, uint16_t entry, uint8_t vector,
	    uint32_t dest_apic);
void	 pci_msix_enable(struct pci_msix *pm);

#endif /* DRIVERS_PCI_PCI_H */
