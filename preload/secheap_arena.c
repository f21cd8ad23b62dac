/*
 * The secret heap's allocator: boundary-tagged chunks carved from the bottom
 * of the region, free chunks kept in size-segregated lists and merged with
 * free neighbours, freed memory zeroed at once.
 *
 * A chunk is a 16-byte header (the size of the chunk before it, and its own
 * size with an in-use bit) followed by its payload; a free chunk keeps its
 * list links in its payload. Chunks tile [base, base+top). The region above
 * top is zero but for a header at top whose prev_size names the last chunk,
 * so that the last chunk can grow or be freed back into the top.
 */
#include "secheap_arena.h"

#include <string.h>

#define HDR 16
#define MIN_CHUNK 32
#define INUSE ((size_t)1)
#define SMALL_LIMIT 1024 /* chunks below this have a list per exact size */

struct chunk {
	size_t prev_size;
	size_t head; /* size | INUSE */
	struct chunk *next, *prev; /* while free */
};

static size_t csize(const struct chunk *c) { return c->head & ~INUSE; }
static int inuse(const struct chunk *c) { return (c->head & INUSE) != 0; }
static unsigned char *end_of_top(const struct arena *a) { return a->base + a->top; }

static struct chunk *at(const struct arena *a, size_t off)
{
	return (struct chunk *)(void *)(a->base + off);
}

static struct chunk *next_chunk(const struct chunk *c)
{
	return (struct chunk *)(void *)((unsigned char *)c + csize(c));
}

/* set_prev records sz as prev_size of whatever header begins at p, if any. */
static void set_prev(struct arena *a, void *p, size_t sz)
{
	if ((unsigned char *)p + HDR <= a->base + a->size)
		((struct chunk *)p)->prev_size = sz;
}

static unsigned bin_index(size_t sz)
{
	if (sz < SMALL_LIMIT)
		return (unsigned)(sz / HDR);
	unsigned log = 63 - (unsigned)__builtin_clzll((unsigned long long)sz);
	unsigned idx = SMALL_LIMIT / HDR + (log - 10) * 4 + (unsigned)((sz >> (log - 2)) & 3);
	return idx < ARENA_BINS ? idx : ARENA_BINS - 1;
}

static void bin_insert(struct arena *a, struct chunk *c)
{
	unsigned i = bin_index(csize(c));
	struct chunk *head = a->bins[i];
	c->prev = NULL;
	c->next = head;
	if (head)
		head->prev = c;
	a->bins[i] = c;
	a->nonempty[i / 64] |= (uint64_t)1 << (i % 64);
}

static void bin_remove(struct arena *a, struct chunk *c)
{
	unsigned i = bin_index(csize(c));
	if (c->prev)
		c->prev->next = c->next;
	else
		a->bins[i] = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (!a->bins[i])
		a->nonempty[i / 64] &= ~((uint64_t)1 << (i % 64));
	c->next = c->prev = NULL;
}

/* first_bin returns the first non-empty list at or above i, or ARENA_BINS. */
static unsigned first_bin(const struct arena *a, unsigned i)
{
	while (i < ARENA_BINS) {
		uint64_t w = a->nonempty[i / 64] >> (i % 64);
		if (w)
			return i + (unsigned)__builtin_ctzll(w);
		i = (i / 64 + 1) * 64;
	}
	return ARENA_BINS;
}

void arena_init(struct arena *a, void *base, size_t size)
{
	memset(a, 0, sizeof *a);
	a->base = base;
	a->size = size & ~(size_t)(ARENA_ALIGN - 1);
	set_prev(a, a->base, 0);
}

size_t arena_extent(const struct arena *a)
{
	return a->size - a->top < HDR ? a->size : a->top + HDR;
}

