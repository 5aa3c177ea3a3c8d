/*
 * Shared by the broker's tests: a subscriber actor that records what it receives under a lock
 * (for the test thread to check), answers requests as told, and runs a few commands (ask,
 * answer a held request, exit); and helpers for deterministic systems and broker statistics.
 *
 * Include after the cmocka prerequisites (through integration.h); asserts run on the test
 * thread only.
 */
#ifndef ART_BROKER_TEST_H
#define ART_BROKER_TEST_H

#include <stdio.h>

#include "integration.h"

enum {
  T_DATA = 1,    /* published data: a uint64_t, added to sum */
  T_REQ,         /* a request: answered per reply_mode */
  C_ASK = 10,    /* command (art_send): art_broker_ask(ask_topic, T_REQ, ask_timeout) */
  C_REPLY_HELD,  /* command: answer the held request with R_ANSWER */
  C_STOP,        /* command: exit normally */
  C_REQUEST,     /* command: art_broker_request from a handler -> rc (EDEADLK) */
  C_PUBLISH,     /* command: art_publish(ask_topic, T_DATA) from the actor */
  R_ANSWER = 20, /* the type of every reply */
};

enum { REPLY_NONE, REPLY_ECHO, REPLY_HOLD };

#define BT_TOPIC_LEN (ART_BROKER_TOPIC_MAX + 1)

typedef struct bt_sub {
  pthread_mutex_t lock;
  /* configuration (set before spawn) */
  art_broker *broker;
  int reply_mode;
  const char *pre_start_pattern; /* subscribe itself in pre_start */
  bool fail_pre_start;           /* and then fail pre_start */
  const char *post_stop_topic;   /* publish this topic in post_stop (its pid is gone by then) */
  char ask_topic[BT_TOPIC_LEN];
  art_duration ask_timeout;
  /* what it saw */
  art_pid self;
  int count, others, requests;
  uint64_t sum;
  char last_topic[BT_TOPIC_LEN];
  uint32_t last_type, last_size;
  art_pid last_sender;
  bool last_data_nonnull, last_is_request;
  int reply_rc, ask_rc, request_rc, publish_rc, pre_start_rc, post_stops;
  uint64_t ask_corr;
  int answers, timeouts;
  uint64_t answer_corr, timeout_corr, answer_value;
  bool has_held;
  art_msg held; /* a copy: correlation is all a reply needs */
} bt_sub;

static inline void bt_sub_init(bt_sub *s, art_broker *broker) {
  memset(s, 0, sizeof *s);
  pthread_mutex_init(&s->lock, NULL);
  s->broker = broker;
}

static inline void bt_sub_fini(bt_sub *s) {
  pthread_mutex_destroy(&s->lock);
}

/* Reads a field of @p s under its lock. */
#define BT_GET(s, field)                                                                           \
  __extension__({                                                                                  \
    pthread_mutex_lock(&(s)->lock);                                                                \
    __typeof__((s)->field) bt__value = (s)->field;                                                 \
    pthread_mutex_unlock(&(s)->lock);                                                              \
    bt__value;                                                                                     \
  })

static inline int bt_sub_pre_start(art_ctx *ctx, void *state, void *args) {
  (void)args;
  bt_sub *s = state;
  pthread_mutex_lock(&s->lock);
  s->self = art_self(ctx);
  pthread_mutex_unlock(&s->lock);
  if (!s->pre_start_pattern)
    return 0;
  int rc = art_subscribe(s->broker, s->pre_start_pattern, art_self(ctx), NULL);
  pthread_mutex_lock(&s->lock);
  s->pre_start_rc = rc;
  pthread_mutex_unlock(&s->lock);
  return s->fail_pre_start ? ART_ECANCELED : rc;
}

static inline void bt_sub_post_stop(art_ctx *ctx, void *state, const art_exit_reason *reason) {
  (void)ctx;
  (void)reason;
  bt_sub *s = state;
  uint64_t v = 1;
  int rc = s->post_stop_topic
               ? art_publish(s->broker, s->post_stop_topic, T_DATA, &v, sizeof v, NULL)
               : 0;
  pthread_mutex_lock(&s->lock);
  s->post_stops++;
  if (s->post_stop_topic)
    s->publish_rc = rc;
  pthread_mutex_unlock(&s->lock);
}

