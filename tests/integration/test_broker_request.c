/*
 * Request and reply over topics: art_broker_request from a plain thread (with workers, and in
 * deterministic mode), art_broker_ask from an actor (deterministic mode: the reply or the
 * timeout, never both), the first reply winning, late replies dropped and counted, no
 * responders, and a broker destroyed with requests pending.
 */
#include "broker_test.h"

static art_system *create_workers(art_test_alloc *ta) {
  return it_create(ta, 2, IT_POOL_DEFAULT);
}

static void test_request_from_thread(void **state) {
  (void)state;
  art_test_alloc ta;
  art_system *sys = create_workers(&ta);
  art_broker *b = bt_broker(sys, ART_PID_NONE);
  bt_sub echo;
  bt_sub_init(&echo, b);
  echo.reply_mode = REPLY_ECHO;
  bt_subscribe(b, "svc.echo", bt_spawn(sys, &echo), NULL);

  uint64_t v = 77, got = 0;
  art_call_reply r = {.data = &got, .capacity = sizeof got};
  assert_int_equal(
      art_broker_request(b, "svc.echo", T_REQ, &v, sizeof v, it_timeout_ms(IT_WAIT_MS), &r), 0);
  assert_int_equal(r.type, R_ANSWER);
  assert_int_equal(r.size, sizeof v);
  assert_int_equal(got, 77);
  assert_true(ART_WAIT_UNTIL(BT_GET(&echo, requests) == 1, IT_WAIT_MS));
  assert_true(BT_GET(&echo, last_is_request));
  assert_int_equal(BT_GET(&echo, last_sender), ART_PID_NONE);
  assert_string_equal(echo.last_topic, "svc.echo");

  /* A reply larger than the buffer: type and size set, the first bytes copied. */
  unsigned char big[40], small[4];
  for (int i = 0; i < 40; i++)
    big[i] = (unsigned char)i;
  art_call_reply rs = {.data = small, .capacity = sizeof small};
  assert_int_equal(
      art_broker_request(b, "svc.echo", T_REQ, big, sizeof big, it_timeout_ms(IT_WAIT_MS), &rs),
      ART_ERANGE);
  assert_int_equal(rs.size, 40);
  assert_int_equal(small[3], 3);

  /* Nobody listens: at once, no timeout. */
  assert_int_equal(art_broker_request(b, "svc.none", T_REQ, &v, sizeof v, ART_FOREVER, &r),
                   ART_ESRCH);
  /* Arguments. */
  assert_int_equal(art_broker_request(NULL, "svc.echo", T_REQ, NULL, 0, 0, &r), ART_EINVAL);
  assert_int_equal(art_broker_request(b, "svc.echo", T_REQ, NULL, 0, 0, NULL), ART_EINVAL);
  assert_int_equal(art_broker_request(b, "svc.*", T_REQ, NULL, 0, 0, &r), ART_EINVAL);
  art_call_reply bad = {.data = NULL, .capacity = 4};
  assert_int_equal(art_broker_request(b, "svc.echo", T_REQ, NULL, 0, 0, &bad), ART_EINVAL);
  /* From an actor: it would block a worker. */
  bt_sub asker;
  bt_sub_init(&asker, b);
  strcpy(asker.ask_topic, "svc.echo");
  art_pid pa = bt_spawn(sys, &asker);
  assert_int_equal(art_send(sys, pa, C_REQUEST, NULL, 0), 0);
  assert_true(ART_WAIT_UNTIL(BT_GET(&asker, request_rc) == ART_EDEADLK, IT_WAIT_MS));

  art_broker_stats st = bt_stats(b);
  assert_int_equal(st.requests, 2);
  assert_int_equal(st.replies, 2);
  assert_int_equal(st.timeouts, 0);
  assert_int_equal(st.dead_letters, 1);
  art_broker_destroy(b);
  it_destroy(sys, &ta);
  bt_sub_fini(&echo);
  bt_sub_fini(&asker);
}

/* A responder that holds the request: the caller times out; the reply that comes afterwards
 * is late (ART_ENOENT, counted). With two responders, the first reply wins. */
