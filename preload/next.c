/* Finding the libc definitions that this library's functions stand in for. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>

#include "preload.h"

/*
 * sc_next returns the next definition of name after this library, caching
 * it in *cache. It may run before the library's constructor (another
 * library's constructor may open a file), so it resolves on first use.
 * errno is kept unless the lookup fails, then it is ENOSYS.
 */
void *sc_next(const char *name, void *_Atomic *cache)
{
	void *fn = atomic_load_explicit(cache, memory_order_acquire);
	if (fn != NULL)
		return fn;
	int saved = errno;
	fn = dlsym(RTLD_NEXT, name);
	if (fn == NULL) {
		errno = ENOSYS;
		return NULL;
	}
	errno = saved;
	atomic_store_explicit(cache, fn, memory_order_release);
	return fn;
}
