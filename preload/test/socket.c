/*
 * SECRETCAT_PRELOAD_SOCKET (preload/socket.c): an open or fopen of exactly
 * that path is served with the first secret descriptor a server there
 * offers, taken once per process and kept close-on-exec; other descriptors
 * offered are closed; a server that offers no secret, or none listening,
 * leaves the open to the kernel (ENXIO for a socket, ENOENT for nothing).
 * The server here is a forked child that answers connections in order:
 * secretcat open's way (a line and a descriptor per file, a second file
 * too), twice, then with only an ordinary file, then with no descriptor.
 */
#include "secret.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

static const char key[] = "a key from a socket\n";
static int failures;

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "FAIL: %s (errno %s)\n", what, strerror(errno));
		failures++;
	}
}

static void offer(int c, const char *line, int fd)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = {.iov_base = (void *)line, .iov_len = strlen(line)};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	if (fd >= 0) {
		m.msg_control = ctl.buf;
		m.msg_controllen = sizeof ctl.buf;
		struct cmsghdr *h = CMSG_FIRSTHDR(&m);
		h->cmsg_level = SOL_SOCKET;
		h->cmsg_type = SCM_RIGHTS;
		h->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(h), &fd, sizeof fd);
	}
	if (sendmsg(c, &m, 0) != (ssize_t)strlen(line))
		sc_die("sendmsg");
}

/*
 * serve answers four connections on l, as the comment above says, and
 * exits; after 10 seconds without one (the library did not connect), it
 * fails.
 */
static void serve(int l)
{
	struct timeval wait = {.tv_sec = 10};
	if (setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait) != 0)
		sc_die("setsockopt");
	int secret = sc_secret_file((const unsigned char *)key, sizeof key - 1);
	int other = sc_secret_file((const unsigned char *)"other\n", 6);
	int plain = sc_tmpfs_file((const unsigned char *)key, sizeof key - 1);
	for (int i = 0; i < 4; i++) {
		int c = accept(l, NULL, NULL);
		if (c < 0)
			sc_die("accept");
		if (i < 2) {
			offer(c, "fd=3 name=key size=20 pid=1\n", secret);
			offer(c, "fd=4 name=other size=6 pid=1\n", other);
		} else if (i == 2) {
			offer(c, "fd=5 name=plain size=20 pid=1\n", plain);
		} else {
			offer(c, "nothing\n", -1);
		}
		if (shutdown(c, SHUT_WR) != 0)
			sc_die("shutdown");
		char b;
		if (read(c, &b, 1) < 0) /* until the client has gone */
			sc_die("read");
		if (close(c) != 0)
			sc_die("close");
	}
	_exit(0);
}

/*
 * secrets counts this process's secret descriptors, and in *cloexec those
 * that are close-on-exec; with drop it closes them with a raw close_range,
 * which the library does not see.
 */
static int secrets(int *cloexec, int drop)
{
	int n = 0;
	*cloexec = 0;
	for (int fd = 0; fd < 1024; fd++) {
		char path[64], link[64];
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
		ssize_t k = readlink(path, link, sizeof link - 1);
		if (k < 0)
			continue;
		link[k] = '\0';
		if (strcmp(link, "/secretmem (deleted)") != 0)
			continue;
		n++;
		if (fcntl(fd, F_GETFD) & FD_CLOEXEC)
			(*cloexec)++;
		if (drop && syscall(SYS_close_range, fd, fd, 0) != 0)
			sc_die("close_range");
	}
	return n;
}

/*
 * open_said opens path for reading, which must fail with errno want, and
 * checks that the library said, on standard error, a line holding said.
 */
