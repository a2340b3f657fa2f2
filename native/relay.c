/*
 * Sluice's native media I/O: the per-packet path of src/media/native-forwarder.ts.
 *
 * Node's dgram costs about 4 us of CPU per relayed packet beyond the two system calls (a Buffer
 * and an rinfo object per datagram, a JS callback, a send request object). Here a stream's four
 * sockets are polled on the owning thread's own libuv loop and each wakeup drains a socket with
 * recvmmsg and forwards what it read with sendmmsg, into and out of one preallocated buffer: no
 * allocation and no JavaScript per packet. Counters and the RFC 3550 sequence tracker are written
 * into the stream's slot of the shared slot table (src/media/slots.ts) at the same indexes the JS
 * forwarder uses, so the main thread reads stats the same way whichever forwarded.
 *
 * JavaScript keeps every decision: it applies setRemote (applyLeg) and is asked, through the
 * onApply and onLatch callbacks, when a slot's remote changed or a socket has no latch for a
 * packet's source. Only packets from a latched source are handled here alone.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

/* Datagrams read per recvmmsg; a wakeup reads at most ROUNDS batches from one socket (fairness). */
#define BATCH 16
#define ROUNDS 4
#define DGRAM_MAX 65536
#define RECV_BUFFER (2 << 20)
#define SEND_BUFFER (1 << 20)

/* Float64 fields of one side in the slot table, from the side's base (src/media/slots.ts). */
#define F_PACKETS 0
#define F_BYTES 1
#define F_RTCP_PACKETS 2
#define F_DROPPED 3
#define F_LAST_PACKET 4
#define F_SEQ 5
/* SeqTracker state from F_SEQ (src/media/rtp.ts). */
#define S_SSRC 0
#define S_BASE 1
#define S_MAX 2
#define S_CYCLES 3
#define S_RECEIVED 4
#define S_LOST_BEFORE 5
#define SEQ_FIELDS 6
#define MAX_DROPOUT 3000
#define MAX_MISORDER 100
#define SEQ_MOD 65536

#define KIND_RTP 0
#define KIND_RTCP 1

typedef struct relay relay_t;
typedef struct flow flow_t;

typedef struct sock {
  relay_t *r;
  uv_poll_t poll;
  int fd;
  int polling;
  flow_t *flow;
  int side;
  int kind;
  /* open: the next acceptable source becomes the latch (asked of JS). connected: connect()ed to it. */
  int open;
  int connected;
  int has_latch;
  struct sockaddr_storage latch;
  socklen_t latch_len;
} sock_t;

typedef struct leg {
  sock_t *rtp;
  sock_t *rtcp;
  int mux;
  int hold;
  int has_remote;
  struct sockaddr_storage remote_rtp;
  struct sockaddr_storage remote_rtcp;
  socklen_t remote_len;
  uint32_t base;
} leg_t;

struct flow {
  int slot;
  /* Sockets not yet closed: the flow is freed with the last one's close callback. */
  int refs;
  leg_t leg[2];
  uint32_t lock_index;
  uint32_t activity_index;
  int32_t seen;
};

struct relay {
  napi_env env;
  uv_loop_t *loop;
  double *f64;
  int32_t *i32;
  size_t f64_len;
  size_t i32_len;
  napi_ref slots_ref;
  napi_ref on_apply;
  napi_ref on_latch;
  napi_ref resource;
  napi_async_context ctx;
  double offset_ms;
  sock_t **socks; /* by fd */
  int socks_cap;
  flow_t **flows; /* by slot */
  int flows_cap;
  int pending_closes;
  int tearing_down;
  napi_async_cleanup_hook_handle cleanup;
  double recv_errors;
  double send_errors;
  double punts;
  struct mmsghdr in[BATCH];
  struct iovec in_iov[BATCH];
  struct sockaddr_storage in_addr[BATCH];
  struct mmsghdr out[BATCH];
  struct iovec out_iov[BATCH];
  int out_fd[BATCH];
  int out_n;
  unsigned char *buf;
};

/* ---------- the per-packet path ---------- */

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

