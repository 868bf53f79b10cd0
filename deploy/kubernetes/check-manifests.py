#!/usr/bin/env python3
"""Offline checks of the Kubernetes manifests in this folder (no cluster, no schemas needed).

Parses every *.yaml (PyYAML) and checks what a typo would silently break: kinds and API versions,
names and namespaces, selectors against pod labels, volume mounts against volumes, $(VAR)
references, Service and probe ports, and the invariants Hotpatch relies on (one user and group per
pod, the node's user equal to the applications', shared /tmp and same-path folders in a sidecar
pod, the agent option's paths mounted). Usage: python3 deploy/kubernetes/check-manifests.py
"""
import pathlib
import re
import sys

import yaml

HERE = pathlib.Path(__file__).resolve().parent
API = {"Namespace": "v1", "Secret": "v1", "ConfigMap": "v1", "Service": "v1", "Deployment": "apps/v1",
       "StatefulSet": "apps/v1", "DaemonSet": "apps/v1", "PodDisruptionBudget": "policy/v1"}
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet"}
NODE_DATA = "/var/lib/hotpatch-node"
TRUST = "/etc/hotpatch/trust"

problems = []
checked = 0


def problem(where, msg):
    problems.append(f"{where}: {msg}")


def check(cond, where, msg):
    global checked
    checked += 1
    if not cond:
        problem(where, msg)


def load():
    docs = []
    for path in sorted(HERE.rglob("*.yaml")):
        try:
            for i, doc in enumerate(yaml.safe_load_all(path.read_text())):
                if doc is not None:
                    docs.append((f"{path.relative_to(HERE)}#{i}", doc))
        except yaml.YAMLError as e:
            problem(str(path.relative_to(HERE)), f"not valid YAML: {e}")
    return docs


def containers(spec):
    return [("init", c) for c in spec.get("initContainers", [])] + [("main", c) for c in spec.get("containers", [])]


def effective(pod_sc, c, key):
    sc = c.get("securityContext") or {}
    return sc.get(key, pod_sc.get(key))


def mounts(c):
    return {m["mountPath"]: m for m in c.get("volumeMounts", [])}


