/*
 * Messages from the secret heap: a library inside someone else's program has
 * only standard error, and may be called where malloc must not be (fork
 * handlers, the allocator itself), so the text is written part by part.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "secheap.h"

static void put(const char *s)
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

static void vsay(const char *part, va_list ap)
{
	char pid[24];
	put("secretcat: ");
	put(program_invocation_short_name);
	put("[");
	put(sc_heap_num(pid, (unsigned long long)getpid()));
	put("]: ");
	for (; part != NULL; part = va_arg(ap, const char *))
		put(part);
	put("\n");
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
