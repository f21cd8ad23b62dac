/*
 * Closing: close(2), close_range(2) and closefrom(3) of descriptors that
 * open.c handed out forget them, so that a later descriptor with the same
 * number is never served from a stale entry. The view of a closed
 * descriptor goes when the last thread reading from it leaves (fdtable.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <linux/close_range.h>
#include <unistd.h>

#include "preload.h"

SC_EXPORT int close(int fd)
{
	if (fd >= 0)
		sc_table_remove((unsigned)fd, (unsigned)fd);
	return SC_CALL_NEXT(close, fd);
}

/*
 * close_range with CLOSE_RANGE_CLOEXEC closes nothing; with
 * CLOSE_RANGE_UNSHARE alone, the range is closed in the new table.
 */
SC_EXPORT int close_range(unsigned first, unsigned last, int flags)
{
	int r = SC_CALL_NEXT(close_range, first, last, flags);
	if (r == 0 && (flags & CLOSE_RANGE_CLOEXEC) == 0)
		sc_table_remove(first, last);
	return r;
}

SC_EXPORT void closefrom(int lowfd)
{
	__typeof__(&closefrom) next = SC_NEXT(closefrom);
	int saved = errno;
	sc_table_remove(lowfd < 0 ? 0 : (unsigned)lowfd, UINT_MAX);
	errno = saved;
	if (next != NULL)
		next(lowfd);
}
