"""Single sign-on against a real OpenID Connect provider: oidc-provider from npm (OpenID
Certified), started here with three people. The whole redirect flow — discovery, the
authorization code with PKCE, state and nonce, the provider's own login and consent pages, the ID
token's signature, the user info endpoint — then the role and groups Debrief gives each person.

    DEBRIEF_BIN=target/debug/debrief OIDC_PROVIDER_DIR=~/.cache/debrief-oidc \
        python3 -m unittest tests/oidc/test_oidc.py -v

OIDC_PROVIDER_DIR is a folder where `npm install oidc-provider` was run (.ci/run does it).
Fails (never skips) when the binary, node or the provider is missing.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

import requests

BIN = os.environ.get("DEBRIEF_BIN", "")
PROVIDER_DIR = os.path.expanduser(os.environ.get("OIDC_PROVIDER_DIR", ""))
HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, proc, log):
    deadline = time.time() + 30
    while True:
        try:
            if requests.get(url, timeout=1).status_code < 500:
                return
        except requests.RequestException:
            pass
        if proc.poll() is not None or time.time() > deadline:
            raise RuntimeError(f"{url} did not come up:\n{open(log).read()}")
        time.sleep(0.1)


class SingleSignOn(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not BIN or not os.path.exists(BIN):
            raise RuntimeError(f"DEBRIEF_BIN must name the debrief binary (got {BIN!r})")
        if not shutil.which("node"):
            raise RuntimeError("node is missing: the identity provider cannot run")
        if not os.path.isdir(os.path.join(PROVIDER_DIR, "node_modules", "oidc-provider")):
            raise RuntimeError(f"OIDC_PROVIDER_DIR must hold node_modules/oidc-provider (got {PROVIDER_DIR!r})")
        cls.data = tempfile.mkdtemp(prefix="debrief-oidc-")
        cls.http, cls.op = free_port(), free_port()
        # Two sites, as in real life: the provider on `localhost`, Debrief on 127.0.0.1.
        cls.base, cls.issuer = f"http://127.0.0.1:{cls.http}", f"http://localhost:{cls.op}"
        # The provider, from its own folder so that `import 'oidc-provider'` resolves.
        script = os.path.join(PROVIDER_DIR, "debrief-test-provider.mjs")
        shutil.copy(os.path.join(HERE, "provider.mjs"), script)
        cls.op_log = os.path.join(cls.data, "provider.log")
        cls.op_out = open(cls.op_log, "w")
        cls.provider = subprocess.Popen(
            ["node", script], cwd=PROVIDER_DIR, stdout=cls.op_out, stderr=subprocess.STDOUT,
            env={**os.environ, "PORT": str(cls.op), "REDIRECT_URI": f"{cls.base}/auth/oidc/callback"})
        wait_http(f"{cls.issuer}/.well-known/openid-configuration", cls.provider, cls.op_log)
        with open(os.path.join(cls.data, "debrief.toml"), "w") as f:
            f.write(f'''public_url = "{cls.base}"

[oidc]
issuer = "{cls.issuer}"
client_id = "debrief"
client_secret = "a-secret-for-these-tests-only"
local_accounts = false
roles = {{ "soc-leads" = "manager", "soc" = "handler", "staff" = "viewer" }}
''')

        def cli(*args):
            return subprocess.run([BIN, "--data-dir", cls.data, *args], capture_output=True, text=True, check=True).stdout

        cls.cli = staticmethod(cli)
        cli("user", "add", "maria", "--role", "manager")
        # The break-glass admin, with a password of its own.
        cli("user", "add", "admin", "--role", "admin")
        subprocess.run([BIN, "--data-dir", cls.data, "user", "passwd", "admin", "--password-stdin"],
                       input="granite-owl-lantern-7\n", capture_output=True, text=True, check=True)
        cls.maria = re.search(r"dbf_\S+", cli("token", "create", "--user", "maria", "--name", "t")).group(0)
        cls.log = os.path.join(cls.data, "serve.log")
        cls.serve_out = open(cls.log, "w")
        cls.server = subprocess.Popen(
            [BIN, "--data-dir", cls.data, "serve", "--listen", f"127.0.0.1:{cls.http}", "--insecure-cookies"],
            stdout=cls.serve_out, stderr=subprocess.STDOUT)
        wait_http(f"{cls.base}/api/v1/health", cls.server, cls.log)

    @classmethod
    def tearDownClass(cls):
        for p in (cls.server, cls.provider):
            p.terminate()
            p.wait(timeout=10)
        cls.serve_out.close()
        cls.op_out.close()
        shutil.rmtree(cls.data, ignore_errors=True)

    def sign_in(self, login, next_path="/incidents"):
        """The browser's way: Debrief → the provider's login and consent pages → back."""
        s = requests.Session()
        r = s.get(f"{self.base}/auth/oidc/login", params={"next": next_path})
        self.assertEqual(r.status_code, 200, r.text[:300])
        self.assertTrue(r.url.startswith(f"{self.issuer}/interaction/"), r.url)
        # Debrief sent the browser with PKCE (S256), a state and a nonce.
        first = r.history[0].headers["location"]
        for part in ("code_challenge_method=S256", "code_challenge=", "state=", "nonce=", "scope=openid"):
            self.assertIn(part, first)
        # The provider's own pages: sign in, then consent — each a form posted as a person would.
        for _ in range(4):
            if not r.url.startswith(f"{self.issuer}/interaction/"):
                break
            form = re.search(r'<form[^>]*action="([^"]+)"[^>]*>(.*?)</form>', r.text, re.S)
            self.assertIsNotNone(form, r.text[:500])
            fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(2)))
            if 'name="login"' in form.group(2):
                fields.update({"login": login, "password": "any"})
            r = s.post(form.group(1), data=fields)
        return s, r

    def me(self, s):
        r = s.get(f"{self.base}/api/v1/me")
        self.assertEqual(r.status_code, 200, r.text[:300])
        return r.json()

    def test_a_person_signs_in_through_the_provider_and_gets_the_role_their_groups_map_to(self):
        s, r = self.sign_in("ana")
        self.assertEqual(r.status_code, 200, r.text[:500])
        self.assertTrue(r.url.startswith(f"{self.base}/auth/oidc/callback"), r.url)
        page = s.get(f"{self.base}/incidents")
        self.assertEqual(page.status_code, 200)
        self.assertIn("ana", page.text)
        me = self.me(s)
        self.assertEqual((me["username"], me["role"], me["display_name"]), ("ana", "manager", "Ana Lima"))
        # Her groups came with her (created on first sight).
        groups = {g["name"]: g["members"] for g in s.get(f"{self.base}/api/v1/groups").json()}
        self.assertIn("ana", groups["soc-leads"])
        self.assertIn("ana", groups["staff"])
        # A second sign-in finds the same account, not another.
        s2, _ = self.sign_in("ana")
        self.assertEqual(self.me(s2)["username"], "ana")
        users = self.cli("user", "list", "--format", "json")
        self.assertEqual(sum(1 for u in json.loads(users) if u["username"] == "ana"), 1)

    def test_groups_from_the_provider_open_a_restricted_incident_to_its_members(self):
        s, _ = self.sign_in("bo")
        self.assertEqual(self.me(s)["role"], "handler")
        auth = {"Authorization": f"Bearer {self.maria}"}
        r = requests.post(f"{self.base}/api/v1/incidents", headers=auth,
                          json={"title": "HR: badge cloning at the Lyon site", "restricted": True})
        self.assertEqual(r.status_code, 201, r.text)
        number = r.json()["number"]
        self.assertEqual(s.get(f"{self.base}/api/v1/incidents/{number}").status_code, 404)
        r = requests.post(f"{self.base}/api/v1/incidents/{number}/grants", headers=auth,
                          json={"to": "group:hr", "reason": "HR investigates"})
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(s.get(f"{self.base}/api/v1/incidents/{number}").status_code, 200)

    def test_someone_in_no_mapped_group_is_refused_and_no_account_is_made(self):
        s, r = self.sign_in("cy")
        self.assertEqual(r.status_code, 403, r.text[:300])
        self.assertIn("no group", r.text)
        self.assertEqual(s.get(f"{self.base}/api/v1/me").status_code, 401)
        self.assertNotIn('"cy"', self.cli("user", "list", "--format", "json"))

    def test_a_forged_or_replayed_callback_is_refused(self):
        s = requests.Session()
        r = s.get(f"{self.base}/auth/oidc/callback", params={"code": "x", "state": "y"}, allow_redirects=False)
        self.assertEqual(r.status_code, 400, r.text[:300])
        # A real flow whose state is swapped on the way back.
        r = s.get(f"{self.base}/auth/oidc/login", allow_redirects=False)
        self.assertEqual(r.status_code, 303)
        r = s.get(f"{self.base}/auth/oidc/callback", params={"code": "x", "state": "not-the-one"}, allow_redirects=False)
        self.assertEqual(r.status_code, 400, r.text[:300])
        self.assertEqual(s.get(f"{self.base}/api/v1/me").status_code, 401)

    def test_local_passwords_sign_in_only_the_break_glass_admin(self):
        s = requests.Session()
        page = s.get(f"{self.base}/login")
        self.assertIn('id="sso"', page.text)
        csrf = re.search(r'name="_csrf" value="([^"]+)"', page.text).group(1)
        r = s.post(f"{self.base}/login", data={"_csrf": csrf, "next": "/incidents", "username": "maria", "password": "whatever"})
        self.assertEqual(r.status_code, 403)
        self.assertIn("identity provider", r.text)
        page = s.get(f"{self.base}/login")
        csrf = re.search(r'name="_csrf" value="([^"]+)"', page.text).group(1)
        r = s.post(f"{self.base}/login", data={"_csrf": csrf, "next": "/incidents", "username": "admin", "password": "granite-owl-lantern-7"})
        self.assertEqual(r.status_code, 200, r.text[:300])
        self.assertIn("admin", s.get(f"{self.base}/incidents").text)


    def test_in_chromium_the_whole_redirect_flow_signs_in(self):
        """The same flow in a real browser (Debian's Chromium through chromedriver), whose
        cross-site cookie rules apply on the way back from the provider."""
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait

        driver_path, chromium = shutil.which("chromedriver"), shutil.which("chromium")
        if not driver_path or not chromium:
            raise RuntimeError("chromium and chromedriver are needed: apt-get install -y chromium chromium-driver")
        opts = webdriver.ChromeOptions()
        for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
            opts.add_argument(a)
        opts.binary_location = chromium
        d = webdriver.Chrome(service=Service(driver_path), options=opts)
        try:
            wait = WebDriverWait(d, 15)
            d.get(f"{self.base}/login?next=/recommendations")
            d.find_element(By.ID, "sso").click()
            wait.until(lambda d: d.find_elements(By.NAME, "login"))
            d.find_element(By.NAME, "login").send_keys("bo")
            d.find_element(By.NAME, "password").send_keys("any")
            d.find_element(By.CSS_SELECTOR, "form button, form [type=submit]").click()
            # The provider's consent page, when it asks.
            wait.until(lambda d: d.current_url.startswith(self.base) or "/interaction/" in d.current_url)
            if "/interaction/" in d.current_url:
                d.find_element(By.CSS_SELECTOR, "form button, form [type=submit]").click()
            wait.until(lambda d: d.current_url.startswith(f"{self.base}/recommendations"))
            self.assertIn("Bo Berg", d.page_source)
            self.assertIn("Handler", d.page_source)
        finally:
            d.quit()


if __name__ == "__main__":
    unittest.main()
