/*
 * Restart latency (shared/BENCH.md, project-specific rows): a supervised child fails; how long
 * until its replacement handles its first message. Reports the median over every restart of
 * the run, in ns per restart.
 *
 * One one_for_one supervisor with one permanent worker. Each instance of the worker sends
 * itself MSG_UP from pre_start; handling it, the instance records the time since its
 * predecessor failed, stamps the time and fails (its handler returns an error, so it exits
 * with an error reason). The supervisor sees the EXIT, counts the restart and spawns the next
 * instance, and so on. The clock runs from the failed handler's return to the first message of
 * its replacement: the exit, the link signal, the supervisor's decision and events, the spawn
 * and the first activation.
 *
 * The restarts come in rounds of ROUND per supervisor (then the supervisor is stopped and a new
 * one started, outside the clock), with intensity ROUND in a period of an hour, so the
 * intensity is never exceeded. The Erlang peer (bench/peers/erlang/sup_restart.erl) does the
 * same with an OTP supervisor and a gen_server; rounds keep OTP's restart list, which it scans
 * on every restart, as short as ours.
 *
 * Checked: every restart of the run was measured once, each round ended with its instance
 * alive, and the child_restarted events of the run add up to its restarts.
 *
 * usage: sup_restart [--workers N] [--runs R] [--n RESTARTS]
 */
#include <semaphore.h>

#include "art.h"
#include "harness.h"

#define DEFAULT_RESTARTS 100000
#define ROUND 100 /* restarts per supervisor */

enum { MSG_UP = 1 };

/* Shared by the instances of the child (they live one after the other: each is spawned after
 * its predecessor's exit reached the supervisor, which orders their accesses) and main, which
 * reads after `round_done`. */
typedef struct bench {
  art_system *sys;
  art_sup_spec spec;
  art_child_spec child;
  uint64_t quota;    /* restarts to measure in this round */
  uint64_t measured; /* restarts measured in this run */
  int64_t failed_ns; /* when the previous instance failed; 0 at the start of a round */
  double *latency;   /* one per restart of the run, ns */
  sem_t round_done;
} bench;

static int child_pre_start(art_ctx *ctx, void *state, void *args) {
  (void)args;
  bench *b = state;
  return art_send(b->sys, art_self(ctx), MSG_UP, NULL, 0);
}

static int child_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  (void)ctx;
  bench *b = state;
  if (msg->type != MSG_UP)
    return ART_EINVAL;
  if (b->failed_ns) {
    b->latency[b->measured++] = (double)(art_now_monotonic() - b->failed_ns);
    if (--b->quota == 0) { /* the round is over: this instance stays */
      b->failed_ns = 0;
      sem_post(&b->round_done);
      return 0;
    }
  }
  b->failed_ns = art_now_monotonic();
  return ART_ECANCELED; /* on_error's default: exit with the error, the supervisor restarts */
}

static const art_actor_ops child_ops = {.pre_start = child_pre_start, .handle = child_handle};

/* child_restarted events so far; 0 when the monitor cannot tell (--monitor off). */
static uint64_t restarted_events(art_system *sys) {
  art_event_snapshot snap;
  if (art_monitor_snapshot(art_system_monitor(sys), &snap, NULL, 0) != 0)
    return 0;
  return snap.by_kind[art_event_kind_index(ART_EVENT_SUPERVISION_CHILD_RESTARTED)];
}

static double run(void *ctx, uint64_t n) {
  bench *b = ctx;
  b->measured = 0;
  uint64_t events_before = restarted_events(b->sys);
  for (uint64_t done = 0; done < n; done += ROUND) {
    b->quota = n - done < ROUND ? n - done : ROUND;
    art_pid sup;
    bench_check(art_sup_start(b->sys, &b->spec, &sup), "art_sup_start");
    bench_wait(&b->round_done);
    art_sup_counts counts;
    bench_check(art_sup_count_children(b->sys, sup, &counts), "art_sup_count_children");
    bench_check(art_sup_stop(b->sys, sup, ART_FOREVER), "art_sup_stop");
    if (counts.active != 1) {
      fprintf(stderr, "sup_restart: the child is not running at the end of a round\n");
      return -1;
    }
  }
  uint64_t events = restarted_events(b->sys) - events_before;
  if (b->measured != n || (events != n && strcmp(bench_monitor, "off") != 0)) {
    fprintf(stderr,
            "sup_restart: wrong result: %" PRIu64 " restarts measured, %" PRIu64
            " child_restarted events, expected %" PRIu64 "\n",
            b->measured, events, n);
    return -1;
  }
  return bench_median(b->latency, n);
}

int main(int argc, char **argv) {
  bench_options o;
  if (!bench_options_parse(&o, argc, argv, DEFAULT_RESTARTS))
    return 2;
  static bench b;
  if (sem_init(&b.round_done, 0, 0) != 0)
    return 1;
  b.latency = calloc(o.n, sizeof *b.latency);
  if (!b.latency)
    return 1;
  b.sys = bench_system_create(o.workers);
  b.child = (art_child_spec){.id = "child", .actor = {.ops = &child_ops, .state = &b}};
  art_sup_spec_init(&b.spec);
  b.spec.intensity = ROUND;
  b.spec.period = ART_SEC(3600);
  b.spec.children = &b.child;
  b.spec.child_count = 1;

  int status = bench_main("sup_restart", "ns/restart", &o, run, &b);

  bench_check(art_system_shutdown(b.sys, ART_SEC(5)), "shutdown");
  art_system_destroy(b.sys);
  free(b.latency);
  sem_destroy(&b.round_done);
  return status;
}
