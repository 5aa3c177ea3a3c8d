/*
 * The pipeline's actors and the supervision tree that holds them (see pipeline.h).
 */
#include "pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"

enum {
  MSG_JOB = 1, /* demo_job: a new job, published by the producer */
  MSG_ASSIGN,  /* demo_job: dispatcher -> worker */
  MSG_DONE,    /* demo_result: a finished job, published by its worker */
  MSG_READY,   /* art_pid: a worker is ready for jobs */
  MSG_TICK,    /* the producer's timer */
  MSG_SUMMARY, /* a stats.summary request; the reply is a demo_summary */
};

#define CREDITS 4      /* jobs a worker may hold at once */
#define MAX_ATTEMPTS 3 /* a job that fails this often is rejected as poison */
#define TICK ART_MSEC(10)

typedef struct demo_job {
  uint32_t id, kind, attempt;
} demo_job;

typedef struct demo_result {
  uint32_t id, kind;
  uint64_t value;
  art_pid worker;
} demo_result;

static const char *const kind_names[DEMO_KINDS] = {"primes", "checksum", "collatz"};

const char *demo_kind_name(uint32_t kind) {
  return kind < DEMO_KINDS ? kind_names[kind] : "unknown";
}

/* ---- the work ------------------------------------------------------------------------- */

static uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= UINT64_C(0xbf58476d1ce4e5b9);
  x ^= x >> 27;
  x *= UINT64_C(0x94d049bb133111eb);
  return x ^ (x >> 31);
}

/* A uniform draw in [0, 1) that depends only on its inputs, so a seed replays the same
 * failures whatever the scheduling. */
static double draw(uint64_t seed, uint64_t a, uint64_t b) {
  return (double)(mix64(seed ^ mix64(a * 0x9e3779b97f4a7c15u + b)) >> 11) * 0x1p-53;
}

static uint64_t count_primes(uint32_t from, uint32_t n) {
  uint64_t count = 0;
  for (uint32_t v = from; v < from + n; v++) {
    if (v < 2)
      continue;
    bool prime = true;
    for (uint32_t d = 2; d * d <= v; d++)
      if (v % d == 0) {
        prime = false;
        break;
      }
    count += prime;
  }
  return count;
}

static uint64_t checksum(uint32_t seed, uint32_t bytes) {
  uint64_t hash = UINT64_C(0xcbf29ce484222325), x = seed | 1u;
  for (uint32_t i = 0; i < bytes; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    hash = (hash ^ (x & 0xff)) * UINT64_C(0x100000001b3);
  }
  return hash;
}

static uint64_t collatz_steps(uint32_t from, uint32_t n) {
  uint64_t steps = 0;
  for (uint64_t v0 = from | 1u; v0 < (uint64_t)from + n; v0++)
    for (uint64_t v = v0; v > 1; steps++)
      v = v & 1 ? 3 * v + 1 : v / 2;
  return steps;
}

static uint64_t do_job(const demo_job *job) {
  switch (job->kind) {
  case 0:
    return count_primes(100000u + job->id % 50000u, 400);
  case 1:
    return checksum(job->id, 4096);
  default:
    return collatz_steps(1000u + job->id % 100000u, 60);
  }
}

/* Which kind a job is: fixed by its id. */
static uint32_t job_kind(uint32_t id) {
  return (uint32_t)(mix64(id) % DEMO_KINDS);
}

/* Publishes on "<prefix>.<kind name>". */
static void publish_by_kind(demo_pipeline *p, const char *prefix, uint32_t kind, uint32_t type,
                            const void *data, size_t size) {
  char topic[64];
  snprintf(topic, sizeof topic, "%s.%s", prefix, demo_kind_name(kind));
  art_publish(p->broker, topic, type, data, size, NULL);
}

/* ---- worker ----------------------------------------------------------------------------- */

/* A worker's state: the pipeline it works for. */
typedef struct worker {
  demo_pipeline *p;
} worker;

