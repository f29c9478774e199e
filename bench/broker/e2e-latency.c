/*
 * Produce-to-consume latency with librdkafka in one C process, in the manner of Kafka's own
 * end-to-end latency tool: a producer paced at RATE records/s (one record every 1/RATE s,
 * each value starting with its CLOCK_MONOTONIC send time in ns), a consumer on a second
 * thread reading the partition from the beginning, and every record's latency printed in ms,
 * one per line, for records sent after the warm-up. No Node event loop or GC is in the path,
 * so what is measured is the broker plus librdkafka.
 *
 * Build: cc -O2 -o e2e-latency e2e-latency.c -lrdkafka -lpthread   (Debian: librdkafka-dev)
 * Run:   e2e-latency BROKERS TOPIC RATE DURATION_MS WARMUP_MS ACKS
 * Exit:  0 when every record came back; 1 with a message on stderr otherwise.
 */
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define VALUE_BYTES 100

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what, const char *detail) {
  fprintf(stderr, "e2e-latency: %s: %s\n", what, detail);
  exit(1);
}

static void set(rd_kafka_conf_t *conf, const char *key, const char *value) {
  char err[512];
  if (rd_kafka_conf_set(conf, key, value, err, sizeof err) != RD_KAFKA_CONF_OK) die(key, err);
}

struct shared {
  rd_kafka_t *consumer;
  int64_t warmup_end_ns;
  /* Latencies (ms) of records sent after the warm-up, in arrival order. */
  double *samples;
  long capacity;
  volatile long received; /* every stamped record, warm-up included */
  volatile int ready;     /* the consumer has read something (a probe): both clients are up */
  volatile long sampled;
  volatile int stop;
};

static void *consume(void *arg) {
  struct shared *s = arg;
  while (!s->stop) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(s->consumer, 100);
    if (m == NULL) continue;
    int64_t at = now_ns();
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) s->ready = 1;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR && m->len >= 8) {
      int64_t sent;
      memcpy(&sent, m->payload, sizeof sent);
      if (sent >= s->warmup_end_ns && s->sampled < s->capacity) s->samples[s->sampled++] = (double)(at - sent) / 1e6;
      s->received++;
    } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      fprintf(stderr, "e2e-latency: consumer: %s\n", rd_kafka_message_errstr(m));
    }
    rd_kafka_message_destroy(m);
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 7) die("usage", "e2e-latency BROKERS TOPIC RATE DURATION_MS WARMUP_MS ACKS");
  const char *brokers = argv[1], *topic = argv[2], *acks = argv[6];
  long rate = atol(argv[3]), duration_ms = atol(argv[4]), warmup_ms = atol(argv[5]);
  if (rate <= 0 || duration_ms <= warmup_ms || warmup_ms < 0) die("arguments", "need RATE > 0 and DURATION_MS > WARMUP_MS >= 0");
  char err[512];

  rd_kafka_conf_t *pc = rd_kafka_conf_new();
  set(pc, "bootstrap.servers", brokers);
  set(pc, "acks", acks);
  set(pc, "linger.ms", "0"); /* send each record at once: latency, not batching */
  set(pc, "socket.nagle.disable", "true"); /* librdkafka leaves Nagle on by default; the Java client does not */
  rd_kafka_t *producer = rd_kafka_new(RD_KAFKA_PRODUCER, pc, err, sizeof err);
  if (producer == NULL) die("producer", err);

  rd_kafka_conf_t *cc = rd_kafka_conf_new();
  set(cc, "bootstrap.servers", brokers);
  set(cc, "group.id", "sluice-bench-e2e-latency"); /* required by the API; partitions are assigned, nothing is committed */
  set(cc, "enable.auto.commit", "false");
  set(cc, "fetch.wait.max.ms", "100");
  set(cc, "socket.nagle.disable", "true");
  rd_kafka_t *consumer = rd_kafka_new(RD_KAFKA_CONSUMER, cc, err, sizeof err);
  if (consumer == NULL) die("consumer", err);
  rd_kafka_poll_set_consumer(consumer);
  rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(parts, topic, 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
  if (rd_kafka_assign(consumer, parts) != RD_KAFKA_RESP_ERR_NO_ERROR) die("assign", topic);
  rd_kafka_topic_partition_list_destroy(parts);

  struct shared s = {0};
  s.consumer = consumer;
  s.capacity = rate * (duration_ms / 1000 + 1);
  s.samples = malloc(sizeof(double) * (size_t)s.capacity);
  pthread_t thread;
  pthread_create(&thread, NULL, consume, &s);

  /* Probes (too short to carry a stamp) until one comes back: connections, metadata and the
   * consumer's first fetch are not part of what is measured, whatever the warm-up. */
  int64_t give_up = now_ns() + 30000000000LL;
  while (!s.ready) {
    if (now_ns() > give_up) die("start", "no probe came back within 30 s");
    rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0), RD_KAFKA_V_VALUE("probe", 5), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    rd_kafka_poll(producer, 50);
  }

  char value[VALUE_BYTES];
  memset(value, 'a', sizeof value);
  int64_t start = now_ns(), interval = 1000000000LL / rate;
  s.warmup_end_ns = start + warmup_ms * 1000000LL;
  long sent = 0;
  for (;;) {
    int64_t due = start + sent * interval;
    if (due - start >= duration_ms * 1000000LL) break;
    int64_t now = now_ns();
    if (now < due) {
      struct timespec until = {(time_t)(due / 1000000000LL), (long)(due % 1000000000LL)};
      clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL);
    }
    int64_t stamp = now_ns();
    memcpy(value, &stamp, sizeof stamp);
    rd_kafka_resp_err_t e = rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0), RD_KAFKA_V_VALUE(value, sizeof value),
                                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) die("produce", rd_kafka_err2str(e));
    rd_kafka_poll(producer, 0);
    sent++;
  }
  rd_kafka_flush(producer, 10000);
  int64_t deadline = now_ns() + 30000000000LL;
  while (s.received < sent && now_ns() < deadline) {
    struct timespec pause = {0, 10000000};
    nanosleep(&pause, NULL);
  }
  s.stop = 1;
  pthread_join(thread, NULL);
  if (s.received < sent) {
    fprintf(stderr, "e2e-latency: read back %ld of %ld records\n", s.received, sent);
    return 1;
  }
  for (long i = 0; i < s.sampled; i++) printf("%.4f\n", s.samples[i]);
  rd_kafka_consumer_close(consumer);
  rd_kafka_destroy(consumer);
  rd_kafka_destroy(producer);
  return 0;
}
