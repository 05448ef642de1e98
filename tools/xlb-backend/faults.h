/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fault knobs of the backend: extra latency, error rate, hang, CPU cost
 * and crash. Read on every request from any thread, changed at run time by
 * the admin endpoint or a signal, so each knob is a single atomic.
 */
#ifndef XLB_BACKEND_FAULTS_H
#define XLB_BACKEND_FAULTS_H

#include <stdbool.h>
#include <stdint.h>

#define FAULT_LATENCY_MS_MAX 600000
#define FAULT_CPU_US_MAX 10000000

void fault_init(const char *name, unsigned int latency_ms, double error_rate,
		unsigned int cpu_us);

unsigned int fault_latency_ms(void);
double fault_error_rate(void);
bool fault_hang(void);
unsigned int fault_cpu_us(void);

/* Setters log the change to stderr ("fault: hang 0 -> 1 (admin)"). */
void fault_set_latency_ms(unsigned int ms, const char *why);
void fault_set_error_rate(double rate, const char *why);
void fault_set_hang(bool hang, const char *why);
void fault_toggle_hang(const char *why);
void fault_set_cpu_us(unsigned int us, const char *why);

/* Dies at once by SIGABRT, without a core file and without any cleanup. */
void fault_crash(const char *why) __attribute__((noreturn));

/* True for a fraction fault_error_rate() of calls (thread-local RNG). */
bool fault_roll_error(void);

/* Burns @us microseconds of this thread's CPU time (not wall time), so that
 * a CPU quota on the backend's cgroup stretches the request. */
void fault_burn_cpu(unsigned int us);

/* Parses a fraction in [0, 1]; -1 when @text is not one. */
int fault_parse_rate(const char *text, double *rate);

#endif
