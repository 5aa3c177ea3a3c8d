/*
 * Broker fan-out (shared/BENCH.md, project rows): one publisher actor publishes 10,000
 * messages on one topic that 1,000 subscriber actors subscribed to (half with the exact topic,
 * half with a wildcard pattern). Reports the time per delivery, from the first publish to the
 * moment the last subscriber has handled the last message.
 *
 * Flow control, so that mailboxes stay bounded: the publisher publishes in windows of 100
 * messages (10 per activation, then a "continue" to itself); each subscriber acknowledges the
 * end of a window with one message to the publisher, which starts the next window once all
 * have. That is one acknowledgement per 100 deliveries, and at most 100,000 messages in flight
 * (6.4 MB of envelopes). Deeper windows measure the memory more than the broker: with windows
 * of 1,000, the million messages in flight no longer fit in the caches of these machines and
 * every delivery waits for memory twice (allocation and handling). Every subscriber checks
 * that it got every message, in order.
 *
 * usage: fanout [--workers N] [--runs R] [--n PUBLISHES]
 */
#include <semaphore.h>

#include "art.h"
#include "harness.h"

#define DEFAULT_PUBLISHES 10000
#define SUBSCRIBERS 1000
#define WINDOW 100 /* publishes between acknowledgements */
#define CHUNK 10   /* publishes per activation of the publisher */
#define TOPIC "bench.fanout.tick"

enum { MSG_START = 1, MSG_CONTINUE, MSG_ACK, MSG_TICK };

typedef struct publisher {
  art_broker *broker;
  uint64_t total, next, window_end;
  uint32_t acks;
  int error;
  int64_t end_ns;
  sem_t done;
} publisher;

typedef struct subscriber {
  uint64_t total; /* set by main before the run */
  uint64_t count;
  bool out_of_order;
  int error;
} subscriber;

static int publish_chunk(art_ctx *ctx, publisher *p) {
  uint64_t end = p->next + CHUNK < p->window_end ? p->next + CHUNK : p->window_end;
  for (; p->next < end; p->next++) {
    size_t delivered;
    int rc = art_publish(p->broker, TOPIC, MSG_TICK, &p->next, sizeof p->next, &delivered);
    if (rc == 0 && delivered != SUBSCRIBERS)
      rc = ART_ESRCH;
    if (rc) {
      p->error = rc;
      p->end_ns = art_now_monotonic();
      sem_post(&p->done);
      return 0;
    }
  }
  if (p->next < p->window_end)
    return art_send(art_ctx_system(ctx), art_self(ctx), MSG_CONTINUE, NULL, 0);
  return 0; /* the window is out: wait for the acknowledgements */
}

static void next_window(publisher *p) {
  p->window_end = p->next + WINDOW < p->total ? p->next + WINDOW : p->total;
}

static int publisher_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  publisher *p = state;
  switch (msg->type) {
  case MSG_START:
    memcpy(&p->total, msg->data, sizeof p->total);
    p->next = 0;
    p->acks = 0;
    next_window(p);
    return publish_chunk(ctx, p);
  case MSG_CONTINUE:
    return publish_chunk(ctx, p);
  case MSG_ACK:
    if (++p->acks < SUBSCRIBERS)
      return 0;
    p->acks = 0;
    if (p->next == p->total) {
      p->end_ns = art_now_monotonic();
      sem_post(&p->done);
      return 0;
    }
    next_window(p);
    return publish_chunk(ctx, p);
  default:
    return ART_EINVAL;
  }
}

static int subscriber_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  subscriber *s = state;
  uint64_t seq;
  memcpy(&seq, msg->data, sizeof seq);
  if (seq != s->count)
    s->out_of_order = true;
  s->count++;
  if (s->count % WINDOW == 0 || s->count == s->total) {
    int rc = art_send(art_ctx_system(ctx), msg->sender, MSG_ACK, NULL, 0);
    if (rc)
      s->error = rc;
  }
  return 0;
}

static const art_actor_ops publisher_ops = {.handle = publisher_handle};
static const art_actor_ops subscriber_ops = {.handle = subscriber_handle};

typedef struct bench {
  art_system *sys;
  art_broker *broker;
  art_pid publisher_pid;
  publisher publisher;
  subscriber subscribers[SUBSCRIBERS];
} bench;

static double run(void *ctx, uint64_t total) {
  bench *b = ctx;
  for (int i = 0; i < SUBSCRIBERS; i++)
    b->subscribers[i] = (subscriber){.total = total};
  int64_t start = art_now_monotonic();
  bench_check(art_send(b->sys, b->publisher_pid, MSG_START, &total, sizeof total), "start");
  bench_wait(&b->publisher.done);
  if (b->publisher.error) {
    fprintf(stderr, "fanout: publish failed: %s\n", art_strerror(b->publisher.error));
    return -1;
  }
  for (int i = 0; i < SUBSCRIBERS; i++) {
    subscriber *s = &b->subscribers[i];
    if (s->count != total || s->out_of_order || s->error) {
      fprintf(stderr, "fanout: subscriber %d: %" PRIu64 " of %" PRIu64 "%s (%s)\n", i, s->count,
              total, s->out_of_order ? ", out of order" : "", art_strerror(s->error));
      return -1;
    }
  }
  return (double)(b->publisher.end_ns - start) / ((double)total * SUBSCRIBERS);
}

int main(int argc, char **argv) {
  bench_options o;
  if (!bench_options_parse(&o, argc, argv, DEFAULT_PUBLISHES))
    return 2;
  static bench b;
  if (sem_init(&b.publisher.done, 0, 0) != 0)
    return 1;
  int64_t start = art_now_monotonic();
  b.sys = bench_system_create(o.workers);
  bench_check(art_broker_create(b.sys, NULL, &b.broker), "broker");
  b.publisher.broker = b.broker;
  art_spawn_opts popts = {.ops = &publisher_ops, .state = &b.publisher, .name = "publisher"};
  bench_check(art_spawn(b.sys, &popts, &b.publisher_pid), "spawn publisher");
  for (int i = 0; i < SUBSCRIBERS; i++) {
    art_spawn_opts sopts = {.ops = &subscriber_ops, .state = &b.subscribers[i]};
    art_pid pid;
    bench_check(art_spawn(b.sys, &sopts, &pid), "spawn subscriber");
    bench_check(art_subscribe(b.broker, i % 2 ? TOPIC : "bench.*.tick", pid, NULL), "subscribe");
  }
  fprintf(stderr, "fanout: start-up (system, broker, %d subscriptions): %.1f us\n", SUBSCRIBERS,
          (double)(art_now_monotonic() - start) / 1e3);

  int status = bench_main("fanout", "ns/delivery", &o, run, &b);

  art_broker_stats st;
  art_broker_stats_get(b.broker, &st);
  uint64_t expected = (uint64_t)(o.runs + 1) * o.n * SUBSCRIBERS;
  if (st.delivered != expected || st.dead_letters) {
    fprintf(stderr, "fanout: the broker delivered %" PRIu64 ", expected %" PRIu64 "\n",
            st.delivered, expected);
    status = 1;
  }
  art_broker_destroy(b.broker);
  art_system_destroy(b.sys);
  sem_destroy(&b.publisher.done);
  return status;
}
