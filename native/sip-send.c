/*
 * A send thread for the SIP transport's UDP sockets (src/transport/native-send.ts). JavaScript
 * copies each datagram into a queue and wakes the thread once per event-loop turn; the thread
 * sends the queue with sendmmsg. On loopback, and to any receiver on this host, sendmsg does the
 * receiver's delivery too (a sixth of the main thread's time at 4,000 calls/s, with dgram's own
 * work per send): here it runs on another core while the main thread reads the next messages.
 *
 * A turn of few datagrams, when the thread sleeps, is sent by the main thread itself (inline_max,
 * sip.udpSendInline): waking the thread costs more than those sends on a host where a wake-up is
 * dear (a futex wake and an IPI each way), and at a low call rate most turns are such turns. What
 * would block (a full socket buffer) is left to the thread, which waits for room.
 *
 * Completion is read, not signalled: the thread publishes the sequence number of the last
 * datagram it finished, and JavaScript settles its callbacks up to it when it next sends (or on a
 * slow timer). Only a failed send wakes the main loop (uv_async), with its sequence and errno.
 */
#include <errno.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <node_api.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <uv.h>

#include "napi-util.h"
#include "sip-recv.h"

#define CHUNK 64
#define ERRORS 256
/* What the queue may hold before a send is refused (ENOBUFS): the thread is stuck, not slow. */
#define QUEUE_MAX_BYTES (32u << 20)
/* How long the thread waits for room in the socket's buffer before failing a datagram. */
#define BUFFER_WAIT_MS 200

typedef struct {
  int fd;
  uint32_t off;
  uint32_t len;
  struct sockaddr_storage to;
  socklen_t tolen;
} item_t;

typedef struct {
  uint8_t *bytes;
  size_t len, cap;
  item_t *items;
  size_t n, ncap;
  uint32_t first; /* sequence number of items[0] */
} queue_t;

typedef struct {
  uint32_t seq;
  int32_t err;
} failure_t;

typedef struct sender {
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  pthread_cond_t done_cv; /* broadcast after each queue sent: drain() waits on it */
  queue_t q[2];
  int filling; /* the queue JavaScript appends to; the other is the thread's */
  int waiting; /* the thread sleeps on cv */
  int stopping;
  int started;
  uint32_t queued; /* sequence number of the last datagram queued (main thread only) */
  uint32_t inline_max; /* a flush of at most this many datagrams, the thread asleep, sends them itself */
  _Atomic uint32_t completed;
  failure_t failures[ERRORS];
  _Atomic uint32_t fail_w; /* written by whichever sends: the thread, or the main thread inline while it sleeps */
  _Atomic uint32_t fail_r; /* written by the main thread as it reports them */
  _Atomic uint64_t sent, failed, lost_failures, batches, buffer_waits, wakes, inline_batches;
  uv_async_t async;
  napi_env env;
  napi_ref on_failure;
  napi_ref resource;
  napi_async_context ctx;
  int closed;
  /* The JS handle and the uv handle each hold one: the memory goes when both let go. */
  int refs;
} sender_t;

static void record_failure(sender_t *s, uint32_t seq, int err) {
  uint32_t w = atomic_load_explicit(&s->fail_w, memory_order_relaxed);
  if (w - atomic_load_explicit(&s->fail_r, memory_order_acquire) >= ERRORS) {
    /* The main thread has not read the ring: its callback still settles (as sent); counted. */
    atomic_fetch_add(&s->lost_failures, 1);
    return;
  }
  s->failures[w % ERRORS] = (failure_t){seq, err};
  atomic_store_explicit(&s->fail_w, w + 1, memory_order_release);
}

/*
 * Sends a queue's datagrams in order, each run of datagrams from one socket with one sendmmsg; a
 * datagram that fails is recorded and skipped. Where the socket's buffer is full, the send thread
 * (`wait`) waits for room once; the main thread stops there instead. Returns how many of the
 * queue's datagrams are done (sent or failed), and publishes them as completed.
 */
