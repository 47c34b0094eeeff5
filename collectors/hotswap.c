// SPDX-License-Identifier: MIT
/*
 * The hotswap collector: what is plugged into the host (disks, PCI slots,
 * power supplies, fans) and every change of it. An inventory is taken at
 * start, at every collection and whenever the kernel announces a device
 * (uevents on NETLINK_KOBJECT_UEVENT, watched on the agent's event loop),
 * and compared with the previous one; the first comparison is against the
 * inventory stored in SQLite, so a disk swapped while the agent was down
 * is still reported. Events: inserted, removed, replaced (same slot, new
 * serial), and power supplies losing or regaining input.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/netlink.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "collectors/hw/badattr.h"
#include "collectors/hw/hotswap.h"
#include "collectors/hw/ipmi_sel.h"
#include "collectors/hw/uevent.h"
#include "plugin.h"

/* What an inventory kind is called and how its items are told apart. */
struct hs_kind {
	const char *kind; /* inventory kind in the store */
	const char *noun; /* in messages */
	void (*scan)(struct hs_scan *, struct hs_list *);
	const char *ident[2]; /* identity: first non-empty of these attrs */
};

static const struct hs_kind kinds[] = {
    {"disk", "disk", hs_scan_disks, {"serial", "wwn"}},
    {"pci_slot", "PCI slot", hs_scan_pci_slots, {"card", NULL}},
    {"power_supply", "power supply", hs_scan_power_supplies, {"serial", NULL}},
    {"fan", "fan", hs_scan_fans, {NULL, NULL}},
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))
/* Which kinds have been stored before: tells "nothing stored" (first run,
 * no events) from "stored empty". */
#define MARK_KIND "hotswap"

struct hs_state {
	pthread_mutex_t lock; /* collect() and the uevent callback */
	struct cp_ctx *ctx;
	int enabled[NKINDS];
	int use_uevent;
	int fd; /* netlink socket, -1 when none */
	int watching;
	int loaded;
	int have_prev[NKINDS];
	struct hs_list prev[NKINDS];
	uint64_t uevents, uevents_bad, uevent_scans, overflows;
	uint64_t events;
	struct badattr bad;
	/* IPMI SEL (collect() only: no lock needed). */
	int ipmi_mode; /* 0 off, 1 on, 2 auto (quiet when there is none) */
	char *ipmi_path;
	struct ipmi_dev *ipmi;
	int sel_loaded, sel_have_last, sel_warned;
	uint16_t sel_last;
	uint32_t sel_erase;
	unsigned sel_entries;
};

/* ------------------------------------------------------------ lifecycle */

static int
hs_configure(struct cp_ctx *ctx, const struct cp_cfg *cfg, void **out)
{
	struct hs_state *st = calloc(1, sizeof(*st));
	static const char *const keys[NKINDS] = {
	    "disks", "pci_slots", "power_supplies", "fans"};
	int bad = 0;

	(void)ctx;
	if (!st)
		abort();
	pthread_mutex_init(&st->lock, NULL);
	st->fd = -1;
	st->use_uevent = 1;
	if (cp_cfg_bool(cfg, "uevent", &st->use_uevent) == -EINVAL)
		bad = 1;
	{
		const char *m = "auto", *dev = "/dev/ipmi0";

		if (cp_cfg_str(cfg, "ipmi", &m) == -EINVAL ||
		    cp_cfg_str(cfg, "ipmi_device", &dev) == -EINVAL)
			bad = 1;
		if (strcmp(m, "auto") == 0)
			st->ipmi_mode = 2;
		else if (strcmp(m, "true") == 0 || strcmp(m, "on") == 0)
			st->ipmi_mode = 1;
		else if (strcmp(m, "false") == 0 || strcmp(m, "off") == 0)
			st->ipmi_mode = 0;
		else {
			cp_cfg_error(cp_cfg_child(cfg, "ipmi"),
			    "ipmi: expected auto, true or false, not '%s'", m);
			bad = 1;
		}
		st->ipmi_path = strdup(dev);
		if (!st->ipmi_path)
			abort();
	}
	for (size_t i = 0; i < NKINDS; i++) {
		st->enabled[i] = 1;
		hs_list_init(&st->prev[i]);
		if (cp_cfg_bool(cfg, keys[i], &st->enabled[i]) == -EINVAL)
			bad = 1;
	}
	*out = st;
	return bad ? -EINVAL : 0;
}

