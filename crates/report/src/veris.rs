//! VERIS 1.4 export of an incident (the community's incident-sharing schema): the ENISA class
//! and the sub-types (ransomware, BEC, insider) mapped to VERIS actions and actors, affected
//! assets to asset varieties, detection to discovery methods, the key timestamps to the
//! timeline, personal and health data, downtime and costs to attributes and impact. What Debrief does not know is
//! `Unknown`, as VERIS asks, never guessed.

use debrief_domain::postmortem::CostKind;
use debrief_domain::{Incident, Milestone};
use serde_json::{Value, json};

/// VERIS's unit and value for a duration in seconds.
fn span(seconds: i64) -> Value {
    let s = seconds.max(0) as f64;
    let (unit, value) = if s < 3600.0 {
        ("Minutes", (s / 60.0).round())
    } else if s < 172_800.0 {
        ("Hours", (s / 3600.0 * 10.0).round() / 10.0)
    } else {
        ("Days", (s / 86_400.0 * 10.0).round() / 10.0)
    };
    json!({"unit": unit, "value": value})
}

fn unknown_span() -> Value {
    json!({"unit": "Unknown"})
}

/// The VERIS action of an ENISA class and type.
fn action(i: &Incident) -> Value {
    let Some(c) = &i.classification else {
        return json!({"unknown": {}});
    };
    match (c.class.as_str(), c.kind.as_str()) {
        ("fraud", "phishing") => json!({"social": {
            "variety": ["Phishing"], "vector": ["Email"], "target": ["End-user or employee"]}}),
        ("fraud", "masquerade") => json!({"social": {
            "variety": ["Pretexting"], "vector": ["Unknown"], "target": ["Unknown"]}}),
        ("malicious-code", _) => {
            json!({"malware": {"variety": ["Unknown"], "vector": ["Unknown"]}})
        }
        ("availability", "dos" | "ddos") => {
            json!({"hacking": {"variety": ["DoS"], "vector": ["Unknown"]}})
        }
        ("intrusion-attempts", "brute-force") => {
            json!({"hacking": {"variety": ["Brute force"], "vector": ["Unknown"]}})
        }
        ("intrusion-attempts" | "intrusions", _) => {
            json!({"hacking": {"variety": ["Unknown"], "vector": ["Unknown"]}})
        }
        ("availability", "misconfiguration") => {
            json!({"error": {"variety": ["Misconfiguration"], "vector": ["Unknown"]}})
        }
        _ => json!({"unknown": {}}),
    }
}

/// The action and actor of the incident: its class's, made precise by its sub-types
/// (ransomware → malware variety Ransomware; insider → internal actor, privilege abuse).
fn action_and_actor(i: &Incident) -> (Value, Value) {
    let mut action = action(i);
    let mut actor = json!({"unknown": {}});
    for sub in debrief_domain::taxonomy::subtypes_of(&i.tags) {
        if let (Some(add), Some(m)) = (sub.veris["action"].as_object(), action.as_object_mut()) {
            m.remove("unknown");
            for (k, v) in add {
                m.insert(k.clone(), v.clone());
            }
        }
        if sub.veris["actor"].is_object() {
            actor = sub.veris["actor"].clone();
        }
    }
    (action, actor)
}

/// The affected assets by VERIS variety, as far as their kind says: a data store is a
/// database server, an application some server; a host may be a server or a user's device, and
/// an account is no asset in VERIS — both stay `Unknown` rather than be guessed.
fn assets(i: &Incident) -> Value {
    use debrief_domain::work::AssetKind;
    let mut by: std::collections::BTreeMap<&str, u64> = Default::default();
    for a in &i.assets {
        let variety = match a.kind {
            AssetKind::DataStore => "S - Database",
            AssetKind::Application => "S - Unknown",
            AssetKind::Host | AssetKind::Account => "Unknown",
        };
        *by.entry(variety).or_default() += 1;
    }
    if by.is_empty() {
        return json!([{"variety": "Unknown"}]);
    }
    by.into_iter()
        .map(|(variety, amount)| json!({"variety": variety, "amount": amount}))
        .collect()
}

/// How the incident was discovered, from its detection source.
fn discovery(i: &Incident) -> Value {
    let s = i.detection_source.to_lowercase();
    let variety =
        if s.contains("sigma") || s.contains("siem") || s.contains("edr") || s.contains("alert") {
            "Security alarm"
        } else if s.contains("antivirus") || s.contains("av ") {
            "Antivirus"
        } else if s.contains("report") || s.contains("employee") || s.contains("mail") {
            "Reported by employee"
        } else if s.contains("log") {
            "Log review"
        } else {
            return json!({"unknown": true});
        };
    json!({"internal": {"variety": [variety]}})
}

