/*
 * airssys-demo: a small supervised service that does real work and survives the failures it
 * injects. A producer publishes jobs on the broker, a dispatcher hands them to a pool of
 * workers (some fail, at --failure-rate, and a few jobs are poison), an aggregator counts the
 * results, and a checkpoint thread (a custom child with health checks) persists the totals and
 * stalls now and then. Supervisors with three strategies restart what fails; a burst of
 * failures makes the pool's supervisor give up, and the one above restarts the pool.
 *
 * While it runs it shows the tree, the counters and the latest events; at the end, a summary.
 * It exits 0 when every job was done (or rejected as poison) and the tree is still standing.
 * See `airssys-demo --help`.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <art.h>

#include "http.h"
#include "pipeline.h"
#include "view.h"

typedef struct options {
  double duration;
  uint32_t threads;
  const char *json_path;
  const char *metrics_address;
  bool live, live_set;
  demo_settings settings;
} options;

static volatile sig_atomic_t interrupted;

static void on_signal(int sig) {
  (void)sig;
  interrupted = 1;
}

static void usage(FILE *out) {
  fprintf(out,
          "usage: airssys-demo [options]\n"
          "  --duration SECONDS    how long jobs are produced (default 15; then the pipeline\n"
          "                        drains and the demo ends)\n"
          "  --failure-rate P      chance that a worker fails a job attempt (default 0.001)\n"
          "  --poison-rate P       chance that a job fails every attempt (default 0.0001)\n"
          "  --stall-rate R        checkpoint stalls per second, on average (default 0.15)\n"
          "  --seed N              decides which attempts fail and when stalls come (default 1)\n"
          "  --rate N              jobs per second (default 4000)\n"
          "  --workers N           worker actors in the pool (default 8, at most %d)\n"
          "  --threads N           the runtime's worker threads (default: one per CPU)\n"
          "  --json FILE           write the monitor's snapshot as JSON at the end\n"
          "  --metrics HOST:PORT   serve Prometheus metrics at http://HOST:PORT/metrics while it\n"
          "                        runs (HOST defaults to 127.0.0.1; PORT 0 picks a free one)\n"
          "  --live / --no-live    redraw the screen, or print a line a second (default: live\n"
          "                        on a terminal)\n",
          DEMO_MAX_WORKERS);
}

static bool parse_double(const char *text, double lo, double hi, double *out) {
  char *end;
  errno = 0;
  double v = strtod(text, &end);
  if (!*text || *end || errno || !(v >= lo && v <= hi))
    return false;
  *out = v;
  return true;
}

static bool parse_u64(const char *text, uint64_t lo, uint64_t hi, uint64_t *out) {
  char *end;
  errno = 0;
  if (!*text || *text == '-')
    return false;
  unsigned long long v = strtoull(text, &end, 0);
  if (*end || errno || v < lo || v > hi)
    return false;
  *out = v;
  return true;
}

static int parse_options(int argc, char **argv, options *o) {
  *o = (options){.duration = 15,
                 .settings = {.workers = 8,
                              .rate = 4000,
                              .failure_rate = 0.001,
                              .poison_rate = 0.0001,
                              .seed = 1,
                              .stall_rate = 0.15}};
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
      usage(stdout);
      exit(0);
    }
    if (strcmp(arg, "--live") == 0 || strcmp(arg, "--no-live") == 0) {
      o->live = arg[2] == 'l';
      o->live_set = true;
      continue;
    }
    static const char *const with_value[] = {
        "--duration", "--failure-rate", "--poison-rate", "--stall-rate", "--seed",
        "--rate",     "--workers",      "--threads",     "--json",       "--metrics"};
    bool known = false;
    for (size_t k = 0; k < sizeof with_value / sizeof with_value[0]; k++)
      known |= strcmp(arg, with_value[k]) == 0;
    if (!known) {
      fprintf(stderr, "airssys-demo: unknown option %s (see --help)\n", arg);
      return -1;
    }
    if (i + 1 >= argc) {
      fprintf(stderr, "airssys-demo: %s needs a value (see --help)\n", arg);
      return -1;
    }
    const char *value = argv[++i];
    uint64_t u;
    bool ok = true;
    if (strcmp(arg, "--duration") == 0)
      ok = parse_double(value, 0.1, 3600, &o->duration);
    else if (strcmp(arg, "--failure-rate") == 0)
      ok = parse_double(value, 0, 0.5, &o->settings.failure_rate);
    else if (strcmp(arg, "--poison-rate") == 0)
      ok = parse_double(value, 0, 0.01, &o->settings.poison_rate);
    else if (strcmp(arg, "--stall-rate") == 0)
      ok = parse_double(value, 0, 10, &o->settings.stall_rate);
    else if (strcmp(arg, "--seed") == 0)
      ok = parse_u64(value, 0, UINT64_MAX, &o->settings.seed);
    else if (strcmp(arg, "--rate") == 0)
      ok = parse_u64(value, 1, 1000000, &u) && (o->settings.rate = (uint32_t)u, true);
    else if (strcmp(arg, "--workers") == 0)
      ok = parse_u64(value, 1, DEMO_MAX_WORKERS, &u) && (o->settings.workers = (uint32_t)u, true);
    else if (strcmp(arg, "--threads") == 0)
      ok = parse_u64(value, 0, 256, &u) && (o->threads = (uint32_t)u, true);
    else if (strcmp(arg, "--json") == 0)
      o->json_path = value;
    else
      o->metrics_address = value;
    if (!ok) {
      fprintf(stderr, "airssys-demo: bad value '%s' for %s (see --help)\n", value, arg);
      return -1;
    }
  }
  if (!o->live_set)
    o->live = isatty(STDOUT_FILENO) && getenv("TERM") && strcmp(getenv("TERM"), "dumb") != 0;
  return 0;
}

/* ---- metrics ---------------------------------------------------------------------------- */

