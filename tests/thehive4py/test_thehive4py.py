"""TheHive's official Python client, thehive4py (unmodified, version pinned in .ci/run), against a
live `debrief serve`: what an integration written for TheHive does, with only the URL and key
changed.

    DEBRIEF_BIN=target/debug/debrief python3 -m unittest tests/thehive4py/test_thehive4py.py -v

Needs `pip install thehive4py==2.1.0`. Fails (never skips) when the binary or the client is missing.
"""

import os
import re
import socket
import subprocess
import tempfile
import time
import unittest

from thehive4py import TheHiveApi
from thehive4py.errors import TheHiveError
from thehive4py.query.filters import Between, Eq, Gt, In, Like, StartsWith
from thehive4py.query.page import Paginate
from thehive4py.query.sort import Asc, Desc

BIN = os.environ.get("DEBRIEF_BIN", "")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TheHive4py(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not BIN or not os.path.exists(BIN):
            raise RuntimeError(f"DEBRIEF_BIN must name the debrief binary (got {BIN!r})")
        cls.data = tempfile.mkdtemp(prefix="debrief-thehive4py-")

        def cli(*args):
            return subprocess.run(
                [BIN, "--data-dir", cls.data, *args], capture_output=True, text=True, check=True
            ).stdout

        out = cli("user", "add", "hank", "--role", "handler")
        cls.password = re.search(r"password[^:]*:\s*(\S+)", out, re.IGNORECASE).group(1)
        cls.key = re.search(r"dbf_\S+", cli("token", "create", "--user", "hank", "--name", "soar")).group(0)
        port = free_port()
        cls.url = f"http://127.0.0.1:{port}"
        cls.server = subprocess.Popen(
            [BIN, "--data-dir", cls.data, "serve", "--listen", f"127.0.0.1:{port}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.time() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.time() > deadline:
                    raise RuntimeError("debrief serve did not start")
                time.sleep(0.05)
        cls.hive = TheHiveApi(url=cls.url, apikey=cls.key, max_retries=0)

    @classmethod
    def tearDownClass(cls):
        cls.server.terminate()
        cls.server.wait(timeout=10)

    def alert(self, ref, **extra):
        body = {
            "type": "siem",
            "source": "splunk",
            "sourceRef": ref,
            "title": f"Suspicious login {ref}",
            "description": "Impossible travel, then MFA fatigue",
            "severity": 3,
            "tlp": 2,
            "pap": 2,
            "tags": ["identity"],
            "observables": [
                {"dataType": "ip", "data": "198.51.100.23"},
                {"dataType": "mail", "data": "ceo@corp.example"},
            ],
        }
        body.update(extra)
        return self.hive.alert.create(alert=body)

    def test_status(self):
        status = self.hive.session.make_request("GET", "/api/status")
        self.assertTrue(status["versions"]["TheHive"].startswith("5."))

    def test_alert_to_case_and_back_through_queries(self):
        created = self.alert("T4P-1")
        self.assertEqual(created["_type"], "Alert")
        self.assertEqual(created["observableCount"], 2)
        self.assertEqual((created["severity"], created["tlpLabel"]), (3, "AMBER"))
        # Sending it again is a repeat counted on the same alert, not an error.
        again = self.alert("T4P-1")
        self.assertEqual(again["_id"], created["_id"])
        self.assertEqual(again["extraData"]["debrief"]["occurrences"], 2)

        found = self.hive.alert.find(filters=Eq("sourceRef", "T4P-1"))
        self.assertEqual([a["_id"] for a in found], [created["_id"]])
        found = self.hive.alert.find(filters=Like("title", "login T4P") & Gt("severity", 2))
        self.assertEqual(len(found), 1)

        self.hive.alert.create_observable(
            alert_id=created["_id"], observable={"dataType": "domain", "data": "mfa-reset[.]example"}
        )
        observables = self.hive.alert.find_observables(alert_id=created["_id"])
        self.assertIn("mfa-reset.example", [o["data"] for o in observables])

        case = self.hive.alert.promote_to_case(alert_id=created["_id"])
        self.assertEqual(case["_type"], "Case")
        self.assertEqual(case["title"], "Suspicious login T4P-1")
        self.assertEqual(self.hive.alert.get(created["_id"])["status"], "Imported")

        added = self.hive.case.create_observable(
            case_id=case["_id"],
            observable={"dataType": "hash", "data": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "ioc": True},
        )
        self.assertEqual(added[0]["dataType"], "hash")
        data = sorted(o["data"] for o in self.hive.case.find_observables(case_id=case["_id"]))
        self.assertEqual(
            data,
            sorted(["198.51.100.23", "ceo@corp.example", "mfa-reset.example",
                    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"]),
        )

        # A second alert merged into that case.
        second = self.alert("T4P-2", title="Same user, second login")
        merged = self.hive.alert.merge_into_case(alert_id=second["_id"], case_id=case["_id"])
        self.assertEqual(merged["_id"], case["_id"])

    def test_cases_directly(self):
        case = self.hive.case.create(
            case={
                "title": "Ransom note on file server",
                "description": "FS-01 shares encrypted",
                "severity": 4,
                "tlp": 3,
                "tags": ["ransomware"],
            }
        )
        self.assertEqual((case["severity"], case["severityLabel"], case["tlp"]), (4, "CRITICAL", 3))
        got = self.hive.case.get(case["_id"])
        self.assertEqual(got["number"], case["number"])
        self.hive.case.update(case["_id"], fields={"status": "InProgress", "addTags": ["fs-01"]})
        got = self.hive.case.get(case["_id"])
        self.assertEqual(got["status"], "InProgress")
        self.assertIn("fs-01", got["tags"])
        found = self.hive.case.find(filters=StartsWith("title", "ransom") & In("tags", ["fs-01"]))
        self.assertEqual([c["_id"] for c in found], [case["_id"]])
        page = self.hive.case.find(sortby=Asc("number"), paginate=Paginate(0, 1))
        self.assertEqual(len(page), 1)

    def test_counts_sorting_and_errors(self):
        for i in range(3):
            self.alert(f"T4P-COUNT-{i}", severity=i + 1)
        self.assertGreaterEqual(self.hive.alert.count(), 3)
        self.assertEqual(self.hive.alert.count(filters=StartsWith("sourceRef", "T4P-COUNT")), 3)
        self.assertEqual(
            self.hive.alert.count(filters=StartsWith("sourceRef", "T4P-COUNT") & Between("severity", 2, 4)), 2
        )
        ordered = self.hive.alert.find(filters=StartsWith("sourceRef", "T4P-COUNT"), sortby=Desc("severity"))
        self.assertEqual([a["severity"] for a in ordered], [3, 2, 1])
        dismissed = ordered[-1]
        self.hive.alert.update(dismissed["_id"], fields={"status": "FalsePositive", "summary": "test account"})
        self.assertEqual(self.hive.alert.get(dismissed["_id"])["status"], "FalsePositive")
        with self.assertRaises(TheHiveError) as caught:
            self.alert("T4P-BAD", severity=9)
        self.assertIn("severity is 9", str(caught.exception))
        self.assertEqual(self.hive.alert.count(filters=Eq("sourceRef", "T4P-BAD")), 0)

    def test_basic_authentication(self):
        basic = TheHiveApi(url=self.url, username="hank", password=self.password, max_retries=0)
        alert = self.alert("T4P-BASIC")
        self.assertEqual(basic.alert.get(alert["_id"])["sourceRef"], "T4P-BASIC")
        wrong = TheHiveApi(url=self.url, username="hank", password="not-the-password", max_retries=0)
        with self.assertRaises(TheHiveError):
            wrong.alert.get(alert["_id"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
