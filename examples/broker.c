/*
 * The broker: an order stream fanned out to subscribers by topic, with wildcards, a request
 * answered over a topic, dead letters, and a subscriber that exits.
 *
 * Topics are dot-separated ("orders.eu.paid"); a subscription may use `*` for one segment and
 * `>` for the rest, as NATS does:
 *   - "audit" takes every order:          orders.>
 *   - "eu" takes the European ones:       orders.eu.*
 *   - "paid" counts payments everywhere:  orders.*.paid
 * A publish goes to every matching subscription; the subscriber reads the topic with
 * art_broker_topic(). A publish nobody takes goes to the dead-letter actor. The "quotes"
 * actor answers requests on "pricing.quote", from the main thread (art_broker_request, which
 * blocks) and from an actor (art_broker_ask, which delivers the reply later as a message).
 * When "eu" exits, the broker drops its subscription by itself.
 *
 * Run: build/release/examples/broker
 */
#include <art.h>

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

enum { MSG_ORDER = 1, MSG_QUOTE_REQ, MSG_QUOTE, MSG_ASK, MSG_STOP };

typedef struct order {
  int id;
  int cents;
} order;

/* ---- subscribers ------------------------------------------------------------------------------
 */

typedef struct counter {
  const char *name;
  atomic_int orders;
  atomic_int cents;
} counter;

static int counter_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  (void)ctx;
  counter *c = state;
  if (msg->type == MSG_STOP)
    return ART_STOP;
  order o;
  memcpy(&o, msg->data, sizeof o); /* the payload is exactly what the publisher gave */
  printf("  %-6s got order %d on %s\n", c->name, o.id, art_broker_topic(msg));
  atomic_fetch_add(&c->cents, o.cents);
  atomic_fetch_add(&c->orders, 1);
  return 0;
}

static const art_actor_ops counter_ops = {.handle = counter_handle};

/* ---- a service answering requests over a topic -------------------------------------------------
 */

typedef struct quotes {
  art_broker *broker;
} quotes;

static int quotes_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  (void)ctx;
  quotes *q = state;
  if (!art_broker_is_request(msg))
    return 0;
  int qty;
  memcpy(&qty, msg->data, sizeof qty);
  int price = qty * 250; /* cents */
  return art_broker_reply(q->broker, msg, MSG_QUOTE, &price, sizeof price);
}

static const art_actor_ops quotes_ops = {.handle = quotes_handle};

/* An actor that asks for a quote: it never blocks; the reply comes as a message. */
typedef struct buyer {
  art_broker *broker;
  uint64_t correlation;
  atomic_int price; /* 0 until the reply came, -1 on a timeout */
} buyer;

static int buyer_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  buyer *b = state;
  if (msg->type == MSG_ASK) {
    int qty = 3;
    return art_broker_ask(ctx, b->broker, "pricing.quote", MSG_QUOTE_REQ, &qty, sizeof qty,
                          ART_SEC(5), &b->correlation);
  }
  if (msg->type == ART_MSG_TIMEOUT && msg->correlation == b->correlation)
    atomic_store(&b->price, -1);
  if (msg->type == MSG_QUOTE && msg->correlation == b->correlation) {
    int price;
    memcpy(&price, msg->data, sizeof price);
    atomic_store(&b->price, price);
  }
  return 0;
}

static const art_actor_ops buyer_ops = {.handle = buyer_handle};

/* ---- main ------------------------------------------------------------------------------------ */

/* Polls @p value until it reaches @p want, for at most 5 s. */
static int wait_for(atomic_int *value, int want) {
  for (int i = 0; i < 5000 && atomic_load(value) != want; i++)
    nanosleep(&(struct timespec){0, 1000000}, NULL);
  return atomic_load(value) == want ? 0 : ART_ETIMEDOUT;
}

static int fail(const char *what, int rc) {
  fprintf(stderr, "broker: %s: %s\n", what, art_strerror(rc));
  return 1;
}

