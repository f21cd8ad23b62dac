/*
 * A small allocator over one fixed region of memory (the secret heap's
 * arena). It never calls malloc, keeps its free lists inside the region and
 * its bookkeeping in one struct, and does no locking: the caller serialises.
 */
#ifndef SECHEAP_ARENA_H
#define SECHEAP_ARENA_H

#include <stddef.h>
#include <stdint.h>

#define ARENA_ALIGN 16
#define ARENA_BINS 160

struct arena {
	unsigned char *base; /* ARENA_ALIGN-aligned */
	size_t size;         /* bytes from base */
	size_t top;          /* chunks occupy [base, base+top); the rest is untouched */
	size_t used;         /* bytes in chunks handed out, headers included */
	size_t peak;         /* the largest top seen */
	void *bins[ARENA_BINS];
	uint64_t nonempty[(ARENA_BINS + 63) / 64];
};

/* arena_init makes region [base, base+size) an empty arena. */
void arena_init(struct arena *a, void *base, size_t size);

/*
 * arena_extent is the number of bytes from base that hold the arena's state:
 * every chunk, and the header above the top that names the last chunk.
 */
size_t arena_extent(const struct arena *a);

/*
 * arena_grow extends the arena's region to size bytes from base (more than
 * its size; the memory past the old end is zero).
 */
void arena_grow(struct arena *a, size_t size);

/* arena_contains says whether p points into the arena's region. */
int arena_contains(const struct arena *a, const void *p);

/*
 * arena_alloc returns n bytes aligned to ARENA_ALIGN, or NULL when n is 0 or
 * the arena has no room for it.
 */
void *arena_alloc(struct arena *a, size_t n);

/*
 * arena_free zeroes and releases p, which arena_alloc returned. It returns -1
 * for a pointer that is not a live allocation (a double free), 0 otherwise.
 */
int arena_free(struct arena *a, void *p);

/*
 * arena_realloc resizes p to n bytes (n > 0, p live), in place when it can.
 * It returns NULL, leaving p as it was, when the arena has no room.
 */
void *arena_realloc(struct arena *a, void *p, size_t n);

/* arena_usable is the number of bytes the caller may use at live p. */
size_t arena_usable(const struct arena *a, const void *p);

/*
 * arena_check walks every chunk and free list and returns 0 when the arena
 * is consistent, -1 otherwise (for tests).
 */
int arena_check(const struct arena *a);

#endif
