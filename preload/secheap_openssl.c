/*
 * Routing OpenSSL's allocations to the secret heap with
 * CRYPTO_set_mem_functions, which works only before OpenSSL's first
 * allocation. The library's constructor runs after the constructors of the
 * program's libraries (libcrypto's own allocate nothing: it only reads the
 * CPU's features) and before the program's main, so OpenSSL has allocated
 * nothing yet unless another library's constructor used it; then the heap
 * cannot be had, and the library says so and ends the process.
 *
 * OpenSSL is looked for, in this order: libcrypto by soname among the
 * loaded libraries (RTLD_NOLOAD); OpenSSL linked into the executable and
 * exported from it (Node.js), through the global namespace; any other
 * build after this library. A program that loads libcrypto itself later
 * (Python's ssl module does, privately) gets it loaded now, privately, so
 * that the routing is in place before its first use: the later load finds
 * the same library by its soname.
 *
 * The heap is on, or says it is not. A program that installs its own
 * allocator later (stunnel, MariaDB, dovecot do; OpenSSL 3 lets a second
 * CRYPTO_set_mem_functions succeed before the first allocation) would take
 * OpenSSL's allocations out of secret memory: the call is interposed,
 * refused (it returns 0, as OpenSSL's own does once it has allocated; those
 * programs go on with OpenSSL's allocator) and reported once. Where the heap
 * can protect nothing, one line on standard error says so, once per program
 * (a word shared with its forked processes, not across exec): at start when
 * the program is linked with another TLS library (GnuTLS, NSS, Java's
 * launcher) and not with OpenSSL, or is built with ThreadSanitizer (whose
 * fork handler stops every thread, where the heap's copy at fork needs
 * them to wait on its own); else when a process reads a secret file
 * through this library while OpenSSL has not allocated in it: at that
 * read when the program had no OpenSSL when it started (no TLS, OpenSSL
 * linked statically and hidden; a process killed later has said it), at
 * its exit otherwise, if OpenSSL never allocated by then. A process that
 * reads no secret, such as a supervisor whose children hold the key, has
 * nothing to protect and says nothing.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

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

/* Libraries whose TLS does not go through OpenSSL, and what to call them. */
static const struct {
	const char *soname, *what;
} others[] = {
	{"libgnutls.so", "GnuTLS"},
	{"libnss3.so", "NSS"},
	{"libjli.so", "Java"},
	{"libjvm.so", "Java"},
	{"libmbedtls.so", "Mbed TLS"},
	{"libwolfssl.so", "wolfSSL"},
};

/*
 * This library's stand-ins for OpenSSL's functions, by their own names:
 * OpenSSL's names may resolve to OpenSSL linked into the executable.
 */
static int set_mem(malloc_fn m, realloc_fn r, free_fn f);
static int secure_init(size_t size, size_t minsize);

static int heap_on;
static int routed;           /* OpenSSL's allocations go to the heap */
static int had_openssl;      /* OpenSSL was in the program when it started */
static atomic_int served;    /* this process has read a secret file */
static atomic_int *said;     /* shared with forked processes: the program said it protects nothing */
static void *crypto;         /* where OpenSSL was found: a handle, RTLD_DEFAULT or RTLD_NEXT */
static set_mem_fn real_set;  /* OpenSSL's CRYPTO_set_mem_functions */

/* lookup returns name in h, unless it is this library's own. */
static void *lookup(void *h, const char *name, void *own)
{
	void *p = dlsym(h, name);
	return p == own ? NULL : p;
}

static void *loaded_libcrypto(void)
{
	for (size_t i = 0; i < sizeof sonames / sizeof sonames[0]; i++) {
		void *h = dlopen(sonames[i], RTLD_LAZY | RTLD_NOLOAD);
		if (h != NULL)
			return h;
	}
	return NULL;
}

/*
 * openssl_fn is OpenSSL's function name, which this library (own) stands
 * in for: where OpenSSL was found, else after this library, else in a
 * libcrypto the program loaded privately.
 */
static void *openssl_fn(const char *name, void *own)
{
	void *p = real_set != NULL ? lookup(crypto, name, own) : NULL; /* crypto may be RTLD_DEFAULT, NULL */
	if (p == NULL)
		p = lookup(RTLD_NEXT, name, own);
	void *h;
	if (p == NULL && (h = loaded_libcrypto()) != NULL)
		p = dlsym(h, name);
	return p;
}

/* find_openssl sets crypto and real_set to the program's OpenSSL, if any. */
static void find_openssl(void)
{
	void *h = loaded_libcrypto();
	if (h != NULL) {
		crypto = h;
		real_set = (set_mem_fn)dlsym(h, "CRYPTO_set_mem_functions");
		return;
	}
	void *const where[] = {RTLD_DEFAULT, RTLD_NEXT};
	for (size_t i = 0; i < 2; i++) {
		real_set = (set_mem_fn)lookup(where[i], "CRYPTO_set_mem_functions", (void *)set_mem);
		if (real_set != NULL) {
			crypto = where[i];
			return;
		}
	}
}

static int other_tls(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	const char *slash = strrchr(info->dlpi_name, '/');
	const char *base = slash != NULL ? slash + 1 : info->dlpi_name;
	for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
		if (strncmp(base, others[i].soname, strlen(others[i].soname)) == 0) {
			*(const char **)data = others[i].what;
			return 1;
		}
	return 0;
}

