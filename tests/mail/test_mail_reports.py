"""Reports by e-mail against real SMTP on loopback: a person mails the reporting mailbox served by
`debrief serve --mail-listen`; the message becomes an alert, and the acknowledgement with its
reference reaches the person through a real SMTP relay (aiosmtpd, pinned in .ci/run).

    DEBRIEF_BIN=target/debug/debrief python3 -m unittest tests/mail/test_mail_reports.py -v

Fails (never skips) when the binary or aiosmtpd is missing.
"""

import email
import email.policy
import json
import os
import re
import smtplib
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.request
from email.message import EmailMessage

from aiosmtpd.controller import Controller

BIN = os.environ.get("DEBRIEF_BIN", "")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Relay:
    """Keeps every message the relay receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content.decode("utf-8", "replace")))
        return "250 OK"


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


class MailReports(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not BIN or not os.path.exists(BIN):
            raise RuntimeError(f"DEBRIEF_BIN must name the debrief binary (got {BIN!r})")
        cls.relay = Relay()
        cls.relay_port = free_port()
        cls.controller = Controller(cls.relay, hostname="127.0.0.1", port=cls.relay_port)
        cls.controller.start()
        cls.data = tempfile.mkdtemp(prefix="debrief-mail-")

        def cli(*args):
            return subprocess.run([BIN, "--data-dir", cls.data, *args], capture_output=True, text=True, check=True).stdout

        cli("user", "add", "hank", "--role", "handler")
        cls.token = re.search(r"dbf_\S+", cli("token", "create", "--user", "hank", "--name", "t")).group(0)
        cli("user", "add", "maria", "--role", "manager")
        cls.manager = re.search(r"dbf_\S+", cli("token", "create", "--user", "maria", "--name", "m")).group(0)
        cls.http = free_port()
        cls.smtp = free_port()
        cls.server = subprocess.Popen(
            [BIN, "--data-dir", cls.data, "serve", "--listen", f"127.0.0.1:{cls.http}",
             "--mail-listen", f"127.0.0.1:{cls.smtp}", "--mail-to", "report@corp.example",
             "--smtp-relay", f"127.0.0.1:{cls.relay_port}", "--mail-from", "soc@corp.example",
             "--mail-max-mb", "1", "--mail-idle-seconds", "3"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_port(cls.http)
        wait_port(cls.smtp)

    @classmethod
    def tearDownClass(cls):
        cls.server.terminate()
        cls.server.wait(timeout=10)
        cls.controller.stop()

    def api(self, method, path, body=None, token=None):
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.http}{path}", method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {token or self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.load(r)

    def report(self):
        m = EmailMessage()
        m["From"] = "Claire Martin <clerk@corp.example>"
        m["To"] = "report@corp.example"
        m["Subject"] = "Strange invoice mail"
        m["Message-ID"] = "<report-1@corp.example>"
        m["Date"] = "Mon, 23 Nov 2026 09:30:00 +0100"
        m.set_content("I got this invoice and clicked hxxp://pay-invoice[.]example/now before I noticed.\n")
        m.add_attachment(b"From: boss@evil-corp.example\r\nSubject: Pay now\r\n\r\nPay.", maintype="application",
                         subtype="octet-stream", filename="invoice.eml")
        return m

    def test_a_mailed_report_becomes_an_alert_and_is_acknowledged(self):
        with smtplib.SMTP("127.0.0.1", self.smtp, timeout=10) as s:
            code, reply = s.ehlo()
            self.assertEqual(code, 250)
            refused = s.send_message(self.report())
            self.assertEqual(refused, {})
        alerts = [a for a in self.api("GET", "/api/v1/alerts")["alerts"] if a["type"] == "email-report"]
        self.assertEqual(len(alerts), 1)
        a = alerts[0]
        self.assertEqual(a["title"], "Reported by mail: Strange invoice mail")
        self.assertEqual(a["raw"]["reporter"]["email"], "clerk@corp.example")
        self.assertEqual(a["source_ref"], "report-1@corp.example")
        values = {o["value"] for o in a["observables"]}
        self.assertIn("http://pay-invoice.example/now", values)
        self.assertEqual(a["raw"]["mail"]["attachments"][0]["name"], "invoice.eml")
        self.assertTrue(a["occurred_at"].startswith("2026-11-23T08:30:00"), a["occurred_at"])

        deadline = time.time() + 15
        while not self.relay.messages and time.time() < deadline:
            time.sleep(0.1)
        self.assertEqual(len(self.relay.messages), 1, "one acknowledgement")
        sender, rcpts, content = self.relay.messages[0]
        self.assertEqual((sender, rcpts), ("soc@corp.example", ["clerk@corp.example"]))
        self.assertIn(f"A-{a['number']}", content)
        # The acknowledgement never repeats the sender's words (no backscatter of chosen text).
        self.assertNotIn("Strange invoice mail", content)
        ack = email.message_from_string(content, policy=email.policy.default)
        self.assertEqual(ack["Subject"], f"[A-{a['number']}] Report received / Signalement reçu")
        self.assertIn("L'équipe sécurité l'a reçu", ack.get_content())

        # The same message again is a repeat: counted, not acknowledged twice.
        with smtplib.SMTP("127.0.0.1", self.smtp, timeout=10) as s:
            s.send_message(self.report())
        time.sleep(1.5)
        again = self.api("GET", f"/api/v1/alerts/{a['number']}")["alert"]
        self.assertEqual(again["occurrences"], 2)
        self.assertEqual(len(self.relay.messages), 1)

        # Promoted: the whole message is evidence of the incident, collected from the reporter.
        promoted = self.api("POST", f"/api/v1/alerts/{a['number']}/promote")
        number = promoted["incident"]["number"]
        evidence = self.api("GET", f"/api/v1/incidents/{number}/evidence")
        names = [e["name"] for e in (evidence["evidence"] if isinstance(evidence, dict) else evidence)]
        self.assertIn("reported-message.eml", names)

    def test_a_regulator_is_notified_by_email_from_the_directory(self):
        self.api("POST", "/api/v1/stakeholders", {
            "name": "CNIL", "kind": "group", "scope": "external", "category": "regulator",
            "email": "notifications@cnil.example", "language": "fr"}, token=self.manager)
        number = self.api("POST", "/api/v1/incidents", {"title": "Customer data exposed"})["number"]
        aware = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 3600))
        self.api("POST", f"/api/v1/incidents/{number}/milestones", {"milestone": "aware_at", "at": aware, "source": "DPO"})
        self.api("POST", f"/api/v1/incidents/{number}/flags", {"flags": ["personal_data"]})
        before = len(self.relay.messages)
        v = self.api("POST", f"/api/v1/incidents/{number}/notifications/send", {
            "regime": "gdpr-33", "step": "notification", "stakeholder": "CNIL", "channel": "email",
            "summary": "Notification de violation (RGPD art. 33)",
            "text": "Nature : exposition d'une base clients. Environ 1 200 personnes concernées."})
        gdpr = [o for o in v["obligations"] if o["regime"] == "gdpr-33"][0]
        self.assertEqual(gdpr["state"], "met")
        self.assertTrue(v["notifications"][0]["delivery"].startswith("delivered on try 1; SMTP 250"), v["notifications"][0])
        sent = [m for m in self.relay.messages[before:] if m[1] == ["notifications@cnil.example"]]
        self.assertEqual(len(sent), 1)
        self.assertEqual(sent[0][0], "soc@corp.example")
        self.assertIn(f"[#{number}] Notification de violation", sent[0][2])

    def test_other_recipients_are_refused(self):
        m = self.report()
        del m["To"]
        m["To"] = "ceo@corp.example"
        with smtplib.SMTP("127.0.0.1", self.smtp, timeout=10) as s:
            with self.assertRaises(smtplib.SMTPRecipientsRefused):
                s.send_message(m)


    # --- The listener under abuse: bounded memory, answers that go on, permanent refusals. ---

    def raw(self):
        """A raw SMTP connection past the greeting and EHLO."""
        c = socket.create_connection(("127.0.0.1", self.smtp), timeout=10)
        f = c.makefile("rb")
        self.assertTrue(f.readline().startswith(b"220"))
        c.sendall(b"EHLO probe.example\r\n")
        while True:
            line = f.readline()
            if line[3:4] == b" ":
                break
        return c, f

    def rss_kib(self):
        with open(f"/proc/{self.server.pid}/status") as st:
            return int(next(l for l in st if l.startswith("VmRSS")).split()[1])

    def test_an_endless_line_is_refused_without_holding_it_and_the_session_goes_on(self):
        c, f = self.raw()
        before = self.rss_kib()
        chunk = b"A" * (1 << 20)
        for _ in range(64):
            c.sendall(chunk)
        c.sendall(b"\r\n")
        self.assertTrue(f.readline().startswith(b"500 5.5.2"))
        grown = self.rss_kib() - before
        self.assertLess(grown, 16 * 1024, f"64 MiB without a line break grew the server by {grown} KiB")
        c.sendall(b"NOOP\r\n")
        self.assertTrue(f.readline().startswith(b"250"))
        c.close()

    def test_an_oversized_message_gets_552_and_the_session_goes_on(self):
        with smtplib.SMTP("127.0.0.1", self.smtp, timeout=20) as s:
            big = self.report()
            del big["Message-ID"]
            big["Message-ID"] = "<too-big@corp.example>"
            big.add_attachment(os.urandom(2 << 20), maintype="application", subtype="octet-stream",
                               filename="big.bin")
            with self.assertRaises(smtplib.SMTPDataError) as e:
                s.send_message(big)
            self.assertEqual(e.exception.smtp_code, 552)
            # The same session takes the next message.
            small = self.report()
            del small["Message-ID"]
            small["Message-ID"] = "<after-big@corp.example>"
            self.assertEqual(s.send_message(small), {})
            self.assertEqual(s.noop()[0], 250)

    def test_unusable_subjects_are_refused_for_good(self):
        for n, subject in enumerate([b"broken\rsubject", b"x" * 500_000]):
            c, f = self.raw()
            for cmd in (b"MAIL FROM:<clerk@corp.example>", b"RCPT TO:<report@corp.example>", b"DATA"):
                c.sendall(cmd + b"\r\n")
                self.assertEqual(f.readline()[:1], b"2" if cmd != b"DATA" else b"3")
            c.sendall(b"From: clerk@corp.example\r\nMessage-ID: <subj-%d@corp.example>\r\nSubject: " % n
                      + subject + b"\r\n\r\nbody\r\n.\r\n")
            answer = f.readline()
            self.assertTrue(answer.startswith(b"554 5.6.0"), answer[:120])
            self.assertNotIn(b"xxxxxxxxxx", answer)
            c.sendall(b"NOOP\r\n")
            self.assertTrue(f.readline().startswith(b"250"))
            c.close()

    def test_the_acknowledgement_goes_to_the_envelope_sender_only(self):
        m = self.report()
        del m["Message-ID"]
        m["Message-ID"] = "<envelope@corp.example>"
        with smtplib.SMTP("127.0.0.1", self.smtp, timeout=10) as s:
            s.send_message(m, from_addr="bounces@corp.example")
        to_bounces = lambda: [x for x in self.relay.messages if x[1] == ["bounces@corp.example"]]
        deadline = time.time() + 15
        while not to_bounces() and time.time() < deadline:
            time.sleep(0.1)
        self.assertEqual(len(to_bounces()), 1)
        # A null sender (<>: bounces, auto-replies) gets nothing back.
        m = self.report()
        del m["Message-ID"]
        m["Message-ID"] = "<null-sender@corp.example>"
        with smtplib.SMTP("127.0.0.1", self.smtp, timeout=10) as s:
            s.send_message(m, from_addr="")
        number = [a for a in self.api("GET", "/api/v1/alerts")["alerts"]
                  if a["source_ref"] == "null-sender@corp.example"][0]["number"]
        time.sleep(1.5)
        self.assertFalse([x for x in self.relay.messages if f"[A-{number}]" in x[2]])

    def test_idle_clients_are_let_go(self):
        c, f = self.raw()
        c.settimeout(15)
        self.assertTrue(f.readline().startswith(b"421 4.4.2"))
        self.assertEqual(f.readline(), b"")
        c.close()

    def test_sessions_at_once_are_capped(self):
        held = []
        try:
            for _ in range(16):
                c = socket.create_connection(("127.0.0.1", self.smtp), timeout=10)
                self.assertTrue(c.makefile("rb").readline().startswith(b"220"))
                held.append(c)
            extra = socket.create_connection(("127.0.0.1", self.smtp), timeout=10)
            self.assertTrue(extra.makefile("rb").readline().startswith(b"421 4.3.2"))
            extra.close()
        finally:
            for c in held:
                c.close()
        deadline = time.time() + 10
        while True:
            c = socket.create_connection(("127.0.0.1", self.smtp), timeout=10)
            line = c.makefile("rb").readline()
            c.close()
            if line.startswith(b"220") or time.time() > deadline:
                break
            time.sleep(0.1)
        self.assertTrue(line.startswith(b"220"), line)


if __name__ == "__main__":
    unittest.main(verbosity=2)
