/* /metrics: the archive, the service and the HTTP counters in the
 * Prometheus text exposition format (version 0.0.4). */
#include "server_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A label value: backslash, double quote and newline escaped. */
static void label(custos_buf_t *b, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '\\' || *s == '"')
			custos_buf_addc(b, '\\');
		if (*s == '\n')
			custos_buf_adds(b, "\\n");
		else
			custos_buf_addc(b, *s);
	}
}

static void head(custos_buf_t *b, const char *name, const char *type, const char *help)
{
	custos_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static const char *route_name(size_t i)
{
	return i < srv_n_routes ? srv_routes[i].path : "unmatched";
}

int srv_metrics(srv_req_t *r)
{
	srv_t *srv = r->srv;
	custos_metrics_t m;
	if (custos_service_metrics(srv->svc, r->s, &m) < 0)
		return srv_reply_err(r, custos_session_err(r->s));
	custos_buf_t b = { 0 };
	int64_t now = custos_time_now();

	head(&b, "custos_up", "gauge", "1 while the service answers.");
	custos_buf_adds(&b, "custos_up 1\n");
	head(&b, "custos_start_time_seconds", "gauge", "When the service started (Unix time).");
	custos_buf_printf(&b, "custos_start_time_seconds %.3f\n", srv->started_ms / 1000.0);

	head(&b, "custos_records", "gauge", "Distinct records in the archive.");
	custos_buf_printf(&b, "custos_records %llu\n", (unsigned long long)m.stats.store.records);
	head(&b, "custos_record_versions", "gauge", "Record versions in the archive.");
	custos_buf_printf(&b, "custos_record_versions %llu\n", (unsigned long long)m.stats.store.versions);
	head(&b, "custos_store_last_seq", "gauge", "The store's last sequence number.");
	custos_buf_printf(&b, "custos_store_last_seq %llu\n", (unsigned long long)m.stats.store.last_seq);
	head(&b, "custos_quarantined", "gauge", "Items kept in quarantine.");
	custos_buf_printf(&b, "custos_quarantined %llu\n", (unsigned long long)m.stats.store.quarantined);
	head(&b, "custos_store_file_bytes", "gauge", "Sizes of the store's files (data.mdb and key files).");
	custos_buf_printf(&b, "custos_store_file_bytes %llu\n", (unsigned long long)m.stats.store.file_bytes);
	head(&b, "custos_store_disk_bytes", "gauge",
	     "Bytes the store's files take on disk (allocated blocks: holes of shredded keys not counted).");
	custos_buf_printf(&b, "custos_store_disk_bytes %llu\n", (unsigned long long)m.stats.store.disk_bytes);
	head(&b, "custos_index_watermark", "gauge", "The store sequence the search index holds up to.");
	custos_buf_printf(&b, "custos_index_watermark %llu\n", (unsigned long long)m.stats.index_watermark);
	head(&b, "custos_index_lag", "gauge", "Record versions stored but not yet searchable.");
	custos_buf_printf(&b, "custos_index_lag %llu\n", (unsigned long long)m.stats.index_lag);
	head(&b, "custos_audit_entries", "gauge", "Durable entries of the audit chain.");
	custos_buf_printf(&b, "custos_audit_entries %llu\n", (unsigned long long)m.audit_entries);

	head(&b, "custos_jobs", "gauge", "Jobs by state.");
	for (int s = CUSTOS_JOB_QUEUED; s <= CUSTOS_JOB_FAILED; s++)
		custos_buf_printf(&b, "custos_jobs{state=\"%s\"} %llu\n", custos_job_state_name(s),
		                  (unsigned long long)m.jobs[s]);

	static const char *const statuses[] = { "ok", "pending", "failing", "stopped", "gaps" };
	head(&b, "custos_source_status", "gauge", "1 for each source's current monitor status.");
	for (size_t i = 0; i < m.sources.n; i++)
		for (size_t k = 0; k < sizeof statuses / sizeof *statuses; k++) {
			custos_buf_adds(&b, "custos_source_status{source=\"");
			label(&b, m.sources.v[i].name);
			custos_buf_printf(&b, "\",status=\"%s\"} %d\n", statuses[k],
			                  !strcmp(m.sources.v[i].status, statuses[k]));
		}
	head(&b, "custos_source_last_success_timestamp_seconds", "gauge",
	     "When each source last captured successfully (Unix time; 0: never).");
	for (size_t i = 0; i < m.sources.n; i++) {
		custos_buf_adds(&b, "custos_source_last_success_timestamp_seconds{source=\"");
		label(&b, m.sources.v[i].name);
		int64_t t = m.sources.v[i].last_success;
		custos_buf_printf(&b, "\"} %.3f\n", t == CUSTOS_TIME_NONE ? 0.0 : t / 1000.0);
	}
	head(&b, "custos_source_seconds_since_success", "gauge",
	     "Seconds since each source last captured successfully (since it was added when never).");
	for (size_t i = 0; i < m.sources.n; i++) {
		custos_buf_adds(&b, "custos_source_seconds_since_success{source=\"");
		label(&b, m.sources.v[i].name);
		int64_t t = m.sources.v[i].last_success != CUSTOS_TIME_NONE ? m.sources.v[i].last_success
		          : m.sources.v[i].added_at;
		custos_buf_printf(&b, "\"} %.3f\n", t == CUSTOS_TIME_NONE ? 0.0 : (now - t) / 1000.0);
	}
	head(&b, "custos_source_open_alerts", "gauge", "Open completeness alerts by source and kind.");
	static const char *const kinds[] = { "gap", "cursor-backwards", "stopped" };
	for (size_t i = 0; i < m.sources.n; i++)
		for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
			unsigned n = 0;
			for (size_t a = 0; a < m.sources.v[i].n_alerts; a++)
				n += m.sources.v[i].alerts[a].kind && !strcmp(m.sources.v[i].alerts[a].kind, kinds[k]);
			custos_buf_adds(&b, "custos_source_open_alerts{source=\"");
			label(&b, m.sources.v[i].name);
			custos_buf_printf(&b, "\",kind=\"%s\"} %u\n", kinds[k], n);
		}
	static const struct { const char *name, *help; size_t off; } counters[] = {
		{ "custos_source_polls_total", "Polls of each source.", offsetof(custos_source_info_t, polls) },
		{ "custos_source_failures_total", "Failed polls of each source.",
		  offsetof(custos_source_info_t, failures) },
		{ "custos_source_not_modified_total", "Polls answered 304 Not Modified.",
		  offsetof(custos_source_info_t, not_modified) },
		{ "custos_source_records_total", "Record versions each source added.",
		  offsetof(custos_source_info_t, records) },
		{ "custos_source_alerts_total", "Completeness alerts each source raised.",
		  offsetof(custos_source_info_t, alerts_total) },
	};
	for (size_t c = 0; c < sizeof counters / sizeof *counters; c++) {
		head(&b, counters[c].name, "counter", counters[c].help);
		for (size_t i = 0; i < m.sources.n; i++) {
			custos_buf_printf(&b, "%s{source=\"", counters[c].name);
			label(&b, m.sources.v[i].name);
			custos_buf_printf(&b, "\"} %llu\n", (unsigned long long)
			                  *(const uint64_t *)((const char *)&m.sources.v[i] + counters[c].off));
		}
	}
	custos_metrics_free(&m);

	/* the HTTP side, under the counters' lock */
	pthread_mutex_lock(&srv->mu);
	head(&b, "custos_http_requests_total", "counter", "Requests answered, by route and status.");
	for (size_t i = 0; i <= srv_n_routes; i++)
		for (int k = 0; k < SRV_CODE_SLOTS; k++) {
			uint64_t n = srv->req_count[i * SRV_CODE_SLOTS + k];
			if (!n)
				continue;
			custos_buf_printf(&b, "custos_http_requests_total{route=\"%s%s%s\",code=\"",
			                  i < srv_n_routes ? srv_routes[i].method : "", i < srv_n_routes ? " " : "",
			                  route_name(i));
			if (srv_code_slots[k])
				custos_buf_printf(&b, "%d\"} %llu\n", srv_code_slots[k], (unsigned long long)n);
			else
				custos_buf_printf(&b, "other\"} %llu\n", (unsigned long long)n);
		}
	head(&b, "custos_http_request_duration_seconds", "histogram",
	     "Time from the request line to the end of the answer, by route.");
	for (size_t i = 0; i <= srv_n_routes; i++) {
		uint64_t total = 0;
		for (int k = 0; k < SRV_CODE_SLOTS; k++)
			total += srv->req_count[i * SRV_CODE_SLOTS + k];
		if (!total)
			continue;
		char rl[300];
		snprintf(rl, sizeof rl, "route=\"%s%s%s\"", i < srv_n_routes ? srv_routes[i].method : "",
		         i < srv_n_routes ? " " : "", route_name(i));
		for (int k = 0; k < SRV_BUCKETS; k++)
			custos_buf_printf(&b, "custos_http_request_duration_seconds_bucket{%s,le=\"%g\"} %llu\n",
			                  rl, srv_buckets[k],
			                  (unsigned long long)srv->req_bucket[i * SRV_BUCKETS + k]);
		custos_buf_printf(&b, "custos_http_request_duration_seconds_bucket{%s,le=\"+Inf\"} %llu\n",
		                  rl, (unsigned long long)total);
		custos_buf_printf(&b, "custos_http_request_duration_seconds_sum{%s} %.6f\n", rl,
		                  srv->req_seconds[i]);
		custos_buf_printf(&b, "custos_http_request_duration_seconds_count{%s} %llu\n", rl,
		                  (unsigned long long)total);
	}
	static const char *const outcomes[] = { "added", "version", "unchanged", "quarantined" };
	head(&b, "custos_submitted_lines_total", "counter", "Lines of POST /v1/records by outcome.");
	for (int k = 0; k < 4; k++)
		custos_buf_printf(&b, "custos_submitted_lines_total{outcome=\"%s\"} %llu\n", outcomes[k],
		                  (unsigned long long)srv->lines[k]);
	head(&b, "custos_http_refused_total", "counter", "Requests refused before their endpoint ran.");
	custos_buf_printf(&b, "custos_http_refused_total{reason=\"unauthenticated\"} %llu\n",
	                  (unsigned long long)srv->refused_auth);
	custos_buf_printf(&b, "custos_http_refused_total{reason=\"too_slow\"} %llu\n",
	                  (unsigned long long)srv->timeouts);
	custos_buf_printf(&b, "custos_http_refused_total{reason=\"too_big\"} %llu\n",
	                  (unsigned long long)srv->too_big);
	head(&b, "custos_http_requests_in_flight", "gauge", "Requests being answered now.");
	custos_buf_printf(&b, "custos_http_requests_in_flight %u\n", srv->inflight);
	pthread_mutex_unlock(&srv->mu);

	if (srv->siem) {
		uint64_t sent, errors, behind;
		bool up;
		srv_siem_stats(srv->siem, &sent, &errors, &up, &behind);
		head(&b, "custos_siem_events_sent_total", "counter", "Audit events sent to the SIEM.");
		custos_buf_printf(&b, "custos_siem_events_sent_total %llu\n", (unsigned long long)sent);
		head(&b, "custos_siem_errors_total", "counter", "Connection and send failures to the SIEM.");
		custos_buf_printf(&b, "custos_siem_errors_total %llu\n", (unsigned long long)errors);
		head(&b, "custos_siem_connected", "gauge", "1 while connected to the SIEM.");
		custos_buf_printf(&b, "custos_siem_connected %d\n", up);
		head(&b, "custos_siem_backlog_bytes", "gauge", "Bytes of the audit log not sent yet.");
		custos_buf_printf(&b, "custos_siem_backlog_bytes %llu\n", (unsigned long long)behind);
	}
	if (!b.data)
		return srv_reply_msg(r, 500, "out of memory", "out of memory");
	int rc = srv_reply(r, 200, "text/plain; version=0.0.4; charset=utf-8", b.data, b.len);
	custos_buf_free(&b);
	return rc;
}
