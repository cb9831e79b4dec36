#!/usr/bin/env python3
"""Alert intake and incident writes through HAProxy for 1, 2 and 3 `debrief serve` instances on
one PostgreSQL database.

    cargo build --release -p debrief
    python3 bench/instances.py [SECONDS]      (default 8 per measurement)

For each instance count: a fresh database, the instances behind HAProxy (round robin), then
(a) six senders posting 10-alert batches, (b) six writers each editing its own incident's
summary (PATCH), each for SECONDS. Prints batches/s, alerts/s and writes/s with p50/p99
latencies, and the server errors (there must be none). Needs haproxy and psql; uses
DEBRIEF_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test) to create databases.
"""

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("DEBRIEF_BIN") or os.path.join(
    os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "debrief")
BASE = os.environ.get("DEBRIEF_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
SENDERS = 6


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port):
    end = time.time() + 60
    while time.time() < end:
        try:
            if requests.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise SystemExit(f"nothing answers on {port}")


def cluster(n, tmp):
    db = f"debrief_bench_{os.getpid()}_{n}"
    subprocess.run(["psql", BASE, "-qc", f"CREATE DATABASE {db}"], check=True)
    parts = urllib.parse.urlsplit(BASE)
    url = urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/" + db, "", ""))
    key = os.path.join(tmp, f"key{n}")
    with open(os.open(key, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
        f.write(secrets.token_hex(32))
    env = dict(os.environ, DEBRIEF_KEY_FILE=key, DEBRIEF_DATABASE_URL=url,
               DEBRIEF_ADMIN_PASSWORD="granite-owl-lantern-7")
    procs, ports = [], []
    for i in range(n):
        port = free_port()
        procs.append(subprocess.Popen(
            [BIN, "--data-dir", os.path.join(tmp, f"c{n}i{i}"), "serve", "--listen", f"127.0.0.1:{port}"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        ports.append(port)
    for p in ports:
        wait_for(p)
    lb = free_port()
    cfg = os.path.join(tmp, f"haproxy{n}.cfg")
    with open(cfg, "w") as f:
        f.write("global\n    maxconn 512\ndefaults\n    mode http\n    timeout connect 2s\n"
                "    timeout client 30s\n    timeout server 30s\n"
                f"frontend web\n    bind 127.0.0.1:{lb}\n    default_backend d\nbackend d\n    balance roundrobin\n")
        for i, p in enumerate(ports):
            f.write(f"    server d{i} 127.0.0.1:{p}\n")
    procs.append(subprocess.Popen(["haproxy", "-f", cfg, "-db"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    wait_for(lb)
    # Alerts and incidents are a manager's (or a handler's) work, not an admin's.
    cli = [BIN, "--data-dir", os.path.join(tmp, f"cli{n}")]
    subprocess.run([*cli, "user", "add", "bench", "--role", "manager"], env=env, capture_output=True, check=True)
    out = subprocess.run([*cli, "token", "create", "--user", "bench", "--name", "bench"],
                         env=env, capture_output=True, text=True, check=True).stdout
    token = next(w for w in out.split() if w.startswith("dbf_"))
    return procs, db, lb, {"Authorization": f"Bearer {token}"}


def run(seconds, work):
    lat, codes, lock, stop = [], {}, threading.Lock(), threading.Event()

    def one(t):
        s = requests.Session()
        i = 0
        while not stop.is_set():
            t0 = time.perf_counter()
            code = work(s, t, i)
            dt = time.perf_counter() - t0
            i += 1
            with lock:
                lat.append(dt)
                codes[code] = codes.get(code, 0) + 1

    threads = [threading.Thread(target=one, args=(t,)) for t in range(SENDERS)]
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    lat.sort()
    return len(lat) / seconds, lat[len(lat) // 2] * 1000, lat[int(len(lat) * 0.99)] * 1000, codes


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 8
    for tool in ("haproxy", "psql"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is missing")
    if not os.path.exists(BIN):
        raise SystemExit(f"{BIN} is missing: cargo build --release -p debrief")
    tmp = tempfile.mkdtemp(prefix="debrief-bench-instances-")
    print(f"{SENDERS} senders, {seconds:.0f} s each, through HAProxy; {os.cpu_count()} cores")
    print("instances | batches/s (10 alerts) | alerts/s | p50 ms | p99 ms | incident writes/s | p50 ms | p99 ms | errors")
    for n in (1, 2, 3):
        procs, db, lb, auth = cluster(n, tmp)
        base = f"http://127.0.0.1:{lb}"
        tag = secrets.token_hex(3)

        def batch(s, t, i):
            body = [{"type": "bench", "source": "instances", "sourceRef": f"{tag}-{t}-{i}-{k}",
                     "title": f"alert {t}-{i}-{k}", "severity": 2} for k in range(10)]
            return s.post(f"{base}/api/v1/alerts", json=body, headers=auth, timeout=30).status_code

        incidents = [requests.post(f"{base}/api/v1/incidents", json={"title": f"Bench {t}"}, headers=auth).json()["number"]
                     for t in range(SENDERS)]

        def write(s, t, i):
            return s.patch(f"{base}/api/v1/incidents/{incidents[t]}", json={"summary": f"edit {i}"},
                           headers=auth, timeout=30).status_code

        b_rate, b50, b99, b_codes = run(seconds, batch)
        w_rate, w50, w99, w_codes = run(seconds, write)
        errors = sum(v for k, v in {**b_codes, **w_codes}.items() if k >= 500)
        refused = {k: v for k, v in {**b_codes, **w_codes}.items() if 400 <= k < 500}
        if refused:
            raise SystemExit(f"requests refused, the measurement is void: {refused}")
        print(f"{n} | {b_rate:.0f} | {b_rate * 10:.0f} | {b50:.1f} | {b99:.1f} | {w_rate:.0f} | {w50:.1f} | {w99:.1f} | {errors}")
        for p in procs:
            p.kill()
            p.wait()
        subprocess.run(["psql", BASE, "-qc", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"], check=False)
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
