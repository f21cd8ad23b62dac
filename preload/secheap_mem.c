/*
 * The secret heap's arena: memfd_secret(2) memory mapped MAP_SHARED (the
 * only way secret memory maps) at the start of a reserved address range on
 * the first allocation, grown there when it is full (secheap_grow.c), with
 * a mutex around the allocator.
 *
 * Fork. A MAP_SHARED mapping is shared with a forked child, so without care
 * parent and child would allocate from, free into and write over the same
 * pages. Each child therefore gets its own copy, made like this:
 *
 *  - prepare (in the parent, just before fork; registered before any other
 *    handler, so it runs after every other prepare handler: see
 *    secheap_atfork.c): take the allocator lock, make the arena read-only
 *    (secheap_freeze.c: other threads' writes into blocks they hold wait
 *    until after the fork), create a new secret file of the arena's size,
 *    map the part of the arena in use (every chunk and the header above
 *    the top), copy it, unmap it. The lock and the freeze hold through
 *    fork, so the copy, the allocator's bookkeeping and the rest of the
 *    child's memory (which fork copies) are all as they were at fork.
 *  - parent (after fork, first): close the copy's descriptor, make the
 *    arena writable again, release the lock.
 *  - child (after fork; runs before every other child handler): map the copy
 *    whole, move that mapping over the arena's address with mremap (one
 *    step: the child never sees a hole), close its descriptor, reset the
 *    lock.
 *
 * The copy is taken before fork because the parent goes on after it:
 * copying the shared pages in the child would race with the parent (a
 * daemonising nginx parent frees everything while it exits). No handler
 * allocates.
 *
 * RLIMIT_MEMLOCK: secret mappings count against it at mmap time, whole. A
 * process needs the arena's size, plus, while it forks, the part in use
 * (the parent holds the copy's mapping while copying); a forked child
 * starts at zero and maps the copy. secretcat checks for twice the first
 * size, and the arena grows up to half of the limit.
 *
 * A fork without its copy (the limit reached, no secret memory) cannot be
 * refused from a handler: the child says so and exits with status 6 or 5
 * before it uses the arena. vfork, posix_spawn and system share the parent's
 * memory until exec by design and run no handlers; a raw clone or _Fork
 * without handlers would share the arena and is not supported.
 *
 * When the arena is full and may not grow, an allocation goes to ordinary
 * memory (libc's malloc), and the first time in each process the library
 * says so on standard error, with the heap's size and how to raise it.
 * Failing the allocation instead would let anyone who opens enough TLS
 * connections at once deny service to all (and some programs loop when
 * OpenSSL cannot allocate); what is already in the arena, the private key
 * loaded at start among it, stays there. Blocks in ordinary memory are
 * zeroed when freed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "secheap.h"
#include "secheap_arena.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct arena arena;      /* arena.base is NULL until the first allocation */
static size_t arena_size;       /* 0: the heap is off */
static int full_reported;
static int grow_err;            /* why the arena could not grow, or 0 */
static _Atomic unsigned long long overflowed; /* bytes given from ordinary memory */
static int snap_fd = -1;        /* the child's copy, between prepare and parent/child */
static int snap_err;

static int status_of(int err)
{
	if (err == EAGAIN || err == ENOMEM)
		return SC_HEAP_EXIT_MEMLOCK;
	if (err == ENOSYS || err == EPERM)
		return SC_HEAP_EXIT_UNAVAILABLE;
	return SC_HEAP_EXIT_FAILURE;
}

static const char *hint_of(int err)
{
	if (err == EAGAIN)
		return " (over the locked-memory limit, RLIMIT_MEMLOCK: raise it with ulimit -l or "
		       "LimitMEMLOCK=, or give a smaller --openssl-secret-heap=SIZE)";
	if (err == ENOMEM)
		return " (over the locked-memory limit, RLIMIT_MEMLOCK, or the address-space limit, "
		       "RLIMIT_AS: raise them (ulimit -l, ulimit -v, LimitMEMLOCK=, LimitAS=, a "
		       "program's own such as dovecot's vsz_limit), or give a smaller "
		       "--openssl-secret-heap=SIZE)";
	if (err == ENOSYS || err == EPERM)
		return " (secret memory is not available here: see secretcat doctor)";
	return "";
}