void arena_grow(struct arena *a, size_t size)
{
	size_t last = 0; /* the size of the chunk below the top */
	if (a->size - a->top < HDR) {
		/* The top is the end: it had no header. */
		for (size_t off = 0; off < a->top; off += last)
			last = csize(at(a, off));
	} else {
		last = at(a, a->top)->prev_size;
	}
	a->size = size & ~(size_t)(ARENA_ALIGN - 1);
	set_prev(a, end_of_top(a), last);
}

int arena_contains(const struct arena *a, const void *p)
{
	const unsigned char *b = p;
	return b >= a->base && b < a->base + a->size;
}

/* chunk_need is the chunk size for n bytes, or 0 if it cannot fit at all. */
static size_t chunk_need(const struct arena *a, size_t n)
{
	if (n == 0 || n > a->size)
		return 0;
	size_t need = (n + HDR + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	return need < MIN_CHUNK ? MIN_CHUNK : need;
}

/*
 * release puts the free chunk c (not in a list, payload zeroed) back: merged
 * with free neighbours, into the top or into a list.
 */
static void release(struct arena *a, struct chunk *c)
{
	size_t sz = csize(c);
	if (c->prev_size) {
		struct chunk *p = (struct chunk *)(void *)((unsigned char *)c - c->prev_size);
		if (!inuse(p)) {
			bin_remove(a, p);
			sz += csize(p);
			memset(c, 0, HDR);
			c = p;
			c->next = c->prev = NULL;
		}
	}
	struct chunk *n = (struct chunk *)(void *)((unsigned char *)c + sz);
	if ((unsigned char *)n == end_of_top(a)) {
		/* Into the top: c's header becomes the top header. */
		c->head = 0;
		c->next = c->prev = NULL;
		if ((unsigned char *)n + HDR <= a->base + a->size)
			memset(n, 0, HDR);
		a->top = (size_t)((unsigned char *)c - a->base);
		return;
	}
	if (!inuse(n)) {
		bin_remove(a, n);
		sz += csize(n);
		memset(n, 0, sizeof *n);
	}
	c->head = sz;
	set_prev(a, (unsigned char *)c + sz, sz);
	bin_insert(a, c);
}

/* split trims the in-use chunk c to need bytes, releasing the rest. */
static void split(struct arena *a, struct chunk *c, size_t need)
{
	size_t sz = csize(c);
	if (sz - need < MIN_CHUNK)
		return;
	c->head = need | INUSE;
	struct chunk *r = (struct chunk *)(void *)((unsigned char *)c + need);
	r->prev_size = need;
	r->head = sz - need;
	r->next = r->prev = NULL;
	set_prev(a, (unsigned char *)r + (sz - need), sz - need);
	release(a, r);
}

/* carve takes the chunk for need bytes from the lists or the top. */
static struct chunk *carve(struct arena *a, size_t need)
{
	unsigned i = bin_index(need);
	if (i >= SMALL_LIMIT / HDR) {
		/* A list of a range of sizes: some may be too small. */
		for (struct chunk *c = a->bins[i]; c; c = c->next)
			if (csize(c) >= need) {
				bin_remove(a, c);
				return c;
			}
		i++;
	}
	i = first_bin(a, i);
	if (i < ARENA_BINS) {
		struct chunk *c = a->bins[i];
		bin_remove(a, c);
		return c;
	}
	if (a->size - a->top < need)
		return NULL;
	struct chunk *c = at(a, a->top);
	c->head = need;
	a->top += need;
	if (a->top > a->peak)
		a->peak = a->top;
	set_prev(a, end_of_top(a), need);
	return c;
}

void *arena_alloc(struct arena *a, size_t n)
{
	size_t need = chunk_need(a, n);
	if (!need)
		return NULL;
	struct chunk *c = carve(a, need);
	if (!c)
		return NULL;
	c->head |= INUSE;
	c->next = c->prev = NULL;
	split(a, c, need);
	a->used += csize(c);
	return (unsigned char *)c + HDR;
}

/* live returns the chunk of p if p is a live allocation, else NULL. */
static struct chunk *live(const struct arena *a, const void *p)
{
	const unsigned char *b = p;
	if (b < a->base + HDR || b >= end_of_top(a) || ((uintptr_t)b & (ARENA_ALIGN - 1)))
		return NULL;
	struct chunk *c = (struct chunk *)(void *)(b - HDR);
	size_t sz = csize(c);
	if (!inuse(c) || sz < MIN_CHUNK || sz & (ARENA_ALIGN - 1) ||
	    sz > (size_t)(end_of_top(a) - (unsigned char *)c))
		return NULL;
	if ((unsigned char *)c + sz < end_of_top(a) && next_chunk(c)->prev_size != sz)
		return NULL;
	return c;
}

int arena_free(struct arena *a, void *p)
{
	struct chunk *c = live(a, p);
	if (!c)
		return -1;
	size_t sz = csize(c);
	a->used -= sz;
	memset((unsigned char *)c + HDR, 0, sz - HDR);
	c->head = sz;
	release(a, c);
	return 0;
}

size_t arena_usable(const struct arena *a, const void *p)
{
	struct chunk *c = live(a, p);
	return c ? csize(c) - HDR : 0;
}

void *arena_realloc(struct arena *a, void *p, size_t n)
{
	struct chunk *c = live(a, p);
	size_t need = chunk_need(a, n);
	if (!c || !need)
		return NULL;
	size_t sz = csize(c);
	if (need > sz) {
		struct chunk *n2 = next_chunk(c);
		if ((unsigned char *)n2 == end_of_top(a) && a->size - a->top >= need - sz) {
			/* Grow into the top. */
			memset(n2, 0, HDR);
			c->head = need | INUSE;
			a->top += need - sz;
			if (a->top > a->peak)
				a->peak = a->top;
			set_prev(a, end_of_top(a), need);
		} else if ((unsigned char *)n2 < end_of_top(a) && !inuse(n2) && sz + csize(n2) >= need) {
			/* Grow into the free chunk after it. */
			size_t nsz = csize(n2);
			bin_remove(a, n2);
			memset(n2, 0, sizeof *n2);
			c->head = (sz + nsz) | INUSE;
			set_prev(a, (unsigned char *)c + sz + nsz, sz + nsz);
		} else {
			void *q = arena_alloc(a, n);
			if (!q)
				return NULL;
			memcpy(q, p, sz - HDR);
			arena_free(a, p);
			return q;
		}
	}
	if (need < sz) /* what is cut off is zeroed, as a free would */
		memset((unsigned char *)c + need, 0, sz - need);
	split(a, c, need);
	a->used += csize(c) - sz;
	return p;
}

int arena_check(const struct arena *a)
{
	size_t off = 0, prev = 0, used = 0, nfree = 0;
	int prev_free = 0;
	while (off < a->top) {
		const struct chunk *c = at(a, off);
		size_t sz = csize(c);
		if (c->prev_size != prev || sz < MIN_CHUNK || sz % ARENA_ALIGN || sz > a->top - off)
			return -1;
		if (!inuse(c)) {
			if (prev_free)
				return -1; /* two free neighbours */
			nfree++;
		} else {
			used += sz;
		}
		prev_free = !inuse(c);
		prev = sz;
		off += sz;
	}
	if (off != a->top || prev_free || used != a->used || a->top > a->peak)
		return -1;
	if (a->top + HDR <= a->size && at(a, a->top)->prev_size != prev)
		return -1;
	for (unsigned i = 0; i < ARENA_BINS; i++) {
		int bit = (a->nonempty[i / 64] >> (i % 64)) & 1;
		if (bit != (a->bins[i] != NULL))
			return -1;
		const struct chunk *back = NULL;
		for (const struct chunk *c = a->bins[i]; c; c = c->next) {
			if (inuse(c) || bin_index(csize(c)) != i || c->prev != back ||
			    !arena_contains(a, c) || nfree == 0)
				return -1;
			nfree--;
			back = c;
		}
	}
	return nfree == 0 ? 0 : -1;
}
