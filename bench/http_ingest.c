/* The NDJSON load client for `custos serve` (bench/serve.sh): C connections,
 * each a thread with one keep-alive HTTP/1.1 connection, posting batches of
 * B generated records to /v1/records for S seconds, and timing each
 * acknowledgement. Prints records/s and the acknowledgement latency
 * percentiles. With an ack file, appends the first id of every batch that
 * got a 200 (for the kill -9 check).
 *
 * Closed loop (the default): each connection sends its next request as soon
 * as the last one is answered, so the figures are those of saturation: the
 * most the server takes, and the latency of a queue that is always full.
 *
 * Open loop (--rate R, as wrk2 does): R records/s in all, spread evenly over
 * the connections (each sends one request every C x B / R seconds, the
 * connections staggered), every request timed from the moment it was
 * scheduled to be sent, not from when it went out: a request that had to
 * wait for the answer to the one before on its connection counts that wait
 * (no coordinated omission). If the server falls behind, the achieved rate
 * drops below R and the latencies grow with the backlog.
 *   http_ingest [--rate R] HOST PORT TOKEN CONNECTIONS BATCH SECONDS START_ID [ACKFILE] */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char *host, *token;
static int port, batch, seconds, conns;
static double rate;   /* records/s in all; 0: closed loop */
static double t_begin;
static long start_id, late;
static FILE *ackf;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static double *lat;
static size_t n_lat, cap_lat;
static long records, failed;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int dial(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	inet_pton(AF_INET, host, &a.sin_addr);
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Reads one response; returns its status, or -1. */
static int response(int fd, char *buf, size_t cap)
{
	size_t have = 0;
	for (;;) {
		ssize_t n = read(fd, buf + have, cap - 1 - have);
		if (n <= 0)
			return -1;
		have += (size_t)n;
		buf[have] = 0;
		char *end = strstr(buf, "\r\n\r\n");
		if (!end)
			continue;
		char *cl = strcasestr(buf, "Content-Length:");
		size_t body = cl ? strtoul(cl + 15, NULL, 10) : 0;
		size_t want = (size_t)(end + 4 - buf) + body;
		while (have < want) {
			if (have >= cap - 1)
				return -1;   /* answers of batches this client sends fit */
			n = read(fd, buf + have, cap - 1 - have);
			if (n <= 0)
				return -1;
			have += (size_t)n;
		}
		return atoi(buf + 9);
	}
}

static void *worker(void *arg)
{
	long k = (long)arg, j = 0;
	size_t cap = (size_t)batch * 400 + 1024;
	char *body = malloc(cap), *req = malloc(cap + 1024), *resp = malloc(1 << 20);
	int fd = dial();
	double end = t_begin + seconds;
	/* open loop: this connection's requests are due every `every` seconds,
	 * the first at its share of one interval */
	double every = rate > 0 ? conns * (double)batch / rate : 0;
	double due = t_begin + every * k / conns;
	struct timespec go = { (time_t)t_begin, (long)((t_begin - (time_t)t_begin) * 1e9) };
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &go, NULL) != 0)
		;
	while (fd >= 0 && (rate > 0 ? due < end : now() < end)) {
		long first = start_id + k * 100000000L + j * batch;
		size_t n = 0;
		for (int i = 0; i < batch; i++) {
			long id = first + i;
			n += (size_t)snprintf(body + n, cap - n, "{\"id\":\"x:%ld\",\"platform\":\"x\","
			        "\"account\":\"acme\",\"author\":{\"handle\":\"user%ld\"},\"created_at\":"
			        "\"2023-%02ld-%02ldT10:00:00Z\",\"text\":\"load post %ld about #topic%ld with "
			        "@user%ld and https://example.com/%ld\",\"lang\":\"en\"}\n", id, id % 97,
			        1 + id % 12, 1 + id % 28, id, id % 13, (id + 1) % 97, id);
		}
		int h = snprintf(req, 1024, "POST /v1/records HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer "
		                 "%s\r\nContent-Type: application/x-ndjson\r\nContent-Length: %zu\r\n\r\n",
		                 host, token, n);
		memcpy(req + h, body, n);
		double t0 = now();
		if (rate > 0) {
			if (t0 < due) {
				struct timespec ts = { (time_t)due, (long)((due - (time_t)due) * 1e9) };
				while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0)
					;
			} else if (t0 > due + 0.001) {
				__atomic_add_fetch(&late, 1, __ATOMIC_RELAXED);
			}
			t0 = due;   /* timed from when it was due */
			due += every;
		}
		if (write(fd, req, (size_t)h + n) != (ssize_t)(h + n))
			break;
		int st = response(fd, resp, 1 << 20);
		double t = now() - t0;
		pthread_mutex_lock(&mu);
		if (st == 200) {
			records += batch;
			if (n_lat == cap_lat)
				lat = realloc(lat, (cap_lat = cap_lat ? 2 * cap_lat : 4096) * sizeof *lat);
			lat[n_lat++] = t;
			if (ackf) {
				fprintf(ackf, "%ld\n", first);
				fflush(ackf);
			}
		} else {
			failed++;
		}
		pthread_mutex_unlock(&mu);
		if (st < 0)
			break;
		j++;
	}
	if (fd >= 0)
		close(fd);
	free(body);
	free(req);
	free(resp);
	return NULL;
}