static void test_request_timeout_and_late_reply(void **state) {
  (void)state;
  art_test_alloc ta;
  art_system *sys = create_workers(&ta);
  art_broker *b = bt_broker(sys, ART_PID_NONE);
  bt_sub hold;
  bt_sub_init(&hold, b);
  hold.reply_mode = REPLY_HOLD;
  art_pid ph = bt_spawn(sys, &hold);
  bt_subscribe(b, "slow", ph, NULL);
  art_call_reply r = {0};
  assert_int_equal(art_broker_request(b, "slow", T_REQ, NULL, 0, ART_MSEC(20), &r), ART_ETIMEDOUT);
  assert_true(ART_WAIT_UNTIL(BT_GET(&hold, has_held), IT_WAIT_MS));
  assert_int_equal(art_send(sys, ph, C_REPLY_HELD, NULL, 0), 0);
  assert_true(ART_WAIT_UNTIL(BT_GET(&hold, reply_rc) == ART_ENOENT, IT_WAIT_MS));

  bt_sub e1, e2;
  bt_sub_init(&e1, b);
  bt_sub_init(&e2, b);
  e1.reply_mode = e2.reply_mode = REPLY_ECHO;
  bt_subscribe(b, "pair", bt_spawn(sys, &e1), NULL);
  bt_subscribe(b, "pair", bt_spawn(sys, &e2), NULL);
  uint64_t v = 5, got = 0;
  r = (art_call_reply){.data = &got, .capacity = sizeof got};
  assert_int_equal(
      art_broker_request(b, "pair", T_REQ, &v, sizeof v, it_timeout_ms(IT_WAIT_MS), &r), 0);
  assert_int_equal(got, 5);
  assert_true(ART_WAIT_UNTIL(BT_GET(&e1, requests) == 1 && BT_GET(&e2, requests) == 1, IT_WAIT_MS));
  int rc1 = BT_GET(&e1, reply_rc), rc2 = BT_GET(&e2, reply_rc);
  assert_true((rc1 == 0 && rc2 == ART_ENOENT) || (rc1 == ART_ENOENT && rc2 == 0));

  art_broker_stats st = bt_stats(b);
  assert_int_equal(st.requests, 2);
  assert_int_equal(st.timeouts, 1);
  assert_int_equal(st.replies, 1);
  assert_int_equal(st.late_replies, 2);
  art_broker_destroy(b);
  it_destroy(sys, &ta);
  bt_sub_fini(&hold);
  bt_sub_fini(&e1);
  bt_sub_fini(&e2);
}

/* Deterministic mode: the request runs the actors while it waits; no reply means a timeout. */
static void test_request_deterministic(void **state) {
  (void)state;
  art_test_alloc ta;
  art_system *sys = bt_create_deterministic(&ta);
  art_broker *b = bt_broker(sys, ART_PID_NONE);
  bt_sub echo, hold;
  bt_sub_init(&echo, b);
  bt_sub_init(&hold, b);
  echo.reply_mode = REPLY_ECHO;
  hold.reply_mode = REPLY_HOLD;
  bt_subscribe(b, "d.echo", bt_spawn(sys, &echo), NULL);
  bt_subscribe(b, "d.hold", bt_spawn(sys, &hold), NULL);
  uint64_t v = 3, got = 0;
  art_call_reply r = {.data = &got, .capacity = sizeof got};
  assert_int_equal(art_broker_request(b, "d.echo", T_REQ, &v, sizeof v, ART_SEC(1), &r), 0);
  assert_int_equal(got, 3);
  assert_int_equal(art_broker_request(b, "d.hold", T_REQ, &v, sizeof v, ART_SEC(1), &r),
                   ART_ETIMEDOUT);
  assert_int_equal(bt_stats(b).timeouts, 1);
  art_broker_destroy(b);
  it_destroy(sys, &ta);
  bt_sub_fini(&echo);
  bt_sub_fini(&hold);
}

/* From an actor: the reply arrives with the ask's correlation and no timeout follows; a held
 * request times out and its late reply is dropped; nobody listening is ART_ESRCH with no
 * timeout. */