/// The VERIS record of an incident.
pub fn record(i: &Incident) -> Value {
    let (action, actor) = action_and_actor(i);
    let at = |m| i.milestone(m);
    let first = at(Milestone::Started)
        .or(at(Milestone::Detected))
        .unwrap_or(i.opened_at);
    let day = first.to_string();
    let (year, month, dd) = (
        day[0..4].parse::<i64>().unwrap_or(1970),
        day[5..7].parse::<i64>().unwrap_or(1),
        day[8..10].parse::<i64>().unwrap_or(1),
    );
    let between =
        |a: Option<debrief_domain::Timestamp>, b: Option<debrief_domain::Timestamp>| match (a, b) {
            (Some(a), Some(b)) if b >= a => span(b.seconds_since(a)),
            _ => unknown_span(),
        };
    let mut timeline = json!({
        "incident": {"year": year, "month": month, "day": dd},
        "discovery": between(at(Milestone::Started), at(Milestone::Detected)),
        "containment": between(at(Milestone::Detected), at(Milestone::Contained)),
    });
    if at(Milestone::Started).is_none()
        && let Some(m) = timeline["incident"].as_object_mut()
    {
        // Only the detection date is known: the incident's day is not.
        m.remove("day");
    }
    let mut attribute = serde_json::Map::new();
    let pm = &i.postmortem;
    let health = i.flags.contains("phi");
    if i.flags.contains("personal_data") || health {
        let total: u64 = pm.impact.records.iter().map(|r| r.count).sum();
        let mut data = Vec::new();
        if i.flags.contains("personal_data") {
            data.push(json!({"variety": "Personal"}));
        }
        if health {
            data.push(json!({"variety": "Medical"}));
        }
        let mut c = json!({
            "data_disclosure": "Potentially",
            "data": data,
        });
        if total > 0
            && let Some(m) = c.as_object_mut()
        {
            m.insert("data_total".into(), total.into());
        }
        attribute.insert("confidentiality".into(), c);
    }
    let mut availability: Vec<Value> = Vec::new();
    if pm.impact.downtime_minutes.is_some() {
        availability.push("Interruption".into());
    }
    for sub in debrief_domain::taxonomy::subtypes_of(&i.tags) {
        if let Some(v) = sub.veris["availability"].as_str()
            && !availability.iter().any(|a| a == v)
        {
            availability.push(v.into());
        }
    }
    if !availability.is_empty() {
        let mut a = json!({"variety": availability});
        if let (Some(minutes), Some(m)) = (pm.impact.downtime_minutes, a.as_object_mut()) {
            m.insert(
                "duration".into(),
                span(i64::try_from(minutes).unwrap_or(0) * 60),
            );
        }
        attribute.insert("availability".into(), a);
    }
    let mut out = json!({
        "schema_version": "1.4.0",
        "schema_name": "verisc",
        "incident_id": i.id.to_string(),
        "security_incident": "Confirmed",
        "reference": format!("Debrief #{}", i.number),
        "summary": if i.summary.trim().is_empty() { i.title.clone() } else { format!("{}: {}", i.title, i.summary) },
        "discovery_method": discovery(i),
        "actor": actor,
        "action": action,
        "asset": {"assets": assets(i), "cloud": ["Unknown"]},
        "timeline": timeline,
    });
    let Some(m) = out.as_object_mut() else {
        return out;
    };
    if !attribute.is_empty() {
        m.insert("attribute".into(), Value::Object(attribute));
    }
    // Losses in one currency only (VERIS has one ISO code per record).
    if let Some(currency) = pm.impact.costs.first().map(|c| c.currency.clone()) {
        let mut response = 0i64;
        let mut disruption = 0i64;
        for c in pm.impact.costs.iter().filter(|c| c.currency == currency) {
            match c.kind {
                CostKind::Direct => response += c.amount_minor,
                CostKind::Indirect => disruption += c.amount_minor,
                CostKind::Recovered => {}
            }
        }
        let mut loss = Vec::new();
        if response > 0 {
            loss.push(
                json!({"variety": "Response and recovery", "amount": response as f64 / 100.0}),
            );
        }
        if disruption > 0 {
            loss.push(
                json!({"variety": "Business disruption", "amount": disruption as f64 / 100.0}),
            );
        }
        m.insert(
            "impact".into(),
            json!({"overall_rating": "Unknown", "iso_currency_code": currency, "loss": loss}),
        );
    }
    out
}
