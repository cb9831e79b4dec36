#!/usr/bin/env python3
"""Compares the (rule, event record) hits of `debrief hunt` with chainsaw's on the same files,
and gives each difference its reason.

    bench/agree_chainsaw.py DEBRIEF.jsonl CHAINSAW.json CHAINSAW_LINT.txt RULES_DIR CHAINSAW_MAPPING

DEBRIEF.jsonl is `debrief hunt … --format jsonl`; CHAINSAW.json is `chainsaw hunt … --json`;
CHAINSAW_LINT.txt is `chainsaw lint --kind sigma RULES_DIR` (the rules chainsaw cannot load);
CHAINSAW_MAPPING is the `sigma-event-logs-all.yml` chainsaw ran with. bench/hunt.sh runs it
when CHAINSAW= is set. Needs PyYAML. Each hit only one side has is put in the first class
that explains it; what no class explains is listed as "unexplained" — a bug on one side until
shown otherwise.
"""

import collections
import json
import os
import re
import sys

import yaml

SECURITY_AUDITING = "Microsoft-Windows-Security-Auditing"


def load_jsonl(path):
    hits = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                h = json.loads(line)
                hits[(h["rule_id"], os.path.realpath(h["file"]), int(h["record_id"] or 0))] = h
    return hits


def load_chainsaw(path):
    hits = {}
    with open(path, encoding="utf-8") as f:
        for d in json.load(f):
            doc = d["document"]
            rec = doc["data"]["Event"]["System"]["EventRecordID"]
            hits[(d["id"], os.path.realpath(doc["path"]), int(rec))] = d
    return hits


def load_rules(rules_dir):
    """Rule id → (relative path, parsed rule)."""
    out = {}
    for root, _, files in os.walk(rules_dir):
        for name in files:
            if name.endswith(".yml"):
                full = os.path.join(root, name)
                try:
                    for doc in yaml.safe_load_all(open(full, encoding="utf-8")):
                        if isinstance(doc, dict) and "id" in doc:
                            out[doc["id"]] = ("/" + os.path.relpath(full, rules_dir), doc)
                except yaml.YAMLError:
                    pass
    return out


def detection_items(detection):
    """(field, modifiers, values) of every field condition of a detection."""
    for key, sel in detection.items():
        if key == "condition":
            continue
        for item in sel if isinstance(sel, list) else [sel]:
            if isinstance(item, dict):
                for fk, v in item.items():
                    name, *mods = str(fk).split("|")
                    yield name, mods, v if isinstance(v, list) else [v]


def classify(rule, hit, lint, mapping):
    """Why chainsaw does not report a hit Debrief reports (None: unexplained)."""
    path, doc = rule
    if path in lint:
        return f"chainsaw cannot load the rule: {lint[path]}"
    if doc.get("title") in mapping["exclusions"]:
        return "excluded by name in chainsaw's mapping"
    ls = doc.get("logsource", {})
    known = {
        (k.split(".")[1], v)
        for p in mapping["extensions"]["preconditions"]
        for k, v in p["for"].items()
        if k.startswith("logsource.")
    }
    if ls.get("category") and ("category", ls["category"]) not in known:
        return f"chainsaw's mapping has no logsource category {ls['category']}"
    if not ls.get("category") and ls.get("service") and ("service", ls["service"]) not in known:
        return f"chainsaw's mapping has no logsource service {ls['service']}"
    ev = hit["event"]
    if hit["channel"] == "Security" and hit["event_id"] == "4688":
        return "Security 4688: Debrief maps NewProcessName/ParentProcessName to Image/ParentImage (mapping file), chainsaw does not"
    if ls.get("service") == "security" and ev.get("Provider_Name") != SECURITY_AUDITING:
        return f"Security channel event from provider {ev.get('Provider_Name')}: chainsaw routes service: security by provider, Sigma by channel"
    fields = {f["from"] for f in mapping["groups"][0]["fields"]}
    items = list(detection_items(doc.get("detection", {})))
    missing = sorted({n for n, _, _ in items if n not in fields and n != "EventID"})
    if missing:
        return f"rule field(s) {', '.join(missing)} not in chainsaw's field list"
    for name, _, values in items:
        if isinstance(ev.get(name), bool) and any(isinstance(v, str) and v.lower() in ("true", "false") for v in values):
            return f"{name} is a boolean in the event and '{values[0]}' in the rule: chainsaw compares types strictly"
    for _, _, values in items:
        for v in values:
            if isinstance(v, str) and re.search(r"\\[\\*?]", v):
                return "Sigma escape sequences (\\\\, \\*, \\?) in the rule's values"
    for _, mods, values in items:
        if set(mods) & {"contains", "startswith", "endswith"}:
            if any(isinstance(v, str) and ("*" in v or "?" in v) for v in values):
                return "a wildcard inside a contains/startswith/endswith value"
    return None


def main():
    if len(sys.argv) != 6:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    ours = load_jsonl(sys.argv[1])
    theirs = load_chainsaw(sys.argv[2])
    rules = load_rules(sys.argv[4])
    mapping = yaml.safe_load(open(sys.argv[5], encoding="utf-8"))
    lint = {}
    for line in open(sys.argv[3], encoding="utf-8", errors="replace"):
        m = re.match(r"\[!\] (/\S+\.yml): (.*)$", line.strip())
        if m:
            lint[m.group(1)] = m.group(2)

    both = ours.keys() & theirs.keys()
    only_ours = ours.keys() - theirs.keys()
    only_theirs = theirs.keys() - ours.keys()
    print(f"debrief hits: {len(ours)}; chainsaw hits: {len(theirs)}; in both: {len(both)}")
    print(f"debrief only: {len(only_ours)}; chainsaw only: {len(only_theirs)}")
    reasons = collections.defaultdict(lambda: collections.defaultdict(int))
    for key in only_ours:
        rule = rules.get(key[0])
        why = classify(rule, ours[key], lint, mapping) if rule else "rule file not found"
        reasons[why or "unexplained"][key[0]] += 1
    print("\n## debrief only, by reason (hits, rules)")
    for why, by_rule in sorted(reasons.items(), key=lambda kv: -sum(kv[1].values())):
        print(f"- {sum(by_rule.values())} hits, {len(by_rule)} rules: {why}")
        if why == "unexplained":
            for rid, n in sorted(by_rule.items()):
                print(f"    {rid} {rules.get(rid, ('', {}))[1].get('title', '')}: {n}")
    print("\n## chainsaw only")
    by_rule = collections.Counter(k[0] for k in only_theirs)
    for rid, n in by_rule.most_common():
        print(f"- {rid} {rules.get(rid, ('', {}))[1].get('title', '')}: {n}")
    if not by_rule:
        print("- none: every chainsaw hit is also a Debrief hit")


if __name__ == "__main__":
    main()
