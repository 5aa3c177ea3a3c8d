/*
 * Request and reply: a key-value store asked from an actor and from a plain thread.
 *
 * The store actor keeps a small table. PUT is a plain message; GET is a request, answered
 * with art_reply(). A second actor, "stuck", receives requests and never answers (a replica
 * that hangs).
 *
 * - An actor asks with art_ask(): the call returns at once with a correlation id, and later
 *   exactly one of two messages arrives with that correlation: the reply, or ART_MSG_TIMEOUT.
 *   The actor never blocks, so it keeps handling other messages meanwhile.
 * - The main thread, which is not an actor, uses art_call(): it blocks until the reply comes
 *   or the timeout passes (ART_ETIMEDOUT).
 *
 * Run: build/release/examples/request_reply
 */
#include <art.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

enum { MSG_PUT = 1, MSG_GET, MSG_VALUE, MSG_START };

#define KEY_MAX 16

typedef struct kv_put {
  char key[KEY_MAX];
  int64_t value;
} kv_put;

typedef struct kv_get {
  char key[KEY_MAX];
} kv_get;

typedef struct kv_value { /* the reply to MSG_GET */
  int64_t value;
  int32_t found;
} kv_value;

static kv_get get_of(const char *key) {
  kv_get g = {{0}};
  snprintf(g.key, sizeof g.key, "%s", key);
  return g;
}

/* ---- the store ----------------------------------------------------------------------------- */

typedef struct store {
  kv_put entries[8];
  int count;
} store;

static kv_put *store_find(store *s, const char *key) {
  for (int i = 0; i < s->count; i++)
    if (strncmp(s->entries[i].key, key, KEY_MAX) == 0)
      return &s->entries[i];
  return NULL;
}

static int store_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  store *s = state;
  if (msg->type == MSG_PUT && msg->size == sizeof(kv_put)) {
    kv_put put;
    memcpy(&put, msg->data, sizeof put); /* payloads carry no alignment promise */
    put.key[KEY_MAX - 1] = '\0';
    kv_put *e = store_find(s, put.key);
    if (!e && s->count == (int)(sizeof s->entries / sizeof s->entries[0]))
      return art_fail(ctx, ART_ENOSPC, "store full");
    *(e ? e : &s->entries[s->count++]) = put;
    printf("store:    put %s = %" PRId64 "\n", put.key, put.value);
    return 0;
  }
  if (msg->type == MSG_GET && msg->size == sizeof(kv_get)) {
    kv_get get;
    memcpy(&get, msg->data, sizeof get);
    get.key[KEY_MAX - 1] = '\0';
    const kv_put *e = store_find(s, get.key);
    kv_value v = {.value = e ? e->value : 0, .found = e != NULL};
    printf("store:    get %s from %#" PRIx64 " (correlation %#" PRIx64 ") -> %s\n", get.key,
           msg->sender, msg->correlation, e ? "found" : "not found");
    int rc = art_reply(art_ctx_system(ctx), msg, MSG_VALUE, &v, sizeof v);
    return rc == ART_ESRCH ? 0 : rc; /* ESRCH: the asker is gone; nobody to answer */
  }
  return art_fail(ctx, ART_EINVAL, "unexpected message %u of %u bytes", msg->type, msg->size);
}

static const art_actor_ops store_ops = {.handle = store_handle};

/* ---- stuck: takes requests, never answers -------------------------------------------------- */

static int stuck_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  (void)ctx;
  (void)state;
  printf("stuck:    got a request (correlation %#" PRIx64 "), will never answer\n",
         msg->correlation);
  return 0;
}

static const art_actor_ops stuck_ops = {.handle = stuck_handle};

/* ---- the client: asks without blocking --------------------------------------------------- */

typedef struct client {
  art_pid store, stuck;
  uint64_t ask_store, ask_stuck; /* correlations art_ask returned */
  int replies, timeouts, strays;
  kv_value answer;
} client;

static int client_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  client *c = state;
  int rc;
  switch (msg->type) {
  case MSG_START: {
    kv_get g = get_of("alpha");
    if ((rc = art_ask(ctx, c->store, MSG_GET, &g, sizeof g, ART_MSEC(500), &c->ask_store)) ||
        (rc = art_ask(ctx, c->stuck, MSG_GET, &g, sizeof g, ART_MSEC(100), &c->ask_stuck)))
      return rc;
    printf("client:   asked store (correlation %#" PRIx64 ", 500 ms) and stuck (%#" PRIx64
           ", 100 ms)\n",
           c->ask_store, c->ask_stuck);
    return 0;
  }
  case MSG_VALUE:
    if (msg->correlation != c->ask_store || msg->size != sizeof c->answer) {
      c->strays++;
      return 0;
    }
    memcpy(&c->answer, msg->data, sizeof c->answer);
    c->replies++;
    printf("client:   reply   for %#" PRIx64 ": alpha = %" PRId64 "\n", msg->correlation,
           c->answer.value);
    break;
  case ART_MSG_TIMEOUT:
    if (msg->correlation != c->ask_stuck) {
      c->strays++;
      return 0;
    }
    c->timeouts++;
    printf("client:   timeout for %#" PRIx64 ": stuck did not answer within 100 ms\n",
           msg->correlation);
    break;
  default:
    c->strays++;
    return 0;
  }
  return c->replies + c->timeouts == 2 ? ART_STOP : 0;
}

