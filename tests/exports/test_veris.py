"""VERIS 1.4 export validated against the official schema (`../shared/data/veris/verisc-merged.json`,
JSON Schema draft-04, with its enumerations) by jsonschema, for a bare incident and for a
classified personal-data breach with downtime and costs set through a live `debrief serve`.

    DEBRIEF_BIN=target/debug/debrief python3 -m unittest tests/exports/test_veris.py -v

Fails (never skips) when the binary, the schema or jsonschema is missing.
"""

import json
import os
import re
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.request

import jsonschema

BIN = os.environ.get("DEBRIEF_BIN", "")
SCHEMA = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data", "veris", "verisc-merged.json")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


class VerisExport(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not BIN or not os.path.exists(BIN):
            raise RuntimeError(f"DEBRIEF_BIN must name the debrief binary (got {BIN!r})")
        cls.validator = jsonschema.Draft4Validator(load(SCHEMA))

    def setUp(self):
        self.data = tempfile.mkdtemp(prefix="debrief-veris-")

    def cli(self, *args):
        return subprocess.run([BIN, "--data-dir", self.data, "--actor", "maria", *args],
                              capture_output=True, text=True, check=True).stdout

    def export(self, n):
        path = os.path.join(self.data, f"veris-{n}.json")
        self.cli("export", str(n), "--format", "veris", "-o", path)
        record = load(path)
        errors = [f"{list(e.path)}: {e.message}" for e in self.validator.iter_errors(record)]
        self.assertEqual(errors, [])
        return record

    def test_a_bare_incident_is_a_valid_record_with_unknowns(self):
        self.cli("incident", "new", "--title", "Odd traffic", "--source", "firewall")
        r = self.export(1)
        self.assertEqual(r["action"], {"unknown": {}})
        self.assertEqual(r["discovery_method"], {"unknown": True})
        self.assertEqual(r["timeline"]["discovery"], {"unit": "Unknown"})

    def test_a_phishing_breach_maps_to_veris(self):
        self.cli("user", "add", "maria", "--role", "manager")
        token = re.search(r"dbf_\S+", self.cli("token", "create", "--user", "maria", "--name", "t")).group(0)
        self.cli("incident", "new", "--title", "Phishing wave", "--summary", "Credential theft",
                 "--source", "reported by an employee")
        self.cli("triage", "classify", "1", "fraud", "phishing")
        self.cli("incident", "set-time", "1", "started_at", "2026-11-20T02:10:00Z", "--source", "EDR")
        self.cli("incident", "set-time", "1", "detected_at", "2026-11-20T09:00:00Z", "--source", "SIEM")
        self.cli("incident", "set-time", "1", "contained_at", "2026-11-21T11:00:00Z", "--source", "EDR")
        port = free_port()
        server = subprocess.Popen([BIN, "--data-dir", self.data, "serve", "--listen", f"127.0.0.1:{port}"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.time() + 30
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    if time.time() > deadline:
                        raise
                    time.sleep(0.05)

            def api(method, path, body):
                req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                             data=json.dumps(body).encode(),
                                             headers={"Authorization": f"Bearer {token}",
                                                      "Content-Type": "application/json"})
                with urllib.request.urlopen(req, timeout=10) as r:
                    return json.load(r)

            api("POST", "/api/v1/incidents/1/flags", {"flags": ["personal_data"]})
            api("PATCH", "/api/v1/incidents/1/postmortem", {"impact": {
                "downtime_minutes": 95,
                "records": [{"category": "customer e-mail addresses", "count": 1200}],
                "costs": [
                    {"kind": "direct", "amount_minor": 1250000, "currency": "EUR"},
                    {"kind": "indirect", "amount_minor": 300000, "currency": "EUR"},
                    {"kind": "recovered", "amount_minor": 500000, "currency": "EUR"},
                ]}})
        finally:
            server.terminate()
            server.wait(timeout=10)
        r = self.export(1)
        self.assertEqual(r["action"]["social"]["variety"], ["Phishing"])
        self.assertEqual(r["discovery_method"]["internal"]["variety"], ["Reported by employee"])
        self.assertEqual(r["timeline"]["incident"], {"year": 2026, "month": 11, "day": 20})
        self.assertEqual(r["timeline"]["discovery"], {"unit": "Hours", "value": 6.8})
        self.assertEqual(r["timeline"]["containment"], {"unit": "Hours", "value": 26.0})
        self.assertEqual(r["attribute"]["confidentiality"]["data_total"], 1200)
        self.assertEqual(r["attribute"]["availability"]["duration"], {"unit": "Hours", "value": 1.6})
        self.assertEqual(r["impact"]["iso_currency_code"], "EUR")
        self.assertEqual([(l["variety"], l["amount"]) for l in r["impact"]["loss"]],
                         [("Response and recovery", 12500.0), ("Business disruption", 3000.0)])

    def test_a_hospital_ransomware_maps_to_veris(self):
        """A sub-type (ransomware) and health data (the phi flag) reach VERIS's own words."""
        self.cli("user", "add", "maria", "--role", "manager")
        token = re.search(r"dbf_\S+", self.cli("token", "create", "--user", "maria", "--name", "t")).group(0)
        self.cli("incident", "new", "--title", "Imaging servers encrypted", "--source", "EDR alert")
        self.cli("triage", "classify", "1", "--subtype", "ransomware")
        self.cli("work", "asset", "1", "data-store", "PACS database", "--compromise", "confirmed")
        self.cli("work", "asset", "1", "host", "IMG-01", "--compromise", "confirmed")
        port = free_port()
        server = subprocess.Popen([BIN, "--data-dir", self.data, "serve", "--listen", f"127.0.0.1:{port}"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.time() + 30
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    if time.time() > deadline:
                        raise
                    time.sleep(0.05)
            req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/incidents/1/flags", method="POST",
                                         data=json.dumps({"flags": ["personal_data", "phi"]}).encode(),
                                         headers={"Authorization": f"Bearer {token}",
                                                  "Content-Type": "application/json"})
            urllib.request.urlopen(req, timeout=10).close()
        finally:
            server.terminate()
            server.wait(timeout=10)
        r = self.export(1)
        self.assertEqual(r["action"]["malware"]["variety"], ["Ransomware"])
        self.assertEqual(r["attribute"]["availability"]["variety"], ["Obscuration"])
        self.assertEqual([d["variety"] for d in r["attribute"]["confidentiality"]["data"]], ["Personal", "Medical"])
        self.assertEqual(sorted((a["variety"], a["amount"]) for a in r["asset"]["assets"]),
                         [("S - Database", 1), ("Unknown", 1)])


if __name__ == "__main__":
    unittest.main(verbosity=2)