static size_t send_items(sender_t *s, queue_t *q, int wait) {
  struct mmsghdr msgs[CHUNK];
  struct iovec iov[CHUNK];
  size_t i = 0;
  int failed = 0;
  while (i < q->n) {
    int fd = q->items[i].fd;
    size_t n = 1;
    while (n < CHUNK && i + n < q->n && q->items[i + n].fd == fd) n++;
    for (size_t k = 0; k < n; k++) {
      item_t *it = &q->items[i + k];
      iov[k].iov_base = q->bytes + it->off;
      iov[k].iov_len = it->len;
      memset(&msgs[k].msg_hdr, 0, sizeof msgs[k].msg_hdr);
      msgs[k].msg_hdr.msg_name = &it->to;
      msgs[k].msg_hdr.msg_namelen = it->tolen;
      msgs[k].msg_hdr.msg_iov = &iov[k];
      msgs[k].msg_hdr.msg_iovlen = 1;
    }
    int r = sendmmsg(fd, msgs, (unsigned)n, 0);
    if (r > 0) {
      atomic_fetch_add(&s->sent, (uint64_t)r);
      i += (size_t)r;
      continue;
    }
    int err = r < 0 ? errno : EIO;
    if (err == EINTR) continue;
    if (err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS) {
      if (!wait) break;
      /* The socket's buffer is full (the fd is non-blocking: libuv's): wait for room, once. */
      struct pollfd p = {.fd = fd, .events = POLLOUT};
      atomic_fetch_add(&s->buffer_waits, 1);
      if (poll(&p, 1, BUFFER_WAIT_MS) > 0 && (p.revents & POLLOUT)) {
        r = sendmmsg(fd, msgs, (unsigned)n, 0);
        if (r > 0) {
          atomic_fetch_add(&s->sent, (uint64_t)r);
          i += (size_t)r;
          continue;
        }
        err = r < 0 ? errno : EIO;
      }
    }
    record_failure(s, q->first + (uint32_t)i, err);
    atomic_fetch_add(&s->failed, 1);
    failed = 1;
    i++;
  }
  atomic_fetch_add(&s->batches, 1);
  if (i > 0) atomic_store_explicit(&s->completed, q->first + (uint32_t)i - 1, memory_order_release);
  if (failed) uv_async_send(&s->async);
  return i;
}

static void *run(void *arg) {
  sender_t *s = arg;
  pthread_mutex_lock(&s->mu);
  for (;;) {
    while (!s->stopping && s->q[s->filling].n == 0) {
      s->waiting = 1;
      pthread_cond_wait(&s->cv, &s->mu);
      s->waiting = 0;
    }
    queue_t *q = &s->q[s->filling];
    if (q->n == 0) break; /* stopping, and nothing left to send */
    s->filling ^= 1;
    pthread_mutex_unlock(&s->mu);
    send_items(s, q, 1);
    q->n = 0;
    q->len = 0;
    pthread_mutex_lock(&s->mu);
    pthread_cond_broadcast(&s->done_cv);
  }
  pthread_mutex_unlock(&s->mu);
  return NULL;
}

/* ---- the main thread's side ---------------------------------------------------------------- */

static napi_value num(napi_env env, double v) {
  napi_value out;
  napi_create_double(env, v, &out);
  return out;
}

static sender_t *sender_arg(napi_env env, napi_callback_info info, size_t n, napi_value *argv) {
  sender_t *s = external_args(env, info, n, argv);
  if (s == NULL) {
    napi_throw_error(env, "SLUICE_ERR_NATIVE", "sip sender: bad arguments");
    return NULL;
  }
  if (s->closed) {
    napi_throw_error(env, "SLUICE_ERR_NATIVE", "sip sender: closed");
    return NULL;
  }
  return s;
}

/*
 * Failed sends, on the main loop: onFailure(seq, errno) for each, through make_callback (as
 * dgram's own callbacks come), so that what the callback queued (promise jobs, ticks) runs after it.
 */
static void on_async(uv_async_t *h) {
  sender_t *s = h->data;
  if (s->closed) return;
  uint32_t w = atomic_load_explicit(&s->fail_w, memory_order_acquire);
  uint32_t r = atomic_load_explicit(&s->fail_r, memory_order_relaxed);
  if (w == r) return;
  napi_handle_scope scope;
  napi_open_handle_scope(s->env, &scope);
  napi_value cb, recv, argv[2];
  napi_get_reference_value(s->env, s->on_failure, &cb);
  napi_get_reference_value(s->env, s->resource, &recv);
  while (r != w) {
    failure_t f = s->failures[r % ERRORS];
    r++;
    atomic_store_explicit(&s->fail_r, r, memory_order_release);
    argv[0] = num(s->env, f.seq);
    argv[1] = num(s->env, f.err);
    napi_value ignored;
    if (napi_make_callback(s->env, s->ctx, recv, cb, 2, argv, &ignored) != napi_ok) {
      rethrow_uncaught(s->env);
      break;
    }
  }
  napi_close_handle_scope(s->env, scope);
}

