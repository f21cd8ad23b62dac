/* A read-only shared mapping of a whole secret file, and reads from it. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <unistd.h>

#include "preload.h"
#include "secheap.h"

/*
 * over_limit says, once per process, that a secret file could not be
 * mapped for its locked-memory limit: the program itself reports only
 * "Resource temporarily unavailable" for its path, if anything. The limit
 * that binds is this process's, which may be far below secretcat's: a
 * program that changed user (setpriv, runuser, a server's workers) lost
 * CAP_IPC_LOCK, which secretcat as root had. errno is kept.
 */
static void over_limit(size_t size)
{
	static _Atomic pid_t said;
	pid_t self = getpid();
	if (atomic_exchange(&said, self) == self)
		return;
	int saved = errno;
	struct rlimit rl;
	char need[24], lim[24];
	long page = sysconf(_SC_PAGESIZE);
	size_t pages = page > 0 ? (size + (size_t)page - 1) / (size_t)page * (size_t)page : size;
	int known = getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY;
	sc_heap_say("cannot map a secret file to serve it: its ", sc_heap_num(need, pages),
		    " bytes of locked memory do not fit in this process's limit (RLIMIT_MEMLOCK",
		    known ? ", " : "", known ? sc_heap_num(lim, rl.rlim_cur) : "", known ? " bytes" : "", ")",
		    "; a program that changes user loses root's CAP_IPC_LOCK, which lifts the limit: "
		    "raise the limit (ulimit -l, prlimit --memlock=, LimitMEMLOCK=)", NULL);
	errno = saved;
}

/*
 * sc_view_map maps the whole file fd, of size bytes, read-only and shared
 * (a secret file refuses MAP_PRIVATE). The mapping counts against
 * RLIMIT_MEMLOCK: mmap fails with EAGAIN over the limit, which is said once
 * on standard error, and that errno is what the caller sees.
 */
int sc_view_map(int fd, size_t size, struct sc_view *v)
{
	v->size = size;
	v->base = NULL;
	if (size == 0)
		return 0;
	void *p = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		if (errno == EAGAIN)
			over_limit(size);
		return -1;
	}
	v->base = p;
	return 0;
}

/* sc_view_unmap unmaps the view; errno is kept on success. */
int sc_view_unmap(struct sc_view *v)
{
	if (v->base == NULL)
		return 0;
	int saved = errno;
	if (munmap((void *)v->base, v->size) != 0)
		return -1;
	v->base = NULL;
	errno = saved;
	return 0;
}

/*
 * copy copies up to n bytes from position pos into the caller's buf and
 * returns how many it copied: 0 at or past the end, fewer where buf stops
 * being writable, -1 with EFAULT if it is not writable at all.
 */
static ssize_t copy(const struct sc_view *v, off_t pos, void *buf, size_t n)
{
	if ((size_t)pos >= v->size)
		return 0;
	size_t left = v->size - (size_t)pos;
	return sc_copy_out(buf, v->base + pos, n < left ? n : left);
}

/*
 * sc_view_check checks a read of iov at pos as the kernel checks a read of
 * a regular file before it reads anything (readv(2) when vectored,
 * otherwise read(2) of iov[0]), in its order: the iovec count and lengths
 * (EINVAL), the buffers' addresses (EFAULT: one iovec's up to SC_MAX_RW
 * bytes, several iovecs' whole lengths, as the kernel's import_ubuf and
 * __import_iovec check them), an empty vectored read (0), the position and
 * the count (EINVAL when negative or when they overflow off_t). It returns
 * how many bytes the read asks for, at most SC_MAX_RW, or -1 with errno.
 */
ssize_t sc_view_check(off_t pos, const struct iovec *iov, int n, int vectored)
{
	size_t total = 0;
	if (vectored) {
		if (n < 0 || n > IOV_MAX) {
			errno = EINVAL;
			return -1;
		}
		for (int i = 0; i < n; i++) {
			if (iov[i].iov_len > SSIZE_MAX) {
				errno = EINVAL;
				return -1;
			}
		}
		for (int i = 0; i < n; i++) {
			size_t len = iov[i].iov_len < SC_MAX_RW - total ? iov[i].iov_len : SC_MAX_RW - total;
			if (!sc_user_ok(iov[i].iov_base, n == 1 ? len : iov[i].iov_len)) {
				errno = EFAULT;
				return -1;
			}
			total += len;
		}
		if (total == 0)
			return 0;
	} else {
		if (!sc_user_ok(iov[0].iov_base, iov[0].iov_len)) {
			errno = EFAULT;
			return -1;
		}
		total = iov[0].iov_len;
	}
	off_t end;
	if (total > SSIZE_MAX || pos < 0 || __builtin_add_overflow(pos, (off_t)total, &end)) {
		errno = EINVAL;
		return -1;
	}
	return (ssize_t)(total < SC_MAX_RW ? total : SC_MAX_RW);
}

/*
 * sc_view_read reads into iov at pos, as the kernel reads a regular file of
 * the view's size: readv(2) when vectored, otherwise read(2) of iov[0].
 * After sc_view_check's checks, a read stops at the end, at SC_MAX_RW
 * bytes, or where a buffer stops being writable.
 */
ssize_t sc_view_read(const struct sc_view *v, off_t pos, const struct iovec *iov, int n, int vectored)
{
	ssize_t want = sc_view_check(pos, iov, n, vectored);
	if (want <= 0)
		return want;
	size_t total = (size_t)want, done = 0;
	if (!vectored)
		n = 1;
	for (int i = 0; i < n && done < total; i++) {
		size_t len = iov[i].iov_len < total - done ? iov[i].iov_len : total - done;
		ssize_t got = copy(v, pos + (off_t)done, iov[i].iov_base, len);
		if (got < 0)
			return done > 0 ? (ssize_t)done : -1;
		done += (size_t)got;
		if ((size_t)got < len)
			break;
	}
	if (done > 0)
		sc_key_served();
	return (ssize_t)done;
}

/*
 * sc_view_seek computes the position lseek(2) would move to from cur, or
 * returns -1 with errno EINVAL (negative result, bad whence) or ENXIO
 * (SEEK_DATA or SEEK_HOLE from a negative offset or past the end), as for a
 * regular file without holes.
 */
off_t sc_view_seek(const struct sc_view *v, off_t cur, off_t off, int whence)
{
	off_t size = (off_t)v->size, base;
	switch (whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = cur;
		break;
	case SEEK_END:
		base = size;
		break;
	case SEEK_DATA:
	case SEEK_HOLE:
		if (off < 0 || off >= size) {
			errno = ENXIO;
			return -1;
		}
		return whence == SEEK_DATA ? off : size;
	default:
		errno = EINVAL;
		return -1;
	}
	off_t pos;
	if (__builtin_add_overflow(base, off, &pos) || pos < 0) {
		errno = EINVAL;
		return -1;
	}
	return pos;
}
