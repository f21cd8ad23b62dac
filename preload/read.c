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

/* pread_at reads as pread(2) does, refusing a negative position. */
static ssize_t pread_at(struct sc_open *o, void *buf, size_t n, off_t pos)
{
	if (pos < 0) {
		errno = EINVAL;
		return -1;
	}
	return sc_open_read(o, buf, n, pos);
}

/*
 * vector reads into iov as readv(2) (pos -1) or preadv(2) do. Each buffer
 * is filled in turn; a short one means the end of the file.
 */
static ssize_t vector(struct sc_open *o, const struct iovec *iov, int n, off_t pos)
{
	if (n < 0 || n > IOV_MAX || pos < -1) {
		errno = EINVAL;
		return -1;
	}
	size_t total = 0;
	for (int i = 0; i < n && total < SSIZE_MAX; i++) {
		size_t want = iov[i].iov_len;
		if (want > SSIZE_MAX - total)
			want = SSIZE_MAX - total;
		ssize_t got = sc_open_read(o, iov[i].iov_base, want, pos < 0 ? -1 : pos + (off_t)total);
		total += (size_t)got;
		if ((size_t)got < want)
			break;
	}
	return (ssize_t)total;
}

SC_EXPORT ssize_t read(int fd, void *buf, size_t n)
{
	struct sc_open *o = sc_table_find(fd);
	return o != NULL ? sc_open_read(o, buf, n, -1) : SC_CALL_NEXT(read, fd, buf, n);
}

SC_EXPORT ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen)
{
	struct sc_open *o = n <= buflen ? sc_table_find(fd) : NULL;
	return o != NULL ? sc_open_read(o, buf, n, -1) : SC_CALL_NEXT(__read_chk, fd, buf, n, buflen);
}

#define SC_PREAD(fn, off) \
	SC_EXPORT ssize_t fn(int fd, void *buf, size_t n, off pos) \
	{ \
		struct sc_open *o = sc_table_find(fd); \
		return o != NULL ? pread_at(o, buf, n, pos) : SC_CALL_NEXT(fn, fd, buf, n, pos); \
	}

#define SC_PREAD_CHK(fn, off) \
	SC_EXPORT ssize_t fn(int fd, void *buf, size_t n, off pos, size_t buflen) \
	{ \
		struct sc_open *o = n <= buflen ? sc_table_find(fd) : NULL; \
		return o != NULL ? pread_at(o, buf, n, pos) : SC_CALL_NEXT(fn, fd, buf, n, pos, buflen); \
	}

SC_PREAD(pread, off_t)
SC_PREAD(pread64, off64_t)
SC_PREAD_CHK(__pread_chk, off_t)
SC_PREAD_CHK(__pread64_chk, off64_t)

SC_EXPORT ssize_t readv(int fd, const struct iovec *iov, int n)
{
	struct sc_open *o = sc_table_find(fd);
	return o != NULL ? vector(o, iov, n, -1) : SC_CALL_NEXT(readv, fd, iov, n);
}

/* preadv(2) refuses -1, which preadv2(2) takes as the file position. */
#define SC_PREADV(fn, off) \
	SC_EXPORT ssize_t fn(int fd, const struct iovec *iov, int n, off pos) \
	{ \
		struct sc_open *o = sc_table_find(fd); \
		return o != NULL ? vector(o, iov, n, pos == -1 ? -2 : pos) : SC_CALL_NEXT(fn, fd, iov, n, pos); \
	}

/* RWF_* flags only hint at how to wait, and a mapping never waits. */
#define SC_PREADV2(fn, off) \
	SC_EXPORT ssize_t fn(int fd, const struct iovec *iov, int n, off pos, int flags) \
	{ \
		struct sc_open *o = sc_table_find(fd); \
		return o != NULL ? vector(o, iov, n, pos) : SC_CALL_NEXT(fn, fd, iov, n, pos, flags); \
	}

SC_PREADV(preadv, off_t)
SC_PREADV(preadv64, off64_t)
SC_PREADV2(preadv2, off_t)
SC_PREADV2(preadv64v2, off64_t)

#define SC_LSEEK(fn, off) \
	SC_EXPORT off fn(int fd, off offset, int whence) \
	{ \
		struct sc_open *o = sc_table_find(fd); \
		return o != NULL ? sc_open_seek(o, offset, whence) : SC_CALL_NEXT(fn, fd, offset, whence); \
	}

SC_LSEEK(lseek, off_t)
SC_LSEEK(lseek64, off64_t)

SC_EXPORT int close(int fd)
{
	sc_table_remove(fd);
	return SC_CALL_NEXT(close, fd);
}
