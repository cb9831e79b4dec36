"""Three `debrief serve` instances on one PostgreSQL database behind HAProxy (Debian's package).

    DEBRIEF_BIN=target/debug/debrief DEBRIEF_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test \
        python3 -m unittest tests/instances/test_instances.py -v

The instances start together (they take turns at setting the database up), share one key file,
and each keeps its own data directory. Checked: the set-up ran once; one instance runs the
notification worker; six senders of 10-alert batches through the balancer get no server error
and every acknowledged alert is stored once; an incident written on one instance is read and
edited on the others; a browser session opened on one works on another; two browsers on two
instances see an edit and an alert made through the third without reloading; sign-in limits count
across instances; the ledger verifies; and when the instance running the worker is SIGKILLed mid-load, the balancer's retries carry
its requests to the others, nothing acknowledged is lost, and another instance takes the worker
over. Fails, never skips, when HAProxy, psql or PostgreSQL is missing.
"""

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("DEBRIEF_BIN") or os.path.join(ROOT, "target", "debug", "debrief")
BASE_URL = os.environ.get("DEBRIEF_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
PASSWORD = "granite-owl-lantern-7"
INSTANCES = 3


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port, deadline=60):
    end = time.time() + deadline
    while time.time() < end:
        try:
            if requests.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise AssertionError(f"nothing answers on port {port}")


def with_database(url, name):
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))


