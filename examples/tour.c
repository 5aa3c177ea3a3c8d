/*
 * tour.c: actors at work, in three parts, each checking its own result.
 *
 *   1. ping-pong: two actors pass a message back and forth; the time per round trip.
 *   2. fan-out: a coordinator actor spawns many worker actors, gives each a slice of a
 *      computation (counting primes), collects their replies and checks the total against the
 *      same computation done directly; which worker threads ran the slices.
 *   3. failures: an actor whose handler fails, and the exit reason its post_stop sees; a send to
 *      a pid whose actor has exited; a kill.
 *
 * usage: tour [--workers N] [--actors M] [--rounds N] [--limit N]
 * Exits 0 only if every check passed.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <art.h>

#define MAX_THREADS 64

enum { MSG_START = 1, MSG_PING, MSG_PONG, MSG_STOP, MSG_JOB, MSG_RESULT, MSG_NUMBER };

static int failures;

/* Prints one line of results, then "ok" or "FAILED"; counts failures. */
static void report(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(bool ok, const char *fmt, ...) {
  char line[160];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  printf("   %-76s %s\n", line, ok ? "ok" : "FAILED");
  if (!ok)
    failures++;
}

static double ms_since(int64_t start_ns) {
  return (double)(art_now_monotonic() - start_ns) / 1e6;
}

/* Waits until every actor has exited; a failure here ends the demo. */
static void wait_all(art_system *sys) {
  int rc = art_system_wait(sys, ART_SEC(60));
  if (rc != 0) {
    fprintf(stderr, "tour: art_system_wait: %s\n", art_strerror(rc));
    exit(1);
  }
}

static void check_call(int rc, const char *what) {
  if (rc != 0) {
    fprintf(stderr, "tour: %s: %s\n", what, art_strerror(rc));
    exit(1);
  }
}

/* ---- 1. ping-pong --------------------------------------------------------------------------- */

/* The pinger's state belongs to main, which reads it once the actors have exited. */
typedef struct pinger {
  art_pid ponger;
  uint64_t rounds, pongs;
  int64_t start_ns, end_ns;
} pinger;

static int pinger_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  pinger *p = state;
  art_system *sys = art_ctx_system(ctx);
  if (msg->type == MSG_START) {
    p->start_ns = art_now_monotonic();
  } else if (msg->type == MSG_PONG) {
    if (++p->pongs == p->rounds) {
      p->end_ns = art_now_monotonic();
      art_send(sys, p->ponger, MSG_STOP, NULL, 0);
      return ART_STOP;
    }
  } else {
    return art_fail(ctx, ART_EINVAL, "unexpected message %u", msg->type);
  }
  return art_send(sys, p->ponger, MSG_PING, NULL, 0);
}

static int ponger_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  (void)state;
  if (msg->type == MSG_STOP)
    return ART_STOP;
  return art_send(art_ctx_system(ctx), msg->sender, MSG_PONG, NULL, 0); /* reply to the sender */
}

static void ping_pong(art_system *sys, uint64_t rounds) {
  printf("1. ping-pong: 2 actors, %" PRIu64 " round trips\n", rounds);
  static const art_actor_ops ponger_ops = {.handle = ponger_handle};
  static const art_actor_ops pinger_ops = {.handle = pinger_handle};
  pinger p = {.rounds = rounds};
  art_spawn_opts ponger_opts = {.ops = &ponger_ops, .name = "ponger"};
  check_call(art_spawn(sys, &ponger_opts, &p.ponger), "spawn ponger");
  art_spawn_opts pinger_opts = {.ops = &pinger_ops, .state = &p, .name = "pinger"};
  art_pid pinger_pid;
  check_call(art_spawn(sys, &pinger_opts, &pinger_pid), "spawn pinger");
  check_call(art_send(sys, pinger_pid, MSG_START, NULL, 0), "send");
  wait_all(sys);
  double ns = (double)(p.end_ns - p.start_ns);
  report(p.pongs == rounds, "%" PRIu64 " round trips in %.2f ms: %.1f ns per round trip", p.pongs,
         ns / 1e6, ns / (double)rounds);
}

/* ---- 2. fan-out ------------------------------------------------------------------------------ */

static bool is_prime(uint64_t n) {
  if (n < 2)
    return false;
  if (n % 2 == 0)
    return n == 2;
  for (uint64_t d = 3; d * d <= n; d += 2)
    if (n % d == 0)
      return false;
  return true;
}

static uint64_t count_primes(uint64_t from, uint64_t to) {
  uint64_t count = 0;
  for (uint64_t n = from; n < to; n++)
    count += is_prime(n);
  return count;
}

typedef struct job {
  uint64_t from, to; /* count the primes in [from, to) */
} job;

typedef struct result {
  uint64_t primes;
  char thread[16]; /* the worker thread that ran the slice */
} result;

