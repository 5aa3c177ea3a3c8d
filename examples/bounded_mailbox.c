/*
 * Bounded mailboxes: a fast producer meets a slow consumer.
 *
 * The main thread produces items much faster than a consumer can handle them (2 ms each). An
 * unbounded mailbox would grow without limit; a bounded one (art_spawn_opts.mailbox_capacity)
 * holds at most 4 waiting items, and its overflow policy says what a send to a full mailbox
 * does:
 *
 * - ART_OVERFLOW_ERROR: the send fails with ART_EAGAIN and the caller keeps the item, to
 *   retry later or give up;
 * - ART_OVERFLOW_DROP: the send returns 0 but the item is dropped and counted;
 * - ART_OVERFLOW_BLOCK: the producer (a plain thread) waits until there is room, so it is
 *   slowed to the consumer's pace (back-pressure). An actor sending to a full BLOCK mailbox
 *   gets ART_EAGAIN instead, so that no worker thread ever stalls.
 *
 * After each burst the program prints the consumer's art_mailbox_stats_get().
 *
 * Run: build/release/examples/bounded_mailbox
 */
#include <art.h>

#include <inttypes.h>
#include <stdio.h>
#include <time.h>

enum { MSG_ITEM = 1, MSG_STOP };

#define CAPACITY 4
#define WORK_MS 2

/* ---- the consumer -------------------------------------------------------------------------- */

typedef struct consumer {
  uint64_t handled;
} consumer;

static int consumer_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  (void)ctx;
  consumer *c = state;
  if (msg->type == MSG_STOP)
    return ART_STOP;
  /* Stands in for slow work. Real blocking work belongs on a dedicated actor (dedicated.c);
   * here it only needs to be slower than the producer. */
  nanosleep(&(struct timespec){.tv_nsec = WORK_MS * 1000000L}, NULL);
  c->handled++;
  return 0;
}

static const art_actor_ops consumer_ops = {.handle = consumer_handle};

/* ---- main ---------------------------------------------------------------------------------- */

static int failures;

static void check(bool ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "bounded_mailbox: FAILED: %s\n", what);
    failures++;
  }
}

static void print_stats(const char *when, const art_mailbox_stats *st) {
  printf("          %-12s depth %" PRIu64 ", high_water %" PRIu64 ", enqueued %" PRIu64
         ", processed %" PRIu64 ", dropped %" PRIu64 ", capacity %" PRIu32 "\n",
         when, st->depth, st->high_water, st->enqueued, st->processed, st->dropped, st->capacity);
}

/* Waits until the consumer has handled everything it accepted, then reads its statistics
 * (they exist only while it is alive). A plain thread cannot receive messages, so it polls. */
static art_mailbox_stats drained_stats(art_system *sys, art_pid pid) {
  art_mailbox_stats st = {0};
  int64_t deadline = art_now_monotonic() + ART_SEC(3);
  while (art_mailbox_stats_get(sys, pid, &st) == 0 && st.processed < st.enqueued &&
         art_now_monotonic() < deadline)
    nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
  return st;
}

typedef struct burst {
  int sent, accepted, refused;
  int64_t elapsed_ns;
  art_mailbox_stats after_burst, stats; /* right after the sends, and once drained */
  uint64_t handled;
} burst;

/* Spawns a consumer with @p policy, sends it @p n items as fast as possible, lets it finish,
 * stops it, and reports. */
static burst run_burst(art_system *sys, art_overflow policy, int n) {
  burst b = {.sent = n};
  consumer c = {0};
  art_pid pid = ART_PID_NONE;
  art_spawn_opts opts = {
      .ops = &consumer_ops, .state = &c, .mailbox_capacity = CAPACITY, .overflow = policy};
  if (art_spawn(sys, &opts, &pid) != 0) {
    check(false, "spawn the consumer");
    return b;
  }
  int64_t t0 = art_now_monotonic();
  for (int i = 0; i < n; i++) {
    int rc = art_send(sys, pid, MSG_ITEM, &i, sizeof i);
    if (rc == 0)
      b.accepted++;
    else if (rc == ART_EAGAIN)
      b.refused++;
    else
      check(false, "a send fails with something else than ART_EAGAIN");
  }
  b.elapsed_ns = art_now_monotonic() - t0;
  check(art_mailbox_stats_get(sys, pid, &b.after_burst) == 0, "read the stats");
  b.stats = drained_stats(sys, pid);
  /* The mailbox is empty now, so even the ERROR policy accepts the stop. */
  check(art_send(sys, pid, MSG_STOP, NULL, 0) == 0, "stop the consumer");
  check(art_system_wait(sys, ART_SEC(3)) == 0, "the consumer stops within 3 s");
  b.handled = c.handled;
  return b;
}

int main(void) {
  art_system *sys;
  int rc = art_system_create(&sys, NULL);
  if (rc) {
    fprintf(stderr, "bounded_mailbox: art_system_create: %s\n", art_strerror(rc));
    return 1;
  }
  printf("consumer: %d ms per item, mailbox capacity %d\n", WORK_MS, CAPACITY);

  burst e = run_burst(sys, ART_OVERFLOW_ERROR, 16);
  printf("ERROR:    %d sends in %.2f ms: %d accepted, %d refused with ART_EAGAIN (the producer "
         "keeps those)\n",
         e.sent, (double)e.elapsed_ns / 1e6, e.accepted, e.refused);
  print_stats("after burst:", &e.after_burst);
  print_stats("drained:", &e.stats);
  check(e.refused > 0 && e.accepted + e.refused == e.sent, "ERROR: a full mailbox refuses");
  check(e.stats.enqueued == (uint64_t)e.accepted && e.stats.dropped == 0,
        "ERROR: the stats count what was accepted");
  check(e.handled == (uint64_t)e.accepted, "ERROR: the consumer handled every accepted item");

  burst d = run_burst(sys, ART_OVERFLOW_DROP, 16);
  printf("DROP:     %d sends in %.2f ms: all returned 0; %" PRIu64 " items dropped\n", d.sent,
         (double)d.elapsed_ns / 1e6, d.stats.dropped);
  print_stats("after burst:", &d.after_burst);
  print_stats("drained:", &d.stats);
  check(d.accepted == d.sent, "DROP: every send returns 0");
  check(d.stats.dropped > 0 && d.stats.enqueued + d.stats.dropped == (uint64_t)d.sent,
        "DROP: every item is either enqueued or dropped");
  check(d.handled == d.stats.enqueued, "DROP: the consumer handled every enqueued item");

  burst k = run_burst(sys, ART_OVERFLOW_BLOCK, 40);
  printf("BLOCK:    %d sends in %.2f ms: all returned 0; the producer waited for room\n", k.sent,
         (double)k.elapsed_ns / 1e6);
  print_stats("after burst:", &k.after_burst);
  print_stats("drained:", &k.stats);
  check(k.accepted == k.sent && k.stats.dropped == 0, "BLOCK: every item is delivered");
  check(k.stats.high_water <= CAPACITY, "BLOCK: the mailbox never holds more than its capacity");
  /* The last send needs room, which means the consumer has finished all but CAPACITY of the
   * earlier items, at WORK_MS each: back-pressure paces the producer. */
  check(k.elapsed_ns >= ART_MSEC((k.sent - CAPACITY) * WORK_MS),
        "BLOCK: the producer is slowed to the consumer's pace");
  check(k.handled == (uint64_t)k.sent, "BLOCK: the consumer handled every item");

  art_system_destroy(sys);
  if (failures)
    return 1;
  printf("bounded_mailbox: OK: EAGAIN, drops and back-pressure as configured\n");
  return 0;
}
