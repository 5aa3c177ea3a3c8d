/*
 * Messaging: per-pair FIFO under concurrency, no loss or duplication at volume, payload
 * ownership (inline, copied, moved), sender pids, correlation ids, stale pids and argument
 * errors.
 */
#include "integration.h"

/* ---- a sink that checks sequences ----------------------------------------------------------- */

#define MAX_SOURCES 8
#define CHUNK 1000 /* messages a source actor sends per activation */

enum { MSG_SEQ = 1, MSG_GO, MSG_STOP, MSG_RECORD, MSG_BLOCK };

typedef struct seq_msg {
  uint32_t source;
  uint32_t seq;
} seq_msg;

/* Written by the sink actor only; read by the test once `received` says everything arrived. */
typedef struct sink {
  uint32_t nsources;
  uint32_t per_source;
  art_pid source_pid[MAX_SOURCES]; /* the sender each source's messages must carry */
  uint32_t next_seq[MAX_SOURCES];
  uint64_t order_errors, sender_errors, malformed, duplicates, checksum;
  uint8_t *seen; /* bitmap over source * per_source + seq */
  atomic_uint_fast64_t received;
} sink;

static void sink_init(sink *s, uint32_t nsources, uint32_t per_source) {
  memset(s, 0, sizeof *s);
  s->nsources = nsources;
  s->per_source = per_source;
  size_t bits = (size_t)nsources * per_source;
  s->seen = calloc((bits + 7) / 8, 1);
  assert_non_null(s->seen);
  atomic_init(&s->received, 0);
}

static void sink_fini(sink *s) {
  free(s->seen);
}

typedef struct sink_state {
  sink *s;
} sink_state;

static int sink_pre_start(art_ctx *ctx, void *state, void *args) {
  (void)ctx;
  ((sink_state *)state)->s = args;
  return 0;
}

static int sink_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  (void)ctx;
  sink *s = ((sink_state *)state)->s;
  if (msg->type == MSG_STOP)
    return ART_STOP;
  if (msg->type != MSG_SEQ)
    return 0;
  seq_msg m;
  if (msg->size != sizeof m || msg->data == NULL) {
    s->malformed++;
  } else {
    memcpy(&m, msg->data, sizeof m);
    if (m.source >= s->nsources || m.seq >= s->per_source) {
      s->malformed++;
    } else {
      if (m.seq != s->next_seq[m.source])
        s->order_errors++;
      s->next_seq[m.source] = m.seq + 1;
      if (msg->sender != s->source_pid[m.source])
        s->sender_errors++;
      uint64_t id = (uint64_t)m.source * s->per_source + m.seq;
      if (s->seen[id / 8] & (1u << (id % 8)))
        s->duplicates++;
      s->seen[id / 8] |= (uint8_t)(1u << (id % 8));
      s->checksum += id;
    }
  }
  /* seq_cst: publishes the plain fields above to the test thread that reads the count. */
  atomic_fetch_add(&s->received, 1);
  return 0;
}

static const art_actor_ops sink_ops = {.pre_start = sink_pre_start, .handle = sink_handle};

static art_pid spawn_sink(art_system *sys, sink *s) {
  art_spawn_opts o = {.ops = &sink_ops, .state_size = sizeof(sink_state), .args = s};
  art_pid pid;
  assert_int_equal(art_spawn(sys, &o, &pid), 0);
  return pid;
}

/* Checks that every source's messages all arrived, once each, in order. */
static void assert_sink_complete(sink *s) {
  uint64_t total = (uint64_t)s->nsources * s->per_source;
  assert_true(ART_WAIT_UNTIL(atomic_load(&s->received) >= total, IT_WAIT_MS * 3));
  assert_int_equal(atomic_load(&s->received), total);
  assert_int_equal(s->malformed, 0);
  assert_int_equal(s->order_errors, 0);
  assert_int_equal(s->sender_errors, 0);
  assert_int_equal(s->duplicates, 0);
  for (uint32_t i = 0; i < s->nsources; i++)
    assert_int_equal(s->next_seq[i], s->per_source);
  for (uint64_t id = 0; id < total; id++)
    if (!(s->seen[id / 8] & (1u << (id % 8))))
      fail_msg("message %llu never arrived", (unsigned long long)id);
  assert_int_equal(s->checksum, total * (total - 1) / 2);
}

/* ---- source actors ------------------------------------------------------------------------ */

