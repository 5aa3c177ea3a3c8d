/*
 * The broker: fan-out to exact and wildcard subscriptions, the topic of a delivery,
 * subscriptions and their removal (unsubscribe, by pid, when the subscriber exits), dead
 * letters and failed deliveries, events, the order of destroys, several brokers, the match
 * cache, and allocation failures. Deterministic mode unless said otherwise; every test checks
 * that nothing leaked.
 */
#include "broker_test.h"

static void test_create_arguments(void **state) {
  (void)state;
  art_test_alloc ta;
  art_system *sys = bt_create_deterministic(&ta);
  art_broker *b = NULL;
  art_broker_config cfg;
  art_broker_config_init(&cfg);
  assert_int_equal(cfg.cache_capacity, 1024);
  assert_int_equal(cfg.dead_letter, ART_PID_NONE);
  assert_int_equal(art_broker_create(NULL, &cfg, &b), ART_EINVAL);
  assert_int_equal(art_broker_create(sys, &cfg, NULL), ART_EINVAL);
  cfg.name = "a-name-that-is-longer-than-sixty-three-bytes-which-is-the-limit-for-names";
  assert_int_equal(art_broker_create(sys, &cfg, &b), ART_EINVAL);
  art_broker_config_init(&cfg);
  cfg.allocator.alloc = art_test_alloc_allocator(&ta).alloc;
  assert_int_equal(art_broker_create(sys, &cfg, &b), ART_EINVAL);
  assert_null(b);
  art_broker_destroy(NULL);

  /* Defaults, and several brokers on one system. */
  art_broker *b1, *b2;
  assert_int_equal(art_broker_create(sys, NULL, &b1), 0);
  assert_int_equal(art_broker_create(sys, NULL, &b2), 0);
  art_broker_stats st = bt_stats(b1);
  assert_int_equal(st.published, 0);
  assert_int_equal(st.subscriptions, 0);
  assert_int_equal(art_broker_stats_get(NULL, &st), ART_EINVAL);
  assert_int_equal(art_broker_stats_get(b1, NULL), ART_EINVAL);

  bt_sub s1, s2;
  bt_sub_init(&s1, b1);
  bt_sub_init(&s2, b2);
  art_pid p1 = bt_spawn(sys, &s1), p2 = bt_spawn(sys, &s2);
  bt_subscribe(b1, "t", p1, NULL);
  bt_subscribe(b2, "t", p2, NULL);
  assert_int_equal(bt_publish(b1, "t", 1), 1);
  assert_int_equal(bt_publish(b2, "t", 2), 1);
  art_system_run(sys);
  assert_int_equal(BT_GET(&s1, sum), 1);
  assert_int_equal(BT_GET(&s2, sum), 2);
  /* The broker's actor is alive until the broker is destroyed. */
  art_system_stats ss = it_stats(sys);
  assert_int_equal(ss.actors_alive, 4);
  art_broker_destroy(b1);
  art_broker_destroy(b2);
  art_system_run(sys);
  assert_int_equal(it_stats(sys).actors_alive, 2);
  it_destroy(sys, &ta);
  bt_sub_fini(&s1);
  bt_sub_fini(&s2);
}

