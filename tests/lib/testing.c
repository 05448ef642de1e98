// SPDX-License-Identifier: GPL-2.0
#include "testing.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_TESTS 512

static struct {
	const char *name;
	test_fn fn;
} tests[MAX_TESTS];
static int n_tests;

#define MAX_DEFERRED 16

static struct {
	void (*fn)(void *);
	void *arg;
} deferred[MAX_DEFERRED];
static int n_deferred;

static enum { RUNNING, FAILED, SKIPPED } outcome;
static char reason[1024];

void test_register(const char *name, test_fn fn)
{
	if (n_tests == MAX_TESTS) {
		fprintf(stderr, "testing: more than %d tests\n", MAX_TESTS);
		exit(2);
	}
	tests[n_tests].name = name;
	tests[n_tests].fn = fn;
	n_tests++;
}

void test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	int len;

	len = snprintf(reason, sizeof(reason), "%s:%d: ", file, line);
	va_start(ap, fmt);
	vsnprintf(reason + len, sizeof(reason) - len, fmt, ap);
	va_end(ap);
	outcome = FAILED;
}

void test_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	outcome = SKIPPED;
}

void test_defer(void (*fn)(void *), void *arg)
{
	if (n_deferred == MAX_DEFERRED) {
		fprintf(stderr, "testing: more than %d deferred calls\n",
			MAX_DEFERRED);
		exit(2);
	}
	deferred[n_deferred].fn = fn;
	deferred[n_deferred].arg = arg;
	n_deferred++;
}

static void run_deferred(void)
{
	while (n_deferred > 0) {
		n_deferred--;
		deferred[n_deferred].fn(deferred[n_deferred].arg);
	}
}

bool test_failed(void)
{
	return outcome == FAILED;
}

/* Runs every test, or only those whose name contains argv[1]. */
int test_main(int argc, char **argv)
{
	int passed = 0, failed = 0, skipped = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 0; i < n_tests; i++) {
		if (argc > 1 && !strstr(tests[i].name, argv[1]))
			continue;
		outcome = RUNNING;
		reason[0] = '\0';
		tests[i].fn();
		run_deferred();
		switch (outcome) {
		case RUNNING:
			printf("PASS %s\n", tests[i].name);
			passed++;
			break;
		case FAILED:
			printf("FAIL %s: %s\n", tests[i].name, reason);
			failed++;
			break;
		case SKIPPED:
			printf("SKIP %s: %s\n", tests[i].name, reason);
			skipped++;
			break;
		}
	}
	printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	return failed ? 1 : 0;
}

__attribute__((weak)) int main(int argc, char **argv)
{
	return test_main(argc, argv);
}

double test_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}