typedef struct source {
  art_pid sink;
  uint32_t index;
  uint32_t count;
  atomic_int *send_errors;
} source;

typedef struct source_state {
  source *src;
  uint32_t next;
} source_state;

static int source_pre_start(art_ctx *ctx, void *state, void *args) {
  (void)ctx;
  ((source_state *)state)->src = args;
  return 0;
}

/* Sends CHUNK messages per activation, then goes to the back of the line by messaging itself. */
static int source_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  (void)msg;
  source_state *st = state;
  art_system *sys = art_ctx_system(ctx);
  for (uint32_t i = 0; i < CHUNK && st->next < st->src->count; i++, st->next++) {
    seq_msg m = {st->src->index, st->next};
    if (art_send(sys, st->src->sink, MSG_SEQ, &m, sizeof m) != 0)
      atomic_fetch_add(st->src->send_errors, 1);
  }
  if (st->next == st->src->count)
    return ART_STOP;
  if (art_send(sys, art_self(ctx), MSG_GO, NULL, 0) != 0)
    atomic_fetch_add(st->src->send_errors, 1);
  return 0;
}

static const art_actor_ops source_ops = {.pre_start = source_pre_start, .handle = source_handle};

/* @p nsources actors send @p per_source messages each to one sink; all arrive in order. */
static void run_actor_sources(uint32_t workers, uint32_t nsources, uint32_t per_source) {
  art_test_alloc ta;
  art_system *sys = it_create(&ta, workers, IT_POOL_DEFAULT);
  sink s;
  sink_init(&s, nsources, per_source);
  art_pid sink_pid = spawn_sink(sys, &s);
  atomic_int send_errors;
  atomic_init(&send_errors, 0);
  source sources[MAX_SOURCES];
  art_pid pids[MAX_SOURCES];
  for (uint32_t i = 0; i < nsources; i++) {
    sources[i] =
        (source){.sink = sink_pid, .index = i, .count = per_source, .send_errors = &send_errors};
    art_spawn_opts o = {
        .ops = &source_ops, .state_size = sizeof(source_state), .args = &sources[i]};
    assert_int_equal(art_spawn(sys, &o, &pids[i]), 0);
    s.source_pid[i] = pids[i];
  }
  for (uint32_t i = 0; i < nsources; i++)
    assert_int_equal(art_send(sys, pids[i], MSG_GO, NULL, 0), 0);
  assert_sink_complete(&s);
  assert_int_equal(art_send(sys, sink_pid, MSG_STOP, NULL, 0), 0);
  it_wait_all(sys);
  art_system_stats st = it_stats(sys);
  assert_int_equal(atomic_load(&send_errors), 0);
  assert_int_equal(st.dead_letters, 0);
  assert_int_equal(st.messages_sent, st.messages_handled);
  assert_true(st.messages_handled >= (uint64_t)nsources * per_source);
  assert_int_equal(st.exits_normal, nsources + 1);
  it_destroy(sys, &ta);
  sink_fini(&s);
}

/* Per sender->receiver pair FIFO: 8 actors x 50,000 messages to one actor, 2 workers. */
static void test_fifo_per_pair(void **unused) {
  (void)unused;
  run_actor_sources(2, 8, 50000);
}

/* 1,000,000 messages from 4 actors: none lost, none duplicated (count, bitmap, checksum). */
static void test_million_messages(void **unused) {
  (void)unused;
  run_actor_sources(2, 4, 250000);
}

/* ---- a burst from plain threads ----------------------------------------------------------------
 */

typedef struct burst_thread {
  art_system *sys;
  art_pid sink;
  uint32_t index;
  uint32_t count;
  pthread_barrier_t *start;
  atomic_int *send_errors;
} burst_thread;

static void *burst_main(void *arg) {
  burst_thread *t = arg;
  pthread_barrier_wait(t->start);
  for (uint32_t seq = 0; seq < t->count; seq++) {
    seq_msg m = {t->index, seq};
    if (art_send(t->sys, t->sink, MSG_SEQ, &m, sizeof m) != 0)
      atomic_fetch_add(t->send_errors, 1);
  }
  return NULL;
}

/* 4 non-actor threads send 100,000 messages each at once: every one arrives, in each thread's
 * order, with sender ART_PID_NONE. */