class Instances(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for tool in ("haproxy", "psql"):
            if shutil.which(tool) is None:
                raise AssertionError(f"{tool} is missing: apt-get install -y {'haproxy' if tool == 'haproxy' else 'postgresql-client'}")
        if not os.path.exists(BIN):
            raise AssertionError(f"{BIN} is missing: cargo build -p debrief")
        cls.tmp = tempfile.mkdtemp(prefix="debrief-instances-")
        cls.db = f"debrief_inst_{os.getpid()}"
        subprocess.run(["psql", BASE_URL, "-qc", f"CREATE DATABASE {cls.db}"], check=True)
        cls.url = with_database(BASE_URL, cls.db)
        cls.key = os.path.join(cls.tmp, "installation.key")
        with open(os.open(cls.key, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            f.write(secrets.token_hex(32))
        cls.env = dict(os.environ, DEBRIEF_KEY_FILE=cls.key, DEBRIEF_DATABASE_URL=cls.url,
                       DEBRIEF_ADMIN_PASSWORD=PASSWORD, RUST_LOG="info")
        cls.procs, cls.ports, cls.logs = [], [], []
        for n in range(INSTANCES):
            cls.start(n)
        for port in cls.ports:
            wait_for(port)
        cls.lb = free_port()
        cfg = os.path.join(cls.tmp, "haproxy.cfg")
        servers = "\n".join(
            f"    server d{n} 127.0.0.1:{p} check inter 300ms fall 1 rise 2" for n, p in enumerate(cls.ports)
        )
        with open(cfg, "w") as f:
            f.write(f"""global
    maxconn 512
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    retries 3
    option redispatch 1
    retry-on all-retryable-errors
    option http-buffer-request
frontend web
    bind 127.0.0.1:{cls.lb}
    default_backend debrief
backend debrief
    balance roundrobin
    option httpchk GET /api/v1/health
{servers}
""")
        cls.haproxy = subprocess.Popen(["haproxy", "-f", cfg, "-db"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(cls.lb)
        cli = [BIN, "--data-dir", os.path.join(cls.tmp, "cli")]
        subprocess.run([*cli, "user", "add", "maria", "--role", "manager"], env=cls.env, capture_output=True, check=True)
        out = subprocess.run(
            [*cli, "token", "create", "--user", "maria", "--name", "load"],
            env=cls.env, capture_output=True, text=True, check=True,
        ).stdout
        cls.token = next(w for w in out.split() if w.startswith("dbf_"))
        cls.auth = {"Authorization": f"Bearer {cls.token}"}

    @classmethod
    def start(cls, n):
        data = os.path.join(cls.tmp, f"i{n}")
        os.makedirs(data, exist_ok=True)
        port = cls.ports[n] if n < len(cls.ports) else free_port()
        log = os.path.join(cls.tmp, f"i{n}.log")
        with open(log, "w") as out:
            proc = subprocess.Popen(
                [BIN, "--data-dir", data, "serve", "--listen", f"127.0.0.1:{port}", "--insecure-cookies"],
                env=cls.env, stdout=out, stderr=subprocess.STDOUT,
            )
        if n < len(cls.ports):
            cls.procs[n], cls.logs[n] = proc, log
        else:
            cls.procs.append(proc)
            cls.ports.append(port)
            cls.logs.append(log)

    @classmethod
    def tearDownClass(cls):
        for p in [*cls.procs, getattr(cls, "haproxy", None)]:
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()
        subprocess.run(["psql", BASE_URL, "-qc", f"DROP DATABASE IF EXISTS {cls.db} WITH (FORCE)"], check=False)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def sql(self, query):
        out = subprocess.run(["psql", self.url, "-At", "-c", query], capture_output=True, text=True, check=True)
        return out.stdout.strip()

    def leaders(self, job):
        found = []
        for n, path in enumerate(self.logs):
            with open(path) as f:
                text = re.sub(r"\x1b\[[0-9;]*m", "", f.read())
            if re.search(rf'this instance runs the job.*job="?{re.escape(job)}', text) or re.search(
                rf'job="?{re.escape(job)}"?.*this instance runs the job', text
            ):
                found.append(n)
        return found

    def send_load(self, seconds, senders=6, on_the_way=None):
        """Six senders post 10-alert batches through the balancer; the statuses and the
        acknowledged source references."""
        statuses, acked, lock = {}, set(), threading.Lock()
        stop = threading.Event()
        tag = secrets.token_hex(4)

        def sender(t):
            s = requests.Session()
            i = 0
            while not stop.is_set():
                refs = [f"{tag}-{t}-{i}-{k}" for k in range(10)]
                i += 1
                batch = [{"type": "lb", "source": "instances-test", "sourceRef": r, "title": f"alert {r}",
                          "severity": 2} for r in refs]
                try:
                    r = s.post(f"http://127.0.0.1:{self.lb}/api/v1/alerts", json=batch, headers=self.auth, timeout=30)
                    code = r.status_code
                except requests.RequestException as e:
                    code = type(e).__name__
                with lock:
                    statuses[code] = statuses.get(code, 0) + 1
                    if isinstance(code, int) and 200 <= code < 300:
                        acked.update(refs)

        threads = [threading.Thread(target=sender, args=(t,)) for t in range(senders)]
        for t in threads:
            t.start()
        if on_the_way:
            time.sleep(seconds / 2)
            on_the_way()
            time.sleep(seconds / 2)
        else:
            time.sleep(seconds)
        stop.set()
        for t in threads:
            t.join()
        return statuses, acked, tag

    def stored(self, tag):
        """Per source reference: how many alerts hold it, and how often it was received."""
        rows = self.sql(f"SELECT source_ref, occurrences FROM alerts WHERE source_ref LIKE '{tag}-%'")
        got = {}
        for line in rows.splitlines():
            ref, occ = line.split("|")
            alerts, received = got.get(ref, (0, 0))
            got[ref] = (alerts + 1, received + int(occ))
        return got

    def test_1_the_set_up_ran_once_and_one_instance_runs_the_worker(self):
        created = 0
        for path in self.logs:
            with open(path) as f:
                created += f.read().count("first admin created")
        self.assertEqual(created, 1, "one instance created the first admin; the others found it")
        per_slug = self.sql("SELECT max(n) FROM (SELECT slug, lang, count(*) AS n FROM playbooks GROUP BY slug, lang) s")
        self.assertEqual(per_slug, "1", "each starter playbook published once")
        deadline = time.time() + 10
        while time.time() < deadline and len(self.leaders("notifications")) != 1:
            time.sleep(0.2)
        self.assertEqual(len(self.leaders("notifications")), 1, "exactly one instance runs the notification worker")

    def test_2_concurrent_batches_through_the_balancer(self):
        statuses, acked, tag = self.send_load(5)
        errors = {k: v for k, v in statuses.items() if not (isinstance(k, int) and 200 <= k < 300)}
        self.assertEqual(errors, {}, f"every batch acknowledged: {statuses}")
        stored = self.stored(tag)
        self.assertGreater(len(acked), 300, statuses)
        self.assertEqual(acked - stored.keys(), set(), "every acknowledged alert is stored")
        self.assertEqual({r for r, n in stored.items() if n != (1, 1)}, set(), "once, received once")
        numbers = self.sql("SELECT count(*) = count(DISTINCT number) FROM alerts")
        self.assertEqual(numbers, "t")
        print(f"\n  {sum(statuses.values())} batches, {len(acked)} alerts, statuses {statuses}")

    def test_3_an_incident_written_on_one_is_read_and_edited_on_the_others(self):
        a, b, c = (f"http://127.0.0.1:{p}" for p in self.ports[:3])
        r = requests.post(f"{a}/api/v1/incidents", json={"title": "Written on the first instance"}, headers=self.auth)
        self.assertEqual(r.status_code, 201, r.text)
        number = r.json()["number"]
        r = requests.get(f"{b}/api/v1/incidents/{number}", headers=self.auth)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json()["title"], "Written on the first instance")
        r = requests.patch(f"{b}/api/v1/incidents/{number}", json={"summary": "edited on the second"}, headers=self.auth)
        self.assertEqual(r.status_code, 200, r.text)
        r = requests.get(f"{c}/api/v1/incidents/{number}", headers=self.auth)
        self.assertEqual(r.json()["summary"], "edited on the second")

    def test_4_a_session_opened_on_one_instance_works_on_another(self):
        a, b = (f"http://127.0.0.1:{p}" for p in self.ports[:2])
        s = requests.Session()
        page = s.get(f"{a}/login")
        csrf = re.search(r'name="_csrf" value="([^"]+)"', page.text).group(1)
        r = s.post(f"{a}/login", data={"_csrf": csrf, "next": "/incidents", "username": "admin", "password": PASSWORD},
                   allow_redirects=False)
        self.assertIn(r.status_code, (302, 303), r.text[:300])
        # The cookies were set for 127.0.0.1: the other port gets them too.
        r = s.get(f"{b}/incidents", allow_redirects=False)
        self.assertIn(r.status_code, (200, 302, 303))
        if r.status_code != 200:
            # A first sign-in with a given password goes to the change-password page: still signed in.
            self.assertNotIn("/login", r.headers.get("location", ""), r.headers)

    def browser(self, port):
        """Chromium signed in as the admin on one instance (its own cookies)."""
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait

        chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
        if not chromium or not driver:
            raise AssertionError("chromium and chromedriver are missing: apt-get install -y chromium chromium-driver")
        opts = webdriver.ChromeOptions()
        for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
            opts.add_argument(a)
        opts.binary_location = chromium
        d = webdriver.Chrome(service=Service(driver), options=opts)
        d.get(f"http://127.0.0.1:{port}/login?lang=en")
        d.find_element(By.ID, "username").send_keys("admin")
        d.find_element(By.ID, "password").send_keys(PASSWORD)
        d.find_element(By.ID, "sign-in").click()
        WebDriverWait(d, 15).until(lambda d: "/login" not in d.current_url)
        return d

    def test_4b_two_sessions_on_two_instances_see_changes_live(self):
        """An incident page open on instance 1 and on instance 2 shows, without a reload, an edit
        made through instance 3; the alert queue on instance 2 shows an alert sent to instance 3."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait

        a, b, c = (f"http://127.0.0.1:{p}" for p in self.ports[:3])
        r = requests.post(f"{c}/api/v1/incidents", json={"title": "Followed live"}, headers=self.auth)
        self.assertEqual(r.status_code, 201, r.text)
        number = r.json()["number"]
        first, second = self.browser(self.ports[0]), self.browser(self.ports[1])
        try:
            for d, base in ((first, a), (second, b)):
                d.get(f"{base}/incidents/{number}")
                WebDriverWait(d, 10).until(lambda d: d.find_element(By.CSS_SELECTOR, "body[data-live-open]"))
            time.sleep(0.5)  # the streams subscribe and each instance LISTENs
            started = time.time()
            r = requests.patch(f"{c}/api/v1/incidents/{number}", json={"title": "Followed live on every instance"},
                               headers=self.auth)
            self.assertEqual(r.status_code, 200, r.text)
            for d in (first, second):
                WebDriverWait(d, 5, poll_frequency=0.05).until(
                    lambda d: "every instance" in d.find_element(By.TAG_NAME, "h1").text)
            took = time.time() - started
            self.assertLess(took, 2.0, f"both pages followed within {took:.2f} s")
            self.assertTrue(first.current_url.endswith(f"/incidents/{number}"), "no navigation")

            second.get(f"{b}/alerts")
            WebDriverWait(second, 10).until(lambda d: d.find_element(By.CSS_SELECTOR, "body[data-live-open]"))
            time.sleep(0.5)
            started = time.time()
            r = requests.post(f"{c}/api/v1/alerts", json={"type": "external", "source": "edr", "sourceRef": "LIVE-1",
                                                         "title": "Live alert from instance three", "severity": 3},
                              headers=self.auth)
            self.assertIn(r.status_code, (200, 201), r.text)
            WebDriverWait(second, 5, poll_frequency=0.05).until(
                lambda d: "Live alert from instance three" in d.find_element(By.TAG_NAME, "main").text)
            print(f"\n  incident edit on instance 3 seen on 1 and 2 in {took:.2f} s; "
                  f"alert seen on 2 in {time.time() - started:.2f} s")
        finally:
            first.quit()
            second.quit()

    def test_4c_sign_in_limits_count_on_every_instance(self):
        """Five wrong passwords for one name, each to the next instance: the sixth check is refused
        whichever instance it reaches — the count is the installation's, not an instance's."""
        statuses = []
        for n in range(6):
            port = self.ports[n % INSTANCES]
            r = requests.get(f"http://127.0.0.1:{port}/api/v1/incidents", auth=("spread-guess", f"wrong-{n}"))
            statuses.append(r.status_code)
        self.assertEqual(statuses, [401] * 5 + [429], statuses)

    def test_5_the_ledger_verifies_from_any_instance_data_dir(self):
        out = subprocess.run([BIN, "--data-dir", os.path.join(self.tmp, "i1"), "verify"], env=self.env,
                             capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("OK: every chain holds", out.stdout)

    def test_6_a_killed_instance_leaves_its_work_to_the_others(self):
        leader = self.leaders("notifications")
        self.assertEqual(len(leader), 1)
        victim = leader[0]

        def kill():
            self.procs[victim].send_signal(signal.SIGKILL)
            self.procs[victim].wait()

        statuses, acked, tag = self.send_load(6, on_the_way=kill)
        errors = {k: v for k, v in statuses.items() if not (isinstance(k, int) and 200 <= k < 300)}
        self.assertEqual(errors, {}, f"the balancer carried every request to a live instance: {statuses}")
        stored = self.stored(tag)
        self.assertEqual(acked - stored.keys(), set(), "every acknowledged alert is stored")
        self.assertEqual({r for r, (alerts, _) in stored.items() if alerts != 1}, set(), "as one alert each")
        # A batch the killed instance had stored but not yet answered is sent again by HAProxy to
        # another instance, which counts it as a repeat (intake is idempotent): at most the
        # batches in flight at the kill, one per sender.
        again = {r for r, (_, received) in stored.items() if received > 1}
        self.assertLessEqual(len(again), 6 * 10, again)
        self.assertEqual({r for r, (_, received) in stored.items() if received > 2}, set())
        deadline = time.time() + 15
        while time.time() < deadline and not [n for n in self.leaders("notifications") if n != victim]:
            time.sleep(0.2)
        others = [n for n in self.leaders("notifications") if n != victim]
        self.assertEqual(len(others), 1, "one other instance took the worker over")
        print(f"\n  killed instance {victim}; instance {others[0]} runs the worker; statuses {statuses}")


if __name__ == "__main__":
    unittest.main()