static void
hs_stop(void *arg)
{
	struct hs_state *st = arg;

	if (!st)
		return;
	if (st->fd >= 0) {
		if (st->watching)
			cp_unwatch_fd(st->ctx, st->fd);
		close(st->fd);
	}
	for (size_t i = 0; i < NKINDS; i++)
		hs_list_fini(&st->prev[i]);
	ipmi_close(st->ipmi);
	free(st->ipmi_path);
	pthread_mutex_destroy(&st->lock);
	free(st);
}

/* ---------------------------------------------------------------- store */

struct load_arg {
	struct hs_list *l;
};

static int
load_cb(const struct cp_inventory_item *it, void *p)
{
	struct hs_list *l = p;
	struct hs_item *h = hs_add(l, it->key);

	for (size_t i = 0; i < it->nattrs; i++)
		hs_set(h, it->attrs[i].key, it->attrs[i].value);
	return 0;
}

/* The previous inventories from the store: what was there when the agent
 * last looked, possibly before a reboot or a long outage. */
static void
load_stored(struct cp_ctx *ctx, struct hs_state *st)
{
	struct hs_list marks;
	int r;

	hs_list_init(&marks);
	r = cp_inventory_get(ctx, NULL, MARK_KIND, load_cb, &marks);
	if (r < 0 && r != -ENOTSUP)
		cp_log_warnx(
		    ctx, "reading the stored inventory: %s", strerror(-r));
	for (size_t i = 0; i < NKINDS; i++) {
		if (!hs_find(&marks, kinds[i].kind))
			continue;
		r = cp_inventory_get(
		    ctx, NULL, kinds[i].kind, load_cb, &st->prev[i]);
		if (r == 0)
			st->have_prev[i] = 1;
	}
	hs_list_fini(&marks);
	st->loaded = 1;
}

static void
store(
    struct cp_ctx *ctx, struct hs_state *st, size_t k, const struct hs_list *l)
{
	struct cp_inventory_item *items = calloc(l->n + 1, sizeof(*items));
	struct cp_inventory_item mark[NKINDS];
	size_t nm = 0;

	if (!items)
		abort();
	for (size_t i = 0; i < l->n; i++)
		items[i] = (struct cp_inventory_item){
		    l->v[i].key, l->v[i].attrs, l->v[i].nattrs};
	if (cp_inventory_put(ctx, NULL, kinds[k].kind, items, l->n) < 0)
		cp_log_warnx(
		    ctx, "storing the %s inventory failed", kinds[k].kind);
	free(items);
	if (st->have_prev[k])
		return;
	st->have_prev[k] = 1;
	for (size_t i = 0; i < NKINDS; i++)
		if (st->have_prev[i])
			mark[nm++] =
			    (struct cp_inventory_item){kinds[i].kind, NULL, 0};
	cp_inventory_put(ctx, NULL, MARK_KIND, mark, nm);
}

/* ----------------------------------------------------------------- diff */

static const char *
ident(size_t k, const struct hs_item *it)
{
	for (size_t i = 0; i < 2 && kinds[k].ident[i]; i++)
		if (*hs_get(it, kinds[k].ident[i]))
			return hs_get(it, kinds[k].ident[i]);
	return "";
}

static int
present(const struct hs_item *it)
{
	return it && strcmp(hs_get(it, "present"), "1") == 0;
}