static void test_burst_from_threads(void **unused) {
  (void)unused;
  enum { THREADS = 4 };
  const uint32_t per_thread = 100000;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  sink s;
  sink_init(&s, THREADS, per_thread);
  for (int i = 0; i < THREADS; i++)
    s.source_pid[i] = ART_PID_NONE;
  art_pid sink_pid = spawn_sink(sys, &s);
  atomic_int send_errors;
  atomic_init(&send_errors, 0);
  pthread_barrier_t start;
  pthread_barrier_init(&start, NULL, THREADS);
  burst_thread threads[THREADS];
  pthread_t tids[THREADS];
  for (uint32_t i = 0; i < THREADS; i++) {
    threads[i] = (burst_thread){sys, sink_pid, i, per_thread, &start, &send_errors};
    assert_int_equal(pthread_create(&tids[i], NULL, burst_main, &threads[i]), 0);
  }
  for (int i = 0; i < THREADS; i++)
    pthread_join(tids[i], NULL);
  pthread_barrier_destroy(&start);
  assert_int_equal(atomic_load(&send_errors), 0);
  assert_sink_complete(&s);
  assert_int_equal(art_send(sys, sink_pid, MSG_STOP, NULL, 0), 0);
  it_wait_all(sys);
  art_system_stats st = it_stats(sys);
  assert_int_equal(st.messages_sent, (uint64_t)THREADS * per_thread + 1);
  assert_int_equal(st.messages_handled, st.messages_sent);
  assert_int_equal(st.dead_letters, 0);
  it_destroy(sys, &ta);
  sink_fini(&s);
}

/* ---- a recorder of messages --------------------------------------------------------------------
 */

#define MAX_RECORDS 16
#define MAX_RECORDED_BYTES 1024

typedef struct record {
  uint32_t type, size;
  art_pid sender;
  uint64_t correlation;
  const void *data;
  unsigned char bytes[MAX_RECORDED_BYTES];
  int moved_frees_at_handle; /* moved_frees when the handler ran */
} record;

typedef struct recorder {
  pthread_mutex_t lock;
  atomic_bool gate;    /* MSG_BLOCK waits for it */
  atomic_bool blocked; /* set once MSG_BLOCK's handler runs */
  int count, gate_timeouts, post_stops;
  record rec[MAX_RECORDS];
} recorder;

static atomic_int moved_frees;

static void moved_free(void *data) {
  atomic_fetch_add(&moved_frees, 1);
  free(data);
}

static void recorder_init(recorder *r) {
  memset(r, 0, sizeof *r);
  pthread_mutex_init(&r->lock, NULL);
  atomic_init(&r->gate, false);
  atomic_init(&r->blocked, false);
}

static void recorder_fini(recorder *r) {
  pthread_mutex_destroy(&r->lock);
}

static int recorder_count(recorder *r) {
  pthread_mutex_lock(&r->lock);
  int n = r->count;
  pthread_mutex_unlock(&r->lock);
  return n;
}

/* Whether a message of @p type was recorded. */
static bool recorder_has(recorder *r, uint32_t type) {
  bool found = false;
  pthread_mutex_lock(&r->lock);
  for (int i = 0; i < r->count && i < MAX_RECORDS; i++)
    found = found || r->rec[i].type == type;
  pthread_mutex_unlock(&r->lock);
  return found;
}

typedef struct recorder_state {
  recorder *r;
} recorder_state;

static int recorder_pre_start(art_ctx *ctx, void *state, void *args) {
  (void)ctx;
  ((recorder_state *)state)->r = args;
  return 0;
}

static int recorder_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  (void)ctx;
  recorder *r = ((recorder_state *)state)->r;
  if (msg->type == MSG_STOP)
    return ART_STOP;
  if (msg->type == MSG_BLOCK) {
    atomic_store(&r->blocked, true);
    if (!it_actor_wait_flag(&r->gate)) {
      pthread_mutex_lock(&r->lock);
      r->gate_timeouts++;
      pthread_mutex_unlock(&r->lock);
    }
    return 0;
  }
  pthread_mutex_lock(&r->lock);
  if (r->count < MAX_RECORDS) {
    record *rec = &r->rec[r->count];
    rec->type = msg->type;
    rec->size = msg->size;
    rec->sender = msg->sender;
    rec->correlation = msg->correlation;
    rec->data = msg->data;
    if (msg->data)
      memcpy(rec->bytes, msg->data,
             msg->size < MAX_RECORDED_BYTES ? msg->size : MAX_RECORDED_BYTES);
    rec->moved_frees_at_handle = atomic_load(&moved_frees);
  }
  r->count++;
  pthread_mutex_unlock(&r->lock);
  return 0;
}

