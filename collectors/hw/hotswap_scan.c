// SPDX-License-Identifier: MIT
/*
 * The hotswap collector's view of what is plugged in, read from sysfs:
 * disks by slot (the SCSI/ATA/NVMe/virtio device path they hang off) with
 * serial and WWN, PCI hot-plug slots (/sys/bus/pci/slots), power supplies
 * (/sys/class/power_supply) and fans (hwmon fan*_input). Each item has a
 * stable key (where it sits) and an identity (what sits there), which is
 * what tells "replaced" from "removed" and "inserted".
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collectors/hw/badattr.h"
#include "collectors/hw/hotswap.h"
#include "firmware/hwsys.h"

void
hs_list_init(struct hs_list *l)
{
	memset(l, 0, sizeof(*l));
}

void
hs_list_fini(struct hs_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].key);
		for (size_t j = 0; j < l->v[i].nattrs; j++) {
			free((char *)l->v[i].attrs[j].key);
			free((char *)l->v[i].attrs[j].value);
		}
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static char *
dup_or_die(const char *s)
{
	char *d = strdup(s ? s : "");

	if (!d)
		abort();
	return d;
}

struct hs_item *
hs_add(struct hs_list *l, const char *key)
{
	struct hs_item *it;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		if (!l->v)
			abort();
	}
	it = &l->v[l->n++];
	memset(it, 0, sizeof(*it));
	it->key = dup_or_die(key);
	return it;
}

void
hs_set(struct hs_item *it, const char *key, const char *value)
{
	for (size_t i = 0; i < it->nattrs; i++)
		if (strcmp(it->attrs[i].key, key) == 0) {
			free((char *)it->attrs[i].value);
			it->attrs[i].value = dup_or_die(value);
			return;
		}
	if (it->nattrs == HS_MAX_ATTRS)
		return;
	it->attrs[it->nattrs].key = dup_or_die(key);
	it->attrs[it->nattrs].value = dup_or_die(value);
	it->nattrs++;
}

const char *
hs_get(const struct hs_item *it, const char *key)
{
	for (size_t i = 0; i < it->nattrs; i++)
		if (strcmp(it->attrs[i].key, key) == 0)
			return it->attrs[i].value;
	return "";
}

struct hs_item *
hs_find(const struct hs_list *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].key, key) == 0)
			return &l->v[i];
	return NULL;
}

/* Read dir/name into buf; "" when missing. Malformed text cannot occur
 * for strings (control characters are masked), so only errors other than
 * "missing" are worth a line. */
static void
attr_str(struct hs_scan *sc, const char *dir, const char *name, char *buf,
    size_t size)
{
	char path[4096];
	int r;

	buf[0] = '\0';
	if (hw_path(path, sizeof(path), "%s/%s", dir, name) < 0)
		return;
	r = hw_read_str(path, buf, size);
	if (r < 0 && r != -ENOENT && r != -ENOTDIR) {
		badattr_add(sc->bad, sc->ctx, path, r);
		buf[0] = '\0';
	}
	/* Vendors pad fixed-width SCSI inquiry fields with blanks. */
	size_t n = strlen(buf), s = 0;

	while (buf[s] == ' ')
		s++;
	if (s)
		memmove(buf, buf + s, n - s + 1);
}

/* Numbers: missing -> -ENOENT quietly; garbage is reported with path. */
static int
attr_u64(struct hs_scan *sc, const char *dir, const char *name, uint64_t *v)
{
	char path[4096];
	int r;

	if (hw_path(path, sizeof(path), "%s/%s", dir, name) < 0)
		return -ENAMETOOLONG;
	r = hw_read_u64(path, 10, v);
	if (r < 0 && r != -ENOENT)
		badattr_add(sc->bad, sc->ctx, path, r);
	return r;
}

/* A human name for where a disk sits: "ata2", "end_device-0:1",
 * "nvme 0000:3b:00.0", else the SCSI address or the last component. */
