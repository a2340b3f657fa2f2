/*
 * The RTP load generator of the media benchmarks in C (bench/lib/native-generator.ts builds and
 * drives it; bench/lib/rtp-generator.ts is the Node one it replaces where a compiler is present).
 * The Node generator spends about 7 us of CPU per packet it sends and receives, so on this
 * 2-core host it, not the relay, set the ceiling near 140,000 packets/s. This one sends with
 * sendmmsg and receives with recvmmsg.
 *
 * It plays both parties of N G.711 calls (172-byte RTP, 20 ms, seq +1, timestamp +160, one SSRC
 * per direction), spread over SLOTS send slots per 20 ms. Parties share GROUP sockets per side
 * (stream i sends from socket i % GROUP of its side): a relay latches and answers each stream's
 * source as it would a phone's, and the generator batches its system calls.
 *
 * Protocol: one command per line on stdin, one JSON line per reply on stdout (the replies of
 * bench/lib/rtp-generator.ts):
 *   prepare N                       -> {"type":"ready","ports":[[a,b],...]}
 *   run SECONDS DRAIN_MS N a1 b1 .. -> {"type":"result",...}
 *   release                         -> {"type":"released"}
 * Bounded by its input: a run lasts SECONDS + DRAIN_MS; stdin closing ends the process.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PACKET 172
#define PERIOD_MS 20.0
#define SLOTS 10
#define GROUP 16
#define BATCH 64
#define HIST 2001
#define MAX_STREAMS 20000

typedef struct {
  uint32_t ssrc;
  uint16_t seq;
  uint32_t ts;
  unsigned char buf[PACKET];
  struct sockaddr_in to;
} party_t;

static int socks[2 * GROUP];
static int nsocks;
static int ports[2 * GROUP];
static party_t *parties; /* 2 per stream: A then B */
static int streams;
static unsigned latency[HIST], lag[HIST];
static double received, sent;
static int ep = -1;

static double mono_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static double cpu_seconds(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6;
}

static void release(void) {
  for (int i = 0; i < nsocks; i++) close(socks[i]);
  nsocks = 0;
  if (ep >= 0) close(ep);
  ep = -1;
  free(parties);
  parties = NULL;
  streams = 0;
}

static int prepare(int n) {
  release();
  if (n < 1 || n > MAX_STREAMS) return -1;
  ep = epoll_create1(EPOLL_CLOEXEC);
  for (int i = 0; i < 2 * GROUP; i++) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = 0};
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) return -1;
    /* Each socket carries 1/GROUP of a side: room for a stall of the loop. FORCE needs root. */
    int rcv = 8 << 20, snd = 4 << 20;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof rcv) != 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &snd, sizeof snd) != 0) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof snd);
    socklen_t len = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &len);
    ports[i] = ntohs(a.sin_port);
    socks[nsocks++] = fd;
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  }
  parties = calloc(2 * (size_t)n, sizeof *parties);
  if (parties == NULL) return -1;
  streams = n;
  for (int i = 0; i < 2 * n; i++) {
    party_t *p = &parties[i];
    p->ssrc = (uint32_t)random() ^ ((uint32_t)random() << 16);
    p->seq = random() & 0xffff;
    p->ts = (uint32_t)random();
    memset(p->buf, 0xff, PACKET); /* mu-law silence */
    p->buf[0] = 0x80;
    p->buf[1] = 0;
    uint32_t s = htonl(p->ssrc);
    memcpy(p->buf + 8, &s, 4);
  }
  printf("{\"type\":\"ready\",\"ports\":[");
  for (int i = 0; i < n; i++) printf("%s[%d,%d]", i ? "," : "", ports[i % GROUP], ports[GROUP + i % GROUP]);
  printf("]}\n");
  fflush(stdout);
  return 0;
}

static struct mmsghdr in[BATCH];
static struct iovec in_iov[BATCH];
static unsigned char in_buf[BATCH][2048];

