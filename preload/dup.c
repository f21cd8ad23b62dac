/*
 * Duplicating a descriptor that open.c handed out: coreutils' dd and
 * programs that redirect a file to standard input open it, dup2(2) the
 * descriptor elsewhere and close the original. The copy is served as well,
 * from a mapping of its own, starting at the original's position (the two
 * positions then move separately). A descriptor that a duplicate replaces is
 * forgotten first.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <unistd.h>

#include "preload.h"

/*
 * track records newfd, a duplicate of the descriptor in slot o, when the
 * duplication succeeded. If it cannot (RLIMIT_MEMLOCK, a full table), newfd
 * is closed and the call fails with that errno, as if dup had failed.
 */
static int track(struct sc_open *o, int newfd)
{
	if (o == NULL || newfd < 0)
		return newfd;
	if (sc_table_copy(o, newfd) == 0)
		return newfd;
	int saved = errno;
	if (SC_CALL_NEXT(close, newfd) != 0 && errno != EBADF)
		saved = errno;
	errno = saved;
	return -1;
}

SC_EXPORT int dup(int fd)
{
	struct sc_open *o = sc_table_find(fd);
	return track(o, SC_CALL_NEXT(dup, fd));
}

SC_EXPORT int dup2(int fd, int newfd)
{
	struct sc_open *o = sc_table_find(fd);
	if (fd == newfd)
		return SC_CALL_NEXT(dup2, fd, newfd);
	sc_table_remove(newfd);
	return track(o, SC_CALL_NEXT(dup2, fd, newfd));
}

SC_EXPORT int dup3(int fd, int newfd, int flags)
{
	struct sc_open *o = sc_table_find(fd);
	if (fd != newfd) /* dup3 refuses fd == newfd */
		sc_table_remove(newfd);
	return track(o, SC_CALL_NEXT(dup3, fd, newfd, flags));
}

/*
 * fcntl's third argument is an int or a pointer depending on cmd; like
 * glibc, this passes it on as a pointer-sized value.
 */
#define SC_FCNTL(fn) \
	SC_EXPORT int fn(int fd, int cmd, ...) \
	{ \
		va_list ap; \
		va_start(ap, cmd); \
		void *arg = va_arg(ap, void *); \
		va_end(ap); \
		struct sc_open *o = cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC ? sc_table_find(fd) : NULL; \
		return track(o, SC_CALL_NEXT(fn, fd, cmd, arg)); \
	}

SC_FCNTL(fcntl)
SC_FCNTL(fcntl64)