static void recorder_post_stop(art_ctx *ctx, void *state, const art_exit_reason *reason) {
  (void)ctx;
  (void)reason;
  recorder *r = ((recorder_state *)state)->r;
  pthread_mutex_lock(&r->lock);
  r->post_stops++;
  pthread_mutex_unlock(&r->lock);
}

static const art_actor_ops recorder_ops = {
    .pre_start = recorder_pre_start, .handle = recorder_handle, .post_stop = recorder_post_stop};

static art_pid spawn_recorder(art_system *sys, recorder *r) {
  art_spawn_opts o = {.ops = &recorder_ops, .state_size = sizeof(recorder_state), .args = r};
  art_pid pid;
  assert_int_equal(art_spawn(sys, &o, &pid), 0);
  return pid;
}

static void fill_pattern(unsigned char *buf, size_t n, unsigned seed) {
  for (size_t i = 0; i < n; i++)
    buf[i] = (unsigned char)(seed * 31 + i * 7);
}

static void assert_pattern(const unsigned char *buf, size_t n, unsigned seed) {
  for (size_t i = 0; i < n; i++)
    assert_int_equal(buf[i], (unsigned char)(seed * 31 + i * 7));
}

/* Copied payloads: inline (up to 16 bytes) and heap copies arrive intact even though the
 * sender reuses its buffer at once; size 0 arrives as NULL data. */
static void test_copied_payloads(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  recorder r;
  recorder_init(&r);
  art_pid pid = spawn_recorder(sys, &r);
  const size_t sizes[] = {0, 1, 15, 16, 17, 64, 1000};
  enum { N = sizeof sizes / sizeof sizes[0] };
  unsigned char buf[1000];
  for (size_t i = 0; i < N; i++) {
    fill_pattern(buf, sizes[i], (unsigned)i);
    assert_int_equal(art_send(sys, pid, 100 + (uint32_t)i, buf, sizes[i]), 0);
    memset(buf, 0xEE, sizeof buf); /* the message must not depend on this buffer any more */
  }
  assert_int_equal(art_send(sys, pid, 200, NULL, 0), 0);
  assert_true(ART_WAIT_UNTIL(recorder_count(&r) == N + 1, IT_WAIT_MS));
  assert_int_equal(art_send(sys, pid, MSG_STOP, NULL, 0), 0);
  it_wait_all(sys);
  art_system_stats st = it_stats(sys);
  assert_int_equal(st.messages_sent, N + 2);
  assert_int_equal(st.messages_handled, N + 2);
  it_destroy(sys, &ta);
  for (size_t i = 0; i < N; i++) {
    record *rec = &r.rec[i];
    assert_int_equal(rec->type, 100 + i);
    assert_int_equal(rec->size, sizes[i]);
    assert_int_equal(rec->sender, ART_PID_NONE);
    assert_int_equal(rec->correlation, 0);
    if (sizes[i] == 0)
      assert_null(rec->data);
    else
      assert_non_null(rec->data);
    assert_pattern(rec->bytes, sizes[i], (unsigned)i);
  }
  assert_int_equal(r.rec[N].type, 200);
  assert_int_equal(r.rec[N].size, 0);
  assert_null(r.rec[N].data);
  recorder_fini(&r);
}

/* Moved payloads: the handler sees the very pointer sent; free_fn runs once, after the
 * handler. Correlation ids pass through art_send_ex. */