static void test_fanout(void **state) {
  (void)state;
  art_test_alloc ta;
  art_system *sys = bt_create_deterministic(&ta);
  art_broker *b = bt_broker(sys, ART_PID_NONE);
  enum { N = 5 };
  const char *patterns[N] = {"a.b", "a.*", "a.>", ">", "*.b"};
  bt_sub subs[N], twice;
  art_pid pids[N];
  for (int i = 0; i < N; i++) {
    bt_sub_init(&subs[i], b);
    pids[i] = bt_spawn(sys, &subs[i]);
    art_sub id = 0;
    bt_subscribe(b, patterns[i], pids[i], &id);
    assert_true(id != 0);
  }
  bt_sub_init(&twice, b); /* two matching subscriptions: two deliveries */
  art_pid tw = bt_spawn(sys, &twice);
  bt_subscribe(b, "a.b", tw, NULL);
  bt_subscribe(b, "a.*", tw, NULL);

  assert_int_equal(bt_publish(b, "a.b", 7), 7);
  art_system_run(sys);
  for (int i = 0; i < N; i++) {
    assert_int_equal(BT_GET(&subs[i], count), 1);
    assert_int_equal(BT_GET(&subs[i], sum), 7);
    assert_string_equal(subs[i].last_topic, "a.b");
    assert_int_equal(BT_GET(&subs[i], last_type), T_DATA);
    assert_int_equal(BT_GET(&subs[i], last_size), sizeof(uint64_t));
    assert_int_equal(BT_GET(&subs[i], last_sender), ART_PID_NONE);
    assert_false(BT_GET(&subs[i], last_is_request));
  }
  assert_int_equal(BT_GET(&twice, count), 2);

  /* Per pattern: a.b.c reaches a.> and >; x reaches >; a reaches >; x.b reaches > and *.b. */
  assert_int_equal(bt_publish(b, "a.b.c", 1), 2);
  assert_int_equal(bt_publish(b, "x", 10), 1);
  assert_int_equal(bt_publish(b, "a", 100), 1);
  assert_int_equal(bt_publish(b, "x.b", 1000), 2);
  assert_int_equal(bt_publish(b, "a.c", 10000), 4); /* a.*, a.>, >, and twice's a.* */
  art_system_run(sys);
  assert_int_equal(BT_GET(&subs[0], sum), 7);
  assert_int_equal(BT_GET(&subs[1], sum), 7 + 10000);
  assert_int_equal(BT_GET(&subs[2], sum), 7 + 1 + 10000);
  assert_int_equal(BT_GET(&subs[3], sum), 7 + 1 + 10 + 100 + 1000 + 10000);
  assert_int_equal(BT_GET(&subs[4], sum), 7 + 1000);
  assert_int_equal(BT_GET(&twice, sum), 2 * 7 + 10000);
  assert_string_equal(subs[3].last_topic, "a.c");

  /* Empty payloads: the data pointer is still not NULL, the topic still there. */
  size_t n;
  assert_int_equal(art_publish(b, "x", T_DATA, NULL, 0, &n), 0);
  assert_int_equal(n, 1);
  art_system_run(sys);
  assert_int_equal(BT_GET(&subs[3], last_size), 0);
  assert_true(BT_GET(&subs[3], last_data_nonnull));
  assert_string_equal(subs[3].last_topic, "x");

  art_broker_stats st = bt_stats(b);
  assert_int_equal(st.published, 7);
  assert_int_equal(st.delivered, 7 + 2 + 1 + 1 + 2 + 4 + 1);
  assert_int_equal(st.dead_letters, 0);
  assert_int_equal(st.subscriptions, N + 2);
  assert_int_equal(st.subscribed, N + 2);
  assert_int_equal(st.cache_hits + st.cache_misses, 7);
  assert_int_equal(it_stats(sys).dead_letters, 0);

  art_broker_destroy(b);
  it_destroy(sys, &ta);
  for (int i = 0; i < N; i++)
    bt_sub_fini(&subs[i]);
  bt_sub_fini(&twice);
}

static void test_publish_arguments(void **state) {
  (void)state;
  art_test_alloc ta;
  art_system *sys = bt_create_deterministic(&ta);
  art_broker *b = bt_broker(sys, ART_PID_NONE);
  uint64_t v = 1;
  size_t n = 99;
  assert_int_equal(art_publish(NULL, "a", T_DATA, &v, sizeof v, &n), ART_EINVAL);
  assert_int_equal(n, 0);
  assert_int_equal(art_publish(b, NULL, T_DATA, &v, sizeof v, NULL), ART_EINVAL);
  assert_int_equal(art_publish(b, "a.*", T_DATA, &v, sizeof v, NULL), ART_EINVAL);
  assert_int_equal(art_publish(b, "a.>", T_DATA, &v, sizeof v, NULL), ART_EINVAL);
  assert_int_equal(art_publish(b, "a..b", T_DATA, &v, sizeof v, NULL), ART_EINVAL);
  assert_int_equal(art_publish(b, "a", ART_MSG_RESERVED, &v, sizeof v, NULL), ART_EINVAL);
  assert_int_equal(art_publish(b, "a", T_DATA, NULL, 8, NULL), ART_EINVAL);
  char longer[ART_BROKER_TOPIC_MAX + 2];
  memset(longer, 'a', sizeof longer - 1);
  longer[sizeof longer - 1] = '\0';
  assert_int_equal(art_publish(b, longer, T_DATA, &v, sizeof v, NULL), ART_ERANGE);
  assert_int_equal(bt_stats(b).published, 0);

  /* A message that did not come from a broker has no topic. */
  bt_sub s;
  bt_sub_init(&s, b);
  art_pid pid = bt_spawn(sys, &s);
  assert_int_equal(art_send(sys, pid, T_DATA, &v, sizeof v), 0);
  art_system_run(sys);
  assert_int_equal(BT_GET(&s, count), 0);
  assert_int_equal(BT_GET(&s, others), 1);
  assert_null(art_broker_topic(NULL));
  assert_false(art_broker_is_request(NULL));

  art_broker_destroy(b);
  it_destroy(sys, &ta);
  bt_sub_fini(&s);
}

