//! Notification message templates: one per audience and language, shipped in the binary and
//! overridable from `DATA_DIR/notification-templates/NAME.LANG.txt`. A template's first line is
//! `Subject: …`; the rest is the text. Rendered by minijinja (sandboxed, strict about unknown
//! fields, no HTML escaping: these are plain-text messages).

use std::collections::BTreeMap;

use debrief_domain::obligation::{Due, Obligation};
use debrief_domain::{Incident, Language, Milestone};
use serde_json::{Value, json};

/// The shipped templates: (name, language, text).
const SHIPPED: &[(&str, &str, &str)] = &[
    (
        "internal-alert",
        "en",
        include_str!("../../notifications/internal-alert.en.txt"),
    ),
    (
        "internal-alert",
        "fr",
        include_str!("../../notifications/internal-alert.fr.txt"),
    ),
    (
        "regulator-initial",
        "en",
        include_str!("../../notifications/regulator-initial.en.txt"),
    ),
    (
        "regulator-initial",
        "fr",
        include_str!("../../notifications/regulator-initial.fr.txt"),
    ),
    (
        "data-subjects",
        "en",
        include_str!("../../notifications/data-subjects.en.txt"),
    ),
    (
        "data-subjects",
        "fr",
        include_str!("../../notifications/data-subjects.fr.txt"),
    ),
    (
        "insurer-claim",
        "en",
        include_str!("../../notifications/insurer-claim.en.txt"),
    ),
    (
        "insurer-claim",
        "fr",
        include_str!("../../notifications/insurer-claim.fr.txt"),
    ),
    (
        "partner-notice",
        "en",
        include_str!("../../notifications/partner-notice.en.txt"),
    ),
    (
        "partner-notice",
        "fr",
        include_str!("../../notifications/partner-notice.fr.txt"),
    ),
    (
        "escalation",
        "en",
        include_str!("../../notifications/escalation.en.txt"),
    ),
    (
        "escalation",
        "fr",
        include_str!("../../notifications/escalation.fr.txt"),
    ),
];

/// The template used to warn the lead and legal of a deadline (not offered to rules).
pub const ESCALATION: &str = "escalation";

/// The message templates in use: the shipped ones with the installation's overrides.
#[derive(Debug, Clone)]
pub struct Templates {
    texts: BTreeMap<(String, String), String>,
}

impl Default for Templates {
    fn default() -> Self {
        Self {
            texts: SHIPPED
                .iter()
                .map(|(n, l, t)| ((n.to_string(), l.to_string()), t.to_string()))
                .collect(),
        }
    }
}

/// A rendered message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
}

impl Templates {
    /// The shipped templates overridden (or extended) by `NAME.LANG.txt` files in `dir`; each is
    /// checked by rendering it against a sample incident, so a mistake stops the start with the
    /// file, line and field named.
    pub fn load(dir: &std::path::Path) -> Result<Templates, String> {
        let mut t = Templates::default();
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Ok(t);
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let Some(stem) = name.strip_suffix(".txt") else {
                continue;
            };
            let Some((tpl, lang)) = stem.rsplit_once('.') else {
                return Err(format!(
                    "{}: a template is named NAME.LANG.txt (e.g. internal-alert.fr.txt)",
                    path.display()
                ));
            };
            if lang.parse::<Language>().is_err() {
                return Err(format!(
                    "{}: `{lang}` is not a language (en or fr)",
                    path.display()
                ));
            }
            let text =
                std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            t.texts
                .insert((tpl.to_string(), lang.to_string()), text.clone());
            t.check(tpl, lang)
                .map_err(|e| format!("{}: {e}", path.display()))?;
        }
        Ok(t)
    }

    /// The templates a rule may name.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .texts
            .keys()
            .map(|(n, _)| n.clone())
            .filter(|n| n != ESCALATION)
            .collect();
        names.dedup();
        names
    }

    fn check(&self, name: &str, lang: &str) -> Result<(), String> {
        let sample = json!({
            "number": 1, "title": "t", "summary": "s", "status": "new", "classification": "c",
            "level_label": "high", "tlp": "AMBER", "aware_at": "2026-01-01 00:00 UTC",
            "started_at": null, "scope": "x", "stakeholder": "x", "lead": "x",
            "obligation": {"name": "n", "step": "s", "due": "d", "recipient": "r", "state": "pending"},
        });
        self.render_value(name, lang, &sample).map(|_| ())
    }

    /// Renders `name` in `lang` (English when the template has no such translation).
    pub fn render(
        &self,
        name: &str,
        lang: Language,
        incident: &Incident,
        stakeholder: &str,
        obligation: Option<&Obligation>,
        zone: &debrief_domain::Zone,
    ) -> Result<Rendered, String> {
        let ctx = context(incident, lang, stakeholder, obligation, zone);
        self.render_value(name, lang.as_str(), &ctx)
    }

    fn render_value(&self, name: &str, lang: &str, ctx: &Value) -> Result<Rendered, String> {
        let key = (name.to_string(), lang.to_string());
        let source = self
            .texts
            .get(&key)
            .or_else(|| self.texts.get(&(name.to_string(), "en".to_string())))
            .ok_or_else(|| {
                format!(
                    "no notification template `{name}`; known: {}",
                    self.names().join(", ")
                )
            })?;
        let mut env = minijinja::Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        let id = format!("{name}.{lang}.txt");
        let out = env
            .render_named_str(
                &id,
                source,
                minijinja::Value::from(minijinja::value::Serde(ctx)),
            )
            .map_err(|e| format!("template {e}"))?;
        let (first, rest) = out.split_once('\n').unwrap_or((&out, ""));
        let subject = first
            .strip_prefix("Subject:")
            .ok_or_else(|| format!("template {id}: the first line must be `Subject: …`"))?
            .trim()
            .to_string();
        Ok(Rendered {
            subject,
            text: rest.trim().to_string() + "\n",
        })
    }
}

