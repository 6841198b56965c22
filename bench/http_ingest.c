/* The NDJSON load client for `custos serve` (bench/serve.sh): C connections,
 * each a thread with one keep-alive HTTP/1.1 connection, posting batches of
 * B generated records to /v1/records for S seconds, and timing each
 * acknowledgement. Prints records/s and the acknowledgement latency
 * percentiles. With an ack file, appends the first id of every batch that
 * got a 200 (for the kill -9 check).
 *   http_ingest HOST PORT TOKEN CONNECTIONS BATCH SECONDS START_ID [ACKFILE] */
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
static int port, batch, seconds;
static long start_id;
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
	double end = now() + seconds;
	while (fd >= 0 && now() < end) {
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

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc < 8) {
		fprintf(stderr, "usage: http_ingest HOST PORT TOKEN CONNECTIONS BATCH SECONDS START_ID [ACKFILE]\n");
		return 2;
	}
	host = argv[1];
	port = atoi(argv[2]);
	token = argv[3];
	int conns = atoi(argv[4]);
	batch = atoi(argv[5]);
	seconds = atoi(argv[6]);
	start_id = atol(argv[7]);
	if (argc > 8)
		ackf = fopen(argv[8], "a");
	pthread_t th[256];
	double t0 = now();
	for (long k = 0; k < conns && k < 256; k++)
		pthread_create(&th[k], NULL, worker, (void *)k);
	for (long k = 0; k < conns && k < 256; k++)
		pthread_join(th[k], NULL);
	double el = now() - t0;
	qsort(lat, n_lat, sizeof *lat, cmp);
	printf("connections %d, batch %d: %ld records in %.1f s = %.0f records/s, %zu requests "
	       "(%ld failed); ack latency p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", conns, batch,
	       records, el, records / el, n_lat, failed, n_lat ? lat[n_lat / 2] * 1e3 : 0,
	       n_lat ? lat[(size_t)(n_lat * 0.99)] * 1e3 : 0, n_lat ? lat[n_lat - 1] * 1e3 : 0);
	if (ackf)
		fclose(ackf);
	return 0;
}
