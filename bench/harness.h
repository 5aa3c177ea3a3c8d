/*
 * What every benchmark here shares: the command line (--workers, --runs, --n), the run loop
 * (one warm-up, then the measured runs), and the result line that the table runner parses:
 *
 *   pingpong workers=2 runs=5 n=1000000 median_ns=241.3 min_ns=236.0 unit=ns/roundtrip
 *
 * Only that line goes to stdout; per-run figures and start-up time go to stderr. A benchmark
 * verifies its own result on every run and exits non-zero if one is wrong. median_ns and min_ns
 * carry the figure in `unit`: nanoseconds per unit for timings, bytes per actor for the memory
 * benchmark. A benchmark may append fields after `unit` (bench_main_extra), such as
 * peak_rss_kb=...; the peers in bench/peers print the same line, so one parser reads all three.
 */
#ifndef ART_BENCH_HARNESS_H
#define ART_BENCH_HARNESS_H

#include <errno.h>
#include <inttypes.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "art.h"

/* --monitor: the system's monitor. "default" is the system's own in-memory monitor at its
 * default filter (info and above); "off" is the no-op monitor; "trace" records every event
 * (each message is then three events: enqueued, dequeued/received, processed). */
static const char *bench_monitor = "default";

typedef struct bench_options {
  uint32_t workers; /* --workers, default 2 (the peers run with as many) */
  uint32_t runs;    /* --runs, default 5, after one warm-up */
  uint64_t n;       /* --n: round trips, messages...; the default is the benchmark's */
} bench_options;

static inline bool bench_parse_u64(const char *text, uint64_t min, uint64_t *out) {
  if (!text || *text < '0' || *text > '9')
    return false;
  char *end;
  errno = 0;
  unsigned long long value = strtoull(text, &end, 10);
  if (errno || *end || value < min)
    return false;
  *out = value;
  return true;
}

/* Fills @p o from the command line; prints the usage and returns false on a bad argument. */
static inline bool bench_options_parse(bench_options *o, int argc, char **argv, uint64_t n) {
  o->workers = 2;
  o->runs = 5;
  o->n = n;
  for (int i = 1; i < argc; i++) {
    uint64_t value;
    const char *arg = argv[i];
    const char *next = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(arg, "--workers") == 0 && bench_parse_u64(next, 1, &value) && value <= 256)
      o->workers = (uint32_t)value;
    else if (strcmp(arg, "--runs") == 0 && bench_parse_u64(next, 1, &value) && value <= 1000)
      o->runs = (uint32_t)value;
    else if (strcmp(arg, "--n") == 0 && bench_parse_u64(next, 1, &value))
      o->n = value;
    else if (strcmp(arg, "--monitor") == 0 && next &&
             (!strcmp(next, "off") || !strcmp(next, "default") || !strcmp(next, "trace")))
      bench_monitor = next;
    else {
      fprintf(stderr,
              "usage: %s [--workers N] [--runs R] [--n COUNT] [--monitor off|default|trace]"
              "   (defaults 2, 5, %" PRIu64 ", default)\n",
              argv[0], n);
      return false;
    }
    i++;
  }
  return true;
}

/* Creates a system with @p workers workers and default settings otherwise; exits on failure. */
static inline art_system *bench_system_create(uint32_t workers) {
  art_system_config cfg;
  art_system_config_init(&cfg);
  cfg.workers = workers;
  if (!strcmp(bench_monitor, "off"))
    cfg.monitor = art_monitor_noop();
  art_system *sys = NULL;
  int rc = art_system_create(&sys, &cfg);
  if (rc == 0 && !strcmp(bench_monitor, "trace"))
    rc = art_system_set_event_filter(sys, ART_EVENT_FAMILY_ALL, ART_SEVERITY_TRACE);
  if (rc) {
    fprintf(stderr, "art_system_create: %s\n", art_strerror(rc));
    exit(1);
  }
  return sys;
}

/* Exits with a message if @p rc is an error. */
static inline void bench_check(int rc, const char *what) {
  if (rc) {
    fprintf(stderr, "%s: %s\n", what, art_strerror(rc));
    exit(1);
  }
}

static inline int bench_compare_double(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  return a < b ? -1 : a > b;
}

/* Sorts the @p n (> 0) values of @p v and returns their median. */
static inline double bench_median(double *v, size_t n) {
  qsort(v, n, sizeof *v, bench_compare_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

/* One measured run: returns the time per unit in ns, or a negative value if the run's result
 * was wrong (it has printed why). */
typedef double (*bench_run_fn)(void *ctx, uint64_t n);

/* Extra fields for the end of the result line (" key=value ..."), asked for after the runs;
 * writes at most @p len bytes into @p buf. */
typedef void (*bench_extra_fn)(void *ctx, char *buf, size_t len);

/* Runs one warm-up and @p o->runs measured runs, prints the result line, with the fields
 * @p extra writes (if not NULL) at its end; returns the exit status for main. */
static inline int bench_main_extra(const char *name, const char *unit, const bench_options *o,
                                   bench_run_fn run, void *ctx, bench_extra_fn extra) {
  double *ns = calloc(o->runs, sizeof *ns);
  if (!ns)
    return 1;
  if (run(ctx, o->n) < 0) {
    free(ns);
    return 1;
  }
  for (uint32_t i = 0; i < o->runs; i++) {
    ns[i] = run(ctx, o->n);
    if (ns[i] < 0) {
      free(ns);
      return 1;
    }
    fprintf(stderr, "%s: run %" PRIu32 ": %.1f %s\n", name, i + 1, ns[i], unit);
  }
  double median = bench_median(ns, o->runs);
  char fields[256] = "";
  if (extra)
    extra(ctx, fields, sizeof fields);
  if (strcmp(bench_monitor, "default") != 0) {
    size_t used = strlen(fields);
    snprintf(fields + used, sizeof fields - used, " monitor=%s", bench_monitor);
  }
  printf("%s workers=%" PRIu32 " runs=%" PRIu32 " n=%" PRIu64 " median_ns=%.1f min_ns=%.1f "
         "unit=%s%s\n",
         name, o->workers, o->runs, o->n, median, ns[0], unit, fields);
  fflush(stdout);
  free(ns);
  return 0;
}

/* bench_main_extra() without extra fields. */
static inline int bench_main(const char *name, const char *unit, const bench_options *o,
                             bench_run_fn run, void *ctx) {
  return bench_main_extra(name, unit, o, run, ctx, NULL);
}

/* The peak resident set size of the process so far, in KiB (getrusage's ru_maxrss). */
static inline long bench_peak_rss_kb(void) {
  struct rusage usage;
  return getrusage(RUSAGE_SELF, &usage) == 0 ? usage.ru_maxrss : -1;
}

/* A one-shot "the run is over" from an actor to the thread that waits for it. */
static inline void bench_wait(sem_t *done) {
  while (sem_wait(done) != 0 && errno == EINTR) {
  }
}

#endif /* ART_BENCH_HARNESS_H */
