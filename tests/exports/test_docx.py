"""Word (DOCX) reports opened by real readers: LibreOffice converts each to PDF headless (a file
it would have to repair does not convert), python-docx reads the headings as Word's built-in
"Heading 1/2" styles (what a table of contents is built from), and `debrief report verify` checks
the seal kept in the archive's comment, refusing one changed byte. The incident is filled through
the CLI and the API of a live `debrief serve`, in French and English.

    DEBRIEF_BIN=target/debug/debrief python3 -m unittest tests/exports/test_docx.py -v

Fails (never skips) when the binary, soffice, pdftotext or python-docx is missing.
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
import urllib.request
import zipfile

import docx

BIN = os.environ.get("DEBRIEF_BIN", "")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DocxReports(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not BIN or not os.path.exists(BIN):
            raise RuntimeError(f"DEBRIEF_BIN must name the debrief binary (got {BIN!r})")
        for tool in ("soffice", "pdftotext"):
            if not shutil.which(tool):
                raise RuntimeError(f"{tool} is missing (apt-get install libreoffice-writer-nogui poppler-utils)")
        cls.data = tempfile.mkdtemp(prefix="debrief-docx-")
        cls.cli("user", "add", "maria", "--role", "manager")
        token = re.search(r"dbf_\S+", cls.cli("token", "create", "--user", "maria", "--name", "t")).group(0)
        cls.cli("incident", "new", "--title", "Rançongiciel sur FS-02 & <imagerie>",
                "--summary", "Serveur de fichiers chiffré", "--source", "EDR alert")
        cls.cli("triage", "classify", "1", "--subtype", "ransomware")
        cls.cli("triage", "mark", "1", "--tlp", "amber+strict")
        cls.cli("incident", "set-time", "1", "started_at", "2026-11-20T02:10:00Z", "--source", "EDR")
        cls.cli("incident", "set-time", "1", "detected_at", "2026-11-20T09:00:00Z", "--source", "SIEM")
        cls.cli("incident", "set-time", "1", "contained_at", "2026-11-21T11:00:00Z", "--source", "EDR")
        cls.cli("work", "asset", "1", "host", "FS-02", "--compromise", "confirmed")
        port = free_port()
        server = subprocess.Popen([BIN, "--data-dir", cls.data, "serve", "--listen", f"127.0.0.1:{port}"],
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
            req = urllib.request.Request(
                f"http://127.0.0.1:{port}/api/v1/incidents/1/postmortem", method="PATCH",
                data=json.dumps({
                    "texts": {"summary": "Le serveur FS-02 a été chiffré ; restauré depuis les sauvegardes en 26 h."},
                    "lists": {"went-well": ["Sauvegardes hors ligne intactes"],
                              "went-wrong": ["Alerte EDR vue sept heures plus tard"]},
                }).encode(),
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=10) as r:
                r.read()
        finally:
            server.terminate()
            server.wait(timeout=10)

    @classmethod
    def cli(cls, *args):
        out = subprocess.run([BIN, "--data-dir", cls.data, "--actor", "maria", *args],
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise AssertionError(f"debrief {' '.join(args)} failed ({out.returncode}): {out.stderr}")
        return out.stdout

    def render(self, kind, lang):
        path = os.path.join(self.data, f"{kind}-{lang}.docx")
        self.cli("report", "1", "--kind", kind, "--format", "docx", "--lang", lang, "-o", path)
        return path

    def libreoffice_text(self, path):
        """The document converted to PDF by LibreOffice, as text."""
        out = tempfile.mkdtemp(prefix="debrief-docx-pdf-")
        profile = tempfile.mkdtemp(prefix="debrief-lo-profile-")
        subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless",
                        "--convert-to", "pdf", "--outdir", out, path],
                       capture_output=True, text=True, check=True, timeout=180)
        pdf = os.path.join(out, os.path.basename(path)[:-5] + ".pdf")
        self.assertTrue(os.path.exists(pdf), f"LibreOffice did not convert {path}")
        text = subprocess.run(["pdftotext", "-layout", pdf, "-"], capture_output=True, text=True,
                              check=True).stdout
        return re.sub(r"\s+", " ", text)

    def test_the_french_final_report_opens_in_libreoffice_with_its_headings_and_the_postmortem(self):
        path = self.render("final", "fr")
        text = self.libreoffice_text(path)
        self.assertIn("Rançongiciel sur FS-02 & <imagerie>", text)
        self.assertIn("Synthèse pour la direction", text)
        self.assertIn("Le serveur FS-02 a été chiffré", text)
        self.assertIn("Sauvegardes hors ligne intactes", text)
        self.assertIn("TLP:AMBER+STRICT", text, "the marking is in the footer")
        d = docx.Document(path)
        self.assertTrue(all(p.style is not None for p in d.paragraphs), "every paragraph has a known style")
        headings = [(p.style.name, p.text) for p in d.paragraphs if p.style.name.startswith("Heading")]
        self.assertIn(("Heading 2", "1. Synthèse pour la direction"), headings)
        self.assertTrue(any(t.rows for t in d.tables), "the report's tables are Word tables")

    def test_the_english_postmortem_opens_and_the_seal_is_checked(self):
        path = self.render("postmortem", "en")
        text = self.libreoffice_text(path)
        self.assertIn("What went wrong", text)
        self.assertIn("Alerte EDR vue sept heures plus tard", text)
        with zipfile.ZipFile(path) as z:
            self.assertIsNone(z.testzip())
            self.assertIn(b'"f":"docx"', z.comment)
        out = subprocess.run([BIN, "--data-dir", self.data, "report", "verify", path],
                             capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        with open(path, "rb") as f:
            body = bytearray(f.read())
        body[100] ^= 1
        altered = path + ".altered.docx"
        with open(altered, "wb") as f:
            f.write(body)
        out = subprocess.run([BIN, "--data-dir", self.data, "report", "verify", altered],
                             capture_output=True, text=True)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("changed after it was sealed", out.stdout + out.stderr)


if __name__ == "__main__":
    unittest.main()