static void drain(int fd) {
  for (int round = 0; round < 16; round++) {
    for (int i = 0; i < BATCH; i++) {
      in_iov[i].iov_base = in_buf[i];
      in_iov[i].iov_len = sizeof in_buf[i];
      memset(&in[i].msg_hdr, 0, sizeof in[i].msg_hdr);
      in[i].msg_hdr.msg_iov = &in_iov[i];
      in[i].msg_hdr.msg_iovlen = 1;
    }
    int n = recvmmsg(fd, in, BATCH, MSG_DONTWAIT, NULL);
    if (n <= 0) return;
    double now = mono_ms();
    for (int i = 0; i < n; i++) {
      received += 1;
      if (in[i].msg_len == PACKET) {
        double sent;
        memcpy(&sent, in_buf[i] + 12, 8);
        long ms = lround(now - sent);
        latency[ms < 0 ? 0 : ms >= HIST ? HIST - 1 : ms]++;
      }
    }
    if (n < BATCH) return;
  }
}

static void poll_for(double ms) {
  struct epoll_event evs[2 * GROUP];
  int timeout = ms <= 0 ? 0 : (int)ceil(ms);
  int n = epoll_wait(ep, evs, 2 * GROUP, timeout);
  for (int i = 0; i < n; i++) drain(socks[evs[i].data.u32]);
}

/* Per side, a batch of the packets the slot sends through each socket. */
static struct mmsghdr out[GROUP][BATCH];
static struct iovec out_iov[GROUP][BATCH];
static int out_n[GROUP];

static void flush(int side, int g) {
  int done = 0, waits = 0;
  while (done < out_n[g]) {
    int k = sendmmsg(socks[side * GROUP + g], &out[g][done], out_n[g] - done, MSG_DONTWAIT);
    if (k > 0) {
      done += k;
      continue;
    }
    /* A full send buffer (the relay not reading) waits a little, boundedly; anything else, or a
       buffer still full, loses that packet, as a phone's would be. */
    if (k < 0 && errno == EAGAIN && waits++ < 3) {
      poll_for(1);
      continue;
    }
    done++;
  }
  out_n[g] = 0;
}

static void queue(int side, party_t *p, int first) {
  p->buf[1] = first ? 0x80 : 0;
  uint16_t seq = htons(p->seq);
  uint32_t ts = htonl(p->ts);
  memcpy(p->buf + 2, &seq, 2);
  memcpy(p->buf + 4, &ts, 4);
  double now = mono_ms();
  memcpy(p->buf + 12, &now, 8);
  p->seq++;
  p->ts += 160;
  sent += 1;
  int g = (int)((p - parties) / 2) % GROUP;
  int k = out_n[g]++;
  out_iov[g][k].iov_base = p->buf;
  out_iov[g][k].iov_len = PACKET;
  memset(&out[g][k].msg_hdr, 0, sizeof out[g][k].msg_hdr);
  out[g][k].msg_hdr.msg_name = &p->to;
  out[g][k].msg_hdr.msg_namelen = sizeof p->to;
  out[g][k].msg_hdr.msg_iov = &out_iov[g][k];
  out[g][k].msg_hdr.msg_iovlen = 1;
  if (out_n[g] == BATCH) flush(side, g);
}

static int percentile(const unsigned *h, double q) {
  double total = 0, acc = 0;
  for (int i = 0; i < HIST; i++) total += h[i];
  if (total == 0) return 0;
  for (int i = 0; i < HIST; i++) {
    acc += h[i];
    if (acc >= q * total) return i;
  }
  return HIST - 1;
}

static int max_of(const unsigned *h) {
  for (int i = HIST - 1; i >= 0; i--)
    if (h[i] > 0) return i;
  return 0;
}

