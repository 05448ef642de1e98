/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal test runner for C tests. Each test is a function registered with
 * TEST(name); the runner prints one line per test ("PASS name", "FAIL name:
 * why", "SKIP name: why") and a closing "N passed, N failed, N skipped" that
 * tests/run.sh sums across every test program.
 */
#ifndef XLB_TESTING_H
#define XLB_TESTING_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef void (*test_fn)(void);

void test_register(const char *name, test_fn fn);
void test_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void test_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool test_failed(void);
/* Runs fn(arg) after the current test returns, however it returns. */
void test_defer(void (*fn)(void *), void *arg);
int test_main(int argc, char **argv);
/* Seconds on the monotonic clock, for tests that run for a while. */
double test_now_s(void);

#define TEST(name)                                                     \
	static void name(void);                                        \
	__attribute__((constructor)) static void register_##name(void) \
	{                                                              \
		test_register(#name, name);                            \
	}                                                              \
	static void name(void)

/* Records a failure and returns from the test. */
#define CHECK(cond, ...)                                            \
	do {                                                        \
		if (!(cond)) {                                      \
			test_fail(__FILE__, __LINE__, __VA_ARGS__); \
			return;                                     \
		}                                                   \
	} while (0)

#define CHECK_EQ(a, b)                                                   \
	CHECK((long long)(a) == (long long)(b),                          \
	      "%s == %lld, expected %s == %lld", #a, (long long)(a), #b, \
	      (long long)(b))

#define SKIP(...)                       \
	do {                            \
		test_skip(__VA_ARGS__); \
		return;                 \
	} while (0)

#endif
