/*
 * Writing through a served descriptor: for an O_RDONLY open, open.c hands
 * out a duplicate of the secret descriptor, which is open for reading and
 * writing. The kernel refuses to write secret memory (write(2), writev(2):
 * EINVAL; pwrite(2), pwritev(2): ESPIPE) where a file opened O_RDONLY gives
 * EBADF; fsync(2) and fdatasync(2) fail with EINVAL where a regular file
 * gives 0; and ftruncate(2) of an empty secret file would succeed and change
 * it, where O_RDONLY gives EINVAL. The writes and syncs go to the kernel
 * first and only a failure looks the descriptor up, so that other
 * descriptors cost nothing; ftruncate, which could change the file, looks
 * first.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "preload.h"

/*
 * read_only reports whether fd is a served descriptor opened for reading
 * only. errno is kept.
 */
static int read_only(int fd)
{
	int saved = errno;
	struct sc_open *o = sc_table_find(fd);
	int ro = 0;
	if (o != NULL) {
		ro = (sc_open_getfl(o) & O_ACCMODE) == O_RDONLY;
		sc_open_put(o);
	}
	errno = saved;
	return ro;
}

/*
 * written returns r, a write's result on fd, with EBADF instead of the
 * errno with which the kernel refused a served read-only descriptor's
 * secret file.
 */
static ssize_t written(int fd, ssize_t r)
{
	if (r < 0 && (errno == EINVAL || errno == ESPIPE) && read_only(fd))
		errno = EBADF;
	return r;
}

SC_EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
	return written(fd, SC_CALL_NEXT(write, fd, buf, n));
}

SC_EXPORT ssize_t writev(int fd, const struct iovec *iov, int n)
{
	return written(fd, SC_CALL_NEXT(writev, fd, iov, n));
}

/* A negative position is refused (EINVAL) before the descriptor is looked at. */
#define SC_PWRITE(fn, off, t1, t2) \
	SC_EXPORT ssize_t fn(int fd, t1 a1, t2 a2, off pos) \
	{ \
		ssize_t r = SC_CALL_NEXT(fn, fd, a1, a2, pos); \
		return pos < 0 ? r : written(fd, r); \
	}

SC_PWRITE(pwrite, off_t, const void *, size_t)
SC_PWRITE(pwrite64, off64_t, const void *, size_t)
SC_PWRITE(pwritev, off_t, const struct iovec *, int)
SC_PWRITE(pwritev64, off64_t, const struct iovec *, int)

/* pwritev2(2) takes -1 as the file position, as writev(2). */
#define SC_PWRITEV2(fn, off) \
	SC_EXPORT ssize_t fn(int fd, const struct iovec *iov, int n, off pos, int flags) \
	{ \
		ssize_t r = SC_CALL_NEXT(fn, fd, iov, n, pos, flags); \
		return pos < -1 ? r : written(fd, r); \
	}

SC_PWRITEV2(pwritev2, off_t)
SC_PWRITEV2(pwritev64v2, off64_t)

#define SC_FTRUNCATE(fn, off) \
	SC_EXPORT int fn(int fd, off len) \
	{ \
		if (read_only(fd)) { \
			errno = EINVAL; \
			return -1; \
		} \
		return SC_CALL_NEXT(fn, fd, len); \
	}

SC_FTRUNCATE(ftruncate, off_t)
SC_FTRUNCATE(ftruncate64, off64_t)

/*
 * synced returns r, a sync's result on fd, or 0 where the kernel refused
 * it for a secret file (it has no f_op->fsync), with errno as it was
 * before the call, saved.
 */
static int synced(int fd, int r, int saved)
{
	if (r == 0 || errno != EINVAL || !sc_is_secret(fd))
		return r;
	errno = saved;
	return 0;
}

SC_EXPORT int fsync(int fd)
{
	int saved = errno;
	return synced(fd, SC_CALL_NEXT(fsync, fd), saved);
}

SC_EXPORT int fdatasync(int fd)
{
	int saved = errno;
	return synced(fd, SC_CALL_NEXT(fdatasync, fd), saved);
}
