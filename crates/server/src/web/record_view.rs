//! An incident's record as its page shows it — triage, observables (with the other incidents
//! that hold them), evidence, work, the attack timeline — and the choices its forms offer, as the
//! typed `RecordView` the incident page flattens in.

use debrief_domain::Incident;
use debrief_domain::evidence::CustodyAction;
use debrief_domain::observable::ObservableKind;
use debrief_domain::taxonomy;
use debrief_domain::timeline::{Precision, TACTICS, TimelineSource};
use debrief_domain::triage::IncidentRole;
use debrief_domain::triage::{FunctionalImpact, InformationImpact, Pap, Recoverability, Tlp};
use debrief_domain::work::Compromise;
use serde::Serialize;

use super::WebUser;
use crate::AppState;

/// An incident's record as the incident page shows it, with the choices its forms offer.
pub(super) async fn record_view<'a>(
    state: &AppState,
    user: &WebUser,
    i: &'a Incident,
) -> Result<RecordView<'a>, debrief_app::AppError> {
    use debrief_domain::work::{ActionKind, AssetKind, Criticality};
    let lang = user.lang;
    let mut shared = state.app.shared_observables(&user.caller(), i.id).await?;
    let observables = i
        .observables
        .iter()
        .map(|o| ObservableRow {
            observable: o,
            also_in: shared.remove(&o.value).unwrap_or_default(),
        })
        .collect();
    let classification = i.classification.as_ref().map(|c| {
        let (class_label, type_label) = c.labels(lang);
        ClassificationView {
            class: c.class.clone(),
            kind: c.kind.clone(),
            class_label,
            type_label,
            subtypes: taxonomy::subtypes_of(&i.tags)
                .iter()
                .map(|s| s.name(lang))
                .collect(),
        }
    });
    let record = Record {
        classification,
        severity: i.severity.as_ref().map(|a| SeverityView {
            level: a.level,
            name: a.level_name(),
            reasons: &a.reasons,
        }),
        tlp: i.tlp,
        pap: i.pap,
        tags: &i.tags,
        scope_items: i
            .scope
            .business_units
            .iter()
            .chain(&i.scope.sites)
            .chain(&i.scope.systems)
            .collect(),
        scope: &i.scope,
        members: &i.members,
        observables,
        evidence: &i.evidence,
        actions: &i.actions,
        assets: &i.assets,
        tasks: &i.tasks,
        notes: &i.notes,
        minutes_logged: i.minutes_logged(),
        timeline: &i.timeline,
    };
    let taxonomy = taxonomy::classes()
        .iter()
        .map(|c| TaxonomyClass {
            id: c.id.clone(),
            label: taxonomy::label(&c.en, &c.fr, lang),
            types: c
                .types
                .iter()
                .map(|t| Choice {
                    id: t.id.clone(),
                    label: taxonomy::label(&t.en, &t.fr, lang),
                })
                .collect(),
        })
        .collect();
    let subtypes = taxonomy::subtypes()
        .iter()
        .map(|s| {
            let (cl, ty) = s.classification().labels(lang);
            SubtypeChoice {
                id: s.id.clone(),
                label: s.name(lang),
                maps_to: format!("{cl} / {ty}"),
            }
        })
        .collect();
    Ok(RecordView {
        record,
        taxonomy,
        subtypes,
        custody_actions: CustodyAction::ALL.to_vec(),
        impacts: Impacts {
            functional: FunctionalImpact::ALL.to_vec(),
            information: InformationImpact::ALL.to_vec(),
            recoverability: Recoverability::ALL.to_vec(),
        },
        observable_kinds: ObservableKind::ALL.to_vec(),
        tlps: Tlp::ALL.to_vec(),
        paps: Pap::ALL.to_vec(),
        precisions: Precision::ALL.to_vec(),
        sources: TimelineSource::ALL.to_vec(),
        incident_roles: IncidentRole::ALL.to_vec(),
        action_kinds: ActionKind::ALL.to_vec(),
        asset_kinds: AssetKind::ALL.to_vec(),
        criticalities: Criticality::ALL.to_vec(),
        compromises: Compromise::ALL.to_vec(),
        tactics: TACTICS.iter().map(|(_, n)| *n).collect(),
    })
}

/// The record and the choices of its forms (flattened into the incident page).
#[derive(Debug, Serialize)]
pub(super) struct RecordView<'a> {
    record: Record<'a>,
    taxonomy: Vec<TaxonomyClass>,
    subtypes: Vec<SubtypeChoice>,
    custody_actions: Vec<CustodyAction>,
    impacts: Impacts,
    observable_kinds: Vec<ObservableKind>,
    tlps: Vec<Tlp>,
    paps: Vec<Pap>,
    precisions: Vec<Precision>,
    sources: Vec<TimelineSource>,
    incident_roles: Vec<IncidentRole>,
    action_kinds: Vec<debrief_domain::work::ActionKind>,
    asset_kinds: Vec<debrief_domain::work::AssetKind>,
    criticalities: Vec<debrief_domain::work::Criticality>,
    compromises: Vec<Compromise>,
    tactics: Vec<&'static str>,
}

/// The incident's triage and investigation record: the domain's own values, as they serialise.
#[derive(Debug, Serialize)]
struct Record<'a> {
    classification: Option<ClassificationView>,
    severity: Option<SeverityView<'a>>,
    tlp: Tlp,
    pap: Pap,
    tags: &'a [String],
    /// Business units, sites and systems in one list.
    scope_items: Vec<&'a String>,
    scope: &'a debrief_domain::triage::Scope,
    members: &'a [debrief_domain::record::Member],
    observables: Vec<ObservableRow<'a>>,
    evidence: &'a [debrief_domain::evidence::Evidence],
    actions: &'a [debrief_domain::work::ResponseAction],
    assets: &'a [debrief_domain::work::Asset],
    tasks: &'a [debrief_domain::work::Task],
    notes: &'a [debrief_domain::work::Note],
    minutes_logged: u64,
    timeline: &'a [debrief_domain::record::TimelineEntry],
}

/// An observable and the other incidents (by number) this reader may see that hold it too.
#[derive(Debug, Serialize)]
struct ObservableRow<'a> {
    #[serde(flatten)]
    observable: &'a debrief_domain::record::Observable,
    also_in: Vec<i64>,
}

#[derive(Debug, Serialize)]
struct ClassificationView {
    class: String,
    #[serde(rename = "type")]
    kind: String,
    class_label: String,
    type_label: String,
    subtypes: Vec<String>,
}

#[derive(Debug, Serialize)]
struct SeverityView<'a> {
    level: u8,
    name: &'static str,
    reasons: &'a [String],
}

#[derive(Debug, Serialize)]
struct TaxonomyClass {
    id: String,
    label: String,
    types: Vec<Choice>,
}

#[derive(Debug, Serialize)]
struct Choice {
    id: String,
    label: String,
}

#[derive(Debug, Serialize)]
struct SubtypeChoice {
    id: String,
    label: String,
    /// The class and type it classifies by.
    maps_to: String,
}

#[derive(Debug, Serialize)]
struct Impacts {
    functional: Vec<FunctionalImpact>,
    information: Vec<InformationImpact>,
    recoverability: Vec<Recoverability>,
}
