"""Passkeys (WebAuthn) as a second factor, in a real browser: Debian's Chromium through
chromedriver, with Chromium's virtual authenticator (a CTAP2 platform authenticator that
verifies its user) added over WebDriver. A person adds a passkey on the settings page, gets
their recovery codes, and at the next sign-in proves the passkey after their password; a
browser without that passkey is refused.

    DEBRIEF_BIN=target/debug/debrief python3 -m unittest tests/passkey/test_passkey.py -v

Passkeys are bound to a domain name: Debrief listens on 127.0.0.1 and is reached (and
configured, `public_url`) as http://localhost:PORT, a secure context for browsers.
Fails (never skips) when the binary, chromium or chromedriver is missing.
"""

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

import requests

BIN = os.environ.get("DEBRIEF_BIN", "")
PASSWORD = "granite-owl-lantern-7"


def page_state(d):
    """Where the browser is and whether the passkey error shows, read in one script (so that a
    navigation under way cannot detach an element between two WebDriver calls); None while the
    page changes."""
    from selenium.common.exceptions import WebDriverException

    try:
        return d.execute_script(
            "var e = document.getElementById('passkey-error');"
            "var c = document.getElementById('passkey-codes');"
            "return {url: location.href, error: !!(e && !e.hidden), text: e ? e.textContent : '',"
            " codes: !!(c && !c.hidden)};")
    except WebDriverException:
        return None


def wait_for(d, predicate, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        st = page_state(d)
        if st is not None and predicate(st):
            return st
        time.sleep(0.1)
    raise AssertionError(f"timed out; the page is {page_state(d)}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Passkeys(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not BIN or not os.path.exists(BIN):
            raise RuntimeError(f"DEBRIEF_BIN must name the debrief binary (got {BIN!r})")
        cls.driver_path, cls.chromium = shutil.which("chromedriver"), shutil.which("chromium")
        if not cls.driver_path or not cls.chromium:
            raise RuntimeError("chromium and chromedriver are needed: apt-get install -y chromium chromium-driver")
        cls.data = tempfile.mkdtemp(prefix="debrief-passkey-")
        cls.port = free_port()
        cls.base = f"http://localhost:{cls.port}"
        with open(os.path.join(cls.data, "debrief.toml"), "w") as f:
            f.write(f'public_url = "{cls.base}"\n')
        for name, role in (("hera", "handler"), ("root", "admin")):
            subprocess.run([BIN, "--data-dir", cls.data, "user", "add", name, "--role", role, "--password-stdin"],
                           input=PASSWORD + "\n", capture_output=True, text=True, check=True)
        cls.log = os.path.join(cls.data, "serve.log")
        cls.out = open(cls.log, "w")
        cls.server = subprocess.Popen(
            [BIN, "--data-dir", cls.data, "serve", "--listen", f"127.0.0.1:{cls.port}", "--insecure-cookies"],
            stdout=cls.out, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{cls.port}/api/v1/health", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if cls.server.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"debrief serve did not come up:\n{open(cls.log).read()}")
            time.sleep(0.1)

    @classmethod
    def tearDownClass(cls):
        cls.server.terminate()
        cls.server.wait(timeout=10)
        cls.out.close()
        shutil.rmtree(cls.data, ignore_errors=True)

    def browser(self):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        opts = webdriver.ChromeOptions()
        for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
            opts.add_argument(a)
        opts.binary_location = self.chromium
        return webdriver.Chrome(service=Service(self.driver_path), options=opts)

    @staticmethod
    def authenticator(d):
        from selenium.webdriver.common.virtual_authenticator import (
            Protocol, Transport, VirtualAuthenticatorOptions)

        d.add_virtual_authenticator(VirtualAuthenticatorOptions(
            protocol=Protocol.CTAP2, transport=Transport.INTERNAL, has_resident_key=True,
            has_user_verification=True, is_user_verified=True, is_user_consenting=True))

    def password(self, d, wait, next_path="/incidents"):
        from selenium.webdriver.common.by import By

        d.get(f"{self.base}/login?next={next_path}")
        d.find_element(By.ID, "username").send_keys("hera")
        d.find_element(By.ID, "password").send_keys(PASSWORD)
        d.find_element(By.ID, "sign-in").click()
        wait.until(lambda d: "/login?" not in d.current_url and not d.current_url.endswith("/login"))

    def factors(self):
        out = subprocess.run([BIN, "--data-dir", self.data, "user", "factors", "hera", "--format", "json"],
                             capture_output=True, text=True, check=True).stdout
        return json.loads(out)

    def test_a_passkey_is_added_then_proves_the_second_factor_at_sign_in(self):
        from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait

        d = self.browser()
        try:
            wait = WebDriverWait(d, 20, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException))
            self.authenticator(d)
            # No factor yet: the password signs in.
            self.password(d, wait)
            self.assertTrue(d.current_url.endswith("/incidents"), d.current_url)
            d.get(f"{self.base}/settings/second-factor")
            d.find_element(By.ID, "passkey-label").send_keys("laptop")
            d.find_element(By.ID, "passkey-add").click()
            st = wait_for(d, lambda st: st["codes"] or st["error"])
            self.assertFalse(st["error"], st["text"])
            codes = [c.text for c in d.find_elements(By.CSS_SELECTOR, "#passkey-codes-list code")]
            self.assertEqual(len(codes), 10, codes)
            self.assertEqual(len(d.get_credentials()), 1, "the authenticator holds the passkey")
            stored = self.factors()
            self.assertEqual([(f["kind"], f["label"]) for f in stored["factors"]], [("passkey", "laptop")])
            self.assertEqual(stored["recovery_codes_left"], 10)
            self.assertNotIn("secret", stored["factors"][0])
            d.find_element(By.ID, "passkey-continue").click()
            wait.until(lambda d: "laptop" in d.page_source)

            # A new sign-in: the password, then the passkey.
            d.delete_all_cookies()
            self.password(d, wait, "/recommendations")
            self.assertIn("/login/second-factor", d.current_url)
            d.find_element(By.ID, "passkey-sign-in").click()
            st = wait_for(d, lambda st: st["url"].startswith(f"{self.base}/recommendations") or st["error"])
            if not st["url"].startswith(f"{self.base}/recommendations"):
                self.fail(st["text"])
            self.assertIn("hera", d.page_source)
            self.assertIsNotNone(self.factors()["factors"][0]["last_used_at"])
        finally:
            d.quit()

        # Another browser, whose authenticator never saw that passkey: refused, and the person
        # stays at the second-factor step.
        d = self.browser()
        try:
            wait = WebDriverWait(d, 20, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException))
            self.authenticator(d)
            self.password(d, wait)
            self.assertIn("/login/second-factor", d.current_url)
            d.find_element(By.ID, "passkey-sign-in").click()
            st = wait_for(d, lambda st: st["error"])
            self.assertIn("/login/second-factor", st["url"])
            d.get(f"{self.base}/incidents")
            self.assertIn("/login/second-factor", d.current_url)
        finally:
            d.quit()


if __name__ == "__main__":
    unittest.main()