static int worker_start(art_ctx *ctx, void *state, void *args) {
  demo_pipeline *p = ((worker *)state)->p = args;
  art_pid self = art_self(ctx);
  /* The dispatcher may be restarting and miss this: it also learns of a worker from its
   * results, and after its own restart the workers restart too and announce themselves. */
  art_publish(p->broker, "workers.ready", MSG_READY, &self, sizeof self, NULL);
  return 0;
}

static int worker_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  demo_pipeline *p = ((worker *)state)->p;
  if (msg->type != MSG_ASSIGN || msg->size != sizeof(demo_job))
    return 0;
  demo_job job;
  memcpy(&job, msg->data, sizeof job);
  const demo_settings *s = &p->settings;
  if (draw(s->seed, job.id, UINT32_MAX) < s->poison_rate)
    return art_fail(ctx, ART_EINVAL, "poison job %u", job.id);
  if (draw(s->seed, job.id, job.attempt) < s->failure_rate)
    return art_fail(ctx, ART_ECANCELED, "injected failure, job %u", job.id);
  demo_result result = {
      .id = job.id, .kind = job.kind, .value = do_job(&job), .worker = art_self(ctx)};
  /* The ledger is the record: the job is done once it is there, whoever hears of it. */
  demo_ledger_complete(&p->ledger, job.id, result.value);
  publish_by_kind(p, "jobs.done", job.kind, MSG_DONE, &result, sizeof result);
  return 0;
}

static const art_actor_ops worker_ops = {.pre_start = worker_start, .handle = worker_handle};

/* ---- dispatcher ------------------------------------------------------------------------- */

typedef struct worker_slot {
  art_pid pid;
  uint32_t held[CREDITS]; /* job ids in the order they were sent */
  uint32_t count;
} worker_slot;

typedef struct dispatcher {
  demo_pipeline *p;
  uint32_t *queue; /* ring of job ids waiting for a worker */
  uint32_t head, count, capacity;
  uint8_t *queued; /* per job id: in the ring (so that no id is queued twice) */
  worker_slot workers[DEMO_MAX_WORKERS];
  uint32_t nworkers, next;
} dispatcher;

static void enqueue(dispatcher *d, uint32_t id, bool front) {
  if (id >= d->p->ledger.capacity || d->queued[id] || d->count == d->capacity)
    return;
  d->queued[id] = 1;
  if (front) {
    d->head = (d->head + d->capacity - 1) % d->capacity;
    d->queue[d->head] = id;
  } else {
    d->queue[(d->head + d->count) % d->capacity] = id;
  }
  d->count++;
}

static uint32_t dequeue(dispatcher *d) {
  uint32_t id = d->queue[d->head];
  d->head = (d->head + 1) % d->capacity;
  d->count--;
  d->queued[id] = 0;
  return id;
}

static worker_slot *find_worker(dispatcher *d, art_pid pid) {
  for (uint32_t i = 0; i < d->nworkers; i++)
    if (d->workers[i].pid == pid)
      return &d->workers[i];
  return NULL;
}

static worker_slot *add_worker(art_ctx *ctx, dispatcher *d, art_pid pid) {
  worker_slot *w = find_worker(d, pid);
  if (w || d->nworkers == DEMO_MAX_WORKERS)
    return w;
  art_ref ref;
  if (art_monitor(ctx, pid, &ref) != 0)
    return NULL;
  w = &d->workers[d->nworkers++];
  *w = (worker_slot){.pid = pid};
  return w;
}

/* A worker is gone: its jobs go back to the front of the queue. The first one it held is the
 * one it was working on, so a failure counts against that job alone; a job that failed
 * MAX_ATTEMPTS workers is poison and is rejected. */
