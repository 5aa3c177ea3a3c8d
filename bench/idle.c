/*
 * Idle memory (shared/BENCH.md, row 7): spawn 1,000,000 actors that wait for a message that
 * never comes, and report what they cost in resident memory: the growth of the resident set
 * (/proc/self/statm) from before the spawns to after, in bytes per actor. Then shut down.
 *
 * Each run (the warm-up too) happens in a child process of its own, so that no run finds the
 * memory a previous one left in the allocator; the parent never creates a system, so forking
 * is safe. The child checks that all the actors are alive after the spawns and that each exited
 * through the shutdown, and sends its figure to the parent through a pipe.
 *
 * usage: idle [--workers N] [--runs R] [--n ACTORS]
 */
#include <sys/wait.h>
#include <unistd.h>

#include "art.h"
#include "harness.h"

#define DEFAULT_ACTORS 1000000

static int idle_handle(art_ctx *ctx, void *state, const art_msg *msg) {
  (void)ctx;
  (void)state;
  (void)msg;
  return ART_EINVAL; /* no message is ever sent to them */
}

static const art_actor_ops idle_ops = {.handle = idle_handle};

/* Resident pages of this process, or -1. */
static long resident_pages(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  if (!f)
    return -1;
  long size, resident;
  int got = fscanf(f, "%ld %ld", &size, &resident);
  fclose(f);
  return got == 2 ? resident : -1;
}

/* The child's side of a run: returns the bytes per actor, or a negative value on failure. */
static double measure(uint32_t workers, uint64_t actors) {
  art_system *sys = bench_system_create(workers);
  long before = resident_pages();
  int64_t start = art_now_monotonic();
  art_spawn_opts opts = {.ops = &idle_ops};
  for (uint64_t i = 0; i < actors; i++)
    bench_check(art_spawn(sys, &opts, NULL), "spawn");
  int64_t spawned_ns = art_now_monotonic() - start;
  long after = resident_pages();
  art_system_stats stats;
  art_system_stats_get(sys, &stats);
  bool all_alive = stats.actors_alive == actors;
  start = art_now_monotonic();
  bench_check(art_system_shutdown(sys, ART_SEC(60)), "shutdown");
  int64_t shutdown_ns = art_now_monotonic() - start;
  art_system_stats_get(sys, &stats);
  art_system_destroy(sys);
  fprintf(stderr, "idle: %" PRIu64 " spawns in %.1f ms, shutdown in %.1f ms\n", actors,
          (double)spawned_ns / 1e6, (double)shutdown_ns / 1e6);
  if (before < 0 || after < 0) {
    fprintf(stderr, "idle: cannot read /proc/self/statm\n");
    return -1;
  }
  if (!all_alive || stats.exits_shutdown != actors) {
    fprintf(stderr,
            "idle: wrong result: %s; %" PRIu64 " exits through the shutdown, expected %" PRIu64
            "\n",
            all_alive ? "all alive after the spawns" : "not all alive after the spawns",
            stats.exits_shutdown, actors);
    return -1;
  }
  return (double)(after - before) * (double)sysconf(_SC_PAGESIZE) / (double)actors;
}

static double run(void *ctx, uint64_t actors) {
  const bench_options *o = ctx;
  int fds[2];
  if (pipe(fds) != 0) {
    perror("idle: pipe");
    return -1;
  }
  fflush(NULL);
  pid_t child = fork();
  if (child < 0) {
    perror("idle: fork");
    return -1;
  }
  if (child == 0) {
    close(fds[0]);
    double bytes = measure(o->workers, actors);
    ssize_t written = write(fds[1], &bytes, sizeof bytes);
    _exit(bytes >= 0 && written == (ssize_t)sizeof bytes ? 0 : 1);
  }
  close(fds[1]);
  double bytes = -1;
  ssize_t got = read(fds[0], &bytes, sizeof bytes);
  close(fds[0]);
  int status;
  if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
      got != (ssize_t)sizeof bytes) {
    fprintf(stderr, "idle: the measuring process failed\n");
    return -1;
  }
  return bytes;
}

int main(int argc, char **argv) {
  bench_options o;
  if (!bench_options_parse(&o, argc, argv, DEFAULT_ACTORS))
    return 2;
  return bench_main("idle", "bytes/actor", &o, run, &o);
}
