// SPDX-License-Identifier: MIT
/*
 * Fixed-size flow table: a pool of entries allocated once (so a flood of
 * new connections cannot grow memory), chained hashing on a hash that is
 * the same from both directions, and an LRU list for eviction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowtab.h"

struct flowtab {
	struct flow *pool;
	struct flow *free_list; /* through hnext */
	struct flow **buckets;
	size_t nbuckets; /* power of two */
	size_t cap, count;
	struct flow *lru_head, *lru_tail;
	uint64_t evictions;
	size_t memory;
};

static void *
ft_calloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (p == NULL) {
		fputs("chokepoint: pcap: out of memory\n", stderr);
		abort();
	}
	return p;
}

static inline int
addr_eq(const uint8_t *a, const uint8_t *b)
{
	uint64_t x[2], y[2];

	memcpy(x, a, 16);
	memcpy(y, b, 16);
	return ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
}

static uint64_t
mix64(uint64_t x)
{
	/* splitmix64 finaliser: cheap, and every input bit reaches the
	 * bucket index. */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

static uint64_t
endpoint_hash(const uint8_t *a, uint16_t port)
{
	uint64_t lo, hi;

	memcpy(&lo, a, 8);
	memcpy(&hi, a + 8, 8);
	return mix64(lo ^ mix64(hi ^ port));
}

/* The sum is the same whichever side sent the packet. */
static uint64_t
flow_hash(
    uint8_t af, const uint8_t *a, uint16_t ap, const uint8_t *b, uint16_t bp)
{
	return (endpoint_hash(a, ap) + endpoint_hash(b, bp)) ^ af;
}

struct flowtab *
flowtab_new(size_t mem_bytes)
{
	struct flowtab *ft = ft_calloc(1, sizeof(*ft));
	size_t per = sizeof(struct flow) + sizeof(struct flow *), i;

	ft->cap = mem_bytes / per;
	if (ft->cap < 16)
		ft->cap = 16;
	ft->nbuckets = 1;
	while (ft->nbuckets < ft->cap)
		ft->nbuckets <<= 1;
	/* Rounding the buckets up to a power of two must not break the
	 * cap: give the difference back in flows (load factor stays <= 1). */
	if (ft->cap * sizeof(struct flow) +
	            ft->nbuckets * sizeof(struct flow *) >
	        mem_bytes &&
	    mem_bytes >
	        ft->nbuckets * sizeof(struct flow *) + 16 * sizeof(struct flow))
		ft->cap = (mem_bytes - ft->nbuckets * sizeof(struct flow *)) /
		          sizeof(struct flow);
	/* calloc: pages of the pool are touched only as flows use them. */
	ft->pool = ft_calloc(ft->cap, sizeof(struct flow));
	ft->buckets = ft_calloc(ft->nbuckets, sizeof(struct flow *));
	for (i = ft->cap; i-- > 0;) {
		ft->pool[i].hnext = ft->free_list;
		ft->free_list = &ft->pool[i];
	}
	ft->memory = ft->cap * sizeof(struct flow) +
	             ft->nbuckets * sizeof(struct flow *);
	return ft;
}

void
flowtab_free(struct flowtab *ft)
{
	if (ft == NULL)
		return;
	free(ft->pool);
	free(ft->buckets);
	free(ft);
}

static void
lru_unlink(struct flowtab *ft, struct flow *f)
{
	if (f->lprev)
		f->lprev->lnext = f->lnext;
	else
		ft->lru_head = f->lnext;
	if (f->lnext)
		f->lnext->lprev = f->lprev;
	else
		ft->lru_tail = f->lprev;
	f->lprev = f->lnext = NULL;
}

static void
lru_push(struct flowtab *ft, struct flow *f)
{
	f->lprev = NULL;
	f->lnext = ft->lru_head;
	if (ft->lru_head)
		ft->lru_head->lprev = f;
	ft->lru_head = f;
	if (ft->lru_tail == NULL)
		ft->lru_tail = f;
}

struct flow *
flowtab_lookup(struct flowtab *ft, uint8_t af, const uint8_t *src,
    uint16_t sport, const uint8_t *dst, uint16_t dport, int *dir)
{
	uint64_t h = flow_hash(af, src, sport, dst, dport);
	struct flow *f;

	for (f = ft->buckets[h & (ft->nbuckets - 1)]; f; f = f->hnext) {
		if (f->hash != h || f->af != af)
			continue;
		if (f->port[0] == sport && f->port[1] == dport &&
		    addr_eq(f->addr[0], src) && addr_eq(f->addr[1], dst))
			*dir = 0;
		else if (f->port[1] == sport && f->port[0] == dport &&
		         addr_eq(f->addr[1], src) && addr_eq(f->addr[0], dst))
			*dir = 1;
		else
			continue;
		if (ft->lru_head != f) {
			lru_unlink(ft, f);
			lru_push(ft, f);
		}
		return f;
	}
	return NULL;
}

void
flowtab_remove(struct flowtab *ft, struct flow *f)
{
	struct flow **pp = &ft->buckets[f->hash & (ft->nbuckets - 1)];

	while (*pp != f)
		pp = &(*pp)->hnext;
	*pp = f->hnext;
	lru_unlink(ft, f);
	f->hnext = ft->free_list;
	ft->free_list = f;
	ft->count--;
}

struct flow *
flowtab_insert(struct flowtab *ft, uint8_t af, const uint8_t *client,
    uint16_t cport, const uint8_t *server, uint16_t sport)
{
	struct flow *f, **b;

	if (ft->free_list == NULL) {
		flowtab_remove(ft, ft->lru_tail);
		ft->evictions++;
	}
	f = ft->free_list;
	ft->free_list = f->hnext;
	memset(f, 0, sizeof(*f));
	f->af = af;
	memcpy(f->addr[0], client, 16);
	memcpy(f->addr[1], server, 16);
	f->port[0] = cport;
	f->port[1] = sport;
	f->hash = flow_hash(af, client, cport, server, sport);
	b = &ft->buckets[f->hash & (ft->nbuckets - 1)];
	f->hnext = *b;
	*b = f;
	lru_push(ft, f);
	ft->count++;
	return f;
}

struct flow *
flowtab_oldest(const struct flowtab *ft)
{
	return ft->lru_tail;
}

struct flow *
flowtab_next(const struct flowtab *ft, const struct flow *f)
{
	return f ? f->lnext : ft->lru_head;
}

size_t
flowtab_count(const struct flowtab *ft)
{
	return ft->count;
}

size_t
flowtab_capacity(const struct flowtab *ft)
{
	return ft->cap;
}

uint64_t
flowtab_evictions(const struct flowtab *ft)
{
	return ft->evictions;
}

size_t
flowtab_memory(const struct flowtab *ft)
{
	return ft->memory;
}
