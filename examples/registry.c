/*
 * The registry: a logging service found by name.
 *
 * A logger registers the name "logger" (art_register); clients never learn its pid, they send
 * to the name (art_send_named). The name is taken while the logger lives: another actor
 * cannot register it, and the logger cannot take a second name. The logger writes to a log
 * file that holds six lines; when it is full, the logger closes it and exits, and the runtime
 * releases the name: art_whereis() returns ART_PID_NONE and a send to the name returns
 * ART_ENOENT. A new logger then takes the name, and clients reach it without knowing anything
 * changed.
 *
 * Run: build/release/examples/registry
 */
#include <art.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

enum { MSG_LOG = 1, MSG_GO };

#define LOGGER "logger"

/* ---- the logger ---------------------------------------------------------------------------- */

typedef struct logger {
  int generation; /* 1 for the first logger, 2 for its replacement */
  int capacity;   /* lines the log file holds */
  int lines;      /* lines written */
} logger;

static int logger_start(art_ctx *ctx, void *state, void *args) {
  (void)ctx;
  (void)args;
  logger *lg = state;
  lg->lines = 0;
  printf("logger#%d: opened a log file for %d lines\n", lg->generation, lg->capacity);
  return 0;
}

static int logger_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  logger *lg = state;
  const char *text = msg->data;
  if (msg->type != MSG_LOG || msg->size == 0 || text[msg->size - 1] != '\0')
    return art_fail(ctx, ART_EINVAL, "not a log line");
  lg->lines++;
  printf("logger#%d: [%d/%d] %s\n", lg->generation, lg->lines, lg->capacity, text);
  if (lg->lines < lg->capacity)
    return 0;
  printf("logger#%d: log file full, closing and exiting\n", lg->generation);
  return ART_STOP; /* the name is released as the actor exits */
}

static const art_actor_ops logger_ops = {.pre_start = logger_start, .handle = logger_handle};

/* ---- the clients --------------------------------------------------------------------------- */

typedef struct client {
  int id;
  int send_errors; /* art_send_named failures */
} client;

static int client_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  client *c = state;
  if (msg->type != MSG_GO)
    return 0;
  for (int i = 1; i <= 2; i++) {
    char line[64];
    int n = snprintf(line, sizeof line, "client %d (%#" PRIx64 "): request %d done", c->id,
                     art_self(ctx), i);
    if (art_send_named(art_ctx_system(ctx), LOGGER, MSG_LOG, line, (size_t)n + 1) != 0)
      c->send_errors++;
  }
  return ART_STOP;
}

static const art_actor_ops client_ops = {.handle = client_handle};

/* ---- main ---------------------------------------------------------------------------------- */

static int failures;

static void check(bool ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "registry: FAILED: %s\n", what);
    failures++;
  }
}

static const char *rc_name(int rc) {
  return rc == 0 ? "0" : art_err_name(rc);
}

/* Spawns @p n clients numbered from @p first; they wait for MSG_GO. */
static void spawn_clients(art_system *sys, client *clients, art_pid *pids, int first, int n) {
  for (int i = 0; i < n; i++) {
    clients[i] = (client){.id = first + i};
    pids[i] = ART_PID_NONE;
    art_spawn_opts opts = {.ops = &client_ops, .state = &clients[i]};
    check(art_spawn(sys, &opts, &pids[i]) == 0, "spawn a client");
  }
}

static void start_clients(art_system *sys, const art_pid *pids, int n) {
  for (int i = 0; i < n; i++)
    check(art_send(sys, pids[i], MSG_GO, NULL, 0) == 0, "start a client");
}

/* Spawns a logger and registers it under LOGGER. */
static art_pid start_logger(art_system *sys, logger *lg) {
  art_pid pid = ART_PID_NONE;
  check(art_spawn(sys, &(art_spawn_opts){.ops = &logger_ops, .state = lg}, &pid) == 0,
        "spawn a logger");
  int rc = art_register(sys, LOGGER, pid);
  printf("main:     art_register(\"" LOGGER "\", %#" PRIx64 ") -> %s\n", pid, rc_name(rc));
  check(rc == 0, "a logger registers the free name");
  check(art_whereis(sys, LOGGER) == pid, "art_whereis finds the logger");
  return pid;
}

int main(void) {
  art_system *sys;
  int rc = art_system_create(&sys, NULL);
  if (rc) {
    fprintf(stderr, "registry: art_system_create: %s\n", art_strerror(rc));
    return 1;
  }

  /* Round 1: the first logger takes the name; three clients log two lines each. */
  logger first = {.generation = 1, .capacity = 6};
  art_pid first_pid = start_logger(sys, &first);
  client round1[3];
  art_pid round1_pids[3];
  spawn_clients(sys, round1, round1_pids, 1, 3);
  /* A name names one actor, and an actor has at most one name. */
  rc = art_register(sys, LOGGER, round1_pids[0]);
  printf("main:     a client tries to register \"" LOGGER "\" too -> %s\n", rc_name(rc));
  check(rc == ART_EEXIST, "a taken name gives ART_EEXIST");
  rc = art_register(sys, "audit", first_pid);
  printf("main:     logger#1 tries to take a second name \"audit\" -> %s\n", rc_name(rc));
  check(rc == ART_EBUSY, "a second name for the same actor gives ART_EBUSY");
  start_clients(sys, round1_pids, 3);

  /* The clients exit after logging, the logger after its sixth line: then nothing is alive. */
  check(art_system_wait(sys, ART_SEC(3)) == 0, "round 1 ends within 3 s");
  art_pid now = art_whereis(sys, LOGGER);
  printf("main:     logger#1 has exited; art_whereis(\"" LOGGER "\") -> %#" PRIx64 "%s\n", now,
         now == ART_PID_NONE ? " (ART_PID_NONE)" : "");
  check(now == ART_PID_NONE, "the name is released when its actor exits");
  rc = art_send_named(sys, LOGGER, MSG_LOG, "lost", 5);
  printf("main:     art_send_named(\"" LOGGER "\") with no logger -> %s\n", rc_name(rc));
  check(rc == ART_ENOENT, "a send to a free name gives ART_ENOENT");
  rc = art_register(sys, LOGGER, first_pid);
  printf("main:     registering the dead logger#1 again -> %s\n", rc_name(rc));
  check(rc == ART_ESRCH, "a dead actor cannot take a name");

  /* Round 2: a new logger takes the name; the clients' code is unchanged. */
  logger second = {.generation = 2, .capacity = 4};
  art_pid second_pid = start_logger(sys, &second);
  check(second_pid != first_pid, "the new logger has a new pid");
  client round2[2];
  art_pid round2_pids[2];
  spawn_clients(sys, round2, round2_pids, 4, 2);
  start_clients(sys, round2_pids, 2);
  check(art_system_wait(sys, ART_SEC(3)) == 0, "round 2 ends within 3 s");
  check(art_whereis(sys, LOGGER) == ART_PID_NONE, "the name is released again");
  art_system_destroy(sys);

  check(first.lines == 6 && second.lines == 4, "logger#1 wrote 6 lines, logger#2 wrote 4");
  for (int i = 0; i < 3; i++)
    check(round1[i].send_errors == 0, "every round 1 send by name succeeded");
  for (int i = 0; i < 2; i++)
    check(round2[i].send_errors == 0, "every round 2 send by name succeeded");
  if (failures)
    return 1;
  printf("registry: OK: 10 lines sent by name to two successive loggers\n");
  return 0;
}
