/* The per-packet path: read a socket's datagrams, count them into the slot, forward them (relay.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "relay.h"

static double now_ms(relay_t *r) {
  return (double)uv_hrtime() / 1e6 - r->offset_ms;
}

static double current_lost(const double *s, uint32_t o) {
  double received = s[o + S_RECEIVED];
  if (received == 0) return 0;
  double lost = s[o + S_CYCLES] + s[o + S_MAX] - s[o + S_BASE] + 1 - received;
  return lost > 0 ? lost : 0;
}

static void seq_restart(double *s, uint32_t o, int seq) {
  s[o + S_LOST_BEFORE] += current_lost(s, o);
  s[o + S_BASE] = seq;
  s[o + S_MAX] = seq;
  s[o + S_CYCLES] = 0;
  s[o + S_RECEIVED] = 1;
}

/* SeqTracker.add (src/media/rtp.ts), on the same state. */
static void seq_add(double *s, uint32_t o, int seq, uint32_t ssrc) {
  if ((double)ssrc != s[o + S_SSRC]) {
    seq_restart(s, o, seq);
    s[o + S_SSRC] = ssrc;
    return;
  }
  int max = (int)s[o + S_MAX];
  int delta = (seq - max) & 0xffff;
  if (delta < MAX_DROPOUT) {
    if (seq < max) s[o + S_CYCLES] += SEQ_MOD;
    s[o + S_MAX] = seq;
    s[o + S_RECEIVED] += 1;
  } else if (delta > SEQ_MOD - MAX_MISORDER) {
    s[o + S_RECEIVED] += 1;
  } else {
    seq_restart(s, o, seq);
  }
}

