/* SPDX-License-Identifier: MIT */
/*
 * The collector ABI: everything a collector plugin may use. A collector is a
 * shared object exporting one `struct cp_collector cp_collector`; the agent
 * hands it a context through which it reads its config, emits samples,
 * events and inventory, opens files under the configured procfs/sysfs roots
 * and registers file descriptors with the agent's event loop.
 * A third party builds a collector against this header alone.
 */
#ifndef CHOKEPOINT_PLUGIN_H
#define CHOKEPOINT_PLUGIN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bump on any change to this header that breaks binary compatibility. */
#define CP_ABI_VERSION 1

struct cp_ctx; /* opaque: one collector instance */
struct cp_cfg; /* opaque: a config node (the collector's own mapping) */

/*
 * Lifecycle. configure() validates and keeps what it needs (it may be called
 * by `chokepoint check` without start()); errors go through cp_cfg_error()
 * and make it return a negative value. start() opens resources. collect()
 * runs once per interval in the instance's own worker thread; it must not
 * exit or fork, and should not block for long: a run still going at the next
 * tick makes the agent skip (and count) that tick. stop() frees state and is
 * called even if start() was never called. Callbacks registered with
 * cp_watch_fd() run on the agent's event-loop thread, concurrently with
 * collect(): the collector synchronises its own state.
 */
struct cp_collector {
	int abi;          /* CP_ABI_VERSION */
	const char *name; /* registry key = config key = NAME.so */
	int (*configure)(struct cp_ctx *, const struct cp_cfg *, void **state);
	int (*start)(struct cp_ctx *, void *state);
	int (*collect)(struct cp_ctx *, void *state);
	void (*stop)(void *state); /* frees state */
};

/* ---------------------------------------------------------------- samples */

enum cp_kind {
	CP_GAUGE = 0,     /* value is a level; uses .value */
	CP_COUNTER32 = 1, /* monotonic, wraps at 2^32; uses .counter */
	CP_COUNTER64 = 2, /* monotonic, wraps at 2^64; uses .counter */
};

struct cp_label {
	const char *key;
	const char *value;
};

/*
 * One observation. Counters become rates in the pipeline (per second, times
 * `scale`), with wrap and reset handling: a counter's metric name ends in
 * `_total`, its rate is published under the same name with `_total`
 * replaced by `_per_second` (e.g. disk_read_bytes_total ->
 * disk_read_bytes_per_second). All strings are copied by cp_emit().
 */
struct cp_sample {
	const char *target; /* NULL: the local host */
	const char *metric; /* snake_case with unit, no prefix */
	const char *help;   /* optional: HELP text (static string) */
	const struct cp_label *labels;
	size_t nlabels;
	enum cp_kind kind;
	double value;     /* CP_GAUGE */
	uint64_t counter; /* CP_COUNTER32/64 */
	double scale;     /* counters: rate multiplier (0 means 1) */
	int64_t time_ms;  /* 0: the time of this collection run */
	/*
	 * Counters: set when the source says the counter restarted (device
	 * reboot, ifCounterDiscontinuityTime changed): no rate this time, a new
	 * baseline instead.
	 */
	int discontinuity;
	/*
	 * Counters: the largest believable rate (per second, before scale),
	 * e.g. line rate x margin; a delta above it is dropped and counted.
	 * 0: no limit.
	 */
	double max_rate;
	/*
	 * How often this series is sampled (RRD step, staleness), when it
	 * differs from the instance's interval (e.g. per-device intervals).
	 * 0: cp_interval_ms().
	 */
	int64_t interval_ms;
};

/* Emit one sample. Returns 0 or a negative errno. Thread-safe. */
int cp_emit(struct cp_ctx *, const struct cp_sample *);

/* -------------------------------------------------- events and inventory */

enum cp_severity {
	CP_SEV_INFO = 0,
	CP_SEV_WARNING = 1,
	CP_SEV_CRITICAL = 2,
};

/* Something that happened: a hot-swap, an ECC error, a link flap... */
struct cp_event {
	const char *target;    /* NULL: the local host */
	const char *kind;      /* e.g. "hotswap", "ecc", "link", "firmware" */
	const char *component; /* what it happened to, e.g. "PSU 2", "eth0" */
	enum cp_severity severity;
	const char *before; /* optional */
	const char *after;  /* optional */
	const char *message;
	int64_t time_ms; /* 0: now */
};

/* Store an event (SQLite; kept across restarts). Thread-safe. */
int cp_event(struct cp_ctx *, const struct cp_event *);

/*
 * One inventory item (a FRU, a disk, a firmware component): identified by
 * (target, kind, key), described by attributes.
 */
struct cp_inventory_item {
	const char *key; /* unique within target+kind, e.g. entPhysicalIndex */
	const struct cp_label *attrs;
	size_t nattrs;
};

/*
 * Replace the stored inventory of `kind` on `target` (NULL: local host) with
 * these items, atomically. Returns 0 or a negative errno. Thread-safe.
 */
int cp_inventory_put(struct cp_ctx *, const char *target, const char *kind,
    const struct cp_inventory_item *items, size_t nitems);

/*
 * Read back the stored inventory of `kind` on `target` (NULL: local host) as
 * last put, e.g. to compare a fresh scan with what was there before the
 * agent restarted. cb runs once per item (strings valid during the call)
 * and returns non-zero to stop early. Returns 0, -ENOTSUP when the agent
 * has no store, or a negative errno. Thread-safe. (Additive: a plugin that
 * does not call it works with an agent that lacks it.)
 */