static void remove_worker(dispatcher *d, worker_slot *w, const art_exit_reason *reason) {
  demo_ledger *ledger = &d->p->ledger;
  for (uint32_t i = w->count; i-- > 0;) {
    uint32_t id = w->held[i];
    if (!demo_ledger_open(ledger, id))
      continue;
    if (i == 0 && reason->kind == ART_EXIT_ERROR &&
        demo_ledger_strike(ledger, id) >= MAX_ATTEMPTS) {
      demo_ledger_reject(ledger, id);
      continue;
    }
    demo_ledger_count_retry(ledger);
    enqueue(d, id, true);
  }
  *w = d->workers[--d->nworkers];
}

static void dispatch(dispatcher *d) {
  demo_pipeline *p = d->p;
  while (d->count > 0 && d->nworkers > 0) {
    worker_slot *w = NULL;
    for (uint32_t tried = 0; tried < d->nworkers && !w; tried++) {
      worker_slot *c = &d->workers[d->next++ % d->nworkers];
      if (c->count < CREDITS)
        w = c;
    }
    if (!w)
      return;
    uint32_t id = dequeue(d);
    if (!demo_ledger_open(&p->ledger, id))
      continue;
    demo_job job = {.id = id, .kind = job_kind(id), .attempt = demo_ledger_strikes(&p->ledger, id)};
    if (art_send(p->sys, w->pid, MSG_ASSIGN, &job, sizeof job) != 0) {
      enqueue(d, id, true); /* the worker is gone; its DOWN is on the way */
      return;
    }
    w->held[w->count++] = id;
  }
}

static void job_finished(art_ctx *ctx, dispatcher *d, const demo_result *r) {
  worker_slot *w = add_worker(ctx, d, r->worker);
  if (!w)
    return;
  for (uint32_t i = 0; i < w->count; i++)
    if (w->held[i] == r->id) {
      memmove(&w->held[i], &w->held[i + 1], (w->count - i - 1) * sizeof w->held[0]);
      w->count--;
      break;
    }
}

static int dispatcher_start(art_ctx *ctx, void *state, void *args) {
  dispatcher *d = state;
  d->p = args;
  demo_ledger *ledger = &d->p->ledger;
  d->capacity = ledger->capacity ? ledger->capacity : 1;
  d->queue = malloc(d->capacity * sizeof *d->queue);
  d->queued = calloc(d->capacity, 1);
  if (!d->queue || !d->queued) {
    free(d->queue);
    free(d->queued);
    return ART_ENOMEM;
  }
  art_pid self = art_self(ctx);
  int rc = 0;
  const char *topics[] = {"jobs.submit.>", "jobs.done.>", "workers.ready"};
  for (size_t i = 0; i < 3 && rc == 0; i++)
    rc = art_subscribe(d->p->broker, topics[i], self, NULL);
  if (rc != 0) {
    art_unsubscribe_pid(d->p->broker, self);
    free(d->queue);
    free(d->queued);
    return rc;
  }
  /* Take back every job recorded and not finished: those the previous dispatcher held, and
   * those published while no dispatcher was listening. */
  uint32_t issued = atomic_load_explicit(&ledger->issued, memory_order_relaxed);
  for (uint32_t id = 0; id < issued; id++)
    if (demo_ledger_open(ledger, id))
      enqueue(d, id, false);
  return 0;
}

static int dispatcher_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  dispatcher *d = state;
  if (msg->type == MSG_JOB && msg->size == sizeof(demo_job)) {
    demo_job job;
    memcpy(&job, msg->data, sizeof job);
    enqueue(d, job.id, false);
  } else if (msg->type == MSG_READY && msg->size == sizeof(art_pid)) {
    art_pid pid;
    memcpy(&pid, msg->data, sizeof pid);
    add_worker(ctx, d, pid);
  } else if (msg->type == MSG_DONE && msg->size == sizeof(demo_result)) {
    demo_result r;
    memcpy(&r, msg->data, sizeof r);
    job_finished(ctx, d, &r);
  } else if (msg->type == ART_MSG_DOWN) {
    const art_down_msg *down = msg->data;
    worker_slot *w = find_worker(d, down->pid);
    if (w)
      remove_worker(d, w, &down->reason);
  }
  dispatch(d);
  return 0;
}

