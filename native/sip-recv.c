/*
 * Batched reading for the SIP transport's UDP sockets (src/transport/native-recv.ts). dgram reads
 * one datagram per recvmsg and makes one callback per datagram: a buffer of 64 KiB allocated and
 * shrunk, an rinfo object built property by property, a MakeCallback with its microtask
 * checkpoint, and one more recvmsg per wake-up to learn that the socket is empty. This reads up to
 * a batch of datagrams with one recvmmsg into a slab JavaScript owns, writes each one's length and
 * source into a table beside it, and makes one callback for the batch.
 *
 * It reads a duplicate of the listener's descriptor (dgram keeps the original, and sends on it
 * where the send thread cannot), polled on the main loop: no thread, no hand-over. JavaScript has
 * stopped dgram's own reading first.
 */
#include <errno.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "napi-util.h"
#include "sip-recv.h"

/*
 * Words of the table per datagram: length, port, family (4 or 6), address (one word for IPv4,
 * four for IPv6, in network order), and flags: bit 0 truncated, the rest an IPv6 scope id.
 */
#define META_WORDS 8
#define FLAG_TRUNCATED 1u
/* Batches read per wake-up at most, as libuv reads at most 32 datagrams: other handles get their turn. */
#define ROUNDS 4

typedef struct receiver {
  uv_poll_t poll;
  int fd;
  napi_env env;
  napi_ref on_batch;
  napi_ref resource;
  napi_async_context ctx;
  napi_ref slab_ref;
  napi_ref meta_ref;
  uint8_t *slab;
  uint32_t *meta;
  uint32_t slots;
  uint32_t slot_bytes;
  struct mmsghdr *msgs;
  struct iovec *iov;
  struct sockaddr_storage *from;
  int closed;
  /* The JS handle and the uv handle each hold one. */
  int refs;
  uint64_t batches, datagrams, errors, truncated;
  int last_error;
} receiver_t;

static void release(receiver_t *r) {
  if (--r->refs > 0) return;
  free(r->msgs);
  free(r->iov);
  free(r->from);
  free(r);
}

static void poll_closed(uv_handle_t *h) {
  receiver_t *r = h->data;
  close(r->fd);
  release(r);
}

static void cleanup(void *arg);

/* Stops reading (once): the descriptor closes with the poll handle, the memory with the last ref. */
static void stop_receiver(receiver_t *r) {
  if (r->closed) return;
  r->closed = 1;
  uv_poll_stop(&r->poll);
  napi_delete_reference(r->env, r->on_batch);
  napi_delete_reference(r->env, r->slab_ref);
  napi_delete_reference(r->env, r->meta_ref);
  napi_async_destroy(r->env, r->ctx);
  napi_delete_reference(r->env, r->resource);
  napi_remove_env_cleanup_hook(r->env, cleanup, r);
  uv_close((uv_handle_t *)&r->poll, poll_closed);
}

static void cleanup(void *arg) {
  stop_receiver(arg);
}

static void finalize(napi_env env, void *data, void *hint) {
  receiver_t *r = data;
  stop_receiver(r);
  release(r);
}

/* One slot's source into the table: IPv4 as one word in network order, IPv6 as four and its scope. */
static void write_source(uint32_t *m, const struct sockaddr_storage *ss) {
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
    m[1] = ntohs(a->sin_port);
    m[2] = 4;
    memcpy(&m[3], &a->sin_addr, 4);
    m[4] = m[5] = m[6] = 0;
  } else if (ss->ss_family == AF_INET6) {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
    m[1] = ntohs(a->sin6_port);
    m[2] = 6;
    memcpy(&m[3], &a->sin6_addr, 16);
    /* Only a link-local source names its interface, as dgram's rinfo does. */
    if (IN6_IS_ADDR_LINKLOCAL(&a->sin6_addr)) m[7] = a->sin6_scope_id << 1;
  } else {
    m[1] = 0;
    m[2] = 0;
    m[3] = m[4] = m[5] = m[6] = 0;
  }
}