static void
short_slot(const char *rel, int nvme, char *buf, size_t size)
{
	const char *best = NULL, *p = rel, *hctl = NULL, *pci = NULL;
	size_t blen = 0, hlen = 0, plen = 0;

	while (*p) {
		const char *e = strchr(p, '/');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		unsigned a, b, c, d;
		char tail;

		if ((l > 3 && strncmp(p, "ata", 3) == 0 && p[3] >= '0' &&
		        p[3] <= '9') ||
		    (l > 11 && strncmp(p, "end_device-", 11) == 0)) {
			best = p;
			blen = l;
		}
		if (sscanf(p, "%u:%u:%u:%u%c", &a, &b, &c, &d, &tail) >= 4 &&
		    (tail == '/' || !e)) {
			hctl = p;
			hlen = l;
		}
		if (l == 12 && p[4] == ':' && p[7] == ':' && p[10] == '.') {
			pci = p;
			plen = l;
		}
		p += l;
		while (*p == '/')
			p++;
	}
	if (nvme && pci)
		snprintf(buf, size, "nvme %.*s", (int)plen, pci);
	else if (best)
		snprintf(buf, size, "%.*s", (int)blen, best);
	else if (hctl)
		snprintf(buf, size, "scsi %.*s", (int)hlen, hctl);
	else if (pci)
		snprintf(buf, size, "pci %.*s", (int)plen, pci);
	else {
		const char *b = strrchr(rel, '/');
		size_t n;

		b = b ? b + 1 : rel;
		n = strlen(b) < size - 1 ? strlen(b) : size - 1;
		memcpy(buf, b, n);
		buf[n] = '\0';
	}
}

static int
skip_disk(const char *name)
{
	static const char *const virt[] = {
	    "loop", "ram", "zram", "dm-", "md", "nbd", "sr", "fd", "zd", "rbd"};

	for (size_t i = 0; i < sizeof(virt) / sizeof(virt[0]); i++)
		if (strncmp(name, virt[i], strlen(virt[i])) == 0)
			return 1;
	return 0;
}

void
hs_scan_disks(struct hs_scan *sc, struct hs_list *l)
{
	struct cp_ctx *ctx = sc->ctx;
	const char *root = sc->root;

	char dir[4096], **names;
	int n;

	if (hw_path(dir, sizeof(dir), "%s/block", root) < 0)
		return;
	n = hw_list(dir, NULL, &names);
	if (n < 0) {
		if (n != -ENOENT)
			cp_log_warnx(ctx, "%s: %s", dir, strerror(-n));
		return;
	}
	for (int i = 0; i < n; i++) {
		char bdir[4096], ddir[4096], rel[4096], slot[4096];
		char model[256], serial[256], wwn[256], rev[64], vendor[64];
		char nice[160], sz[32];
		uint64_t sectors;
		int nvme = 0;
		struct hs_item *it;

		if (skip_disk(names[i]))
			continue;
		if (hw_path(bdir, sizeof(bdir), "%s/%s", dir, names[i]) < 0 ||
		    hw_path(ddir, sizeof(ddir), "%s/device", bdir) < 0)
			continue;
		if (hw_link_rel(root, bdir, rel, sizeof(rel)) == 0 &&
		    strstr(rel, "/virtual/"))
			continue;
		if (!hw_exists(ddir))
			continue; /* no backing device: not a slot */
		if (hw_link_rel(root, ddir, slot, sizeof(slot)) < 0)
			snprintf(slot, sizeof(slot), "block/%s", names[i]);
		attr_str(sc, ddir, "model", model, sizeof(model));
		attr_str(sc, ddir, "vendor", vendor, sizeof(vendor));
		attr_str(sc, ddir, "rev", rev, sizeof(rev));
		attr_str(sc, ddir, "serial", serial, sizeof(serial));
		/* NVMe namespaces hang off the controller: its firmware
		 * revision, and its PCI function as the slot. */
		if (!rev[0]) {
			attr_str(sc, ddir, "firmware_rev", rev, sizeof(rev));
			if (rev[0] || strncmp(names[i], "nvme", 4) == 0)
				nvme = 1;
		}
		if (nvme) {
			char pdir[4096], prel[4096];

			if (hw_path(pdir, sizeof(pdir), "%s/device", ddir) ==
			        0 &&
			    hw_link_rel(root, pdir, prel, sizeof(prel)) == 0)
				snprintf(slot, sizeof(slot), "%s", prel);
		}
		if (!serial[0])
			attr_str(sc, bdir, "serial", serial, sizeof(serial));
		if (!serial[0])
			hw_vpd_serial(ddir, serial, sizeof(serial));
		attr_str(sc, bdir, "wwid", wwn, sizeof(wwn));
		if (!wwn[0])
			attr_str(sc, ddir, "wwid", wwn, sizeof(wwn));
		short_slot(slot, nvme, nice, sizeof(nice));

		it = hs_add(l, slot);
		hs_set(it, "present", "1");
		hs_set(it, "slot", nice);
		hs_set(it, "name", names[i]);
		hs_set(it, "vendor", vendor);
		hs_set(it, "model", model);
		hs_set(it, "serial", serial);
		hs_set(it, "wwn", wwn);
		hs_set(it, "firmware", rev);
		if (attr_u64(sc, bdir, "size", &sectors) == 0) {
			/* sysfs "size" is in 512-byte sectors, always. */
			snprintf(sz, sizeof(sz), "%" PRIu64, sectors * 512);
			hs_set(it, "size_bytes", sz);
		}
	}
	hw_names_free(names, n);
}