static void dispatcher_stop(art_ctx *ctx, void *state, const art_exit_reason *reason) {
  (void)ctx;
  (void)reason;
  dispatcher *d = state;
  free(d->queue);
  free(d->queued);
}

static const art_actor_ops dispatcher_ops = {
    .pre_start = dispatcher_start, .handle = dispatcher_handle, .post_stop = dispatcher_stop};

/* ---- producer --------------------------------------------------------------------------- */

typedef struct producer {
  demo_pipeline *p;
  double owed; /* jobs due but not yet produced (the fraction of a tick's share) */
} producer;

static int producer_start(art_ctx *ctx, void *state, void *args) {
  producer *pr = state;
  pr->p = args;
  return art_send_interval(pr->p->sys, art_self(ctx), TICK, TICK, MSG_TICK, NULL, 0, NULL);
}

static int producer_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  (void)ctx;
  producer *pr = state;
  demo_pipeline *p = pr->p;
  if (msg->type != MSG_TICK || !atomic_load_explicit(&p->producing, memory_order_relaxed))
    return 0;
  pr->owed += (double)p->settings.rate * (double)TICK / 1e9;
  for (; pr->owed >= 1.0; pr->owed -= 1.0) {
    uint32_t id = demo_ledger_issue(&p->ledger);
    if (id == UINT32_MAX)
      return 0;
    demo_job job = {.id = id, .kind = job_kind(id)};
    /* With no dispatcher listening this is a dead letter; the ledger keeps the job. */
    publish_by_kind(p, "jobs.submit", job.kind, MSG_JOB, &job, sizeof job);
  }
  return 0;
}

static const art_actor_ops producer_ops = {.pre_start = producer_start, .handle = producer_handle};

/* ---- aggregator ------------------------------------------------------------------------- */

typedef struct aggregator {
  demo_pipeline *p;
  demo_summary summary;
} aggregator;

static int aggregator_start(art_ctx *ctx, void *state, void *args) {
  aggregator *a = state;
  a->p = args;
  art_pid self = art_self(ctx);
  int rc = art_subscribe(a->p->broker, "jobs.done.*", self, NULL);
  if (rc == 0)
    rc = art_subscribe(a->p->broker, "stats.summary", self, NULL);
  if (rc != 0)
    art_unsubscribe_pid(a->p->broker, self);
  return rc;
}

static int aggregator_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  (void)ctx;
  aggregator *a = state;
  if (msg->type == MSG_DONE && msg->size == sizeof(demo_result)) {
    demo_result r;
    memcpy(&r, msg->data, sizeof r);
    a->summary.results++;
    if (r.kind < DEMO_KINDS)
      a->summary.done_by_kind[r.kind]++;
  } else if (msg->type == MSG_SUMMARY && art_broker_is_request(msg)) {
    art_broker_reply(a->p->broker, msg, MSG_SUMMARY, &a->summary, sizeof a->summary);
  }
  return 0;
}

static const art_actor_ops aggregator_ops = {.pre_start = aggregator_start,
                                             .handle = aggregator_handle};

/* ---- the tree --------------------------------------------------------------------------- */

static art_child_spec actor_child(const char *id, const art_actor_ops *ops, size_t state_size,
                                  demo_pipeline *p) {
  return (art_child_spec){.id = id,
                          .actor = {.ops = ops, .state_size = state_size, .args = p},
                          .shutdown = {ART_SHUTDOWN_GRACEFUL, ART_SEC(1)}};
}

static art_child_spec sup_child(const char *id, const art_sup_spec *spec) {
  return (art_child_spec){.id = id, .type = ART_CHILD_SUPERVISOR, .sup = spec};
}