static int addr_eq(const struct sockaddr_storage *a, const struct sockaddr_storage *b) {
  if (a->ss_family != b->ss_family) return 0;
  if (a->ss_family == AF_INET) {
    const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  if (a->ss_family == AF_INET6) {
    const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
    return x->sin6_port == y->sin6_port && x->sin6_scope_id == y->sin6_scope_id && memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
  }
  return 0;
}

/* Sends what is queued, one sendmmsg per run of datagrams leaving through the same socket. */
static void flush_out(relay_t *r) {
  int i = 0;
  while (i < r->out_n) {
    int fd = r->out_fd[i];
    int run = 1;
    while (i + run < r->out_n && r->out_fd[i + run] == fd) run++;
    int sent = sendmmsg(fd, &r->out[i], run, MSG_DONTWAIT);
    if (sent <= 0) {
      /* The first datagram failed (a full buffer, an ICMP error reported late): it is lost. */
      r->send_errors += 1;
      sent = 1;
    }
    i += sent;
  }
  r->out_n = 0;
}

static void queue_out(relay_t *r, int fd, const struct sockaddr_storage *to, socklen_t to_len, unsigned char *p, unsigned len) {
  int k = r->out_n++;
  r->out_iov[k].iov_base = p;
  r->out_iov[k].iov_len = len;
  struct msghdr *h = &r->out[k].msg_hdr;
  h->msg_name = (void *)to;
  h->msg_namelen = to == NULL ? 0 : to_len;
  h->msg_iov = &r->out_iov[k];
  h->msg_iovlen = 1;
  h->msg_control = NULL;
  h->msg_controllen = 0;
  h->msg_flags = 0;
  r->out_fd[k] = fd;
}

/* Out through socket `o` of side y: to its connected or latched source, else where y signalled. */
static void to_side(relay_t *r, const leg_t *y, sock_t *o, const struct sockaddr_storage *remote, unsigned char *p, unsigned len) {
  if (y->hold || o->fd < 0) return;
  if (o->connected) queue_out(r, o->fd, NULL, 0, p, len);
  else if (o->has_latch) queue_out(r, o->fd, &o->latch, o->latch_len, p, len);
  else if (y->has_remote) queue_out(r, o->fd, remote, y->remote_len, p, len);
}

static void to_rtp(relay_t *r, leg_t *y, unsigned char *p, unsigned len) {
  to_side(r, y, y->rtp, &y->remote_rtp, p, len);
}

/* A side that multiplexes RTCP (RFC 5761) gets it on its RTP socket. */
static void to_rtcp(relay_t *r, leg_t *y, unsigned char *p, unsigned len) {
  if (y->mux) to_side(r, y, y->rtp, &y->remote_rtp, p, len);
  else to_side(r, y, y->rtcp, &y->remote_rtcp, p, len);
}

/* Calls a JS callback from the loop (not from JS): a handle scope and make_callback's tick. */
static int call_js(relay_t *r, napi_ref fn_ref, size_t argc, const int32_t *ints, const char *text, int text_at) {
  napi_env env = r->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return 0;
  napi_value fn, recv, res, argv[6];
  int ok = 0;
  if (napi_get_reference_value(env, fn_ref, &fn) == napi_ok && napi_get_reference_value(env, r->resource, &recv) == napi_ok) {
    size_t n = 0;
    for (size_t i = 0; i < argc; i++) {
      if ((int)i == text_at) napi_create_string_latin1(env, text, NAPI_AUTO_LENGTH, &argv[n++]);
      else napi_create_int32(env, ints[i], &argv[n++]);
    }
    r->punts += 1;
    if (napi_make_callback(env, r->ctx, recv, fn, n, argv, &res) == napi_ok) {
      bool b = false;
      if (napi_get_value_bool(env, res, &b) == napi_ok) ok = b;
    } else {
      rethrow_uncaught(env); /* the worker's to handle */
    }
  }
  napi_close_handle_scope(env, scope);
  return ok;
}

static void punt_apply(relay_t *r, flow_t *f) {
  flush_out(r);
  int32_t args[1] = {f->slot};
  call_js(r, r->on_apply, 1, args, NULL, -1);
}

/* Asks JS whether `src` may become the latch of socket `s`; latches (and connects) if so. */
static int punt_latch(relay_t *r, sock_t *s, const struct sockaddr_storage *src, socklen_t src_len) {
  flush_out(r);
  char text[INET6_ADDRSTRLEN];
  int port;
  if (src->ss_family == AF_INET) {
    const struct sockaddr_in *a = (const void *)src;
    inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
    port = ntohs(a->sin_port);
  } else if (src->ss_family == AF_INET6) {
    const struct sockaddr_in6 *a = (const void *)src;
    inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
    port = ntohs(a->sin6_port);
  } else {
    return 0;
  }
  int32_t args[5] = {s->flow->slot, s->side, s->kind, 0, port};
  if (!call_js(r, r->on_latch, 5, args, text, 3)) return 0;
  /* Closed by the callback (JS does not, but the socket would be gone): not forwarded. */
  if (s->fd < 0) return 0;
  s->open = 0;
  memcpy(&s->latch, src, src_len);
  s->latch_len = src_len;
  s->has_latch = 1;
  /* connect(): the kernel skips the route lookup per send and refuses strangers itself. */
  s->connected = connect(s->fd, (const struct sockaddr *)src, src_len) == 0;
  return 1;
}

static void handle(relay_t *r, sock_t *s, int i, double now) {
  flow_t *f = s->flow;
  if (r->i32[f->lock_index] != f->seen) {
    punt_apply(r, f);
    if (s->fd < 0) return;
  }
  leg_t *x = &f->leg[s->side];
  leg_t *y = &f->leg[1 - s->side];
  const struct sockaddr_storage *src = &r->in_addr[i];
  if (s->open || !s->has_latch || !addr_eq(src, &s->latch)) {
    if (!s->open || !punt_latch(r, s, src, r->in[i].msg_hdr.msg_namelen)) {
      r->f64[x->base + F_DROPPED] += 1;
      return;
    }
  }
  double *c = r->f64;
  uint32_t b = x->base;
  unsigned char *p = r->buf + (size_t)i * DGRAM_MAX;
  unsigned len = r->in[i].msg_len;
  int v2 = len >= 2 && (p[0] & 0xc0) == 0x80;
  if (s->kind == KIND_RTP) {
    if (v2) {
      /* RFC 5761 4: demultiplexed on every side; RTP never uses payload types 64-95. */
      if (p[1] >= 192 && p[1] <= 223) {
        c[b + F_RTCP_PACKETS] += 1;
        c[b + F_LAST_PACKET] = now;
        c[f->activity_index] = now;
        to_rtcp(r, y, p, len);
        return;
      }
      if (len >= 12) {
        c[b + F_PACKETS] += 1;
        c[b + F_BYTES] += len;
        seq_add(c, b + F_SEQ, (p[2] << 8) | p[3], ((uint32_t)p[8] << 24) | ((uint32_t)p[9] << 16) | ((uint32_t)p[10] << 8) | p[11]);
        c[b + F_LAST_PACKET] = now;
        c[f->activity_index] = now;
      }
    }
    /* Not RTP (STUN, DTLS, ZRTP, runts): forwarded as it is, not counted. */
    to_rtp(r, y, p, len);
  } else {
    if (v2 && len >= 4) {
      c[b + F_RTCP_PACKETS] += 1;
      c[b + F_LAST_PACKET] = now;
      c[f->activity_index] = now;
    }
    to_rtcp(r, y, p, len);
  }
}

void relay_on_readable(uv_poll_t *h, int status, int events) {
  sock_t *s = h->data;
  relay_t *r = s->r;
  if (s->fd < 0 || s->flow == NULL) return;
  if (status < 0) {
    /*
     * libuv reports EPOLLERR as UV_EBADF and stops the handle. On a connected UDP socket that is
     * routine: a pending ICMP error, "port unreachable" from a party gone away (or not yet
     * listening). Reading SO_ERROR clears it; then poll again and read what waits. Only a
     * descriptor that fails getsockopt too is given up.
     */
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
      r->recv_errors += 1;
      s->polling = 0;
      return;
    }
    s->polling = uv_poll_start(h, UV_READABLE, relay_on_readable) == 0;
  }
  for (int round = 0; round < ROUNDS; round++) {
    for (int i = 0; i < BATCH; i++) {
      r->in_iov[i].iov_base = r->buf + (size_t)i * DGRAM_MAX;
      r->in_iov[i].iov_len = DGRAM_MAX;
      struct msghdr *m = &r->in[i].msg_hdr;
      m->msg_name = &r->in_addr[i];
      m->msg_namelen = sizeof r->in_addr[i];
      m->msg_iov = &r->in_iov[i];
      m->msg_iovlen = 1;
      m->msg_control = NULL;
      m->msg_controllen = 0;
      m->msg_flags = 0;
    }
    int n = recvmmsg(s->fd, r->in, BATCH, MSG_DONTWAIT, NULL);
    if (n < 0) {
      /* A connected socket hears the ICMP "port unreachable" of a party gone away: routine. */
      if (errno == ECONNREFUSED || errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) r->recv_errors += 1;
      break;
    }
    double now = now_ms(r);
    for (int i = 0; i < n; i++) {
      if ((r->in[i].msg_hdr.msg_flags & MSG_TRUNC) != 0) {
        r->recv_errors += 1;
        continue;
      }
      handle(r, s, i, now);
      if (s->fd < 0) break;
    }
    flush_out(r);
    if (n < BATCH || s->fd < 0) break;
  }
}
