//! `debrief evidence …`: files as evidence, from the command line.

use super::execute;
use anyhow::{Context, Result};
use debrief_domain::Timestamp;
use debrief_domain::evidence::NewEvidence;
use debrief_store::blobs::BlobStore;
use tokio::io::AsyncReadExt;

use super::{actor, open_store, print_json};
use crate::cli::{EvidenceCommand, Format};
use crate::config::Settings;
use crate::exit;
use crate::table::Table;

pub async fn run(cmd: EvidenceCommand, settings: &Settings) -> Result<u8> {
    let (store, _) = open_store(settings).await?;
    let blobs = BlobStore::of(settings.data_dir.join("evidence"), &store);
    match cmd {
        EvidenceCommand::Add {
            incident,
            file,
            collected_by,
            from,
            at,
            description,
        } => {
            let who = actor(settings)?;
            let collected_at = at
                .as_deref()
                .map(|t| {
                    super::read_time(
                        settings,
                        "collected_at",
                        t,
                        debrief_domain::DateAlone::Refused,
                    )
                })
                .transpose()?
                .unwrap_or_else(Timestamp::now);
            let (app, op) = super::app(&store, &super::actor(settings)?);
            let id = app.resolve(&op, &incident).await?;
            let mut src = tokio::fs::File::open(&file)
                .await
                .with_context(|| format!("cannot read `{}`", file.display()))?;
            let mut writer = blobs.writer(u64::MAX).await?;
            let mut buf = vec![0u8; 256 * 1024];
            loop {
                let n = src
                    .read(&mut buf)
                    .await
                    .with_context(|| format!("cannot read `{}`", file.display()))?;
                if n == 0 {
                    break;
                }
                writer.write(&buf[..n]).await?;
            }
            let stored = writer.finish().await?;
            let new = NewEvidence {
                name: file
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                sha256: stored.sha256.clone(),
                size: stored.size,
                media_type: "application/octet-stream".into(),
                description,
                collected_by: collected_by.unwrap_or_else(|| who.as_str().to_string()),
                collected_from: from,
                collected_at,
            };
            let done = execute(&store, id, &who, |i| i.add_evidence(&new)).await?;
            println!(
                "incident #{}: evidence {} sha256 {} ({} bytes)",
                done.incident.number, new.name, stored.sha256, stored.size
            );
        }
        EvidenceCommand::List { incident, format } => {
            let (app, op) = super::app(&store, &super::actor(settings)?);
            let id = app.resolve(&op, &incident).await?;
            let inc = app.incident_by_id(&op, id).await?;
            match format {
                Format::Json => print_json(&inc.evidence)?,
                Format::Table => {
                    let mut t = Table::new(&["ID", "NAME", "SIZE", "SHA-256", "CUSTODY"]);
                    for e in &inc.evidence {
                        let custody: Vec<String> = e
                            .custody
                            .iter()
                            .map(|c| format!("{}→{}", c.action.as_str(), c.to))
                            .collect();
                        t.row(vec![
                            e.id.to_string(),
                            e.name.clone(),
                            e.size.to_string(),
                            e.sha256.clone(),
                            custody.join(", "),
                        ]);
                    }
                    print!("{}", t.render());
                }
            }
        }
        EvidenceCommand::Get {
            incident,
            id: eid,
            output,
        } => {
            let (app, op) = super::app(&store, &super::actor(settings)?);
            let id = app.resolve(&op, &incident).await?;
            let inc = app.incident_by_id(&op, id).await?;
            let e = inc
                .evidence
                .iter()
                .find(|e| e.id == eid)
                .with_context(|| format!("incident #{} has no evidence {eid}", inc.number))?;
            let path = blobs.verified_path(&e.sha256).await?;
            app.record_access(
                &op,
                debrief_store::access::AccessRecord {
                    at: Timestamp::now(),
                    actor: String::new(),
                    action: "evidence".into(),
                    incident_id: Some(inc.id),
                    number: Some(inc.number),
                    what: format!("evidence {} {}", e.id, e.name),
                    sha256: Some(e.sha256.clone()),
                    address: "cli".into(),
                    kind: "evidence".into(),
                    format: String::new(),
                    lang: String::new(),
                    entry: None,
                },
            )
            .await?;
            tokio::fs::copy(&path, &output)
                .await
                .with_context(|| format!("cannot write `{}`", output.display()))?;
            println!("wrote {} (sha256 {} verified)", output.display(), e.sha256);
        }
        EvidenceCommand::Custody {
            incident,
            id: eid,
            action,
            from,
            to,
            location,
            note,
            at,
        } => {
            let at = match at {
                Some(a) => {
                    super::read_time(settings, "at", &a, debrief_domain::DateAlone::Refused)?
                }
                None => Timestamp::now(),
            };
            let who = actor(settings)?;
            let (app, op) = super::app(&store, &super::actor(settings)?);
            let id = app.resolve(&op, &incident).await?;
            let done = execute(&store, id, &who, |i| {
                i.record_custody(eid, action, at, &from, &to, &location, &note)
            })
            .await?;
            println!(
                "incident #{}: evidence {eid} {}",
                done.incident.number,
                action.as_str()
            );
        }
    }
    Ok(exit::OK)
}
