/*
 * An acceptor actor that starts a handler per connection under a simple_one_for_one
 * supervisor, OTP's most common supervision pattern, without blocking a worker thread.
 *
 * The "handlers" supervisor is simple_one_for_one over a template of temporary handlers (a
 * connection that fails is not reopened) with max_children 2. The acceptor is an actor: it
 * cannot use art_sup_start_simple_child, which blocks (ART_EDEADLK from an actor), so for each
 * connection it calls art_sup_start_simple_child's asynchronous form,
 * art_sup_ask_start_simple_child, with the connection as the instance's argument, and carries
 * on. The supervisor's answer arrives later as a message with the correlation the ask
 * returned; art_sup_reply_result reads it: 0 and the handler's pid, or the error, here
 * ART_ENOSPC when two handlers are busy, and the acceptor turns the connection away.
 *
 * Connections are socketpairs: the main thread plays the clients, and passes the server end of
 * each to the acceptor as a new connection would be. A handler runs on a dedicated thread
 * (ART_SPAWN_DEDICATED), so it may block reading its socket; it answers one line and ends.
 * The line "crash" makes it fail: temporary, it is not restarted, and its client sees the
 * connection closed. At the end the main thread asks the acceptor for a report, which the
 * acceptor puts together with an asynchronous count_children of the supervisor before it
 * answers.
 *
 * Run: build/release/examples/supervisor_acceptor
 */
#include <art.h>

#include <ctype.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int failures;

#define CHECK(cond)                                                                                \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      fprintf(stderr, "check failed at line %d: %s\n", __LINE__, #cond);                           \
      failures++;                                                                                  \
    }                                                                                              \
  } while (0)

enum { MSG_CONNECTION = 1, MSG_SERVE, MSG_REPORT };

/* A connection; the acceptor allocates it, the handler that takes it frees it. */
typedef struct connection {
  int fd;
  int number;
} connection;

/* ---- the handler: one per connection, on a thread of its own ----------------------------- */

static int handler_start(art_ctx *ctx, void *state, void *args) {
  *(connection **)state = args; /* from here on, the connection is the handler's */
  return art_send(art_ctx_system(ctx), art_self(ctx), MSG_SERVE, NULL, 0);
}

/* Reads one line and answers it; blocking is fine on a dedicated thread. */
static int handler_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  (void)msg;
  connection *c = *(connection **)state;
  char line[64];
  size_t n = 0;
  while (n + 1 < sizeof line) {
    ssize_t r = read(c->fd, line + n, 1);
    if (r <= 0 || line[n] == '\n')
      break;
    n++;
  }
  line[n] = '\0';
  if (strcmp(line, "crash") == 0)
    return art_fail(ctx, ART_EINVAL, "connection %d: told to crash", c->number);
  char answer[96];
  int len = snprintf(answer, sizeof answer, "handler %d: ", c->number);
  for (size_t i = 0; i < n && len < (int)sizeof answer - 2; i++)
    answer[len++] = (char)toupper((unsigned char)line[i]);
  answer[len++] = '\n';
  (void)send(c->fd, answer, (size_t)len, MSG_NOSIGNAL);
  return ART_STOP; /* one request per connection */
}

static void handler_stop(art_ctx *ctx, void *state, const art_exit_reason *reason) {
  (void)ctx;
  connection *c = *(connection **)state;
  char why[128];
  art_reason_format(reason, why, sizeof why);
  printf("  handler %d: closed (%s)\n", c->number, why);
  close(c->fd);
  free(c);
}

static const art_actor_ops handler_ops = {
    .pre_start = handler_start, .handle = handler_handle, .post_stop = handler_stop};

/* ---- the acceptor ------------------------------------------------------------------------ */

#define PENDING_MAX 8

typedef struct report {
  int accepted, refused;
  uint32_t active; /* the supervisor's running handlers */
} report;

typedef struct acceptor {
  art_pid handlers;
  /* Connections whose handler's start is asked for, by the ask's correlation. Once a handler
   * has started, the connection is its own: it may be closed and freed already when the answer
   * comes, so the acceptor keeps the number it prints. */
  uint64_t pending[PENDING_MAX];
  connection *conns[PENDING_MAX];
  int numbers[PENDING_MAX];
  report totals;
  /* A report being put together: the main thread's request, and the count_children asked. */
  art_msg report_request;
  uint64_t counting;
} acceptor;