static double pct(double p)
{
	size_t i = (size_t)(n_lat * p);
	return n_lat ? lat[i < n_lat ? i : n_lat - 1] * 1e3 : 0;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "--rate")) {
		rate = atof(argv[2]);
		if (rate <= 0) {
			fprintf(stderr, "http_ingest: --rate wants records per second above 0\n");
			return 2;
		}
		argv += 2;
		argc -= 2;
	}
	if (argc < 8) {
		fprintf(stderr, "usage: http_ingest [--rate RECORDS_PER_S] HOST PORT TOKEN CONNECTIONS "
		        "BATCH SECONDS START_ID [ACKFILE]\n");
		return 2;
	}
	host = argv[1];
	port = atoi(argv[2]);
	token = argv[3];
	conns = atoi(argv[4]);
	batch = atoi(argv[5]);
	seconds = atoi(argv[6]);
	start_id = atol(argv[7]);
	if (conns < 1 || conns > 256 || batch < 1 || seconds < 1) {
		fprintf(stderr, "http_ingest: 1 to 256 connections, a batch and seconds above 0\n");
		return 2;
	}
	if (argc > 8)
		ackf = fopen(argv[8], "a");
	pthread_t th[256];
	t_begin = now() + 0.05;   /* every connection starts on the same schedule */
	for (long k = 0; k < conns; k++)
		pthread_create(&th[k], NULL, worker, (void *)k);
	for (long k = 0; k < conns; k++)
		pthread_join(th[k], NULL);
	double el = now() - t_begin;
	qsort(lat, n_lat, sizeof *lat, cmp);
	if (rate > 0)
		printf("connections %d, batch %d, open loop at %.0f records/s: %ld records in %.1f s = "
		       "%.0f records/s, %zu requests (%ld failed, %ld sent over 1 ms late); ack latency "
		       "from the scheduled send: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, p99.9 %.1f ms, "
		       "max %.1f ms\n", conns, batch, rate, records, el, records / el, n_lat, failed,
		       late, pct(0.5), pct(0.9), pct(0.99), pct(0.999), pct(1));
	else
		printf("connections %d, batch %d, closed loop: %ld records in %.1f s = %.0f records/s, "
		       "%zu requests (%ld failed); ack latency p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, "
		       "p99.9 %.1f ms, max %.1f ms\n", conns, batch, records, el, records / el, n_lat,
		       failed, pct(0.5), pct(0.9), pct(0.99), pct(0.999), pct(1));
	if (ackf)
		fclose(ackf);
	return 0;
}