static void on_readable(uv_poll_t *h, int status, int events) {
  receiver_t *r = h->data;
  if (r->closed) return;
  if (status < 0) {
    /*
     * An error pending on the socket (POLLERR): libuv has stopped the handle. Reading below
     * returns and clears the error; polling starts again, or the listener would go deaf.
     */
    r->errors++;
    r->last_error = status;
    if (uv_poll_start(&r->poll, UV_READABLE, on_readable) != 0) return;
  }
  for (int round = 0; round < ROUNDS && !r->closed; round++) {
    for (uint32_t i = 0; i < r->slots; i++) {
      r->msgs[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_storage);
      r->msgs[i].msg_hdr.msg_flags = 0;
    }
    int n = recvmmsg(r->fd, r->msgs, r->slots, MSG_DONTWAIT, NULL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
      /* An ICMP error a peer's unreachable port queued on the socket: counted, and read on. */
      r->errors++;
      r->last_error = -errno;
      continue;
    }
    if (n == 0) return;
    for (int i = 0; i < n; i++) {
      uint32_t *m = &r->meta[i * META_WORDS];
      m[0] = r->msgs[i].msg_len;
      m[7] = 0;
      write_source(m, &r->from[i]);
      if (r->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
        m[7] |= FLAG_TRUNCATED;
        r->truncated++;
      }
    }
    r->batches++;
    r->datagrams += (uint64_t)n;
    /* The callback may close this receiver: the poll handle's ref keeps it until its close callback. */
    napi_env env = r->env;
    napi_handle_scope scope;
    napi_open_handle_scope(env, &scope);
    napi_value cb, recv, arg, ignored;
    napi_get_reference_value(env, r->on_batch, &cb);
    napi_get_reference_value(env, r->resource, &recv);
    napi_create_uint32(env, (uint32_t)n, &arg);
    napi_status st = napi_make_callback(env, r->ctx, recv, cb, 1, &arg, &ignored);
    napi_close_handle_scope(env, scope);
    if (st != napi_ok) {
      rethrow_uncaught(env);
      return;
    }
    if (r->closed || (uint32_t)n < r->slots) return;
  }
}

static napi_value js_recv_open(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_valuetype t;
  int32_t fd = -1;
  void *slab = NULL, *meta = NULL;
  size_t slab_len = 0, meta_len = 0;
  napi_typedarray_type mt;
  napi_value ab;
  size_t off;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 4 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0 ||
      napi_get_buffer_info(env, argv[1], &slab, &slab_len) != napi_ok ||
      napi_get_typedarray_info(env, argv[2], &mt, &meta_len, &meta, &ab, &off) != napi_ok || mt != napi_uint32_array ||
      napi_typeof(env, argv[3], &t) != napi_ok || t != napi_function) {
    napi_throw_error(env, "SLUICE_ERR_NATIVE", "recvOpen(fd, slab, meta: Uint32Array, onBatch) expected");
    return NULL;
  }
  uint32_t slots = (uint32_t)(meta_len / META_WORDS);
  if (slots == 0 || slots > 1024 || slab_len / slots < 1500) {
    napi_throw_error(env, "SLUICE_ERR_NATIVE", "recvOpen: the table must have 1 to 1024 slots and the slab 1500 bytes each");
    return NULL;
  }
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) {
    napi_throw_error(env, "SLUICE_ERR_NATIVE", "no event loop");
    return NULL;
  }
  receiver_t *r = calloc(1, sizeof *r);
  if (r != NULL) {
    r->msgs = calloc(slots, sizeof *r->msgs);
    r->iov = calloc(slots, sizeof *r->iov);
    r->from = calloc(slots, sizeof *r->from);
  }
  if (r == NULL || r->msgs == NULL || r->iov == NULL || r->from == NULL) {
    if (r != NULL) {
      free(r->msgs);
      free(r->iov);
      free(r->from);
      free(r);
    }
    napi_throw_error(env, "SLUICE_ERR_NATIVE", "out of memory");
    return NULL;
  }
  r->fd = dup(fd);
  if (r->fd < 0) {
    int e = errno;
    free(r->msgs);
    free(r->iov);
    free(r->from);
    free(r);
    napi_throw_error(env, "SLUICE_ERR_NATIVE", e == EBADF ? "recvOpen: not an open descriptor" : "recvOpen: cannot duplicate the descriptor");
    return NULL;
  }
  r->env = env;
  r->refs = 2;
  r->slab = slab;
  r->meta = meta;
  r->slots = slots;
  r->slot_bytes = (uint32_t)(slab_len / slots > 65536 ? 65536 : slab_len / slots);
  for (uint32_t i = 0; i < slots; i++) {
    r->iov[i].iov_base = r->slab + (size_t)i * (slab_len / slots);
    r->iov[i].iov_len = r->slot_bytes;
    r->msgs[i].msg_hdr.msg_iov = &r->iov[i];
    r->msgs[i].msg_hdr.msg_iovlen = 1;
    r->msgs[i].msg_hdr.msg_name = &r->from[i];
  }
  napi_create_reference(env, argv[1], 1, &r->slab_ref);
  napi_create_reference(env, argv[2], 1, &r->meta_ref);
  napi_create_reference(env, argv[3], 1, &r->on_batch);
  async_context_init(env, "sluice:sip-recv", &r->resource, &r->ctx);
  napi_add_env_cleanup_hook(env, cleanup, r);
  r->poll.data = r;
  int e = uv_poll_init_socket(loop, &r->poll, r->fd);
  if (e == 0) e = uv_poll_start(&r->poll, UV_READABLE, on_readable);
  if (e != 0) {
    /* Not started: the poll handle may still need closing, which stop_receiver does. */
    stop_receiver(r);
    release(r);
    napi_throw_error(env, "SLUICE_ERR_NATIVE", uv_strerror(e));
    return NULL;
  }
  /* Left referenced: dgram's handle, no longer reading, stops keeping the loop alive; this does instead. */
  napi_value out;
  napi_create_external(env, r, finalize, NULL, &out);
  return out;
}

