#!/usr/bin/python3
"""kubelet.py: a simulated kubelet for the local control plane (no containers).

It talks to the real API server only through its public API, as a kubelet does:
  - registers its Node (Ready) with its address and kubelet port;
  - binds every pending, unbound pod to that Node (it is the scheduler too);
  - "runs" each container: command + args run as a process (images are
    ignored; the command is found on the container's PATH) in a scratch directory, with the pod's env (literal values,
    $(VAR) expansion, fieldRef, configMap/secret refs), under a time limit;
    init containers first, in order; a container with neither command nor
    args stands for a long-running server and runs until the pod goes away;
  - reports the pod Pending -> Running -> Succeeded/Failed with
    containerStatuses (running/terminated, exit codes, restarts), following
    restartPolicy (Never, OnFailure, Always); as a kubelet's status manager,
    it sends the latest status, so containers that end before their Running
    status is sent go from Pending straight to Succeeded/Failed;
  - finishes graceful deletions (kills the processes, then deletes with
    gracePeriodSeconds=0);
  - serves container output on its HTTPS port as /containerLogs/NS/POD/CONTAINER
    (follow, previous, timestamps, tailLines, limitBytes, sinceSeconds, sinceTime),
    so the API server's pods/NAME/log (kubectl logs) works.

Container processes run in their own session with HOOKCTL_CLUSTER_MARK=<mark>
in their environment, so cluster-down can check that none is left.
Python 3 standard library only (Debian's /usr/bin/python3).
"""

import argparse
import datetime
import http.client
import http.server
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse

UA = "hookctl-sim-kubelet/1.0"
RELIST = 0.05  # seconds; see run_container
ARGS = None
SSL_CTX = None
TOKEN = None
STOP = threading.Event()
PODS = {}  # uid -> PodWorker
PODS_LOCK = threading.Lock()
BY_NAME = {}  # (ns, name) -> PodWorker (latest)
GONE = set()  # uids of pods seen deleted or being deleted: never started


def log(msg):
    sys.stderr.write("%s kubelet: %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


def now_rfc3339():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_nano():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --- API client ----------------------------------------------------------

class ApiError(Exception):
    def __init__(self, code, body):
        Exception.__init__(self, "HTTP %d: %s" % (code, body[:300]))
        self.code = code


def _conn(timeout=30):
    u = urllib.parse.urlparse(ARGS.server)
    return http.client.HTTPSConnection(u.hostname, u.port, context=SSL_CTX, timeout=timeout)


_POOL = []  # idle kept-alive connections to the API server
_POOL_LOCK = threading.Lock()


def api(method, path, body=None, ctype="application/json", ok=(200, 201, 202)):
    """One request on an idle kept-alive connection of the pool, or a new
    one (a real kubelet keeps its connection too; a TLS handshake per
    request made every status update several milliseconds late)."""
    hdrs = {"Authorization": "Bearer " + TOKEN, "User-Agent": UA,
            "Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        hdrs["Content-Type"] = ctype
    while True:
        with _POOL_LOCK:
            c = _POOL.pop() if _POOL else None
        fresh = c is None
        if fresh:
            c = _conn()
        try:
            c.request(method, path, body=data, headers=hdrs)
            r = c.getresponse()
            raw = r.read()
        except (OSError, http.client.HTTPException):
            c.close()
            if fresh:
                raise
            # the server closed an idle connection: again, on another one
            # (every request here may be repeated: status PATCH, binding
            # and DELETE with a uid precondition answer 409 or 404 the second time)
            continue
        if r.will_close:
            c.close()
        else:
            with _POOL_LOCK:
                if len(_POOL) < 16:
                    _POOL.append(c)
                    c = None
            if c is not None:
                c.close()
        if r.status not in ok:
            raise ApiError(r.status, raw.decode("utf-8", "replace"))
        return json.loads(raw) if raw else None


def pod_path(ns, name, sub=""):
    return "/api/v1/namespaces/%s/pods/%s%s" % (
        urllib.parse.quote(ns), urllib.parse.quote(name), sub)


# --- Node ----------------------------------------------------------------

def node_status():
    t = now_rfc3339()

    def cond(typ, status, reason, msg):
        return {"type": typ, "status": status, "reason": reason, "message": msg,
                "lastHeartbeatTime": t, "lastTransitionTime": t}
    return {
        "capacity": {"cpu": "2", "memory": "8Gi", "pods": "110", "ephemeral-storage": "50Gi"},
        "allocatable": {"cpu": "2", "memory": "8Gi", "pods": "110", "ephemeral-storage": "50Gi"},
        "conditions": [
            cond("MemoryPressure", "False", "KubeletHasSufficientMemory", "ok"),
            cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "ok"),
            cond("PIDPressure", "False", "KubeletHasSufficientPID", "ok"),
            cond("Ready", "True", "KubeletReady", "simulated kubelet is posting ready status"),
        ],
        "addresses": [{"type": "InternalIP", "address": "127.0.0.1"},
                      {"type": "Hostname", "address": ARGS.node}],
        "daemonEndpoints": {"kubeletEndpoint": {"Port": ARGS.port}},
        "nodeInfo": {"machineID": "hookctl", "systemUUID": "hookctl", "bootID": "hookctl",
                     "kernelVersion": os.uname().release, "osImage": "simulated",
                     "containerRuntimeVersion": "sim://1.0", "kubeletVersion": "v1.20.2",
                     "kubeProxyVersion": "v1.20.2", "operatingSystem": "linux",
                     "architecture": "amd64"},
    }


def register_node():
    node = {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": ARGS.node,
                         "labels": {"kubernetes.io/hostname": ARGS.node,
                                    "kubernetes.io/os": "linux",
                                    "kubernetes.io/arch": "amd64"}},
            "spec": {}, "status": node_status()}
    try:
        api("POST", "/api/v1/nodes", node)
    except ApiError as e:
        if e.code != 409:
            raise
    api("PATCH", "/api/v1/nodes/%s/status" % ARGS.node, {"status": node_status()},
        ctype="application/merge-patch+json")
    log("node %s registered (Ready), kubelet port %d" % (ARGS.node, ARGS.port))