static void sup_init(art_sup_spec *spec, const char *name, art_sup_strategy strategy,
                     uint32_t intensity, art_duration period, const art_child_spec *children,
                     size_t count) {
  art_sup_spec_init(spec);
  spec->strategy = strategy;
  spec->intensity = intensity;
  spec->period = period;
  spec->children = children;
  spec->child_count = count;
  spec->name = name;
}

void demo_pipeline_init(demo_pipeline *p, const demo_settings *settings) {
  p->settings = *settings;
  uint32_t n = settings->workers < DEMO_MAX_WORKERS ? settings->workers : DEMO_MAX_WORKERS;
  for (uint32_t i = 0; i < n; i++) {
    snprintf(p->worker_ids[i], sizeof p->worker_ids[i], "worker-%u", i + 1);
    p->worker_specs[i] = actor_child(p->worker_ids[i], &worker_ops, sizeof(worker), p);
  }
  /* Workers fail by design, at a rate the settings give: twice that many restarts a second
   * (ten at least) are routine; a burst beyond is a storm that the pipeline above handles by
   * restarting the pool and the producer (rest_for_one). */
  double expected =
      settings->rate * (settings->failure_rate + MAX_ATTEMPTS * settings->poison_rate);
  double intensity = 2 * expected < 10 ? 10 : 2 * expected;
  sup_init(&p->workers_sup, "workers", ART_SUP_ONE_FOR_ONE,
           intensity < 1000 ? (uint32_t)intensity : 1000, ART_SEC(1), p->worker_specs, n);

  p->pipeline_specs[0] = actor_child("dispatcher", &dispatcher_ops, sizeof(dispatcher), p);
  p->pipeline_specs[1] = sup_child("workers", &p->workers_sup);
  p->pipeline_specs[2] = actor_child("producer", &producer_ops, sizeof(producer), p);
  sup_init(&p->pipeline_sup, "pipeline", ART_SUP_REST_FOR_ONE, 5, ART_SEC(30), p->pipeline_specs,
           3);

  p->root_specs[0] = actor_child("aggregator", &aggregator_ops, sizeof(aggregator), p);
  p->root_specs[1] = demo_checkpoint_spec(p);
  p->root_specs[2] = sup_child("pipeline", &p->pipeline_sup);
  sup_init(&p->root_sup, "root", ART_SUP_ONE_FOR_ONE, 10, ART_SEC(60), p->root_specs, 3);
  atomic_store(&p->producing, true);
}

const char *demo_pipeline_describe(const demo_pipeline *p, const char *id) {
  const art_sup_spec *sups[] = {&p->root_sup, &p->pipeline_sup, &p->workers_sup};
  for (size_t i = 0; i < sizeof sups / sizeof sups[0]; i++) {
    if (strcmp(sups[i]->name, id) == 0)
      return art_sup_strategy_name(sups[i]->strategy);
    for (size_t k = 0; k < sups[i]->child_count; k++)
      if (strcmp(sups[i]->children[k].id, id) == 0 && sups[i]->children[k].ops)
        return "thread";
  }
  return "actor";
}

int demo_pipeline_start(demo_pipeline *p, art_system *sys) {
  p->sys = sys;
  art_broker_config cfg;
  art_broker_config_init(&cfg);
  int rc = art_broker_create(sys, &cfg, &p->broker);
  if (rc != 0)
    return rc;
  rc = art_sup_start(sys, &p->root_sup, &p->root);
  if (rc != 0) {
    art_broker_destroy(p->broker);
    p->broker = NULL;
  }
  return rc;
}

int demo_pipeline_summary(demo_pipeline *p, demo_summary *out) {
  art_call_reply reply = {.data = out, .capacity = sizeof *out};
  int rc =
      art_broker_request(p->broker, "stats.summary", MSG_SUMMARY, NULL, 0, ART_MSEC(500), &reply);
  if (rc == 0 && reply.size != sizeof *out)
    rc = ART_ERANGE;
  return rc;
}
