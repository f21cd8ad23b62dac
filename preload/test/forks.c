/*
 * forks forks while another thread reads a served descriptor: in the
 * child, where that reader does not exist, closing the descriptor must
 * still unmap the file (a reference the reader held in the parent would
 * keep it mapped for good). Each child counts its mappings of secret
 * memory after closing: none may be left. It prints what failed and exits
 * 1.
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
	printf("%s: %d of %d children read the file and unmapped it on close\n", bad ? "FAILED" : "all good",
	       forks - bad, forks);
	return bad != 0;
}