static void test_moved_payload_and_correlation(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  recorder r;
  recorder_init(&r);
  atomic_store(&moved_frees, 0);
  art_pid pid = spawn_recorder(sys, &r);

  unsigned char *big = malloc(5000);
  assert_non_null(big);
  fill_pattern(big, 5000, 9);
  assert_int_equal(art_send_ptr(sys, pid, 10, big, 5000, moved_free), 0);

  unsigned char *small = malloc(4);
  assert_non_null(small);
  fill_pattern(small, 4, 3);
  art_send_args moved = {.type = 11,
                         .data = small,
                         .size = 4,
                         .free_fn = moved_free,
                         .correlation = UINT64_C(0x3edcba9876543210)};
  assert_int_equal(art_send_ex(sys, pid, &moved), 0);

  unsigned char copy[40];
  fill_pattern(copy, sizeof copy, 4);
  art_send_args copied = {.type = 12, .data = copy, .size = sizeof copy, .correlation = 1};
  assert_int_equal(art_send_ex(sys, pid, &copied), 0);
  art_send_args empty = {.type = 13, .correlation = UINT64_MAX >> 2};
  assert_int_equal(art_send_ex(sys, pid, &empty), 0);
  /* Every bit but those of ART_CORRELATION_RESERVED is the caller's. */
  art_send_args high = {.type = 14, .correlation = (UINT64_C(1) << 61) | 7};
  assert_int_equal(art_send_ex(sys, pid, &high), 0);
  art_send_args request = {.type = 15, .correlation = ART_CORRELATION_REQUEST | 7};
  assert_int_equal(art_send_ex(sys, pid, &request), ART_EINVAL);
  art_send_args reply_bit = {.type = 15, .correlation = (UINT64_C(1) << 62) | 7};
  assert_int_equal(art_send_ex(sys, pid, &reply_bit), ART_EINVAL);

  assert_int_equal(art_send(sys, pid, 16, NULL, 0), 0); /* the end, by FIFO */
  assert_true(ART_WAIT_UNTIL(recorder_has(&r, 16), IT_WAIT_MS));
  assert_int_equal(recorder_count(&r), 6);
  assert_true(ART_WAIT_UNTIL(atomic_load(&moved_frees) == 2, IT_WAIT_MS));
  assert_int_equal(art_send(sys, pid, MSG_STOP, NULL, 0), 0);
  it_wait_all(sys);
  it_destroy(sys, &ta);
  assert_int_equal(atomic_load(&moved_frees), 2);

  assert_ptr_equal(r.rec[0].data, big); /* moved, not copied (big is freed; compare only) */
  assert_int_equal(r.rec[0].size, 5000);
  assert_pattern(r.rec[0].bytes, MAX_RECORDED_BYTES, 9);
  assert_int_equal(r.rec[0].moved_frees_at_handle, 0);
  assert_int_equal(r.rec[0].correlation, 0);
  assert_ptr_equal(r.rec[1].data, small);
  assert_pattern(r.rec[1].bytes, 4, 3);
  assert_true(r.rec[1].moved_frees_at_handle <= 1); /* its own free comes later */
  assert_int_equal(r.rec[1].correlation, UINT64_C(0x3edcba9876543210));
  assert_ptr_not_equal(r.rec[2].data, copy);
  assert_pattern(r.rec[2].bytes, sizeof copy, 4);
  assert_int_equal(r.rec[2].correlation, 1);
  assert_int_equal(r.rec[3].size, 0);
  assert_null(r.rec[3].data);
  assert_int_equal(r.rec[3].correlation, UINT64_MAX >> 2);
  assert_int_equal(r.rec[4].type, 14);
  assert_int_equal(r.rec[4].correlation, (UINT64_C(1) << 61) | 7);
  recorder_fini(&r);
}

/* Moved payloads still queued when the receiver exits are freed exactly once, never handled,
 * and counted as dead letters: behind a stop, and overtaken by a kill (with a batch of 4, the
 * kill is noticed long before the 20 pings ahead of the payloads are through). */