static void test_subscriptions(void **state) {
  (void)state;
  art_test_alloc ta;
  art_system *sys = bt_create_deterministic(&ta);
  art_broker *b = bt_broker(sys, ART_PID_NONE);
  bt_sub s, t;
  bt_sub_init(&s, b);
  bt_sub_init(&t, b);
  art_pid ps = bt_spawn(sys, &s), pt = bt_spawn(sys, &t);

  assert_int_equal(art_subscribe(NULL, "a", ps, NULL), ART_EINVAL);
  assert_int_equal(art_subscribe(b, NULL, ps, NULL), ART_EINVAL);
  assert_int_equal(art_subscribe(b, "a", ART_PID_NONE, NULL), ART_EINVAL);
  assert_int_equal(art_subscribe(b, "a.>.b", ps, NULL), ART_EINVAL);
  assert_int_equal(art_subscribe(b, "a b", ps, NULL), ART_EINVAL);
  char longer[ART_BROKER_TOPIC_MAX + 2];
  memset(longer, 'a', sizeof longer - 1);
  longer[sizeof longer - 1] = '\0';
  assert_int_equal(art_subscribe(b, longer, ps, NULL), ART_ERANGE);
  bt_sub gone;
  bt_sub_init(&gone, b);
  art_pid pgone = bt_spawn(sys, &gone);
  assert_int_equal(art_send(sys, pgone, C_STOP, NULL, 0), 0);
  art_system_run(sys);
  assert_int_equal(art_subscribe(b, "a", pgone, NULL), ART_ESRCH);
  bt_sub_fini(&gone);

  art_sub a1, a2, a3;
  bt_subscribe(b, "x.a", ps, &a1);
  bt_subscribe(b, "x.*", ps, &a2);
  bt_subscribe(b, "x.a", pt, &a3);
  assert_true(a1 != a2 && a2 != a3 && a1 != a3);
  assert_int_equal(bt_publish(b, "x.a", 1), 3);

  assert_int_equal(art_unsubscribe(b, a1), 0);
  assert_int_equal(art_unsubscribe(b, a1), ART_ENOENT);
  assert_int_equal(art_unsubscribe(b, 0), ART_ENOENT);
  assert_int_equal(art_unsubscribe(b, 424242), ART_ENOENT);
  assert_int_equal(art_unsubscribe(NULL, a2), ART_EINVAL);
  assert_int_equal(bt_publish(b, "x.a", 1), 2);

  bt_subscribe(b, "y", ps, NULL);
  assert_int_equal(art_unsubscribe_pid(b, ps), 2); /* x.* and y */
  assert_int_equal(art_unsubscribe_pid(b, ps), 0);
  assert_int_equal(art_unsubscribe_pid(b, ART_PID_NONE), ART_EINVAL);
  assert_int_equal(art_unsubscribe_pid(NULL, ps), ART_EINVAL);
  assert_int_equal(bt_publish(b, "x.a", 1), 1);
  assert_int_equal(bt_publish(b, "y", 1), 0);

  art_system_run(sys); /* the broker's actor drops the monitors of the removed subscriptions */
  art_broker_stats st = bt_stats(b);
  assert_int_equal(st.subscriptions, 1);
  assert_int_equal(st.subscribed, 4);
  assert_int_equal(st.unsubscribed, 3);
  assert_int_equal(st.removed_on_exit, 0);
  assert_int_equal(BT_GET(&s, count), 3);
  assert_int_equal(BT_GET(&t, count), 3);

  art_broker_destroy(b);
  it_destroy(sys, &ta);
  bt_sub_fini(&s);
  bt_sub_fini(&t);
}