static void route(void)
{
	get_mem_fn get = (get_mem_fn)lookup(crypto, "CRYPTO_get_mem_functions", NULL);
	if (get != NULL) {
		malloc_fn m;
		realloc_fn r;
		free_fn f;
		get(&m, &r, &f);
		if (m == sc_heap_malloc) {
			routed = 1;
			return;
		}
	}
	if (!real_set(sc_heap_malloc, sc_heap_realloc, sc_heap_free))
		sc_heap_die(SC_HEAP_EXIT_FAILURE, "--openssl-secret-heap: OpenSSL allocated memory before "
			    "secretcat's library could route it to secret memory (a library's constructor "
			    "used OpenSSL): refusing to run with OpenSSL's memory outside secret memory", NULL);
	routed = 1;
}

/*
 * first_to_say says whether this process is the first of its program to
 * say that the heap protects nothing (each says it when the shared word
 * could not be mapped).
 */
static int first_to_say(void)
{
	return said == NULL || !atomic_exchange(said, 1);
}

/* say_unprotected says, once for the program, that what it read of the key is in ordinary memory. */
static void say_unprotected(const char *verb, const char *why)
{
	if (first_to_say())
		sc_heap_say("--openssl-secret-heap ", verb, " nothing in this program: it read the key, ", why,
			    " (it uses no TLS, or another TLS library, or OpenSSL linked in a way the heap "
			    "cannot reach), so its copies are in ordinary memory", NULL);
}

void sc_key_served(void)
{
	if (atomic_load_explicit(&served, memory_order_relaxed) || atomic_exchange(&served, 1))
		return;
	if (heap_on && !had_openssl && !sc_heap_touched())
		say_unprotected("protects", "and it had no OpenSSL of its own when it started");
}

/* said_nothing says, at exit, that this process read the key while OpenSSL never allocated in it. */
static void said_nothing(void)
{
	if (atomic_load(&served) && !sc_heap_touched())
		say_unprotected("protected", "but OpenSSL made no allocation in it");
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
	void *page = mmap(NULL, sizeof *said, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	said = page != MAP_FAILED ? page : NULL;
	if (dlsym(RTLD_DEFAULT, "__tsan_init") != NULL) {
		if (first_to_say())
			sc_heap_say("--openssl-secret-heap protects nothing in this program: it is built with "
				    "ThreadSanitizer, whose fork handling cannot wait for the heap's copy at "
				    "fork, so the heap stays off and OpenSSL's memory is ordinary", NULL);
		errno = saved;
		return;
	}
	if (sc_heap_configure((size_t)size) != 0)
		sc_heap_die(SC_HEAP_EXIT_FAILURE, "--openssl-secret-heap: cannot register its fork handlers: ",
			    strerror(errno), NULL);
	heap_on = 1;
	find_openssl();
	had_openssl = real_set != NULL;
	const char *other = NULL;
	if (real_set == NULL && dl_iterate_phdr(other_tls, &other) != 0) {
		if (first_to_say())
			sc_heap_say("--openssl-secret-heap protects nothing in this program: its TLS is ", other,
				    "'s, not OpenSSL's, and its keys stay in ordinary memory", NULL);
		errno = saved;
		return;
	}
	if (real_set == NULL) {
		crypto = dlopen(sonames[0], RTLD_LAZY | RTLD_LOCAL);
		real_set = crypto != NULL ? (set_mem_fn)dlsym(crypto, "CRYPTO_set_mem_functions") : NULL;
	}
	if (crypto != NULL && real_set == NULL)
		sc_heap_die(SC_HEAP_EXIT_FAILURE, "--openssl-secret-heap: this libcrypto has no "
			    "CRYPTO_set_mem_functions", NULL);
	if (real_set != NULL)
		route();
	if (atexit(said_nothing) != 0)
		sc_heap_die(SC_HEAP_EXIT_FAILURE, "--openssl-secret-heap: atexit failed", NULL);
	errno = saved;
}

/*
 * A program's own allocator for OpenSSL. While the heap is on, it is
 * refused; else the call goes to OpenSSL.
 */
static int set_mem(malloc_fn m, realloc_fn r, free_fn f)
{
	if (routed) {
		static int said;
		if (!said) {
			said = 1;
			sc_heap_say("the program installed its own allocator for OpenSSL "
				    "(CRYPTO_set_mem_functions): refused, so that OpenSSL's memory stays "
				    "in the secret heap", NULL);
		}
		return 0;
	}
	set_mem_fn next = (set_mem_fn)openssl_fn("CRYPTO_set_mem_functions", (void *)set_mem);
	return next != NULL ? next(m, r, f) : 0;
}

/*
 * A program that sets up OpenSSL's own secure heap keeps what it allocates
 * with OPENSSL_secure_malloc (private keys' numbers, mostly) in that heap:
 * locked, unswappable ordinary memory, not secret memory. That is the
 * program's choice, and it gets what it asked for, but not silently.
 */
static int secure_init(size_t size, size_t minsize)
{
	secure_init_fn real = (secure_init_fn)openssl_fn("CRYPTO_secure_malloc_init", (void *)secure_init);
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

SC_EXPORT int CRYPTO_set_mem_functions(malloc_fn m, realloc_fn r, free_fn f) __attribute__((alias("set_mem")));
SC_EXPORT int CRYPTO_secure_malloc_init(size_t size, size_t minsize) __attribute__((alias("secure_init")));