static void to_rtp(relay_t *r, leg_t *y, unsigned char *p, unsigned len) {
  if (y->hold) return;
  sock_t *o = y->rtp;
  if (o->fd < 0) return;
  if (o->connected) queue_out(r, o->fd, NULL, 0, p, len);
  else if (o->has_latch) queue_out(r, o->fd, &o->latch, o->latch_len, p, len);
  else if (y->has_remote) queue_out(r, o->fd, &y->remote_rtp, y->remote_len, p, len);
}

static void to_rtcp(relay_t *r, leg_t *y, unsigned char *p, unsigned len) {
  if (y->mux) {
    to_rtp(r, y, p, len);
    return;
  }
  if (y->hold) return;
  sock_t *o = y->rtcp;
  if (o->fd < 0) return;
  if (o->connected) queue_out(r, o->fd, NULL, 0, p, len);
  else if (o->has_latch) queue_out(r, o->fd, &o->latch, o->latch_len, p, len);
  else if (y->has_remote) queue_out(r, o->fd, &y->remote_rtcp, y->remote_len, p, len);
}

static void clear_exception(napi_env env) {
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
    /* As an exception thrown in a dgram 'message' listener: uncaught (the worker's to handle). */
    napi_value e;
    if (napi_get_and_clear_last_exception(env, &e) == napi_ok) napi_fatal_exception(env, e);
  }
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
      clear_exception(env);
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
  /* Closed by the callback, or re-opened by an apply it made: the packet is not forwarded. */
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

