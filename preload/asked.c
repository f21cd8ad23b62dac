/*
 * Calls on a served descriptor that the kernel answers for the secret file
 * behind it, open for reading and writing, with no fallocate and no
 * readahead: fallocate(2) fails with EOPNOTSUPP, posix_fallocate(3) with
 * ESPIPE and readahead(2) with EINVAL, where a regular file opened
 * O_RDONLY answers EBADF, EBADF and 0, after checks of the arguments whose
 * order changes from one kernel to the next. The library asks the kernel
 * the same call on a twin of the descriptor (twin.c) instead: an empty
 * tmpfs file, opened the same way at the same position. Only once the
 * kernel has refused the call, so that other descriptors cost nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "preload.h"

/*
 * twin_of returns a twin of fd when fd is a served descriptor opened for
 * reading only, or any served descriptor when any; -1 otherwise. errno is
 * kept.
 */
static int twin_of(int fd, int any)
{
	int saved = errno;
	struct sc_open *o = sc_table_find(fd);
	int twin = -1;
	if (o != NULL) {
		int flags = sc_open_getfl(o);
		off_t pos = sc_open_seek(o, 0, SEEK_CUR);
		sc_open_put(o);
		if (any || (flags & O_ACCMODE) == O_RDONLY)
			twin = sc_twin(flags, pos);
	}
	errno = saved;
	return twin;
}

/*
 * SC_ASK(fd, any, r, call) evaluates call, a call with descriptor t, on a
 * twin of fd into r, which holds the kernel's answer for fd, when fd has
 * a twin (see twin_of); errno is the twin's answer if it failed.
 */
#define SC_ASK(fd, any, r, call) \
	do { \
		int t = twin_of(fd, any); \
		if (t < 0) \
			break; \
		int saved_ = errno; \
		r = (call); \
		int err_ = errno; \
		(void)SC_CALL_NEXT(close, t); /* the twin's answer stands */ \
		errno = r < 0 ? err_ : saved_; \
	} while (0)

#define SC_FALLOCATE(fn, off) \
	SC_EXPORT int fn(int fd, int mode, off offset, off len) \
	{ \
		int r = SC_CALL_NEXT(fn, fd, mode, offset, len); \
		if (r < 0) \
			SC_ASK(fd, 0, r, SC_CALL_NEXT(fn, t, mode, offset, len)); \
		return r; \
	}

SC_FALLOCATE(fallocate, off_t)
SC_FALLOCATE(fallocate64, off64_t)

/*
 * posix_fallocate(3) returns an error number; for a regular file opened
 * O_RDONLY it leaves errno alone, where its emulation, after the kernel's
 * EOPNOTSUPP for a secret file, sets it.
 */
#define SC_POSIX_FALLOCATE(fn, off) \
	SC_EXPORT int fn(int fd, off offset, off len) \
	{ \
		int saved = errno; \
		int r = SC_CALL_NEXT(fn, fd, offset, len); \
		if (r > 0) { \
			int err = errno; \
			int asked = -1; \
			SC_ASK(fd, 0, asked, SC_CALL_NEXT(fn, t, offset, len)); \
			errno = asked >= 0 ? saved : err; \
			r = asked >= 0 ? asked : r; \
		} \
		return r; \
	}

SC_POSIX_FALLOCATE(posix_fallocate, off_t)
SC_POSIX_FALLOCATE(posix_fallocate64, off64_t)

SC_EXPORT ssize_t readahead(int fd, off64_t offset, size_t count)
{
	ssize_t r = SC_CALL_NEXT(readahead, fd, offset, count);
	if (r < 0)
		SC_ASK(fd, 1, r, SC_CALL_NEXT(readahead, t, offset, count));
	return r;
}