/* The runtime's metrics, then the broker's and the demo's own. Runs on the HTTP thread. */
static int metrics_text(void *ctx, char **text, size_t *len) {
  demo_pipeline *p = ctx;
  int n = art_system_metrics(p->sys, NULL, 0);
  if (n < 0)
    return n;
  size_t cap = (size_t)n + 4096;
  char *buf = malloc(cap);
  if (!buf)
    return ART_ENOMEM;
  n = art_system_metrics(p->sys, buf, cap);
  size_t used = n >= 0 && (size_t)n < cap ? (size_t)n : 0;
  demo_ledger *l = &p->ledger;
  demo_counts c;
  demo_counts_read(p, &c);
  int extra = snprintf(buf + used, cap - used,
                       "# HELP demo_jobs_total Jobs of the demo's pipeline by outcome.\n"
                       "# TYPE demo_jobs_total counter\n"
                       "demo_jobs_total{outcome=\"produced\"} %u\n"
                       "demo_jobs_total{outcome=\"done\"} %" PRIu64 "\n"
                       "demo_jobs_total{outcome=\"rejected\"} %" PRIu64 "\n"
                       "demo_jobs_total{outcome=\"retried\"} %" PRIu64 "\n"
                       "# HELP demo_jobs_in_flight Jobs produced and not yet done or rejected.\n"
                       "# TYPE demo_jobs_in_flight gauge\n"
                       "demo_jobs_in_flight %" PRIu64 "\n"
                       "# HELP demo_broker_messages_total The broker's messages by outcome.\n"
                       "# TYPE demo_broker_messages_total counter\n"
                       "demo_broker_messages_total{outcome=\"published\"} %" PRIu64 "\n"
                       "demo_broker_messages_total{outcome=\"delivered\"} %" PRIu64 "\n"
                       "demo_broker_messages_total{outcome=\"dead_letter\"} %" PRIu64 "\n"
                       "# HELP demo_checkpoints_total Checkpoint files written.\n"
                       "# TYPE demo_checkpoints_total counter\n"
                       "demo_checkpoints_total %" PRIu64 "\n",
                       atomic_load_explicit(&l->issued, memory_order_relaxed),
                       atomic_load_explicit(&l->done, memory_order_relaxed),
                       atomic_load_explicit(&l->rejected, memory_order_relaxed),
                       atomic_load_explicit(&l->retried, memory_order_relaxed),
                       demo_ledger_in_flight(l), c.published, c.delivered, c.dead_letters,
                       atomic_load_explicit(&p->checkpoints, memory_order_relaxed));
  if (extra < 0 || (size_t)extra >= cap - used) {
    free(buf);
    return ART_ERANGE;
  }
  *text = buf;
  *len = used + (size_t)extra;
  return 0;
}