static void on_readable(uv_poll_t *h, int status, int events) {
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
    s->polling = uv_poll_start(h, UV_READABLE, on_readable) == 0;
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

/* ---------- sockets and flows ---------- */

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
static void close_sock(relay_t *r, sock_t *s) {
  if (s->fd < 0) return;
  r->socks[s->fd] = NULL;
  /* uv_close stops the poll and drops the fd from epoll before the fd number can be reused. */
  r->pending_closes++;
  uv_close((uv_handle_t *)&s->poll, on_sock_closed);
  close(s->fd);
  s->fd = -1;
}

static int parse_addr(const char *text, int port, struct sockaddr_storage *out, socklen_t *len) {
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
static int bind_sock(relay_t *r, int family, const char *address, int port) {
  struct sockaddr_storage a;
  socklen_t alen;
  if (!parse_addr(address, port, &a, &alen) || a.ss_family != (family == 6 ? AF_INET6 : AF_INET)) return -EINVAL;
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

static sock_t *sock_of(relay_t *r, int id) {
  return id >= 0 && id < r->socks_cap ? r->socks[id] : NULL;
}

static flow_t *flow_of(relay_t *r, int slot) {
  return slot >= 0 && slot < r->flows_cap ? r->flows[slot] : NULL;
}

static void close_flow(relay_t *r, int slot) {
  flow_t *f = flow_of(r, slot);
  if (f == NULL) return;
  r->flows[slot] = NULL;
  close_sock(r, f->leg[0].rtp);
  close_sock(r, f->leg[0].rtcp);
  close_sock(r, f->leg[1].rtp);
  close_sock(r, f->leg[1].rtcp);
}

static void close_all(relay_t *r) {
  for (int i = 0; i < r->flows_cap; i++) close_flow(r, i);
  for (int i = 0; i < r->socks_cap; i++)
    if (r->socks[i] != NULL) close_sock(r, r->socks[i]);
}

/* The thread's environment is going away (a worker ending, even by a crash): close everything. */
static void on_teardown(napi_async_cleanup_hook_handle handle, void *arg) {
  relay_t *r = arg;
  r->tearing_down = 1;
  close_all(r);
  if (r->pending_closes == 0) {
    napi_remove_async_cleanup_hook(handle);
    free_relay(r);
  }
}

/* ---------- the JS API ---------- */

#define THROW(msg)                                   \
  do {                                               \
    napi_throw_error(env, "SLUICE_ERR_NATIVE", msg); \
    return NULL;                                     \
  } while (0)

static relay_t *relay_arg(napi_env env, napi_value v) {
  void *p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok) return NULL;
  return p;
}

static int int_arg(napi_env env, napi_value v, int32_t *out) {
  return napi_get_value_int32(env, v, out) == napi_ok;
}

static napi_value int_result(napi_env env, int32_t v) {
  napi_value out;
  napi_create_int32(env, v, &out);
  return out;
}

/* create(slots: ArrayBuffer | SharedArrayBuffer, offsetMs, onApply(slot), onLatch(slot, side, kind, address, port)) */
static napi_value js_create(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 4) THROW("create: four arguments expected");
  void *data = NULL;
  size_t bytes = 0;
  bool is_ab = false;
  napi_is_arraybuffer(env, argv[0], &is_ab);
  if (is_ab) {
    napi_get_arraybuffer_info(env, argv[0], &data, &bytes);
  } else {
    /* A SharedArrayBuffer is not an ArrayBuffer to N-API: it is passed as a typed array over it. */
    bool is_ta = false;
    napi_is_typedarray(env, argv[0], &is_ta);
    if (!is_ta) THROW("create: the slot table must be an ArrayBuffer or a Float64Array over it");
    napi_typedarray_type type;
    size_t length, offset;
    napi_value ab;
    napi_get_typedarray_info(env, argv[0], &type, &length, &data, &ab, &offset);
    if (type != napi_float64_array || offset != 0) THROW("create: a Float64Array from offset 0 expected");
    bytes = length * 8;
  }
  double offset_ms;
  if (napi_get_value_double(env, argv[1], &offset_ms) != napi_ok) THROW("create: offsetMs must be a number");
  relay_t *r = calloc(1, sizeof *r);
  if (r == NULL) THROW("create: out of memory");
  r->buf = malloc((size_t)BATCH * DGRAM_MAX);
  if (r->buf == NULL) {
    free(r);
    THROW("create: out of memory");
  }
  r->env = env;
  r->f64 = data;
  r->i32 = data;
  r->f64_len = bytes / 8;
  r->i32_len = bytes / 4;
  r->offset_ms = offset_ms;
  napi_get_uv_event_loop(env, &r->loop);
  napi_create_reference(env, argv[0], 1, &r->slots_ref);
  napi_create_reference(env, argv[2], 1, &r->on_apply);
  napi_create_reference(env, argv[3], 1, &r->on_latch);
  napi_value resource, name;
  napi_create_object(env, &resource);
  napi_create_reference(env, resource, 1, &r->resource);
  napi_create_string_utf8(env, "sluice:media", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, resource, name, &r->ctx);
  napi_add_async_cleanup_hook(env, on_teardown, r, &r->cleanup);
  napi_value out;
  napi_create_external(env, r, NULL, NULL, &out);
  return out;
}

/* bind(relay, family 4|6, address, port) -> socket id, or -errno */
static napi_value js_bind(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  relay_t *r = argc == 4 ? relay_arg(env, argv[0]) : NULL;
  int32_t family, port;
  char address[INET6_ADDRSTRLEN + 64];
  size_t alen;
  if (r == NULL || !int_arg(env, argv[1], &family) || !int_arg(env, argv[3], &port) ||
      napi_get_value_string_latin1(env, argv[2], address, sizeof address, &alen) != napi_ok || port < 0 || port > 65535)
    THROW("bind: (relay, family, address, port) expected");
  return int_result(env, bind_sock(r, family, address, port));
}

/* closeSocket(relay, id): a socket bound for a flow that never started */
static napi_value js_close_socket(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  relay_t *r = argc == 2 ? relay_arg(env, argv[0]) : NULL;
  int32_t id;
  if (r == NULL || !int_arg(env, argv[1], &id)) THROW("closeSocket: (relay, id) expected");
  sock_t *s = sock_of(r, id);
  if (s != NULL && s->flow == NULL) close_sock(r, s);
  return NULL;
}

/* startFlow(relay, slot, aRtp, aRtcp, bRtp, bRtcp, muxA, muxB, baseA, baseB, lockIndex, activityIndex) -> 0 or -errno */
static napi_value js_start_flow(napi_env env, napi_callback_info info) {
  size_t argc = 12;
  napi_value argv[12];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  relay_t *r = argc == 12 ? relay_arg(env, argv[0]) : NULL;
  int32_t v[11];
  if (r == NULL) THROW("startFlow: 12 arguments expected");
  for (int i = 0; i < 11; i++)
    if (!int_arg(env, argv[i + 1], &v[i])) THROW("startFlow: integer arguments expected");
  int slot = v[0];
  sock_t *socks[4] = {sock_of(r, v[1]), sock_of(r, v[2]), sock_of(r, v[3]), sock_of(r, v[4])};
  for (int i = 0; i < 4; i++)
    if (socks[i] == NULL || socks[i]->flow != NULL) return int_result(env, -EBADF);
  for (int i = 7; i < 9; i++)
    if (v[i] < 0 || (size_t)v[i] + F_SEQ + SEQ_FIELDS > r->f64_len) return int_result(env, -ERANGE);
  if (v[9] < 0 || (size_t)v[9] >= r->i32_len || v[10] < 0 || (size_t)v[10] >= r->f64_len || slot < 0) return int_result(env, -ERANGE);
  if (flow_of(r, slot) != NULL) return int_result(env, -EEXIST);
  if (slot >= r->flows_cap) {
    int cap = r->flows_cap == 0 ? 256 : r->flows_cap;
    while (cap <= slot) cap *= 2;
    flow_t **grown = realloc(r->flows, cap * sizeof *grown);
    if (grown == NULL) return int_result(env, -ENOMEM);
    memset(grown + r->flows_cap, 0, (cap - r->flows_cap) * sizeof *grown);
    r->flows = grown;
    r->flows_cap = cap;
  }
  flow_t *f = calloc(1, sizeof *f);
  if (f == NULL) return int_result(env, -ENOMEM);
  f->slot = slot;
  f->refs = 4;
  f->lock_index = v[9];
  f->activity_index = v[10];
  /* Never a lock value: the first packet asks JS to apply whatever setRemote wrote. */
  f->seen = -1;
  for (int side = 0; side < 2; side++) {
    leg_t *l = &f->leg[side];
    l->rtp = socks[2 * side];
    l->rtcp = socks[2 * side + 1];
    l->mux = v[5 + side] != 0;
    l->base = v[7 + side];
    for (int k = 0; k < 2; k++) {
      sock_t *s = k == 0 ? l->rtp : l->rtcp;
      s->flow = f;
      s->side = side;
      s->kind = k;
      s->polling = uv_poll_start(&s->poll, UV_READABLE, on_readable) == 0;
    }
  }
  r->flows[slot] = f;
  return int_result(env, 0);
}

/* applyLeg(relay, slot, side, hold, address | null, rtpPort, rtcpPort, clearLatch) -> 0 or -errno */
static napi_value js_apply_leg(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  relay_t *r = argc == 8 ? relay_arg(env, argv[0]) : NULL;
  int32_t slot, side, rtp_port, rtcp_port;
  bool hold, clear;
  if (r == NULL || !int_arg(env, argv[1], &slot) || !int_arg(env, argv[2], &side) || napi_get_value_bool(env, argv[3], &hold) != napi_ok ||
      !int_arg(env, argv[5], &rtp_port) || !int_arg(env, argv[6], &rtcp_port) || napi_get_value_bool(env, argv[7], &clear) != napi_ok ||
      side < 0 || side > 1)
    THROW("applyLeg: (relay, slot, side, hold, address, rtpPort, rtcpPort, clearLatch) expected");
  flow_t *f = flow_of(r, slot);
  if (f == NULL) return int_result(env, -ENOENT);
  leg_t *l = &f->leg[side];
  napi_valuetype t;
  napi_typeof(env, argv[4], &t);
  int status = 0;
  if (t == napi_string) {
    char address[INET6_ADDRSTRLEN + 64];
    size_t alen;
    socklen_t len;
    napi_get_value_string_latin1(env, argv[4], address, sizeof address, &alen);
    if (parse_addr(address, rtp_port, &l->remote_rtp, &len) && parse_addr(address, rtcp_port, &l->remote_rtcp, &l->remote_len)) {
      l->has_remote = 1;
    } else {
      l->has_remote = 0;
      status = -EINVAL;
    }
  } else {
    l->has_remote = 0;
  }
  l->hold = hold;
  for (int k = 0; k < 2; k++) {
    sock_t *s = k == 0 ? l->rtp : l->rtcp;
    if (clear) s->has_latch = 0;
    s->open = 1;
    /* A connected socket would hear only the old source: the next acceptable one must get through. */
    if (s->connected && s->fd >= 0) {
      struct sockaddr unspec;
      memset(&unspec, 0, sizeof unspec);
      unspec.sa_family = AF_UNSPEC;
      connect(s->fd, &unspec, sizeof unspec);
    }
    s->connected = 0;
  }
  return int_result(env, status);
}

/* setSeen(relay, slot, lockValue): the slot's remote as last applied */
static napi_value js_set_seen(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  relay_t *r = argc == 3 ? relay_arg(env, argv[0]) : NULL;
  int32_t slot, seen;
  if (r == NULL || !int_arg(env, argv[1], &slot) || !int_arg(env, argv[2], &seen)) THROW("setSeen: (relay, slot, seen) expected");
  flow_t *f = flow_of(r, slot);
  if (f != NULL) f->seen = seen;
  return NULL;
}

/* closeFlow(relay, slot): its four sockets, closed at once */
static napi_value js_close_flow(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  relay_t *r = argc == 2 ? relay_arg(env, argv[0]) : NULL;
  int32_t slot;
  if (r == NULL || !int_arg(env, argv[1], &slot)) THROW("closeFlow: (relay, slot) expected");
  close_flow(r, slot);
  return NULL;
}

/* closeAll(relay) */
static napi_value js_close_all(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  relay_t *r = argc == 1 ? relay_arg(env, argv[0]) : NULL;
  if (r == NULL) THROW("closeAll: (relay) expected");
  close_all(r);
  return NULL;
}

/* counters(relay) -> [recvErrors, sendErrors, punts] */
static napi_value js_counters(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  relay_t *r = argc == 1 ? relay_arg(env, argv[0]) : NULL;
  if (r == NULL) THROW("counters: (relay) expected");
  napi_value out, v;
  napi_create_array_with_length(env, 3, &out);
  double values[3] = {r->recv_errors, r->send_errors, r->punts};
  for (uint32_t i = 0; i < 3; i++) {
    napi_create_double(env, values[i], &v);
    napi_set_element(env, out, i, v);
  }
  return out;
}

static void export_fn(napi_env env, napi_value exports, const char *name, napi_callback cb) {
  napi_value fn;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &fn);
  napi_set_named_property(env, exports, name, fn);
}

NAPI_MODULE_INIT() {
  export_fn(env, exports, "create", js_create);
  export_fn(env, exports, "bind", js_bind);
  export_fn(env, exports, "closeSocket", js_close_socket);
  export_fn(env, exports, "startFlow", js_start_flow);
  export_fn(env, exports, "applyLeg", js_apply_leg);
  export_fn(env, exports, "setSeen", js_set_seen);
  export_fn(env, exports, "closeFlow", js_close_flow);
  export_fn(env, exports, "closeAll", js_close_all);
  export_fn(env, exports, "counters", js_counters);
  /* The slot layout compiled in, checked by the loader against src/media/slots.ts. */
  napi_value layout, v;
  napi_create_array_with_length(env, 7, &layout);
  int32_t fields[7] = {F_PACKETS, F_BYTES, F_RTCP_PACKETS, F_DROPPED, F_LAST_PACKET, F_SEQ, SEQ_FIELDS};
  for (uint32_t i = 0; i < 7; i++) {
    napi_create_int32(env, fields[i], &v);
    napi_set_element(env, layout, i, v);
  }
  napi_set_named_property(env, exports, "layout", layout);
  return exports;
}