typedef struct coordinator {
  uint32_t actors;
  uint64_t limit;
  uint32_t started, replies;
  uint64_t primes;
  int spawn_error;
  struct {
    char name[16];
    uint32_t slices;
  } threads[MAX_THREADS];
  uint32_t nthreads;
  int64_t start_ns, end_ns;
} coordinator;

static int worker_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  (void)state;
  if (msg->type != MSG_JOB)
    return art_fail(ctx, ART_EINVAL, "unexpected message %u", msg->type);
  job j;
  memcpy(&j, msg->data, sizeof j);
  result r = {.primes = count_primes(j.from, j.to)};
  pthread_getname_np(pthread_self(), r.thread, sizeof r.thread);
  art_send(art_ctx_system(ctx), msg->sender, MSG_RESULT, &r, sizeof r);
  return ART_STOP; /* one slice, then exit */
}

static void tally_thread(coordinator *c, const char *name) {
  for (uint32_t i = 0; i < c->nthreads; i++) {
    if (strcmp(c->threads[i].name, name) == 0) {
      c->threads[i].slices++;
      return;
    }
  }
  if (c->nthreads < MAX_THREADS) {
    snprintf(c->threads[c->nthreads].name, sizeof c->threads[0].name, "%s", name);
    c->threads[c->nthreads++].slices = 1;
  }
}

static int coordinator_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  coordinator *c = state;
  art_system *sys = art_ctx_system(ctx);
  if (msg->type == MSG_START) {
    static const art_actor_ops worker_ops = {.handle = worker_handle};
    c->start_ns = art_now_monotonic();
    for (uint32_t i = 0; i < c->actors; i++) {
      art_spawn_opts opts = {.ops = &worker_ops};
      art_pid pid;
      int rc = art_spawn(sys, &opts, &pid);
      job j = {.from = c->limit * i / c->actors, .to = c->limit * (i + 1) / c->actors};
      if (rc == 0)
        rc = art_send(sys, pid, MSG_JOB, &j, sizeof j);
      if (rc != 0) {
        c->spawn_error = rc;
        break;
      }
      c->started++;
    }
    return c->started == 0 ? ART_STOP : 0;
  }
  if (msg->type != MSG_RESULT)
    return art_fail(ctx, ART_EINVAL, "unexpected message %u", msg->type);
  result r;
  memcpy(&r, msg->data, sizeof r);
  c->primes += r.primes;
  tally_thread(c, r.thread);
  if (++c->replies < c->started)
    return 0;
  c->end_ns = art_now_monotonic();
  return ART_STOP;
}

static void fan_out(art_system *sys, uint32_t actors, uint64_t limit) {
  printf("2. fan-out: a coordinator spawns %" PRIu32 " actors to count the primes below %" PRIu64
         "\n",
         actors, limit);
  art_system_stats before, after;
  art_system_stats_get(sys, &before);
  static const art_actor_ops coordinator_ops = {.handle = coordinator_handle};
  static coordinator c;
  memset(&c, 0, sizeof c);
  c.actors = actors;
  c.limit = limit;
  art_spawn_opts opts = {.ops = &coordinator_ops, .state = &c, .name = "coordinator"};
  art_pid pid;
  check_call(art_spawn(sys, &opts, &pid), "spawn coordinator");
  check_call(art_send(sys, pid, MSG_START, NULL, 0), "send");
  wait_all(sys);
  art_system_stats_get(sys, &after);
  double actors_ms = (double)(c.end_ns - c.start_ns) / 1e6;

  int64_t start = art_now_monotonic();
  uint64_t direct = count_primes(0, limit);
  double direct_ms = ms_since(start);

  report(c.spawn_error == 0 && c.replies == actors,
         "%" PRIu32 " actors spawned, %" PRIu32 " replies%s%s", c.started, c.replies,
         c.spawn_error ? ": " : "", c.spawn_error ? art_strerror(c.spawn_error) : "");
  report(c.primes == direct, "%" PRIu64 " primes; computed directly: %" PRIu64, c.primes, direct);
  printf("   time: %.1f ms with the actors, %.1f ms directly on one thread\n", actors_ms,
         direct_ms);
  printf("   slices per worker thread:");
  for (uint32_t i = 0; i < c.nthreads; i++)
    printf(" %s %" PRIu32 " (%.0f%%)", c.threads[i].name, c.threads[i].slices,
           100.0 * c.threads[i].slices / (c.replies ? c.replies : 1));
  printf("\n   system: %" PRIu64 " spawns, %" PRIu64 " messages sent, %" PRIu64 " handled, %" PRIu64
         " actors moved by stealing, %" PRIu64 " parks\n",
         after.actors_spawned - before.actors_spawned, after.messages_sent - before.messages_sent,
         after.messages_handled - before.messages_handled, after.steals - before.steals,
         after.parks - before.parks);
}

/* ---- 3. failures ---------------------------------------------------------------------------- */

/* What post_stop saw; main reads it after the actor has exited. */
typedef struct exit_record {
  art_exit_reason reason;
  char text[160];
} exit_record;

