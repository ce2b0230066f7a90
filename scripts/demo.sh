#!/usr/bin/env bash
# The whole pipeline on this machine (what `make demo` runs):
#   build the `vod` CLI → `vod local up` (moto started by it) → make a 20 s 1080p clip →
#   subscribe a queue to the lifecycle topic → `vod --local upload --wait` (progress, then
#   status and transcode %) → print the record, the SNS events and the player URL → serve
#   until Ctrl-C.
# DEMO_EXIT=1: exit 0 once the asset is COMPLETE (CI). Every child is stopped on exit.
# Env: VOD_STATE_DIR (default .vod), CARGO_TARGET_DIR, DEMO_CLIP (use this file instead),
# DEMO_PROFILE=debug (the dev profile `make test` already built, instead of a release build),
# VOD_FFMPEG (default: the project's pinned .venv/bin/ffmpeg).
set -euo pipefail
cd "$(dirname "$0")/.."

STATE=${VOD_STATE_DIR:-.vod}
TARGET=${CARGO_TARGET_DIR:-target}
PY=${PY:-.venv/bin/python}
mkdir -p "$STATE"
LOG="$STATE/vod-local.log"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

[ -x "$PY" ] || die "$PY not found: run 'make venv' (moto, boto3 and the project's ffmpeg)"
FFMPEG=${VOD_FFMPEG:-.venv/bin/ffmpeg}
[ -x "$FFMPEG" ] || die "ffmpeg not found at $FFMPEG: run 'make venv' (it installs the project's pinned ffmpeg)"
export VOD_FFMPEG=$FFMPEG

PROFILE=${DEMO_PROFILE:-release}
say "building the vod CLI ($PROFILE)"
if [ "$PROFILE" = release ]; then
  cargo build --release -q --locked -p vod-cli
  VOD="$TARGET/release/vod"
else
  cargo build -q --locked -p vod-cli
  VOD="$TARGET/debug/vod"
fi

TWIN_PID=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$TWIN_PID" ] && kill -0 "$TWIN_PID" 2>/dev/null; then
    echo "stopping vod-local (pid $TWIN_PID)..."
    kill -TERM "$TWIN_PID" 2>/dev/null || true
    for _ in $(seq 1 150); do kill -0 "$TWIN_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$TWIN_PID" 2>/dev/null || true
    wait "$TWIN_PID" 2>/dev/null || true
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

twin() { "$PY" -c "import json,sys; print(json.load(open('localstack/twin.json'))$1)"; }
SFN_PORT=$(twin "['ports']['stepFunctions']")
CDN_PORT=$(twin "['ports']['cdn']")

say "starting the local twin: vod local up (log: $LOG)"
"$VOD" local up --state-dir "$STATE" >"$LOG" 2>&1 &
TWIN_PID=$!
for _ in $(seq 1 600); do
  grep -q '^Ctrl-C to stop' "$LOG" 2>/dev/null && break
  kill -0 "$TWIN_PID" 2>/dev/null || { cat "$LOG" >&2; die "vod-local exited"; }
  sleep 0.1
done
grep -q '^Ctrl-C to stop' "$LOG" || { tail -20 "$LOG" >&2; die "vod-local did not come up in 60 s"; }
sed -n '/^vod-local is up/,/^Ctrl-C/p' "$LOG"
# The printed export lines: AWS_ENDPOINT_URL, test credentials, region, names.
eval "$(grep '^export ' "$LOG")"

CLIP=${DEMO_CLIP:-$STATE/demo-1080p-20s.mp4}
if [ ! -s "$CLIP" ]; then
  say "making a 20 s 1080p test clip ($CLIP)"
  "$FFMPEG" -hide_banner -loglevel error -nostdin -y \
    -f lavfi -i testsrc2=size=1920x1080:rate=30 \
    -f lavfi -i sine=frequency=440:sample_rate=48000 \
    -t 20 -c:v libx264 -preset veryfast -pix_fmt yuv420p -c:a aac -b:a 128k \
    -movflags +faststart -shortest "$CLIP"
fi

say "subscribing a queue to the lifecycle topic"
QUEUE_URL=$("$PY" - <<'EOF'
import boto3, os, time
sqs, sns = boto3.client("sqs"), boto3.client("sns")
url = sqs.create_queue(QueueName=f"demo-events-{int(time.time())}")["QueueUrl"]
arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
sns.subscribe(TopicArn=os.environ["VOD_TOPIC_ARN"], Protocol="sqs", Endpoint=arn,
              Attributes={"RawMessageDelivery": "true"})
print(url)
EOF
)
echo "$QUEUE_URL"

KEY="demo/my clip $(date +%H%M%S).mp4"
say "uploading s3://$VOD_SOURCE_BUCKET/$KEY and following it to a final state"
# `--wait` polls the record (status, transcode %); `--json` prints the final record on stdout.
# The exit code is non-zero for REJECTED/FAILED/timeout; the record is printed either way.
RECORD="$STATE/demo-record.json"
set +e
"$VOD" --local upload "$CLIP" --key "$KEY" --wait --json >"$RECORD"
UPLOAD_RC=$?
set -e
field() { "$PY" -c "import json,sys; r=json.load(open(sys.argv[1])); print(r.get('assetId') or r.get('record',{}).get('assetId',''))" "$RECORD"; }
ASSET_ID=$(field)
[ -n "$ASSET_ID" ] || die "vod upload printed no record (exit $UPLOAD_RC); see $LOG"

say "asset record"
"$PY" -m json.tool --no-ensure-ascii "$RECORD"

say "lifecycle events received by an SQS subscriber of the topic"
QUEUE_URL="$QUEUE_URL" ASSET_ID="$ASSET_ID" "$PY" - <<'EOF2'
import boto3, json, os, time
sqs = boto3.client("sqs")
url, asset, seen, deadline = os.environ["QUEUE_URL"], os.environ["ASSET_ID"], set(), time.time() + 30
while time.time() < deadline and not seen & {"asset.completed", "asset.failed", "asset.rejected"}:
    for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=2).get("Messages", []):
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        event = json.loads(m["Body"])
        if event.get("assetId") == asset:
            seen.add(event.get("eventType"))
            print(json.dumps(event, indent=2, ensure_ascii=False))
EOF2

[ "$UPLOAD_RC" = 0 ] || die "the asset did not complete (vod upload exit $UPLOAD_RC); see the record above and $LOG"
say "play it"
echo "  http://127.0.0.1:$CDN_PORT/player/$ASSET_ID"
echo "  Step Functions: aws stepfunctions list-executions --state-machine-arn $VOD_STATE_MACHINE_ARN"

if [ "${DEMO_EXIT:-0}" = "1" ]; then
  exit 0
fi
say "serving; Ctrl-C to stop"
wait "$TWIN_PID"
