#!/usr/bin/env bash
# Under load (wrk, 32 keep-alive connections): a certificate rotation by swapping a Secret
# volume's ..data symlink and a policy reload, with zero failed requests. Then a broken pair and
# a broken policy: rejected, counted in metrics, the old ones kept, readyz still 200.
source "$(dirname "$0")/lib.sh"
setup_workdir
make_ca
make_serving a
make_serving b
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/other.key" -out /dev/null -subj /CN=x 2>/dev/null
secret_volume "$WORK/a.crt" "$WORK/a.key"
cp "$T/policy.yaml" "$WORK/policy.yaml"
start_server --policy "$WORK/policy.yaml"
serial_a=$(served_serial)
[ -n "$serial_a" ] || fail "no certificate served"

run_wrk() {  # run_wrk PATH REVIEW SECONDS OUT
  REVIEW=$2 wrk -t2 -c32 -d"$3"s --timeout 5s -s "$HERE/post.lua" "$URL$1" > "$4" 2>&1
}
assert_clean() {  # assert_clean WRK_OUTPUT
  cat "$1"
  grep -q "Requests/sec" "$1" || fail "wrk did not run"
  if grep -Eq "Non-2xx or 3xx responses|Socket errors" "$1"; then fail "failed requests under load"; fi
}

note "load on /validate while the certificate rotates and the policy reloads"
run_wrk /validate "$T/deployment-review.json" 8 "$WORK/wrk1.out" &
WRK=$!; PIDS+=("$WRK")
sleep 2
secret_volume "$WORK/b.crt" "$WORK/b.key"
sleep 2
cp "$T/policy-v2.yaml" "$WORK/policy.yaml.tmp" && mv "$WORK/policy.yaml.tmp" "$WORK/policy.yaml"
wait "$WRK" || fail "wrk exited non-zero"
assert_clean "$WORK/wrk1.out"
serial_b=$(served_serial)
[ "$serial_b" != "$serial_a" ] || fail "new connections still get the old certificate ($serial_a)"
[ "$(metric 'gopreflight_webhook_certificate_reloads_total{result="success"}')" = 1 ] || fail "certificate reload success count"
[ "$(metric 'gopreflight_webhook_certificate_reloads_total{result="failure"}')" = 0 ] || fail "certificate reload failures"
[ "$(metric 'gopreflight_webhook_policy_reloads_total{result="success"}')" = 1 ] || fail "policy reload success count"
grep -q '"msg":"certificate reloaded"' "$LOG" || fail "certificate reload not logged"
echo | openssl s_client -connect "127.0.0.1:$PORT" -servername "$SVC" -CAfile "$WORK/ca.crt" -verify_return_error >/dev/null 2>&1 ||
  fail "rotated certificate does not verify"
# The new policy is in force: its injection image is what /mutate now injects.
curl -sS --cacert "$WORK/ca.crt" --resolve "$SVC:$PORT:127.0.0.1" -H 'Content-Type: application/json' \
  --data-binary @"$T/pod-review.json" "https://$SVC:$PORT/mutate" |
  python3 -c 'import base64,json,sys; p=json.loads(base64.b64decode(json.load(sys.stdin)["response"]["patch"])); assert p[0]["value"][0]["image"].endswith(":0.2.0"), p' ||
  fail "reloaded policy not in force"

note "a broken pair (key of another certificate) and a broken policy under load: both kept"
run_wrk /mutate "$T/pod-review.json" 6 "$WORK/wrk2.out" &
WRK=$!; PIDS+=("$WRK")
sleep 1.5
secret_volume "$WORK/a.crt" "$WORK/other.key"
sleep 1.5
cp "$T/policy-broken.yaml" "$WORK/policy.yaml.tmp" && mv "$WORK/policy.yaml.tmp" "$WORK/policy.yaml"
wait "$WRK" || fail "wrk exited non-zero"
assert_clean "$WORK/wrk2.out"
[ "$(metric 'gopreflight_webhook_certificate_reloads_total{result="failure"}')" = 1 ] || fail "broken pair not counted"
[ "$(metric 'gopreflight_webhook_policy_reloads_total{result="failure"}')" = 1 ] || fail "broken policy not counted"
[ "$(served_serial)" = "$serial_b" ] || fail "broken pair replaced the good certificate"
[ "$(code GET /readyz)" = 200 ] || fail "readyz changed after a rejected reload"
grep -q '"msg":"certificate reload failed; keeping the previous one".*does not match' "$LOG" || fail "broken pair not logged"
grep -q '"msg":"policy reload failed; keeping the previous policy".*strictest' "$LOG" || fail "broken policy not logged"

note "fixing the files is picked up again"
secret_volume "$WORK/a.crt" "$WORK/a.key"
cp "$T/policy.yaml" "$WORK/policy.yaml.tmp" && mv "$WORK/policy.yaml.tmp" "$WORK/policy.yaml"
for i in $(seq 1 50); do [ "$(served_serial)" = "$serial_a" ] && break; sleep 0.1; done
[ "$(served_serial)" = "$serial_a" ] || fail "good pair after a broken one not loaded"
[ "$(metric 'gopreflight_webhook_policy_reloads_total{result="success"}')" = 2 ] || fail "policy fix not reloaded"
echo "PASS: it_reload"
