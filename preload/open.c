/*
 * The open family: open(2) of /dev/fd/N (and the /proc forms) where N is a
 * secret file fails with ENXIO in the kernel. For a read-only open, this
 * library hands out a new descriptor of the same secret file instead (a
 * duplicate, so that fstat(2) and mmap(2) work on it as they do on N) and
 * serves read(2) and friends on it from a read-only mapping (read.c).
 * Everything else goes to libc untouched, errno included; a descriptor libc
 * opens is one the library forgets, if its number was served before.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <unistd.h>

#include "preload.h"

/* What serve returns for a call it leaves to libc. */
#define SC_PASS (-2)

/* The fortified entry points of <bits/fcntl2.h>, declared only under it. */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

/*
 * readable reports whether flags ask for what a secret file can give: read
 * access to the file itself (O_CREAT of a file that is there changes
 * nothing), without truncating, O_EXCL creation, O_TMPFILE, or an O_PATH,
 * O_DIRECTORY or O_NOFOLLOW lookup (which the kernel answers itself).
 */
static int readable(int flags)
{
	if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
		return 0;
	return (flags & O_ACCMODE) == O_RDONLY &&
	       (flags & (O_TRUNC | O_PATH | O_DIRECTORY | O_NOFOLLOW | __O_TMPFILE)) == 0;
}

/*
 * sc_open_secret hands out a new descriptor of the secret file secret, a
 * duplicate (with O_CLOEXEC from flags), served as if opened with flags.
 * It returns the descriptor, or -1 with errno (mmap's EAGAIN over
 * RLIMIT_MEMLOCK, EMFILE).
 */
int sc_open_secret(int secret, int flags)
{
	int fd = SC_CALL_NEXT(fcntl, secret, (flags & O_CLOEXEC) ? F_DUPFD_CLOEXEC : F_DUPFD, 0);
	if (fd < 0)
		return -1;
	struct sc_open *o = sc_table_add(fd, flags);
	if (o != NULL) {
		sc_open_put(o);
		return fd;
	}
	int saved = errno;
	if (SC_CALL_NEXT(close, fd) != 0)
		saved = errno;
	errno = saved;
	return -1;
}

/*
 * serve opens path, relative to dirfd, for reading when it names a secret
 * descriptor: it returns the new descriptor, or -1 with errno, or SC_PASS
 * for a call that is not its own.
 */
static int serve(int dirfd, const char *path, int flags)
{
	if (!readable(flags))
		return SC_PASS;
	int secret = sc_secret_of_path(dirfd, path);
	if (secret < 0)
		return SC_PASS;
	return sc_open_secret(secret, flags);
}

/*
 * passed returns fd, the kernel's answer to an open that serve left to it.
 * A path that the kernel refused with ENXIO may be a symbolic link to a
 * secret descriptor (fdlink.c): that one is served.
 */
static int passed(int dirfd, const char *path, int flags, int fd)
{
	if (fd >= 0 || errno != ENXIO || !readable(flags))
		return sc_fresh(fd);
	int secret = sc_secret_of_link(dirfd, path);
	return secret >= 0 ? sc_open_secret(secret, flags) : -1;
}

/* The mode argument, present only when flags create a file. */
#define SC_MODE(flags, mode) \
	do { \
		if (__OPEN_NEEDS_MODE(flags)) { \
			va_list ap; \
			va_start(ap, flags); \
			mode = va_arg(ap, mode_t); \
			va_end(ap); \
		} \
	} while (0)

#define SC_OPEN(fn) \
	SC_EXPORT int fn(const char *path, int flags, ...) \
	{ \
		mode_t mode = 0; \
		SC_MODE(flags, mode); \
		int fd = serve(AT_FDCWD, path, flags); \
		return fd != SC_PASS ? fd : passed(AT_FDCWD, path, flags, SC_CALL_NEXT(fn, path, flags, mode)); \
	}

#define SC_OPENAT(fn) \
	SC_EXPORT int fn(int dirfd, const char *path, int flags, ...) \
	{ \
		mode_t mode = 0; \
		SC_MODE(flags, mode); \
		int fd = serve(dirfd, path, flags); \
		return fd != SC_PASS ? fd : passed(dirfd, path, flags, SC_CALL_NEXT(fn, dirfd, path, flags, mode)); \
	}

#define SC_OPEN_2(fn) \
	SC_EXPORT int fn(const char *path, int flags) \
	{ \
		int fd = serve(AT_FDCWD, path, flags); \
		return fd != SC_PASS ? fd : passed(AT_FDCWD, path, flags, SC_CALL_NEXT(fn, path, flags)); \
	}

#define SC_OPENAT_2(fn) \
	SC_EXPORT int fn(int dirfd, const char *path, int flags) \
	{ \
		int fd = serve(dirfd, path, flags); \
		return fd != SC_PASS ? fd : passed(dirfd, path, flags, SC_CALL_NEXT(fn, dirfd, path, flags)); \
	}

SC_OPEN(open)
SC_OPEN(open64)
SC_OPENAT(openat)
SC_OPENAT(openat64)
SC_OPEN_2(__open_2)
SC_OPEN_2(__open64_2)
SC_OPENAT_2(__openat_2)
SC_OPENAT_2(__openat64_2)
