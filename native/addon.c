/* The functions JavaScript calls (src/media/native.ts lists them) and the module's entry (relay.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "relay.h"

#define THROW(msg)                                   \
  do {                                               \
    napi_throw_error(env, "SLUICE_ERR_NATIVE", msg); \
    return NULL;                                     \
  } while (0)

/* A call's arguments when there are exactly `n` and the first is a relay: that relay, else NULL. */
static relay_t *relay_args(napi_env env, napi_callback_info info, size_t n, napi_value *argv) {
  return external_args(env, info, n, argv);
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
  async_context_init(env, "sluice:media", &r->resource, &r->ctx);
  napi_add_async_cleanup_hook(env, relay_on_teardown, r, &r->cleanup);
  napi_value out;
  napi_create_external(env, r, NULL, NULL, &out);
  return out;
}

/* bind(relay, family 4|6, address, port) -> socket id, or -errno */
static napi_value js_bind(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  relay_t *r = relay_args(env, info, 4, argv);
  int32_t family, port;
  char address[INET6_ADDRSTRLEN + 64];
  size_t alen;
  if (r == NULL || !int_arg(env, argv[1], &family) || !int_arg(env, argv[3], &port) ||
      napi_get_value_string_latin1(env, argv[2], address, sizeof address, &alen) != napi_ok || port < 0 || port > 65535)
    THROW("bind: (relay, family, address, port) expected");
  return int_result(env, relay_bind_sock(r, family, address, port));
}

/* closeSocket(relay, id): a socket bound for a flow that never started */
static napi_value js_close_socket(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  relay_t *r = relay_args(env, info, 2, argv);
  int32_t id;
  if (r == NULL || !int_arg(env, argv[1], &id)) THROW("closeSocket: (relay, id) expected");
  sock_t *s = relay_sock_of(r, id);
  if (s != NULL && s->flow == NULL) relay_close_sock(r, s);
  return NULL;
}

/* startFlow(relay, slot, aRtp, aRtcp, bRtp, bRtcp, muxA, muxB, baseA, baseB, lockIndex, activityIndex) -> 0 or -errno */
static napi_value js_start_flow(napi_env env, napi_callback_info info) {
  napi_value argv[12];
  relay_t *r = relay_args(env, info, 12, argv);
  int32_t v[11];
  if (r == NULL) THROW("startFlow: 12 arguments expected");
  for (int i = 0; i < 11; i++)
    if (!int_arg(env, argv[i + 1], &v[i])) THROW("startFlow: integer arguments expected");
  int slot = v[0];
  sock_t *socks[4] = {relay_sock_of(r, v[1]), relay_sock_of(r, v[2]), relay_sock_of(r, v[3]), relay_sock_of(r, v[4])};
  for (int i = 0; i < 4; i++)
    if (socks[i] == NULL || socks[i]->flow != NULL) return int_result(env, -EBADF);
  for (int i = 7; i < 9; i++)
    if (v[i] < 0 || (size_t)v[i] + F_SEQ + SEQ_FIELDS > r->f64_len) return int_result(env, -ERANGE);
  if (v[9] < 0 || (size_t)v[9] >= r->i32_len || v[10] < 0 || (size_t)v[10] >= r->f64_len || slot < 0) return int_result(env, -ERANGE);
  if (relay_flow_of(r, slot) != NULL) return int_result(env, -EEXIST);
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
      s->polling = uv_poll_start(&s->poll, UV_READABLE, relay_on_readable) == 0;
    }
  }
  r->flows[slot] = f;
  return int_result(env, 0);
}

/* applyLeg(relay, slot, side, hold, address | null, rtpPort, rtcpPort, clearLatch) -> 0 or -errno */
static napi_value js_apply_leg(napi_env env, napi_callback_info info) {
  napi_value argv[8];
  relay_t *r = relay_args(env, info, 8, argv);
  int32_t slot, side, rtp_port, rtcp_port;
  bool hold, clear;
  if (r == NULL || !int_arg(env, argv[1], &slot) || !int_arg(env, argv[2], &side) || napi_get_value_bool(env, argv[3], &hold) != napi_ok ||
      !int_arg(env, argv[5], &rtp_port) || !int_arg(env, argv[6], &rtcp_port) || napi_get_value_bool(env, argv[7], &clear) != napi_ok ||
      side < 0 || side > 1)
    THROW("applyLeg: (relay, slot, side, hold, address, rtpPort, rtcpPort, clearLatch) expected");
  flow_t *f = relay_flow_of(r, slot);
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
    if (relay_parse_addr(address, rtp_port, &l->remote_rtp, &len) && relay_parse_addr(address, rtcp_port, &l->remote_rtcp, &l->remote_len)) {
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
  napi_value argv[3];
  relay_t *r = relay_args(env, info, 3, argv);
  int32_t slot, seen;
  if (r == NULL || !int_arg(env, argv[1], &slot) || !int_arg(env, argv[2], &seen)) THROW("setSeen: (relay, slot, seen) expected");
  flow_t *f = relay_flow_of(r, slot);
  if (f != NULL) f->seen = seen;
  return NULL;
}

/* closeFlow(relay, slot): its four sockets, closed at once */
static napi_value js_close_flow(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  relay_t *r = relay_args(env, info, 2, argv);
  int32_t slot;
  if (r == NULL || !int_arg(env, argv[1], &slot)) THROW("closeFlow: (relay, slot) expected");
  relay_close_flow(r, slot);
  return NULL;
}

/* closeAll(relay) */
static napi_value js_close_all(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  relay_t *r = relay_args(env, info, 1, argv);
  if (r == NULL) THROW("closeAll: (relay) expected");
  relay_close_all(r);
  return NULL;
}

/* counters(relay) -> [recvErrors, sendErrors, punts] */
static napi_value js_counters(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  relay_t *r = relay_args(env, info, 1, argv);
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