/* "SAMSUNG MZ7LH960 serial S45N (sdb)" */
static void
describe(const struct hs_item *it, char *buf, size_t size)
{
	const char *f[] = {"manufacturer", "vendor", "model", "type"};
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < 4; i++) {
		const char *v = hs_get(it, f[i]);

		if (*v && o < size)
			o += (size_t)snprintf(
			    buf + o, size - o, "%s%s", o ? " " : "", v);
	}
	if (*hs_get(it, "card") && o < size)
		o += (size_t)snprintf(buf + o, size - o, "%scard %s",
		    o ? " " : "", hs_get(it, "card"));
	if (*hs_get(it, "serial") && o < size)
		o += (size_t)snprintf(buf + o, size - o, "%sserial %s",
		    o ? " " : "", hs_get(it, "serial"));
	else if (*hs_get(it, "wwn") && o < size)
		o += (size_t)snprintf(buf + o, size - o, "%swwn %s",
		    o ? " " : "", hs_get(it, "wwn"));
	if (*hs_get(it, "name") && o < size)
		snprintf(buf + o, size - o, "%s(%s)", o ? " " : "",
		    hs_get(it, "name"));
}

static void
fire(struct cp_ctx *ctx, struct hs_state *st, size_t k,
    const struct hs_item *it, enum cp_severity sev, const char *before,
    const char *after, const char *verb, const char *why)
{
	char comp[300], msg[1600], desc[700];

	snprintf(comp, sizeof(comp), "%s %s", kinds[k].noun,
	    *hs_get(it, "slot") ? hs_get(it, "slot") : it->key);
	describe(it, desc, sizeof(desc));
	snprintf(msg, sizeof(msg), "%s: %s%s: %s", comp, verb, why, desc);
	struct cp_event ev = {
	    .kind = "hotswap",
	    .component = comp,
	    .severity = sev,
	    .before = before,
	    .after = after,
	    .message = msg,
	};
	cp_event(ctx, &ev);
	st->events++;
}

/* Compare a fresh scan of kind k with the previous one; 1 if different. */
static int
diff(struct cp_ctx *ctx, struct hs_state *st, size_t k,
    const struct hs_list *old, const struct hs_list *cur, const char *why)
{
	int changed = old->n != cur->n;

	for (size_t i = 0; i < old->n; i++) {
		const struct hs_item *o = &old->v[i];
		const struct hs_item *c = hs_find(cur, o->key);

		if (present(o) && !present(c)) {
			fire(ctx, st, k, o, CP_SEV_WARNING, ident(k, o), NULL,
			    "removed", why);
			changed = 1;
		}
	}
	for (size_t i = 0; i < cur->n; i++) {
		const struct hs_item *c = &cur->v[i];
		const struct hs_item *o = hs_find(old, c->key);
		const char *oi, *ci;

		if (!o || o->nattrs != c->nattrs)
			changed = 1;
		else
			for (size_t j = 0; j < c->nattrs; j++)
				if (strcmp(hs_get(o, c->attrs[j].key),
				        c->attrs[j].value) != 0)
					changed = 1;
		if (!present(o) && present(c)) {
			fire(ctx, st, k, c, CP_SEV_INFO, NULL, ident(k, c),
			    "inserted", why);
			continue;
		}
		if (!present(o) || !present(c))
			continue;
		oi = ident(k, o);
		ci = ident(k, c);
		if (*oi && *ci && strcmp(oi, ci) != 0) {
			char verb[400];

			snprintf(verb, sizeof(verb), "replaced (was %s)", oi);
			fire(ctx, st, k, c, CP_SEV_INFO, oi, ci, verb, why);
		}
		/* A supply that lost its input is half a redundant pair. */
		if (*hs_get(o, "online") && *hs_get(c, "online") &&
		    strcmp(hs_get(o, "online"), hs_get(c, "online")) != 0) {
			int up = strcmp(hs_get(c, "online"), "1") == 0;

			fire(ctx, st, k, c, up ? CP_SEV_INFO : CP_SEV_WARNING,
			    hs_get(o, "online"), hs_get(c, "online"),
			    up ? "back online" : "offline (no input power)",
			    why);
		}
	}
	return changed;
}

/* Scan everything, report differences, store what changed. Called with
 * st->lock held; why is "" or " (while the agent was down)" etc. */
