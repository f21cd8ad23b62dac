/*
 * Messages: a library inside someone else's program has only standard
 * error, and may speak where malloc must not be called (fork handlers, the
 * secret heap's allocator), so the text is written part by part.
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

static void vsay(const char *part, va_list ap)
{
	char pid[24];
	sc_stderr("secretcat: ");
	sc_stderr(program_invocation_short_name);
	sc_stderr("[");
	sc_stderr(sc_heap_num(pid, (unsigned long long)getpid()));
	sc_stderr("]: ");
	for (; part != NULL; part = va_arg(ap, const char *))
		sc_stderr(part);
	sc_stderr("\n");
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
