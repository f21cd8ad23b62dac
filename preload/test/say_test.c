/*
 * say_test: the library's messages from processes that share standard
 * error arrive whole, one line each, however many speak at once. Linked
 * with say.c.
 *
 * usage: say_test [PROCESSES [LINES]]
 */
#define _GNU_SOURCE
#include <sys/wait.h>

#include "../secheap.h"
#include "secret.h"

int main(int argc, char **argv)
{
	int procs = argc > 1 ? atoi(argv[1]) : 8, lines = argc > 2 ? atoi(argv[2]) : 200;
	char part[301];
	memset(part, 'x', 300);
	part[300] = '\0';
	int p[2];
	if (pipe(p) != 0)
		sc_die("pipe");
	for (int i = 0; i < procs; i++) {
		pid_t pid = fork();
		if (pid < 0)
			sc_die("fork");
		if (pid == 0) {
			if (dup2(p[1], STDERR_FILENO) != STDERR_FILENO)
				_exit(2);
			for (int k = 0; k < lines; k++)
				sc_heap_say("the OpenSSL secret heap is full (", part, "): ", part, " end", NULL);
			_exit(0);
		}
	}
	if (close(p[1]) != 0)
		sc_die("close");
	size_t cap = (size_t)procs * (size_t)lines * 1024 + 1, got = 0;
	char *all = malloc(cap);
	if (all == NULL)
		sc_die("malloc");
	ssize_t n;
	while (got < cap - 1 && (n = read(p[0], all + got, cap - 1 - got)) > 0)
		got += (size_t)n;
	all[got] = '\0';
	for (int i = 0; i < procs; i++)
		if (wait(NULL) < 0)
			sc_die("wait");
	int whole = 0, broken = 0;
	for (char *line = strtok(all, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		size_t len = strlen(line);
		if (strncmp(line, "secretcat: say_test[", 20) == 0 && len > 4 && strcmp(line + len - 4, " end") == 0 &&
		    strstr(line + 1, "secretcat: ") == NULL)
			whole++;
		else
			broken++;
	}
	int ok = whole == procs * lines && broken == 0;
	printf("%s: %d of %d lines whole, %d broken\n", ok ? "all good" : "FAILED", whole, procs * lines, broken);
	return !ok;
}
