"""MISP event export loaded by PyMISP (MISP's own Python library, pinned in .ci/run) with strict
validation: every attribute's type and category must be MISP's, the event must have its info.

    DEBRIEF_BIN=target/debug/debrief python3 -m unittest tests/exports/test_misp.py -v

Fails (never skips) when the binary or PyMISP is missing.
"""

import json
import os
import subprocess
import tempfile
import unittest

from pymisp import MISPEvent

BIN = os.environ.get("DEBRIEF_BIN", "")


class MispExport(unittest.TestCase):
    def setUp(self):
        if not BIN or not os.path.exists(BIN):
            raise RuntimeError(f"DEBRIEF_BIN must name the debrief binary (got {BIN!r})")
        self.data = tempfile.mkdtemp(prefix="debrief-misp-")

    def cli(self, *args):
        return subprocess.run([BIN, "--data-dir", self.data, "--actor", "maria", *args],
                              capture_output=True, text=True, check=True).stdout

    def test_every_observable_kind_loads_in_pymisp(self):
        self.cli("incident", "new", "--title", "Phishing wave", "--source", "mail gateway")
        self.cli("triage", "classify", "1", "fraud", "phishing")
        self.cli("triage", "assess", "1", "--functional", "high", "--information", "privacy-breach",
                 "--recoverability", "extended")
        observables = [
            ("ipv4", "203.0.113.7", "ip-dst"), ("ipv6", "2001:db8::7", "ip-dst"),
            ("domain", "evil.example", "domain"), ("hostname", "ws-042.corp.example", "hostname"),
            ("url", "https://evil.example/login", "url"), ("email", "boss@evil-corp.example", "email-src"),
            ("md5", "b" * 32, "md5"), ("sha1", "c" * 40, "sha1"), ("sha256", "a" * 64, "sha256"),
            ("filename", "invoice.pdf.exe", "filename"), ("cve", "CVE-2024-3400", "vulnerability"),
        ]
        for kind, value, _ in observables:
            self.cli("observable", "add", "1", kind, value, "--ioc")
        path = os.path.join(self.data, "event.json")
        self.cli("export", "1", "--format", "misp", "-o", path)
        event = MISPEvent(strict_validation=True)
        event.load_file(path)
        json.loads(event.to_json())
        self.assertEqual(event.info, "#1 Phishing wave")
        self.assertEqual(str(event.threat_level_id), "1", "a high severity is MISP's high threat level")
        self.assertEqual(sorted(t.name for t in event.tags), ['rsit:fraud="phishing"', "tlp:amber"])
        got = sorted((a.type, a.value) for a in event.attributes)
        want = sorted((t, v) for _, v, t in observables)
        self.assertEqual(got, want)
        self.assertTrue(all(a.to_ids for a in event.attributes))


if __name__ == "__main__":
    unittest.main(verbosity=2)