static void release(sender_t *s) {
  if (--s->refs > 0) return;
  pthread_mutex_destroy(&s->mu);
  pthread_cond_destroy(&s->cv);
  pthread_cond_destroy(&s->done_cv);
  free(s);
}

static void handle_closed(uv_handle_t *h) {
  release(h->data);
}

static void cleanup(void *arg);

/* Stops the thread after it has sent what was queued (once); the memory goes with the last ref. */
static void stop_sender(sender_t *s) {
  if (s->closed) return;
  s->closed = 1;
  pthread_mutex_lock(&s->mu);
  s->stopping = 1;
  pthread_cond_signal(&s->cv);
  pthread_mutex_unlock(&s->mu);
  if (s->started) pthread_join(s->thread, NULL);
  s->started = 0;
  for (int i = 0; i < 2; i++) {
    free(s->q[i].bytes);
    free(s->q[i].items);
    s->q[i] = (queue_t){0};
  }
  napi_delete_reference(s->env, s->on_failure);
  napi_async_destroy(s->env, s->ctx);
  napi_delete_reference(s->env, s->resource);
  napi_remove_env_cleanup_hook(s->env, cleanup, s);
  uv_close((uv_handle_t *)&s->async, handle_closed);
}

static void cleanup(void *arg) {
  stop_sender(arg);
}

/* The JS handle was collected: a sender never closed stops here. */
static void finalize(napi_env env, void *data, void *hint) {
  sender_t *s = data;
  stop_sender(s);
  release(s);
}

/*
 * open(onFailure(seq, errno), inlineMax = 0): a send thread, for any number of bound, non-blocking
 * UDP sockets; a flush of at most inlineMax datagrams while the thread sleeps is sent inline.
 */
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_valuetype t;
  uint32_t inline_max = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || napi_typeof(env, argv[0], &t) != napi_ok || t != napi_function ||
      (argc == 2 && napi_get_value_uint32(env, argv[1], &inline_max) != napi_ok)) {
    napi_throw_error(env, "SLUICE_ERR_NATIVE", "open(onFailure, inlineMax?) expected");
    return NULL;
  }
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) {
    napi_throw_error(env, "SLUICE_ERR_NATIVE", "no event loop");
    return NULL;
  }
  sender_t *s = calloc(1, sizeof *s);
  if (s == NULL) {
    napi_throw_error(env, "SLUICE_ERR_NATIVE", "out of memory");
    return NULL;
  }
  s->env = env;
  s->refs = 2;
  s->inline_max = inline_max;
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->cv, NULL);
  pthread_cond_init(&s->done_cv, NULL);
  s->async.data = s;
  uv_async_init(loop, &s->async, on_async);
  /* The handle must not keep the loop alive: the listener's socket does that. */
  uv_unref((uv_handle_t *)&s->async);
  napi_create_reference(env, argv[0], 1, &s->on_failure);
  async_context_init(env, "sluice:sip-send", &s->resource, &s->ctx);
  napi_add_env_cleanup_hook(env, cleanup, s);
  if (pthread_create(&s->thread, NULL, run, s) != 0) {
    stop_sender(s);
    release(s);
    napi_throw_error(env, "SLUICE_ERR_NATIVE", "cannot start the send thread");
    return NULL;
  }
  s->started = 1;
  napi_value out;
  napi_create_external(env, s, finalize, NULL, &out);
  return out;
}

static int grow(void **p, size_t *cap, size_t need, size_t size) {
  if (need <= *cap) return 1;
  size_t c = *cap == 0 ? 64 : *cap;
  while (c < need) c *= 2;
  void *n = realloc(*p, c * size);
  if (n == NULL) return 0;
  *p = n;
  *cap = c;
  return 1;
}

