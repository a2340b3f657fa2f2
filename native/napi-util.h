/*
 * What both addons do the same way with Node-API: the relay (addon.c, forward.c) and the SIP send
 * thread (sip-send.c). Header-only: they are two targets, each built on its own.
 */
#ifndef SLUICE_NAPI_UTIL_H
#define SLUICE_NAPI_UTIL_H
#include <node_api.h>
#include <stdbool.h>

/* A call's arguments when there are exactly `n` and the first is an external: its pointer, else NULL. */
static inline void *external_args(napi_env env, napi_callback_info info, size_t n, napi_value *argv) {
  size_t argc = n;
  void *p = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != n || napi_get_value_external(env, argv[0], &p) != napi_ok) return NULL;
  return p;
}

/*
 * The async context of callbacks made from the loop (napi_make_callback), as dgram's come: the
 * promise jobs and ticks a callback queues then run after it. `resource` keeps its object alive.
 */
static inline void async_context_init(napi_env env, const char *name, napi_ref *resource, napi_async_context *ctx) {
  napi_value object, text;
  napi_create_object(env, &object);
  napi_create_reference(env, object, 1, resource);
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &text);
  napi_async_init(env, object, text, ctx);
}

/* An exception a callback made from the loop left pending: uncaught, as one thrown in a dgram listener. */
static inline void rethrow_uncaught(napi_env env) {
  bool pending = false;
  napi_value e;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending && napi_get_and_clear_last_exception(env, &e) == napi_ok) napi_fatal_exception(env, e);
}
#endif
