/* A minimal HTTP/1.1 client for the demo's tests: one request per connection. */
#ifndef DEMO_HTTP_CLIENT_H
#define DEMO_HTTP_CLIENT_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* Sends "METHOD PATH" to 127.0.0.1:port and reads the whole answer into a malloc'd string.
 * Returns the status code (and *response), or -1. */
static int http_fetch(uint16_t port, const char *method, const char *path, char **response) {
  *response = NULL;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    return -1;
  struct timeval tv = {.tv_sec = 10};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  char request[256];
  int n = snprintf(request, sizeof request,
                   "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                   "Content-Length: 0\r\n\r\n",
                   method, path);
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || write(fd, request, (size_t)n) != n) {
    close(fd);
    return -1;
  }
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  for (;;) {
    if (len + 1024 > cap)
      buf = realloc(buf, cap *= 2);
    ssize_t got = read(fd, buf + len, cap - len - 1);
    if (got <= 0)
      break;
    len += (size_t)got;
  }
  close(fd);
  buf[len] = '\0';
  int status = -1;
  if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
    status = -1;
  *response = buf;
  return status;
}

/* The body of an answer (after the blank line), or "" */
static const char *http_body(const char *response) {
  const char *body = strstr(response, "\r\n\r\n");
  return body ? body + 4 : "";
}

#endif /* DEMO_HTTP_CLIENT_H */