static void run(double seconds, double drain_ms) {
  memset(latency, 0, sizeof latency);
  memset(lag, 0, sizeof lag);
  received = 0;
  long ticks = lround(seconds * (1000 / PERIOD_MS));
  long total = ticks * SLOTS, slot = 0, late_slots = 0;
  double slot_ms = PERIOD_MS / SLOTS;
  sent = 0;
  double cpu0 = cpu_seconds();
  double t0 = mono_ms() + 5;
  while (slot < total) {
    double now = mono_ms();
    /* Catch up on every slot that is due: a late slot still sends, so the offered load stays honest. */
    while (slot < total && t0 + slot * slot_ms <= now) {
      double l = now - (t0 + slot * slot_ms);
      lag[l >= HIST - 1 ? HIST - 1 : (int)lround(l)]++;
      if (l > PERIOD_MS) late_slots++;
      int phase = slot % SLOTS, first = slot < SLOTS;
      for (int side = 0; side < 2; side++) {
        for (int i = phase; i < streams; i += SLOTS) queue(side, &parties[2 * i + side], first);
        for (int g = 0; g < GROUP; g++)
          if (out_n[g] > 0) flush(side, g);
      }
      slot++;
    }
    if (slot >= total) break;
    poll_for(t0 + slot * slot_ms - mono_ms());
  }
  double wall = (mono_ms() - t0) / 1000;
  double cpu = cpu_seconds() - cpu0;
  double end = mono_ms() + drain_ms;
  for (double left = drain_ms; left > 0; left = end - mono_ms()) poll_for(left);
  printf("{\"type\":\"result\",\"streams\":%d,\"seconds\":%g,\"sent\":%.0f,\"received\":%.0f,\"planned\":%ld,", streams, seconds, sent, received, (long)streams * 2 * ticks);
  printf("\"lagMs\":{\"p50\":%d,\"p99\":%d,\"max\":%d},\"lateSlots\":%ld,\"slots\":%ld,", percentile(lag, 0.5), percentile(lag, 0.99), max_of(lag), late_slots, total);
  printf("\"latencyMs\":{\"p50\":%d,\"p99\":%d,\"max\":%d},\"cpuSeconds\":%.4f,\"wallSeconds\":%.4f}\n", percentile(latency, 0.5), percentile(latency, 0.99), max_of(latency), cpu, wall);
  fflush(stdout);
}

static void fail(const char *why) {
  printf("{\"type\":\"error\",\"message\":\"%s\"}\n", why);
  fflush(stdout);
}

int main(void) {
  srandom((unsigned)time(NULL) ^ (unsigned)getpid());
  size_t cap = 0;
  char *line = NULL;
  while (getline(&line, &cap, stdin) > 0) {
    char *p = line;
    if (strncmp(p, "prepare ", 8) == 0) {
      if (prepare(atoi(p + 8)) != 0) fail("prepare: could not bind the generator's sockets");
    } else if (strncmp(p, "run ", 4) == 0) {
      char *end;
      double seconds = strtod(p + 4, &end);
      double drain_ms = strtod(end, &end);
      long n = strtol(end, &end, 10);
      if (n != streams || !(seconds > 0 && seconds <= 600) || !(drain_ms >= 0 && drain_ms <= 60000)) {
        fail("run: SECONDS DRAIN_MS N and N target pairs, N as prepared");
        continue;
      }
      int ok = 1;
      for (long i = 0; i < 2 * n && ok; i++) {
        long port = strtol(end, &end, 10);
        if (port <= 0 || port > 65535) ok = 0;
        struct sockaddr_in *to = &parties[i].to;
        to->sin_family = AF_INET;
        to->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        to->sin_port = htons((uint16_t)port);
      }
      if (!ok) fail("run: a target port is out of range");
      else run(seconds, drain_ms);
    } else if (strncmp(p, "release", 7) == 0) {
      release();
      printf("{\"type\":\"released\"}\n");
      fflush(stdout);
    } else {
      fail("unknown command");
    }
  }
  free(line);
  release();
  return 0;
}
