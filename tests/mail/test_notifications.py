"""Notifications by e-mail through a real SMTP relay on loopback (aiosmtpd, pinned in .ci/run):
a rule's proposal goes out in each recipient's language with the right subject and recipients;
a message the relay could not take is retried by the server after it was killed and restarted;
the approved final report reaches an insurer as a PDF attachment, and the retry after a restart
sends the very document whose SHA-256 the recorded message names.

    DEBRIEF_BIN=target/debug/debrief python3 -m unittest tests/mail/test_notifications.py -v

Fails (never skips) when the binary or aiosmtpd is missing.
"""

import email
import email.policy
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

from aiosmtpd.controller import Controller

BIN = os.environ.get("DEBRIEF_BIN", "")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port):
    deadline = time.time() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if time.time() > deadline:
                raise RuntimeError(f"nothing listens on {port}")
            time.sleep(0.05)


class Relay:
    """Keeps every message the relay receives, parsed."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 OK"


class Debrief:
    """A `debrief serve` process over a data directory, with tokens for a handler and a manager."""

    def __init__(self, data, relay_port):
        self.data = data
        self.relay_port = relay_port
        self.http = free_port()
        self.process = None

    def cli(self, *args):
        return subprocess.run([BIN, "--data-dir", self.data, *args], capture_output=True, text=True,
                              check=True).stdout

    def accounts(self):
        self.cli("user", "add", "hank", "--role", "handler")
        self.handler = re.search(r"dbf_\S+", self.cli("token", "create", "--user", "hank", "--name", "t")).group(0)
        self.cli("user", "add", "maria", "--role", "manager")
        self.manager = re.search(r"dbf_\S+", self.cli("token", "create", "--user", "maria", "--name", "m")).group(0)

    def start(self):
        self.process = subprocess.Popen(
            [BIN, "--data-dir", self.data, "serve", "--listen", f"127.0.0.1:{self.http}",
             "--smtp-relay", f"127.0.0.1:{self.relay_port}", "--mail-from", "soc@corp.example",
             "--notify-retry", "2,2,2"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_port(self.http)

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def api(self, method, path, body=None, manager=False):
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.http}{path}", method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.manager if manager else self.handler}",
                     "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, json.load(r)
        except urllib.error.HTTPError as e:
            return e.code, json.load(e)


class Notifications(unittest.TestCase):
    def setUp(self):
        if not BIN or not os.path.exists(BIN):
            raise RuntimeError(f"DEBRIEF_BIN must name the debrief binary (got {BIN!r})")
        self.relay = Relay()
        self.relay_port = free_port()
        self.controller = None
        self.server = Debrief(tempfile.mkdtemp(prefix="debrief-notify-"), self.relay_port)
        self.server.accounts()

    def tearDown(self):
        if self.server.process and self.server.process.poll() is None:
            self.server.process.terminate()
            self.server.process.wait(timeout=10)
        if self.controller:
            self.controller.stop()

    def start_relay(self):
        self.controller = Controller(self.relay, hostname="127.0.0.1", port=self.relay_port)
        self.controller.start()

    def test_a_proposal_goes_out_in_each_recipients_language(self):
        self.start_relay()
        s = self.server
        s.start()
        for name, addr, lang in [("Direction générale", "dg@corp.example", "fr"),
                                 ("Board", "board@corp.example", "en")]:
            status, v = s.api("POST", "/api/v1/stakeholders", {
                "name": name, "kind": "group", "scope": "internal", "category": "executive",
                "email": addr, "language": lang}, manager=True)
            self.assertEqual(status, 201, v)
            status, v = s.api("POST", "/api/v1/notification-rules", {
                "name": f"Tell {name}", "stakeholder": name, "template": "internal-alert"}, manager=True)
            self.assertEqual(status, 201, v)
        status, inc = s.api("POST", "/api/v1/incidents", {
            "title": "Ransomware on FS01", "summary": "Files on the finance share are encrypted."})
        self.assertEqual(status, 201, inc)
        n = inc["number"]
        status, proposals = s.api("GET", f"/api/v1/incidents/{n}/notifications/proposals")
        self.assertEqual([p["stakeholder"] for p in proposals], ["Direction générale", "Board"])
        self.assertTrue(all(p["channel"] == "email" and p["state"] == "proposed" for p in proposals))
        # A handler cannot send them; the manager sends both.
        status, _ = s.api("POST", f"/api/v1/incidents/{n}/notifications/proposals/{proposals[0]['rule']}/send", {})
        self.assertEqual(status, 403)
        for p in proposals:
            status, v = s.api("POST", f"/api/v1/incidents/{n}/notifications/proposals/{p['rule']}/send", {},
                              manager=True)
            self.assertEqual(status, 201, v)
        got = {m[1][0]: m for m in self.relay.messages}
        self.assertEqual(sorted(got), ["board@corp.example", "dg@corp.example"])
        fr, en = got["dg@corp.example"], got["board@corp.example"]
        self.assertEqual(fr[0], "soc@corp.example")
        self.assertEqual(fr[2]["Subject"], f"[#{n}] [TLP:AMBER] Incident de sécurité n°{n} : Ransomware on FS01")
        self.assertEqual(en[2]["Subject"], f"[#{n}] [TLP:AMBER] Security incident #{n}: Ransomware on FS01")
        self.assertIn("Direction générale <dg@corp.example>", fr[2]["To"])
        body_fr = fr[2].get_content()
        self.assertIn("L'équipe sécurité traite l'incident", body_fr)
        self.assertIn("Files on the finance share are encrypted.", body_fr)
        self.assertIn("The security team is handling incident", en[2].get_content())
        status, v = s.api("GET", f"/api/v1/incidents/{n}/notifications/proposals")
        self.assertEqual([p["state"] for p in v], ["sent", "sent"])

    def test_a_message_the_relay_refused_is_retried_after_a_restart(self):
        s = self.server
        s.start()  # the relay is not running yet
        status, inc = s.api("POST", "/api/v1/incidents", {"title": "Customer data exposed"})
        n = inc["number"]
        aware = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 3600))
        s.api("POST", f"/api/v1/incidents/{n}/milestones", {"milestone": "aware_at", "at": aware, "source": "DPO"})
        s.api("POST", f"/api/v1/incidents/{n}/flags", {"flags": ["personal_data"]})
        status, p = s.api("POST", f"/api/v1/incidents/{n}/notifications/send", {
            "regime": "gdpr-33", "step": "notification", "recipients": ["dpo@cnil.example"], "channel": "email",
            "summary": "Notification de violation (RGPD art. 33)", "text": "Base clients exposée."})
        self.assertEqual(status, 502, p)
        self.assertIn("will be retried", p["detail"])
        # The server dies before its first retry; the relay comes up; the server starts again.
        s.kill()
        self.start_relay()
        s.start()
        deadline = time.time() + 30
        while True:
            status, v = s.api("GET", f"/api/v1/incidents/{n}/obligations")
            note = v["notifications"][0]
            if note["delivered_at"] or time.time() > deadline:
                break
            time.sleep(0.2)
        self.assertTrue(note["delivered_at"], note)
        self.assertEqual(note["attempts"], 2, note)
        self.assertTrue(note["delivery"].startswith("delivered on try 1; SMTP 250"), note)
        gdpr = [o for o in v["obligations"] if o["regime"] == "gdpr-33"][0]
        self.assertEqual(gdpr["state"], "met")
        self.assertEqual(len(self.relay.messages), 1)
        m = self.relay.messages[0]
        self.assertEqual(m[1], ["dpo@cnil.example"])
        self.assertEqual(m[2]["Subject"], f"[#{n}] Notification de violation (RGPD art. 33)")
        self.assertIn("Base clients exposée.", m[2].get_content())

    def test_the_approved_report_goes_attached_and_a_retry_sends_the_same_bytes(self):
        import hashlib
        s = self.server
        s.start()  # the relay is not running yet
        status, v = s.api("POST", "/api/v1/stakeholders", {
            "name": "Assureur", "kind": "group", "scope": "external", "category": "insurer",
            "email": "sinistres@assureur.example", "language": "fr"}, manager=True)
        self.assertEqual(status, 201, v)
        status, inc = s.api("POST", "/api/v1/incidents", {"title": "Ransomware on FS01"})
        n = inc["number"]
        s.api("PATCH", f"/api/v1/incidents/{n}/postmortem",
              {"texts": {"summary": "Les serveurs de fichiers ont été chiffrés ; restaurés en 26 heures."}})
        s.api("POST", f"/api/v1/incidents/{n}/postmortem/root-causes",
              {"category": "process", "text": "Aucun processus n'imposait de délai aux correctifs VPN"})
        s.api("POST", f"/api/v1/incidents/{n}/postmortem/status", {"to": "in-review"})
        status, v = s.api("POST", f"/api/v1/incidents/{n}/postmortem/status", {"to": "approved"}, manager=True)
        self.assertEqual(status, 200, v)
        status, v = s.api("POST", f"/api/v1/incidents/{n}/postmortem/share",
                          {"report": "final", "to": ["Assureur"]}, manager=True)
        self.assertEqual(status, 200, v)
        self.assertEqual(v["shared"][0]["carried"], "attached")
        self.assertFalse(v["shared"][0]["delivered"], v)
        # The server dies before its first retry; the relay comes up; the server starts again.
        s.kill()
        self.start_relay()
        s.start()
        deadline = time.time() + 60
        while True:
            status, v = s.api("GET", f"/api/v1/incidents/{n}/obligations")
            note = v["notifications"][0]
            if note["delivered_at"] or time.time() > deadline:
                break
            time.sleep(0.2)
        self.assertTrue(note["delivered_at"], note)
        named = [l for l in note["content"].splitlines() if l.startswith("Attachment: ")]
        self.assertEqual(len(named), 1, note["content"])
        self.assertTrue(named[0].startswith(f"Attachment: incident-{n}-final-fr.pdf; application/pdf; sha256 "))
        m = self.relay.messages[0][2]
        self.assertEqual(self.relay.messages[0][1], ["sinistres@assureur.example"])
        self.assertEqual(m["Subject"], f"[#{n}] Le rapport final approuvé de l’incident {n}")
        self.assertIn("en pièce jointe", m.get_body(preferencelist=("plain",)).get_content())
        files = [p for p in m.iter_attachments()]
        self.assertEqual([p.get_filename() for p in files], [f"incident-{n}-final-fr.pdf"])
        pdf = files[0].get_content()
        self.assertTrue(pdf.startswith(b"%PDF"))
        self.assertEqual(hashlib.sha256(pdf).hexdigest(), named[0].rsplit(" ", 1)[1],
                         "the very document the record names")


if __name__ == "__main__":
    unittest.main(verbosity=2)
