/*
 * The checkpoint child (see checkpoint.h). Its object lives from the factory to destroy; the
 * supervisor's host actor calls start, stop and health_check on its own thread, while the
 * writer thread runs in between: the mutex guards everything the two share.
 */
#include "checkpoint.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pipeline.h"

#define PERIOD ART_MSEC(200)
#define STALL ART_SEC(2)
#define STALE_AFTER ART_SEC(1)  /* no checkpoint for this long: the check fails */
#define SLOW_WRITE ART_MSEC(50) /* a write this slow: degraded */

typedef struct checkpoint {
  demo_pipeline *p;
  art_child_ctx *cctx;
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t wake;
  bool stopping, running;
  uint64_t incarnation; /* which (re)start this object is: the stalls differ each time */
  uint64_t ticks;
  int64_t last_write;   /* monotonic ns of the last checkpoint written */
  int64_t last_latency; /* how long it took */
} checkpoint;

static _Atomic uint64_t incarnations;

static int64_t deadline_after(struct timespec *ts, art_duration delay) {
  clock_gettime(CLOCK_MONOTONIC, ts);
  int64_t ns = (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec + delay;
  ts->tv_sec = ns / 1000000000;
  ts->tv_nsec = ns % 1000000000;
  return ns;
}

/* Waits @p delay or until stop; returns false when stopping. Called with the lock held. */
static bool nap(checkpoint *c, art_duration delay) {
  struct timespec ts;
  deadline_after(&ts, delay);
  while (!c->stopping)
    if (pthread_cond_timedwait(&c->wake, &c->lock, &ts) == ETIMEDOUT)
      break;
  return !c->stopping;
}

static int write_checkpoint(checkpoint *c) {
  const char *path = c->p->settings.checkpoint_path;
  char tmp[512];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *f = fopen(tmp, "w");
  if (!f)
    return -errno;
  demo_ledger *l = &c->p->ledger;
  fprintf(f, "issued %u\ndone %llu\nrejected %llu\nchecksum %016llx\n",
          atomic_load_explicit(&l->issued, memory_order_relaxed),
          (unsigned long long)atomic_load_explicit(&l->done, memory_order_relaxed),
          (unsigned long long)atomic_load_explicit(&l->rejected, memory_order_relaxed),
          (unsigned long long)atomic_load_explicit(&l->checksum, memory_order_relaxed));
  int rc = fflush(f) == 0 && fdatasync(fileno(f)) == 0 ? 0 : -errno;
  if (fclose(f) != 0 && rc == 0)
    rc = -errno;
  if (rc == 0 && rename(tmp, path) != 0)
    rc = -errno;
  return rc;
}

static void *writer_main(void *arg) {
  checkpoint *c = arg;
  const demo_settings *s = &c->p->settings;
  double stall_chance = s->stall_rate * (double)PERIOD / 1e9;
  uint64_t rng = s->seed ^ (c->incarnation * UINT64_C(0x9e3779b97f4a7c15));
  pthread_mutex_lock(&c->lock);
  while (nap(c, PERIOD)) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    if ((double)(rng >> 11) * 0x1p-53 < stall_chance) {
      atomic_fetch_add_explicit(&c->p->checkpoint_stalls, 1, memory_order_relaxed);
      if (!nap(c, STALL)) /* the disk "hangs"; only a stop ends it early */
        break;
    }
    pthread_mutex_unlock(&c->lock);
    int64_t began = art_now_monotonic();
    int rc = write_checkpoint(c);
    int64_t ended = art_now_monotonic();
    pthread_mutex_lock(&c->lock);
    if (rc != 0) {
      art_exit_reason reason = art_reason_error(rc, "checkpoint write failed");
      art_child_fail(c->cctx, &reason);
      break;
    }
    c->last_write = ended;
    c->last_latency = ended - began;
    c->ticks++;
    atomic_fetch_add_explicit(&c->p->checkpoints, 1, memory_order_relaxed);
  }
  pthread_mutex_unlock(&c->lock);
  return NULL;
}

static void *checkpoint_new(void *arg) {
  checkpoint *c = calloc(1, sizeof *c);
  if (!c)
    return NULL;
  c->p = arg;
  c->incarnation = atomic_fetch_add(&incarnations, 1);
  pthread_mutex_init(&c->lock, NULL);
  /* nap() computes its deadlines on the monotonic clock. */
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&c->wake, &attr);
  pthread_condattr_destroy(&attr);
  return c;
}

static int checkpoint_start(void *obj, art_child_ctx *cctx) {
  checkpoint *c = obj;
  c->cctx = cctx;
  int rc = write_checkpoint(c); /* a path that cannot be written fails the start */
  if (rc != 0)
    return rc;
  c->last_write = art_now_monotonic();
  rc = pthread_create(&c->thread, NULL, writer_main, c);
  if (rc != 0)
    return -rc;
  c->running = true;
  return 0;
}

static int checkpoint_stop(void *obj, art_duration timeout) {
  (void)timeout; /* the writer wakes at once: every wait of its watches `stopping` */
  checkpoint *c = obj;
  pthread_mutex_lock(&c->lock);
  c->stopping = true;
  pthread_cond_broadcast(&c->wake);
  pthread_mutex_unlock(&c->lock);
  if (c->running)
    pthread_join(c->thread, NULL);
  c->running = false;
  return 0;
}

static art_health_status checkpoint_health(void *obj, char *detail, size_t size) {
  checkpoint *c = obj;
  pthread_mutex_lock(&c->lock);
  int64_t age = art_now_monotonic() - c->last_write, latency = c->last_latency;
  pthread_mutex_unlock(&c->lock);
  if (age > STALE_AFTER) {
    snprintf(detail, size, "no checkpoint for %lld ms", (long long)(age / 1000000));
    return ART_HEALTH_FAILED;
  }
  if (latency > SLOW_WRITE) {
    snprintf(detail, size, "slow checkpoint write: %lld ms", (long long)(latency / 1000000));
    return ART_HEALTH_DEGRADED;
  }
  return ART_HEALTH_HEALTHY;
}

static void checkpoint_destroy(void *obj) {
  checkpoint *c = obj;
  pthread_mutex_destroy(&c->lock);
  pthread_cond_destroy(&c->wake);
  free(c);
}

static const art_child_ops checkpoint_ops = {.start = checkpoint_start,
                                             .stop = checkpoint_stop,
                                             .health_check = checkpoint_health,
                                             .destroy = checkpoint_destroy};

art_child_spec demo_checkpoint_spec(demo_pipeline *p) {
  return (art_child_spec){
      .id = "checkpoint",
      .ops = &checkpoint_ops,
      .factory = checkpoint_new,
      .factory_arg = p,
      .shutdown = {ART_SHUTDOWN_GRACEFUL, ART_SEC(1)},
      .start_timeout = ART_SEC(2),
      .health = {.interval = ART_MSEC(250), .timeout = ART_MSEC(200), .threshold = 3},
      .backoff = {.base = ART_MSEC(100),
                  .max = ART_SEC(2),
                  .jitter = 0.2,
                  .reset_after = ART_SEC(5)},
  };
}
