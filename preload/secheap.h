/*
 * The OpenSSL secret heap (secretcat --openssl-secret-heap): every
 * allocation OpenSSL makes in the program, keys, PEM and DER buffers, bignum
 * contexts, session secrets, is served from one memfd_secret(2) mapping,
 * the arena, by the allocator of secheap_arena.c.
 *
 * secheap_mem.c owns the arena: it maps it on first use, serialises the
 * allocator, and gives every forked child its own copy (see there).
 * secheap_openssl.c finds libcrypto and routes its allocations here.
 */
#ifndef SECRETCAT_SECHEAP_H
#define SECRETCAT_SECHEAP_H

#include <stddef.h>

/* The environment variable secretcat sets to the arena's size in bytes. */
#define SC_HEAP_ENV "SECRETCAT_PRELOAD_SECRET_HEAP"

/* Exit statuses when the heap cannot be had, as secretcat's own. */
#define SC_HEAP_EXIT_FAILURE 1
#define SC_HEAP_EXIT_UNAVAILABLE 5
#define SC_HEAP_EXIT_MEMLOCK 6

/*
 * sc_heap_init routes OpenSSL's allocations to the secret heap when
 * SC_HEAP_ENV asks for it; the library's constructor calls it. When it cannot
 * keep that promise it says why and ends the process.
 */
void sc_heap_init(void);

/* secheap_mem.c: the arena, with OpenSSL's allocation signatures. */
int sc_heap_configure(size_t size);
void *sc_heap_malloc(size_t n, const char *file, int line);
void *sc_heap_realloc(void *p, size_t n, const char *file, int line);
void sc_heap_free(void *p, const char *file, int line);
/* sc_heap_touched says whether this process has allocated from the heap. */
int sc_heap_touched(void);

/*
 * secheap_grow.c: the address range the arena may grow in, secret files,
 * and how far the arena may grow now.
 */
#define SC_HEAP_RESERVE ((size_t)1 << 30)
int sc_heap_secret_file(size_t size);
void *sc_heap_reserve(size_t initial);
int sc_heap_extend(void *at, size_t add);
int sc_heap_in_reserve(const void *p);
size_t sc_heap_room(void);

/* secheap_mem.c: the fork handlers; secheap_atfork.c registers them first. */
void sc_heap_prepare(void);
void sc_heap_parent(void);
void sc_heap_child(void);
int sc_heap_atfork(void);

/*
 * secheap_freeze.c: makes [base, base+size) read-only until the thaw, other
 * threads' writes waiting meanwhile; sc_heap_thaw_child ends it in the
 * child, whose arena has been replaced.
 */
int sc_heap_freeze(void *base, size_t size);
void sc_heap_thaw(void);
void sc_heap_thaw_child(void);

/*
 * say.c: writes "secretcat: PROGRAM[PID]: " and the parts (up to a
 * NULL) to standard error, without allocating and keeping errno; and the
 * same, then ends the process with status.
 */
void sc_heap_say(const char *part, ...) __attribute__((sentinel));
void sc_heap_die(int status, const char *part, ...) __attribute__((sentinel, noreturn));

/* sc_heap_num formats n in decimal into buf (24 bytes) and returns it. */
const char *sc_heap_num(char *buf, unsigned long long n);

#endif
