//! Which Sigma logsource (product, service, category) an event belongs to, from its channel and
//! event id: a data file the user can replace (`data/windows-logsources.json` is the default).

use std::collections::{BTreeMap, HashMap};

use rsigma_parser::LogSource;
use serde::Deserialize;

use crate::reader::Origin;

#[derive(Debug, Deserialize)]
struct File {
    channels: Vec<Channel>,
}

#[derive(Debug, Deserialize)]
struct Channel {
    channel: String,
    service: String,
    #[serde(default)]
    categories: HashMap<String, OneOrMany>,
    /// Per event id: event field → the Sigma field name it also answers to (ordered, so that
    /// the added fields come out in the same order on every run).
    #[serde(default)]
    fields: HashMap<String, BTreeMap<String, String>>,
}

/// A category, or several (Sysmon 12 is a registry add, a delete, and a registry event).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// The channel → logsource table.
#[derive(Debug, Clone, Default)]
pub struct Mapping {
    by_channel: HashMap<String, (String, HashMap<String, Vec<String>>)>,
    /// (channel, event id) → [(event field, Sigma field)].
    fields: HashMap<(String, String), Vec<(String, String)>>,
}

/// A mapping file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("the logsource mapping is not valid JSON of the expected shape: {0}")]
pub struct MappingError(String);

impl Mapping {
    /// The shipped default for Windows event logs.
    pub fn windows_default() -> Mapping {
        Mapping::from_json(include_str!("../data/windows-logsources.json")).unwrap_or_default()
    }

    /// Reads a mapping in the shipped format.
    pub fn from_json(text: &str) -> Result<Mapping, MappingError> {
        let file: File = serde_json::from_str(text).map_err(|e| MappingError(e.to_string()))?;
        let mut fields = HashMap::new();
        for c in &file.channels {
            for (id, map) in &c.fields {
                let pairs: Vec<(String, String)> =
                    map.iter().map(|(a, b)| (a.clone(), b.clone())).collect();
                fields.insert((c.channel.to_ascii_lowercase(), id.clone()), pairs);
            }
        }
        let by_channel = file
            .channels
            .into_iter()
            .map(|c| {
                let cats = c
                    .categories
                    .into_iter()
                    .map(|(id, v)| {
                        let list = match v {
                            OneOrMany::One(s) => vec![s],
                            OneOrMany::Many(l) => l,
                        };
                        (id, list)
                    })
                    .collect();
                (c.channel.to_ascii_lowercase(), (c.service, cats))
            })
            .collect();
        Ok(Mapping { by_channel, fields })
    }

    /// The Sigma services some channel routes to.
    pub fn services(&self) -> std::collections::BTreeSet<&str> {
        self.by_channel.values().map(|(s, _)| s.as_str()).collect()
    }

    /// The event with its mapped fields added under their Sigma names (e.g. Security 4688's
    /// `NewProcessName` also as `Image`), or `None` when nothing is mapped for it.
    pub fn with_sigma_fields(
        &self,
        event: &serde_json::Value,
        origin: &Origin,
    ) -> Option<serde_json::Value> {
        if self.fields.is_empty() {
            return None;
        }
        let key = (origin.channel.to_ascii_lowercase(), origin.event_id.clone());
        let pairs = self.fields.get(&key)?;
        let mut out = event.clone();
        if let serde_json::Value::Object(m) = &mut out {
            for (from, to) in pairs {
                if let Some(v) = m.get(from).cloned() {
                    m.entry(to.clone()).or_insert(v);
                }
            }
        }
        Some(out)
    }

    /// The logsources of an event, by the log it was written to and its id (never by event
    /// data of the same name): one per category it belongs to (at least one; `product:
    /// windows` when it has a channel).
    pub fn logsources(&self, origin: &Origin) -> Vec<LogSource> {
        let channel = &origin.channel;
        let event_id = &origin.event_id;
        let mut ls = LogSource::default();
        if channel.is_empty() {
            return vec![ls];
        }
        ls.product = Some("windows".into());
        let Some((service, categories)) = self.by_channel.get(&channel.to_ascii_lowercase()) else {
            return vec![ls];
        };
        ls.service = Some(service.clone());
        match categories.get(event_id) {
            Some(cats) if !cats.is_empty() => cats
                .iter()
                .map(|c| LogSource {
                    category: Some(c.clone()),
                    ..ls.clone()
                })
                .collect(),
            _ => vec![ls],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn of(v: serde_json::Value) -> Origin {
        Origin::of(&v)
    }

    #[test]
    fn routes_sysmon_and_security_events() {
        let m = Mapping::windows_default();
        let ls = m.logsources(&of(
            json!({"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 12}),
        ));
        let cats: Vec<String> = ls.iter().filter_map(|l| l.category.clone()).collect();
        assert_eq!(
            cats,
            vec!["registry_add", "registry_delete", "registry_event"]
        );
        assert!(
            ls.iter().all(|l| l.service.as_deref() == Some("sysmon")
                && l.product.as_deref() == Some("windows"))
        );
        let ls = m.logsources(&of(json!({"Channel": "Security", "EventID": 4624})));
        assert_eq!(
            (ls[0].service.as_deref(), ls[0].category.as_deref()),
            (Some("security"), None)
        );
        assert_eq!(
            m.logsources(&of(json!({"CommandLine": "x"})))[0].product,
            None
        );
        assert!(Mapping::from_json("{}").is_err());
        let e =
            json!({"Channel": "Security", "EventID": 4688, "NewProcessName": "C:\\x\\whoami.exe"});
        let mapped = m.with_sigma_fields(&e, &Origin::of(&e)).unwrap();
        assert_eq!(mapped["Image"], "C:\\x\\whoami.exe");
        assert!(
            m.with_sigma_fields(
                &json!({}),
                &of(json!({"Channel": "Security", "EventID": 4624}))
            )
            .is_none()
        );
        // Two loads (two hash seeds) add the mapped fields in the same order.
        let e = json!({"Channel": "Security", "EventID": 4688, "NewProcessName": "a", "ParentProcessName": "b"});
        let once = serde_json::to_string(&m.with_sigma_fields(&e, &Origin::of(&e))).unwrap();
        for _ in 0..8 {
            let again = Mapping::windows_default();
            assert_eq!(
                serde_json::to_string(&again.with_sigma_fields(&e, &Origin::of(&e))).unwrap(),
                once
            );
        }
    }
}