/* open_arena maps the arena; with the lock held. */
static void open_arena(void)
{
	char kib[24];
	void *p = sc_heap_reserve(arena_size);
	if (p == NULL) {
		int e = errno;
		sc_heap_die(status_of(e), "cannot map the OpenSSL secret heap of ",
			    sc_heap_num(kib, arena_size / 1024), " KiB: ", strerror(e), hint_of(e), NULL);
	}
	arena_init(&arena, p, arena_size);
}

/*
 * grow maps more secret memory after the arena's end, doubling it as far
 * as it may grow, until n more bytes fit above its top; with the lock held.
 * It returns 1 when the arena grew.
 */
static int grow(size_t n)
{
	/* The second growth was last refused in, and the size refused then. */
	static time_t refused_at = -1;
	static size_t refused_n;
	struct timespec now;
	int timed = clock_gettime(CLOCK_MONOTONIC_COARSE, &now) == 0;
	if (timed && now.tv_sec == refused_at && n >= refused_n)
		return 0;
	size_t room = sc_heap_room(), want = arena.size;
	while (want < room && want - arena.top < n + 64) /* 64: a header, alignment */
		want = want < room / 2 ? want * 2 : room;
	int fits = want - arena.top >= n + 64;
	if (fits && sc_heap_extend(arena.base + arena.size, want - arena.size) == 0) {
		arena_grow(&arena, want);
		return 1;
	}
	if (fits)
		grow_err = errno;
	if (timed) {
		refused_at = now.tv_sec;
		refused_n = n;
	}
	return 0;
}

/* report_full says once per process that the arena is full; with the lock held. */
static void report_full(size_t n)
{
	if (full_reported)
		return;
	full_reported = 1;
	char a[24], b[24], c[24], d[24];
	const char *why = grow_err != 0 ? strerror(grow_err) : "it grows up to half of the locked-memory limit, "
		"leaving room for the copy each fork makes";
	sc_heap_say("the OpenSSL secret heap is full (", sc_heap_num(a, arena.size / 1024), " KiB, ",
		    sc_heap_num(b, arena.used / 1024), " KiB in use, ", sc_heap_num(c, n),
		    " bytes asked for) and cannot grow past ", sc_heap_num(d, arena.size / 1024), " KiB (", why,
		    "): OpenSSL's allocations that do not fit now go to ordinary memory; "
		    "raise RLIMIT_MEMLOCK (ulimit -l, LimitMEMLOCK=)", NULL);
}

/* release_ordinary zeroes and frees a block of libc's malloc. */
static void release_ordinary(void *p)
{
	memset(p, 0, malloc_usable_size(p));
	free(p);
}

static void bad_pointer(const char *what)
{
	sc_heap_say(what, " of a pointer the OpenSSL secret heap did not hand out "
		    "(a double free or memory corruption): aborting", NULL);
	abort();
}

void *sc_heap_malloc(size_t n, const char *file, int line)
{
	(void)file, (void)line;
	if (n == 0) /* as OpenSSL's own CRYPTO_malloc */
		return NULL;
	pthread_mutex_lock(&lock);
	if (arena.base == NULL)
		open_arena();
	void *p = arena_alloc(&arena, n);
	if (p == NULL && grow(n))
		p = arena_alloc(&arena, n);
	if (p == NULL)
		report_full(n);
	pthread_mutex_unlock(&lock);
	if (p != NULL)
		return p;
	overflowed += n;
	return malloc(n);
}

void sc_heap_free(void *p, const char *file, int line)
{
	(void)file, (void)line;
	if (p == NULL)
		return;
	if (!sc_heap_in_reserve(p)) {
		/* From malloc: the overflow of a full heap, or memory the program
		 * gave OpenSSL to own. */
		release_ordinary(p);
		return;
	}
	pthread_mutex_lock(&lock);
	int r = arena_free(&arena, p);
	pthread_mutex_unlock(&lock);
	if (r != 0)
		bad_pointer("free");
}

