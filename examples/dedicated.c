/*
 * Dedicated actors: blocking work without stalling the others.
 *
 * A "disk" actor serves read requests with blocking calls: it reads a file and then sleeps
 * 200 ms, standing in for a slow device. It is spawned with ART_SPAWN_DEDICATED, so its
 * callbacks run on a thread of its own. Meanwhile two actors play ping-pong on the system's
 * only worker thread. Had the disk actor run on that worker, no round trip could complete
 * while it blocked; on its own thread it blocks nobody, and the pinger counts the round trips
 * completed between the disk's BEGIN and DONE messages.
 *
 * A dead-letter hook (art_system_config.dead_letter) sees every message that reached no
 * handler: here the ping-pong message in flight when the pinger stopped, and a request sent to
 * the disk actor after it had exited. They are printed at the end.
 *
 * Run: build/release/examples/dedicated
 */
#include <art.h>

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

enum { MSG_PING = 1, MSG_PONG, MSG_STOP, MSG_BEGIN, MSG_DONE, MSG_READ };

static const char *const msg_names[] = {"?", "PING", "PONG", "STOP", "BEGIN", "DONE", "READ"};

#define REQUESTS 2
#define BLOCK_MS 200
#define FILE_TO_READ "/proc/self/exe" /* this program: always there */

/* ---- dead letters ------------------------------------------------------------------------ */

/* The hook runs on whichever thread lost the message and must not block, so it only records;
 * main prints once the actors are gone. */
typedef struct dead_letter_log {
  atomic_int count;
  art_dead_letter letters[16];
} dead_letter_log;

static void on_dead_letter(void *ctx, const art_dead_letter *letter) {
  dead_letter_log *log = ctx;
  int i = atomic_fetch_add(&log->count, 1);
  if (i < (int)(sizeof log->letters / sizeof log->letters[0]))
    log->letters[i] = *letter;
}

/* ---- ping-pong ----------------------------------------------------------------------------- */

typedef struct pinger {
  art_pid ponger;
  bool counting;         /* between BEGIN and DONE */
  uint64_t rounds;       /* round trips completed while counting */
  uint64_t total_rounds; /* all round trips */
} pinger;

static int pinger_start(art_ctx *ctx, void *state, void *args) {
  (void)args;
  pinger *p = state;
  return art_send(art_ctx_system(ctx), p->ponger, MSG_PING, NULL, 0);
}

static int pinger_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  pinger *p = state;
  art_system *sys = art_ctx_system(ctx);
  switch (msg->type) {
  case MSG_PONG:
    p->total_rounds++;
    p->rounds += p->counting;
    return art_send(sys, p->ponger, MSG_PING, NULL, 0);
  case MSG_BEGIN:
    p->counting = true;
    return 0;
  case MSG_DONE: /* one PING or PONG is still in flight: it becomes a dead letter */
    p->counting = false;
    art_send(sys, p->ponger, MSG_STOP, NULL, 0);
    return ART_STOP;
  default:
    return art_fail(ctx, ART_EINVAL, "unexpected message %u", msg->type);
  }
}

static int ponger_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  (void)state;
  if (msg->type == MSG_STOP)
    return ART_STOP;
  int rc = art_send(art_ctx_system(ctx), msg->sender, MSG_PONG, NULL, 0);
  return rc == ART_ESRCH ? 0 : rc; /* the pinger has stopped */
}

static const art_actor_ops pinger_ops = {.pre_start = pinger_start, .handle = pinger_handle};
static const art_actor_ops ponger_ops = {.handle = ponger_handle};

/* ---- the disk actor: blocking calls in its handler ----------------------------------------- */

typedef struct disk {
  art_pid pinger;
  int served;
  long bytes;
} disk;

static int disk_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  disk *d = state;
  art_system *sys = art_ctx_system(ctx);
  if (msg->type != MSG_READ)
    return art_fail(ctx, ART_EINVAL, "unexpected message %u", msg->type);
  if (d->served == 0 && art_send(sys, d->pinger, MSG_BEGIN, NULL, 0) != 0)
    return art_fail(ctx, ART_ESRCH, "the pinger is gone");
  FILE *f = fopen(FILE_TO_READ, "rb");
  if (!f)
    return art_fail(ctx, ART_ENOENT, "cannot open " FILE_TO_READ);
  char buf[4096];
  size_t n;
  long bytes = 0;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0)
    bytes += (long)n;
  fclose(f);
  nanosleep(&(struct timespec){.tv_nsec = BLOCK_MS * 1000000L}, NULL); /* a slow device */
  d->bytes += bytes;
  printf("disk:     read %ld bytes of " FILE_TO_READ ", then blocked %d ms\n", bytes, BLOCK_MS);
  if (++d->served < REQUESTS)
    return 0;
  if (art_send(sys, d->pinger, MSG_DONE, NULL, 0) != 0)
    return art_fail(ctx, ART_ESRCH, "the pinger is gone");
  return ART_STOP;
}