static void test_moved_payload_dropped_on_exit(void **unused) {
  (void)unused;
  enum { PINGS = 20, MOVED = 3 };
  for (int kill = 0; kill < 2; kill++) {
    art_test_alloc ta;
    art_system *sys = it_create_batch(&ta, 2, IT_POOL_DEFAULT, 4);
    recorder r;
    recorder_init(&r);
    atomic_store(&moved_frees, 0);
    art_pid pid = spawn_recorder(sys, &r);
    assert_int_equal(art_send(sys, pid, MSG_BLOCK, NULL, 0), 0);
    assert_true(ART_WAIT_UNTIL(atomic_load(&r.blocked), IT_WAIT_MS));
    if (kill) {
      for (int i = 0; i < PINGS; i++)
        assert_int_equal(art_send(sys, pid, 19, NULL, 0), 0);
    } else {
      assert_int_equal(art_send(sys, pid, MSG_STOP, NULL, 0), 0);
    }
    for (int i = 0; i < MOVED; i++) {
      void *data = malloc(100);
      assert_non_null(data);
      assert_int_equal(art_send_ptr(sys, pid, 20, data, 100, moved_free), 0);
    }
    if (kill) {
      art_exit_reason killed = art_reason(ART_EXIT_KILLED);
      assert_int_equal(art_send_exit(sys, pid, &killed), 0);
    }
    assert_int_equal(atomic_load(&moved_frees), 0);
    atomic_store(&r.gate, true);
    it_wait_all(sys);
    assert_int_equal(atomic_load(&moved_frees), MOVED);
    art_system_stats st = it_stats(sys);
    it_destroy(sys, &ta);
    assert_int_equal(atomic_load(&moved_frees), MOVED);
    assert_int_equal(r.gate_timeouts, 0);
    assert_int_equal(r.post_stops, 1);
    int handled_moved = 0;
    for (int i = 0; i < r.count && i < MAX_RECORDS; i++)
      handled_moved += r.rec[i].type == 20;
    assert_int_equal(handled_moved, 0);
    assert_true(r.count < PINGS);
    /* Everything queued and not handled; a kill's own envelope may count as one too. */
    uint64_t missed = (uint64_t)(kill ? PINGS - r.count : 0) + MOVED;
    assert_int_equal(st.messages_handled, 1 + (uint64_t)r.count + (kill ? 0 : 1));
    assert_true(st.dead_letters >= missed && st.dead_letters <= missed + (uint64_t)kill);
    recorder_fini(&r);
  }
}

/* A send that fails leaves a moved payload with the caller: free_fn is not called. */
static void test_failed_move_keeps_ownership(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  recorder r;
  recorder_init(&r);
  atomic_store(&moved_frees, 0);
  art_pid pid = spawn_recorder(sys, &r);
  assert_int_equal(art_send(sys, pid, MSG_STOP, NULL, 0), 0);
  it_wait_all(sys);

  unsigned char *data = malloc(64);
  assert_non_null(data);
  fill_pattern(data, 64, 5);
  assert_int_equal(art_send_ptr(sys, pid, 21, data, 64, moved_free), ART_ESRCH);
  art_send_args args = {.type = 21, .data = data, .size = 64, .free_fn = moved_free};
  assert_int_equal(art_send_ex(sys, pid, &args), ART_ESRCH);
  assert_int_equal(art_send_ptr(sys, pid, ART_MSG_RESERVED, data, 64, moved_free), ART_EINVAL);
  assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
  assert_int_equal(art_send_ptr(sys, pid, 21, data, 64, moved_free), ART_ESHUTDOWN);
  assert_int_equal(atomic_load(&moved_frees), 0);
  assert_pattern(data, 64, 5); /* still ours and intact */
  free(data);
  it_destroy(sys, &ta);
  assert_int_equal(atomic_load(&moved_frees), 0);
  assert_int_equal(r.count, 0);
  recorder_fini(&r);
}

/* ---- sender pids --------------------------------------------------------------------------------
 */

typedef struct announcer {
  art_pid to;
  art_pid self;
} announcer;

static int announcer_pre_start(art_ctx *ctx, void *state, void *args) {
  *(announcer **)state = args;
  announcer *a = args;
  a->self = art_self(ctx);
  return art_send(art_ctx_system(ctx), a->to, 30, NULL, 0);
}

static int announcer_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  announcer *a = *(announcer **)state;
  if (msg->type == MSG_STOP)
    return ART_STOP;
  art_send(art_ctx_system(ctx), a->to, 31, NULL, 0);
  return 0;
}

static void announcer_post_stop(art_ctx *ctx, void *state, const art_exit_reason *reason) {
  (void)reason;
  announcer *a = *(announcer **)state;
  art_send(art_ctx_system(ctx), a->to, 32, NULL, 0);
}

static const art_actor_ops announcer_ops = {
    .pre_start = announcer_pre_start, .handle = announcer_handle, .post_stop = announcer_post_stop};

/* The sender is the actor whose callback sent (pre_start, handle, post_stop), ART_PID_NONE from
 * a plain thread. */