void
hs_scan_pci_slots(struct hs_scan *sc, struct hs_list *l)
{
	struct cp_ctx *ctx = sc->ctx;
	const char *root = sc->root;

	char dir[4096], **names;
	int n;

	if (hw_path(dir, sizeof(dir), "%s/bus/pci/slots", root) < 0)
		return;
	n = hw_list(dir, NULL, &names);
	if (n < 0) {
		if (n != -ENOENT)
			cp_log_warnx(ctx, "%s: %s", dir, strerror(-n));
		return;
	}
	for (int i = 0; i < n; i++) {
		char sdir[4096], fdir[4096], addr[64], card[128], drv[64];
		char ven[16], dev[16], sven[16], sdev[16], nm[4200];
		uint64_t v;
		int occupied = 0;
		struct hs_item *it;

		if (hw_path(sdir, sizeof(sdir), "%s/%s", dir, names[i]) < 0)
			continue;
		attr_str(sc, sdir, "address", addr, sizeof(addr));
		card[0] = drv[0] = '\0';
		/* "address" is domain:bus:device; the card's function 0
		 * shows up as a device under /sys/bus/pci/devices. */
		if (addr[0] &&
		    hw_path(fdir, sizeof(fdir), "%s/bus/pci/devices/%s.0", root,
		        addr) == 0 &&
		    hw_exists(fdir)) {
			occupied = 1;
			attr_str(sc, fdir, "vendor", ven, sizeof(ven));
			attr_str(sc, fdir, "device", dev, sizeof(dev));
			attr_str(
			    sc, fdir, "subsystem_vendor", sven, sizeof(sven));
			attr_str(
			    sc, fdir, "subsystem_device", sdev, sizeof(sdev));
			snprintf(card, sizeof(card), "%s:%s %s:%s", ven, dev,
			    sven, sdev);
			if (hw_path(nm, sizeof(nm), "%s/driver", fdir) == 0)
				hw_link_base(nm, drv, sizeof(drv));
		}
		/* pciehp's "adapter" says whether a card is seated even when
		 * the slot is powered off (no device then). */
		if (attr_u64(sc, sdir, "adapter", &v) == 0 && v == 1)
			occupied = 1;
		it = hs_add(l, names[i]);
		hs_set(it, "slot", names[i]);
		hs_set(it, "address", addr);
		hs_set(it, "present", occupied ? "1" : "0");
		hs_set(it, "card", card);
		hs_set(it, "driver", drv);
		if (attr_u64(sc, sdir, "power", &v) == 0)
			hs_set(it, "power", v ? "on" : "off");
	}
	hw_names_free(names, n);
}