/*
 * send(sender, fd, family, bytes, port, address): queues a copy of the datagram for the socket
 * `fd` (of `family`, 4 or 6); returns its sequence number (a uint32, wrapping), or -errno when it
 * cannot be queued (a bad address: EINVAL; the queue full: ENOBUFS). `bytes` is a Buffer, or a
 * string of latin1 text (a byte per code unit, as SIP text is kept), written straight into the
 * queue: no Buffer is made for it on the way.
 */
static napi_value js_send(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  sender_t *s = sender_arg(env, info, 6, argv);
  if (s == NULL) return NULL;
  void *data = NULL;
  size_t len;
  int32_t fd, family, port;
  /* An IPv6 address may carry a zone: fe80::1%eth0 (a name) or fe80::1%2 (an index). */
  char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
  size_t hostLen;
  napi_valuetype bytesType;
  int text = napi_typeof(env, argv[3], &bytesType) == napi_ok && bytesType == napi_string;
  /* For text, only its length now (no buffer given: nothing is copied). */
  napi_status bytesRead = text ? napi_get_value_string_latin1(env, argv[3], NULL, 0, &len) : napi_get_buffer_info(env, argv[3], &data, &len);
  if (napi_get_value_int32(env, argv[1], &fd) != napi_ok || napi_get_value_int32(env, argv[2], &family) != napi_ok ||
      bytesRead != napi_ok || napi_get_value_int32(env, argv[4], &port) != napi_ok ||
      napi_get_value_string_latin1(env, argv[5], host, sizeof host, &hostLen) != napi_ok) {
    napi_throw_error(env, "SLUICE_ERR_NATIVE", "send(sender, fd, family, buffer or latin1 string, port, address) expected");
    return NULL;
  }
  item_t it = {0};
  if (fd < 0 || (family != 4 && family != 6) || port <= 0 || port > 65535 || len > 65535 || hostLen >= sizeof host - 1) return num(env, -EINVAL);
  it.fd = fd;
  if (family == 4) {
    struct sockaddr_in *a = (struct sockaddr_in *)&it.to;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &a->sin_addr) != 1) return num(env, -EINVAL);
    it.tolen = sizeof *a;
  } else {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&it.to;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    char *zone = strchr(host, '%');
    if (zone != NULL) {
      *zone++ = '\0';
      char *end;
      unsigned long index = strtoul(zone, &end, 10);
      a->sin6_scope_id = *zone != '\0' && *end == '\0' ? (uint32_t)index : if_nametoindex(zone);
      if (a->sin6_scope_id == 0) return num(env, -EINVAL);
    }
    if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1) return num(env, -EINVAL);
    it.tolen = sizeof *a;
  }
  it.len = (uint32_t)len;
  pthread_mutex_lock(&s->mu);
  queue_t *q = &s->q[s->filling];
  /* Room for one byte more: napi writes text with a terminating NUL (the next datagram's first byte). */
  if (q->len + len > QUEUE_MAX_BYTES || !grow((void **)&q->bytes, &q->cap, q->len + len + 1, 1) || !grow((void **)&q->items, &q->ncap, q->n + 1, sizeof(item_t))) {
    pthread_mutex_unlock(&s->mu);
    return num(env, -ENOBUFS);
  }
  it.off = (uint32_t)q->len;
  if (!text) {
    memcpy(q->bytes + q->len, data, len);
  } else {
    size_t copied = 0;
    if (napi_get_value_string_latin1(env, argv[3], (char *)q->bytes + q->len, len + 1, &copied) != napi_ok || copied != len) {
      pthread_mutex_unlock(&s->mu);
      return num(env, -EINVAL);
    }
  }
  q->len += len;
  uint32_t seq = ++s->queued;
  if (q->n == 0) q->first = seq;
  q->items[q->n++] = it;
  pthread_mutex_unlock(&s->mu);
  return num(env, seq);
}

/*
 * flush(sender): a turn's datagrams leave. While the thread sleeps, a queue of at most inline_max
 * is sent here, under the lock (the thread takes a queue only under it, and only this thread
 * fills one); what would block is moved to the queue's front for the thread. Otherwise, and for
 * that rest, the thread is woken if it sleeps.
 */
