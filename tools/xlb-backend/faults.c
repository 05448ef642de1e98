// SPDX-License-Identifier: GPL-2.0
#include "faults.h"
#include "park.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* Error rate in parts per million, so that it fits one atomic integer. */
#define PPM 1000000u

static const char *backend_name = "";
static atomic_uint latency_ms;
static atomic_uint error_ppm;
static atomic_bool hang;
static atomic_uint cpu_us;

void fault_init(const char *name, unsigned int latency, double error_rate,
		unsigned int cpu)
{
	backend_name = name;
	atomic_store(&latency_ms, latency);
	atomic_store(&error_ppm, (unsigned int)lround(error_rate * PPM));
	atomic_store(&cpu_us, cpu);
}

unsigned int fault_latency_ms(void)
{
	return atomic_load_explicit(&latency_ms, memory_order_relaxed);
}

double fault_error_rate(void)
{
	return (double)atomic_load(&error_ppm) / PPM;
}

bool fault_hang(void)
{
	return atomic_load_explicit(&hang, memory_order_relaxed);
}

unsigned int fault_cpu_us(void)
{
	return atomic_load_explicit(&cpu_us, memory_order_relaxed);
}

/* Sets a whole-number knob, logging a change. */
static void set_uint(atomic_uint *knob, const char *name, unsigned int value,
		     const char *why)
{
	unsigned int old = atomic_exchange(knob, value);

	if (old != value)
		fprintf(stderr, "xlb-backend[%s]: fault: %s %u -> %u (%s)\n",
			backend_name, name, old, value, why);
}

void fault_set_latency_ms(unsigned int ms, const char *why)
{
	set_uint(&latency_ms, "latency_ms", ms, why);
}

void fault_set_error_rate(double rate, const char *why)
{
	unsigned int ppm = (unsigned int)lround(rate * PPM);
	unsigned int old = atomic_exchange(&error_ppm, ppm);

	if (old != ppm)
		fprintf(stderr,
			"xlb-backend[%s]: fault: error_rate %g -> %g (%s)\n",
			backend_name, (double)old / PPM, rate, why);
}

void fault_set_hang(bool on, const char *why)
{
	bool old = atomic_exchange(&hang, on);

	if (old != on)
		fprintf(stderr, "xlb-backend[%s]: fault: hang %d -> %d (%s)\n",
			backend_name, old, on, why);
	/* Requests parked while hung are answered once hang ends. */
	park_notify();
}

void fault_toggle_hang(const char *why)
{
	fault_set_hang(!fault_hang(), why);
}

void fault_set_cpu_us(unsigned int us, const char *why)
{
	set_uint(&cpu_us, "cpu_us", us, why);
}

void fault_crash(const char *why)
{
	struct rlimit no_core = { 0, 0 };

	fprintf(stderr, "xlb-backend[%s]: fault: crash (%s)\n", backend_name,
		why);
	/* A crash test wants the process gone now, not a core dump written. */
	setrlimit(RLIMIT_CORE, &no_core);
	signal(SIGABRT, SIG_DFL);
	abort();
}

/* xorshift64*: cheap, good enough to pick which requests fail. */
static uint64_t rng_next(void)
{
	static __thread uint64_t state;
	uint64_t x = state;

	if (!x) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^
		    ((uint64_t)(uintptr_t)&state << 7) ^ 0x9e3779b97f4a7c15ull;
	}
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	state = x;
	return x * 0x2545f4914f6cdd1dull;
}

bool fault_roll_error(void)
{
	unsigned int ppm =
		atomic_load_explicit(&error_ppm, memory_order_relaxed);

	if (!ppm)
		return false;
	return (rng_next() >> 11) % PPM < ppm;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

void fault_burn_cpu(unsigned int us)
{
	uint64_t end;
	volatile uint64_t sink = 0;

	if (!us)
		return;
	end = thread_cpu_ns() + (uint64_t)us * 1000;
	do {
		/* Real arithmetic between clock reads, so the work is CPU. */
		for (int i = 0; i < 256; i++)
			sink = sink * 6364136223846793005ull + i;
	} while (thread_cpu_ns() < end);
}

int fault_parse_rate(const char *text, double *rate)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(text, &end);
	if (errno || end == text || *end != '\0' || !(v >= 0.0 && v <= 1.0))
		return -1;
	*rate = v;
	return 0;
}