/* A subscriber that exits loses its subscriptions as soon as the broker's actor runs; the
 * events say so, with the exit reason. */
static void test_subscriber_exit(void **state) {
  (void)state;
  art_test_alloc ta;
  art_system *sys = bt_create_deterministic(&ta);
  assert_int_equal(
      art_system_set_event_filter(sys, ART_EVENT_FAMILY_BIT(ART_EVENT_FAMILY_BROKER), 0), 0);
  art_broker *b = bt_broker(sys, ART_PID_NONE);
  bt_sub s, k, keep;
  bt_sub_init(&s, b);
  bt_sub_init(&k, b);
  bt_sub_init(&keep, b);
  art_pid ps = bt_spawn(sys, &s), pk = bt_spawn(sys, &k), pkeep = bt_spawn(sys, &keep);
  bt_subscribe(b, "e.one", ps, NULL);
  bt_subscribe(b, "e.*", ps, NULL);
  bt_subscribe(b, "e.>", pk, NULL);
  bt_subscribe(b, "e.one", pkeep, NULL);
  art_system_run(sys); /* monitors set */
  assert_int_equal(bt_publish(b, "e.one", 1), 4);

  assert_int_equal(art_send(sys, ps, C_STOP, NULL, 0), 0);
  art_exit_reason killed = art_reason(ART_EXIT_KILLED);
  assert_int_equal(art_send_exit(sys, pk, &killed), 0);
  art_system_run(sys);
  art_broker_stats st = bt_stats(b);
  assert_int_equal(st.subscriptions, 1);
  assert_int_equal(st.removed_on_exit, 3);
  assert_int_equal(st.unsubscribed, 3);
  assert_int_equal(bt_publish(b, "e.one", 1), 1);

  /* The events: three removals, with the reasons of the exits. */
  art_event_snapshot snap;
  assert_int_equal(art_monitor_snapshot_alloc(art_system_monitor(sys), &snap), 0);
  int removed_normal = 0, removed_killed = 0, added = 0;
  for (size_t i = 0; i < snap.count; i++) {
    const art_event *ev = &snap.events[i];
    if (ev->kind == ART_EVENT_BROKER_SUBSCRIBER_ADDED)
      added++;
    if (ev->kind != ART_EVENT_BROKER_SUBSCRIBER_REMOVED)
      continue;
    if (ev->pid == ps && ev->reason == ART_EXIT_NORMAL)
      removed_normal++;
    if (ev->pid == pk && ev->reason == ART_EXIT_KILLED) {
      removed_killed++;
      assert_string_equal(ev->topic, "e.>");
    }
  }
  art_event_snapshot_free(&snap);
  assert_int_equal(added, 4);
  assert_int_equal(removed_normal, 2);
  assert_int_equal(removed_killed, 1);

  art_broker_destroy(b);
  it_destroy(sys, &ta);
  bt_sub_fini(&s);
  bt_sub_fini(&k);
  bt_sub_fini(&keep);
}

/* An actor may subscribe itself in pre_start; if pre_start then fails, the subscription goes. A
 * pid that exits before the broker's actor watches it is removed too (its monitor says
 * noproc). */
static void test_subscribe_in_pre_start(void **state) {
  (void)state;
  art_test_alloc ta;
  art_system *sys = bt_create_deterministic(&ta);
  art_broker *b = bt_broker(sys, ART_PID_NONE);
  bt_sub ok, bad;
  bt_sub_init(&ok, b);
  bt_sub_init(&bad, b);
  ok.pre_start_pattern = "p.*";
  bad.pre_start_pattern = "p.>";
  bad.fail_pre_start = true;
  art_pid pok = bt_spawn(sys, &ok), pbad;
  assert_int_equal(bt_spawn_rc(sys, &bad, 0, &pbad), ART_ECANCELED);
  assert_int_equal(BT_GET(&bad, pre_start_rc), 0);
  assert_int_equal(bt_stats(b).subscriptions, 2);
  art_system_run(sys);
  assert_int_equal(bt_stats(b).subscriptions, 1);
  assert_int_equal(bt_stats(b).removed_on_exit, 1);
  assert_int_equal(bt_publish(b, "p.q", 3), 1);
  art_system_run(sys);
  assert_int_equal(BT_GET(&ok, sum), 3);
  (void)pok;

  art_broker_destroy(b);
  it_destroy(sys, &ta);
  bt_sub_fini(&ok);
  bt_sub_fini(&bad);
}

