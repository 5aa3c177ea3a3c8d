/* hello.c: spawn an actor, send it a message, wait until it has exited, shut down. */
#include <stdio.h>

#include <art.h>

enum { MSG_GREETING = 1 }; /* message type tags are the application's */

static int greeter(art_ctx *ctx, void *state, const art_msg *msg) {
  (void)state;
  printf("%s got \"%.*s\"\n", art_ctx_name(ctx), (int)msg->size, (const char *)msg->data);
  return ART_STOP; /* done: exit with reason normal */
}

int main(void) {
  art_system *sys;
  if (art_system_create(&sys, NULL) != 0)
    return 1;
  static const art_actor_ops ops = {.handle = greeter};
  art_spawn_opts opts = {.ops = &ops, .name = "greeter"};
  art_pid pid;
  int rc = art_spawn(sys, &opts, &pid);
  if (rc == 0)
    rc = art_send(sys, pid, MSG_GREETING, "hello", 5); /* the payload is copied */
  if (rc == 0)
    rc = art_system_wait(sys, ART_SEC(5)); /* until no actor is alive */
  art_system_destroy(sys);
  if (rc != 0)
    fprintf(stderr, "hello: %s\n", art_strerror(rc));
  return rc != 0;
}
