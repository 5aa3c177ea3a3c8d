/*
 * Fork-join create (shared/BENCH.md, row 5): spawn 1,000,000 actors, each handles one message
 * and exits. Reports the time per actor, from the start message to the last child's message
 * handled, and the peak RSS of the process (getrusage) as peak_rss_kb on the result line.
 *
 * A driver actor spawns the children, 1,000 per activation (then it sends itself a "continue"
 * message, so the children run beside it), and sends each child its number. A child adds its
 * number to a shared sum and returns ART_STOP; the child that brings the shared count to n
 * ends the run. Checked: the count, the sum n(n-1)/2, and that every child has exited before
 * the next run starts.
 *
 * usage: forkjoin [--workers N] [--runs R] [--n ACTORS]
 */
#include <semaphore.h>
#include <stdatomic.h>
#include <time.h>

#include "art.h"
#include "harness.h"

#define DEFAULT_ACTORS 1000000
#define CHUNK 1000 /* children the driver spawns per activation */

enum { MSG_START = 1, MSG_CONTINUE, MSG_WORK };

/* The driver's state and the children's shared state (state_size 0). */
typedef struct bench {
  art_system *sys;
  art_pid driver;
  /* children of this run: set by main before the start message; atomic because a child of
   * the previous run may still compare against it while main sets the next run's */
  _Atomic uint64_t total;
  uint64_t quota;   /* the same, as the driver got it in the start message (driver only) */
  uint64_t spawned; /* children spawned this run (driver only) */
  _Atomic uint64_t handled, sum;
  _Atomic int error; /* a failed spawn or send */
  int64_t end_ns;
  sem_t done;
} bench;

static void fail(bench *b, int rc) {
  int none = 0;
  if (atomic_compare_exchange_strong(&b->error, &none, rc))
    sem_post(&b->done);
}

static int child_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  (void)ctx;
  bench *b = state;
  if (msg->type != MSG_WORK || msg->size != sizeof(uint64_t))
    return ART_EINVAL;
  uint64_t number;
  memcpy(&number, msg->data, sizeof number);
  atomic_fetch_add_explicit(&b->sum, number, memory_order_relaxed);
  /* seq_cst: the last child's increment follows every other child's, and their sums. */
  if (atomic_fetch_add(&b->handled, 1) + 1 ==
      atomic_load_explicit(&b->total, memory_order_relaxed)) {
    b->end_ns = art_now_monotonic();
    sem_post(&b->done);
  }
  return ART_STOP;
}

static const art_actor_ops child_ops = {.handle = child_handle};

static int driver_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  bench *b = state;
  art_system *sys = art_ctx_system(ctx);
  if (msg->type == MSG_START) {
    memcpy(&b->quota, msg->data, sizeof b->quota);
    b->spawned = 0;
  } else if (msg->type != MSG_CONTINUE) {
    return ART_EINVAL;
  }
  art_spawn_opts opts = {.ops = &child_ops, .state = b};
  uint64_t end = b->spawned + CHUNK < b->quota ? b->spawned + CHUNK : b->quota;
  for (; b->spawned < end; b->spawned++) {
    art_pid child;
    int rc = art_spawn(sys, &opts, &child);
    if (rc == 0)
      rc = art_send(sys, child, MSG_WORK, &b->spawned, sizeof b->spawned);
    if (rc) {
      fail(b, rc);
      return rc;
    }
  }
  if (b->spawned < b->quota)
    return art_send(sys, art_self(ctx), MSG_CONTINUE, NULL, 0);
  return 0;
}

static const art_actor_ops driver_ops = {.handle = driver_handle};

/* Waits (bounded) until only the driver is alive: the children have exited. */
static bool wait_children_gone(art_system *sys) {
  for (int i = 0; i < 10000; i++) {
    art_system_stats stats;
    art_system_stats_get(sys, &stats);
    if (stats.actors_alive == 1)
      return true;
    nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
  }
  return false;
}

static double run(void *ctx, uint64_t total) {
  bench *b = ctx;
  atomic_store(&b->handled, 0);
  atomic_store(&b->sum, 0);
  atomic_store_explicit(&b->total, total, memory_order_relaxed); /* ordered by the start message */
  int64_t start = art_now_monotonic();
  bench_check(art_send(b->sys, b->driver, MSG_START, &total, sizeof total), "start");
  bench_wait(&b->done);
  int err = atomic_load(&b->error);
  if (err) {
    fprintf(stderr, "forkjoin: a spawn or send failed: %s\n", art_strerror(err));
    return -1;
  }
  uint64_t handled = atomic_load(&b->handled), sum = atomic_load(&b->sum);
  uint64_t expected_sum = total * (total - 1) / 2;
  if (handled != total || sum != expected_sum) {
    fprintf(stderr,
            "forkjoin: wrong result: %" PRIu64 " children handled their message (expected %" PRIu64
            "), sum %" PRIu64 " (expected %" PRIu64 ")\n",
            handled, total, sum, expected_sum);
    return -1;
  }
  if (!wait_children_gone(b->sys)) {
    fprintf(stderr, "forkjoin: children still alive 10 s after the run\n");
    return -1;
  }
  return (double)(b->end_ns - start) / (double)total;
}

static void peak_rss(void *ctx, char *buf, size_t len) {
  (void)ctx;
  snprintf(buf, len, " peak_rss_kb=%ld", bench_peak_rss_kb());
}

int main(int argc, char **argv) {
  bench_options o;
  if (!bench_options_parse(&o, argc, argv, DEFAULT_ACTORS))
    return 2;
  static bench b;
  if (sem_init(&b.done, 0, 0) != 0)
    return 1;
  int64_t start = art_now_monotonic();
  b.sys = bench_system_create(o.workers);
  art_spawn_opts opts = {.ops = &driver_ops, .state = &b, .name = "driver"};
  bench_check(art_spawn(b.sys, &opts, &b.driver), "spawn driver");
  fprintf(stderr, "forkjoin: start-up (system, 1 spawn): %.1f us\n",
          (double)(art_now_monotonic() - start) / 1e3);

  int status = bench_main_extra("forkjoin", "ns/actor", &o, run, &b, peak_rss);
  fprintf(stderr, "forkjoin: peak RSS %ld KiB\n", bench_peak_rss_kb());

  bench_check(art_system_shutdown(b.sys, ART_SEC(5)), "shutdown");
  art_system_stats stats;
  art_system_stats_get(b.sys, &stats);
  uint64_t children = (uint64_t)(o.runs + 1) * o.n;
  if (stats.exits_normal < children || stats.actors_spawned != children + 1) {
    fprintf(stderr,
            "forkjoin: %" PRIu64 " spawns and %" PRIu64 " normal exits, expected %" PRIu64
            " children\n",
            stats.actors_spawned, stats.exits_normal, children);
    status = 1;
  }
  art_system_destroy(b.sys);
  sem_destroy(&b.done);
  return status;
}