/* A snapshot of the broker events of @p sys: how many of @p kind, and the last one. */
static int count_events(art_system *sys, art_event_kind kind, art_event *last) {
  art_event_snapshot snap;
  assert_int_equal(art_monitor_snapshot_alloc(art_system_monitor(sys), &snap), 0);
  int n = 0;
  for (size_t i = 0; i < snap.count; i++) {
    if (snap.events[i].kind == kind) {
      n++;
      if (last)
        *last = snap.events[i];
    }
  }
  art_event_snapshot_free(&snap);
  return n;
}

static void test_dead_letters(void **state) {
  (void)state;
  art_test_alloc ta;
  art_system *sys = bt_create_deterministic(&ta);
  assert_int_equal(art_system_set_event_filter(sys, ART_EVENT_FAMILY_BIT(ART_EVENT_FAMILY_BROKER),
                                               ART_SEVERITY_TRACE),
                   0);
  bt_sub dl, full, gone;
  bt_sub_init(&dl, NULL);
  art_pid pdl = bt_spawn(sys, &dl);
  art_broker *b = bt_broker(sys, pdl);
  bt_sub_init(&full, b);
  bt_sub_init(&gone, b);

  /* Nobody subscribed: the dead-letter actor gets the message, topic and payload included. */
  assert_int_equal(bt_publish(b, "nobody.home", 42), 0);
  art_system_run(sys);
  assert_int_equal(BT_GET(&dl, count), 1);
  assert_int_equal(BT_GET(&dl, sum), 42);
  assert_string_equal(dl.last_topic, "nobody.home");
  art_event ev;
  assert_int_equal(count_events(sys, ART_EVENT_BROKER_DEAD_LETTER, &ev), 1);
  assert_string_equal(ev.topic, "nobody.home");
  assert_int_equal(ev.count, T_DATA);

  /* A full bounded mailbox: the delivery fails and goes to the dead-letter actor. */
  art_pid pfull;
  assert_int_equal(bt_spawn_rc(sys, &full, 1, &pfull), 0);
  bt_subscribe(b, "busy", pfull, NULL);
  assert_int_equal(bt_publish(b, "busy", 1), 1);
  assert_int_equal(bt_publish(b, "busy", 2), 0);
  art_system_run(sys);
  assert_int_equal(BT_GET(&full, sum), 1);
  assert_int_equal(BT_GET(&dl, sum), 42 + 2);
  assert_int_equal(count_events(sys, ART_EVENT_BROKER_ROUTING_FAILED, &ev), 1);
  assert_int_equal(ev.pid, pfull);
  assert_int_equal(ev.error_code, ART_EAGAIN);
  assert_string_equal(ev.topic, "busy");

  /* A subscriber that exits publishes on its own topic in post_stop: its pid is gone, its
   * subscription not yet (the broker's actor has not seen the DOWN): a failed delivery. */
  gone.post_stop_topic = "gone";
  art_pid pgone = bt_spawn(sys, &gone);
  bt_subscribe(b, "gone", pgone, NULL);
  art_system_run(sys);
  assert_int_equal(art_send(sys, pgone, C_STOP, NULL, 0), 0);
  art_system_run(sys);
  assert_int_equal(BT_GET(&gone, post_stops), 1);
  assert_int_equal(BT_GET(&gone, publish_rc), 0);
  assert_int_equal(BT_GET(&dl, sum), 42 + 2 + 1);
  assert_int_equal(count_events(sys, ART_EVENT_BROKER_ROUTING_FAILED, &ev), 2);
  assert_int_equal(ev.error_code, ART_ESRCH);

  art_broker_stats st = bt_stats(b);
  assert_int_equal(st.published, 4);
  assert_int_equal(st.delivered, 1);
  assert_int_equal(st.dead_letters, 3);
  assert_int_equal(st.routing_failures, 2);
  assert_int_equal(st.subscriptions, 1);
  assert_int_equal(count_events(sys, ART_EVENT_BROKER_MESSAGE_PUBLISHED, &ev), 4);
  assert_string_equal(ev.topic, "gone");
  assert_int_equal(ev.count, 0);
  assert_int_equal(ev.pid, pgone); /* post_stop runs as the actor: it is the publisher */
  assert_int_equal(count_events(sys, ART_EVENT_BROKER_MESSAGE_ROUTED, &ev), 1);
  assert_int_equal(ev.pid, pfull);

  art_broker_destroy(b);
  it_destroy(sys, &ta);
  bt_sub_fini(&dl);
  bt_sub_fini(&full);
  bt_sub_fini(&gone);
}

