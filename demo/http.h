/*
 * A small HTTP endpoint for the demo's metrics (libmicrohttpd): GET /metrics answers with the
 * text a callback writes, in the Prometheus text format; GET / says where the metrics are.
 *
 * Threads: libmicrohttpd serves requests on its own thread; the callback runs there.
 * Lifetime: demo_http_stop() returns after the last request has finished, so the callback's
 * context may be freed after it.
 */
#ifndef DEMO_HTTP_H
#define DEMO_HTTP_H

#include <stddef.h>
#include <stdint.h>

/* Writes the metrics text into a malloc'd buffer (*text, *len); returns 0 or a negative error
 * code, in which case the request is answered with 500. */
typedef int (*demo_http_metrics_fn)(void *ctx, char **text, size_t *len);

typedef struct demo_http demo_http;

/*
 * Parses "HOST:PORT", ":PORT" or "PORT" (HOST an IPv4 address or "localhost"; the default host
 * is 127.0.0.1, so nothing is exposed beyond the machine unless asked; PORT 0 picks a free
 * port). Returns 0, or -EINVAL with a message in err.
 */
int demo_http_parse_address(const char *text, uint32_t *ipv4_host_order, uint16_t *port, char *err,
                            size_t errlen);

/* Starts serving on @p address. Returns 0, or a negative errno code with a message in err. */
int demo_http_start(const char *address, demo_http_metrics_fn fn, void *ctx, demo_http **out,
                    char *err, size_t errlen);

/* The port it listens on (the chosen one when the address said 0). */
uint16_t demo_http_port(const demo_http *http);

/* Requests served so far (any path, any answer). */
uint64_t demo_http_requests(const demo_http *http);

/* Stops serving and frees @p http (NULL: nothing). */
void demo_http_stop(demo_http *http);

#endif /* DEMO_HTTP_H */
