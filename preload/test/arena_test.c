/*
 * arena_test: random allocations, reallocations and frees against the secret
 * heap's allocator, checking after every step that its structure holds, that
 * live blocks keep their contents and do not overlap, and at the end that
 * freeing everything leaves the region all zero. The arena starts at an
 * eighth of its region and grows, doubling, when it is full, as the secret
 * heap does. Exits 0 on success.
 *
 *	arena_test [STEPS [SEED]]
 */
#include "../secheap_arena.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 512
#define REGION (1u << 20)

static unsigned char region[REGION] __attribute__((aligned(64)));
static struct {
	unsigned char *p;
	size_t n;
	unsigned char fill;
} slot[SLOTS];

static unsigned long long rng = 88172645463325252ull;
static unsigned long long rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void fail(const char *what, long step)
{
	fprintf(stderr, "arena_test: %s at step %ld\n", what, step);
	exit(1);
}

static size_t pick_size(void)
{
	switch (rnd() % 8) {
	case 0:
		return 1 + rnd() % 16;
	case 1:
	case 2:
	case 3:
		return 1 + rnd() % 256;
	case 4:
	case 5:
		return 1 + rnd() % 4096;
	case 6:
		return 1 + rnd() % 20000;
	default:
		return 1 + rnd() % 200000;
	}
}

static int intact(int i)
{
	for (size_t k = 0; k < slot[i].n; k++)
		if (slot[i].p[k] != (unsigned char)(slot[i].fill + k))
			return 0;
	return 1;
}

static void paint(int i)
{
	for (size_t k = 0; k < slot[i].n; k++)
		slot[i].p[k] = (unsigned char)(slot[i].fill + k);
}

/*
 * grow_at_end grows an arena whose last chunk ends exactly at its end (no
 * header above the top), then frees that chunk after a newer one.
 */
static void grow_at_end(void)
{
	static unsigned char small[8192] __attribute__((aligned(64)));
	struct arena a;
	arena_init(&a, small, 4096);
	unsigned char *first = arena_alloc(&a, 4096 - 16);
	if (!first || a.top != a.size)
		fail("filling a small arena", 0);
	arena_grow(&a, sizeof small);
	unsigned char *second = arena_alloc(&a, 100);
	if (!second || arena_check(&a) != 0 || arena_free(&a, first) != 0 || arena_free(&a, second) != 0 ||
	    arena_check(&a) != 0 || a.top != 0)
		fail("growing an arena filled to its end", 0);
}

int main(int argc, char **argv)
{
	long steps = argc > 1 ? atol(argv[1]) : 200000;
	if (argc > 2)
		rng = strtoull(argv[2], NULL, 10) | 1;
	struct arena a;
	arena_init(&a, region, sizeof region / 8);
	long full = 0;
	for (long step = 0; step < steps; step++) {
		int i = (int)(rnd() % SLOTS);
		if (slot[i].p && !intact(i))
			fail("contents changed", step);
		unsigned op = (unsigned)(rnd() % 3);
		if (!slot[i].p) {
			size_t n = pick_size();
			unsigned char *p = arena_alloc(&a, n);
			if (!p && a.size < sizeof region) {
				arena_grow(&a, a.size * 2);
				p = arena_alloc(&a, n);
			}
			if (!p) {
				full++;
				continue;
			}
			if ((size_t)p % ARENA_ALIGN || arena_usable(&a, p) < n)
				fail("bad block", step);
			slot[i].p = p, slot[i].n = n, slot[i].fill = (unsigned char)rnd();
			paint(i);
		} else if (op == 0) {
			size_t n = pick_size();
			unsigned char *p = arena_realloc(&a, slot[i].p, n);
			if (!p) {
				full++;
				continue;
			}
			size_t keep = n < slot[i].n ? n : slot[i].n;
			for (size_t k = 0; k < keep; k++)
				if (p[k] != (unsigned char)(slot[i].fill + k))
					fail("realloc lost contents", step);
			slot[i].p = p, slot[i].n = n;
			paint(i);
		} else {
			if (arena_free(&a, slot[i].p) != 0)
				fail("free refused a live block", step);
			if (arena_free(&a, slot[i].p) != -1)
				fail("double free accepted", step);
			slot[i].p = NULL;
		}
		if (arena_check(&a) != 0)
			fail("inconsistent arena", step);
	}
	for (int i = 0; i < SLOTS; i++)
		for (int j = 0; j < SLOTS; j++)
			if (i != j && slot[i].p && slot[j].p && slot[i].p < slot[j].p + slot[j].n &&
			    slot[j].p < slot[i].p + slot[i].n)
				fail("overlapping blocks", steps);
	for (int i = 0; i < SLOTS; i++) {
		if (slot[i].p && (!intact(i) || arena_free(&a, slot[i].p) != 0))
			fail("final free", steps);
		if (arena_check(&a) != 0)
			fail("inconsistent arena after final free", steps);
	}
	if (a.top != 0 || a.used != 0)
		fail("not empty after freeing everything", steps);
	for (size_t k = 0; k < sizeof region; k++)
		if (region[k])
			fail("freed memory not zeroed", steps);
	if (arena_alloc(&a, 0) || arena_alloc(&a, sizeof region) || !arena_alloc(&a, sizeof region - 16))
		fail("edge sizes", steps);
	grow_at_end();
	printf("arena_test: %ld steps, %ld refused for room, peak %zu of %zu bytes\n", steps, full, a.peak, a.size);
	return 0;
}
