/* SPDX-License-Identifier: MIT */
/*
 * The SNMP poller engine shared by the snmp_* collectors: one thread polls
 * many devices at once with net-snmp's asynchronous single-session API
 * (one session per device, at most one request in flight per device, a cap
 * on devices in a poll at once). A poll is a GET of some scalars followed
 * by walk groups: several table columns walked side by side with GETBULK
 * (GETNEXT for v1 and as the fallback when a bulk walk times out or
 * loops). Per-request timeout with retries and backoff, a whole-run
 * deadline; partial results are kept and unfinished columns reported.
 */
#ifndef CHOKEPOINT_SNMP_ENGINE_H
#define CHOKEPOINT_SNMP_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "collectors/snmp/devcfg.h"
#include "plugin.h"

#define SE_OID_MAX 32

/* Value kinds (stable, independent of ASN.1 tags). */
enum sv_kind {
	SV_NONE = 0,  /* not fetched (timeout, not asked) */
	SV_ABSENT,    /* noSuchObject / noSuchInstance / endOfMibView */
	SV_INT,       /* INTEGER (.i) */
	SV_COUNTER32, /* .u */
	SV_GAUGE32,   /* Gauge32 / Unsigned32, .u */
	SV_TICKS,     /* TimeTicks, .u (1/100 s) */
	SV_COUNTER64, /* .u */
	SV_STR,       /* OCTET STRING / Opaque: .s (NUL added), .len */
	SV_OID,       /* .s dotted */
	SV_IPADDR,    /* .s dotted quad */
	SV_OTHER,
};

struct sv {
	uint8_t kind;
	uint32_t len;
	uint64_t u;
	int64_t i;
	char *s;
	int64_t t_ms; /* wall time the response carrying it arrived */
};

/* Numeric value of any integer kind; 0 or -1 (wrong type / absent). */
int sv_num(const struct sv *v, uint64_t *out);
/* String (SV_STR/OID/IPADDR) made printable; "" when absent; heap. */
char *sv_text(const struct sv *v);

struct se_row {
	uint32_t idx; /* the single sub-identifier after the column */
	struct sv v;
};

enum se_col_state { SE_COL_ACTIVE = 0, SE_COL_DONE, SE_COL_FAILED };

struct se_col {
	unsigned long base[SE_OID_MAX];
	size_t base_len;
	const char *name; /* for messages, e.g. "ifHCInOctets" */
	unsigned long cur[SE_OID_MAX];
	size_t cur_len;
	int state;
	int loops;
	struct se_row *rows;
	size_t nrows, cap;
};

struct se_walk {
	const char *name;
	struct se_col *cols;
	size_t ncols, cap;
	int skip;         /* set by the plugin: not this poll */
	int getnext;      /* fallen back to GETNEXT this poll */
	int done;         /* every column finished (done or failed) */
	size_t hint_rows; /* rows seen last time: sizes max-repetitions */
};

struct se_scalar {
	unsigned long oid[SE_OID_MAX];
	size_t len;
	struct sv v;
};

struct se_dev;
/*
 * Called when the scalars arrived (device up), before the walks: the
 * plugin may set walks' skip flags from what the scalars say.
 */
typedef void (*se_scalars_cb)(struct se_dev *d, void *arg);

/* What one device is asked, and what it answered (reset every poll). */
struct se_poll {
	struct se_scalar *scalars;
	size_t nscalars;
	struct se_walk *walks;
	size_t nwalks;
	se_scalars_cb on_scalars;
	void *arg;
	/* results */
	int up;           /* answered the scalar GET */
	int complete;     /* every walk finished without failure */
	char reason[256]; /* why down / what is missing */
	int64_t start_ms; /* wall clock */
	double seconds;   /* duration */
	unsigned requests, timeouts, errors;
};

struct se;

/* max_inflight: devices polled at once (>= 1). */
struct se *se_new(struct cp_ctx *ctx, int max_inflight);
void se_free(struct se *e); /* closes every session; takes NULL */

/* Add a device (cfg borrowed; must outlive the engine). */
struct se_dev *se_dev_add(struct se *e, const struct sdev_cfg *cfg);
const struct sdev_cfg *se_dev_cfg(const struct se_dev *d);
struct se_poll *se_dev_poll(struct se_dev *d);
/* Totals since start: requests, timeouts, errors. */
void se_dev_totals(
    const struct se_dev *d, uint64_t *req, uint64_t *tmo, uint64_t *err);
/* The device was down at its last poll (probed with fewer retries). */
int se_dev_down(const struct se_dev *d);

/* Building a poll. OIDs are numeric strings ("1.3.6.1.2.1.1.3.0").
 * Return the index of the new item. */
size_t se_poll_scalar(struct se_poll *p, const char *oid);
size_t se_poll_walk(struct se_poll *p, const char *name);
size_t se_walk_col(
    struct se_poll *p, size_t walk, const char *name, const char *oid);

/* Parse a dotted OID; returns its length or 0 if invalid. */
size_t se_oid_parse(const char *s, unsigned long *out, size_t max);

/*
 * Poll devs[0..n) concurrently until each finished or deadline_ns
 * (monotonic) passed. Results are in each device's se_poll.
 */
void se_run(struct se *e, struct se_dev **devs, size_t n, int64_t deadline_ns);

/* Row lookup in a finished column (rows are in index order). */
const struct sv *se_col_get(const struct se_col *c, uint32_t idx);

/* net-snmp library init without MIBs, config files or persistence. */
void se_lib_init(void);

#endif