static receiver_t *receiver_arg(napi_env env, napi_callback_info info, size_t n, napi_value *argv) {
  receiver_t *r = external_args(env, info, n, argv);
  if (r == NULL) napi_throw_error(env, "SLUICE_ERR_NATIVE", "sip receiver: bad arguments");
  return r;
}

static napi_value js_recv_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  receiver_t *r = receiver_arg(env, info, 1, argv);
  if (r != NULL) stop_receiver(r);
  return NULL;
}

/* [batches, datagrams, errors, truncated, last error (-errno or 0)] */
static napi_value js_recv_counters(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  receiver_t *r = receiver_arg(env, info, 1, argv);
  if (r == NULL) return NULL;
  double v[5] = {(double)r->batches, (double)r->datagrams, (double)r->errors, (double)r->truncated, (double)r->last_error};
  napi_value out, x;
  napi_create_array_with_length(env, 5, &out);
  for (uint32_t i = 0; i < 5; i++) {
    napi_create_double(env, v[i], &x);
    napi_set_element(env, out, i, x);
  }
  return out;
}

/* addressText(table, word): a slot's source address as text (inet_ntop; an IPv6 scope as %name). */
static napi_value js_address_text(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  void *data = NULL;
  size_t len = 0, off;
  uint32_t at = 0;
  napi_typedarray_type t;
  napi_value ab;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2 ||
      napi_get_typedarray_info(env, argv[0], &t, &len, &data, &ab, &off) != napi_ok || t != napi_uint32_array ||
      napi_get_value_uint32(env, argv[1], &at) != napi_ok || (size_t)at + META_WORDS > len) {
    napi_throw_error(env, "SLUICE_ERR_NATIVE", "addressText(table, slotWord) expected");
    return NULL;
  }
  const uint32_t *m = (const uint32_t *)data + at;
  char text[INET6_ADDRSTRLEN + IF_NAMESIZE + 2] = "";
  if (m[2] == 4) inet_ntop(AF_INET, &m[3], text, sizeof text);
  else if (m[2] == 6 && inet_ntop(AF_INET6, &m[3], text, sizeof text) != NULL && (m[7] >> 1) != 0) {
    size_t l = strlen(text);
    text[l] = '%';
    if (if_indextoname(m[7] >> 1, text + l + 1) == NULL) snprintf(text + l + 1, sizeof text - l - 1, "%u", m[7] >> 1);
  }
  napi_value out;
  napi_create_string_latin1(env, text, NAPI_AUTO_LENGTH, &out);
  return out;
}

void sip_recv_register(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"recvOpen", NULL, js_recv_open, NULL, NULL, NULL, napi_default, NULL},
      {"recvClose", NULL, js_recv_close, NULL, NULL, NULL, napi_default, NULL},
      {"recvCounters", NULL, js_recv_counters, NULL, NULL, NULL, napi_default, NULL},
      {"addressText", NULL, js_address_text, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
