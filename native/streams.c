/* Sockets and streams: bound, polled, closed, and all closed with the thread (relay.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "relay.h"

static void free_relay(relay_t *r) {
  free(r->socks);
  free(r->flows);
  free(r->buf);
  free(r);
}

static void on_sock_closed(uv_handle_t *h) {
  sock_t *s = h->data;
  relay_t *r = s->r;
  flow_t *f = s->flow;
  if (f != NULL && --f->refs == 0) free(f);
  free(s);
  if (--r->pending_closes == 0 && r->tearing_down) {
    napi_remove_async_cleanup_hook(r->cleanup);
    free_relay(r);
  }
}

/* Closes the descriptor now (the port is free on return) and frees the socket on the loop's next turn. */
void relay_close_sock(relay_t *r, sock_t *s) {
  if (s->fd < 0) return;
  r->socks[s->fd] = NULL;
  /* uv_close stops the poll and drops the fd from epoll before the fd number can be reused. */
  r->pending_closes++;
  uv_close((uv_handle_t *)&s->poll, on_sock_closed);
  close(s->fd);
  s->fd = -1;
}

int relay_parse_addr(const char *text, int port, struct sockaddr_storage *out, socklen_t *len) {
  /* inet_pton first: getaddrinfo costs about a microsecond even for a literal (zone ids need it). */
  memset(out, 0, sizeof(struct sockaddr_in6));
  struct sockaddr_in *v4 = (struct sockaddr_in *)out;
  if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    *len = sizeof *v4;
    return 1;
  }
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)out;
  if (inet_pton(AF_INET6, text, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    *len = sizeof *v6;
    return 1;
  }
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_NUMERICHOST;
  if (getaddrinfo(text, NULL, &hints, &res) != 0 || res == NULL) return 0;
  memcpy(out, res->ai_addr, res->ai_addrlen);
  *len = res->ai_addrlen;
  freeaddrinfo(res);
  if (out->ss_family == AF_INET) ((struct sockaddr_in *)out)->sin_port = htons(port);
  else if (out->ss_family == AF_INET6) ((struct sockaddr_in6 *)out)->sin6_port = htons(port);
  else return 0;
  return 1;
}

/* Binds one UDP socket exclusively (no SO_REUSEADDR); returns its id (the fd) or -errno. */
int relay_bind_sock(relay_t *r, int family, const char *address, int port) {
  struct sockaddr_storage a;
  socklen_t alen;
  if (!relay_parse_addr(address, port, &a, &alen) || a.ss_family != (family == 6 ? AF_INET6 : AF_INET)) return -EINVAL;
  int fd = socket(a.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  int one = 1;
  if (a.ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&a, alen) != 0) {
    int e = errno;
    close(fd);
    return -e;
  }
  /* Headroom for loop pauses; Linux clamps to net.core.[rw]mem_max and a refusal is harmless. */
  int rcv = RECV_BUFFER, snd = SEND_BUFFER;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof snd);
  if (fd >= r->socks_cap) {
    int cap = r->socks_cap == 0 ? 1024 : r->socks_cap;
    while (cap <= fd) cap *= 2;
    sock_t **grown = realloc(r->socks, cap * sizeof *grown);
    if (grown == NULL) {
      close(fd);
      return -ENOMEM;
    }
    memset(grown + r->socks_cap, 0, (cap - r->socks_cap) * sizeof *grown);
    r->socks = grown;
    r->socks_cap = cap;
  }
  sock_t *s = calloc(1, sizeof *s);
  if (s == NULL || uv_poll_init_socket(r->loop, &s->poll, fd) != 0) {
    free(s);
    close(fd);
    return -ENOMEM;
  }
  s->r = r;
  s->fd = fd;
  s->poll.data = s;
  s->open = 1;
  r->socks[fd] = s;
  return fd;
}

sock_t *relay_sock_of(relay_t *r, int id) {
  return id >= 0 && id < r->socks_cap ? r->socks[id] : NULL;
}

flow_t *relay_flow_of(relay_t *r, int slot) {
  return slot >= 0 && slot < r->flows_cap ? r->flows[slot] : NULL;
}

void relay_close_flow(relay_t *r, int slot) {
  flow_t *f = relay_flow_of(r, slot);
  if (f == NULL) return;
  r->flows[slot] = NULL;
  relay_close_sock(r, f->leg[0].rtp);
  relay_close_sock(r, f->leg[0].rtcp);
  relay_close_sock(r, f->leg[1].rtp);
  relay_close_sock(r, f->leg[1].rtcp);
}

void relay_close_all(relay_t *r) {
  for (int i = 0; i < r->flows_cap; i++) relay_close_flow(r, i);
  for (int i = 0; i < r->socks_cap; i++)
    if (r->socks[i] != NULL) relay_close_sock(r, r->socks[i]);
}

/* The thread's environment is going away (a worker ending, even by a crash): close everything. */
void relay_on_teardown(napi_async_cleanup_hook_handle handle, void *arg) {
  relay_t *r = arg;
  r->tearing_down = 1;
  relay_close_all(r);
  if (r->pending_closes == 0) {
    napi_remove_async_cleanup_hook(handle);
    free_relay(r);
  }
}
