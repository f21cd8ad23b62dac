/*
 * Keeping other processes of the same user out: while a process is
 * dumpable, any process of its user may take its descriptors with
 * pidfd_getfd(2), ptrace it and read /proc/PID/mem, and so map the secret
 * file too. The library makes every process it loads into non-dumpable,
 * unless SECRETCAT_PRELOAD_DUMPABLE=1 (to debug it, or to take a core dump).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "preload.h"

/* The opt-out, documented in secretcat-run(1). */
#define SC_DUMPABLE_ENV "SECRETCAT_PRELOAD_DUMPABLE"

void sc_dumpable_init(void)
{
	const char *opt = getenv(SC_DUMPABLE_ENV);
	if (opt != NULL && strcmp(opt, "1") == 0)
		return;
	int saved = errno;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		sc_stderr("libsecretcat-preload: prctl(PR_SET_DUMPABLE, 0) failed: "
		     "processes of the same user can take this program's secret descriptors\n");
	errno = saved;
}
