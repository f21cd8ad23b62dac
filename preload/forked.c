/*
 * After fork(2): the threads that held references to the table's slots,
 * readers in the middle of a copy, are not in the child, so their
 * references would keep closed descriptors' views mapped there forever.
 * The child handler counts every reference again from what the table
 * itself holds and frees what nothing holds. It allocates nothing and takes
 * no lock: only the forking thread runs in the child.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "preload.h"

static void child(void)
{
	int saved = errno;
	sc_table_recount();
	errno = saved;
}

__attribute__((constructor)) static void sc_forked_init(void)
{
	int err = pthread_atfork(NULL, NULL, child);
	if (err != 0) {
		sc_stderr("libsecretcat-preload: cannot register its fork handler: ");
		sc_stderr(strerror(err));
		sc_stderr(": a forked child may keep closed secret files mapped\n");
	}
}
