/*
 * earlyfork.so: a library whose constructor registers a fork child handler
 * before the preload library's constructor runs (preloaded after it, it is
 * initialised before it). The handler writes into early_block, which
 * forkcheck early points at OpenSSL memory: in the child's own copy of the
 * secret heap, never in the parent's.
 */
#include <pthread.h>
#include <string.h>

__attribute__((visibility("default"))) unsigned char *early_block;

static void child(void)
{
	if (early_block != NULL)
		memset(early_block, 7, 64);
}

__attribute__((constructor)) static void init(void)
{
	pthread_atfork(NULL, NULL, child);
}
