/*
 * Big (shared/BENCH.md, row 4): 100 actors, each pinging random peers and answering the pings
 * it gets, 10,000,000 messages in all (pings and pongs). Reports the time per message, from the
 * first start message to the last pong.
 *
 * Each actor has n / 200 pings to send, one at a time: it sends a ping to a random peer (never
 * itself), and sends the next when the pong comes back. An actor answers every ping with a
 * pong, also once its own pings are done. The run ends when every actor has had its last pong,
 * at which point every ping has been answered. Checked: each actor got exactly its pongs, and
 * the pings answered add up to the pings sent.
 *
 * usage: big [--workers N] [--runs R] [--n MESSAGES]   (MESSAGES a multiple of 200)
 */
#include <semaphore.h>
#include <stdatomic.h>

#include "art.h"
#include "harness.h"

#define DEFAULT_MESSAGES 10000000
#define ACTORS 100

enum { MSG_START = 1, MSG_PING, MSG_PONG };

typedef struct bench bench;

/* States are the benchmark's (state_size 0), read by main after `done`. */
typedef struct peer {
  bench *bench;
  uint32_t index;
  uint64_t rng;      /* xorshift64 state */
  uint64_t quota;    /* pings to send this run */
  uint64_t pongs;    /* pongs received this run */
  uint64_t answered; /* pings answered since the start of the program */
  bool stray;        /* a pong came when no ping was out */
} peer;

struct bench {
  art_system *sys;
  peer peers[ACTORS];
  art_pid pids[ACTORS];
  _Atomic uint32_t finished; /* actors that had their last pong this run */
  _Atomic int error;         /* a failed send */
  int64_t end_ns;
  sem_t done;
};

static void fail(bench *b, int rc) {
  int none = 0;
  if (atomic_compare_exchange_strong(&b->error, &none, rc))
    sem_post(&b->done);
}

/* Sends a ping to a random peer other than @p p. */
static int ping_someone(art_system *sys, peer *p) {
  uint64_t x = p->rng;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  p->rng = x;
  uint32_t to = (uint32_t)(x % (ACTORS - 1));
  if (to >= p->index)
    to++;
  return art_send(sys, p->bench->pids[to], MSG_PING, NULL, 0);
}

static int peer_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  peer *p = state;
  art_system *sys = art_ctx_system(ctx);
  int rc = 0;
  switch (msg->type) {
  case MSG_START:
    memcpy(&p->quota, msg->data, sizeof p->quota);
    p->pongs = 0;
    p->stray = false;
    rc = ping_someone(sys, p);
    break;
  case MSG_PING:
    p->answered++;
    rc = art_send(sys, msg->sender, MSG_PONG, NULL, 0);
    break;
  case MSG_PONG:
    if (p->pongs >= p->quota) {
      p->stray = true;
      return 0;
    }
    if (++p->pongs < p->quota) {
      rc = ping_someone(sys, p);
    } else if (atomic_fetch_add(&p->bench->finished, 1) + 1 == ACTORS) {
      p->bench->end_ns = art_now_monotonic();
      sem_post(&p->bench->done);
    }
    break;
  default:
    rc = ART_EINVAL;
  }
  if (rc)
    fail(p->bench, rc);
  return rc;
}

static const art_actor_ops peer_ops = {.handle = peer_handle};

static double run(void *ctx, uint64_t messages) {
  bench *b = ctx;
  uint64_t quota = messages / (2 * ACTORS);
  uint64_t answered_before = 0;
  for (uint32_t i = 0; i < ACTORS; i++)
    answered_before += b->peers[i].answered;
  atomic_store(&b->finished, 0);
  int64_t start = art_now_monotonic();
  for (uint32_t i = 0; i < ACTORS; i++)
    bench_check(art_send(b->sys, b->pids[i], MSG_START, &quota, sizeof quota), "start");
  bench_wait(&b->done);
  int err = atomic_load(&b->error);
  if (err) {
    fprintf(stderr, "big: a send failed: %s\n", art_strerror(err));
    return -1;
  }
  uint64_t answered = 0;
  bool short_pongs = false, stray = false;
  for (uint32_t i = 0; i < ACTORS; i++) {
    answered += b->peers[i].answered;
    short_pongs |= b->peers[i].pongs != quota;
    stray |= b->peers[i].stray;
  }
  answered -= answered_before;
  if (answered != quota * ACTORS || short_pongs || stray) {
    fprintf(stderr, "big: wrong result: %" PRIu64 " pings answered (expected %" PRIu64 ")%s%s\n",
            answered, quota * ACTORS, short_pongs ? ", an actor missed pongs" : "",
            stray ? ", a pong nobody waited for" : "");
    return -1;
  }
  return (double)(b->end_ns - start) / (double)messages;
}

int main(int argc, char **argv) {
  bench_options o;
  if (!bench_options_parse(&o, argc, argv, DEFAULT_MESSAGES))
    return 2;
  if (o.n % (2 * ACTORS) != 0) {
    fprintf(stderr, "big: --n must be a multiple of %d (a ping and a pong per actor)\n",
            2 * ACTORS);
    return 2;
  }
  static bench b;
  if (sem_init(&b.done, 0, 0) != 0)
    return 1;
  int64_t start = art_now_monotonic();
  b.sys = bench_system_create(o.workers);
  for (uint32_t i = 0; i < ACTORS; i++) {
    b.peers[i] = (peer){.bench = &b, .index = i, .rng = 0x9E3779B97F4A7C15u * (i + 1)};
    art_spawn_opts opts = {.ops = &peer_ops, .state = &b.peers[i]};
    bench_check(art_spawn(b.sys, &opts, &b.pids[i]), "spawn peer");
  }
  fprintf(stderr, "big: start-up (system, %d spawns): %.1f us\n", ACTORS,
          (double)(art_now_monotonic() - start) / 1e3);

  int status = bench_main("big", "ns/msg", &o, run, &b);

  bench_check(art_system_shutdown(b.sys, ART_SEC(5)), "shutdown");
  art_system_stats stats;
  art_system_stats_get(b.sys, &stats);
  uint64_t expected = (uint64_t)(o.runs + 1) * (o.n + ACTORS);
  if (stats.messages_handled < expected) {
    fprintf(stderr, "big: the system handled %" PRIu64 " messages, expected %" PRIu64 "\n",
            stats.messages_handled, expected);
    status = 1;
  }
  art_system_destroy(b.sys);
  sem_destroy(&b.done);
  return status;
}