static void test_sender_pid(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  recorder r;
  recorder_init(&r);
  art_pid rec_pid = spawn_recorder(sys, &r);
  announcer a = {.to = rec_pid};
  art_spawn_opts o = {.ops = &announcer_ops, .state_size = sizeof(announcer *), .args = &a};
  art_pid pid;
  assert_int_equal(art_spawn(sys, &o, &pid), 0);
  assert_true(ART_WAIT_UNTIL(recorder_count(&r) == 1, IT_WAIT_MS));
  assert_int_equal(art_send(sys, pid, 1, NULL, 0), 0);
  assert_true(ART_WAIT_UNTIL(recorder_count(&r) == 2, IT_WAIT_MS));
  assert_int_equal(art_send(sys, pid, MSG_STOP, NULL, 0), 0);
  assert_true(ART_WAIT_UNTIL(recorder_count(&r) == 3, IT_WAIT_MS));
  assert_int_equal(art_send(sys, rec_pid, 33, NULL, 0), 0);
  assert_true(ART_WAIT_UNTIL(recorder_count(&r) == 4, IT_WAIT_MS));
  it_destroy(sys, &ta);
  assert_int_equal(a.self, pid);
  const uint32_t types[] = {30, 31, 32, 33};
  const art_pid senders[] = {pid, pid, pid, ART_PID_NONE};
  for (int i = 0; i < 4; i++) {
    assert_int_equal(r.rec[i].type, types[i]);
    assert_int_equal(r.rec[i].sender, senders[i]);
  }
  recorder_fini(&r);
}

/* ---- stale pids and liveness ----------------------------------------------------------------- */

/* After an exit the pid is stale for good: sends return ART_ESRCH and count a dead letter, even
 * once its slot holds a new actor, which never receives them. */
static void test_stale_pid(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  recorder first;
  recorder_init(&first);
  art_pid old = spawn_recorder(sys, &first);
  assert_true(art_is_alive(sys, old));
  assert_false(art_is_alive(sys, ART_PID_NONE));
  assert_false(art_is_alive(NULL, old));
  assert_int_equal(art_send(sys, old, MSG_STOP, NULL, 0), 0);
  it_wait_all(sys);
  assert_false(art_is_alive(sys, old));
  uint64_t dead = it_stats(sys).dead_letters;
  assert_int_equal(art_send(sys, old, 40, NULL, 0), ART_ESRCH);
  assert_int_equal(it_stats(sys).dead_letters, dead + 1);
  assert_int_equal(art_send(sys, ART_PID_NONE, 40, NULL, 0), ART_ESRCH);
  assert_int_equal(it_stats(sys).dead_letters, dead + 2);
  /* A pid that was never handed out: an index far past the table's end. */
  art_pid forged = ((art_pid)1 << 32) | 0x7fffffffu;
  assert_false(art_is_alive(sys, forged));
  assert_int_equal(art_send(sys, forged, 40, NULL, 0), ART_ESRCH);
  assert_int_equal(it_stats(sys).dead_letters, dead + 3);

  /* Recycle slots; none of the new actors may take messages for the old pid. */
  enum { ROUNDS = 200 };
  recorder next;
  recorder_init(&next);
  art_pid pids[ROUNDS];
  for (int i = 0; i < ROUNDS; i++) {
    pids[i] = spawn_recorder(sys, &next);
    assert_int_not_equal(pids[i], old);
    assert_false(art_is_alive(sys, old));
    assert_int_equal(art_send(sys, old, 41, NULL, 0), ART_ESRCH);
    assert_int_equal(art_send(sys, pids[i], MSG_STOP, NULL, 0), 0);
    it_wait_all(sys);
    assert_false(art_is_alive(sys, pids[i]));
  }
  for (int i = 0; i < ROUNDS; i++)
    assert_int_equal(art_send(sys, pids[i], 42, NULL, 0), ART_ESRCH);
  assert_int_equal(it_stats(sys).dead_letters, dead + 3 + 2 * ROUNDS);
  it_destroy(sys, &ta);
  assert_int_equal(first.count, 0);
  assert_int_equal(next.count, 0);
  assert_int_equal(next.post_stops, ROUNDS);
  recorder_fini(&first);
  recorder_fini(&next);
}

/* ---- argument errors and a stopped system ---------------------------------------------------- */

