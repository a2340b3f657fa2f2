/*
 * Sluice's native media I/O: the per-packet path of src/media/native-forwarder.ts. This header
 * holds what its files share: forward.c (the per-packet path), streams.c (sockets and streams)
 * and addon.c (the functions JavaScript calls).
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
#ifndef SLUICE_RELAY_H
#define SLUICE_RELAY_H
#include <netinet/in.h>
#include <node_api.h>
#include "napi-util.h"
#include <stdint.h>
#include <sys/socket.h>
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

/* forward.c: the per-packet path (a uv_poll callback). */
void relay_on_readable(uv_poll_t *h, int status, int events);

/* streams.c: sockets and streams. */
int relay_parse_addr(const char *text, int port, struct sockaddr_storage *out, socklen_t *len);
int relay_bind_sock(relay_t *r, int family, const char *address, int port);
sock_t *relay_sock_of(relay_t *r, int id);
flow_t *relay_flow_of(relay_t *r, int slot);
void relay_close_sock(relay_t *r, sock_t *s);
void relay_close_flow(relay_t *r, int slot);
void relay_close_all(relay_t *r);
void relay_on_teardown(napi_async_cleanup_hook_handle handle, void *arg);

#endif