static void
rescan(struct cp_ctx *ctx, struct hs_state *st, const char *why)
{
	char root[4096];
	struct hs_scan sc = {ctx, root, &st->bad};

	if (!cp_path(ctx, CP_SYSFS, ".", root, sizeof(root)))
		return;
	if (!st->loaded)
		load_stored(ctx, st);
	badattr_begin(&st->bad);
	for (size_t k = 0; k < NKINDS; k++) {
		struct hs_list cur;

		if (!st->enabled[k])
			continue;
		hs_list_init(&cur);
		kinds[k].scan(&sc, &cur);
		if (!st->have_prev[k]) {
			cp_log_info(ctx, "first %s inventory: %zu item%s",
			    kinds[k].kind, cur.n, cur.n == 1 ? "" : "s");
			store(ctx, st, k, &cur);
		} else if (diff(ctx, st, k, &st->prev[k], &cur, why)) {
			store(ctx, st, k, &cur);
		}
		hs_list_fini(&st->prev[k]);
		st->prev[k] = cur;
	}
	badattr_end(&st->bad, ctx);
}

/* -------------------------------------------------------------- uevents */

/* Subsystems whose add/remove/change may alter the inventory. */
static int
relevant(const struct uevent *ue)
{
	static const char *const subs[] = {"block", "scsi", "nvme", "pci",
	    "power_supply", "hwmon", "pci_slot", "ata_port", "ata_device"};

	if (!ue->subsystem)
		return 0;
	if (strcmp(ue->action, "bind") == 0 ||
	    strcmp(ue->action, "unbind") == 0)
		return 0;
	/* Partitions come and go with their disk. */
	if (strcmp(ue->subsystem, "block") == 0 && ue->devtype &&
	    strcmp(ue->devtype, "partition") == 0)
		return 0;
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (strcmp(ue->subsystem, subs[i]) == 0)
			return 1;
	return 0;
}

/*
 * Read what is queued on fd (the netlink socket; tests hand in any datagram
 * socket carrying recorded messages) and rescan once if any message
 * concerns the inventory. At most 256 datagrams per call so that a storm
 * cannot starve the event loop; the rest wait for the next readiness.
 */
static void
on_uevent(struct cp_ctx *ctx, int fd, unsigned events, void *arg)
{
	struct hs_state *st = arg;
	static __thread struct uevent ue;
	char buf[UEVENT_MAX + 1], why[600] = "";
	int scan = 0;

	(void)events;
	for (int i = 0; i < 256; i++) {
		struct sockaddr_nl sa;
		struct iovec iov = {buf, sizeof(buf)};
		struct msghdr mh = {
		    .msg_name = &sa,
		    .msg_namelen = sizeof(sa),
		    .msg_iov = &iov,
		    .msg_iovlen = 1,
		};
		const char *err;
		ssize_t n;

		memset(&sa, 0, sizeof(sa));
		n = recvmsg(fd, &mh, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				/* The kernel dropped messages: whatever
				 * they said, a full scan finds out. */
				pthread_mutex_lock(&st->lock);
				st->overflows++;
				pthread_mutex_unlock(&st->lock);
				scan = 1;
				continue;
			}
			break;
		}
		if (n == 0)
			break;
		/* Only the kernel (port id 0) speaks on group 1; anything
		 * else is a local process forging uevents. */
		if (mh.msg_namelen >= sizeof(sa) &&
		    sa.nl_family == AF_NETLINK && sa.nl_pid != 0)
			continue;
		if ((mh.msg_flags & MSG_TRUNC) ||
		    uevent_parse(buf, (size_t)n, &ue, &err) < 0) {
			pthread_mutex_lock(&st->lock);
			st->uevents_bad++;
			pthread_mutex_unlock(&st->lock);
			cp_log_debug(ctx, "uevent ignored: %s",
			    (mh.msg_flags & MSG_TRUNC) ? "truncated" : err);
			continue;
		}
		pthread_mutex_lock(&st->lock);
		st->uevents++;
		pthread_mutex_unlock(&st->lock);
		if (relevant(&ue)) {
			cp_log_debug(ctx, "uevent %s %s %s", ue.action,
			    ue.subsystem, ue.devpath);
			if (!scan)
				snprintf(why, sizeof(why), " (uevent %s %s)",
				    ue.action, ue.subsystem);
			scan = 1;
		}
	}
	if (scan) {
		pthread_mutex_lock(&st->lock);
		st->uevent_scans++;
		rescan(ctx, st, why);
		pthread_mutex_unlock(&st->lock);
	}
}

