/*
 * A program that uses an installed airssys-rt through its public API only: it spawns one
 * actor, sends it a request, waits for the actor to reply and exit, and checks the reply.
 */
#include <art.h>

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#define MSG_PING 1u

/* Where the actor writes its reply; the test thread reads it after `done`. */
typedef struct exchange {
  char reply[32];
  atomic_bool done;
} exchange;

static int echo_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  (void)ctx;
  exchange *ex = state;
  if (msg->type != MSG_PING || msg->size != 5 || memcmp(msg->data, "ping", 5) != 0)
    return ART_EINVAL;
  snprintf(ex->reply, sizeof ex->reply, "pong");
  /* Release pairs with the acquire load in main: the reply is written before done. */
  atomic_store_explicit(&ex->done, true, memory_order_release);
  return ART_STOP;
}

static const art_actor_ops echo_ops = {.handle = echo_handle};

static int fail(const char *what, int err) {
  fprintf(stderr, "consumer: %s: %s\n", what, art_strerror(err));
  return 1;
}

int main(void) {
  exchange ex = {.reply = ""};
  atomic_init(&ex.done, false);

  art_system_config cfg;
  art_system_config_init(&cfg);
  cfg.workers = 2;
  art_system *sys = NULL;
  int rc = art_system_create(&sys, &cfg);
  if (rc != 0)
    return fail("art_system_create", rc);

  art_spawn_opts opts = {.ops = &echo_ops, .state = &ex, .name = "echo"};
  art_pid pid = ART_PID_NONE;
  rc = art_spawn(sys, &opts, &pid);
  if (rc != 0)
    return fail("art_spawn", rc);
  rc = art_send(sys, pid, MSG_PING, "ping", 5);
  if (rc != 0)
    return fail("art_send", rc);
  rc = art_system_wait(sys, ART_SEC(30));
  if (rc != 0)
    return fail("art_system_wait", rc);

  bool done = atomic_load_explicit(&ex.done, memory_order_acquire);
  bool alive = art_is_alive(sys, pid);
  art_system_destroy(sys);
  if (!done || strcmp(ex.reply, "pong") != 0 || alive) {
    fprintf(stderr, "consumer: bad reply '%s' (done %d, alive %d)\n", ex.reply, done, alive);
    return 1;
  }
  printf("airssys-rt %s: reply %s\n", art_version(), ex.reply);
  return 0;
}
