/*
 * read(2) and friends on the descriptors that open.c handed out: the kernel
 * refuses read(2) on secret memory, so they are served from the mapping,
 * with a file position of their own. Any other descriptor goes to libc
 * untouched, at the cost of one atomic load while none is open.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <sys/uio.h>
#include <unistd.h>

#include "preload.h"

/* The fortified entry points of <bits/unistd.h>, declared only under it. */
ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen);
ssize_t __pread_chk(int fd, void *buf, size_t n, off_t pos, size_t buflen);
ssize_t __pread64_chk(int fd, void *buf, size_t n, off64_t pos, size_t buflen);

/*
 * SC_SERVE(fd, call, otherwise) evaluates call with o, fd's slot, holding a
 * reference to it while it reads, or otherwise when fd is not served; when
 * the kernel refuses otherwise on a secret file, fd is adopted (adopt.c)
 * and call evaluated.
 */
#define SC_SERVE(fd, call, otherwise) \
	({ \
		struct sc_open *o = sc_table_find(fd); \
		__typeof__(otherwise) r_ = 0; \
		if (o == NULL && (r_ = (otherwise)) < 0) \
			o = sc_adopt(fd); \
		if (o != NULL) { \
			r_ = (call); \
			sc_open_put(o); \
		} \
		r_; \
	})

/* one reads into buf as read(2) (pos -1) or pread(2) do. */
static ssize_t one(struct sc_open *o, void *buf, size_t n, off_t pos)
{
	struct iovec iov = {buf, n};
	return sc_open_read(o, &iov, 1, pos, 0);
}

/* pread(2) and preadv(2) refuse a negative position before anything else. */
static int positive(off_t pos)
{
	if (pos >= 0)
		return 1;
	errno = EINVAL;
	return 0;
}

SC_EXPORT ssize_t read(int fd, void *buf, size_t n)
{
	return SC_SERVE(fd, one(o, buf, n, -1), SC_THAWED(SC_CALL_NEXT(read, fd, buf, n)));
}

/* The fortified forms abort on a count past the buffer, in libc. */
SC_EXPORT ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen)
{
	if (n > buflen)
		return SC_CALL_NEXT(__read_chk, fd, buf, n, buflen);
	return SC_SERVE(fd, one(o, buf, n, -1), SC_THAWED(SC_CALL_NEXT(__read_chk, fd, buf, n, buflen)));
}

#define SC_PREAD(fn, off) \
	SC_EXPORT ssize_t fn(int fd, void *buf, size_t n, off pos) \
	{ \
		return SC_SERVE(fd, positive(pos) ? one(o, buf, n, pos) : -1, SC_THAWED(SC_CALL_NEXT(fn, fd, buf, n, pos))); \
	}

#define SC_PREAD_CHK(fn, off) \
	SC_EXPORT ssize_t fn(int fd, void *buf, size_t n, off pos, size_t buflen) \
	{ \
		if (n > buflen) \
			return SC_CALL_NEXT(fn, fd, buf, n, pos, buflen); \
		return SC_SERVE(fd, positive(pos) ? one(o, buf, n, pos) : -1, \
				SC_THAWED(SC_CALL_NEXT(fn, fd, buf, n, pos, buflen))); \
	}

SC_PREAD(pread, off_t)
SC_PREAD(pread64, off64_t)
SC_PREAD_CHK(__pread_chk, off_t)
SC_PREAD_CHK(__pread64_chk, off64_t)

SC_EXPORT ssize_t readv(int fd, const struct iovec *iov, int n)
{
	return SC_SERVE(fd, sc_open_read(o, iov, n, -1, 1), SC_THAWED(SC_CALL_NEXT(readv, fd, iov, n)));
}

#define SC_PREADV(fn, off) \
	SC_EXPORT ssize_t fn(int fd, const struct iovec *iov, int n, off pos) \
	{ \
		return SC_SERVE(fd, positive(pos) ? sc_open_read(o, iov, n, pos, 1) : -1, \
				SC_THAWED(SC_CALL_NEXT(fn, fd, iov, n, pos))); \
	}

/*
 * flagged reads as preadv2(2) with flags at pos (-1: the file position):
 * the kernel checks the flags once the iovecs and the position have passed
 * (an empty read gives 0 whatever they are), before it copies anything.
 */
static ssize_t flagged(struct sc_open *o, const struct iovec *iov, int n, off_t pos, int flags)
{
	int refused = sc_rwf_refused(flags);
	if (refused == 0)
		return sc_open_read(o, iov, n, pos, 1);
	ssize_t want = sc_view_check(pos == -1 ? sc_open_seek(o, 0, SEEK_CUR) : pos, iov, n, 1);
	if (want <= 0)
		return want;
	errno = refused;
	return -1;
}

/* preadv2(2) takes -1 as the file position. */
#define SC_PREADV2(fn, off) \
	SC_EXPORT ssize_t fn(int fd, const struct iovec *iov, int n, off pos, int flags) \
	{ \
		return SC_SERVE(fd, pos == -1 || positive(pos) ? flagged(o, iov, n, pos, flags) : -1, \
				SC_THAWED(SC_CALL_NEXT(fn, fd, iov, n, pos, flags))); \
	}

SC_PREADV(preadv, off_t)
SC_PREADV(preadv64, off64_t)
SC_PREADV2(preadv2, off_t)
SC_PREADV2(preadv64v2, off64_t)

#define SC_LSEEK(fn, off) \
	SC_EXPORT off fn(int fd, off offset, int whence) \
	{ \
		return SC_SERVE(fd, sc_open_seek(o, offset, whence), SC_CALL_NEXT(fn, fd, offset, whence)); \
	}

SC_LSEEK(lseek, off_t)
SC_LSEEK(lseek64, off64_t)