static void test_send_einval(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  recorder r;
  recorder_init(&r);
  atomic_store(&moved_frees, 0);
  art_pid pid = spawn_recorder(sys, &r);
  char byte = 'x';
  char *owned = malloc(8);
  assert_non_null(owned);

  assert_int_equal(art_send(sys, pid, ART_MSG_RESERVED, NULL, 0), ART_EINVAL);
  assert_int_equal(art_send(sys, pid, ART_MSG_EXIT, &byte, 1), ART_EINVAL);
  assert_int_equal(art_send(sys, pid, UINT32_MAX, NULL, 0), ART_EINVAL);
  assert_int_equal(art_send(sys, pid, 1, NULL, 1), ART_EINVAL);
  assert_int_equal(art_send(NULL, pid, 1, &byte, 1), ART_EINVAL);
  assert_int_equal(art_send_ex(sys, pid, NULL), ART_EINVAL);
  art_send_args null_data = {.type = 1, .data = NULL, .size = 8};
  assert_int_equal(art_send_ex(sys, pid, &null_data), ART_EINVAL);
  art_send_args reserved = {.type = ART_MSG_RESERVED + 5, .data = &byte, .size = 1};
  assert_int_equal(art_send_ex(sys, pid, &reserved), ART_EINVAL);
  if ((uint64_t)SIZE_MAX > UINT32_MAX) {
    art_send_args huge = {.type = 1, .data = &byte, .size = (size_t)UINT32_MAX + 1};
    assert_int_equal(art_send_ex(sys, pid, &huge), ART_EINVAL);
  }
  assert_int_equal(art_send_ptr(sys, pid, 1, owned, 8, NULL), ART_EINVAL);
  assert_int_equal(art_send_ptr(sys, pid, 1, NULL, 8, moved_free), ART_EINVAL);
  assert_int_equal(art_send_ptr(sys, pid, ART_MSG_EXIT, owned, 8, moved_free), ART_EINVAL);

  art_system_stats st = it_stats(sys);
  assert_int_equal(st.messages_sent, 0);
  assert_int_equal(st.dead_letters, 0);
  assert_int_equal(art_send(sys, pid, MSG_STOP, NULL, 0), 0);
  it_wait_all(sys);
  it_destroy(sys, &ta);
  assert_int_equal(r.count, 0);
  assert_int_equal(atomic_load(&moved_frees), 0);
  free(owned);
  recorder_fini(&r);
}

/* After art_system_shutdown() every kind of send returns ART_ESHUTDOWN. */
static void test_send_after_shutdown(void **unused) {
  (void)unused;
  art_test_alloc ta;
  art_system *sys = it_create(&ta, 2, IT_POOL_DEFAULT);
  recorder r;
  recorder_init(&r);
  atomic_store(&moved_frees, 0);
  art_pid pid = spawn_recorder(sys, &r);
  assert_int_equal(art_system_shutdown(sys, it_timeout_ms(IT_WAIT_MS)), 0);
  assert_false(art_is_alive(sys, pid));
  char byte = 'x';
  char big[100] = {0};
  char *owned = malloc(8);
  assert_non_null(owned);
  const art_pid targets[] = {pid, ART_PID_NONE};
  for (int i = 0; i < 2; i++) {
    assert_int_equal(art_send(sys, targets[i], 1, &byte, 1), ART_ESHUTDOWN);
    assert_int_equal(art_send(sys, targets[i], 1, big, sizeof big), ART_ESHUTDOWN);
    art_send_args args = {.type = 1, .data = &byte, .size = 1, .correlation = 7};
    assert_int_equal(art_send_ex(sys, targets[i], &args), ART_ESHUTDOWN);
    assert_int_equal(art_send_ptr(sys, targets[i], 1, owned, 8, moved_free), ART_ESHUTDOWN);
    art_exit_reason reason = art_reason_shutdown(NULL);
    assert_int_equal(art_send_exit(sys, targets[i], &reason), ART_ESHUTDOWN);
  }
  assert_int_equal(atomic_load(&moved_frees), 0);
  free(owned);
  it_destroy(sys, &ta);
  assert_int_equal(r.count, 0);
  assert_int_equal(r.post_stops, 1);
  recorder_fini(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fifo_per_pair),
      cmocka_unit_test(test_million_messages),
      cmocka_unit_test(test_burst_from_threads),
      cmocka_unit_test(test_copied_payloads),
      cmocka_unit_test(test_moved_payload_and_correlation),
      cmocka_unit_test(test_moved_payload_dropped_on_exit),
      cmocka_unit_test(test_failed_move_keeps_ownership),
      cmocka_unit_test(test_sender_pid),
      cmocka_unit_test(test_stale_pid),
      cmocka_unit_test(test_send_einval),
      cmocka_unit_test(test_send_after_shutdown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