/* Without a dead-letter actor, dead letters are counted only; a publish from an actor carries
 * it as sender. */
static void test_dead_letters_counted(void **state) {
  (void)state;
  art_test_alloc ta;
  art_system *sys = bt_create_deterministic(&ta);
  art_broker *b = bt_broker(sys, ART_PID_NONE);
  bt_sub pub, sub;
  bt_sub_init(&pub, b);
  bt_sub_init(&sub, b);
  art_pid ppub = bt_spawn(sys, &pub), psub = bt_spawn(sys, &sub);
  assert_int_equal(bt_publish(b, "void", 1), 0);
  assert_int_equal(bt_stats(b).dead_letters, 1);
  bt_subscribe(b, "from.actor", psub, NULL);
  strcpy(pub.ask_topic, "from.actor");
  assert_int_equal(art_send(sys, ppub, C_PUBLISH, NULL, 0), 0);
  art_system_run(sys);
  assert_int_equal(BT_GET(&pub, publish_rc), 0);
  assert_int_equal(BT_GET(&sub, sum), 5);
  assert_int_equal(BT_GET(&sub, last_sender), ppub);
  art_broker_destroy(b);
  it_destroy(sys, &ta);
  bt_sub_fini(&pub);
  bt_sub_fini(&sub);
}

/* Every order of destroys is safe: broker first, system shutdown first, system destroyed
 * first (the broker on an allocator of its own); messages still queued keep their payload and
 * topic after the broker is gone. */
static void test_destroy_orders(void **state) {
  (void)state;
  for (int order = 0; order < 3; order++) {
    art_test_alloc ta, tb;
    art_system *sys = bt_create_deterministic(&ta);
    art_test_alloc_init(&tb);
    art_broker_config cfg;
    art_broker_config_init(&cfg);
    cfg.allocator = art_test_alloc_allocator(&tb);
    art_broker *b;
    assert_int_equal(art_broker_create(sys, &cfg, &b), 0);
    bt_sub s;
    bt_sub_init(&s, b);
    art_pid ps = bt_spawn(sys, &s);
    bt_subscribe(b, "q.*", ps, NULL);
    for (int i = 0; i < 10; i++)
      bt_publish(b, i % 2 ? "q.odd" : "q.even", 1);
    if (order == 0) {
      art_broker_destroy(b); /* the queued messages outlive it */
      art_system_run(sys);
      assert_int_equal(BT_GET(&s, count), 10);
      assert_string_equal(s.last_topic, "q.odd");
      it_destroy(sys, &ta);
    } else if (order == 1) {
      assert_int_equal(art_system_shutdown(sys, ART_SEC(5)), 0);
      assert_int_equal(art_subscribe(b, "r", ps, NULL), ART_ESHUTDOWN);
      assert_int_equal(art_publish(b, "q.x", T_DATA, NULL, 0, NULL), ART_ESHUTDOWN);
      art_broker_destroy(b);
      it_destroy(sys, &ta);
    } else {
      it_destroy(sys, &ta);
      art_broker_destroy(b);
    }
    assert_int_equal(art_test_alloc_live(&tb), 0);
    bt_sub_fini(&s);
  }
}

