// SPDX-License-Identifier: MIT
/*
 * The host's firmware inventory: DMI (BIOS, board, system) from
 * SYSFS/class/dmi/id, NICs from SYSFS/class/net with driver and firmware
 * versions from the ETHTOOL_GDRVINFO ioctl, NVMe firmware_rev and SCSI/SATA
 * rev, the BMC's firmware from the ipmi_msghandler's bmc device, the
 * kernel release and the CPU microcode revision.
 */
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "firmware/firmware.h"
#include "firmware/hwsys.h"

struct scan {
	const char *sys, *proc;
	fw_warn_fn warn;
	void *arg;
};

void
fw_list_free(struct fw_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static struct fw_item *
add(struct fw_list *l, const char *kind, const char *name)
{
	struct fw_item *it;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		if (!l->v)
			abort();
	}
	it = &l->v[l->n++];
	memset(it, 0, sizeof(*it));
	snprintf(it->kind, sizeof(it->kind), "%s", kind);
	snprintf(it->name, sizeof(it->name), "%s", name);
	return it;
}

/* A text attribute; "" when missing. Leading blanks (SCSI inquiry
 * padding) go too. Errors other than "missing" are reported. */
static void
rd(const struct scan *sc, const char *dir, const char *name, char *buf,
    size_t size)
{
	char path[4096];
	size_t s = 0;
	int r;

	buf[0] = '\0';
	if (hw_path(path, sizeof(path), "%s/%s", dir, name) < 0)
		return;
	r = hw_read_str(path, buf, size);
	if (r < 0) {
		buf[0] = '\0';
		if (r != -ENOENT && r != -ENOTDIR && sc->warn)
			sc->warn(sc->arg, path, r);
		return;
	}
	while (buf[s] == ' ')
		s++;
	if (s)
		memmove(buf, buf + s, strlen(buf + s) + 1);
}

static void
join(char *buf, size_t size, const char *a, const char *b)
{
	/* Truncation is acceptable for display fields. */
	if (snprintf(buf, size, "%s%s%s", a, *a && *b ? " " : "", b) < 0)
		buf[0] = '\0';
}

static void
scan_dmi(const struct scan *sc, struct fw_list *l)
{
	char d[4096], v[128], date[64], sv[128], prod[128], pv[128];
	struct fw_item *it;

	if (hw_path(d, sizeof(d), "%s/class/dmi/id", sc->sys) < 0 ||
	    !hw_exists(d))
		return;
	rd(sc, d, "sys_vendor", sv, sizeof(sv));
	rd(sc, d, "product_name", prod, sizeof(prod));
	rd(sc, d, "product_version", pv, sizeof(pv));

	it = add(l, "bios", "BIOS");
	rd(sc, d, "bios_vendor", it->vendor, sizeof(it->vendor));
	rd(sc, d, "bios_version", it->version, sizeof(it->version));
	join(it->model, sizeof(it->model), sv, prod);
	rd(sc, d, "bios_date", date, sizeof(date));
	if (date[0])
		snprintf(it->detail, sizeof(it->detail), "date %s", date);

	it = add(l, "board", "board");
	rd(sc, d, "board_vendor", it->vendor, sizeof(it->vendor));
	rd(sc, d, "board_name", it->model, sizeof(it->model));
	rd(sc, d, "board_version", it->version, sizeof(it->version));
	rd(sc, d, "board_serial", it->serial, sizeof(it->serial));

	it = add(l, "system", "system");
	snprintf(it->vendor, sizeof(it->vendor), "%s", sv);
	snprintf(it->model, sizeof(it->model), "%s", prod);
	snprintf(it->version, sizeof(it->version), "%s", pv);
	rd(sc, d, "product_serial", it->serial, sizeof(it->serial));
	(void)v;
}

int
fw_ethtool_drvinfo(const char *ifname, char *driver, size_t dsize,
    char *version, size_t vsize, char *fw, size_t fsize, char *bus,
    size_t bsize)
{
	struct ethtool_drvinfo di;
	struct ifreq ifr;
	int fd, r = 0;

	if (strlen(ifname) >= IFNAMSIZ)
		return -ENAMETOOLONG;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&di, 0, sizeof(di));
	memset(&ifr, 0, sizeof(ifr));
	di.cmd = ETHTOOL_GDRVINFO;
	memcpy(ifr.ifr_name, ifname, strlen(ifname));
	ifr.ifr_data = (void *)&di;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0)
		r = -errno;
	close(fd);
	if (r < 0)
		return r;
	/* The kernel NUL-terminates these fixed arrays; be sure anyway. */
	snprintf(driver, dsize, "%.*s", (int)sizeof(di.driver), di.driver);
	snprintf(version, vsize, "%.*s", (int)sizeof(di.version), di.version);
	snprintf(fw, fsize, "%.*s", (int)sizeof(di.fw_version), di.fw_version);
	snprintf(bus, bsize, "%.*s", (int)sizeof(di.bus_info), di.bus_info);
	return 0;
}