static void open_said(const char *path, int want, const char *said, const char *what)
{
	int p[2], saved = dup(STDERR_FILENO);
	if (saved < 0 || pipe2(p, O_NONBLOCK) != 0 || dup2(p[1], STDERR_FILENO) < 0)
		sc_die("redirecting standard error");
	errno = 0;
	int fd = open(path, O_RDONLY);
	int got = errno;
	if (dup2(saved, STDERR_FILENO) < 0 || close(saved) != 0 || close(p[1]) != 0)
		sc_die("restoring standard error");
	char line[512];
	ssize_t n = read(p[0], line, sizeof line - 1);
	if (close(p[0]) != 0)
		sc_die("close");
	line[n > 0 ? n : 0] = '\0';
	errno = got;
	check(fd == -1 && got == want, what);
	check(strncmp(line, "secretcat: ", 11) == 0 && strstr(line, said) != NULL, line);
}

static int read_open(const char *path, char *buf, size_t n)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t k = read(fd, buf, n);
	int saved = errno;
	if (close(fd) != 0)
		sc_die("close");
	errno = saved;
	return (int)k;
}

int main(void)
{
	char dir[] = "/tmp/sc-socket-XXXXXX";
	if (mkdtemp(dir) == NULL)
		sc_die("mkdtemp");
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof a.sun_path, "%s/key.sock", dir);
	int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) != 0 || listen(l, 4) != 0)
		sc_die("listen");
	pid_t server = fork();
	if (server < 0)
		sc_die("fork");
	if (server == 0)
		serve(l);
	if (close(l) != 0)
		sc_die("close");
	if (setenv("SECRETCAT_PRELOAD_SOCKET", a.sun_path, 1) != 0)
		sc_die("setenv");

	char buf[64];
	int cloexec;
	/* Connection 1: open and fopen, served from the one descriptor taken. */
	check(read_open(a.sun_path, buf, sizeof buf) == (int)sizeof key - 1 && memcmp(buf, key, sizeof key - 1) == 0,
	      "open of the socket's path reads the key");
	FILE *f = fopen(a.sun_path, "r");
	check(f != NULL, "fopen of the socket's path");
	if (f != NULL) {
		check(fread(buf, 1, sizeof buf, f) == sizeof key - 1 && memcmp(buf, key, sizeof key - 1) == 0,
		      "fread reads the key");
		check(fclose(f) == 0, "fclose");
	}
	check(secrets(&cloexec, 0) == 1 && cloexec == 1, "one secret descriptor kept, close-on-exec; the other offered closed");

	/* Another spelling of the path is the kernel's: a socket does not open. */
	char other[sizeof a.sun_path + 1];
	snprintf(other, sizeof other, "/%s", a.sun_path);
	errno = 0;
	check(open(other, O_RDONLY) == -1 && errno == ENXIO, "another spelling: ENXIO");
	errno = 0;
	check(open(a.sun_path, O_WRONLY) == -1 && errno == ENXIO, "write-only: ENXIO");

	/* Closed behind the library's back: connection 2 gives it again. */
	secrets(&cloexec, 1);
	check(read_open(a.sun_path, buf, sizeof buf) == (int)sizeof key - 1, "taken again after a close behind its back");
	check(secrets(&cloexec, 1) == 1, "one secret descriptor kept again");

	/* Connections 3 and 4 offer no secret: the kernel answers. */
	for (int i = 0; i < 2; i++) {
		open_said(a.sun_path, ENXIO, "(SECRETCAT_PRELOAD_SOCKET): no secret descriptor from a secretcat "
			  "open --socket there: it offered none\n", "no secret offered: ENXIO");
		check(secrets(&cloexec, 0) == 0, "an ordinary descriptor offered is not kept");
	}
	int status;
	if (failures > 0 && kill(server, SIGKILL) != 0)
		sc_die("kill");
	if (waitpid(server, &status, 0) != server)
		sc_die("waitpid");
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the server answered four connections");

	/* Nobody there. */
	if (unlink(a.sun_path) != 0 || rmdir(dir) != 0)
		sc_die("cleaning up");
	open_said(a.sun_path, ENOENT, "there: No such file or directory\n", "no socket: ENOENT");
	if (failures == 0)
		printf("socket: all checks passed\n");
	return failures == 0 ? 0 : 1;
}
