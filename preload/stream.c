/*
 * fopen(3) of /dev/fd/N (and the /proc forms) where N is a secret file:
 * OpenSSL's BIO_new_file, and so nginx, haproxy, PostgreSQL, the openssl
 * command and Python's ssl, open key files this way. For reading, this
 * library returns an unbuffered stream (fopencookie(3)) over a read-only
 * mapping: stdio keeps no buffer of the plaintext. Everything else goes to
 * libc untouched, errno included.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "preload.h"

struct sc_stream {
	struct sc_view view;
	off_t pos;
};

static ssize_t stream_read(void *cookie, char *buf, size_t n)
{
	struct sc_stream *s = cookie;
	struct iovec iov = {buf, n};
	ssize_t got = sc_view_read(&s->view, s->pos, &iov, 1, 0);
	if (got > 0)
		s->pos += (off_t)got;
	return got;
}

static int stream_seek(void *cookie, off64_t *off, int whence)
{
	struct sc_stream *s = cookie;
	off_t pos = sc_view_seek(&s->view, s->pos, *off, whence);
	if (pos < 0)
		return -1;
	s->pos = *off = pos;
	return 0;
}

static int stream_close(void *cookie)
{
	struct sc_stream *s = cookie;
	int err = sc_view_unmap(&s->view);
	free(s);
	return err;
}

static const cookie_io_functions_t stream_io = {
	.read = stream_read,
	.seek = stream_seek,
	.close = stream_close,
};

/*
 * read_only reports whether an fopen mode only reads: "r" and glibc's
 * modifiers (b, c, e, m), no "+" and no ",ccs=" conversion.
 */
static int read_only(const char *mode)
{
	return mode != NULL && mode[0] == 'r' && strpbrk(mode, "+,") == NULL;
}

/*
 * serve opens path as a stream when it names a secret descriptor and mode
 * only reads: it returns 1 with *f the stream, or NULL and errno on
 * failure; 0 for a call that is not its own.
 */
static int serve(const char *path, const char *mode, FILE **f)
{
	if (!read_only(mode))
		return 0;
	int fd = sc_secret_of_path(path);
	if (fd < 0)
		return 0;
	*f = NULL;
	struct sc_stream *s = calloc(1, sizeof *s);
	if (s == NULL)
		return 1;
	if (sc_view_map(fd, &s->view) != 0) {
		free(s);
		return 1;
	}
	*f = fopencookie(s, "r", stream_io);
	if (*f == NULL) {
		int saved = errno;
		if (stream_close(s) != 0)
			saved = errno;
		errno = saved;
		return 1;
	}
	if (setvbuf(*f, NULL, _IONBF, 0) != 0) {
		int saved = errno;
		if (fclose(*f) != 0)
			saved = errno;
		*f = NULL;
		errno = saved;
	}
	return 1;
}

#define SC_FOPEN(fn) \
	SC_EXPORT FILE *fn(const char *path, const char *mode) \
	{ \
		FILE *f; \
		if (serve(path, mode, &f)) \
			return f; \
		__typeof__(&fn) next = SC_NEXT(fn); \
		return next != NULL ? next(path, mode) : NULL; \
	}

SC_FOPEN(fopen)
SC_FOPEN(fopen64)