# --- Containers ----------------------------------------------------------

class Run:
    """One run of one container: its process, log file and end state."""

    def __init__(self, logpath):
        self.logpath = logpath
        self.proc = None
        self.started = None
        self.finished = None
        self.exit_code = None
        self.reason = None
        self.done = threading.Event()


class Container:
    def __init__(self, spec, init):
        self.spec = spec
        self.name = spec["name"]
        self.init = init
        self.runs = []          # Run, oldest first
        self.restarts = 0
        self.waiting_reason = "ContainerCreating"
        self.waiting_message = None
        self.last_term = None   # terminated state of the previous run

    def current(self):
        return self.runs[-1] if self.runs else None

    def status(self, image_id="sim://none"):
        st = {"name": self.name, "image": self.spec.get("image", ""),
              "imageID": image_id, "containerID": "", "restartCount": self.restarts,
              "ready": False, "started": False}
        r = self.current()
        if r is not None and r.finished is None and self.waiting_reason is None:
            st["state"] = {"running": {"startedAt": r.started}}
            st["ready"] = not self.init
            st["started"] = True
            st["containerID"] = "sim://%s-%d" % (self.name, len(self.runs))
        elif r is not None and r.finished is not None and self.waiting_reason is None:
            st["state"] = {"terminated": {"exitCode": r.exit_code, "reason": r.reason,
                                          "startedAt": r.started, "finishedAt": r.finished,
                                          "containerID": "sim://%s-%d" % (self.name, len(self.runs))}}
            st["containerID"] = "sim://%s-%d" % (self.name, len(self.runs))
        else:
            w = {"reason": self.waiting_reason or "ContainerCreating"}
            if self.waiting_message:
                w["message"] = self.waiting_message
            st["state"] = {"waiting": w}
        if self.last_term:
            st["lastState"] = {"terminated": self.last_term}
        return st


_VAR = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)|\$\$")


def expand(s, env):
    def rep(m):
        if m.group(0) == "$$":
            return "$"
        n = m.group(1)
        return env[n] if n in env else m.group(0)
    return _VAR.sub(rep, s)


class ConfigError(Exception):
    pass


def get_obj(kind, ns, name):
    try:
        return api("GET", "/api/v1/namespaces/%s/%s/%s" % (ns, kind, urllib.parse.quote(name)))
    except ApiError as e:
        if e.code == 404:
            return None
        raise


def obj_data(obj, kind):
    import base64
    if kind == "secrets":
        return {k: base64.b64decode(v).decode("utf-8", "replace")
                for k, v in (obj.get("data") or {}).items()}
    d = dict(obj.get("data") or {})
    return d


