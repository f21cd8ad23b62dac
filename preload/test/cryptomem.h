/*
 * OpenSSL's allocator for the secret heap's test programs: CRYPTO_malloc
 * and friends from libcrypto.so.3 loaded at run time, so that no OpenSSL
 * headers are needed, and in_secret, which says whether memory lies in a
 * memfd_secret mapping.
 */
#ifndef CRYPTOMEM_H
#define CRYPTOMEM_H

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *(*crypto_malloc)(size_t, const char *, int);
static void *(*crypto_realloc)(void *, size_t, const char *, int);
static void (*crypto_free)(void *, const char *, int);

#define MALLOC(n) crypto_malloc((n), __FILE__, __LINE__)
#define REALLOC(p, n) crypto_realloc((p), (n), __FILE__, __LINE__)
#define FREE(p) crypto_free((p), __FILE__, __LINE__)

static void die(const char *msg);

/* load_crypto loads libcrypto.so.3 and returns its handle. */
static void *load_crypto(void)
{
	void *h = dlopen("libcrypto.so.3", RTLD_NOW);
	if (h == NULL)
		die(dlerror());
	crypto_malloc = (void *(*)(size_t, const char *, int))dlsym(h, "CRYPTO_malloc");
	crypto_realloc = (void *(*)(void *, size_t, const char *, int))dlsym(h, "CRYPTO_realloc");
	crypto_free = (void (*)(void *, const char *, int))dlsym(h, "CRYPTO_free");
	if (!crypto_malloc || !crypto_realloc || !crypto_free)
		die("libcrypto.so.3 lacks CRYPTO_malloc");
	return h;
}

/*
 * secret_range finds the memfd_secret mapping that holds p: it returns 1
 * and its bounds, or 0 when p is elsewhere.
 */
static inline int secret_range(const void *p, unsigned long *lo, unsigned long *hi)
{
	FILE *f = fopen("/proc/self/maps", "r");
	if (f == NULL)
		die("cannot read /proc/self/maps");
	char line[512];
	int found = 0;
	while (fgets(line, sizeof line, f) != NULL) {
		unsigned long a, b;
		if (sscanf(line, "%lx-%lx", &a, &b) == 2 && (unsigned long)p >= a && (unsigned long)p < b &&
		    strstr(line, "/secretmem") != NULL) {
			*lo = a, *hi = b;
			found = 1;
		}
	}
	fclose(f);
	return found;
}

static inline int in_secret(const void *p)
{
	unsigned long lo, hi;
	return secret_range(p, &lo, &hi);
}

#endif
