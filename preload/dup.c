/*
 * Duplicating a descriptor that open.c handed out: coreutils' dd and
 * programs that redirect a file to standard input open it, dup2(2) the
 * descriptor elsewhere and close the original. The copy is served as well,
 * sharing the original's view and file position, as duplicates share the
 * kernel's open file description. A descriptor that a duplicate replaces is
 * forgotten; a failed dup2 or dup3 forgets nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <unistd.h>

#include "preload.h"

/*
 * track records newfd, a duplicate of the descriptor in slot o, when the
 * duplication succeeded, and gives back the reference to o; a duplicate of
 * a descriptor that is not served is fresh (sc_fresh). If it cannot
 * (no memory for the table), newfd is closed and the call
 * fails with that errno, as if dup had failed.
 */
static int track(struct sc_open *o, int newfd)
{
	if (o == NULL)
		return sc_fresh(newfd);
	int r = newfd;
	if (newfd >= 0 && sc_table_copy(o, newfd) != 0) {
		int saved = errno;
		sc_table_remove((unsigned)newfd, (unsigned)newfd);
		if (SC_CALL_NEXT(close, newfd) != 0 && errno != EBADF)
			saved = errno;
		errno = saved;
		r = -1;
	}
	sc_open_put(o);
	return r;
}

/*
 * replaced forgets what the table held for newfd once dup2 or dup3 has
 * put another file there; a failed call leaves newfd, and the table, as
 * they were.
 */
static int replaced(struct sc_open *o, int fd, int newfd, int r)
{
	if (fd == newfd) /* dup2 changed nothing, dup3 failed */
		return r;
	return track(o, r); /* forgets the old newfd, once it knows the new */
}

SC_EXPORT int dup(int fd)
{
	struct sc_open *o = sc_table_find(fd);
	return track(o, SC_CALL_NEXT(dup, fd));
}

SC_EXPORT int dup2(int fd, int newfd)
{
	struct sc_open *o = fd != newfd ? sc_table_find(fd) : NULL;
	return replaced(o, fd, newfd, SC_CALL_NEXT(dup2, fd, newfd));
}

SC_EXPORT int dup3(int fd, int newfd, int flags)
{
	struct sc_open *o = fd != newfd ? sc_table_find(fd) : NULL;
	return replaced(o, fd, newfd, SC_CALL_NEXT(dup3, fd, newfd, flags));
}

/*
 * status answers F_GETFL and F_SETFL for o from its description, and gives
 * back the reference to o.
 */
static int status(struct sc_open *o, int cmd, void *arg)
{
	int r = cmd == F_GETFL ? sc_open_getfl(o) : sc_open_setfl(o, (int)(intptr_t)arg);
	sc_open_put(o);
	return r;
}

/*
 * fcntl's third argument is an int or a pointer depending on cmd; like
 * glibc, this passes it on as a pointer-sized value. Only F_DUPFD's result
 * is a descriptor.
 */
#define SC_FCNTL(fn) \
	SC_EXPORT int fn(int fd, int cmd, ...) \
	{ \
		va_list ap; \
		va_start(ap, cmd); \
		void *arg = va_arg(ap, void *); \
		va_end(ap); \
		struct sc_open *o; \
		if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) \
			return track(sc_table_find(fd), SC_CALL_NEXT(fn, fd, cmd, arg)); \
		if ((cmd == F_GETFL || cmd == F_SETFL) && (o = sc_table_find(fd)) != NULL) \
			return status(o, cmd, arg); \
		int r_; \
		if (sc_lock(fd, cmd, arg, &r_)) \
			return r_; \
		return SC_CALL_NEXT(fn, fd, cmd, arg); \
	}

SC_FCNTL(fcntl)
SC_FCNTL(fcntl64)