static inline int bt_sub_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  bt_sub *s = state;
  const char *topic = art_broker_topic(msg);
  pthread_mutex_lock(&s->lock);
  int rc = 0;
  if (topic) {
    s->count++;
    snprintf(s->last_topic, sizeof s->last_topic, "%s", topic);
    s->last_type = msg->type;
    s->last_size = msg->size;
    s->last_sender = msg->sender;
    s->last_data_nonnull = msg->data != NULL;
    s->last_is_request = art_broker_is_request(msg);
    if (msg->type == T_DATA && msg->size == sizeof(uint64_t)) {
      uint64_t v;
      memcpy(&v, msg->data, sizeof v);
      s->sum += v;
    }
    if (msg->type == T_REQ) {
      s->requests++;
      if (s->reply_mode == REPLY_ECHO) {
        s->reply_rc = art_broker_reply(s->broker, msg, R_ANSWER, msg->data, msg->size);
      } else if (s->reply_mode == REPLY_HOLD) {
        s->held = *msg;
        s->has_held = true;
      }
    }
  } else {
    switch (msg->type) {
    case C_ASK:
      s->ask_rc = art_broker_ask(ctx, s->broker, s->ask_topic, T_REQ, msg->data, msg->size,
                                 s->ask_timeout, &s->ask_corr);
      break;
    case C_REPLY_HELD: {
      uint64_t v = 99;
      s->reply_rc =
          s->has_held ? art_broker_reply(s->broker, &s->held, R_ANSWER, &v, sizeof v) : ART_ENOENT;
      break;
    }
    case C_STOP:
      rc = ART_STOP;
      break;
    case C_REQUEST: {
      art_call_reply r = {0};
      s->request_rc = art_broker_request(s->broker, s->ask_topic, T_REQ, NULL, 0, 0, &r);
      break;
    }
    case C_PUBLISH: {
      uint64_t v = 5;
      s->publish_rc = art_publish(s->broker, s->ask_topic, T_DATA, &v, sizeof v, NULL);
      break;
    }
    case R_ANSWER:
      s->answers++;
      s->answer_corr = msg->correlation;
      if (msg->size == sizeof(uint64_t))
        memcpy(&s->answer_value, msg->data, sizeof s->answer_value);
      break;
    case ART_MSG_TIMEOUT:
      s->timeouts++;
      s->timeout_corr = msg->correlation;
      break;
    default:
      s->others++;
      break;
    }
  }
  pthread_mutex_unlock(&s->lock);
  return rc;
}

static const art_actor_ops bt_sub_ops = {
    .pre_start = bt_sub_pre_start, .handle = bt_sub_handle, .post_stop = bt_sub_post_stop};

static inline int bt_spawn_rc(art_system *sys, bt_sub *s, uint32_t capacity, art_pid *out) {
  art_spawn_opts o = {.ops = &bt_sub_ops, .state = s, .mailbox_capacity = capacity};
  return art_spawn(sys, &o, out);
}

static inline art_pid bt_spawn(art_system *sys, bt_sub *s) {
  art_pid pid = ART_PID_NONE;
  assert_int_equal(bt_spawn_rc(sys, s, 0, &pid), 0);
  return pid;
}

/* A deterministic system through @p ta. */
static inline art_system *bt_create_deterministic(art_test_alloc *ta) {
  art_system_config cfg;
  art_system_config_init(&cfg);
  cfg.deterministic = true;
  return it_create_cfg(ta, &cfg);
}

static inline art_broker *bt_broker(art_system *sys, art_pid dead_letter) {
  art_broker_config cfg;
  art_broker_config_init(&cfg);
  cfg.dead_letter = dead_letter;
  art_broker *b = NULL;
  assert_int_equal(art_broker_create(sys, &cfg, &b), 0);
  assert_non_null(b);
  return b;
}

static inline art_broker_stats bt_stats(art_broker *b) {
  art_broker_stats st;
  assert_int_equal(art_broker_stats_get(b, &st), 0);
  return st;
}

static inline void bt_subscribe(art_broker *b, const char *pattern, art_pid pid, art_sub *out) {
  assert_int_equal(art_subscribe(b, pattern, pid, out), 0);
}

/* Publishes a uint64_t @p v on @p topic; returns how many took it. */
static inline size_t bt_publish(art_broker *b, const char *topic, uint64_t v) {
  size_t n = 12345;
  assert_int_equal(art_publish(b, topic, T_DATA, &v, sizeof v, &n), 0);
  return n;
}

#endif /* ART_BROKER_TEST_H */
