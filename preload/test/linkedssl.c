/*
 * linkedssl: a program with OpenSSL's allocator linked into its executable
 * and exported from it, as Node.js has (build with -rdynamic): no libcrypto
 * is loaded, and the secret heap must route this one. It allocates through
 * its own CRYPTO_malloc and prints "secret" or "ordinary", as heapcheck
 * where does.
 */
#define _GNU_SOURCE
#include <stdlib.h>

#include "secretmaps.h"

typedef void *(*malloc_fn)(size_t, const char *, int);
typedef void *(*realloc_fn)(void *, size_t, const char *, int);
typedef void (*free_fn)(void *, const char *, int);

static void *plain_malloc(size_t n, const char *file, int line)
{
	(void)file, (void)line;
	return malloc(n);
}

static void *plain_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file, (void)line;
	return realloc(p, n);
}

static void plain_free(void *p, const char *file, int line)
{
	(void)file, (void)line;
	free(p);
}

static malloc_fn m_fn = plain_malloc;
static realloc_fn r_fn = plain_realloc;
static free_fn f_fn = plain_free;
static int allocated;

/* OpenSSL's allocator functions, with OpenSSL's rules: no change after the first allocation. */
int CRYPTO_set_mem_functions(malloc_fn m, realloc_fn r, free_fn f)
{
	if (allocated)
		return 0;
	m_fn = m, r_fn = r, f_fn = f;
	return 1;
}

void CRYPTO_get_mem_functions(malloc_fn *m, realloc_fn *r, free_fn *f)
{
	*m = m_fn, *r = r_fn, *f = f_fn;
}

void *CRYPTO_malloc(size_t n, const char *file, int line)
{
	allocated = 1;
	return m_fn(n, file, line);
}

void CRYPTO_free(void *p, const char *file, int line)
{
	f_fn(p, file, line);
}

static void die(const char *msg)
{
	fprintf(stderr, "linkedssl: %s\n", msg);
	exit(1);
}

int main(void)
{
	void *p = CRYPTO_malloc(100, __FILE__, __LINE__);
	if (p == NULL)
		die("allocation failed");
	printf("%s\n", in_secret(p) ? "secret" : "ordinary");
	CRYPTO_free(p, __FILE__, __LINE__);
	return 0;
}
