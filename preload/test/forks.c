/*
 * forks forks while another thread reads a served descriptor: in the
 * child, where that reader does not exist, closing the descriptor must
 * still unmap the file (a reference the reader held in the parent would
 * keep it mapped for good). Each child counts its mappings of secret
 * memory after closing: none may be left. Then a parent and a child read
 * one served descriptor at once, in small pieces, as the kernel would let
 * them read a regular file's shared description: between them they read
 * the file once, no piece twice. It prints what failed and exits 1.
 *
 * usage: forks [FORKS]
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/wait.h>

#include "secret.h"

#define SIZE (4 << 20)

static unsigned char data[SIZE];
static _Atomic int stop;
static int served;

static void *reader(void *arg)
{
	unsigned char *buf = malloc(SIZE);
	if (buf == NULL)
		sc_die("malloc");
	while (!atomic_load(&stop))
		if (pread(served, buf, SIZE, 0) != SIZE)
			sc_die("pread of the served descriptor");
	free(buf);
	return arg;
}

/*
 * race reads fd to its end in pieces of 100 bytes and returns how many
 * bytes it read, or -1 if a piece was not the file's at any position.
 */
static long race(int fd)
{
	unsigned char piece[100];
	long total = 0;
	ssize_t n;
	while ((n = read(fd, piece, sizeof piece)) > 0) {
		/* sc_fill's pattern: data[i] = (i * 7 + 5) % 251 */
		for (ssize_t i = 1; i < n; i++)
			if (piece[i] != (piece[i - 1] + 7) % 251)
				return -1;
		total += n;
	}
	return n < 0 ? -1 : total;
}

/* shared reports whether a parent and a child read fd's file once between them. */
static int shared(int fd)
{
	int p[2];
	if (pipe(p) != 0)
		sc_die("pipe");
	pid_t pid = fork();
	if (pid < 0)
		sc_die("fork");
	if (pid == 0) {
		long got = race(fd);
		_exit(write(p[1], &got, sizeof got) == (ssize_t)sizeof got ? 0 : 1);
	}
	long mine = race(fd), theirs = -1;
	int status;
	if (close(p[1]) != 0 || read(p[0], &theirs, sizeof theirs) != (ssize_t)sizeof theirs || close(p[0]) != 0 ||
	    waitpid(pid, &status, 0) != pid || status != 0)
		sc_die("the reading child");
	if (mine < 0 || theirs < 0 || mine + theirs != SIZE) {
		printf("FAIL: a parent and a child read %ld and %ld bytes of a %d-byte file they share\n", mine, theirs,
		       SIZE);
		return 0;
	}
	printf("ok: a parent and a child read %ld and %ld bytes of the file they share\n", mine, theirs);
	return 1;
}

int main(int argc, char **argv)
{
	int forks = argc > 1 ? atoi(argv[1]) : 50;
	sc_fill(data, SIZE, 5);
	int secret = sc_secret_file(data, SIZE);
	char path[64];
	snprintf(path, sizeof path, "/dev/fd/%d", secret);
	served = open(path, O_RDONLY);
	if (served < 0)
		sc_die("open of the secret's path");
	pthread_t t;
	if (pthread_create(&t, NULL, reader, NULL) != 0)
		sc_die("pthread_create");
	int bad = 0;
	for (int i = 0; i < forks; i++) {
		pid_t pid = fork();
		if (pid < 0)
			sc_die("fork");
		if (pid == 0) {
			char buf[16];
			int ok = pread(served, buf, sizeof buf, 7) == (ssize_t)sizeof buf && memcmp(buf, data + 7, sizeof buf) == 0;
			ok = ok && close(served) == 0 && sc_secret_mappings() == 0;
			_exit(ok ? 0 : 1);
		}
		int status;
		if (waitpid(pid, &status, 0) != pid)
			sc_die("waitpid");
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			bad++;
	}
	atomic_store(&stop, 1);
	if (pthread_join(t, NULL) != 0)
		sc_die("pthread_join");
	if (lseek(served, 0, SEEK_SET) != 0)
		sc_die("lseek");
	int ok = shared(served);
	printf("%s: %d of %d children read the file and unmapped it on close\n", bad || !ok ? "FAILED" : "all good",
	       forks - bad, forks);
	return bad != 0 || !ok;
}
