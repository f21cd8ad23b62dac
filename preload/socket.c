/*
 * A secret descriptor taken from a running "secretcat open --socket PATH",
 * for programs that can inherit none: a supervisor that closes every
 * descriptor from 3 up and starts its services with a fresh environment
 * (Postfix's master) leaves nothing for /dev/fd/N to name. With
 * SECRETCAT_PRELOAD_SOCKET=PATH in the environment, an open of exactly PATH
 * (as the program writes it) connects to PATH, receives the first secret
 * descriptor secretcat open offers (SCM_RIGHTS; any others are closed) and
 * serves it as /dev/fd/N is served. The process keeps that descriptor,
 * close-on-exec, and serves later opens of PATH from it without asking
 * again; nothing it runs inherits it. secretcat open hands descriptors only
 * to processes of its own uid.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "preload.h"
#include "secheap.h"

#define SC_SOCKET_ENV "SECRETCAT_PRELOAD_SOCKET"

/* The most descriptors one message brings (secretcat open sends one each). */
#define SC_FDS_PER_MESSAGE 8

/* How long a silent secretcat open may keep the program waiting. */
#define SC_SOCKET_WAIT_SECONDS 10

/* The descriptor this process took, and its inode, to know it again. */
static _Atomic int taken = -1;
static _Atomic ino_t taken_ino;

/* close_quietly closes a descriptor the program never saw; errno is kept. */
static void close_quietly(int fd)
{
	int saved = errno;
	(void)SC_CALL_NEXT(close, fd); /* nothing to do if it fails */
	errno = saved;
}

/*
 * keep_first goes through the descriptors of one message: the first secret
 * file becomes *first if it is still -1, every other one is closed.
 */
static void keep_first(struct msghdr *m, int *first)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c != NULL; c = CMSG_NXTHDR(m, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
			if (*first < 0 && sc_is_secret(fd))
				*first = sc_fresh(fd);
			else
				close_quietly(fd);
		}
	}
}

/*
 * receive reads what secretcat open sends on s (a line and a descriptor per
 * file) to the end, so that it counts this process as served, and returns
 * the first secret descriptor, or -1 with errno (EPROTO: none came).
 */
static int receive(int s)
{
	int first = -1;
	for (;;) {
		char data[256];
		union {
			struct cmsghdr align;
			char buf[CMSG_SPACE(SC_FDS_PER_MESSAGE * sizeof(int))];
		} ctl;
		struct iovec iov = {.iov_base = data, .iov_len = sizeof data};
		struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
		ssize_t n = recvmsg(s, &m, MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n >= 0)
			keep_first(&m, &first);
		if (n > 0)
			continue;
		if (n == 0 && first < 0)
			errno = EPROTO;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			errno = ETIMEDOUT;
		if (n < 0 && first >= 0) {
			close_quietly(first);
			first = -1;
		}
		return first;
	}
}

/* take connects to path and returns the descriptor it receives, or -1 with errno. */
static int take(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	size_t len = strlen(path);
	if (len >= sizeof a.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(a.sun_path, path, len + 1);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	struct timeval wait = {.tv_sec = SC_SOCKET_WAIT_SECONDS};
	int fd = -1;
	if (setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait) == 0 &&
	    connect(s, (struct sockaddr *)&a, sizeof a) == 0)
		fd = receive(s);
	close_quietly(s);
	return fd;
}

/* ino is fd's inode number, or 0 when fstat fails. */
static ino_t ino(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 ? st.st_ino : 0;
}

/*
 * sc_secret_of_socket returns the secret descriptor served for path when
 * path is SECRETCAT_PRELOAD_SOCKET's value, taking it from the socket the
 * first time, and -1 otherwise or when it cannot be taken (then one line
 * on standard error says why). errno is kept.
 */
int sc_secret_of_socket(const char *path)
{
	const char *want = getenv(SC_SOCKET_ENV);
	if (path == NULL || want == NULL || want[0] == '\0' || strcmp(path, want) != 0)
		return -1;
	int saved = errno;
	int fd = taken;
	if (fd >= 0 && sc_is_secret(fd) && ino(fd) == taken_ino) {
		errno = saved;
		return fd;
	}
	int got = take(path);
	if (got < 0) {
		sc_heap_say(path, " (" SC_SOCKET_ENV "): no secret descriptor from a secretcat open --socket there: ",
			    errno == EPROTO ? "it offered none" : strerror(errno), NULL);
		errno = saved;
		return -1;
	}
	/* Another thread may have taken one meanwhile: one is enough. */
	if (!atomic_compare_exchange_strong(&taken, &fd, got)) {
		close_quietly(got);
		got = fd;
	} else {
		taken_ino = ino(got);
	}
	errno = saved;
	return got;
}