static void test_ask(void **state) {
  (void)state;
  art_test_alloc ta;
  art_system *sys = bt_create_deterministic(&ta);
  art_broker *b = bt_broker(sys, ART_PID_NONE);
  bt_sub echo, hold, asker;
  bt_sub_init(&echo, b);
  bt_sub_init(&hold, b);
  bt_sub_init(&asker, b);
  echo.reply_mode = REPLY_ECHO;
  hold.reply_mode = REPLY_HOLD;
  art_pid ph = bt_spawn(sys, &hold), pa = bt_spawn(sys, &asker);
  art_pid pe = bt_spawn(sys, &echo);
  bt_subscribe(b, "a.echo", pe, NULL);
  bt_subscribe(b, "a.hold", ph, NULL);
  asker.ask_timeout = ART_MSEC(100);

  strcpy(asker.ask_topic, "a.echo");
  uint64_t v = 11;
  assert_int_equal(art_send(sys, pa, C_ASK, &v, sizeof v), 0);
  art_system_run(sys);
  assert_int_equal(BT_GET(&asker, ask_rc), 0);
  uint64_t corr = BT_GET(&asker, ask_corr);
  assert_true(corr & ART_CORRELATION_REQUEST);
  assert_int_equal(BT_GET(&asker, answers), 1);
  assert_int_equal(BT_GET(&asker, answer_corr), corr);
  assert_int_equal(BT_GET(&asker, answer_value), 11);
  assert_int_equal(BT_GET(&echo, last_sender), pa);
  art_clock_advance(sys, ART_MSEC(500));
  assert_int_equal(BT_GET(&asker, timeouts), 0);

  strcpy(asker.ask_topic, "a.hold");
  assert_int_equal(art_send(sys, pa, C_ASK, &v, sizeof v), 0);
  art_system_run(sys);
  corr = BT_GET(&asker, ask_corr);
  art_clock_advance(sys, ART_MSEC(99));
  assert_int_equal(BT_GET(&asker, timeouts), 0);
  art_clock_advance(sys, ART_MSEC(1));
  assert_int_equal(BT_GET(&asker, timeouts), 1);
  assert_int_equal(BT_GET(&asker, timeout_corr), corr);
  assert_int_equal(art_send(sys, ph, C_REPLY_HELD, NULL, 0), 0);
  art_system_run(sys);
  assert_int_equal(BT_GET(&hold, reply_rc), ART_ENOENT);
  assert_int_equal(BT_GET(&asker, answers), 1);

  strcpy(asker.ask_topic, "a.nobody");
  assert_int_equal(art_send(sys, pa, C_ASK, &v, sizeof v), 0);
  art_system_run(sys);
  assert_int_equal(BT_GET(&asker, ask_rc), ART_ESRCH);
  art_clock_advance(sys, ART_SEC(1));
  assert_int_equal(BT_GET(&asker, timeouts), 1);

  strcpy(asker.ask_topic, "a.*"); /* a wildcard is no topic */
  assert_int_equal(art_send(sys, pa, C_ASK, &v, sizeof v), 0);
  art_system_run(sys);
  assert_int_equal(BT_GET(&asker, ask_rc), ART_EINVAL);
  asker.ask_timeout = -1;
  strcpy(asker.ask_topic, "a.echo");
  assert_int_equal(art_send(sys, pa, C_ASK, &v, sizeof v), 0);
  art_system_run(sys);
  assert_int_equal(BT_GET(&asker, ask_rc), ART_EINVAL);
  assert_int_equal(art_broker_ask(NULL, b, "a.echo", T_REQ, NULL, 0, 0, NULL), ART_EINVAL);

  /* Replies: arguments, and a message that is not a request. */
  art_msg not_request = {.type = T_DATA};
  assert_int_equal(art_broker_reply(b, &not_request, R_ANSWER, NULL, 0), ART_EINVAL);
  assert_int_equal(art_broker_reply(b, NULL, R_ANSWER, NULL, 0), ART_EINVAL);
  art_msg unknown = {.correlation = ART_CORRELATION_REQUEST | 12345};
  assert_int_equal(art_broker_reply(NULL, &unknown, R_ANSWER, NULL, 0), ART_EINVAL);
  assert_int_equal(art_broker_reply(b, &unknown, ART_MSG_RESERVED, NULL, 0), ART_EINVAL);
  assert_int_equal(art_broker_reply(b, &unknown, R_ANSWER, NULL, 4), ART_EINVAL);
  assert_int_equal(art_broker_reply(b, &unknown, R_ANSWER, NULL, 0), ART_ENOENT);

  art_broker_stats st = bt_stats(b);
  assert_int_equal(st.requests, 2);
  assert_int_equal(st.replies, 1);
  assert_int_equal(st.timeouts, 1);
  assert_int_equal(st.late_replies, 2);
  art_broker_destroy(b);
  it_destroy(sys, &ta);
  bt_sub_fini(&echo);
  bt_sub_fini(&hold);
  bt_sub_fini(&asker);
}

/* A reply to an asker that has exited fails like a send to it; a broker destroyed with asks
 * pending leaves nothing behind (their timers are cancelled). */
