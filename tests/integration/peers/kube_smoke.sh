#!/usr/bin/env bash
# The kube peer is a real API server with RBAC: create a Namespace and a Deployment, read and
# change its /scale subresource; the controller-manager gives it a ReplicaSet; a service-account
# token minted with `kubectl create token` is allowed exactly what its Role grants (get on
# deployments/scale) and refused (403) everything else.
source "$(dirname "$0")/common.sh"
load_peer_env kube
k() { "$KEELSON_KUBECTL" --kubeconfig "$KEELSON_KUBECONFIG" "$@"; }
ns=smoke-$$-$RANDOM
cleanup_hooks+=("'$KEELSON_KUBECTL' --kubeconfig '$KEELSON_KUBECONFIG' delete namespace $ns --wait=false >/dev/null 2>&1")

step "server version"
k version -o json | grep -q "\"gitVersion\": \"$KEELSON_KUBE_VERSION\"" || fail "kubectl version: $(k version 2>&1)"

step "namespace and deployment"
k create namespace "$ns" >/dev/null || fail "create namespace"
k -n "$ns" create deployment web --image=registry.invalid/web:1 --replicas=2 >/dev/null ||
  fail "create deployment"
scale_path=/apis/apps/v1/namespaces/$ns/deployments/web/scale
replicas() { python3 -c 'import json,sys; print(json.load(sys.stdin)["spec"]["replicas"])'; }
[[ $(k get --raw "$scale_path" | replicas) == 2 ]] || fail "scale: $(k get --raw "$scale_path")"
k -n "$ns" scale deployment web --replicas=3 >/dev/null || fail "scale to 3"
[[ $(k get --raw "$scale_path" | replicas) == 3 ]] || fail "scale after update: $(k get --raw "$scale_path")"

if [[ ${KEELSON_KUBE_CONTROLLER_MANAGER:-0} == 1 ]]; then
  step "the deployment controller creates a ReplicaSet"
  has_rs() { [[ -n $(k -n "$ns" get replicasets -l app=web -o name 2>/dev/null) ]]; }
  poll 60 has_rs || fail "no ReplicaSet for the deployment (kube-controller-manager log: $KEELSON_KUBE_LOG_DIR)"
fi

step "least-privilege service account"
k -n "$ns" create serviceaccount scaler-reader >/dev/null || fail "create serviceaccount"
k -n "$ns" create role scale-get --verb=get --resource=deployments.apps/scale >/dev/null ||
  fail "create role"
k -n "$ns" create rolebinding scale-get --role=scale-get --serviceaccount="$ns:scaler-reader" >/dev/null ||
  fail "create rolebinding"
token=$(k -n "$ns" create token scaler-reader --duration=10m) || fail "kubectl create token"

# status METHOD PATH [BODY]: the HTTP status the service account gets.
status() {
  local args=(-sS -o "$SMOKE_TMP/body" -w '%{http_code}' --cacert "$KEELSON_KUBE_CA"
    -H "Authorization: Bearer $token" -X "$1")
  [[ -n ${3:-} ]] && args+=(-H 'Content-Type: application/merge-patch+json' --data "$3")
  curl "${args[@]}" "$KEELSON_KUBE_SERVER$2"
}
expect() {
  local want=$1 got
  shift
  got=$(status "$@")
  [[ $got == "$want" ]] || fail "$1 $2 as the service account: HTTP $got, expected $want: $(cat "$SMOKE_TMP/body")"
}
expect 200 GET "$scale_path"
expect 403 PATCH "$scale_path" '{"spec":{"replicas":5}}'
expect 403 GET "/apis/apps/v1/namespaces/$ns/deployments/web"
expect 403 GET "/apis/apps/v1/namespaces/$ns/deployments"
expect 403 GET "/api/v1/namespaces/$ns/pods"
expect 403 GET "/apis/apps/v1/namespaces/default/deployments/web/scale"
[[ $(k get --raw "$scale_path" | replicas) == 3 ]] || fail "the refused patch changed replicas"
step "ok"