static int
open_uevent(struct cp_ctx *ctx, struct hs_state *st)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = 1};
	int fd, sz = 1 << 20, r;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    NETLINK_KOBJECT_UEVENT);
	if (fd < 0) {
		cp_log_warn(ctx, "uevent socket");
		return -errno;
	}
	/* Bursts (a shelf of disks) overflow the default buffer; FORCE
	 * needs CAP_NET_ADMIN, the plain one is capped by rmem_max. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		cp_log_warn(ctx, "uevent socket: bind to the kernel group");
		close(fd);
		return r;
	}
	r = cp_watch_fd(ctx, fd, CP_FD_READ, on_uevent, st);
	if (r < 0) {
		cp_log_warnx(ctx,
		    "uevents not watched (%s): changes are seen "
		    "at the next collection only",
		    strerror(-r));
		close(fd);
		return r;
	}
	st->fd = fd;
	st->watching = 1;
	return 0;
}

/* ------------------------------------------------------------- IPMI SEL */

static void
sel_off(struct cp_ctx *ctx, struct hs_state *st, const char *why, int err)
{
	if (!st->sel_warned++)
		cp_log_warnx(ctx, "IPMI: %s: %s: %s; the SEL is not read",
		    st->ipmi_path, why, strerror(-err));
	if (err == -ENOTTY || err == -EINVAL || err == -EBADF) {
		ipmi_close(st->ipmi);
		st->ipmi = NULL;
	}
}

static int
sel_load_cb(const struct cp_inventory_item *it, void *p)
{
	struct hs_state *st = p;
	char *e;

	for (size_t i = 0; i < it->nattrs; i++) {
		unsigned long v = strtoul(it->attrs[i].value, &e, 10);

		if (*e)
			continue;
		if (strcmp(it->attrs[i].key, "last_id") == 0 && v <= 0xffff) {
			st->sel_last = (uint16_t)v;
			st->sel_have_last = 1;
		} else if (strcmp(it->attrs[i].key, "erase_ts") == 0) {
			st->sel_erase = (uint32_t)v;
		}
	}
	return 0;
}

static void
sel_save(struct cp_ctx *ctx, struct hs_state *st)
{
	char id[16], er[16];
	struct cp_label a[2] = {{"last_id", id}, {"erase_ts", er}};
	struct cp_inventory_item it = {"_state", a, 2};

	snprintf(id, sizeof(id), "%u", st->sel_last);
	snprintf(er, sizeof(er), "%u", st->sel_erase);
	cp_inventory_put(ctx, NULL, "ipmi_sel", &it, 1);
}

/*
 * New SEL records since the last one handled (the BMC hands out the next
 * record id with each entry). The first time ever, the history is skipped:
 * the inventory comparison already says what is there.
 */
static void
sel_poll(struct cp_ctx *ctx, struct hs_state *st)
{
	struct sel_entry e;
	uint16_t next = 0, id;
	uint32_t erase;
	int r, report, changed = 0;

	if (!st->sel_loaded) {
		cp_inventory_get(ctx, NULL, "ipmi_sel", sel_load_cb, st);
		st->sel_loaded = 1;
	}
	r = ipmi_sel_info(st->ipmi, &st->sel_entries, &erase);
	if (r < 0) {
		sel_off(ctx, st, "Get SEL Info", r);
		return;
	}
	report = st->sel_have_last;
	if (st->sel_have_last && erase != st->sel_erase) {
		/* Cleared since: every record there now is new. */
		st->sel_have_last = 0;
		changed = 1;
	}
	st->sel_erase = erase;
	id = 0x0000;
	if (st->sel_have_last) {
		r = ipmi_sel_get(st->ipmi, st->sel_last, &e, &next);
		if (r == -ENOENT) {
			st->sel_have_last = 0;
			next = 0x0000;
		} else if (r < 0) {
			sel_off(ctx, st, "Get SEL Entry", r);
			return;
		}
		id = next;
	}
	/* A bounded walk per collection: a flooded SEL catches up over a
	 * few intervals instead of stalling this one. */
	for (int i = 0; i < 256 && id != 0xFFFF; i++) {
		char comp[64], msg[256];
		enum cp_severity sev;
		const char *after;

		r = ipmi_sel_get(st->ipmi, id, &e, &next);
		if (r == -ENOENT && id == 0x0000)
			break; /* empty SEL */
		if (r < 0) {
			sel_off(ctx, st, "Get SEL Entry", r);
			break;
		}
		st->sel_last = e.id;
		st->sel_have_last = 1;
		changed = 1;
		if (report && sel_describe(&e, comp, sizeof(comp), msg,
		                  sizeof(msg), &sev, &after)) {
			struct cp_event ev = {
			    .kind = "hotswap",
			    .component = comp,
			    .severity = sev,
			    .after = after,
			    .message = msg,
			};
			cp_event(ctx, &ev);
		}
		id = next;
	}
	if (changed)
		sel_save(ctx, st);
}