/* The match cache: the same deliveries with and without it, over many topics and versions. */
static void test_match_cache(void **state) {
  (void)state;
  uint64_t sums[2][4];
  for (int variant = 0; variant < 2; variant++) {
    art_test_alloc ta;
    art_system *sys = bt_create_deterministic(&ta);
    art_broker_config cfg;
    art_broker_config_init(&cfg);
    cfg.cache_capacity = variant ? 0 : 16; /* 16: fills up, then stops caching */
    art_broker *b;
    assert_int_equal(art_broker_create(sys, &cfg, &b), 0);
    bt_sub subs[4];
    art_pid pids[4];
    const char *patterns[4] = {"m.*.x", "m.>", "m.7.x", "*.*.y"};
    for (int i = 0; i < 4; i++) {
      bt_sub_init(&subs[i], b);
      pids[i] = bt_spawn(sys, &subs[i]);
      bt_subscribe(b, patterns[i], pids[i], NULL);
    }
    char topic[32];
    for (int round = 0; round < 3; round++) {
      for (int i = 0; i < 40; i++) {
        snprintf(topic, sizeof topic, "m.%d.%c", i, "xy"[i % 2]);
        bt_publish(b, topic, (uint64_t)(i + 1));
      }
      if (round == 1) /* a new version: the cache starts again */
        bt_subscribe(b, "m.8.*", pids[2], NULL);
      art_system_run(sys);
    }
    art_broker_stats st = bt_stats(b);
    assert_int_equal(st.published, 120);
    if (variant == 0)
      assert_true(st.cache_hits > 0);
    else
      assert_int_equal(st.cache_hits, 0);
    for (int i = 0; i < 4; i++)
      sums[variant][i] = BT_GET(&subs[i], sum);
    art_broker_destroy(b);
    it_destroy(sys, &ta);
    for (int i = 0; i < 4; i++)
      bt_sub_fini(&subs[i]);
  }
  for (int i = 0; i < 4; i++)
    assert_int_equal(sums[0][i], sums[1][i]);
  /* m.*.x takes the odd i+1 (even i), three rounds; m.7.x never (7 is odd: m.7.y);
   * m.8.* (on the third subscriber) once, in the last round. */
  assert_int_equal(sums[0][0], 3 * 400);
  assert_int_equal(sums[0][1], 3 * 820);
  assert_int_equal(sums[0][2], 9);
  assert_int_equal(sums[0][3], 3 * 420);
}

/* Each allocation of subscribe and publish failed in turn: an error or success, never a crash
 * or a leak, and the table stays consistent. */
static void test_allocation_failures(void **state) {
  (void)state;
  for (uint64_t nth = 1; nth <= 12; nth++) {
    art_test_alloc ta;
    art_system *sys = bt_create_deterministic(&ta);
    art_broker *b = bt_broker(sys, ART_PID_NONE);
    bt_sub s;
    bt_sub_init(&s, b);
    art_pid ps = bt_spawn(sys, &s);
    bt_subscribe(b, "w.*", ps, NULL);
    art_test_alloc_fail_at(&ta, nth);
    int sub_rc = art_subscribe(b, "z.>", ps, NULL);
    size_t n1 = 0, n2 = 0;
    int p1 = art_publish(b, "w.1", T_DATA, &(uint64_t){1}, sizeof(uint64_t), &n1);
    int p2 = art_publish(b, "z.1", T_DATA, &(uint64_t){10}, sizeof(uint64_t), &n2);
    art_test_alloc_fail_at(&ta, 0);
    assert_true(sub_rc == 0 || sub_rc == ART_ENOMEM);
    assert_true(p1 == 0 || p1 == ART_ENOMEM);
    assert_true(p2 == 0 || p2 == ART_ENOMEM);
    art_system_run(sys);
    assert_int_equal(bt_stats(b).subscriptions, sub_rc == 0 ? 2 : 1);
    assert_int_equal(BT_GET(&s, sum), (p1 == 0 ? n1 : 0) + (p2 == 0 ? 10 * n2 : 0));
    art_broker_destroy(b);
    it_destroy(sys, &ta);
    bt_sub_fini(&s);
  }
  /* Creation itself. */
  for (uint64_t nth = 1; nth <= 6; nth++) {
    art_test_alloc ta;
    art_system *sys = bt_create_deterministic(&ta);
    art_broker *b = NULL;
    art_test_alloc_fail_at(&ta, nth);
    int rc = art_broker_create(sys, NULL, &b);
    art_test_alloc_fail_at(&ta, 0);
    assert_true(rc == 0 || rc == ART_ENOMEM);
    if (rc == 0)
      art_broker_destroy(b);
    else
      assert_null(b);
    it_destroy(sys, &ta);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_create_arguments),    cmocka_unit_test(test_fanout),
      cmocka_unit_test(test_publish_arguments),   cmocka_unit_test(test_subscriptions),
      cmocka_unit_test(test_subscriber_exit),     cmocka_unit_test(test_subscribe_in_pre_start),
      cmocka_unit_test(test_dead_letters),        cmocka_unit_test(test_dead_letters_counted),
      cmocka_unit_test(test_destroy_orders),      cmocka_unit_test(test_match_cache),
      cmocka_unit_test(test_allocation_failures),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
