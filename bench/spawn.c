/*
 * Spawn (shared/BENCH.md, project-specific rows: "spawn (struct only)"): what an actor costs
 * to create and to tear down, with no message in between. Meant for one worker (bench.sh runs
 * it with --workers 1), so that the figure is the runtime's own cost and not a placement one.
 * Reports the time per actor, from the start message to the last child's post_stop.
 *
 * A driver actor spawns 1,000 children per activation (then sends itself a "continue" message)
 * and kills each at once with art_send_exit(killed), which needs no envelope: the child runs
 * once, finds the kill, runs post_stop and is retired. post_stop counts the children; the one
 * that brings the count to n ends the run. Checked: the count and that every child has exited
 * killed.
 *
 * usage: spawn [--workers N] [--runs R] [--n ACTORS]
 */
#include <semaphore.h>
#include <stdatomic.h>

#include "art.h"
#include "harness.h"

#define DEFAULT_ACTORS 1000000
#define CHUNK 1000 /* children the driver spawns per activation */

enum { MSG_START = 1, MSG_CONTINUE };

/* The driver's state and the children's shared state (state_size 0). */
typedef struct bench {
  art_system *sys;
  art_pid driver;
  art_exit_reason killed;
  /* children of this run: set by main before the start message; atomic because a child of
   * the previous run may still compare against it while main sets the next run's */
  _Atomic uint64_t total;
  uint64_t quota;   /* the same, from the start message (driver only) */
  uint64_t spawned; /* children spawned this run (driver only) */
  _Atomic uint64_t stopped;
  _Atomic int error; /* a failed spawn or kill */
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
  (void)state;
  (void)msg;
  return ART_EINVAL; /* children get no message */
}

static void child_post_stop(art_ctx *ctx, void *state, const art_exit_reason *reason) {
  (void)ctx;
  bench *b = state;
  if (reason->kind != ART_EXIT_KILLED)
    fail(b, ART_EINVAL);
  /* seq_cst: the last child's increment follows every other child's. */
  if (atomic_fetch_add(&b->stopped, 1) + 1 ==
      atomic_load_explicit(&b->total, memory_order_relaxed)) {
    b->end_ns = art_now_monotonic();
    sem_post(&b->done);
  }
}

static const art_actor_ops child_ops = {.handle = child_handle, .post_stop = child_post_stop};

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
      rc = art_send_exit(sys, child, &b->killed);
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

static double run(void *ctx, uint64_t total) {
  bench *b = ctx;
  atomic_store(&b->stopped, 0);
  atomic_store_explicit(&b->total, total, memory_order_relaxed); /* ordered by the start message */
  int64_t start = art_now_monotonic();
  bench_check(art_send(b->sys, b->driver, MSG_START, &total, sizeof total), "start");
  bench_wait(&b->done);
  int err = atomic_load(&b->error);
  if (err) {
    fprintf(stderr, "spawn: a spawn or kill failed, or a child exited otherwise: %s\n",
            art_strerror(err));
    return -1;
  }
  if (atomic_load(&b->stopped) != total) {
    fprintf(stderr, "spawn: wrong result: %" PRIu64 " children stopped, expected %" PRIu64 "\n",
            atomic_load(&b->stopped), total);
    return -1;
  }
  return (double)(b->end_ns - start) / (double)total;
}

int main(int argc, char **argv) {
  bench_options o;
  if (!bench_options_parse(&o, argc, argv, DEFAULT_ACTORS))
    return 2;
  static bench b;
  if (sem_init(&b.done, 0, 0) != 0)
    return 1;
  b.killed = art_reason(ART_EXIT_KILLED);
  b.sys = bench_system_create(o.workers);
  art_spawn_opts opts = {.ops = &driver_ops, .state = &b, .name = "driver"};
  bench_check(art_spawn(b.sys, &opts, &b.driver), "spawn driver");

  int status = bench_main("spawn", "ns/spawn", &o, run, &b);

  bench_check(art_system_shutdown(b.sys, ART_SEC(5)), "shutdown");
  art_system_stats stats;
  art_system_stats_get(b.sys, &stats);
  uint64_t children = (uint64_t)(o.runs + 1) * o.n;
  if (status == 0 && (stats.exits_killed != children || stats.actors_spawned != children + 1)) {
    fprintf(stderr,
            "spawn: %" PRIu64 " spawns and %" PRIu64 " killed exits, expected %" PRIu64
            " children\n",
            stats.actors_spawned, stats.exits_killed, children);
    status = 1;
  }
  art_system_destroy(b.sys);
  sem_destroy(&b.done);
  return status;
}