int main(void) {
  art_system *sys;
  if (art_system_create(&sys, NULL) != 0)
    return 1;
  int rc;
  counter dead = {.name = "dead"}, audit = {.name = "audit"}, eu = {.name = "eu"},
          paid = {.name = "paid"};
  art_pid dead_pid, audit_pid, eu_pid, paid_pid;
  art_spawn(sys, &(art_spawn_opts){.ops = &counter_ops, .state = &dead}, &dead_pid);

  art_broker_config cfg;
  art_broker_config_init(&cfg);
  cfg.dead_letter = dead_pid; /* what nobody takes goes there */
  art_broker *broker;
  if ((rc = art_broker_create(sys, &cfg, &broker)) != 0)
    return fail("art_broker_create", rc);

  art_spawn(sys, &(art_spawn_opts){.ops = &counter_ops, .state = &audit}, &audit_pid);
  art_spawn(sys, &(art_spawn_opts){.ops = &counter_ops, .state = &eu}, &eu_pid);
  art_spawn(sys, &(art_spawn_opts){.ops = &counter_ops, .state = &paid}, &paid_pid);
  if ((rc = art_subscribe(broker, "orders.>", audit_pid, NULL)) != 0 ||
      (rc = art_subscribe(broker, "orders.eu.*", eu_pid, NULL)) != 0 ||
      (rc = art_subscribe(broker, "orders.*.paid", paid_pid, NULL)) != 0)
    return fail("art_subscribe", rc);

  printf("publishing four orders:\n");
  const struct {
    const char *topic;
    order o;
  } orders[] = {{"orders.eu.paid", {1, 1200}},
                {"orders.us.paid", {2, 800}},
                {"orders.eu.refunded", {3, -300}},
                {"invoices.eu", {4, 50}}}; /* nobody subscribed: a dead letter */
  for (size_t i = 0; i < sizeof orders / sizeof orders[0]; i++) {
    size_t delivered;
    if ((rc = art_publish(broker, orders[i].topic, MSG_ORDER, &orders[i].o, sizeof orders[i].o,
                          &delivered)) != 0)
      return fail("art_publish", rc);
    printf("  %s -> %zu subscriber(s)\n", orders[i].topic, delivered);
  }
  if (wait_for(&audit.orders, 3) || wait_for(&eu.orders, 2) || wait_for(&paid.orders, 2) ||
      wait_for(&dead.orders, 1))
    return fail("fan-out", ART_ETIMEDOUT);
  printf("audit saw %d orders (%d cents), eu %d, paid %d, dead letters %d\n",
         atomic_load(&audit.orders), atomic_load(&audit.cents), atomic_load(&eu.orders),
         atomic_load(&paid.orders), atomic_load(&dead.orders));

  /* Request and reply over a topic. */
  quotes q = {.broker = broker};
  art_pid quotes_pid;
  art_spawn(sys, &(art_spawn_opts){.ops = &quotes_ops, .state = &q}, &quotes_pid);
  art_subscribe(broker, "pricing.*", quotes_pid, NULL);
  int qty = 4, price = 0;
  art_call_reply reply = {.data = &price, .capacity = sizeof price};
  if ((rc = art_broker_request(broker, "pricing.quote", MSG_QUOTE_REQ, &qty, sizeof qty, ART_SEC(5),
                               &reply)) != 0)
    return fail("art_broker_request", rc);
  printf("main thread: 4 items cost %d cents\n", price);
  buyer b = {.broker = broker};
  art_pid buyer_pid;
  art_spawn(sys, &(art_spawn_opts){.ops = &buyer_ops, .state = &b}, &buyer_pid);
  art_send(sys, buyer_pid, MSG_ASK, NULL, 0);
  if (wait_for(&b.price, 750))
    return fail("art_broker_ask", ART_ETIMEDOUT);
  printf("buyer actor: 3 items cost %d cents\n", atomic_load(&b.price));

  /* "eu" exits: its subscription goes with it. */
  art_send(sys, eu_pid, MSG_STOP, NULL, 0);
  art_broker_stats st;
  for (int i = 0; i < 5000; i++) {
    art_broker_stats_get(broker, &st);
    if (st.removed_on_exit == 1)
      break;
    nanosleep(&(struct timespec){0, 1000000}, NULL);
  }
  size_t delivered = 0;
  art_publish(broker, "orders.eu.paid", MSG_ORDER, &(order){5, 100}, sizeof(order), &delivered);
  printf("after eu exited, orders.eu.paid reaches %zu subscriber(s)\n", delivered);

  art_broker_stats_get(broker, &st);
  printf("broker: %llu published, %llu delivered, %llu dead letters, %llu subscriptions, "
         "%llu requests, %llu replies\n",
         (unsigned long long)st.published, (unsigned long long)st.delivered,
         (unsigned long long)st.dead_letters, (unsigned long long)st.subscriptions,
         (unsigned long long)st.requests, (unsigned long long)st.replies);
  bool ok = st.removed_on_exit == 1 && delivered == 2 && price == 1000 && st.dead_letters == 1 &&
            st.replies == 2 && st.subscriptions == 3;
  art_broker_destroy(broker); /* before or after the system: either order is safe */
  art_system_destroy(sys);
  if (!ok)
    fprintf(stderr, "broker: unexpected figures\n");
  return ok ? 0 : 1;
}
