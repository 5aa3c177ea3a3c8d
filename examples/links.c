/*
 * Links: a crash travels along links.
 *
 * A guard actor that traps exits starts two actors linked to it: a worker that parses config
 * lines, and an uploader that links itself to the worker as well, because it is useless
 * without it. The worker parses one good line, then fails on a bad one: its handler returns
 * an error with art_fail(), so it exits with that error as its reason. The links carry the
 * reason on. The uploader does not trap exits, so it dies with the same reason; the guard
 * traps exits, so each death reaches it as an ART_MSG_EXIT message, and it lives on.
 *
 * Run: build/release/examples/links
 */
#include <art.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MSG_LINE = 1 };

/* What the actors saw, for main to check once every actor has exited. The actors share it;
 * each writes only its own fields. */
typedef struct report {
  art_pid worker, uploader;
  int ports_parsed;
  art_exit_reason worker_exit, uploader_exit; /* from their post_stop */
  int guard_exits;                            /* ART_MSG_EXIT messages the guard got */
  art_exit_reason guard_saw_worker, guard_saw_uploader;
} report;

static void print_reason(const char *who, const char *what, const art_exit_reason *reason) {
  char text[192];
  art_reason_format(reason, text, sizeof text);
  printf("%-9s %s %s\n", who, what, text);
}

/* ---- the worker: parses "port=<number>" lines ---------------------------------------------- */

static int worker_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  report *r = state;
  const char *line = msg->data;
  if (msg->type != MSG_LINE || msg->size == 0 || line[msg->size - 1] != '\0')
    return art_fail(ctx, ART_EINVAL, "not a config line");
  if (strncmp(line, "port=", 5) != 0)
    return art_fail(ctx, ART_EINVAL, "unknown setting '%s'", line);
  char *end;
  long port = strtol(line + 5, &end, 10);
  if (*end != '\0' || end == line + 5 || port < 1 || port > 65535)
    return art_fail(ctx, ART_EINVAL, "bad port '%s'", line + 5); /* the crash */
  printf("worker:   port = %ld\n", port);
  r->ports_parsed++;
  return 0;
}

static void worker_stop(art_ctx *ctx, void *state, const art_exit_reason *reason) {
  (void)ctx;
  report *r = state;
  r->worker_exit = *reason;
  print_reason("worker:", "exits with", reason);
}

/* No on_error: the default (ART_ACTION_RESTART) makes a failed handler exit the actor with the
 * error as its reason, which a supervisor would use to restart it. */
static const art_actor_ops worker_ops = {.handle = worker_handle, .post_stop = worker_stop};

/* ---- the uploader: linked to the worker, does not trap exits ------------------------------- */

static int uploader_start(art_ctx *ctx, void *state, void *args) {
  (void)args;
  report *r = state;
  /* The link request travels through the worker's mailbox ahead of the lines the guard sends
   * it next, so the link is in place before the worker can fail. */
  return art_link(ctx, r->worker);
}

static int uploader_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  (void)ctx;
  (void)state;
  (void)msg;
  return 0; /* it would upload what the worker parsed; it is never asked to here */
}

static void uploader_stop(art_ctx *ctx, void *state, const art_exit_reason *reason) {
  (void)ctx;
  report *r = state;
  r->uploader_exit = *reason;
  print_reason("uploader:", "linked to the worker, dies with", reason);
}

static const art_actor_ops uploader_ops = {
    .pre_start = uploader_start, .handle = uploader_handle, .post_stop = uploader_stop};

/* ---- the guard: traps exits ------------------------------------------------------------ */

static int guard_start(art_ctx *ctx, void *state, void *args) {
  (void)args;
  report *r = state;
  art_system *sys = art_ctx_system(ctx);
  /* ART_SPAWN_LINK links the new actor to the calling one before it can run (spawn_link). */
  int rc = art_spawn(
      sys,
      &(art_spawn_opts){.ops = &worker_ops, .state = r, .name = "worker", .flags = ART_SPAWN_LINK},
      &r->worker);
  if (rc == 0)
    rc = art_spawn(
        sys,
        &(art_spawn_opts){
            .ops = &uploader_ops, .state = r, .name = "uploader", .flags = ART_SPAWN_LINK},
        &r->uploader);
  if (rc < 0)
    return rc;
  printf("guard:    traps exits; linked to worker %#" PRIx64 " and uploader %#" PRIx64 "\n",
         r->worker, r->uploader);
  static const char *const lines[] = {"port=8080", "port=80x"};
  for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
    if ((rc = art_send(sys, r->worker, MSG_LINE, lines[i], strlen(lines[i]) + 1)) != 0)
      return rc;
  return 0;
}

static int guard_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  (void)ctx;
  report *r = state;
  if (msg->type != ART_MSG_EXIT)
    return 0;
  const art_exit_msg *info = msg->data;
  if (info->from == r->worker) {
    r->guard_saw_worker = info->reason;
    print_reason("guard:", "EXIT from worker:  ", &info->reason);
  } else if (info->from == r->uploader) {
    r->guard_saw_uploader = info->reason;
    print_reason("guard:", "EXIT from uploader:", &info->reason);
  }
  if (++r->guard_exits < 2)
    return 0;
  printf("guard:    both are gone; trapping kept me alive, now I stop\n");
  return ART_STOP;
}

static const art_actor_ops guard_ops = {.pre_start = guard_start, .handle = guard_handle};

/* ---- main ---------------------------------------------------------------------------------- */

static int failures;

static void check(bool ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "links: FAILED: %s\n", what);
    failures++;
  }
}

static bool same_reason(const art_exit_reason *a, const art_exit_reason *b) {
  return a->kind == b->kind && a->code == b->code && strcmp(a->text, b->text) == 0;
}

int main(void) {
  art_system *sys;
  int rc = art_system_create(&sys, NULL);
  if (rc) {
    fprintf(stderr, "links: art_system_create: %s\n", art_strerror(rc));
    return 1;
  }
  report r = {0};
  rc = art_spawn(sys,
                 &(art_spawn_opts){
                     .ops = &guard_ops, .state = &r, .name = "guard", .flags = ART_SPAWN_TRAP_EXIT},
                 NULL);
  check(rc == 0, "spawn the guard");
  /* Every actor exits on its own; once none is alive, their writes to r are visible here. */
  check(rc == 0 && art_system_wait(sys, ART_SEC(3)) == 0, "all actors exit within 3 s");

  art_system_stats stats;
  art_system_stats_get(sys, &stats);
  art_system_destroy(sys);

  check(r.ports_parsed == 1, "the worker parsed the good line");
  check(r.worker_exit.kind == ART_EXIT_ERROR && r.worker_exit.code == ART_EINVAL &&
            strcmp(r.worker_exit.text, "bad port '80x'") == 0,
        "the worker exits with the error and the text given to art_fail()");
  check(same_reason(&r.uploader_exit, &r.worker_exit),
        "the uploader dies with the worker's reason");
  check(r.guard_exits == 2, "the guard receives two ART_MSG_EXIT messages");
  check(same_reason(&r.guard_saw_worker, &r.worker_exit) &&
            same_reason(&r.guard_saw_uploader, &r.worker_exit),
        "both EXIT messages carry the worker's reason");
  check(stats.exits_error == 2 && stats.exits_normal == 1,
        "two error exits (worker, uploader) and one normal exit (guard)");
  if (failures)
    return 1;
  printf("links: OK: 1 crash, 2 error exits, 2 EXIT messages trapped by the guard\n");
  return 0;
}