typedef int (*cp_inventory_cb)(const struct cp_inventory_item *item, void *arg);
int cp_inventory_get(struct cp_ctx *, const char *target, const char *kind,
    cp_inventory_cb cb, void *arg);

/*
 * The state of a polled target (an SNMP device), for /api/v1/targets and
 * the dashboard: up or down with the reason, the last poll, and descriptive
 * info (sysDescr, sysName, version...). Replaces the previous status of
 * that target. Thread-safe.
 */
struct cp_target_status {
	const char *target;
	const char *role;   /* core | l2 | web | db | other; NULL: unchanged */
	int up;             /* 1 up, 0 down */
	const char *reason; /* why down (or a warning when up); may be NULL */
	int64_t last_poll_ms;    /* start of the last poll */
	int64_t last_success_ms; /* end of the last complete poll; 0 never */
	double poll_seconds;     /* duration of the last poll */
	const struct cp_label *info; /* e.g. descr, name, object_id, version */
	size_t ninfo;
};
int cp_target_status(struct cp_ctx *, const struct cp_target_status *);

/* ------------------------------------------------------------------ config */

/*
 * Accessors on the collector's config mapping. Each returns 0 when the key is
 * present and valid, -ENOENT when absent (*out untouched: pre-set defaults),
 * or -EINVAL after recording an error that names the node's file:line:col.
 * Keys a collector never asks for are reported as unknown by the agent.
 */
int cp_cfg_str(const struct cp_cfg *, const char *key, const char **out);
int cp_cfg_bool(const struct cp_cfg *, const char *key, int *out);
int cp_cfg_int(const struct cp_cfg *, const char *key, int64_t min, int64_t max,
    int64_t *out);
int cp_cfg_double(const struct cp_cfg *, const char *key, double *out);
/* Durations such as 500ms, 10s, 5m, 1h; result in milliseconds. */
int cp_cfg_duration(const struct cp_cfg *, const char *key, int64_t *ms);
/* A child node (mapping or sequence) or NULL. Marks the key as known. */
const struct cp_cfg *cp_cfg_child(const struct cp_cfg *, const char *key);
/* Sequences: length (0 if not a sequence) and i-th item. */
size_t cp_cfg_seq_len(const struct cp_cfg *);
const struct cp_cfg *cp_cfg_seq_at(const struct cp_cfg *, size_t i);
/* Mappings: number of pairs, i-th key (string) and value. */
size_t cp_cfg_map_len(const struct cp_cfg *);
const char *cp_cfg_map_key(const struct cp_cfg *, size_t i);
const struct cp_cfg *cp_cfg_map_val(const struct cp_cfg *, size_t i);
/* Scalar text of the node itself, or NULL when it is not a scalar. */
const char *cp_cfg_scalar(const struct cp_cfg *);
/* Record an error at this node (file:line:col added by the agent). */
void cp_cfg_error(const struct cp_cfg *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/*
 * A node of the agent's whole config by top-level key (e.g. "devices"), for
 * collectors that serve shared sections; NULL when absent.
 */
const struct cp_cfg *cp_cfg_root(struct cp_ctx *, const char *key);

/* -------------------------------------------------------------- the host */

enum cp_root {
	CP_PROCFS = 0, /* agent.procfs, default /proc */
	CP_SYSFS = 1,  /* agent.sysfs, default /sys */
};

/* fopen() of ROOT/relpath for reading ("re"), NULL with errno set. */
FILE *cp_open(struct cp_ctx *, enum cp_root, const char *relpath);
/* ROOT/relpath written to buf; returns buf, NULL if it does not fit. */
char *cp_path(
    struct cp_ctx *, enum cp_root, const char *relpath, char *buf, size_t size);
/* The local host's target name. */
const char *cp_hostname(struct cp_ctx *);
/* This instance's collection interval in milliseconds. */
int64_t cp_interval_ms(struct cp_ctx *);
/* Wall-clock time in ms of the current (or last) collection run. */
int64_t cp_now_ms(struct cp_ctx *);
/* The agent's data directory (for plugin state files). */
const char *cp_data_dir(struct cp_ctx *);

/* ------------------------------------------------------------- event loop */

#define CP_FD_READ 0x1u
#define CP_FD_WRITE 0x4u

typedef void (*cp_fd_cb)(struct cp_ctx *, int fd, unsigned events, void *arg);

/* Call cb on the loop thread when fd is ready. Returns 0 or -errno. */
int cp_watch_fd(
    struct cp_ctx *, int fd, unsigned events, cp_fd_cb cb, void *arg);
/* Stop watching fd (does not close it). */
void cp_unwatch_fd(struct cp_ctx *, int fd);

/* ---------------------------------------------------------------- logging */

/*
 * Logging with the collector's name prefixed. cp_log_warn() appends
 * strerror(errno). Messages repeating the same text are rate-limited.
 */
void cp_log_info(struct cp_ctx *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void cp_log_warn(struct cp_ctx *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void cp_log_warnx(struct cp_ctx *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void cp_log_debug(struct cp_ctx *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Count an error of this instance (self-metric collector_errors_total). */
void cp_count_error(struct cp_ctx *);

#define CP_EXPORT __attribute__((visibility("default")))

#ifdef __cplusplus
}
#endif
#endif /* CHOKEPOINT_PLUGIN_H */