void *sc_heap_realloc(void *p, size_t n, const char *file, int line)
{
	if (p == NULL)
		return sc_heap_malloc(n, file, line);
	if (n == 0) {
		sc_heap_free(p, file, line);
		return NULL;
	}
	if (!sc_heap_in_reserve(p)) {
		/* Ordinary memory stays ordinary, and is zeroed when left. */
		size_t had = malloc_usable_size(p);
		if (n <= had)
			return p;
		overflowed += n;
		void *q = malloc(n);
		if (q != NULL) {
			memcpy(q, p, had);
			release_ordinary(p);
		}
		return q;
	}
	pthread_mutex_lock(&lock);
	size_t had = arena_usable(&arena, p);
	void *q = had != 0 ? arena_realloc(&arena, p, n) : NULL;
	if (had != 0 && q == NULL && grow(n))
		q = arena_realloc(&arena, p, n);
	if (had != 0 && q == NULL)
		report_full(n);
	pthread_mutex_unlock(&lock);
	if (had == 0)
		bad_pointer("realloc");
	if (q != NULL)
		return q;
	overflowed += n;
	if ((q = malloc(n)) != NULL) {
		memcpy(q, p, had < n ? had : n);
		sc_heap_free(p, file, line);
	}
	return q;
}

void sc_heap_prepare(void)
{
	if (arena_size == 0)
		return;
	pthread_mutex_lock(&lock);
	snap_fd = -1;
	snap_err = 0;
	if (arena.base == NULL)
		return;
	if (sc_heap_freeze(arena.base, arena.size) != 0) {
		snap_err = errno;
		return;
	}
	long page = sysconf(_SC_PAGESIZE);
	size_t len = (arena_extent(&arena) + (size_t)page - 1) & ~((size_t)page - 1);
	int fd = sc_heap_secret_file(arena.size);
	if (fd < 0) {
		snap_err = errno;
		return;
	}
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		snap_err = errno;
		close(fd);
		return;
	}
	memcpy(p, arena.base, len);
	munmap(p, len);
	snap_fd = fd;
}

void sc_heap_parent(void)
{
	if (arena_size == 0)
		return;
	if (snap_fd >= 0)
		close(snap_fd);
	snap_fd = -1;
	sc_heap_thaw();
	pthread_mutex_unlock(&lock);
}

void sc_heap_child(void)
{
	if (arena_size == 0)
		return;
	pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
	lock = fresh;
	full_reported = 0;
	if (arena.base == NULL)
		return;
	int e = snap_err;
	if (e == 0) {
		void *p = mmap(NULL, arena.size, PROT_READ | PROT_WRITE, MAP_SHARED, snap_fd, 0);
		if (p != MAP_FAILED && mremap(p, arena.size, arena.size, MREMAP_MAYMOVE | MREMAP_FIXED,
					      arena.base) != MAP_FAILED) {
			close(snap_fd);
			snap_fd = -1;
			sc_heap_thaw_child();
			return;
		}
		e = errno;
	}
	char kib[24];
	sc_heap_die(status_of(e), "cannot give this forked process its own copy of the OpenSSL secret heap (",
		    sc_heap_num(kib, arena.size / 1024), " KiB): ", strerror(e), hint_of(e), NULL);
}

/*
 * report_overflow says, as the process exits, how much of OpenSSL's memory
 * went to ordinary memory (make bench counts it in nginx's error logs).
 */
static void report_overflow(void)
{
	unsigned long long n = overflowed;
	if (n == 0)
		return;
	char a[24], b[24];
	sc_heap_say("while the OpenSSL secret heap was full, ", sc_heap_num(a, n), " bytes of OpenSSL's "
		    "allocations went to ordinary memory (the heap grew to ", sc_heap_num(b, arena.peak / 1024),
		    " KiB in use at most)", NULL);
}

int sc_heap_touched(void)
{
	return arena.base != NULL;
}

int sc_heap_configure(size_t size)
{
	long page = sysconf(_SC_PAGESIZE);
	arena_size = (size + (size_t)page - 1) & ~((size_t)page - 1);
	int err = sc_heap_atfork();
	if (err == 0 && atexit(report_overflow) != 0)
		err = ENOMEM;
	if (err != 0) {
		arena_size = 0;
		errno = err;
		return -1;
	}
	return 0;
}
