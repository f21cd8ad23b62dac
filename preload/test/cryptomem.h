/*
 * OpenSSL's allocator for the secret heap's test programs: CRYPTO_malloc
 * and friends from libcrypto.so.3 loaded at run time, so that no OpenSSL
 * headers are needed.
 */
#ifndef CRYPTOMEM_H
#define CRYPTOMEM_H

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "secretmaps.h"

static void *(*crypto_malloc)(size_t, const char *, int);
static void *(*crypto_realloc)(void *, size_t, const char *, int);
static void (*crypto_free)(void *, const char *, int);

#define MALLOC(n) crypto_malloc((n), __FILE__, __LINE__)
#define REALLOC(p, n) crypto_realloc((p), (n), __FILE__, __LINE__)
#define FREE(p) crypto_free((p), __FILE__, __LINE__)

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

#endif
