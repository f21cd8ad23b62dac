/*
 * Recognising the paths that name one of this process's descriptors, as
 * written: /dev/fd/N, /proc/self/fd/N, /proc/thread-self/fd/N,
 * /proc/PID/fd/N and /proc/PID/task/TID/fd/N with this process's PID (or
 * self) and the ID of one of its threads. Repeated slashes and "."
 * components are allowed, as the kernel allows them; anything after N (the
 * kernel's ENOTDIR) and paths of PATH_MAX bytes or more (ENAMETOOLONG) are
 * left to the kernel. Relative paths and ".." need the kernel to resolve
 * them (fdpath_at.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "preload.h"

/* The most components a descriptor path has: /proc/PID/task/TID/fd/N. */
#define SC_MAX_COMPONENTS 6

struct sc_component {
	const char *s;
	size_t len;
};

/*
 * split stores up to SC_MAX_COMPONENTS components of the absolute path in
 * c and returns how many there are, or -1 if the path is relative, has
 * more, has a ".." component, is PATH_MAX bytes long or more, or does not
 * end with its last component ("/dev/fd/3/" and "/dev/fd/3/." name a
 * directory, which a descriptor of a file is not).
 */
static int split(const char *path, struct sc_component *c)
{
	if (path[0] != '/' || strnlen(path, PATH_MAX) == PATH_MAX)
		return -1;
	int n = 0;
	const char *p = path;
	for (;;) {
		while (*p == '/')
			p++;
		if (*p == '\0')
			return n > 0 && c[n - 1].s[c[n - 1].len] == '\0' ? n : -1;
		const char *end = strchrnul(p, '/');
		size_t len = (size_t)(end - p);
		if (len == 2 && p[0] == '.' && p[1] == '.')
			return -1;
		if (!(len == 1 && p[0] == '.')) {
			if (n == SC_MAX_COMPONENTS)
				return -1;
			c[n].s = p;
			c[n].len = len;
			n++;
		}
		p = end;
	}
}

static int is(const struct sc_component *c, const char *word)
{
	return c->len == strlen(word) && memcmp(c->s, word, c->len) == 0;
}

/*
 * number parses a decimal number as the kernel's /proc does: digits only,
 * no leading zero, at most INT_MAX. It returns -1 otherwise.
 */
static long number(const struct sc_component *c)
{
	if (c->len == 0 || c->len > 10 || (c->len > 1 && c->s[0] == '0'))
		return -1;
	long v = 0;
	for (size_t i = 0; i < c->len; i++) {
		if (c->s[i] < '0' || c->s[i] > '9')
			return -1;
		v = v * 10 + (c->s[i] - '0');
	}
	return v <= INT_MAX ? v : -1;
}

/* is_thread reports whether a /proc component names a thread of this process. */
static int is_thread(const struct sc_component *c)
{
	long id = number(c);
	if (id <= 0)
		return 0;
	if (id == (long)getpid())
		return 1;
	int saved = errno;
	int ours = syscall(SYS_tgkill, (long)getpid(), id, 0) == 0;
	errno = saved;
	return ours;
}

/* is_self reports whether a /proc component names this process. */
static int is_self(const struct sc_component *c)
{
	return is(c, "self") || is(c, "thread-self") || is_thread(c);
}

/*
 * sc_fd_of_path returns N when path names this process's descriptor N, and
 * -1 for any other path.
 */
int sc_fd_of_path(const char *path)
{
	if (path == NULL)
		return -1;
	struct sc_component c[SC_MAX_COMPONENTS];
	int n = split(path, c);
	if (n == 3 && is(&c[0], "dev") && is(&c[1], "fd"))
		return (int)number(&c[2]);
	if (n == 4 && is(&c[0], "proc") && is_self(&c[1]) && is(&c[2], "fd"))
		return (int)number(&c[3]);
	if (n == 6 && is(&c[0], "proc") && (is(&c[1], "self") || is_thread(&c[1])) && is(&c[2], "task") &&
	    is_thread(&c[3]) && is(&c[4], "fd"))
		return (int)number(&c[5]);
	return -1;
}

/*
 * sc_fd_of_last returns N when the last component of path is a number as
 * /proc writes descriptor numbers and nothing follows it, with *dir_len
 * the length of what precedes it ("" for "3", "fd/" for "fd/3"); -1
 * otherwise, and for paths of PATH_MAX bytes or more.
 */
int sc_fd_of_last(const char *path, size_t *dir_len)
{
	size_t len = strnlen(path, PATH_MAX);
	if (len == PATH_MAX)
		return -1;
	size_t start = len;
	while (start > 0 && path[start - 1] != '/')
		start--;
	struct sc_component last = {path + start, len - start};
	*dir_len = start;
	return (int)number(&last);
}
