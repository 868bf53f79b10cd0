#!/usr/bin/env bash
# Mints one-time node enrollment tokens and stores them in the Secret hotpatch-node-enrollment,
# one key per node name, where run-node.sh picks them up.
#
#   enroll-tokens.sh nodes NAMESPACE            one key per Kubernetes node (the DaemonSet)
#   enroll-tokens.sh pods  NAMESPACE SELECTOR   one key per pod matching SELECTOR (sidecars)
#
# Needs kubectl (current context), curl, and:
#   HOTPATCH_SERVER  the control plane's URL as reachable from here, e.g. after
#                    kubectl -n hotpatch port-forward svc/hotpatch-server 8080  ->  http://127.0.0.1:8080
#   HOTPATCH_TOKEN   an operator (or admin) API token
# Optional: EXPIRES_MINUTES (default 1440), RENEW="name ..." (mint a new token for these names even
# if they have one, e.g. after a node lost its data folder and its old token is used up).
#
# Names that already have a key are left alone (their token is used up once the node enrolled;
# run-node.sh ignores it when the node holds a credential); keys of nodes or pods that no longer
# exist are removed. Run it again whenever nodes join or pods are created.
set -euo pipefail

secret=hotpatch-node-enrollment
usage() {
    echo "usage: $0 nodes NAMESPACE | $0 pods NAMESPACE SELECTOR   (env: HOTPATCH_SERVER, HOTPATCH_TOKEN)" >&2
    exit 2
}
[[ $# -ge 2 ]] || usage
kind=$1 ns=$2
: "${HOTPATCH_SERVER:?set HOTPATCH_SERVER to the control plane URL}"
: "${HOTPATCH_TOKEN:?set HOTPATCH_TOKEN to an operator API token}"
expires=${EXPIRES_MINUTES:-1440}
renew=" ${RENEW:-} "

case "$kind" in
    nodes) [[ $# -eq 2 ]] || usage
           names=$(kubectl get nodes -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}') ;;
    pods)  [[ $# -eq 3 ]] || usage
           names=$(kubectl -n "$ns" get pods -l "$3" -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}') ;;
    *)     usage ;;
esac

if ! kubectl -n "$ns" get secret "$secret" >/dev/null 2>&1; then
    kubectl -n "$ns" create secret generic "$secret" >/dev/null
    echo "created Secret $ns/$secret"
fi
keys=$(kubectl -n "$ns" get secret "$secret" -o go-template='{{range $k, $v := .data}}{{$k}}{{"\n"}}{{end}}')

# Prints a new enrollment token named after $1 (the server keeps only its hash).
mint() {
    local label="k8s ${1:0:96}" answer
    answer=$(curl -fsS -X POST -H "Authorization: Bearer $HOTPATCH_TOKEN" -H 'Content-Type: application/json' \
        -d "{\"name\": \"$label\", \"expiresInMinutes\": $expires}" "${HOTPATCH_SERVER%/}/api/v1/enrollment-tokens")
    sed -n 's/.*"token" *: *"\(hpe_[^"]*\)".*/\1/p' <<<"$answer"
}

minted=0
while IFS= read -r name; do
    [[ -n "$name" ]] || continue
    if grep -qxF -- "$name" <<<"$keys" && [[ "$renew" != *" $name "* ]]; then
        continue
    fi
    token=$(mint "$name")
    if [[ -z "$token" ]]; then
        echo "the server answered no enrollment token for $name; check HOTPATCH_SERVER and that HOTPATCH_TOKEN has the operator role" >&2
        exit 1
    fi
    kubectl -n "$ns" patch secret "$secret" --type merge -p "{\"stringData\": {\"$name\": \"$token\"}}" >/dev/null
    echo "enrollment token for $name stored in $ns/$secret"
    minted=$((minted + 1))
done <<<"$names"

while IFS= read -r key; do
    [[ -n "$key" ]] || continue
    if ! grep -qxF -- "$key" <<<"$names"; then
        kubectl -n "$ns" patch secret "$secret" --type json -p "[{\"op\": \"remove\", \"path\": \"/data/$key\"}]" >/dev/null
        echo "removed the key of $key: no longer among the $kind"
    fi
done <<<"$keys"

echo "$minted new enrollment token(s); pods see Secret changes within about a minute"
