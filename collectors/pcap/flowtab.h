/* SPDX-License-Identifier: MIT */
/*
 * The flow table of the traffic analyzer: one entry per TCP connection to
 * a service port, found from either direction, kept in least-recently-used
 * order. Its memory is fixed when it is created (a hard cap); when it is
 * full the least recently used flow is evicted and counted.
 */
#ifndef CHOKEPOINT_PCAP_FLOWTAB_H
#define CHOKEPOINT_PCAP_FLOWTAB_H

#include <stddef.h>
#include <stdint.h>

enum flow_state {
	FLOW_SYN_SENT = 1, /* client SYN seen, no SYN-ACK yet */
	FLOW_SYN_RCVD,     /* SYN-ACK seen, waiting for the client's ACK */
	FLOW_ESTABLISHED,  /* handshake seen (or joined mid-stream) */
};

enum flow_app {
	FLOW_APP_UNKNOWN = 0,
	FLOW_APP_HTTP,
	FLOW_APP_POSTGRESQL,
	FLOW_APP_MYSQL,
	FLOW_APP_TLS,
	FLOW_APP_OTHER, /* payload seen, nothing recognised */
};

struct flow {
	struct flow *hnext;         /* hash chain */
	struct flow *lprev, *lnext; /* LRU list, head = most recent */
	uint64_t hash;
	/* Endpoints: [0] the client, [1] the server. */
	uint8_t addr[2][16];
	uint16_t port[2];
	uint8_t af;
	uint8_t state;       /* enum flow_state */
	uint8_t app;         /* enum flow_app */
	uint8_t closed;      /* RST seen, or FIN both ways */
	uint8_t reset;       /* a RST seen (counted once per connection) */
	uint8_t fin;         /* bit d: FIN seen from side d */
	uint8_t have_hi;     /* bit d: hi_end[d] valid */
	uint8_t pending;     /* a request waits for its first response byte */
	uint8_t tls_state;   /* 0, 1 hello seen, 2 client data, 3 done */
	uint8_t syn_counted; /* counted as unanswered already */
	int16_t port_idx;    /* service port index of port[1] */
	uint32_t syn_seq;
	uint32_t hi_end[2]; /* highest sequence end seen per direction */
	int64_t first_ns, last_ns;
	int64_t syn_ns; /* last SYN sent (for the handshake RTT) */
	int64_t req_ns; /* pending request start */
	int64_t tls_ns; /* ClientHello, then first client data */
};

struct flowtab;

/* A table holding as many flows as fit in mem_bytes (at least 16). */
struct flowtab *flowtab_new(size_t mem_bytes);
void flowtab_free(struct flowtab *ft); /* takes NULL */

/*
 * The flow of the packet src:sport -> dst:dport (addresses 16 bytes,
 * IPv4 zero-padded), or NULL. *dir is 0 when src is the client.
 * A found flow becomes the most recently used.
 */
struct flow *flowtab_lookup(struct flowtab *ft, uint8_t af, const uint8_t *src,
    uint16_t sport, const uint8_t *dst, uint16_t dport, int *dir);
/*
 * A new zeroed flow client -> server, most recently used. When the table
 * is full the least recently used flow is evicted first (and counted).
 */
struct flow *flowtab_insert(struct flowtab *ft, uint8_t af,
    const uint8_t *client, uint16_t cport, const uint8_t *server,
    uint16_t sport);
void flowtab_remove(struct flowtab *ft, struct flow *f);
/* Least recently used flow, or NULL when empty. */
struct flow *flowtab_oldest(const struct flowtab *ft);
/* From most to least recently used: next after f (NULL: the first). */
struct flow *flowtab_next(const struct flowtab *ft, const struct flow *f);

size_t flowtab_count(const struct flowtab *ft);
size_t flowtab_capacity(const struct flowtab *ft);
uint64_t flowtab_evictions(const struct flowtab *ft);
/* Bytes allocated for the table (its hard cap). */
size_t flowtab_memory(const struct flowtab *ft);

#endif
