/*
 * Keeping other processes of the same user out: while a process is
 * dumpable, any process of its user may take its descriptors with
 * pidfd_getfd(2), ptrace it and read /proc/PID/mem, and so map the secret
 * file too. The library makes every process it loads into non-dumpable,
 * unless SECRETCAT_PRELOAD_DUMPABLE=1 (to debug it, or to take a core dump).
 *
 * And keeps it so: programs that change user make themselves dumpable
 * again to get core dumps (nginx's workers, after setuid, call
 * prctl(PR_SET_DUMPABLE, 1)), which would hand their descriptors to every
 * process of that user. prctl and syscall(SYS_prctl, ...) are interposed:
 * PR_SET_DUMPABLE with a non-zero value does nothing and succeeds (the
 * program's wish for core dumps is refused silently; failing would make
 * nginx log an alert in every worker). A prctl made without libc (inline
 * system calls, statically linked programs) cannot be seen: see
 * docs/threat-model.md.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "preload.h"

/* The opt-out, documented in secretcat-run(1). */
#define SC_DUMPABLE_ENV "SECRETCAT_PRELOAD_DUMPABLE"

static atomic_int held; /* 1 once the library made the process non-dumpable */

void sc_dumpable_init(void)
{
	const char *opt = getenv(SC_DUMPABLE_ENV);
	if (opt != NULL && strcmp(opt, "1") == 0)
		return;
	int saved = errno;
	__typeof__(&prctl) real = SC_NEXT(prctl);
	if (real == NULL || real(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		sc_stderr("libsecretcat-preload: prctl(PR_SET_DUMPABLE, 0) failed: "
		     "processes of the same user can take this program's secret descriptors\n");
	else
		atomic_store(&held, 1);
	errno = saved;
}

/*
 * SUID_DUMP_USER of the kernel's include/linux/sched/coredump.h: the one
 * value of PR_SET_DUMPABLE besides 0 that the kernel takes.
 */
#define SC_DUMP_USER 1

/* refused says whether option and value would make the process dumpable. */
static int refused(long option, unsigned long value)
{
	return option == PR_SET_DUMPABLE && value == SC_DUMP_USER && atomic_load(&held);
}

SC_EXPORT int prctl(int option, ...)
{
	va_list ap;
	va_start(ap, option);
	unsigned long a2 = va_arg(ap, unsigned long), a3 = va_arg(ap, unsigned long);
	unsigned long a4 = va_arg(ap, unsigned long), a5 = va_arg(ap, unsigned long);
	va_end(ap);
	if (refused(option, a2))
		return 0;
	return SC_CALL_NEXT(prctl, option, a2, a3, a4, a5);
}

SC_EXPORT long syscall(long number, ...)
{
	va_list ap;
	va_start(ap, number);
	long a[6];
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (number == SYS_prctl && refused(a[0], (unsigned long)a[1]))
		return 0;
	__typeof__(&syscall) next = SC_NEXT(syscall);
	if (next == NULL)
		return -1;
	return next(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}
