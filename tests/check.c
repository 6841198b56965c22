/* The unit-test harness (see check.h). Each test runs in a forked child so a
 * crash or sanitizer abort fails only that test. */
#include "check.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

char check_tmpdir[4096];

const char *check_fixtures(void)
{
	static char path[4096];
	const char *env = getenv("CUSTOS_FIXTURES");
	struct stat st;
	if (env && *env) {
		if (stat(env, &st) == 0 && S_ISDIR(st.st_mode))
			return env;
		return NULL;
	}
	/* tests run from the project top; fixtures live beside the clone */
	if (!realpath("../shared/fixtures", path))
		return NULL;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode) ? path : NULL;
}

void check_skip(const char *why)
{
	printf("SKIP %s\n", why);
	fflush(stdout);
	exit(77);
}

void check__fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	fprintf(stdout, "  %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
	exit(1);
}

static int rm_rf(const char *path)
{
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
	return system(cmd);
}

int check_run(const char *suite, const check_case_t *cases, size_t n, int argc, char **argv)
{
	size_t passed = 0, failed = 0, skipped = 0;
	const char *only = argc > 1 ? argv[1] : NULL;
	char base[4096];
	const char *tmp = getenv("TMPDIR");

	if (custos_global_init() != 0) {
		printf("%s: cannot initialise\n", suite);
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		if (only && strcmp(only, cases[i].name) != 0)
			continue;
		snprintf(base, sizeof base, "%s/custos-test-XXXXXX", tmp ? tmp : "/tmp");
		if (!mkdtemp(base)) {
			printf("FAIL %s: mkdtemp: %s\n", cases[i].name, strerror(errno));
			failed++;
			continue;
		}
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) {
			snprintf(check_tmpdir, sizeof check_tmpdir, "%s", base);
			cases[i].fn();
			/* exit, not _exit: LeakSanitizer checks at exit */
			exit(0);
		}
		int st = 0;
		waitpid(pid, &st, 0);
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
			printf("PASS %s\n", cases[i].name);
			passed++;
		} else if (WIFEXITED(st) && WEXITSTATUS(st) == 77) {
			skipped++;
		} else {
			if (WIFSIGNALED(st))
				printf("  killed by signal %d\n", WTERMSIG(st));
			printf("FAIL %s\n", cases[i].name);
			failed++;
		}
		if (!getenv("CHECK_KEEP"))
			rm_rf(base);
	}
	printf("%s: %zu passed, %zu failed, %zu skipped\n", suite, passed, failed, skipped);
	return failed ? 1 : 0;
}