/* ---- the run ---------------------------------------------------------------------------- */

static void sleep_ns(int64_t ns) {
  struct timespec ts = {.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !interrupted) {
  }
}

static int write_json(art_system *sys, const char *path) {
  art_event_snapshot snap;
  int rc = art_monitor_snapshot_alloc(art_system_monitor(sys), &snap);
  if (rc != 0)
    return rc;
  int n = art_event_snapshot_to_json(&snap, NULL, 0);
  char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
  rc = n < 0 ? n : !buf ? ART_ENOMEM : 0;
  if (rc == 0) {
    art_event_snapshot_to_json(&snap, buf, (size_t)n + 1);
    FILE *f = fopen(path, "w");
    if (!f || fwrite(buf, 1, (size_t)n, f) != (size_t)n || fputc('\n', f) == EOF)
      rc = -errno;
    if (f && fclose(f) != 0 && rc == 0)
      rc = -errno;
  }
  free(buf);
  art_event_snapshot_free(&snap);
  return rc;
}

static void print_summary(demo_pipeline *p, const demo_counts *c, bool standing, uint64_t lost,
                          double seconds) {
  demo_ledger *l = &p->ledger;
  printf("\nsummary after %.1f s\n", seconds);
  printf("  jobs          %u produced, %" PRIu64 " done, %" PRIu64 " rejected as poison, %" PRIu64
         " lost\n",
         atomic_load_explicit(&l->issued, memory_order_relaxed),
         atomic_load_explicit(&l->done, memory_order_relaxed),
         atomic_load_explicit(&l->rejected, memory_order_relaxed), lost);
  printf("                %" PRIu64 " retried after their worker died, %" PRIu64
         " finished twice (counted once)\n",
         atomic_load_explicit(&l->retried, memory_order_relaxed),
         atomic_load_explicit(&l->duplicates, memory_order_relaxed));
  printf("  supervision   %" PRIu64 " failures, %" PRIu64 " restarts, %" PRIu64
         " escalations (restart limit exceeded)\n",
         c->failures, c->restarts, c->escalations);
  printf("  health        %" PRIu64 " failed checks, %" PRIu64 " degraded, %" PRIu64
         " checkpoint stalls, %" PRIu64 " checkpoints written\n",
         c->health_fails, c->degraded,
         atomic_load_explicit(&p->checkpoint_stalls, memory_order_relaxed),
         atomic_load_explicit(&p->checkpoints, memory_order_relaxed));
  printf("  broker        %" PRIu64 " published, %" PRIu64 " delivered, %" PRIu64 " dead letters\n",
         c->published, c->delivered, c->dead_letters);
  printf("  result        %s\n",
         lost == 0 && standing
             ? "OK: every job was done or rejected, and the tree is still standing"
         : !standing ? "FAILED: the root supervisor gave up"
                     : "FAILED: jobs were lost");
}

