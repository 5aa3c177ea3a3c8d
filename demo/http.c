/*
 * The metrics endpoint, on libmicrohttpd's internal polling thread. Every answer is built in
 * full before it is queued, so a slow client never holds the callback.
 */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct demo_http {
  struct MHD_Daemon *daemon;
  demo_http_metrics_fn fn;
  void *ctx;
  uint16_t port;
  _Atomic uint64_t requests; /* relaxed: a statistic, read by nobody that depends on it */
};

#define PROMETHEUS_TYPE "text/plain; version=0.0.4; charset=utf-8"

int demo_http_parse_address(const char *text, uint32_t *ipv4_host_order, uint16_t *port, char *err,
                            size_t errlen) {
  if (!text || !*text) {
    snprintf(err, errlen, "empty address (expected HOST:PORT)");
    return -EINVAL;
  }
  const char *colon = strrchr(text, ':');
  const char *port_text = colon ? colon + 1 : text;
  char host[64] = "127.0.0.1";
  if (colon && colon != text) {
    size_t n = (size_t)(colon - text);
    if (n >= sizeof host) {
      snprintf(err, errlen, "host too long in '%s'", text);
      return -EINVAL;
    }
    memcpy(host, text, n);
    host[n] = '\0';
  }
  char *end;
  errno = 0;
  unsigned long value = strtoul(port_text, &end, 10);
  if (!*port_text || *end || errno || value > 65535 || port_text[0] == '-' || port_text[0] == '+') {
    snprintf(err, errlen, "bad port in '%s' (expected 0..65535)", text);
    return -EINVAL;
  }
  struct in_addr addr;
  if (strcmp(host, "localhost") == 0)
    addr.s_addr = htonl(INADDR_LOOPBACK);
  else if (inet_pton(AF_INET, host, &addr) != 1) {
    snprintf(err, errlen, "bad host '%s' (expected an IPv4 address or localhost)", host);
    return -EINVAL;
  }
  *ipv4_host_order = ntohl(addr.s_addr);
  *port = (uint16_t)value;
  return 0;
}

static enum MHD_Result answer(struct MHD_Connection *conn, unsigned status, const char *type,
                              void *body, size_t len, enum MHD_ResponseMemoryMode mode) {
  struct MHD_Response *response = MHD_create_response_from_buffer(len, body, mode);
  if (!response) {
    if (mode == MHD_RESPMEM_MUST_FREE)
      free(body);
    return MHD_NO;
  }
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, type);
  enum MHD_Result rc = MHD_queue_response(conn, status, response);
  MHD_destroy_response(response);
  return rc;
}

static enum MHD_Result static_answer(struct MHD_Connection *conn, unsigned status,
                                     const char *text) {
  return answer(conn, status, "text/plain; charset=utf-8", (void *)text, strlen(text),
                MHD_RESPMEM_PERSISTENT);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **state) {
  (void)version;
  (void)upload_data;
  demo_http *http = cls;
  /* The first call for a request only announces it; answer on the second, once any body has
   * been read (and ignored). */
  if (!*state) {
    *state = http;
    return MHD_YES;
  }
  if (*upload_size) {
    *upload_size = 0;
    return MHD_YES;
  }
  atomic_fetch_add_explicit(&http->requests, 1, memory_order_relaxed);
  bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0;
  bool head = strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
  if (!get && !head) {
    struct MHD_Response *response = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
    if (!response)
      return MHD_NO;
    MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    enum MHD_Result rc = MHD_queue_response(conn, MHD_HTTP_METHOD_NOT_ALLOWED, response);
    MHD_destroy_response(response);
    return rc;
  }
  if (strcmp(url, "/") == 0)
    return static_answer(conn, MHD_HTTP_OK, "airssys-rt demo: metrics at /metrics\n");
  if (strcmp(url, "/metrics") != 0)
    return static_answer(conn, MHD_HTTP_NOT_FOUND, "not found; metrics at /metrics\n");
  char *text = NULL;
  size_t len = 0;
  if (http->fn(http->ctx, &text, &len) != 0 || !text) {
    free(text);
    return static_answer(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "metrics unavailable\n");
  }
  return answer(conn, MHD_HTTP_OK, PROMETHEUS_TYPE, text, len, MHD_RESPMEM_MUST_FREE);
}

int demo_http_start(const char *address, demo_http_metrics_fn fn, void *ctx, demo_http **out,
                    char *err, size_t errlen) {
  uint32_t host;
  uint16_t port;
  int rc = demo_http_parse_address(address, &host, &port, err, errlen);
  if (rc != 0)
    return rc;
  demo_http *http = calloc(1, sizeof *http);
  if (!http) {
    snprintf(err, errlen, "out of memory");
    return -ENOMEM;
  }
  http->fn = fn;
  http->ctx = ctx;
  struct sockaddr_in sa = {.sin_family = AF_INET};
  sa.sin_addr.s_addr = htonl(host);
  sa.sin_port = htons(port);
  errno = 0;
  http->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL, port, NULL, NULL,
                                  on_request, http, MHD_OPTION_SOCK_ADDR, &sa,
                                  MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
  if (!http->daemon) {
    int e = errno ? errno : EADDRINUSE;
    snprintf(err, errlen, "cannot listen on %s: %s", address, strerror(e));
    free(http);
    return -e;
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(http->daemon, MHD_DAEMON_INFO_BIND_PORT);
  http->port = info ? info->port : port;
  *out = http;
  return 0;
}

uint16_t demo_http_port(const demo_http *http) {
  return http->port;
}

uint64_t demo_http_requests(const demo_http *http) {
  return atomic_load_explicit(&((demo_http *)http)->requests, memory_order_relaxed);
}

void demo_http_stop(demo_http *http) {
  if (!http)
    return;
  MHD_stop_daemon(http->daemon);
  free(http);
}