const LEVELS_FR: [&str; 6] = ["référence", "faible", "moyen", "élevé", "sévère", "urgence"];

/// A time as the message's reader sees it, in the installation's zone, naming the zone:
/// `2026-11-28 02:14 +01:00 (Europe/Paris)`, `2026-11-28 01:14 UTC`.
fn when(t: Option<debrief_domain::Timestamp>, zone: &debrief_domain::Zone) -> Value {
    t.map(|t| {
        let shown = zone.show(t);
        Value::String(if zone.name() == "UTC" {
            shown
        } else {
            format!("{shown} ({zone})")
        })
    })
    .unwrap_or(Value::Null)
}

/// What a template sees: the incident's facts in the message's language.
fn context(
    i: &Incident,
    lang: Language,
    stakeholder: &str,
    obligation: Option<&Obligation>,
    zone: &debrief_domain::Zone,
) -> Value {
    let fr = lang == Language::Fr;
    let unknown = if fr {
        "à préciser"
    } else {
        "to be established"
    };
    let level_label = i.severity.as_ref().map_or(unknown.to_string(), |s| {
        if fr {
            LEVELS_FR[usize::from(s.level.min(5))].to_string()
        } else {
            s.level_name().to_string()
        }
    });
    let scope: Vec<String> = i
        .scope
        .business_units
        .iter()
        .chain(&i.scope.sites)
        .chain(&i.scope.systems)
        .cloned()
        .collect();
    let obligation = obligation.map(|o| {
        json!({
            "name": if fr { &o.name.fr } else { &o.name.en },
            "recipient": if fr { &o.recipient.fr } else { &o.recipient.en },
            "step": o.step,
            "state": o.state,
            "due": match o.due { Due::At { at } => when(Some(at), zone), _ => Value::Null },
        })
    });
    json!({
        "number": i.number,
        "title": i.title,
        "summary": if i.summary.trim().is_empty() { unknown } else { i.summary.as_str() },
        "status": i.status.as_str(),
        "classification": i.classification.as_ref().map_or(unknown.to_string(), |c| format!("{} / {}", c.class, c.kind)),
        "level_label": level_label,
        "tlp": i.tlp.as_str().to_uppercase(),
        "aware_at": when(i.milestone(Milestone::Aware), zone),
        "started_at": when(i.milestone(Milestone::Started), zone),
        "scope": if scope.is_empty() { unknown.to_string() } else { scope.join(", ") },
        "stakeholder": stakeholder,
        "lead": i.assignee.clone().unwrap_or_else(|| unknown.to_string()),
        "obligation": obligation,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_template_renders_in_both_languages() {
        let t = Templates::default();
        for (name, lang, _) in SHIPPED {
            t.check(name, lang).unwrap();
        }
        assert_eq!(
            t.names(),
            [
                "data-subjects",
                "insurer-claim",
                "internal-alert",
                "partner-notice",
                "regulator-initial"
            ]
        );
    }

    #[test]
    fn an_override_with_a_mistake_is_named() {
        let dir = std::env::temp_dir().join(format!("debrief-tpl-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("internal-alert.fr.txt"),
            "Subject: Incident {{ number }}\n\nBonjour,\n{{ incident.titel }}\n",
        )
        .unwrap();
        let e = Templates::load(&dir).unwrap_err();
        assert!(e.contains("internal-alert.fr.txt"), "{e}");
        assert!(e.contains("internal-alert.fr.txt:4"), "{e}");
        std::fs::write(
            dir.join("internal-alert.fr.txt"),
            "Subject: Incident n°{{ number }}\n\nBonjour {{ stakeholder }}\n",
        )
        .unwrap();
        let t = Templates::load(&dir).unwrap();
        let out = t.render_value(
            "internal-alert",
            "fr",
            &json!({"number": 4, "stakeholder": "DSI"}),
        );
        assert_eq!(
            out.unwrap(),
            Rendered {
                subject: "Incident n°4".into(),
                text: "Bonjour DSI\n".into()
            }
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