static void test_ask_requester_gone_and_destroy(void **state) {
  (void)state;
  art_test_alloc ta;
  art_system *sys = bt_create_deterministic(&ta);
  art_broker *b = bt_broker(sys, ART_PID_NONE);
  bt_sub hold, asker;
  bt_sub_init(&hold, b);
  bt_sub_init(&asker, b);
  hold.reply_mode = REPLY_HOLD;
  art_pid ph = bt_spawn(sys, &hold), pa = bt_spawn(sys, &asker);
  bt_subscribe(b, "h", ph, NULL);
  strcpy(asker.ask_topic, "h");
  asker.ask_timeout = ART_SEC(10);
  assert_int_equal(art_send(sys, pa, C_ASK, NULL, 0), 0);
  assert_int_equal(art_send(sys, pa, C_STOP, NULL, 0), 0);
  art_system_run(sys);
  assert_int_equal(BT_GET(&asker, ask_rc), 0);
  assert_int_equal(art_send(sys, ph, C_REPLY_HELD, NULL, 0), 0);
  art_system_run(sys);
  assert_int_equal(BT_GET(&hold, reply_rc), ART_ESRCH);

  /* Two more asks left pending, then the broker goes. */
  bt_sub asker2;
  bt_sub_init(&asker2, b);
  strcpy(asker2.ask_topic, "h");
  asker2.ask_timeout = ART_SEC(10);
  art_pid pa2 = bt_spawn(sys, &asker2);
  assert_int_equal(art_send(sys, pa2, C_ASK, NULL, 0), 0);
  assert_int_equal(art_send(sys, pa2, C_ASK, NULL, 0), 0);
  art_system_run(sys);
  assert_int_equal(bt_stats(b).requests, 3);
  art_broker_destroy(b);
  art_system_run(sys);
  art_clock_advance(sys, ART_SEC(20));
  assert_int_equal(BT_GET(&asker2, timeouts), 0);
  /* One dead letter: the reply to the exited asker. The cancelled timers sent nothing. */
  assert_int_equal(it_stats(sys).dead_letters, 1);
  it_destroy(sys, &ta);
  bt_sub_fini(&hold);
  bt_sub_fini(&asker);
  bt_sub_fini(&asker2);
}

/* Each allocation of an ask, its reply and its timeout failed in turn, and of a blocking
 * request in deterministic mode: an error or success, never a crash or a leak, and never both
 * a reply and a timeout. */
static void test_request_allocation_failures(void **state) {
  (void)state;
  for (uint64_t nth = 1; nth <= 10; nth++) {
    art_test_alloc ta;
    art_system *sys = bt_create_deterministic(&ta);
    art_broker *b = bt_broker(sys, ART_PID_NONE);
    bt_sub echo, hold, asker;
    bt_sub_init(&echo, b);
    bt_sub_init(&hold, b);
    bt_sub_init(&asker, b);
    echo.reply_mode = REPLY_ECHO;
    hold.reply_mode = REPLY_HOLD;
    bt_subscribe(b, "f.echo", bt_spawn(sys, &echo), NULL);
    bt_subscribe(b, "f.hold", bt_spawn(sys, &hold), NULL);
    art_pid pa = bt_spawn(sys, &asker);
    art_system_run(sys);
    asker.ask_timeout = ART_MSEC(10);
    uint64_t v = 8;

    strcpy(asker.ask_topic, "f.echo");
    art_test_alloc_fail_at(&ta, nth);
    int send_rc = art_send(sys, pa, C_ASK, &v, sizeof v);
    art_system_run(sys);
    art_clock_advance(sys, ART_MSEC(20));
    art_test_alloc_fail_at(&ta, 0);
    int answers = BT_GET(&asker, answers), timeouts = BT_GET(&asker, timeouts);
    int ask_rc = BT_GET(&asker, ask_rc);
    assert_true(answers + timeouts <= 1);
    if (send_rc == 0 && ask_rc == 0)
      assert_int_equal(answers + timeouts, 1);

    strcpy(asker.ask_topic, "f.hold");
    art_test_alloc_fail_at(&ta, nth);
    send_rc = art_send(sys, pa, C_ASK, &v, sizeof v);
    art_system_run(sys);
    art_clock_advance(sys, ART_MSEC(20));
    art_test_alloc_fail_at(&ta, 0);
    assert_true(BT_GET(&asker, answers) + BT_GET(&asker, timeouts) <= answers + timeouts + 1);

    art_call_reply r = {.data = &v, .capacity = sizeof v};
    art_test_alloc_fail_at(&ta, nth);
    int rc = art_broker_request(b, "f.echo", T_REQ, &v, sizeof v, ART_SEC(1), &r);
    art_test_alloc_fail_at(&ta, 0);
    assert_true(rc == 0 || rc == ART_ENOMEM || rc == ART_ETIMEDOUT || rc == ART_ESRCH);
    if (rc == 0)
      assert_int_equal(v, 8);

    art_broker_destroy(b);
    it_destroy(sys, &ta);
    bt_sub_fini(&echo);
    bt_sub_fini(&hold);
    bt_sub_fini(&asker);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_request_from_thread),
      cmocka_unit_test(test_request_timeout_and_late_reply),
      cmocka_unit_test(test_request_deterministic),
      cmocka_unit_test(test_ask),
      cmocka_unit_test(test_ask_requester_gone_and_destroy),
      cmocka_unit_test(test_request_allocation_failures),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
