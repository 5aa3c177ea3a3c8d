/*
 * Send+handle (shared/BENCH.md, project-specific rows): the cost of one message, sent by one
 * actor and handled by another on the same worker. Meant for one worker (bench.sh runs it with
 * --workers 1). Reports the time per message, from the start message to the last one handled.
 *
 * The sender sends a burst of 64 numbered messages and waits; the receiver acknowledges the last
 * message of each burst, and the acknowledgement triggers the next burst. So the mailbox never
 * holds more than a burst (unlike Counting, which floods), and an acknowledgement costs 1/64 of
 * a message. The receiver checks that the numbers arrive in order and that none is missing.
 *
 * usage: sendhandle [--workers N] [--runs R] [--n MESSAGES]
 */
#include <semaphore.h>

#include "art.h"
#include "harness.h"

#define DEFAULT_MESSAGES 10000000
#define BURST 64

enum { MSG_START = 1, MSG_ACK, MSG_DATA };

/* States are the benchmark's (state_size 0), read by main after `done`. */
typedef struct sender {
  art_pid receiver;
  uint64_t total; /* messages of this run */
  uint64_t next;  /* number of the next message */
  int error;      /* a failed send */
} sender;

typedef struct receiver {
  uint64_t total;
  uint64_t count;
  bool out_of_order;
  int64_t end_ns;
  sem_t done;
} receiver;

static int sender_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  sender *s = state;
  art_system *sys = art_ctx_system(ctx);
  int rc = 0;
  if (msg->type == MSG_START) {
    memcpy(&s->total, msg->data, sizeof s->total);
    s->next = 0;
    rc = art_send(sys, s->receiver, MSG_START, &s->total, sizeof s->total);
  } else if (msg->type != MSG_ACK) {
    return ART_EINVAL;
  }
  uint64_t end = s->next + BURST < s->total ? s->next + BURST : s->total;
  for (; rc == 0 && s->next < end; s->next++)
    rc = art_send(sys, s->receiver, MSG_DATA, &s->next, sizeof s->next);
  if (rc)
    s->error = rc;
  return rc;
}

static int receiver_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  receiver *r = state;
  if (msg->type == MSG_START) {
    memcpy(&r->total, msg->data, sizeof r->total);
    r->count = 0;
    r->out_of_order = false;
    return 0;
  }
  if (msg->type != MSG_DATA)
    return ART_EINVAL;
  uint64_t seq;
  memcpy(&seq, msg->data, sizeof seq);
  if (seq != r->count)
    r->out_of_order = true;
  if (++r->count == r->total) {
    r->end_ns = art_now_monotonic();
    sem_post(&r->done);
  } else if (r->count % BURST == 0) {
    return art_send(art_ctx_system(ctx), msg->sender, MSG_ACK, NULL, 0);
  }
  return 0;
}

static const art_actor_ops sender_ops = {.handle = sender_handle};
static const art_actor_ops receiver_ops = {.handle = receiver_handle};

typedef struct bench {
  art_system *sys;
  art_pid sender_pid;
  sender sender;
  receiver receiver;
} bench;

static double run(void *ctx, uint64_t total) {
  bench *b = ctx;
  int64_t start = art_now_monotonic();
  bench_check(art_send(b->sys, b->sender_pid, MSG_START, &total, sizeof total), "start");
  bench_wait(&b->receiver.done);
  if (b->receiver.count != total || b->receiver.out_of_order || b->sender.error) {
    fprintf(stderr, "sendhandle: wrong result: %" PRIu64 " handled%s, expected %" PRIu64 " (%s)\n",
            b->receiver.count, b->receiver.out_of_order ? " out of order" : "", total,
            art_strerror(b->sender.error));
    return -1;
  }
  return (double)(b->receiver.end_ns - start) / (double)total;
}

int main(int argc, char **argv) {
  bench_options o;
  if (!bench_options_parse(&o, argc, argv, DEFAULT_MESSAGES))
    return 2;
  static bench b;
  if (sem_init(&b.receiver.done, 0, 0) != 0)
    return 1;
  b.sys = bench_system_create(o.workers);
  art_spawn_opts receiver_opts = {.ops = &receiver_ops, .state = &b.receiver, .name = "receiver"};
  bench_check(art_spawn(b.sys, &receiver_opts, &b.sender.receiver), "spawn receiver");
  art_spawn_opts sender_opts = {.ops = &sender_ops, .state = &b.sender, .name = "sender"};
  bench_check(art_spawn(b.sys, &sender_opts, &b.sender_pid), "spawn sender");

  int status = bench_main("sendhandle", "ns/msg", &o, run, &b);

  bench_check(art_system_shutdown(b.sys, ART_SEC(5)), "shutdown");
  art_system_stats stats;
  art_system_stats_get(b.sys, &stats);
  /* Each run: a start message to each actor, the messages, an acknowledgement per burst but
   * the last. */
  uint64_t per_run = 2 + o.n + (o.n - 1) / BURST;
  uint64_t expected = (uint64_t)(o.runs + 1) * per_run;
  if (stats.messages_handled < expected) {
    fprintf(stderr, "sendhandle: the system handled %" PRIu64 " messages, expected %" PRIu64 "\n",
            stats.messages_handled, expected);
    status = 1;
  }
  art_system_destroy(b.sys);
  sem_destroy(&b.receiver.done);
  return status;
}