static void
sel_open(struct cp_ctx *ctx, struct hs_state *st)
{
	if (st->ipmi_mode == 0)
		return;
	st->ipmi = ipmi_open(st->ipmi_path);
	if (st->ipmi)
		return;
	/* No BMC (no ipmi_devintf, a VM): normal unless asked for. */
	if (st->ipmi_mode == 1 || errno != ENOENT)
		cp_log_warn(ctx, "IPMI: %s", st->ipmi_path);
	else
		cp_log_debug(ctx, "IPMI: no %s: no SEL", st->ipmi_path);
}

static int
hs_start(struct cp_ctx *ctx, void *arg)
{
	struct hs_state *st = arg;

	st->ctx = ctx;
	if (st->use_uevent)
		open_uevent(ctx, st);
	sel_open(ctx, st);
	/* The start inventory: compared with the stored one, it reports
	 * what changed while the agent was not running. */
	pthread_mutex_lock(&st->lock);
	rescan(ctx, st, " (while the agent was not running)");
	pthread_mutex_unlock(&st->lock);
	return 0;
}

static void
emit(struct cp_ctx *ctx, const char *metric, const char *help,
    enum cp_kind kind, const struct cp_label *l, size_t nl, double v)
{
	struct cp_sample s = {
	    .metric = metric,
	    .help = help,
	    .labels = l,
	    .nlabels = nl,
	    .kind = kind,
	    .value = v,
	    .counter = (uint64_t)v,
	};

	cp_emit(ctx, &s);
}

static int
hs_collect(struct cp_ctx *ctx, void *arg)
{
	struct hs_state *st = arg;
	uint64_t ue, bad, ov;

	pthread_mutex_lock(&st->lock);
	rescan(ctx, st, "");
	for (size_t k = 0; k < NKINDS; k++) {
		size_t n = 0;
		struct cp_label l = {"kind", kinds[k].kind};

		if (!st->enabled[k])
			continue;
		for (size_t i = 0; i < st->prev[k].n; i++)
			n += present(&st->prev[k].v[i]);
		emit(ctx, "hotswap_present", "Devices present, by kind",
		    CP_GAUGE, &l, 1, (double)n);
	}
	ue = st->uevents;
	bad = st->uevents_bad;
	ov = st->overflows;
	pthread_mutex_unlock(&st->lock);
	if (st->ipmi) {
		sel_poll(ctx, st);
		if (st->ipmi)
			emit(ctx, "hotswap_sel_entries",
			    "Records in the BMC's System Event Log", CP_GAUGE,
			    NULL, 0, (double)st->sel_entries);
	}
	if (st->watching) {
		emit(ctx, "hotswap_uevents_total", "Kernel uevents received",
		    CP_COUNTER64, NULL, 0, (double)ue);
		emit(ctx, "hotswap_uevents_malformed_total",
		    "Uevents that failed to parse", CP_COUNTER64, NULL, 0,
		    (double)bad);
		emit(ctx, "hotswap_uevent_overflows_total",
		    "Times the kernel dropped uevents (socket buffer full)",
		    CP_COUNTER64, NULL, 0, (double)ov);
	}
	return 0;
}

CP_EXPORT const struct cp_collector cp_collector = {
    .abi = CP_ABI_VERSION,
    .name = "hotswap",
    .configure = hs_configure,
    .start = hs_start,
    .collect = hs_collect,
    .stop = hs_stop,
};