def field_value(pod, path):
    md = pod.get("metadata", {})
    m = re.match(r"metadata\.(labels|annotations)\['(.*)'\]$", path)
    if m:
        return (md.get(m.group(1)) or {}).get(m.group(2), "")
    return {
        "metadata.name": md.get("name", ""),
        "metadata.namespace": md.get("namespace", ""),
        "metadata.uid": md.get("uid", ""),
        "spec.nodeName": ARGS.node,
        "spec.serviceAccountName": pod.get("spec", {}).get("serviceAccountName", "default"),
        "status.hostIP": "127.0.0.1",
        "status.podIP": "127.0.0.1",
    }.get(path, "")


def container_env(pod, spec):
    """The container's environment; raises ConfigError as the kubelet's
    CreateContainerConfigError would."""
    ns = pod["metadata"]["namespace"]
    env = {}
    for ef in spec.get("envFrom") or []:
        prefix = ef.get("prefix", "")
        for kind, key in (("configmaps", "configMapRef"), ("secrets", "secretRef")):
            ref = ef.get(key)
            if not ref:
                continue
            obj = get_obj(kind, ns, ref.get("name", ""))
            if obj is None:
                if ref.get("optional"):
                    continue
                raise ConfigError('%s "%s" not found' % (kind[:-1], ref.get("name")))
            for k, v in obj_data(obj, kind).items():
                env[prefix + k] = v
    for e in spec.get("env") or []:
        n = e.get("name")
        if "value" in e:
            env[n] = expand(e["value"], env)
            continue
        vf = e.get("valueFrom")
        if not vf:
            env[n] = ""
            continue
        if "fieldRef" in vf:
            env[n] = field_value(pod, vf["fieldRef"].get("fieldPath", ""))
        elif "configMapKeyRef" in vf or "secretKeyRef" in vf:
            kind, ref = ("configmaps", vf["configMapKeyRef"]) if "configMapKeyRef" in vf \
                else ("secrets", vf["secretKeyRef"])
            obj = get_obj(kind, ns, ref.get("name", ""))
            data = obj_data(obj, kind) if obj else None
            if data is None or ref.get("key") not in data:
                if ref.get("optional"):
                    continue
                raise ConfigError("couldn't find key %s in %s %s/%s"
                                  % (ref.get("key"), kind[:-1], ns, ref.get("name")))
            env[n] = data[ref["key"]]
        elif "resourceFieldRef" in vf:
            env[n] = "0"
    return env


def _pump(stream, name, out, lock):
    """Copies one output stream to the CRI-style log file, a line at a time."""
    partial = b""
    while True:
        chunk = stream.read1(65536) if hasattr(stream, "read1") else stream.read(65536)
        if not chunk:
            break
        partial += chunk
        while b"\n" in partial:
            line, partial = partial.split(b"\n", 1)
            with lock:
                out.write(now_nano().encode() + b" " + name + b" F " + line + b"\n")
                out.flush()
    if partial:
        with lock:
            out.write(now_nano().encode() + b" " + name + b" P " + partial + b"\n")
            out.flush()


class KillEvent(threading.Event):
    """The pod's deletion; setting it also wakes the waits linked to it."""

    def __init__(self):
        threading.Event.__init__(self)
        self._links = set()
        self._llock = threading.Lock()

    def link(self, ev):
        with self._llock:
            self._links.add(ev)
        if self.is_set():
            ev.set()

    def unlink(self, ev):
        with self._llock:
            self._links.discard(ev)

    def set(self):
        threading.Event.set(self)
        with self._llock:
            links = list(self._links)
        for ev in links:
            ev.set()