static void
scan_nics(const struct scan *sc, int live, struct fw_list *l)
{
	char dir[4096], **names;
	int n;

	if (hw_path(dir, sizeof(dir), "%s/class/net", sc->sys) < 0)
		return;
	n = hw_list(dir, NULL, &names);
	if (n <= 0)
		return;
	for (int i = 0; i < n; i++) {
		char p[4096], rel[4096], drv[64], ver[64], fw[64], bus[64];
		struct fw_item *it;

		if (hw_path(p, sizeof(p), "%s/%s", dir, names[i]) < 0)
			continue;
		/* Bridges, bonds, veths, tunnels: no hardware, no firmware. */
		if (hw_link_rel(sc->sys, p, rel, sizeof(rel)) < 0 ||
		    strstr(rel, "/virtual/") ||
		    hw_path(p, sizeof(p), "%s/%s/device", dir, names[i]) < 0 ||
		    !hw_exists(p))
			continue;
		drv[0] = ver[0] = fw[0] = bus[0] = '\0';
		if (hw_path(p, sizeof(p), "%s/%s/device/driver", dir,
		        names[i]) == 0)
			hw_link_base(p, drv, sizeof(drv));
		if (live)
			fw_ethtool_drvinfo(names[i], drv, sizeof(drv), ver,
			    sizeof(ver), fw, sizeof(fw), bus, sizeof(bus));
		it = add(l, "nic", names[i]);
		snprintf(it->model, sizeof(it->model), "%s", drv);
		snprintf(it->version, sizeof(it->version), "%s", fw);
		snprintf(
		    it->driver_version, sizeof(it->driver_version), "%s", ver);
		if (hw_path(p, sizeof(p), "%s/%s/device", dir, names[i]) == 0)
			rd(sc, p, "vendor", it->vendor, sizeof(it->vendor));
		snprintf(it->detail, sizeof(it->detail), "driver %s%s%s%s%s",
		    drv[0] ? drv : "?", ver[0] ? " " : "", ver,
		    bus[0] ? " bus " : "", bus);
	}
	hw_names_free(names, n);
}

static void
scan_disks(const struct scan *sc, struct fw_list *l)
{
	char dir[4096], **names;
	int n;

	if (hw_path(dir, sizeof(dir), "%s/class/nvme", sc->sys) == 0 &&
	    (n = hw_list(dir, NULL, &names)) > 0) {
		for (int i = 0; i < n; i++) {
			char c[4096];
			struct fw_item *it;

			if (hw_path(c, sizeof(c), "%s/%s", dir, names[i]) < 0)
				continue;
			it = add(l, "disk", names[i]);
			rd(sc, c, "model", it->model, sizeof(it->model));
			rd(sc, c, "serial", it->serial, sizeof(it->serial));
			rd(sc, c, "firmware_rev", it->version,
			    sizeof(it->version));
			snprintf(it->detail, sizeof(it->detail), "nvme");
		}
		hw_names_free(names, n);
	}
	if (hw_path(dir, sizeof(dir), "%s/block", sc->sys) == 0 &&
	    (n = hw_list(dir, "sd", &names)) > 0) {
		for (int i = 0; i < n; i++) {
			char d[4096];
			struct fw_item *it;

			if (hw_path(d, sizeof(d), "%s/%s/device", dir,
			        names[i]) < 0 ||
			    !hw_exists(d))
				continue;
			it = add(l, "disk", names[i]);
			rd(sc, d, "vendor", it->vendor, sizeof(it->vendor));
			rd(sc, d, "model", it->model, sizeof(it->model));
			rd(sc, d, "rev", it->version, sizeof(it->version));
			hw_vpd_serial(d, it->serial, sizeof(it->serial));
			snprintf(it->detail, sizeof(it->detail), "scsi");
		}
		hw_names_free(names, n);
	}
}

/* ipmi_msghandler registers a "ipmi_bmc" platform device with the Get
 * Device ID answer as attributes (drivers/char/ipmi/ipmi_msghandler.c). */
static void
scan_bmc(const struct scan *sc, struct fw_list *l)
{
	char dir[4096], **names;
	int n;

	if (hw_path(dir, sizeof(dir), "%s/devices/platform", sc->sys) < 0)
		return;
	n = hw_list(dir, "ipmi_bmc", &names);
	if (n <= 0)
		return;
	for (int i = 0; i < n; i++) {
		char d[4096], mfr[64], prod[64], ipmi[32], aux[64];
		struct fw_item *it;

		if (hw_path(d, sizeof(d), "%s/%s", dir, names[i]) < 0)
			continue;
		it = add(l, "bmc", n == 1 ? "BMC" : names[i]);
		rd(sc, d, "firmware_revision", it->version,
		    sizeof(it->version));
		rd(sc, d, "manufacturer_id", mfr, sizeof(mfr));
		rd(sc, d, "product_id", prod, sizeof(prod));
		rd(sc, d, "ipmi_version", ipmi, sizeof(ipmi));
		rd(sc, d, "aux_firmware_revision", aux, sizeof(aux));
		snprintf(it->vendor, sizeof(it->vendor), "%s", mfr);
		snprintf(it->model, sizeof(it->model), "product %s", prod);
		snprintf(it->detail, sizeof(it->detail), "IPMI %s%s%s", ipmi,
		    aux[0] ? " aux " : "", aux);
	}
	hw_names_free(names, n);
}

