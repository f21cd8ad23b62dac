/*
 * Routing OpenSSL's allocations to the secret heap with
 * CRYPTO_set_mem_functions, which works only before OpenSSL's first
 * allocation. The library's constructor runs after the constructors of the
 * program's libraries (libcrypto's own allocate nothing: it only reads the
 * CPU's features) and before the program's main, so OpenSSL has allocated
 * nothing yet unless another library's constructor used it; then the heap
 * cannot be had, and the library says so and ends the process.
 *
 * libcrypto is looked up at run time: by soname among the loaded libraries
 * (RTLD_NOLOAD), else through the global namespace (another build). A program
 * that loads it itself later (Python's ssl module does, privately) gets it
 * loaded now, privately, so that the routing is in place before its first
 * use: the later load finds the same library by its soname.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "preload.h"
#include "secheap.h"

typedef void *(*malloc_fn)(size_t, const char *, int);
typedef void *(*realloc_fn)(void *, size_t, const char *, int);
typedef void (*free_fn)(void *, const char *, int);
typedef int (*set_mem_fn)(malloc_fn, realloc_fn, free_fn);
typedef void (*get_mem_fn)(malloc_fn *, realloc_fn *, free_fn *);
typedef int (*secure_init_fn)(size_t, size_t);

/* The largest heap: far beyond any TLS server's need, and a bound for typos. */
#define MAX_HEAP ((size_t)1 << 30)

static const char *const sonames[] = {"libcrypto.so.3", "libcrypto.so.1.1"};

static int heap_on;
static void *crypto; /* the routed libcrypto, for CRYPTO_secure_malloc_init */

static void *loaded_libcrypto(void)
{
	for (size_t i = 0; i < sizeof sonames / sizeof sonames[0]; i++) {
		void *h = dlopen(sonames[i], RTLD_LAZY | RTLD_NOLOAD);
		if (h != NULL)
			return h;
	}
	return NULL;
}

static void *find_libcrypto(void)
{
	void *h = loaded_libcrypto();
	if (h != NULL)
		return h;
	if (dlsym(RTLD_DEFAULT, "CRYPTO_set_mem_functions") != NULL)
		return RTLD_DEFAULT;
	return dlopen(sonames[0], RTLD_LAZY | RTLD_LOCAL);
}

static void route(void *h)
{
	set_mem_fn set = (set_mem_fn)dlsym(h, "CRYPTO_set_mem_functions");
	get_mem_fn get = (get_mem_fn)dlsym(h, "CRYPTO_get_mem_functions");
	if (set == NULL)
		sc_heap_die(SC_HEAP_EXIT_FAILURE, "--openssl-secret-heap: this libcrypto has no "
			    "CRYPTO_set_mem_functions", NULL);
	if (get != NULL) {
		malloc_fn m;
		realloc_fn r;
		free_fn f;
		get(&m, &r, &f);
		if (m == sc_heap_malloc)
			return;
	}
	if (!set(sc_heap_malloc, sc_heap_realloc, sc_heap_free))
		sc_heap_die(SC_HEAP_EXIT_FAILURE, "--openssl-secret-heap: OpenSSL allocated memory before "
			    "secretcat's library could route it to secret memory (a library's constructor "
			    "used OpenSSL): refusing to run with OpenSSL's memory outside secret memory", NULL);
	crypto = h;
}

void sc_heap_init(void)
{
	const char *v = getenv(SC_HEAP_ENV);
	if (v == NULL || *v == '\0')
		return;
	int saved = errno;
	char *end;
	errno = 0;
	unsigned long long size = strtoull(v, &end, 10);
	if (errno != 0 || *end != '\0' || v[0] < '0' || v[0] > '9' || size == 0 || size > MAX_HEAP)
		sc_heap_die(SC_HEAP_EXIT_FAILURE, SC_HEAP_ENV "=", v, ": not a size in bytes from 1 to 1 GiB "
			    "(secretcat sets it for --openssl-secret-heap)", NULL);
	if (sc_heap_configure((size_t)size) != 0)
		sc_heap_die(SC_HEAP_EXIT_FAILURE, "--openssl-secret-heap: cannot register its fork handlers: ",
			    strerror(errno), NULL);
	heap_on = 1;
	void *h = find_libcrypto();
	if (h != NULL)
		route(h);
	errno = saved;
}

/*
 * A program that sets up OpenSSL's own secure heap keeps what it allocates
 * with OPENSSL_secure_malloc (private keys' numbers, mostly) in that heap:
 * locked, unswappable ordinary memory, not secret memory. That is the
 * program's choice, and it gets what it asked for, but not silently.
 */
SC_EXPORT int CRYPTO_secure_malloc_init(size_t size, size_t minsize)
{
	secure_init_fn real = (secure_init_fn)dlsym(RTLD_NEXT, "CRYPTO_secure_malloc_init");
	void *h = crypto != NULL && crypto != RTLD_DEFAULT ? crypto : loaded_libcrypto();
	if (real == NULL && h != NULL)
		real = (secure_init_fn)dlsym(h, "CRYPTO_secure_malloc_init");
	if (real == NULL) {
		errno = ENOSYS;
		return 0;
	}
	if (heap_on) {
		char kib[24];
		sc_heap_say("the program set up OpenSSL's own secure heap (CRYPTO_secure_malloc_init, ",
			    sc_heap_num(kib, size / 1024), " KiB): what OpenSSL allocates with "
			    "OPENSSL_secure_malloc, private keys' numbers among it, now goes to that heap, "
			    "locked ordinary memory, instead of the secret heap", NULL);
	}
	return real(size, minsize);
}