static const art_actor_ops client_ops = {.handle = client_handle};

/* ---- main ---------------------------------------------------------------------------------- */

static int failures;

static void check(bool ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "request_reply: FAILED: %s\n", what);
    failures++;
  }
}

static const char *rc_name(int rc) {
  return rc == 0 ? "0" : art_err_name(rc);
}

/* A GET from the main thread: blocks until the reply or the timeout. */
static int call_get(art_system *sys, art_pid to, const char *key, art_duration timeout,
                    kv_value *out) {
  kv_get g = get_of(key);
  art_call_reply reply = {.data = out, .capacity = sizeof *out};
  int rc = art_call(sys, to, MSG_GET, &g, sizeof g, timeout, &reply);
  if (rc == 0 && (reply.type != MSG_VALUE || reply.size != sizeof *out))
    rc = ART_ERANGE;
  return rc;
}

/* A plain thread has no mailbox for a DOWN, so it waits for one actor's exit by polling. */
static bool wait_exit(art_system *sys, art_pid pid, art_duration timeout) {
  int64_t deadline = art_now_monotonic() + timeout;
  while (art_is_alive(sys, pid)) {
    if (art_now_monotonic() > deadline)
      return false;
    nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
  }
  return true;
}

int main(void) {
  art_system *sys;
  int rc = art_system_create(&sys, NULL);
  if (rc) {
    fprintf(stderr, "request_reply: art_system_create: %s\n", art_strerror(rc));
    return 1;
  }
  store s = {.count = 0};
  art_pid store_pid = ART_PID_NONE, stuck_pid = ART_PID_NONE;
  check(art_spawn(sys, &(art_spawn_opts){.ops = &store_ops, .state = &s}, &store_pid) == 0,
        "spawn the store");
  check(art_spawn(sys, &(art_spawn_opts){.ops = &stuck_ops}, &stuck_pid) == 0, "spawn stuck");

  /* PUTs are plain messages; the GETs after them come from the same thread, so they arrive
   * after them. */
  kv_put puts[] = {{"alpha", 1}, {"beta", 2}};
  for (size_t i = 0; i < sizeof puts / sizeof puts[0]; i++)
    check(art_send(sys, store_pid, MSG_PUT, &puts[i], sizeof puts[i]) == 0, "send a PUT");

  /* 1. art_call from the main thread. */
  kv_value v = {0};
  rc = call_get(sys, store_pid, "beta", ART_SEC(1), &v);
  printf("main:     art_call(store, get beta)  -> %s, found %d, value %" PRId64 "\n", rc_name(rc),
         v.found, v.value);
  check(rc == 0 && v.found && v.value == 2, "art_call gets beta = 2");
  v = (kv_value){0};
  rc = call_get(sys, store_pid, "gamma", ART_SEC(1), &v);
  printf("main:     art_call(store, get gamma) -> %s, found %d\n", rc_name(rc), v.found);
  check(rc == 0 && !v.found, "art_call: gamma is not found");
  int64_t t0 = art_now_monotonic();
  rc = call_get(sys, stuck_pid, "alpha", ART_MSEC(100), &v);
  double waited_ms = (double)(art_now_monotonic() - t0) / 1e6;
  printf("main:     art_call(stuck, get alpha) -> %s after %.1f ms\n", rc_name(rc), waited_ms);
  check(rc == ART_ETIMEDOUT && waited_ms >= 100.0, "art_call times out after 100 ms");

  /* 2. art_ask from an actor. */
  client c = {.store = store_pid, .stuck = stuck_pid};
  art_pid client_pid = ART_PID_NONE;
  check(art_spawn(sys, &(art_spawn_opts){.ops = &client_ops, .state = &c}, &client_pid) == 0 &&
            art_send(sys, client_pid, MSG_START, NULL, 0) == 0,
        "start the client");
  check(wait_exit(sys, client_pid, ART_SEC(3)), "the client finishes within 3 s");
  art_system_destroy(sys); /* stops the store and stuck */

  check(c.replies == 1 && c.answer.found && c.answer.value == 1, "art_ask gets alpha = 1");
  check(c.timeouts == 1, "art_ask to stuck gets ART_MSG_TIMEOUT with its correlation");
  check(c.strays == 0, "no message with an unexpected correlation");
  check(c.ask_store != c.ask_stuck, "each request has its own correlation");
  if (failures)
    return 1;
  printf("request_reply: OK: replies matched by correlation, timeouts as ART_MSG_TIMEOUT and "
         "ART_ETIMEDOUT\n");
  return 0;
}