static void
scan_os(const struct scan *sc, struct fw_list *l)
{
	char p[4096], rel[128], model[192] = "", ucode[64] = "";
	FILE *f;

	if (hw_path(p, sizeof(p), "%s/sys/kernel", sc->proc) == 0) {
		rd(sc, p, "osrelease", rel, sizeof(rel));
		if (rel[0]) {
			struct fw_item *it = add(l, "os", "kernel");

			snprintf(it->model, sizeof(it->model), "Linux");
			snprintf(it->version, sizeof(it->version), "%s", rel);
		}
	}
	/* Microcode: cpu0's sysfs file (4.x+), else /proc/cpuinfo. */
	if (hw_path(p, sizeof(p), "%s/devices/system/cpu/cpu0/microcode",
	        sc->sys) == 0)
		rd(sc, p, "version", ucode, sizeof(ucode));
	if (hw_path(p, sizeof(p), "%s/cpuinfo", sc->proc) == 0 &&
	    (f = fopen(p, "re")) != NULL) {
		char line[512];

		while (fgets(line, sizeof(line), f)) {
			char *c = strchr(line, ':'), *v;

			if (!c)
				continue;
			v = c + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			v[strcspn(v, "\n")] = '\0';
			if (!model[0] && strncmp(line, "model name", 10) == 0)
				snprintf(model, sizeof(model), "%s", v);
			if (!ucode[0] && strncmp(line, "microcode", 9) == 0)
				snprintf(ucode, sizeof(ucode), "%s", v);
			if (model[0] && ucode[0])
				break;
		}
		fclose(f);
	}
	if (ucode[0]) {
		uint64_t x;
		struct fw_item *it;

		if (hw_parse_u64(ucode, 0, &x) < 0) {
			if (sc->warn)
				sc->warn(
				    sc->arg, "cpu microcode revision", -EINVAL);
			return;
		}
		it = add(l, "cpu_microcode", "cpu");
		snprintf(it->model, sizeof(it->model), "%s", model);
		snprintf(it->version, sizeof(it->version), "0x%llx",
		    (unsigned long long)x);
	}
}

void
fw_host_scan(const char *sysfs, const char *procfs, int live,
    struct fw_list *out, fw_warn_fn warn, void *warn_arg)
{
	struct scan sc = {sysfs, procfs, warn, warn_arg};

	scan_dmi(&sc, out);
	scan_bmc(&sc, out);
	scan_nics(&sc, live, out);
	scan_disks(&sc, out);
	scan_os(&sc, out);
}

void
fw_items_build(const struct fw_list *l, struct fw_items *out)
{
	size_t n = l->n;

	out->n = n;
	out->items = calloc(n + 1, sizeof(*out->items));
	out->attrs = calloc(n * 8 + 1, sizeof(*out->attrs));
	out->keys = calloc(n + 1, sizeof(*out->keys));
	if (!out->items || !out->attrs || !out->keys)
		abort();
	for (size_t i = 0; i < n; i++) {
		const struct fw_item *it = &l->v[i];
		struct cp_label *x = out->attrs + i * 8;

		/* A disk is known by its serial: another disk in the same
		 * bay (same name) is a new component, not a firmware
		 * change. */
		if (asprintf(&out->keys[i], "%s:%s", it->kind,
		        strcmp(it->kind, "disk") == 0 && it->serial[0]
		            ? it->serial
		            : it->name) < 0)
			abort();
		x[0] = (struct cp_label){"kind", it->kind};
		x[1] = (struct cp_label){"name", it->name};
		x[2] = (struct cp_label){"vendor", it->vendor};
		x[3] = (struct cp_label){"model", it->model};
		x[4] = (struct cp_label){"version", it->version};
		x[5] = (struct cp_label){"serial", it->serial};
		x[6] = (struct cp_label){"detail", it->detail};
		x[7] = (struct cp_label){"driver_version", it->driver_version};
		out->items[i] = (struct cp_inventory_item){out->keys[i], x, 8};
	}
}

void
fw_items_fini(struct fw_items *it)
{
	for (size_t i = 0; i < it->n; i++)
		free(it->keys[i]);
	free(it->keys);
	free(it->attrs);
	free(it->items);
	memset(it, 0, sizeof(*it));
}