static const art_actor_ops disk_ops = {.handle = disk_handle};

/* ---- main ---------------------------------------------------------------------------------- */

static int failures;

static void check(bool ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "dedicated: FAILED: %s\n", what);
    failures++;
  }
}

/* Names the actors in the dead-letter report. */
typedef struct cast {
  art_pid pinger, ponger, disk;
} cast;

static const char *who(const cast *c, art_pid pid) {
  return pid == ART_PID_NONE ? "main thread"
         : pid == c->pinger  ? "pinger"
         : pid == c->ponger  ? "ponger"
         : pid == c->disk    ? "disk"
                             : "?";
}

int main(void) {
  dead_letter_log log = {0};
  art_system_config cfg;
  art_system_config_init(&cfg);
  cfg.workers = 1; /* anything that blocked it would stop every other actor */
  cfg.dead_letter = on_dead_letter;
  cfg.dead_letter_ctx = &log;
  art_system *sys;
  int rc = art_system_create(&sys, &cfg);
  if (rc) {
    fprintf(stderr, "dedicated: art_system_create: %s\n", art_strerror(rc));
    return 1;
  }
  cast c = {0};
  pinger p = {0};
  disk d = {0};
  rc = art_spawn(sys, &(art_spawn_opts){.ops = &ponger_ops, .name = "ponger"}, &c.ponger);
  p.ponger = c.ponger;
  if (rc == 0)
    rc = art_spawn(sys, &(art_spawn_opts){.ops = &pinger_ops, .state = &p, .name = "pinger"},
                   &c.pinger);
  d.pinger = c.pinger;
  if (rc == 0)
    rc = art_spawn(sys,
                   &(art_spawn_opts){
                       .ops = &disk_ops, .state = &d, .name = "disk", .flags = ART_SPAWN_DEDICATED},
                   &c.disk);
  check(rc == 0, "spawn the actors");
  printf("one worker thread; the disk actor has a thread of its own\n");
  int64_t t0 = art_now_monotonic();
  for (int i = 0; rc == 0 && i < REQUESTS; i++)
    check(art_send(sys, c.disk, MSG_READ, NULL, 0) == 0, "send a READ");
  /* The disk actor stops after its last request, the pinger at DONE, the ponger at STOP. */
  check(art_system_wait(sys, ART_SEC(3)) == 0, "every actor exits within 3 s");
  int64_t elapsed = art_now_monotonic() - t0;
  int late_rc = art_send(sys, c.disk, MSG_READ, NULL, 0);
  printf("main:     a READ sent after the disk actor exited -> %s\n", art_err_name(late_rc));
  art_system_stats stats;
  art_system_stats_get(sys, &stats);
  art_system_destroy(sys);

  printf("ping-pong round trips while the disk actor blocked: %" PRIu64 " (of %" PRIu64
         " in %.0f ms)\n",
         p.rounds, p.total_rounds, (double)elapsed / 1e6);
  check(d.served == REQUESTS && d.bytes > 0, "the disk actor serves every request");
  check(elapsed >= ART_MSEC(REQUESTS * BLOCK_MS), "the disk work really blocked");
  check(p.rounds >= 100, "the ping-pong keeps running while the disk actor blocks");
  check(late_rc == ART_ESRCH, "a send to an exited actor returns ART_ESRCH");

  /* The hook ran on other threads; art_system_destroy has joined or waited for them all. */
  int n = atomic_load(&log.count);
  printf("dead letters: %d\n", n);
  for (int i = 0; i < n && i < (int)(sizeof log.letters / sizeof log.letters[0]); i++) {
    const art_dead_letter *l = &log.letters[i];
    printf("  %-4s from %-11s to %s\n",
           l->type < sizeof msg_names / sizeof msg_names[0] ? msg_names[l->type] : "?",
           who(&c, l->sender), who(&c, l->target));
  }
  check((uint64_t)n == stats.dead_letters, "the hook saw every counted dead letter");
  check(n == 2, "two dead letters: the ping-pong message in flight and the late READ");
  if (failures)
    return 1;
  printf("dedicated: OK: blocking work on its own thread left the ping-pong running\n");
  return 0;
}