void
hs_scan_power_supplies(struct hs_scan *sc, struct hs_list *l)
{
	struct cp_ctx *ctx = sc->ctx;
	const char *root = sc->root;

	char dir[4096], **names;
	int n;

	if (hw_path(dir, sizeof(dir), "%s/class/power_supply", root) < 0)
		return;
	n = hw_list(dir, NULL, &names);
	if (n < 0) {
		if (n != -ENOENT)
			cp_log_warnx(ctx, "%s: %s", dir, strerror(-n));
		return;
	}
	for (int i = 0; i < n; i++) {
		char pdir[4096], type[64], model[128], serial[128], mfr[128];
		char status[64];
		uint64_t v;
		struct hs_item *it;

		if (hw_path(pdir, sizeof(pdir), "%s/%s", dir, names[i]) < 0)
			continue;
		attr_str(sc, pdir, "type", type, sizeof(type));
		/* Peripherals' batteries (mice, keyboards) come and go with
		 * the device; only the system's own supplies count. */
		attr_str(sc, pdir, "scope", status, sizeof(status));
		if (strcmp(status, "Device") == 0)
			continue;
		attr_str(sc, pdir, "model_name", model, sizeof(model));
		attr_str(sc, pdir, "serial_number", serial, sizeof(serial));
		attr_str(sc, pdir, "manufacturer", mfr, sizeof(mfr));
		it = hs_add(l, names[i]);
		hs_set(it, "slot", names[i]);
		hs_set(it, "type", type);
		hs_set(it, "model", model);
		hs_set(it, "serial", serial);
		hs_set(it, "manufacturer", mfr);
		/* No "present" file (mains adapters): the entry is there. */
		if (attr_u64(sc, pdir, "present", &v) == 0)
			hs_set(it, "present", v ? "1" : "0");
		else
			hs_set(it, "present", "1");
		if (attr_u64(sc, pdir, "online", &v) == 0)
			hs_set(it, "online", v ? "1" : "0");
	}
	hw_names_free(names, n);
}

void
hs_scan_fans(struct hs_scan *sc, struct hs_list *l)
{
	struct cp_ctx *ctx = sc->ctx;
	const char *root = sc->root;

	char dir[4096], **mons;
	int n;

	if (hw_path(dir, sizeof(dir), "%s/class/hwmon", root) < 0)
		return;
	n = hw_list(dir, NULL, &mons);
	if (n < 0) {
		if (n != -ENOENT)
			cp_log_warnx(ctx, "%s: %s", dir, strerror(-n));
		return;
	}
	for (int i = 0; i < n; i++) {
		char mdir[4096], chip[64], **fans, dpath[4096], where[4096];
		int nf;

		if (hw_path(mdir, sizeof(mdir), "%s/%s", dir, mons[i]) < 0)
			continue;
		attr_str(sc, mdir, "name", chip, sizeof(chip));
		if (!chip[0])
			snprintf(chip, sizeof(chip), "%s", mons[i]);
		/* hwmonN numbers change between boots; the device path
		 * does not. */
		if (hw_path(dpath, sizeof(dpath), "%s/device", mdir) < 0 ||
		    hw_link_rel(root, dpath, where, sizeof(where)) < 0)
			snprintf(where, sizeof(where), "%s", mons[i]);
		nf = hw_list(mdir, "fan", &fans);
		for (int j = 0; j < nf; j++) {
			size_t fl = strlen(fans[j]);
			char idx[16], key[4300], label[128], fname[32];
			uint64_t v, fault = 0;
			int present;
			struct hs_item *it;

			if (fl < 10 || strcmp(fans[j] + fl - 6, "_input"))
				continue;
			snprintf(
			    idx, sizeof(idx), "%.*s", (int)(fl - 6), fans[j]);
			snprintf(fname, sizeof(fname), "%s_label", idx);
			attr_str(sc, mdir, fname, label, sizeof(label));
			snprintf(fname, sizeof(fname), "%s_fault", idx);
			attr_u64(sc, mdir, fname, &fault);
			present =
			    attr_u64(sc, mdir, fans[j], &v) == 0 && fault == 0;
			snprintf(key, sizeof(key), "%s/%s", where, idx);
			it = hs_add(l, key);
			snprintf(key, sizeof(key), "%s %s", chip,
			    label[0] ? label : idx);
			hs_set(it, "slot", key);
			/* No rpm here: the inventory says what is there,
			 * and would churn with every reading. */
			hs_set(it, "present", present ? "1" : "0");
		}
		if (nf > 0)
			hw_names_free(fans, nf);
	}
	hw_names_free(mons, n);
}
