#!/usr/bin/env python3
"""Durability of alert intake under SIGKILL: every alert the server acknowledged (2xx) is stored,
exactly once.

    bench/alerts_durability.py [ROUNDS]        (default 20; builds nothing: run after
                                                `cargo build --release -p debrief`)

Each round starts `debrief serve` on a fresh port over the same SQLite database, lets four
sender threads post distinct alerts as fast as they can, and kills the server with SIGKILL at a
random moment. At the end a last server lists every alert: each acknowledged sourceRef must be
there once with one occurrence. Standard library only.
"""

import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "debrief")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(data, *args):
    out = subprocess.run([BIN, "--data-dir", data, *args], capture_output=True, text=True, check=True)
    return out.stdout


def start(data):
    port = free_port()
    proc = subprocess.Popen(
        [BIN, "--data-dir", data, "serve", "--listen", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port
        except OSError:
            if time.time() > deadline:
                raise SystemExit("the server did not start")
            time.sleep(0.02)


def post(port, token, body):
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/alerts",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=5) as r:
        return r.status


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    if not os.path.exists(BIN):
        raise SystemExit(f"{BIN} is missing: cargo build --release -p debrief")
    data = tempfile.mkdtemp(prefix="debrief-durability-")
    cli(data, "user", "add", "maria", "--role", "manager")
    token = [l for l in cli(data, "token", "create", "--user", "maria", "--name", "bench").split() if l.startswith("dbf_")][0]
    acked = set()
    lock = threading.Lock()
    sent = 0
    for rnd in range(rounds):
        proc, port = start(data)
        stop = threading.Event()

        def sender(tid):
            nonlocal sent
            i = 0
            while not stop.is_set():
                ref = f"{rnd}-{tid}-{i}"
                i += 1
                body = {"type": "durability", "source": "bench", "sourceRef": ref, "title": f"alert {ref}"}
                try:
                    status = post(port, token, body)
                except (urllib.error.URLError, ConnectionError, OSError):
                    return
                with lock:
                    sent += 1
                    if 200 <= status < 300:
                        acked.add(ref)

        threads = [threading.Thread(target=sender, args=(t,)) for t in range(4)]
        for t in threads:
            t.start()
        time.sleep(random.uniform(0.2, 1.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        stop.set()
        for t in threads:
            t.join()
    proc, port = start(data)
    stored = {}
    offset = 0
    while True:
        req = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/alerts?limit=500&offset={offset}",
            headers={"Authorization": f"Bearer {token}"},
        )
        page = json.load(urllib.request.urlopen(req))["alerts"]
        for a in page:
            stored.setdefault(a["source_ref"], []).append(a["occurrences"])
        if len(page) < 500:
            break
        offset += 500
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    missing = sorted(acked - stored.keys())
    doubled = sorted(r for r, occ in stored.items() if len(occ) != 1 or occ[0] != 1)
    print(f"{rounds} SIGKILLs; {sent} alerts acknowledged by the server before the kills "
          f"({len(acked)} distinct); {len(stored)} stored")
    print(f"acknowledged but missing: {len(missing)} {missing[:5]}")
    print(f"stored more than once or counted twice: {len(doubled)} {doubled[:5]}")
    sys.exit(1 if missing or doubled else 0)


if __name__ == "__main__":
    main()
