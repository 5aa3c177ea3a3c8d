/*
 * Restart windows (the supervisor's intensity in period, a child's max_restarts in
 * restart_window) and backoff delays.
 */
#include "actor/supervision.h"
#include "sup.h"

/* A stamp t stays in the window while t >= now - period, as OTP's add_restart keeps it. The
 * ring holds limit + 1 stamps: enough to see one too many. */
int art__sup_window_add(const art_allocator *a, sup_window *w, int64_t now, bool *exceeded) {
  uint32_t cap = w->limit + 1;
  if (!w->stamps && !(w->stamps = art__sup_alloc(a, (size_t)cap * sizeof *w->stamps)))
    return ART_ENOMEM;
  while (w->count && w->stamps[w->head] < now - w->period) {
    w->head = (w->head + 1) % cap;
    w->count--;
  }
  if (w->count == cap) { /* only after an exceeded window; keep the newest */
    w->head = (w->head + 1) % cap;
    w->count--;
  }
  w->stamps[(w->head + w->count) % cap] = now;
  w->count++;
  *exceeded = w->count > w->limit;
  return 0;
}

void art__sup_window_free(const art_allocator *a, sup_window *w) {
  art__sup_free(a, w->stamps);
  w->stamps = NULL;
  w->head = w->count = 0;
}

/* base * 2^min(n, 10), capped at max, moved by up to +-jitter of itself. */
art_duration art__sup_backoff_next(sup_state *s, sup_child *c, int64_t now) {
  const art_backoff *b = &c->spec->backoff;
  if (b->base <= 0)
    return 0;
  art_duration max = b->max ? b->max : ART_BACKOFF_MAX_DEFAULT;
  art_duration reset_after = b->reset_after ? b->reset_after : max;
  if (c->ran && now - c->since >= reset_after)
    c->backoff_step = 0;
  c->ran = false;
  uint32_t n = c->backoff_step < 10 ? c->backoff_step : 10;
  if (c->backoff_step < UINT32_MAX)
    c->backoff_step++;
  art_duration delay = b->base > max >> n ? max : b->base << n;
  if (b->jitter > 0) {
    /* u uniform in [-1, 1) from the top 53 bits */
    double u = (double)(art__random(s->sys) >> 11) * (2.0 / 9007199254740992.0) - 1.0;
    delay += (art_duration)((double)delay * b->jitter * u);
  }
  return delay > 0 ? delay : 0;
}