static int fragile_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  (void)state;
  int value;
  memcpy(&value, msg->data, sizeof value);
  if (value < 0) /* the error becomes the exit reason (on_error defaults to Restart) */
    return art_fail(ctx, ART_EINVAL, "cannot take the square root of %d", value);
  return 0;
}

static int idle_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  (void)ctx;
  (void)state;
  (void)msg;
  return 0;
}

static void record_exit(art_ctx *ctx, void *state, const art_exit_reason *reason) {
  (void)ctx;
  exit_record *r = state;
  r->reason = *reason;
  art_reason_format(reason, r->text, sizeof r->text);
}

static void failures_part(art_system *sys) {
  printf("3. failures\n");
  static const art_actor_ops fragile_ops = {.handle = fragile_handle, .post_stop = record_exit};
  exit_record fragile_exit = {0};
  art_spawn_opts opts = {.ops = &fragile_ops, .state = &fragile_exit, .name = "fragile"};
  art_pid fragile;
  check_call(art_spawn(sys, &opts, &fragile), "spawn fragile");
  int value = -4;
  check_call(art_send(sys, fragile, MSG_NUMBER, &value, sizeof value), "send");
  wait_all(sys);
  report(fragile_exit.reason.kind == ART_EXIT_ERROR && fragile_exit.reason.code == ART_EINVAL,
         "fragile exited: %s", fragile_exit.text);

  art_system_stats before, after;
  art_system_stats_get(sys, &before);
  int rc = art_send(sys, fragile, MSG_NUMBER, &value, sizeof value);
  art_system_stats_get(sys, &after);
  report(rc == ART_ESRCH && after.dead_letters == before.dead_letters + 1,
         "a send to its pid now: %s, a dead letter", art_err_name(rc));

  static const art_actor_ops idle_ops = {.handle = idle_handle, .post_stop = record_exit};
  exit_record idle_exit = {0};
  art_spawn_opts idle_opts = {.ops = &idle_ops, .state = &idle_exit, .name = "idle"};
  art_pid idle;
  check_call(art_spawn(sys, &idle_opts, &idle), "spawn idle");
  art_exit_reason killed = art_reason(ART_EXIT_KILLED);
  check_call(art_send_exit(sys, idle, &killed), "art_send_exit");
  wait_all(sys);
  report(idle_exit.reason.kind == ART_EXIT_KILLED && !art_is_alive(sys, idle),
         "a kill sent to an idle actor: its post_stop saw %s", idle_exit.text);
}

/* ---- main ------------------------------------------------------------------------------------ */

static bool parse_u64(const char *text, uint64_t min, uint64_t max, uint64_t *out) {
  if (!text || *text < '0' || *text > '9')
    return false;
  char *end;
  errno = 0;
  unsigned long long value = strtoull(text, &end, 10);
  if (errno || *end || value < min || value > max)
    return false;
  *out = value;
  return true;
}

int main(int argc, char **argv) {
  uint64_t workers = 0, actors = 1000, rounds = 1000000, limit = 2000000;
  for (int i = 1; i < argc; i += 2) {
    const char *value = i + 1 < argc ? argv[i + 1] : NULL;
    bool ok = false;
    if (strcmp(argv[i], "--workers") == 0)
      ok = parse_u64(value, 0, 256, &workers);
    else if (strcmp(argv[i], "--actors") == 0)
      ok = parse_u64(value, 1, 1000000, &actors);
    else if (strcmp(argv[i], "--rounds") == 0)
      ok = parse_u64(value, 1, UINT64_MAX, &rounds);
    else if (strcmp(argv[i], "--limit") == 0)
      ok = parse_u64(value, 1, UINT64_C(1) << 40, &limit);
    if (!ok) {
      fprintf(stderr,
              "usage: %s [--workers N] [--actors M] [--rounds N] [--limit N]\n"
              "  defaults: workers = online CPUs, 1000 actors, 1000000 round trips, primes "
              "below 2000000\n",
              argv[0]);
      return 2;
    }
  }

  art_system_config cfg;
  art_system_config_init(&cfg);
  cfg.workers = (uint32_t)workers;
  art_system *sys;
  check_call(art_system_create(&sys, &cfg), "art_system_create");
  printf("airssys-rt %s demo, %" PRIu32 " workers\n\n", art_version(), art_system_workers(sys));

  ping_pong(sys, rounds);
  fan_out(sys, (uint32_t)actors, limit);
  failures_part(sys);

  art_system_stats stats;
  art_system_stats_get(sys, &stats);
  art_system_destroy(sys);
  printf("\n%" PRIu64 " actors spawned and exited, %" PRIu64 " messages, %" PRIu64
         " dead letters\n",
         stats.actors_spawned, stats.messages_sent, stats.dead_letters);
  if (failures) {
    printf("%d check(s) FAILED\n", failures);
    return 1;
  }
  printf("all checks passed\n");
  return 0;
}
