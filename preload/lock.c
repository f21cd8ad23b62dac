/*
 * Record locks on a served descriptor: fcntl(2)'s F_SETLK, F_SETLKW and
 * F_GETLK and their F_OFD_ forms, and lockf(3), which glibc makes of them.
 * The kernel locks the secret file behind the descriptor, which is open
 * for reading and writing and whose file position is not the one the
 * library serves: it grants a write lock where a file opened O_RDONLY
 * refuses it (EBADF), and counts a range from SEEK_CUR from the wrong
 * place. So the library reads the caller's struct flock through the
 * kernel (EFAULT where the kernel's copy fails), asks the same call of a
 * twin at the served position (twin.c), which answers the kernel's checks
 * of the command, type, range and access mode, and only then locks the real
 * file, with the range counted from SEEK_SET.
 * Other descriptors cost one lookup in the library's table.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "preload.h"

static int locking(int cmd)
{
	return cmd == F_SETLK || cmd == F_SETLKW || cmd == F_GETLK || cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW ||
	       cmd == F_OFD_GETLK;
}

/*
 * peek copies the caller's struct flock at user into l through the kernel,
 * which fails with EFAULT where the kernel's own copy would: it writes it
 * to a twin (an empty tmpfs file) and reads it back. It returns 0, -1 with
 * EFAULT, or -2 with errno kept when there is no twin to ask.
 */
static int peek(const void *user, struct flock *l)
{
	int saved = errno;
	int t = sc_twin(O_RDWR, 0);
	if (t < 0) {
		errno = saved;
		return -2;
	}
	ssize_t w = SC_CALL_NEXT(pwrite, t, user, sizeof *l, 0);
	int fault = w < 0 ? errno == EFAULT : w != (ssize_t)sizeof *l;
	ssize_t r = w == (ssize_t)sizeof *l ? SC_CALL_NEXT(pread, t, l, sizeof *l, 0) : -1;
	(void)SC_CALL_NEXT(close, t); /* the twin's answer stands */
	errno = fault ? EFAULT : saved;
	return fault ? -1 : r == (ssize_t)sizeof *l ? 0 : -2;
}

/*
 * asked returns the twin's answer to cmd with a copy of l: 0, or -1 with
 * errno. A twin that cannot be made answers nothing (0).
 */
static int asked(int flags, off_t pos, int cmd, const struct flock *l)
{
	int saved = errno;
	int t = sc_twin(flags, pos);
	if (t < 0) {
		errno = saved;
		return 0;
	}
	struct flock copy = *l;
	int r = SC_CALL_NEXT(fcntl, t, cmd, &copy);
	int err = errno;
	(void)SC_CALL_NEXT(close, t); /* the twin's answer stands */
	errno = r < 0 ? err : saved;
	return r < 0 ? -1 : 0;
}

/*
 * locked makes fcntl's lock command cmd with l, the caller's struct flock
 * at arg, on fd, served at position pos with flags, as the kernel would on
 * a regular file.
 */
static int locked(int fd, int flags, off_t pos, int cmd, void *arg, const struct flock *l)
{
	if (asked(flags, pos, cmd, l) != 0)
		return -1;
	struct flock set = *l;
	if (set.l_whence == SEEK_CUR) {
		set.l_whence = SEEK_SET;
		if (__builtin_add_overflow(set.l_start, pos, &set.l_start)) { /* the twin said so first */
			errno = EOVERFLOW;
			return -1;
		}
	}
	int r = SC_CALL_NEXT(fcntl, fd, cmd, &set);
	if (r < 0 || (cmd != F_GETLK && cmd != F_OFD_GETLK))
		return r;
	/* A range that nothing holds comes back as it was asked, unlocked. */
	if (set.l_type == F_UNLCK) {
		set = *l;
		set.l_type = F_UNLCK;
	}
	if (sc_copy_out(arg, &set, sizeof set) == (ssize_t)sizeof set)
		return 0;
	errno = EFAULT;
	return -1;
}

/*
 * sc_lock returns 1, with *r fcntl's answer, when cmd is a lock command and
 * fd a served descriptor; 0 for a call that is not its own.
 */
int sc_lock(int fd, int cmd, void *arg, int *r)
{
	if (!locking(cmd))
		return 0;
	struct sc_open *o = sc_table_find(fd);
	if (o == NULL)
		return 0;
	int flags = sc_open_getfl(o);
	off_t pos = sc_open_seek(o, 0, SEEK_CUR);
	sc_open_put(o);
	struct flock l;
	int got = peek(arg, &l);
	if (got == -2) /* no twin (a seccomp filter): the kernel answers */
		return 0;
	*r = got != 0 ? -1 : locked(fd, flags, pos, cmd, arg, &l);
	return 1;
}

/*
 * lockf(3) of a served descriptor, made of fcntl(2) locks as glibc makes
 * it, through this library's fcntl (glibc's own calls its internal one).
 */
static int served_lockf(int fd, int cmd, off_t len)
{
	struct flock l = {.l_whence = SEEK_CUR, .l_start = 0, .l_len = len};
	switch (cmd) {
	case F_TEST:
		l.l_type = F_RDLCK;
		if (fcntl(fd, F_GETLK, &l) < 0)
			return -1;
		if (l.l_type == F_UNLCK || l.l_pid == getpid())
			return 0;
		errno = EACCES;
		return -1;
	case F_ULOCK:
		l.l_type = F_UNLCK;
		return fcntl(fd, F_SETLK, &l);
	case F_LOCK:
		l.l_type = F_WRLCK;
		return fcntl(fd, F_SETLKW, &l);
	case F_TLOCK:
		l.l_type = F_WRLCK;
		return fcntl(fd, F_SETLK, &l);
	default:
		errno = EINVAL;
		return -1;
	}
}

#define SC_LOCKF(fn, off) \
	SC_EXPORT int fn(int fd, int cmd, off len) \
	{ \
		struct sc_open *o = sc_table_find(fd); \
		if (o == NULL) \
			return SC_CALL_NEXT(fn, fd, cmd, len); \
		sc_open_put(o); \
		return served_lockf(fd, cmd, (off_t)len); \
	}

SC_LOCKF(lockf, off_t)
SC_LOCKF(lockf64, off64_t)