static int acceptor_start(art_ctx *ctx, void *state, void *args) {
  (void)ctx;
  acceptor *a = state;
  a->handlers = *(const art_pid *)args;
  return 0;
}

static void refuse(acceptor *a, connection *c, int rc) {
  printf("  acceptor: connection %d refused: %s\n", c->number, art_err_name(rc));
  a->totals.refused++;
  close(c->fd); /* its client sees the connection closed */
  free(c);
}

static int on_connection(art_ctx *ctx, acceptor *a, const art_msg *msg) {
  connection *c = malloc(sizeof *c);
  if (!c)
    return 0;
  memcpy(c, msg->data, sizeof *c);
  int slot = 0;
  while (slot < PENDING_MAX && a->conns[slot])
    slot++;
  if (slot == PENDING_MAX) {
    refuse(a, c, ART_EAGAIN);
    return 0;
  }
  printf("  acceptor: connection %d, asking for a handler\n", c->number);
  a->numbers[slot] = c->number;
  /* From a successful ask on, the handler may own c. A timeout leaves c to the start it waited
   * for, should that start succeed later; 5 s is far above any start here. */
  int rc = art_sup_ask_start_simple_child(ctx, a->handlers, c, ART_SEC(5), &a->pending[slot]);
  if (rc)
    refuse(a, c, rc);
  else
    a->conns[slot] = c;
  return 0; /* on to the next message: the answer comes later */
}

static int on_answer(art_ctx *ctx, acceptor *a, const art_msg *msg) {
  int rc = ART_EINVAL;
  if (msg->correlation == a->counting) { /* the report's count_children */
    art_sup_counts counts = {0};
    if (msg->type != ART_MSG_TIMEOUT && art_sup_reply_counts(msg, &rc, &counts) == 0 && rc == 0)
      a->totals.active = counts.active;
    a->counting = 0;
    return art_reply(art_ctx_system(ctx), &a->report_request, MSG_REPORT, &a->totals,
                     sizeof a->totals);
  }
  for (int slot = 0; slot < PENDING_MAX; slot++) {
    if (!a->conns[slot] || a->pending[slot] != msg->correlation)
      continue;
    connection *c = a->conns[slot];
    a->conns[slot] = NULL;
    art_pid pid;
    if (msg->type == ART_MSG_TIMEOUT) {
      printf("  acceptor: connection %d: no answer in time\n", a->numbers[slot]);
    } else if (art_sup_reply_result(msg, &rc, &pid) == 0 && rc == 0) {
      printf("  acceptor: connection %d served by %#" PRIx64 "\n", a->numbers[slot], pid);
      a->totals.accepted++;
    } else {
      refuse(a, c, rc); /* no handler took it */
    }
    return 0;
  }
  return 0; /* a reply to nothing of ours */
}

static int acceptor_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  acceptor *a = state;
  switch (msg->type) {
  case MSG_CONNECTION:
    return msg->size == sizeof(connection) ? on_connection(ctx, a, msg) : 0;
  case MSG_REPORT: /* from art_call: answered once the supervisor has counted */
    if (a->counting)
      return 0;
    a->report_request = *msg;
    return art_sup_ask_count_children(ctx, a->handlers, ART_SEC(5), &a->counting);
  default:
    return on_answer(ctx, a, msg);
  }
}

static const art_actor_ops acceptor_ops = {.pre_start = acceptor_start, .handle = acceptor_handle};

/* ---- the clients (the main thread) ------------------------------------------------------- */

/* Opens connection @p number: the client's end is returned, the server's goes to the acceptor. */
static int connect_to(art_system *sys, art_pid acceptor_pid, int number) {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0)
    return -1;
  connection c = {.fd = fds[1], .number = number};
  if (art_send(sys, acceptor_pid, MSG_CONNECTION, &c, sizeof c) != 0) {
    close(fds[0]);
    close(fds[1]);
    return -1;
  }
  return fds[0];
}

/* Sends @p line and reads the answer into @p out; "" if the server closed the connection. */
static void request(int fd, const char *line, char *out, size_t size) {
  out[0] = '\0';
  if (line &&
      (send(fd, line, strlen(line), MSG_NOSIGNAL) < 0 || send(fd, "\n", 1, MSG_NOSIGNAL) < 0))
    return;
  size_t n = 0;
  struct pollfd p = {.fd = fd, .events = POLLIN};
  while (n + 1 < size && poll(&p, 1, 5000) == 1) {
    ssize_t r = read(fd, out + n, 1);
    if (r <= 0 || out[n] == '\n')
      break;
    n++;
  }
  out[n] = '\0';
}

