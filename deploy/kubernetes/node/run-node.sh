#!/bin/sh
# Runs the Hotpatch node in a pod (DaemonSet or sidecar); the container's command.
#
# First start: waits until the hotpatch-node-enrollment Secret holds a one-time enrollment token
# under the key HOTPATCH_ENROLLMENT_KEY (the Kubernetes node name, or the pod name for a sidecar;
# enroll-tokens.sh mints them), then enrolls with it. Once the node holds its credential
# (DATA/credential.json) no token is used again.
#
# It never exits on its own: a node that stops (server unreachable at start, token used up, ...) is
# started again after a minute, and the container stays up. A sidecar container that crashed would
# make its pod NotReady and take the application out of its Service.
set -u
data=${HOTPATCH_NODE_DATA:-/var/lib/hotpatch-node/data}
token_file=${HOTPATCH_ENROLLMENT_DIR:-/etc/hotpatch/enrollment}/${HOTPATCH_ENROLLMENT_KEY:?set HOTPATCH_ENROLLMENT_KEY to the node or pod name}
config=${HOTPATCH_NODE_CONFIG:-/etc/hotpatch/node/node.conf}
jar=${HOTPATCH_JAR:-/opt/hotpatch/hotpatch.jar}
retry=${HOTPATCH_NODE_RETRY_SECONDS:-60}
wait_token=${HOTPATCH_TOKEN_POLL_SECONDS:-30}
# Extra node options, e.g. "--tls-ca /etc/hotpatch/tls/ca.pem", or "--insecure" for plain http:// to
# an in-cluster server (the node refuses plain http:// to another host without it).
extra=${HOTPATCH_NODE_ARGS:-}
child=0

stop() {
    if [ "$child" -ne 0 ]; then
        kill -TERM "$child" 2>/dev/null
        wait "$child"
    fi
    exit 0
}
trap stop TERM INT

pause() {
    sleep "$1" &
    child=$!
    wait "$child"
    child=0
}

while :; do
    if [ -s "$data/credential.json" ]; then
        # shellcheck disable=SC2086 # $extra is a list of options
        java -jar "$jar" node --server "$HOTPATCH_SERVER" $extra --config "$config" --data "$data" &
    elif [ -s "$token_file" ]; then
        # shellcheck disable=SC2086
        java -jar "$jar" node --server "$HOTPATCH_SERVER" $extra --token-file "$token_file" --config "$config" --data "$data" &
    else
        echo "hotpatch-node: not enrolled yet and no enrollment token at $token_file; waiting for one (enroll-tokens.sh mints it)" >&2
        pause "$wait_token"
        continue
    fi
    child=$!
    wait "$child"
    status=$?
    child=0
    echo "hotpatch-node: the node exited with status $status; starting it again in ${retry}s" >&2
    pause "$retry"
done
