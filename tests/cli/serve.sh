# Helpers for the service's tests (T07x): a real custos serve on loopback.
#   serve_start [OPTIONS]   starts it on a free port; $URL is its address
#   serve_stop              SIGTERM, and waits for a clean exit (status 0)
#   token NAME ROLE         creates a token; its text is in $TEST_DIR/tok.NAME
#   api TOKEN METHOD PATH [CURL ARGS]   prints the HTTP status; the body is in ./body
#   job_wait TOKEN ID STATE, job_id      a job's state; the id of a job just queued
serve_start() {
	rm -f serve.out
	"$CUSTOS" serve --listen 127.0.0.1:0 "$@" >serve.out 2>serve.err &
	echo $! >serve.pid
	i=0
	while ! grep -q "serving" serve.out 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 200 ] || ! kill -0 "$(cat serve.pid)" 2>/dev/null; then
			echo "custos serve did not start:"; cat serve.err; return 1
		fi
		sleep 0.05
	done
	URL=$(sed -n 's/.* on \(https*:\/\/.*\)$/\1/p' serve.out)
}
serve_stop() {
	kill -TERM "$(cat serve.pid)" 2>/dev/null
	s_rc=0
	wait "$(cat serve.pid)" || s_rc=$?
	[ "$s_rc" = 0 ] || { echo "custos serve exited $s_rc"; cat serve.err; return 1; }
}
serve_kill() {
	kill -9 "$(cat serve.pid)" 2>/dev/null
	wait "$(cat serve.pid)" 2>/dev/null
	return 0
}
token() {
	"$CUSTOS" token create "$1" --role "$2" >tok.out && tail -n 1 tok.out >"tok.$1"
}
api() {
	a_tok=$1 a_method=$2 a_path=$3; shift 3
	if [ -n "$a_tok" ]; then
		curl -s -o body -w '%{http_code}' -X "$a_method" \
			-H "Authorization: Bearer $(cat "tok.$a_tok")" "$@" "$URL$a_path"
	else
		curl -s -o body -w '%{http_code}' -X "$a_method" "$@" "$URL$a_path"
	fi
}
# expect_status WANT TOKEN METHOD PATH [CURL ARGS]
expect_status() {
	e_want=$1; shift
	e_got=$(api "$@")
	[ "$e_got" = "$e_want" ] || { echo "$2 $3 as $1: HTTP $e_got, wanted $e_want:"; cat body; return 1; }
}
# wait_for SECONDS COMMAND...: retries the command until it succeeds
wait_for() {
	w_until=$(( $(date +%s) + $1 )); shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$w_until" ] || { echo "timed out waiting for: $*"; return 1; }
		sleep 0.1
	done
}
# job_wait TOKEN ID STATE: waits until job ID is in STATE (body: the job);
# a job that fails while another state is awaited fails the wait
job_wait() {
	j_until=$(( $(date +%s) + 240 ))   # generous: sanitizer builds are slow
	while :; do
		[ "$(api "$1" GET "/v1/jobs/$2")" = 200 ] || { cat body; return 1; }
		grep -q "\"state\":\"$3\"" body && return 0
		grep -q "\"state\":\"failed\"" body && { cat body; return 1; }
		[ "$(date +%s)" -lt "$j_until" ] || { echo "job $2 never $3:"; cat body; return 1; }
		sleep 0.1
	done
}
# job_id: the id of the job in ./body (a 202's answer)
job_id() { sed -n 's/.*"job":"\([^"]*\)".*/\1/p' body; }
# serve_reap: before test_done, ends the servers a failed test left running
serve_reap() {
	for f in "$t_root"/*/serve.pid "$t_root"/*/fx.pid "$t_root"/*/syslog.pid; do
		[ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null
	done
	return 0
}