def check_workload(where, doc, namespaces):
    spec = doc["spec"]
    tmpl = spec["template"]
    pod = tmpl["spec"]
    labels = tmpl["metadata"].get("labels", {})
    sel = spec["selector"]["matchLabels"]
    check(all(labels.get(k) == v for k, v in sel.items()), where, f"selector {sel} does not match pod labels {labels}")
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    claim_names = {t["metadata"]["name"] for t in spec.get("volumeClaimTemplates", [])}
    check(len(volumes) == len(pod.get("volumes", [])), where, "duplicate volume names")
    names = [c["name"] for _, c in containers(pod)]
    check(len(names) == len(set(names)), where, f"duplicate container names {names}")
    used = set()
    pod_sc = pod.get("securityContext") or {}
    users = set()
    for kind, c in containers(pod):
        cw = f"{where} container {c['name']}"
        check(bool(c.get("image")), cw, "no image")
        env_names = []
        for e in c.get("env", []):
            for ref in re.findall(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", str(e.get("value", ""))):
                check(ref in env_names, cw, f"env {e['name']} uses $({ref}) which is not defined before it")
            env_names.append(e["name"])
        for arg in c.get("args", []) + c.get("command", []):
            for ref in re.findall(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", str(arg)):
                check(ref in env_names, cw, f"argument uses $({ref}) which is not in env")
        for m in c.get("volumeMounts", []):
            check(m["name"] in volumes or m["name"] in claim_names, cw, f"mounts unknown volume {m['name']}")
            used.add(m["name"])
        port_names = {p.get("name") for p in c.get("ports", [])}
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            p = c.get(probe, {}).get("httpGet")
            if p:
                check(p["port"] in port_names or isinstance(p["port"], int), cw, f"{probe} port {p['port']} is not a container port")
        sc = c.get("securityContext") or {}
        check(sc.get("allowPrivilegeEscalation") is False, cw, "allowPrivilegeEscalation is not false")
        check("ALL" in (sc.get("capabilities") or {}).get("drop", []), cw, "does not drop ALL capabilities")
        uid = effective(pod_sc, c, "runAsUser")
        gid = effective(pod_sc, c, "runAsGroup")
        if kind == "main":
            check(uid not in (None, 0), cw, "main containers must run as a fixed non-root user")
            users.add((uid, gid))
        tool_opts = next((e.get("value", "") for e in c.get("env", []) if e["name"] == "JAVA_TOOL_OPTIONS"), "")
        agent = re.search(r"-javaagent:(\S+?\.jar)=(\S+)", tool_opts)
        if agent:
            opts = dict(kv.split("=", 1) for kv in agent.group(2).split(","))
            mp = mounts(c)
            check(any(agent.group(1).startswith(p + "/") and mp[p].get("readOnly") for p in mp), cw,
                  f"the agent jar {agent.group(1)} is not on a read-only mount")
            check(opts.get("trust") == TRUST and TRUST in mp, cw, f"agent trust= must be the mounted {TRUST}")
            check(any(opts.get("state", "").startswith(p + "/") for p in mp), cw, "agent state= is not on a volume")
            check("name" in opts, cw, "agent option name= missing")
    for name, v in volumes.items():
        check(name in used, where, f"volume {name} is not mounted anywhere")
        if "configMap" in v or "secret" in v:
            pass
    check(len(users) <= 1, where, f"containers run as different users/groups {users}: attach needs one")
    ns = doc["metadata"].get("namespace")
    check(ns is not None, where, "no namespace")
    return users, pod


def check_sidecar(where, pod):
    by_name = {c["name"]: c for _, c in containers(pod)}
    node = by_name.get("hotpatch-node")
    if node is None:
        return
    check(pod.get("shareProcessNamespace") is True, where, "a node sidecar needs shareProcessNamespace: true")
    nm = mounts(node)
    for c in pod["containers"]:
        if c is node:
            continue
        cm = mounts(c)
        check("/tmp" in cm and "/tmp" in nm and cm["/tmp"]["name"] == nm["/tmp"]["name"], where,
              f"{c['name']} and hotpatch-node must mount ONE volume at /tmp (JDK attach in a shared PID namespace)")
        for path in (NODE_DATA, TRUST):
            check(path in cm and path in nm and cm[path]["name"] == nm[path]["name"], where,
                  f"{c['name']} must mount the node's {path} at the same path")


def main():
    docs = load()
    namespaces = {d["metadata"]["name"] for _, d in docs if d.get("kind") == "Namespace"}
    pods = {}
    node_users = set()
    app_users = set()
    for where, d in docs:
        kind = d.get("kind")
        check(kind in API, where, f"unknown kind {kind}")
        check(d.get("apiVersion") == API.get(kind), where, f"apiVersion {d.get('apiVersion')} for {kind}")
        check(bool(d.get("metadata", {}).get("name")), where, "no metadata.name")
        if kind in WORKLOADS:
            users, pod = check_workload(where, d, namespaces)
            pods[(d["metadata"]["namespace"], where)] = d["spec"]["template"]
            check_sidecar(where, pod)
            names = {c["name"] for c in pod["containers"]}
            if kind == "DaemonSet" and "node" in names:
                node_users |= users
                check(pod.get("hostPID") is True, where, "the node DaemonSet needs hostPID: true")
            elif "hotpatch-node" not in names and any("JAVA_TOOL_OPTIONS" in str(c.get("env")) for c in pod["containers"]):
                app_users |= users
    for where, d in docs:
        if d.get("kind") in ("Service", "PodDisruptionBudget"):
            sel = d["spec"]["selector"] if d["kind"] == "Service" else d["spec"]["selector"]["matchLabels"]
            ns = d["metadata"]["namespace"]
            matches = [t for (pns, _), t in pods.items() if pns == ns
                       and all(t["metadata"]["labels"].get(k) == v for k, v in sel.items())]
            check(bool(matches), where, f"selector {sel} matches no pod template in {ns}")
            if d["kind"] == "Service":
                for p in d["spec"]["ports"]:
                    tp = p.get("targetPort", p["port"])
                    ok = any(tp == cp.get("name") or tp == cp.get("containerPort")
                             for t in matches for c in t["spec"]["containers"] for cp in c.get("ports", []))
                    check(ok, where, f"targetPort {tp} is no container port")
    check(not node_users or not app_users or node_users == app_users, "node-daemonset",
          f"the node DaemonSet runs as {node_users} but the application example as {app_users}")
    for p in problems:
        print("FAIL", p)
    print(f"{checked - len(problems)} passed, {len(problems)} failed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
