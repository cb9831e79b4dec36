"""STIX 2.1 export checked by the OASIS validator (stix2-validator, pinned in .ci/run) in strict
mode, on an incident with every kind of indicator Debrief maps, a classification, a severity and
a TLP marking.

    DEBRIEF_BIN=target/debug/debrief python3 -m unittest tests/exports/test_stix.py -v

Fails (never skips) when the binary or the validator is missing.
"""

import json
import os
import subprocess
import tempfile
import unittest

from stix2validator import ValidationOptions, validate_file

BIN = os.environ.get("DEBRIEF_BIN", "")


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


class StixExport(unittest.TestCase):
    def setUp(self):
        if not BIN or not os.path.exists(BIN):
            raise RuntimeError(f"DEBRIEF_BIN must name the debrief binary (got {BIN!r})")
        self.data = tempfile.mkdtemp(prefix="debrief-stix-")

    def cli(self, *args):
        return subprocess.run([BIN, "--data-dir", self.data, "--actor", "maria", *args],
                              capture_output=True, text=True, check=True).stdout

    def test_a_bundle_validates_strictly_and_holds_the_incident(self):
        self.cli("incident", "new", "--title", "Phishing wave", "--summary", "Credential theft on a fake portal",
                 "--source", "mail gateway")
        self.cli("triage", "classify", "1", "fraud", "phishing")
        self.cli("triage", "assess", "1", "--functional", "medium", "--information", "privacy-breach",
                 "--recoverability", "supplemented")
        for kind, value, flags in [
            ("domain", "evil[.]example", ["--ioc", "--sighted"]),
            ("ipv4", "203.0.113.7", ["--ioc"]),
            ("url", "https://evil.example/it's", ["--ioc"]),
            ("email", "boss@evil-corp.example", ["--ioc", "--sighted"]),
            ("sha256", "a" * 64, ["--ioc", "--sighted"]),
            ("md5", "b" * 32, ["--ioc"]),
            ("filename", "invoice.pdf.exe", ["--ioc"]),
            ("hostname", "ws-042.corp.example", ["--sighted"]),
        ]:
            self.cli("observable", "add", "1", kind, value, *flags)
        for at, technique, tactic in [("2026-11-20T09:12:00Z", "T1566.002", "initial-access"),
                                      ("2026-11-20T09:14:00Z", "T1204.001", "execution"),
                                      ("2026-11-20T09:20:00Z", "T1566.002", "initial-access")]:
            self.cli("timeline", "add", "1", "--at", at, "--description", f"step {technique}",
                     "--technique", technique, "--tactic", tactic)
        path = os.path.join(self.data, "bundle.json")
        self.cli("export", "1", "--format", "stix", "-o", path)
        results = validate_file(path, ValidationOptions(strict=True))
        messages = [str(e) for r in results.object_results for e in r.errors + r.warnings]
        self.assertTrue(results.is_valid, messages)
        bundle = load(path)
        by_type = {}
        for o in bundle["objects"]:
            by_type.setdefault(o["type"], []).append(o)
        incident = by_type["incident"][0]
        ext = incident["extensions"]["extension-definition--ef765651-680c-498d-9894-99799f2fa126"]
        self.assertEqual(ext["incident_types"], ["phishing"])
        self.assertEqual(ext["investigation_status"], "open")
        self.assertEqual(ext["criticality"], 60, "level 3 of 5")
        self.assertEqual(len(by_type["indicator"]), 7)
        patterns = sorted(i["pattern"] for i in by_type["indicator"])
        self.assertIn("[url:value = 'https://evil.example/it\\'s']", patterns)
        self.assertIn("[file:hashes.'SHA-256' = '" + "a" * 64 + "']", patterns)
        self.assertEqual(len(by_type["observed-data"]), 4, "the sighted ones")
        marking = by_type["marking-definition"][0]
        self.assertEqual(marking["name"], "TLP:AMBER")
        self.assertTrue(all(marking["id"] in o.get("object_marking_refs", [marking["id"]]) for o in bundle["objects"]
                            if o["type"] not in ("identity", "marking-definition", "ipv4-addr", "domain-name", "url",
                                                 "email-addr", "file")))
        # One attack pattern per ATT&CK technique of the timeline, with its tactic.
        patterns = {a["external_references"][0]["external_id"]: a for a in by_type["attack-pattern"]}
        self.assertEqual(sorted(patterns), ["T1204.001", "T1566.002"])
        self.assertEqual(patterns["T1566.002"]["kill_chain_phases"],
                         [{"kill_chain_name": "mitre-attack", "phase_name": "initial-access"}])
        report = by_type["report"][0]
        self.assertIn(incident["id"], report["object_refs"])
        # The same record exports to the same ids; each export is in the access log (who read
        # what), not in the journal.
        again = os.path.join(self.data, "again.json")
        self.cli("export", "1", "-o", again)
        ids = lambda p: sorted(o["id"] for o in load(p)["objects"] if o["type"] != "bundle")
        self.assertEqual(ids(path), ids(again))
        shown = json.loads(self.cli("incident", "show", "1", "--format", "json"))
        self.assertNotIn("report.exported", shown["incident"]["entry_kinds"])
        reads = json.loads(self.cli("access-log", "1", "--format", "json"))
        self.assertEqual([(r["action"], r["kind"], r["actor"]) for r in reads], [("export", "stix", "maria")] * 2)

    def test_an_unknown_format_is_refused(self):
        self.cli("incident", "new", "--title", "x", "--source", "y")
        r = subprocess.run([BIN, "--data-dir", self.data, "export", "1", "--format", "openioc"],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("stix", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