static napi_value js_flush(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  sender_t *s = sender_arg(env, info, 1, argv);
  if (s == NULL) return NULL;
  pthread_mutex_lock(&s->mu);
  queue_t *q = &s->q[s->filling];
  int wake = s->waiting && q->n > 0;
  if (wake && q->n <= s->inline_max) {
    size_t done = send_items(s, q, 0);
    atomic_fetch_add(&s->inline_batches, 1);
    if (done == q->n) {
      q->n = 0;
      q->len = 0;
      wake = 0;
    } else {
      memmove(q->items, q->items + done, (q->n - done) * sizeof(item_t));
      q->n -= done;
      q->first += (uint32_t)done;
    }
  }
  pthread_mutex_unlock(&s->mu);
  /*
   * Signalled after the unlock: a thread woken under the lock would block on the mutex at once,
   * and the unlock would then wake it a second time (a futex call on each side). The thread checks
   * its queue under the lock before it waits, so a datagram queued before this cannot be missed.
   */
  if (wake) {
    atomic_fetch_add(&s->wakes, 1);
    pthread_cond_signal(&s->cv);
  }
  return NULL;
}

/*
 * drain(sender): returns once the thread has sent (or failed) every datagram queued so far. A
 * socket must not close while the thread may still send on its descriptor (which the next socket
 * opened could reuse); stopping a listener waits here, a few microseconds at most.
 */
static napi_value js_drain(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  sender_t *s = sender_arg(env, info, 1, argv);
  if (s == NULL) return NULL;
  pthread_mutex_lock(&s->mu);
  uint32_t last = s->queued;
  pthread_cond_signal(&s->cv);
  while (atomic_load_explicit(&s->completed, memory_order_acquire) != last) pthread_cond_wait(&s->done_cv, &s->mu);
  pthread_mutex_unlock(&s->mu);
  return NULL;
}

/*
 * completed(sender): the sequence number of the last datagram the thread finished, short of the
 * first failure not yet reported (JavaScript settles every callback up to it as sent). A failure
 * is recorded before `completed` passes it, so reading `completed` first sees all of them.
 */
static napi_value js_completed(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  sender_t *s = sender_arg(env, info, 1, argv);
  if (s == NULL) return NULL;
  uint32_t completed = atomic_load_explicit(&s->completed, memory_order_acquire);
  uint32_t w = atomic_load_explicit(&s->fail_w, memory_order_acquire);
  uint32_t r = atomic_load_explicit(&s->fail_r, memory_order_relaxed);
  if (w != r) completed = s->failures[r % ERRORS].seq - 1;
  return num(env, completed);
}

/* counters(sender): [sent, failed, failures not reported, batches, waits for buffer room, wakes, batches sent inline]. */
static napi_value js_counters(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  sender_t *s = sender_arg(env, info, 1, argv);
  if (s == NULL) return NULL;
  napi_value out;
  napi_create_array_with_length(env, 7, &out);
  uint64_t v[7] = {atomic_load(&s->sent), atomic_load(&s->failed), atomic_load(&s->lost_failures), atomic_load(&s->batches), atomic_load(&s->buffer_waits), atomic_load(&s->wakes), atomic_load(&s->inline_batches)};
  for (uint32_t i = 0; i < 7; i++) napi_set_element(env, out, i, num(env, (double)v[i]));
  return out;
}

/* close(sender): sends what is queued, stops the thread; failures still pending are reported first. */
static napi_value js_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  sender_t *s = sender_arg(env, info, 1, argv);
  if (s == NULL) return NULL;
  pthread_mutex_lock(&s->mu);
  s->stopping = 1;
  pthread_cond_signal(&s->cv);
  pthread_mutex_unlock(&s->mu);
  pthread_join(s->thread, NULL);
  s->started = 0;
  on_async(&s->async);
  stop_sender(s);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL},
      {"send", NULL, js_send, NULL, NULL, NULL, napi_default, NULL},
      {"flush", NULL, js_flush, NULL, NULL, NULL, napi_default, NULL},
      {"drain", NULL, js_drain, NULL, NULL, NULL, napi_default, NULL},
      {"completed", NULL, js_completed, NULL, NULL, NULL, napi_default, NULL},
      {"counters", NULL, js_counters, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  sip_recv_register(env, exports);
  return exports;
}
