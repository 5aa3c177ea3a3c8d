/* Exit reasons. */
#include <stdio.h>
#include <string.h>

#include "art/actor.h"

static const char *const kind_names[] = {
    [ART_EXIT_NORMAL] = "normal",
    [ART_EXIT_SHUTDOWN] = "shutdown",
    [ART_EXIT_KILLED] = "killed",
    [ART_EXIT_ERROR] = "error",
    [ART_EXIT_NOPROC] = "noproc",
    [ART_EXIT_TIMEOUT] = "timeout",
    [ART_EXIT_HEALTH_CHECK_FAILED] = "health_check_failed",
};

art_exit_reason art_reason(art_exit_kind kind) {
  art_exit_reason r;
  memset(&r, 0, sizeof r);
  r.kind = kind;
  return r;
}

static void set_text(art_exit_reason *r, const char *text) {
  if (text)
    snprintf(r->text, sizeof r->text, "%s", text);
}

art_exit_reason art_reason_error(int code, const char *text) {
  art_exit_reason r = art_reason(ART_EXIT_ERROR);
  r.code = code;
  set_text(&r, text ? text : art_strerror(code));
  return r;
}

art_exit_reason art_reason_shutdown(const char *detail) {
  art_exit_reason r = art_reason(ART_EXIT_SHUTDOWN);
  set_text(&r, detail);
  return r;
}

const char *art_exit_kind_name(art_exit_kind kind) {
  return (unsigned)kind < sizeof kind_names / sizeof kind_names[0] ? kind_names[kind] : "unknown";
}

int art_reason_format(const art_exit_reason *reason, char *buf, size_t len) {
  if (!reason || (!buf && len))
    return ART_EINVAL;
  const char *name = art_exit_kind_name(reason->kind);
  const char *esc = reason->flags & ART_REASON_ESCALATE ? ", escalate" : "";
  if (reason->kind == ART_EXIT_ERROR)
    return snprintf(buf, len, "%s(%d %s: %.*s%s)", name, reason->code, art_err_name(reason->code),
                    ART_REASON_TEXT_MAX, reason->text, esc);
  if (reason->text[0])
    return snprintf(buf, len, "%s(%.*s%s)", name, ART_REASON_TEXT_MAX, reason->text, esc);
  return snprintf(buf, len, "%s", name);
}
