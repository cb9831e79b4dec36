"""A fully filled incident to look at: what the pages and the reports say to their readers.

Fills a ransomware incident on a hospital's imaging servers through the CLI and the API of a
live `debrief serve` (triage, key times, timeline, observables, assets, tasks, time spent, the
postmortem with root causes, recommendations, a question to the business, participants' input,
the review meeting, the regulators' facts), writes the final and postmortem reports in PDF and
DOCX, in English and French, to OUT/reports, and leaves the server running when --serve is
given (maria and hank sign in with the password `correct-horse-battery-staple`):

    DEBRIEF_BIN=target/release/debrief python3 scripts/demo.py /tmp/demo [--serve 18600]
    pdftoppm -r 60 -png /tmp/demo/reports/final-fr.pdf /tmp/demo/pages/final-fr

It is not a test: it asserts only that each call was accepted, and stops at the first refusal.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

BIN = os.environ.get("DEBRIEF_BIN", "target/release/debrief")
PASSWORD = "correct-horse-battery-staple"


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = os.path.abspath(sys.argv[1])
    serve = int(sys.argv[sys.argv.index("--serve") + 1]) if "--serve" in sys.argv else None
    shutil.rmtree(out, ignore_errors=True)
    data = os.path.join(out, "data")
    os.makedirs(os.path.join(out, "reports"))

    def cli(*args, stdin=None):
        r = subprocess.run([BIN, "--data-dir", data, "--actor", "hank", *args], input=stdin, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"debrief {' '.join(args)}: exit {r.returncode}\n{r.stderr}")
        return r.stdout

    cli("user", "add", "maria", "--role", "manager", "--display-name", "Maria Lopez",
        "--password-stdin", stdin=PASSWORD)
    cli("user", "add", "hank", "--role", "handler", "--display-name", "Hank Moody",
        "--password-stdin", stdin=PASSWORD)
    token = next(w for w in cli("token", "create", "--user", "maria", "--name", "demo").split()
                 if w.startswith("dbf_"))
    cli("incident", "new", "--title", "Ransomware on the imaging servers",
        "--summary", "EDR: C:\\ProgramData\\svc\\lsmsvc.exe renamed 48,211 files on FS-02",
        "--source", "EDR alert")
    cli("triage", "classify", "1", "--subtype", "ransomware")
    cli("triage", "assess", "1", "--functional", "high", "--information", "privacy-breach",
        "--recoverability", "supplemented")
    cli("triage", "mark", "1", "--tlp", "amber", "--pap", "green")
    cli("triage", "member", "1", "hank", "handler")
    for status in ("triage", "investigating", "contained", "eradicated", "recovered"):
        cli("incident", "transition", "1", status)
    # The times as the evidence states them (a stated time wins over the transition's).
    for field, at, source in [
        ("declared_at", "2026-11-20T07:05:00Z", "crisis cell log"),
        ("started_at", "2026-11-20T02:10:00Z", "EDR telemetry"),
        ("detected_at", "2026-11-20T06:40:00Z", "SIEM alert"),
        ("acknowledged_at", "2026-11-20T06:52:00Z", "on-call pager"),
        ("contained_at", "2026-11-20T11:30:00Z", "EDR isolation"),
        ("eradicated_at", "2026-11-21T16:00:00Z", "reimaging log"),
        ("recovered_at", "2026-11-22T09:00:00Z", "service desk"),
    ]:
        cli("incident", "set-time", "1", field, at, "--source", source)
    for at, what in [
        ("2026-11-19T22:41:00Z", "VPN sign-in as svc-backup from 185.220.101.4"),
        ("2026-11-20T01:55:00Z", "PsExec launched on FS-02 from the VPN address"),
        ("2026-11-20T02:10:00Z", "Encryption of the imaging share starts"),
        ("2026-11-20T06:40:00Z", "SIEM alert on mass file renames"),
        ("2026-11-20T11:30:00Z", "FS-02 and PACS-01 isolated by the EDR"),
    ]:
        cli("timeline", "add", "1", "--at", at, "--description", what)
    cli("observable", "add", "1", "ipv4", "185.220.101.4", "--ioc")
    cli("observable", "add", "1", "sha256",
        "5f2b7c1e9a0d4c3b8e6f1a2d7c9b0e4f3a1c5d8e2b6f9a0c4d7e1b3f5a8c2d6e", "--ioc")
    cli("work", "asset", "1", "host", "FS-02", "--compromise", "confirmed")
    cli("work", "asset", "1", "host", "PACS-01", "--compromise", "suspected")

    port = free_port() if serve is None else serve
    server = subprocess.Popen(
        [BIN, "--data-dir", data, "serve", "--listen", f"127.0.0.1:{port}",
         "--timezone", "Europe/Paris", "--insecure-cookies"],
        stdout=open(os.path.join(out, "server.log"), "w"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    wait_for(base)

    def api(method, path, body=None):
        req = urllib.request.Request(base + path, method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"authorization": f"Bearer {token}",
                                              "content-type": "application/json"})
        try:
            with urllib.request.urlopen(req) as r:
                raw = r.read()
                return json.loads(raw) if raw else None
        except urllib.error.HTTPError as e:
            server.terminate()
            sys.exit(f"{method} {path}: {e.code}\n{e.read().decode()}")

    pm = "/api/v1/incidents/1/postmortem"
    api("PATCH", pm, {
        "texts": {
            "summary": "Attackers used a backup service account's VPN access to encrypt the "
                       "imaging file server. Radiology worked on paper for 26 hours; offline "
                       "backups restored every image, and 12,000 patients' records were copied out.",
            "trigger": "A VPN appliance missing a 2025 patch let the attackers reuse a leaked password.",
            "detection": "The SIEM's mass-rename rule fired 4 h 30 min after encryption started.",
            "resolution": "FS-02 and PACS-01 isolated, reimaged, the account disabled, the VPN patched.",
            "recovery": "Images restored from the offline copy of 19 November; radiology back at 10:00.",
            "reputation": "Two regional newspapers reported the outage; no patient complaint so far.",
        },
        "lists": {
            "went-well": ["Offline backups were intact and restored in a day",
                          "The on-call handler acknowledged within 12 minutes"],
            "went-wrong": ["The VPN patch had waited 11 months",
                           "Nobody knew who could approve taking PACS offline"],
            "lucky": ["The attackers did not find the offline backup"],
            "contributing-factors": ["Service accounts exempt from MFA"],
            "participants": ["Maria Lopez", "Hank Moody", "Direction des soins"],
            "affected-systems": ["FS-02", "PACS-01"],
        },
        "impact": {
            "downtime_minutes": 1560, "users_affected": 340,
            "records": [{"category": "patients", "count": 12000}],
            "costs": [
                {"kind": "direct", "amount_minor": 18500000, "currency": "EUR",
                 "description": "forensics and overtime"},
                {"kind": "indirect", "amount_minor": 41000000, "currency": "EUR",
                 "description": "postponed examinations"},
                {"kind": "recovered", "amount_minor": 5000000, "currency": "EUR",
                 "description": "insurance"},
            ],
            "backups_worked": True,
        },
        "review_at": "2026-11-25T13:00:00Z",
    })
    api("POST", pm + "/root-causes", {
        "category": "process", "text": "No process put VPN security patches on a deadline",
        "whys": ["Why exposed? The appliance lacked a 2025 patch.",
                 "Why unpatched? Appliance patches had no owner."],
        "preventable": True, "prevention": "A 14-day patch deadline for internet-facing appliances"})
    api("POST", pm + "/root-causes", {
        "category": "technology", "text": "Service accounts could sign in to the VPN without MFA",
        "whys": [], "preventable": True, "prevention": "MFA or no VPN access for service accounts"})
    api("POST", "/api/v1/incidents/1/recommendations", {
        "action": "Patch internet-facing appliances within 14 days", "type": "prevent",
        "impact": 5, "effort": 2, "owner": "maria", "due": "2027-01-15T00:00:00Z", "root_causes": [1]})
    api("POST", "/api/v1/incidents/1/recommendations", {
        "action": "Write who decides to take clinical systems offline", "type": "process",
        "impact": 4, "effort": 1, "owner": "Direction des soins", "root_causes": []})
    api("POST", "/api/v1/incidents/1/info-requests",
        {"to": "Direction des soins", "question": "May radiology switch to paper for 48 hours?"})
    api("POST", "/api/v1/incidents/1/info-requests/1/answer",
        {"answer": "Yes, with emergencies sent to the partner hospital."})
    api("POST", pm + "/inputs", {"answers": {
        "went-wrong": "We waited two hours for someone to approve isolating PACS.",
        "improve": "A named decision-maker for clinical outages."}, "anonymous": True})
    api("PUT", pm + "/meeting", {
        "at": "2026-11-25T13:00:00Z", "attendees": ["Maria Lopez", "Hank Moody", "Direction des soins"],
        "absent": ["Legal"], "decisions": ["Patch deadline of 14 days from January",
                                           "Direction des soins names the decision-maker"]})
    cli("review", "facts", "1", "--contact", "DPO, dpo@hopital.example, +33 1 23 45 67 89",
        "--malicious", "yes", "--cross-border", "no", "--data-subjects", "patients: 12000")

    for kind in ("final", "postmortem"):
        for fmt in ("pdf", "docx"):
            for lang in ("en", "fr"):
                cli("report", "1", "--kind", kind, "--format", fmt, "--lang", lang,
                    "-o", os.path.join(out, "reports", f"{kind}-{lang}.{fmt}"))
    print(f"reports in {out}/reports")
    if serve is None:
        server.terminate()
        server.wait()
    else:
        print(f"serving on {base} (pid {server.pid}); maria / hank, password {PASSWORD}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(base):
    deadline = time.time() + 30
    while True:
        try:
            urllib.request.urlopen(base + "/login")
            return
        except OSError:
            if time.time() > deadline:
                sys.exit("debrief serve did not start")
            time.sleep(0.2)


if __name__ == "__main__":
    main()