int main(int argc, char **argv) {
  options o;
  if (parse_options(argc, argv, &o) != 0)
    return 2;
  char checkpoint_path[128];
  snprintf(checkpoint_path, sizeof checkpoint_path, "%s/airssys-demo-%ld.checkpoint",
           getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (long)getpid());
  o.settings.checkpoint_path = checkpoint_path;

  static demo_pipeline p; /* large (specs for the pool); lives for the whole run */
  demo_pipeline_init(&p, &o.settings);
  /* Room for every job the producer can make, with some to spare. */
  double capacity = o.duration * o.settings.rate * 1.1 + 1000;
  if (capacity > 50e6 || demo_ledger_init(&p.ledger, (uint32_t)capacity) != 0) {
    fprintf(stderr, "airssys-demo: --duration x --rate is too large\n");
    return 2;
  }

  art_system_config cfg;
  art_system_config_init(&cfg);
  cfg.workers = o.threads;
  cfg.name = "demo";
  art_system *sys = NULL;
  int rc = art_system_create(&sys, &cfg);
  if (rc != 0) {
    fprintf(stderr, "airssys-demo: art_system_create: %s\n", art_strerror(rc));
    return 1;
  }
  rc = demo_pipeline_start(&p, sys);
  if (rc != 0) {
    fprintf(stderr, "airssys-demo: starting the supervision tree: %s\n", art_strerror(rc));
    art_system_destroy(sys);
    return 1;
  }
  demo_http *http = NULL;
  if (o.metrics_address) {
    char err[160];
    rc = demo_http_start(o.metrics_address, metrics_text, &p, &http, err, sizeof err);
    if (rc != 0) {
      fprintf(stderr, "airssys-demo: --metrics: %s\n", err);
      art_system_shutdown(sys, ART_SEC(10));
      art_broker_destroy(p.broker);
      art_system_destroy(sys);
      return 2;
    }
    printf("metrics: http://%s:%u/metrics\n", "127.0.0.1", demo_http_port(http));
    fflush(stdout);
  }
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);

  demo_view view = {.started = art_now_monotonic(), .duration = o.duration};
  int64_t end = view.started + (int64_t)(o.duration * 1e9);
  int64_t refresh = o.live ? ART_MSEC(250) : ART_SEC(1);
  while (!interrupted && art_now_monotonic() < end) {
    sleep_ns(refresh);
    demo_view_show(stdout, &p, &view, o.live);
  }
  /* Stop producing and let the pipeline finish what it has. */
  atomic_store(&p.producing, false);
  int64_t drain_end = art_now_monotonic() + ART_SEC(20);
  while (!interrupted && demo_ledger_in_flight(&p.ledger) > 0 && art_now_monotonic() < drain_end)
    sleep_ns(ART_MSEC(50));
  if (o.live)
    demo_view_show(stdout, &p, &view, o.live);

  demo_summary agg;
  int agg_rc = demo_pipeline_summary(&p, &agg);
  bool standing = art_is_alive(sys, p.root);
  int stop_rc = standing ? art_sup_stop(sys, p.root, ART_SEC(10)) : 0;
  demo_counts counts;
  demo_counts_read(&p, &counts);
  uint64_t lost = demo_ledger_in_flight(&p.ledger);
  print_summary(&p, &counts, standing, lost, (double)(art_now_monotonic() - view.started) / 1e9);
  if (agg_rc == 0)
    printf("  aggregator    %" PRIu64 " results seen (primes %" PRIu64 ", checksum %" PRIu64
           ", collatz %" PRIu64 "), asked over the broker\n",
           agg.results, agg.done_by_kind[0], agg.done_by_kind[1], agg.done_by_kind[2]);
  else
    printf("  aggregator    no answer to stats.summary: %s\n", art_strerror(agg_rc));
  if (stop_rc != 0)
    printf("  shutdown      the tree did not stop in time: %s\n", art_strerror(stop_rc));

  demo_http_stop(http);
  int status = lost == 0 && standing && stop_rc == 0 && !interrupted ? 0 : 1;
  if (o.json_path) {
    rc = write_json(sys, o.json_path);
    if (rc != 0) {
      fprintf(stderr, "airssys-demo: --json %s: %s\n", o.json_path, art_strerror(rc));
      status = 1;
    } else {
      printf("  monitor       snapshot written to %s\n", o.json_path);
    }
  }
  art_broker_destroy(p.broker);
  art_system_shutdown(sys, ART_SEC(10));
  art_system_destroy(sys);
  demo_ledger_destroy(&p.ledger);
  unlink(checkpoint_path);
  return status;
}
