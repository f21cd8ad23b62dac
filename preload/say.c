/*
 * Messages: a library inside someone else's program has only standard
 * error, and may speak where malloc must not be called (fork handlers, the
 * secret heap's allocator), so a line is put together on the stack and
 * written with one write(2), so that lines from processes and threads that
 * share standard error do not interleave.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "preload.h"
#include "secheap.h"

void sc_stderr(const char *s)
{
	size_t n = strlen(s);
	while (n > 0) {
		ssize_t k = write(STDERR_FILENO, s, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return;
		s += k;
		n -= (size_t)k;
	}
}

const char *sc_heap_num(char *buf, unsigned long long n)
{
	char *p = buf + 23;
	*p = '\0';
	do
		*--p = (char)('0' + n % 10);
	while (n /= 10);
	return p;
}

/* The longest line; a longer one is cut, and ends with "...". */
#define SC_LINE_MAX 1024

struct sc_line {
	char s[SC_LINE_MAX + 1];
	size_t n;
};

static void put(struct sc_line *l, const char *part)
{
	size_t k = strlen(part), room = SC_LINE_MAX - l->n;
	if (k > room)
		k = room;
	memcpy(l->s + l->n, part, k);
	l->n += k;
}

static void vsay(const char *part, va_list ap)
{
	char pid[24];
	struct sc_line l = {.n = 0};
	put(&l, "secretcat: ");
	put(&l, program_invocation_short_name);
	put(&l, "[");
	put(&l, sc_heap_num(pid, (unsigned long long)getpid()));
	put(&l, "]: ");
	for (; part != NULL; part = va_arg(ap, const char *))
		put(&l, part);
	put(&l, "\n");
	if (l.s[l.n - 1] != '\n')
		memcpy(l.s + SC_LINE_MAX - 4, "...\n", 4);
	l.s[l.n] = '\0';
	sc_stderr(l.s);
}

void sc_heap_say(const char *part, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, part);
	vsay(part, ap);
	va_end(ap);
	errno = saved;
}

void sc_heap_die(int status, const char *part, ...)
{
	va_list ap;
	va_start(ap, part);
	vsay(part, ap);
	va_end(ap);
	_exit(status);
}
