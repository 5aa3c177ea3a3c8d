/*
 * Monitor record and disabled event sites (shared/BENCH.md, "monitor record" and "monitor
 * disabled"). One result line per case:
 *
 *   monitor_record      workers=1,2  one prebuilt event into the in-memory monitor (counters
 *                                    and history), per thread: wall time / events per thread
 *   monitor_site        workers=1    a whole event site that fires: ART_MONITOR_EVENT with
 *                                    art_event_init (which reads the clock) and record
 *   monitor_filtered    workers=1    an event site whose family the monitor filters out
 *   monitor_noop        workers=1    an event site on the no-op monitor
 *
 * `workers` is the number of recording threads. Every run checks the monitor's counts (and,
 * for the disabled sites, that nothing was recorded and that every iteration ran).
 *
 * usage: monitor [--runs R] [--n EVENTS]   (--workers is accepted and ignored)
 */
#include <pthread.h>
#include <time.h>

#include "art.h"
#include "harness.h"

#define DEFAULT_EVENTS 10000000

typedef struct record_case {
  art_event_monitor *mon;
  unsigned threads;
  uint64_t per_thread;
  pthread_barrier_t start;
  int error;
} record_case;

static int64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void *record_thread(void *arg) {
  record_case *c = arg;
  art_event ev;
  art_event_init(&ev, ART_EVENT_MAILBOX_MESSAGE_ENQUEUED, ART_SEVERITY_INFO);
  ev.capacity = 1024;
  art_event_copy_text(ev.text, sizeof ev.text, "benchmark");
  pthread_barrier_wait(&c->start);
  for (uint64_t i = 0; i < c->per_thread; i++) {
    ev.count = i;
    if (art_monitor_record(c->mon, &ev) != 0)
      c->error = 1;
  }
  return NULL;
}

static double run_record(void *ctx, uint64_t n) {
  record_case *c = ctx;
  c->per_thread = n;
  c->error = 0;
  bench_check(art_monitor_reset(c->mon), "art_monitor_reset");
  pthread_t threads[2];
  pthread_barrier_init(&c->start, NULL, c->threads + 1);
  for (unsigned i = 0; i < c->threads; i++)
    if (pthread_create(&threads[i], NULL, record_thread, c) != 0) {
      fprintf(stderr, "pthread_create failed\n");
      exit(1);
    }
  pthread_barrier_wait(&c->start);
  int64_t begin = mono_ns();
  for (unsigned i = 0; i < c->threads; i++)
    pthread_join(threads[i], NULL);
  int64_t end = mono_ns();
  pthread_barrier_destroy(&c->start);

  art_event_snapshot snap;
  bench_check(art_monitor_snapshot(c->mon, &snap, NULL, 0), "art_monitor_snapshot");
  int k = art_event_kind_index(ART_EVENT_MAILBOX_MESSAGE_ENQUEUED);
  uint64_t expected = n * c->threads;
  if (c->error || snap.total != expected || snap.by_kind[k] != expected ||
      snap.by_severity[ART_SEVERITY_INFO] != expected ||
      snap.history_dropped +
              (expected < snap.history_capacity ? expected : snap.history_capacity) !=
          expected) {
    fprintf(stderr, "monitor_record: counted %" PRIu64 " of %" PRIu64 " events\n", snap.total,
            expected);
    return -1;
  }
  return (double)(end - begin) / (double)n;
}

typedef struct site_case {
  art_event_monitor *mon;
  uint64_t iterations;
} site_case;

/* The event site the runtime would have: a message handled by an actor. */
static double run_site(void *ctx, uint64_t n) {
  site_case *c = ctx;
  art_event_monitor *mon = c->mon;
  bench_check(art_monitor_reset(mon), "art_monitor_reset");
  uint64_t iterations = 0;
  int64_t begin = mono_ns();
  for (uint64_t i = 0; i < n; i++) {
    ART_MONITOR_EVENT(mon, ART_EVENT_ACTOR_MESSAGE_PROCESSED, ART_SEVERITY_INFO, ev, {
      ev.pid = i + 1;
      ev.count = 7;
    });
    /* The compiler must assume the counter is used, so it runs every iteration. */
    __asm__ __volatile__("" : "+r"(iterations));
    iterations++;
  }
  int64_t end = mono_ns();
  c->iterations = iterations;
  return (double)(end - begin) / (double)n;
}

static double run_site_checked(void *ctx, uint64_t n, uint64_t expected_total) {
  site_case *c = ctx;
  double ns = run_site(ctx, n);
  art_event_snapshot snap;
  int rc = art_monitor_snapshot(c->mon, &snap, NULL, 0);
  if (rc || c->iterations != n || snap.total != expected_total) {
    fprintf(stderr, "monitor_site: %" PRIu64 " iterations, %" PRIu64 " events recorded\n",
            c->iterations, snap.total);
    return -1;
  }
  return ns;
}

static double run_site_recorded(void *ctx, uint64_t n) {
  return run_site_checked(ctx, n, n);
}

static double run_site_filtered(void *ctx, uint64_t n) {
  return run_site_checked(ctx, n, 0);
}

/* The no-op monitor cannot report (its snapshot is empty): check the iterations only. */
static double run_site_noop(void *ctx, uint64_t n) {
  site_case *c = ctx;
  double ns = run_site(ctx, n);
  if (c->iterations != n) {
    fprintf(stderr, "monitor_noop: %" PRIu64 " iterations of %" PRIu64 "\n", c->iterations, n);
    return -1;
  }
  return ns;
}

int main(int argc, char **argv) {
  bench_options o;
  if (!bench_options_parse(&o, argc, argv, DEFAULT_EVENTS))
    return 2;

  art_monitor_config cfg;
  art_monitor_config_init(&cfg);
  cfg.min_severity = ART_SEVERITY_TRACE;
  art_event_monitor *mon;
  bench_check(art_memory_monitor_create(&mon, &cfg), "art_memory_monitor_create");

  int status = 0;
  for (unsigned threads = 1; threads <= 2 && status == 0; threads++) {
    record_case c = {.mon = mon, .threads = threads};
    bench_options line = o;
    line.workers = threads;
    status = bench_main("monitor_record", "ns/event", &line, run_record, &c);
  }

  bench_options line = o;
  line.workers = 1;
  site_case site = {.mon = mon};
  if (status == 0)
    status = bench_main("monitor_site", "ns/event", &line, run_site_recorded, &site);

  /* Filtered: the monitor wants every family but the actor family. */
  bench_check(art_monitor_set_filter(
                  mon, ART_EVENT_FAMILY_ALL & ~ART_EVENT_FAMILY_BIT(ART_EVENT_FAMILY_ACTOR),
                  ART_SEVERITY_TRACE),
              "art_monitor_set_filter");
  if (status == 0)
    status = bench_main("monitor_filtered", "ns/event", &line, run_site_filtered, &site);

  site_case noop = {.mon = art_monitor_noop()};
  if (status == 0)
    status = bench_main("monitor_noop", "ns/event", &line, run_site_noop, &noop);

  art_monitor_destroy(mon);
  return status;
}