class PodWorker(threading.Thread):
    def __init__(self, pod):
        threading.Thread.__init__(self, daemon=True)
        md = pod["metadata"]
        self.pod = pod
        self.ns = md["namespace"]
        self.name = md["name"]
        self.uid = md["uid"]
        self.kill = KillEvent()
        self.lock = threading.RLock()
        self.phase = "Pending"
        self.reason = None
        self.message = None
        self.start_time = now_rfc3339()
        self.t0 = time.time()
        spec = pod.get("spec", {})
        self.restart = spec.get("restartPolicy", "Always")
        self.inits = [Container(c, True) for c in spec.get("initContainers") or []]
        self.containers = [Container(c, False) for c in spec.get("containers") or []]
        self.dir = os.path.join(ARGS.dir, "pods", "%s_%s_%s" % (self.ns, self.name, self.uid))
        self.deadline = spec.get("activeDeadlineSeconds")
        self.initialized = False
        self.grace = 30
        self.send_cv = threading.Condition()  # the status queue: outbox, sender
        self.outbox = []
        self.sender = None

    def container(self, name):
        for c in self.containers + self.inits:
            if c.name == name:
                return c
        return None

    # status ----------------------------------------------------------
    def post_status(self):
        """Queues the pod's status as it is now.  A sender thread sends it,
        so the pod's work never waits for the API server.  As a real
        kubelet's status manager, it sends the latest status when it is
        free: one that changed again while the previous one was on its way
        is replaced, not sent (a container that ended meanwhile is reported
        terminated without a Running in between; the phase never goes
        back, and the final status is always sent)."""
        body = self._status_body()
        with self.send_cv:
            # outbox[0] is on its way; a later one not yet sent is replaced
            # (never the None that ends the sender)
            if len(self.outbox) > 1 and self.outbox[-1] is not None:
                self.outbox[-1] = body
            else:
                self.outbox.append(body)
            if self.sender is None:
                self.sender = threading.Thread(target=self._send_loop, daemon=True)
                self.sender.start()
            self.send_cv.notify_all()

    def _send_loop(self):
        while True:
            with self.send_cv:
                while not self.outbox:
                    self.send_cv.wait()
                body = self.outbox[0]
            if body is None:
                return
            self._send_status(body)
            with self.send_cv:
                self.outbox.pop(0)
                self.send_cv.notify_all()

    def flush_status(self):
        """Waits until every queued status is sent; then the sender ends."""
        with self.send_cv:
            if self.sender is None:
                return
            self.outbox.append(None)
            self.send_cv.notify_all()
        self.sender.join()

    def _status_body(self):
        with self.lock:
            t = now_rfc3339()
            running_all = all(c.current() is not None and c.current().finished is None
                              and c.waiting_reason is None for c in self.containers)
            ready = self.phase == "Running" and running_all

            def cond(typ, ok, reason=None):
                d = {"type": typ, "status": "True" if ok else "False",
                     "lastProbeTime": None, "lastTransitionTime": t}
                if reason and not ok:
                    d["reason"] = reason
                return d
            done = self.phase in ("Succeeded", "Failed")
            status = {
                "phase": self.phase,
                "hostIP": "127.0.0.1",
                "podIP": "127.0.0.1",
                "podIPs": [{"ip": "127.0.0.1"}],
                "startTime": self.start_time,
                "qosClass": "BestEffort",
                "conditions": [
                    cond("Initialized", self.initialized, "ContainersNotInitialized"),
                    cond("Ready", ready, "PodCompleted" if done else "ContainersNotReady"),
                    cond("ContainersReady", ready, "PodCompleted" if done else "ContainersNotReady"),
                    cond("PodScheduled", True),
                ],
                "containerStatuses": [c.status() for c in self.containers],
            }
            if self.inits:
                status["initContainerStatuses"] = [c.status() for c in self.inits]
            if self.reason:
                status["reason"] = self.reason
            if self.message:
                status["message"] = self.message
            return {"metadata": {"uid": self.uid}, "status": status}

    def _send_status(self, body):
        for attempt in range(5):
            try:
                api("PATCH", pod_path(self.ns, self.name, "/status"), body,
                    ctype="application/merge-patch+json")
                return True
            except ApiError as e:
                if e.code in (404, 409, 422):
                    return False
                time.sleep(0.2 * (attempt + 1))
            except OSError:
                time.sleep(0.2 * (attempt + 1))
        return False

    # running -----------------------------------------------------------
    def time_left(self):
        lim = ARGS.time_limit
        if self.deadline is not None:
            lim = min(lim, self.deadline - (time.time() - self.t0))
        return lim

    def run_container(self, c):
        """One run of container c; returns its exit code (None if killed for
        the pod's deletion)."""
        try:
            env = container_env(self.pod, c.spec)
        except ConfigError as e:
            with self.lock:
                c.waiting_reason = "CreateContainerConfigError"
                c.waiting_message = str(e)
            return "config"
        except (ApiError, OSError) as e:
            with self.lock:
                c.waiting_reason = "CreateContainerConfigError"
                c.waiting_message = str(e)
            return "config"
        cmd = [expand(a, env) for a in c.spec.get("command") or []]
        args = [expand(a, env) for a in c.spec.get("args") or []]
        argv = cmd + args
        work = os.path.join(self.dir, c.name + ".work")
        os.makedirs(work, exist_ok=True)
        logdir = os.path.join(self.dir, c.name)
        os.makedirs(logdir, exist_ok=True)
        run = Run(os.path.join(logdir, "%d.log" % len(c.runs)))
        penv = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "HOME": work, "HOSTNAME": self.name,
                "HOOKCTL_CLUSTER_MARK": ARGS.mark}
        penv.update(env)
        if argv:
            # the command itself, found on the container's PATH (a missing
            # one is a StartError, below), as a container runtime starts it
            full = argv
        else:
            # No command: the image's own entrypoint, unknown here; stands for
            # a server that runs until the pod is deleted.
            full = ["/bin/sh", "-c", "while :; do sleep 3600; done"]
        out = open(run.logpath, "wb")
        lk = threading.Lock()
        start_error = False
        with self.lock:
            run.started = now_rfc3339()
            try:
                run.proc = subprocess.Popen(full, cwd=work, env=penv, stdin=subprocess.DEVNULL,
                                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                            start_new_session=True)
            except OSError as e:
                out.write(("%s stderr F %s\n" % (now_nano(), e)).encode())
                out.close()
                run.finished = now_rfc3339()
                run.exit_code = 128
                run.reason = "StartError"
                run.done.set()
                c.runs.append(run)
                c.waiting_reason = None
                start_error = True
            else:
                c.runs.append(run)
                c.waiting_reason = None
                c.waiting_message = None
        if start_error:
            # the pod is Running (it was set so before the containers
            # started): say so, with this container terminated, before its end
            self.post_status()
            return 128
        # One pipe for both streams: the log keeps the order the container wrote in.
        pumps = [threading.Thread(target=_pump, args=(run.proc.stdout, b"stdout", out, lk), daemon=True)]
        for p in pumps:
            p.start()
        # The process's end is waited for by a thread of its own, blocked in
        # waitpid: it wakes us at once (so does the pod's deletion), where
        # polling every 50 ms made every container end up to 50 ms late.
        exited, wake = threading.Event(), threading.Event()

        def waiter(proc=run.proc):
            proc.wait()
            exited.set()
            wake.set()
        threading.Thread(target=waiter, daemon=True).start()
        self.kill.link(wake)
        # A kubelet sees a container's state when it relists the runtime
        # (PLEG, every second): one that has ended by then is reported
        # terminated, never running.  So here: Running is posted only for
        # a container still running RELIST seconds after its start.
        if not wake.wait(RELIST) or not exited.is_set():
            self.post_status()
        killed = None
        t_end = time.time() + self.time_left()
        while True:
            if exited.is_set():
                rc = run.proc.wait()
                break
            if self.kill.is_set():
                killed = "kill"
            elif time.time() > t_end:
                killed = "deadline"
            if killed:
                self.stop_proc(run.proc, self.grace if killed == "kill" else 0, exited)
                rc = run.proc.wait()
                break
            wake.wait(max(0.0, t_end - time.time()) + 0.001)
        self.kill.unlink(wake)
        # The main process is gone: so is everything else in the container.
        try:
            os.killpg(run.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        for p in pumps:
            p.join(2)
        out.close()
        if rc < 0:
            rc = 128 - rc
        with self.lock:
            run.exit_code = rc
            run.finished = now_rfc3339()
            run.reason = "Completed" if rc == 0 else "Error"
            if killed == "deadline":
                run.reason = "DeadlineExceeded"
            run.done.set()
        if killed == "kill":
            return None
        if killed == "deadline":
            return "deadline"
        return rc

    def stop_proc(self, proc, grace, exited):
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except OSError:
            return
        if exited.wait(max(0, min(grace, 30))):
            return
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass

    def run_until_done(self, c, results):
        """Runs container c following restartPolicy; results[c.name] = last code."""
        delay = 1.0
        while not self.kill.is_set():
            rc = self.run_container(c)
            if rc == "config":
                self.post_status()
                if self.kill.wait(2):
                    break
                continue
            results[c.name] = rc
            if rc is None or rc == "deadline":
                return
            again = self.restart == "Always" or (self.restart == "OnFailure" and rc != 0)
            if c.init and rc == 0:
                again = False
            if not again:
                # The last container to end: the pod's final status (phase
                # Succeeded or Failed, this container terminated) follows at
                # once from _run; posting "Running, all containers
                # terminated" before it only made it one round trip later.
                if c.init or not self.last_to_end(c):
                    self.post_status()
                return
            with self.lock:
                r = c.current()
                c.last_term = {"exitCode": r.exit_code, "reason": r.reason,
                               "startedAt": r.started, "finishedAt": r.finished}
                c.restarts += 1
                c.waiting_reason = "CrashLoopBackOff"
                c.waiting_message = "back-off restarting failed container"
            self.post_status()
            if self.kill.wait(delay):
                break
            delay = min(delay * 2, 10.0)

    def last_to_end(self, c):
        """Whether every other (non-init) container has ended for good."""
        with self.lock:
            for o in self.containers:
                if o is c:
                    continue
                r = o.current()
                if r is None or r.finished is None or o.waiting_reason is not None:
                    return False
            return True

    def run(self):
        try:
            self._run()
        finally:
            self.flush_status()
            # Deleted while finishing: complete the deletion all the same.
            if self.kill.is_set():
                delete_pod(self.ns, self.name, self.uid)

    def _run(self):
        os.makedirs(self.dir, exist_ok=True)
        self.post_status()
        ok = True
        for c in self.inits:
            res = {}
            self.run_until_done(c, res)
            if self.kill.is_set():
                return self.finish_deleted()
            if res.get(c.name) != 0:
                ok = False
                if res.get(c.name) == "deadline":
                    self.reason, self.message = "DeadlineExceeded", "Pod was active on the node longer than the specified deadline"
                break
        if not ok:
            self.phase = "Failed"
            self.post_status()
            return
        with self.lock:
            self.initialized = True
            self.phase = "Running"
        results = {}
        threads = [threading.Thread(target=self.run_until_done, args=(c, results), daemon=True)
                   for c in self.containers]
        for t in threads:
            t.start()
        # each container posts Running as it starts (run_container)
        for t in threads:
            t.join()
        if self.kill.is_set():
            return self.finish_deleted()
        codes = [results.get(c.name) for c in self.containers]
        with self.lock:
            if any(v == "deadline" for v in codes):
                self.phase = "Failed"
                self.reason = "DeadlineExceeded"
                self.message = "Pod was active on the node longer than the specified deadline"
            elif all(v == 0 for v in codes):
                self.phase = "Succeeded"
            else:
                self.phase = "Failed"
        self.post_status()
        log("pod %s/%s %s" % (self.ns, self.name, self.phase))

    def finish_deleted(self):
        with self.lock:
            if self.phase not in ("Succeeded", "Failed"):
                self.phase = "Failed" if self.restart == "Never" else self.phase
        self.post_status()


def delete_pod(ns, name, uid):
    body = {"kind": "DeleteOptions", "apiVersion": "v1", "gracePeriodSeconds": 0,
            "preconditions": {"uid": uid}}
    try:
        api("DELETE", pod_path(ns, name), body, ok=(200, 202))
        log("pod %s/%s deleted" % (ns, name))
    except ApiError as e:
        if e.code not in (404, 409):
            log("delete %s/%s: %s" % (ns, name, e))
    except OSError as e:
        log("delete %s/%s: %s" % (ns, name, e))


# --- Pod events ------------------------------------------------------------

def bind_pod(pod):
    md = pod["metadata"]
    ns, name, uid = md.get("namespace"), md.get("name"), md.get("uid")
    b = {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": name, "uid": uid},
         "target": {"apiVersion": "v1", "kind": "Node", "name": ARGS.node}}
    try:
        api("POST", pod_path(ns, name, "/binding"), b)
        log("pod %s/%s bound to %s" % (ns, name, ARGS.node))
        # Bound to this node by this kubelet: start it now rather than
        # when the watch brings the pod back with its nodeName.
        pod.setdefault("spec", {})["nodeName"] = ARGS.node
        start_pod(pod)
    except ApiError as e:
        if e.code not in (404, 409):
            log("bind %s/%s: %s" % (ns, name, e))
    except (OSError, http.client.HTTPException) as e:
        log("bind %s/%s: %s" % (ns, name, e))


def handle(ev_type, pod):
    md = pod.get("metadata", {})
    spec = pod.get("spec", {})
    uid = md.get("uid")
    ns, name = md.get("namespace"), md.get("name")
    node = spec.get("nodeName")
    if ev_type == "DELETED":
        with PODS_LOCK:
            GONE.add(uid)
            w = PODS.get(uid)
        if w:
            w.kill.set()
        return
    if not node:
        if md.get("deletionTimestamp"):
            return
        # in a thread of its own: one slow binding must not hold up the
        # events of the other pods (as a scheduler binds concurrently)
        threading.Thread(target=bind_pod, args=(pod,), daemon=True).start()
        return
    if node != ARGS.node:
        return
    with PODS_LOCK:
        w = PODS.get(uid)
        if md.get("deletionTimestamp"):
            GONE.add(uid)
            if w is not None:
                g = md.get("deletionGracePeriodSeconds")
                if g is not None:
                    w.grace = g
                w.kill.set()

            def finish(w=w):
                if w is not None:
                    w.join()  # its processes are stopped
                delete_pod(ns, name, uid)
            threading.Thread(target=finish, daemon=True).start()
            return
    start_pod(pod)


def start_pod(pod):
    """Starts the pod's worker, once (after the binding, or from the watch)."""
    md = pod.get("metadata", {})
    uid = md.get("uid")
    ns, name = md.get("namespace"), md.get("name")
    with PODS_LOCK:
        if uid in PODS or uid in GONE or md.get("deletionTimestamp"):
            return
        phase = (pod.get("status") or {}).get("phase")
        if phase in ("Succeeded", "Failed"):
            return
        w = PodWorker(pod)
        PODS[uid] = w
        BY_NAME[(ns, name)] = w
    log("pod %s/%s starting" % (ns, name))
    w.start()


def watch_pods():
    rv = None
    while not STOP.is_set():
        try:
            if rv is None:
                lst = api("GET", "/api/v1/pods")
                rv = lst["metadata"]["resourceVersion"]
                for p in lst.get("items") or []:
                    handle("ADDED", p)
            c = _conn(timeout=330)
            c.request("GET", "/api/v1/pods?watch=1&timeoutSeconds=300&resourceVersion=" + rv,
                      headers={"Authorization": "Bearer " + TOKEN, "User-Agent": UA,
                               "Accept": "application/json"})
            r = c.getresponse()
            if r.status != 200:
                r.read()
                c.close()
                rv = None
                time.sleep(0.5)
                continue
            while not STOP.is_set():
                line = r.readline()
                if not line:
                    break
                ev = json.loads(line)
                if ev.get("type") == "ERROR":
                    rv = None
                    break
                obj = ev.get("object", {})
                rv = obj.get("metadata", {}).get("resourceVersion", rv)
                try:
                    handle(ev["type"], obj)
                except Exception as e:  # keep watching whatever one pod does
                    log("event %s: %r" % (ev.get("type"), e))
            c.close()
        except (OSError, ApiError, ValueError, http.client.HTTPException) as e:
            log("watch: %r; relisting" % (e,))
            rv = None
            time.sleep(0.5)


# --- The kubelet's HTTPS port ------------------------------------------------

def parse_ts(s):
    s = s.rstrip("Z")
    if "." in s:
        head, frac = s.split(".", 1)
        s = head + "." + frac[:6]
        fmt = "%Y-%m-%dT%H:%M:%S.%f"
    else:
        fmt = "%Y-%m-%dT%H:%M:%S"
    return datetime.datetime.strptime(s, fmt).replace(tzinfo=datetime.timezone.utc)


class KubeletHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "hookctl-sim-kubelet"

    def log_message(self, fmt, *a):
        pass

    def reply(self, code, text, ctype="text/plain"):
        b = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)

    def do_GET(self):
        u = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(u.query)
        parts = [urllib.parse.unquote(p) for p in u.path.strip("/").split("/")]
        if parts in (["healthz"], ["readyz"], ["livez"]):
            return self.reply(200, "ok")
        if len(parts) == 4 and parts[0] == "containerLogs":
            return self.logs(parts[1], parts[2], parts[3], q)
        return self.reply(404, "404 page not found")

    def logs(self, ns, pod, cname, q):
        def flag(k):
            return q.get(k, ["false"])[0] in ("true", "1")

        def num(k):
            v = q.get(k)
            return int(v[0]) if v and v[0].lstrip("-").isdigit() else None
        with PODS_LOCK:
            w = BY_NAME.get((ns, pod))
        if w is None:
            return self.reply(404, 'pod "%s" in namespace "%s" is not on node %s' % (pod, ns, ARGS.node))
        c = w.container(cname)
        if c is None:
            return self.reply(400, 'container %s is not valid for pod %s' % (cname, pod))
        with w.lock:
            runs = list(c.runs)
        if flag("previous"):
            if len(runs) < 2:
                return self.reply(400, 'previous terminated container "%s" in pod "%s" not found' % (cname, pod))
            run = runs[-2]
        else:
            if not runs:
                return self.reply(400, 'container "%s" in pod "%s" is waiting to start: %s'
                                  % (cname, pod, c.waiting_reason or "ContainerCreating"))
            run = runs[-1]
        ts = flag("timestamps")
        follow = flag("follow") and not flag("previous")
        tail = num("tailLines")
        limit = num("limitBytes")
        since = None
        if num("sinceSeconds") is not None:
            since = datetime.datetime.now(datetime.timezone.utc) - \
                datetime.timedelta(seconds=num("sinceSeconds"))
        elif q.get("sinceTime"):
            try:
                since = parse_ts(q["sinceTime"][0])
            except ValueError:
                pass
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        sent = [0]

        def emit(rec):
            # rec: "<ts> <stream> <P|F> <text>"
            try:
                t, _stream, tag, text = rec.split(b" ", 3)
            except ValueError:
                return True
            if since is not None:
                try:
                    if parse_ts(t.decode()) < since:
                        return True
                except ValueError:
                    pass
            data = (t + b" " if ts else b"") + text + (b"\n" if tag == b"F" else b"")
            if limit is not None:
                if sent[0] >= limit:
                    return False
                data = data[:limit - sent[0]]
            sent[0] += len(data)
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            return True

        try:
            with open(run.logpath, "rb") as f:
                content = f.read()
                recs = content.split(b"\n")
                rest = recs.pop()  # partial record (or b"")
                if tail is not None and tail >= 0:
                    recs = recs[-tail:] if tail > 0 else []
                for r in recs:
                    if not emit(r):
                        break
                self.wfile.flush()
                if follow:
                    while True:
                        done = run.done.is_set()
                        more = f.read()
                        if more:
                            rest += more
                            lines = rest.split(b"\n")
                            rest = lines.pop()
                            for r in lines:
                                if not emit(r):
                                    done = True
                                    break
                            self.wfile.flush()
                        if done and not more:
                            break
                        time.sleep(0.05)
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (OSError, ssl.SSLError):
            self.close_connection = True


class TLSServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    ctx = None

    def get_request(self):
        sock, addr = self.socket.accept()
        if TLSServer.ctx is None:
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=ARGS.client_ca)
            ctx.load_cert_chain(ARGS.cert, ARGS.key)
            ctx.verify_mode = ssl.CERT_REQUIRED
            TLSServer.ctx = ctx
        # The handshake happens in the handler's thread, on first read.
        return TLSServer.ctx.wrap_socket(sock, server_side=True,
                                         do_handshake_on_connect=False), addr

    def handle_error(self, request, client_address):
        pass


def on_term(signum, frame):
    STOP.set()
    with PODS_LOCK:
        ws = list(PODS.values())
    for w in ws:
        for c in w.containers + w.inits:
            r = c.current()
            if r is not None and r.proc is not None and r.proc.poll() is None:
                try:
                    os.killpg(r.proc.pid, signal.SIGKILL)
                except OSError:
                    pass
    log("stopped")
    os._exit(0)


def main():
    global ARGS, SSL_CTX, TOKEN
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--server", required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--token-file", required=True)
    ap.add_argument("--node", default="hookctl-node")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--client-ca", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--time-limit", type=float, default=300.0,
                    help="seconds a container may run (default 300)")
    ap.add_argument("--mark", default=None,
                    help="value of HOOKCTL_CLUSTER_MARK in container environments")
    ARGS = ap.parse_args()
    # Every pod has a few threads (worker, status sender, output pump,
    # exit waiter): with Python's default 5 ms switch interval, a thread
    # woken by the API server's answer or a container's exit often waited
    # for the GIL for milliseconds.  Measured over 24 hook pods: binding
    # done to the first status sent, median 11.2 ms, now 6.4-7.4; first
    # status done to the last one sent, 6.5 ms, now 3.2-3.4.
    sys.setswitchinterval(0.0005)
    if ARGS.mark is None:
        ARGS.mark = os.path.dirname(os.path.abspath(ARGS.dir))
    with open(ARGS.token_file) as f:
        TOKEN = f.read().strip()
    SSL_CTX = ssl.create_default_context(cafile=ARGS.ca)
    os.makedirs(os.path.join(ARGS.dir, "pods"), exist_ok=True)
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)

    srv = TLSServer(("127.0.0.1", ARGS.port), KubeletHandler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    # The API server may still be starting: try for a minute.
    for attempt in range(300):
        try:
            register_node()
            break
        except (OSError, ApiError, http.client.HTTPException) as e:
            if attempt % 25 == 0:
                log("register node: %s" % e)
            time.sleep(0.2)
    else:
        log("could not register node %s" % ARGS.node)
        sys.exit(1)
    watch_pods()


if __name__ == "__main__":
    main()