/* Waits (at most 2 s) until the supervisor has no handler left: a handler that has ended counts
 * towards max_children until the supervisor has taken its exit. */
static bool wait_idle(art_system *sys, art_pid sup) {
  for (int i = 0; i < 2000; i++) {
    art_sup_counts counts;
    if (art_sup_count_children(sys, sup, &counts) == 0 && counts.workers == 0)
      return true;
    nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
  }
  return false;
}

int main(void) {
  art_system *sys;
  int rc = art_system_create(&sys, NULL);
  if (rc) {
    fprintf(stderr, "art_system_create: %s\n", art_strerror(rc));
    return 1;
  }
  art_child_spec handler = {.restart = ART_RESTART_TEMPORARY};
  handler.actor.ops = &handler_ops;
  handler.actor.state_size = sizeof(connection *);
  handler.actor.flags = ART_SPAWN_DEDICATED;
  art_sup_spec spec;
  art_sup_spec_init(&spec);
  spec.strategy = ART_SUP_SIMPLE_ONE_FOR_ONE;
  spec.children = &handler;
  spec.child_count = 1;
  spec.max_children = 2;
  spec.name = "handlers";
  art_pid sup, acceptor_pid;
  CHECK((rc = art_sup_start(sys, &spec, &sup)) == 0);
  art_spawn_opts opts = {
      .ops = &acceptor_ops, .state_size = sizeof(acceptor), .args = &sup, .name = "acceptor"};
  if (rc || art_spawn(sys, &opts, &acceptor_pid) != 0) {
    fprintf(stderr, "could not start the supervisor and the acceptor\n");
    art_system_destroy(sys);
    return 1;
  }
  char answer[96];
  int client[6]; /* client[i]: the client's end of connection i */

  printf("three connections, room for two handlers:\n");
  for (int i = 1; i <= 3; i++)
    CHECK((client[i] = connect_to(sys, acceptor_pid, i)) >= 0);
  request(client[3], NULL, answer, sizeof answer); /* turned away: closed at once */
  CHECK(strcmp(answer, "") == 0);
  request(client[1], "hello", answer, sizeof answer);
  printf("client 1 got: %s\n", answer);
  CHECK(strcmp(answer, "handler 1: HELLO") == 0);
  request(client[2], "bonjour", answer, sizeof answer);
  printf("client 2 got: %s\n", answer);
  CHECK(strcmp(answer, "handler 2: BONJOUR") == 0);
  CHECK(wait_idle(sys, sup)); /* both handlers are done */

  printf("a handler that crashes is not restarted (temporary):\n");
  CHECK((client[4] = connect_to(sys, acceptor_pid, 4)) >= 0);
  request(client[4], "crash", answer, sizeof answer);
  CHECK(strcmp(answer, "") == 0);
  CHECK(wait_idle(sys, sup));
  CHECK((client[5] = connect_to(sys, acceptor_pid, 5)) >= 0);
  request(client[5], "still here?", answer, sizeof answer);
  printf("client 5 got: %s\n", answer);
  CHECK(strcmp(answer, "handler 5: STILL HERE?") == 0);
  CHECK(wait_idle(sys, sup));

  /* The report: the main thread asks the acceptor, which asks the supervisor. */
  report r = {0};
  art_call_reply reply = {.data = &r, .capacity = sizeof r};
  CHECK(art_call(sys, acceptor_pid, MSG_REPORT, NULL, 0, ART_SEC(5), &reply) == 0);
  printf("acceptor: %d accepted, %d refused, %" PRIu32 " handlers running\n", r.accepted, r.refused,
         r.active);
  CHECK(r.accepted == 4 && r.refused == 1 && r.active == 0);

  for (int i = 1; i <= 5; i++)
    if (client[i] >= 0)
      close(client[i]);
  CHECK(art_sup_stop(sys, sup, ART_SEC(5)) == 0);
  art_exit_reason done = art_reason(ART_EXIT_SHUTDOWN);
  CHECK(art_send_exit(sys, acceptor_pid, &done) == 0);
  art_system_destroy(sys);
  if (failures) {
    fprintf(stderr, "supervisor_acceptor: %d check(s) failed\n", failures);
    return 1;
  }
  printf("supervisor_acceptor: all checks passed\n");
  return 0;
}
