//! The OpenAPI document, generated from the handlers' annotations.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::ApiUser;
use super::dto::*;
use crate::error::Problem;

#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "Debrief API", description = "Security incident response: incidents and their hash-chained journals. Errors are RFC 9457 problem documents."),
    paths(
        super::health, openapi_json,
        super::incidents::list, super::incidents::create, super::incidents::get_one, super::incidents::update,
        super::incidents::transition, super::incidents::assign, super::incidents::set_milestone,
        super::incidents::journal, super::incidents::verify,
        super::access::incident_log, super::access::all,
        super::users::me, super::users::update_me, super::users::change_password, super::users::list, super::users::get_one,
        super::users::create, super::users::update,
        super::record::classify, super::record::assess, super::record::markings, super::record::tags,
        super::record::scope, super::record::members, super::record::add_timeline, super::record::withdraw_timeline,
        super::record::timeline, super::record::observables, super::record::add_observable, super::record::extract,
        super::record::update_observable, super::record::search, super::record::sightings, super::record::taxonomy,
        super::evidence::upload, super::evidence::list, super::evidence::download, super::evidence::custody,
        super::work::add_asset, super::work::update_asset, super::work::add_action, super::work::add_task,
        super::work::update_task, super::work::add_note, super::work::log_time, super::work::work,
        super::alerts::receive, super::alerts::list, super::alerts::get_one, super::alerts::history,
        super::alerts::acknowledge, super::alerts::dismiss, super::alerts::reopen, super::alerts::promote,
        super::alerts::merge, super::events::evaluate,
        super::postmortem::get_postmortem, super::postmortem::edit_postmortem,
        super::postmortem::add_root_cause, super::postmortem::postmortem_status,
        super::postmortem::get_readiness, super::postmortem::update_root_cause,
        super::postmortem::give_review_input, super::postmortem::record_review, super::notify::share,
        super::postmortem::add_recommendation, super::postmortem::recommendation_status, super::postmortem::update_recommendation,
        super::postmortem::request_info, super::postmortem::answer_info, super::board::board,
        super::playbooks::list, super::playbooks::get_one, super::playbooks::publish,
        super::playbooks::for_incident, super::playbooks::apply_to_incident,
        super::obligations::get_obligations, super::obligations::set_flags, super::obligations::set_clock,
        super::obligations::set_regulatory_facts,
        super::obligations::record_notification, super::obligations::due, super::notify::send,
        super::notify::retry, super::notify::get_proposals, super::notify::send_proposal, super::notify::skip_proposal,
        super::notify::list_rules, super::notify::add_rule, super::notify::delete_rule,
        super::notify::stakeholders, super::notify::add_stakeholder,
        super::team::set_access, super::team::grant, super::team::revoke, super::team::groups,
        super::team::create_group, super::team::add_member, super::team::remove_member,
        super::team::break_glass, super::users::sessions, super::users::end_sessions,
        super::users::end_session, super::users::second_factors, super::users::reset_second_factors,
        super::users::second_factor_policy, super::users::set_second_factor_policy,
        super::metrics::get_metrics, super::learn::get_similar, super::learn::get_lessons, super::learn::get_replay,
        super::samm::get_assessment, super::samm::post_answer, super::reports::get_report, super::reports::get_export, super::reports::get_program,
        super::thehive::status, super::thehive::create_alert, super::thehive::get_alert,
        super::thehive::patch_alert, super::thehive::alert_observable, super::thehive::alert_to_case,
        super::thehive::alert_merge, super::thehive::create_case, super::thehive::get_case,
        super::thehive::patch_case, super::thehive::case_observable, super::thehive::query,
    ),
    components(schemas(Problem, Health, IncidentView, IncidentPage, MilestoneView, CreateIncident, UpdateIncident,
        TransitionRequest, AssignRequest, MilestoneRequest, EntryView, VerifyView, BreakView, UserView, CreateUser,
        CreatedUser, UpdateUser, UpdateMe, super::users::ChangePassword, ClassificationView, MemberView,
        super::record::ClassifyRequest, super::record::SeverityRequest, super::record::MarkingsRequest,
        super::record::TagsRequest, super::record::ScopeRequest, super::record::MemberRequest,
        super::team::AccessRequest, super::team::GrantRequest, super::team::GroupRequest,
        super::team::MemberRequest, super::team::BreakGlassRequest,
        super::record::ObservableRequest, super::record::ExtractRequest, super::record::ObservableUpdate,
        super::record::ObservableView, super::record::ExtractResult, super::record::TimelineRequest,
        super::record::WithdrawRequest, super::record::TimelineView, super::evidence::EvidenceView,
        super::evidence::CustodyView, super::evidence::CustodyRequest, super::work::AssetRequest,
        super::work::AssetUpdate, super::work::ActionRequest, super::work::TaskRequest, super::work::TaskUpdate,
        super::work::NoteRequest, super::work::TimeRequest, super::work::WorkView,
        super::alerts::ReceiptView, super::alerts::BatchView, super::alerts::AlertView, super::alerts::AlertList,
        super::alerts::HistoryView, super::alerts::PromotedView, super::alerts::DismissRequest,
        super::alerts::ReopenRequest, super::alerts::MergeRequest, super::events::EventsView,
        super::postmortem::PostmortemView, super::postmortem::RecommendationView,
        super::postmortem::Readiness, super::postmortem::ReadinessGap, super::postmortem::RootCauseEdit,
        super::postmortem::InfoRequestView, super::postmortem::PostmortemEdit,
        super::postmortem::RootCauseRequest, super::postmortem::StatusRequest,
        super::postmortem::ReviewInputRequest, super::postmortem::ReviewHeldRequest,
        super::postmortem::RecommendationStatusRequest, super::notify::ShareRequest, super::notify::ShareAnswer, super::notify::Shared, super::notify::SharedReport,
        super::postmortem::RecommendationRequest, super::postmortem::RecommendationUpdate, super::postmortem::InfoRequestBody,
        super::postmortem::AnswerBody, super::board::BoardItem, super::board::Board, super::board::ReviewOwed,
        super::playbooks::PlaybookView, super::playbooks::PlaybookDetail, super::playbooks::PublishRequest,
        super::playbooks::ApplyRequest, super::playbooks::IncidentPlaybooks,
        super::obligations::ObligationsView, super::obligations::FlagsRequest, super::obligations::ClockRequest,
        super::obligations::RegulatoryFactsRequest, super::obligations::DataSubjects,
        super::obligations::NotificationRequest, super::obligations::DueItem, super::notify::SendRequest,
        super::notify::StakeholderRequest, super::notify::ProposalView, super::notify::ProposalSendRequest,
        super::notify::SkipRequest, super::notify::RuleRequest, super::samm::AnswerRequest)),
    modifiers(&BearerAuth, &DescribeResponses),
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "bearer",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .bearer_format("dbf_…")
                        .build(),
                ),
            );
            components.add_security_scheme(
                "basic",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Basic).build()),
            );
        }
    }
}

/// Gives every response without a description (OpenAPI requires one) its status's reason,
/// and says that errors are problem documents.
struct DescribeResponses;

impl Modify for DescribeResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let ops = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for op in ops.into_iter().flatten() {
                for (code, response) in op.responses.responses.iter_mut() {
                    if let utoipa::openapi::RefOr::T(r) = response
                        && r.description.is_empty()
                    {
                        let reason = code
                            .parse::<u16>()
                            .ok()
                            .and_then(|c| axum::http::StatusCode::from_u16(c).ok())
                            .and_then(|c| c.canonical_reason())
                            .unwrap_or("Response");
                        r.description = if code.starts_with('2') {
                            reason.to_string()
                        } else {
                            format!("{reason} (an RFC 9457 problem document)")
                        };
                    }
                }
            }
        }
    }
}

/// The OpenAPI document, with the server's version, made true to what the server answers and
/// takes (see [`super::contract`]).
pub fn openapi() -> serde_json::Value {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    // utoipa's document serialises to JSON whatever it holds; the contract is applied to that
    // JSON (it uses keywords, such as `propertyNames`, that utoipa's types do not model).
    let mut value = serde_json::to_value(&doc).unwrap_or_default();
    super::contract::responses(&mut value);
    super::contract::fields(&mut value, &field_rules());
    super::contract::parameters(&mut value, &parameter_rules());
    value
}

/// The names of a closed set, as the server parses them.
fn names<T: Copy>(all: &[T], name: fn(T) -> &'static str) -> super::contract::Field {
    super::contract::Field::OneOf(all.iter().map(|v| name(*v).to_string()).collect())
}

fn list(values: &[&str]) -> super::contract::Field {
    super::contract::Field::OneOf(values.iter().map(|v| v.to_string()).collect())
}

/// A day (`2026-01-01`) or an RFC 3339 time, years 1970–9999, or nothing.
const DAY_OR_TIME: &str = "^((19[7-9][0-9]|[2-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])(T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,6})?(Z|[+-]0[0-9]:[0-5][0-9]))?)?$";

/// What the query parameters take.
fn parameter_rules() -> Vec<(&'static str, &'static str, super::contract::Field)> {
    use super::contract::Field::{Int, Pattern};
    use super::contract::comma_list;
    use debrief_domain::alert::AlertStatus;
    use debrief_domain::{Language, Status};
    let statuses: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
    let alert_statuses: Vec<&str> = AlertStatus::ALL.iter().map(|s| s.as_str()).collect();
    let lang = names(&Language::ALL, Language::as_str);
    vec![
        ("*", "limit", Int(1, 500)),
        ("/api/v1/access-log", "limit", Int(1, 10_000)),
        (
            "/api/v1/incidents/{incident}/access-log",
            "limit",
            Int(1, 10_000),
        ),
        ("/api/v1/search", "limit", Int(1, 200)),
        ("/api/v1/incidents/{incident}/similar", "limit", Int(1, 50)),
        ("*", "offset", Int(0, 1_000_000)),
        ("*", "format", list(&["json", "csv"])),
        (
            "/api/v1/incidents/{incident}/export",
            "format",
            names(
                debrief_report::ExchangeFormat::ALL,
                debrief_report::ExchangeFormat::as_str,
            ),
        ),
        (
            "/api/v1/incidents/{incident}/export",
            "table",
            list(debrief_report::tables::TABLES),
        ),
        (
            "/api/v1/incidents/{incident}/reports/{kind}",
            "format",
            names(
                debrief_report::ReportFormat::ALL,
                debrief_report::ReportFormat::as_str,
            ),
        ),
        (
            "/api/v1/reports/program",
            "format",
            names(
                debrief_report::ReportFormat::ALL,
                debrief_report::ReportFormat::as_str,
            ),
        ),
        ("*", "lang", lang),
        (
            "/api/v1/alerts",
            "status",
            Pattern(comma_list(&alert_statuses)),
        ),
        (
            "/api/v1/incidents",
            "status",
            Pattern(comma_list(&statuses)),
        ),
        ("/api/v1/incidents", "severity", Int(0, 5)),
        (
            "/api/v1/incidents",
            "cursor",
            Pattern("^[0-9]{0,18}$".into()),
        ),
        ("/api/v1/alerts", "min_severity", Int(1, 4)),
        ("/api/v1/obligations", "within_hours", Int(0, 8_760)),
        (
            "/api/v1/recommendations",
            "state",
            list(&["open", "overdue", "due-soon", "all"]),
        ),
        ("/api/v1/metrics", "severity", Pattern("^[0-5]?$".into())),
        ("/api/v1/metrics", "recurrence_months", Int(1, 120)),
        ("/api/v1/playbooks/{slug}", "version", Int(1, 1_000_000)),
        ("/api/v1/metrics", "from", Pattern(DAY_OR_TIME.into())),
        ("/api/v1/metrics", "to", Pattern(DAY_OR_TIME.into())),
        (
            "/api/v1/reports/program",
            "from",
            Pattern(DAY_OR_TIME.into()),
        ),
        ("/api/v1/reports/program", "to", Pattern(DAY_OR_TIME.into())),
        (
            "/api/v1/incidents/{incident}/reports/{kind}",
            "kind",
            names(
                debrief_report::ReportKind::ALL,
                debrief_report::ReportKind::as_str,
            ),
        ),
        (
            "/api/v1/observables",
            "kind",
            names(&debrief_domain::observable::ObservableKind::ALL, |k| {
                k.as_str()
            }),
        ),
    ]
}

/// What the request fields take, from the same lists and limits the server checks them with.
fn field_rules() -> Vec<(&'static str, &'static str, super::contract::Field)> {
    use super::contract::Field::{Int, Items, Keys, Line, Tag, Text, Time, User};
    use debrief_domain::alert::DismissReason;
    use debrief_domain::evidence::CustodyAction;
    use debrief_domain::observable::ObservableKind;
    use debrief_domain::postmortem::{
        CauseCategory, PostmortemStatus, RecommendationKind, RecommendationStatus,
    };
    use debrief_domain::postmortem::{PmList, PmText};
    use debrief_domain::stakeholder::{Reach, StakeholderCategory, StakeholderKind, WebhookFormat};
    use debrief_domain::text::{Label, Reason, Summary, Title};
    use debrief_domain::timeline::{Precision, TimelineSource};
    use debrief_domain::triage::{
        FunctionalImpact, IncidentRole, InformationImpact, Pap, Recoverability, Tlp,
    };
    use debrief_domain::work::{
        ActionKind, AssetKind, Compromise, Criticality, NoteKind, TaskStatus,
    };
    use debrief_domain::{Language, Milestone, Role, Status};
    let tlp = names(Tlp::ALL, Tlp::as_str);
    let pap = names(Pap::ALL, Pap::as_str);
    let lang = names(&Language::ALL, Language::as_str);
    let title = Line(Title::MAX, true);
    let reason = Text(Reason::MAX, false);
    let required_reason = Text(Reason::MAX, true);
    let label = Line(Label::MAX, false);
    let summary = Text(Summary::MAX, false);
    let required_text = Text(Summary::MAX, true);
    let flags: Vec<&str> = debrief_domain::obligation::FLAGS
        .iter()
        .map(|(k, _)| *k)
        .collect();
    vec![
        ("CreateIncident", "title", title.clone()),
        ("CreateIncident", "summary", summary.clone()),
        ("CreateIncident", "reporter", label.clone()),
        ("CreateIncident", "detection_source", label.clone()),
        ("UpdateIncident", "title", title.clone()),
        ("UpdateIncident", "summary", summary.clone()),
        ("UpdateIncident", "reporter", label.clone()),
        ("UpdateIncident", "detection_source", label.clone()),
        ("UpdateIncident", "reason", reason.clone()),
        (
            "TransitionRequest",
            "to",
            names(&Status::ALL, Status::as_str),
        ),
        ("TransitionRequest", "reason", reason.clone()),
        ("AssignRequest", "reason", reason.clone()),
        (
            "MilestoneRequest",
            "milestone",
            names(&Milestone::ALL, Milestone::as_str),
        ),
        ("MilestoneRequest", "source", Line(Label::MAX, true)),
        ("MilestoneRequest", "reason", reason.clone()),
        ("ClassifyRequest", "reason", reason.clone()),
        (
            "SeverityRequest",
            "functional",
            names(FunctionalImpact::ALL, FunctionalImpact::as_str),
        ),
        (
            "SeverityRequest",
            "information",
            names(InformationImpact::ALL, InformationImpact::as_str),
        ),
        (
            "SeverityRequest",
            "recoverability",
            names(Recoverability::ALL, Recoverability::as_str),
        ),
        ("SeverityRequest", "reason", reason.clone()),
        ("MarkingsRequest", "tlp", tlp.clone()),
        ("MarkingsRequest", "pap", pap.clone()),
        (
            "MemberRequest",
            "role",
            names(IncidentRole::ALL, IncidentRole::as_str),
        ),
        ("MemberRequest", "reason", reason.clone()),
        (
            "ObservableRequest",
            "kind",
            names(&ObservableKind::ALL, ObservableKind::as_str),
        ),
        ("ObservableRequest", "tlp", tlp.clone()),
        ("ObservableUpdate", "tlp", tlp.clone()),
        ("ExtractRequest", "tlp", tlp.clone()),
        ("TimelineRequest", "description", required_text.clone()),
        (
            "TimelineRequest",
            "precision",
            names(&Precision::ALL, Precision::as_str),
        ),
        (
            "TimelineRequest",
            "source",
            names(&TimelineSource::ALL, TimelineSource::as_str),
        ),
        (
            "TimelineRequest",
            "tactic",
            list(&debrief_domain::timeline::TACTICS.map(|(_, n)| n)),
        ),
        ("WithdrawRequest", "reason", required_reason.clone()),
        (
            "AssetRequest",
            "kind",
            names(AssetKind::ALL, AssetKind::as_str),
        ),
        ("AssetRequest", "name", title.clone()),
        (
            "AssetRequest",
            "compromise",
            names(Compromise::ALL, Compromise::as_str),
        ),
        (
            "AssetRequest",
            "criticality",
            names(Criticality::ALL, Criticality::as_str),
        ),
        (
            "AssetUpdate",
            "compromise",
            names(Compromise::ALL, Compromise::as_str),
        ),
        (
            "AssetUpdate",
            "criticality",
            names(Criticality::ALL, Criticality::as_str),
        ),
        (
            "ActionRequest",
            "kind",
            names(ActionKind::ALL, ActionKind::as_str),
        ),
        ("ActionRequest", "description", required_text.clone()),
        ("TaskRequest", "title", title.clone()),
        (
            "TaskUpdate",
            "status",
            names(TaskStatus::ALL, TaskStatus::as_str),
        ),
        (
            "NoteRequest",
            "kind",
            names(NoteKind::ALL, NoteKind::as_str),
        ),
        ("NoteRequest", "text", required_text.clone()),
        ("TimeRequest", "minutes", Int(1, 24 * 60)),
        (
            "CustodyRequest",
            "action",
            names(&CustodyAction::ALL, CustodyAction::as_str),
        ),
        (
            "DismissRequest",
            "reason",
            names(&DismissReason::ALL, DismissReason::as_str),
        ),
        ("DismissRequest", "note", required_reason.clone()),
        ("ReopenRequest", "reason", required_reason.clone()),
        (
            "RootCauseRequest",
            "category",
            names(CauseCategory::ALL, CauseCategory::as_str),
        ),
        ("RootCauseRequest", "text", required_text.clone()),
        (
            "RootCauseEdit",
            "category",
            names(CauseCategory::ALL, CauseCategory::as_str),
        ),
        ("RootCauseEdit", "text", required_text.clone()),
        (
            "RootCauseEdit",
            "whys",
            Items(0, 10, Box::new(Line(1_000, false))),
        ),
        ("RegulatoryFactsRequest", "contact", Text(1_000, false)),
        (
            "RegulatoryFactsRequest",
            "cross_border_detail",
            Text(2_000, false),
        ),
        ("RegulatoryFactsRequest", "consequences", Text(4_000, false)),
        (
            "RegulatoryFactsRequest",
            "measures_for_people",
            Text(4_000, false),
        ),
        ("DataSubjects", "category", Line(200, true)),
        (
            "RootCauseRequest",
            "whys",
            Items(0, 10, Box::new(Line(1_000, false))),
        ),
        (
            "StatusRequest",
            "to",
            names(PostmortemStatus::ALL, PostmortemStatus::as_str),
        ),
        ("StatusRequest", "reason", reason.clone()),
        (
            "RecommendationStatusRequest",
            "to",
            names(RecommendationStatus::ALL, RecommendationStatus::as_str),
        ),
        ("RecommendationStatusRequest", "reason", reason.clone()),
        ("RecommendationRequest", "action", required_text.clone()),
        (
            "RecommendationRequest",
            "type",
            names(RecommendationKind::ALL, RecommendationKind::as_str),
        ),
        ("RecommendationRequest", "impact", Int(1, 5)),
        ("RecommendationRequest", "effort", Int(1, 5)),
        ("InfoRequestBody", "question", required_text.clone()),
        ("InfoRequestBody", "to", Line(Label::MAX, true)),
        ("AnswerBody", "answer", required_text.clone()),
        ("FlagsRequest", "flags", list(&flags)),
        ("FlagsRequest", "reason", reason.clone()),
        (
            "ClockRequest",
            "clock",
            list(&["classified_major", "materiality_determined"]),
        ),
        ("ClockRequest", "source", Line(Label::MAX, true)),
        (
            "NotificationRequest",
            "channel",
            list(debrief_domain::obligation::CHANNELS),
        ),
        ("NotificationRequest", "summary", required_text.clone()),
        (
            "NotificationRequest",
            "recipients",
            Items(1, 100, Box::new(Line(320, true))),
        ),
        ("NotificationRequest", "late_reason", reason.clone()),
        ("SendRequest", "channel", list(&["email", "webhook"])),
        ("SendRequest", "summary", Line(Title::MAX, true)),
        ("SendRequest", "text", required_text.clone()),
        ("SkipRequest", "reason", required_reason.clone()),
        ("StakeholderRequest", "name", title.clone()),
        (
            "StakeholderRequest",
            "kind",
            names(StakeholderKind::ALL, StakeholderKind::as_str),
        ),
        (
            "StakeholderRequest",
            "scope",
            names(Reach::ALL, Reach::as_str),
        ),
        (
            "StakeholderRequest",
            "category",
            names(StakeholderCategory::ALL, StakeholderCategory::as_str),
        ),
        (
            "StakeholderRequest",
            "webhook_format",
            names(WebhookFormat::ALL, WebhookFormat::as_str),
        ),
        ("StakeholderRequest", "language", lang.clone()),
        ("RuleRequest", "name", title.clone()),
        ("RuleRequest", "min_level", Int(0, 5)),
        ("CreateUser", "role", names(&Role::ALL, Role::as_str)),
        ("CreateUser", "language", lang.clone()),
        ("CreateUser", "display_name", label.clone()),
        ("CreateUser", "password", Line(256, false)),
        ("UpdateUser", "role", names(&Role::ALL, Role::as_str)),
        ("UpdateUser", "language", lang.clone()),
        ("UpdateUser", "display_name", label.clone()),
        ("UpdateMe", "language", lang.clone()),
        (
            "UpdateMe",
            "timezone",
            // Every IANA name the bundled database knows, or empty for the installation's.
            super::contract::Field::OneOf(
                std::iter::once(String::new())
                    .chain(jiff::tz::db().available().map(|n| n.to_string()))
                    .collect(),
            ),
        ),
        ("TaskUpdate", "occurred_at", Time(true)),
        ("NoteRequest", "occurred_at", Time(true)),
        ("AnswerBody", "answered_at", Time(true)),
        ("ApplyRequest", "lang", lang),
        ("ChangePassword", "new_password", Line(256, true)),
        ("CreateIncident", "detected_at", Time(true)),
        ("MilestoneRequest", "at", Time(false)),
        ("ClockRequest", "at", Time(false)),
        ("TimelineRequest", "occurred_at", Time(false)),
        ("ObservableRequest", "first_seen", Time(true)),
        ("ObservableRequest", "last_seen", Time(true)),
        ("ActionRequest", "at", Time(true)),
        ("ActionRequest", "by", User(true)),
        ("TaskRequest", "due", Time(true)),
        ("TaskRequest", "owner", User(true)),
        ("TaskUpdate", "due", Time(true)),
        ("TaskUpdate", "owner", User(true)),
        ("TimeRequest", "day", Time(true)),
        ("TimeRequest", "user", User(true)),
        ("CustodyRequest", "at", Time(true)),
        ("RecommendationRequest", "due", Time(true)),
        ("RecommendationRequest", "owner", User(true)),
        ("NotificationRequest", "sent_at", Time(true)),
        ("PostmortemEdit", "review_at", Time(true)),
        ("ReviewHeldRequest", "at", Time(false)),
        ("MemberRequest", "user", User(false)),
        ("CreateUser", "username", User(false)),
        ("StakeholderRequest", "username", User(true)),
        ("ObservableRequest", "value", Line(2_048, true)),
        ("ScopeRequest", "sites", Line(100, false)),
        ("ScopeRequest", "business_units", Line(100, false)),
        ("ScopeRequest", "systems", Line(100, false)),
        ("TagsRequest", "add", Tag(64)),
        ("TagsRequest", "remove", Tag(64)),
        (
            "PostmortemEdit",
            "texts",
            Keys(PmText::ALL.iter().map(|t| t.as_str().to_string()).collect()),
        ),
        (
            "PostmortemEdit",
            "lists",
            Keys(PmList::ALL.iter().map(|t| t.as_str().to_string()).collect()),
        ),
        (
            "ClassifyRequest",
            "class",
            list(
                &debrief_domain::taxonomy::classes()
                    .iter()
                    .map(|c| c.id.as_str())
                    .collect::<Vec<_>>(),
            ),
        ),
        (
            "ClassifyRequest",
            "subtype",
            list(
                &debrief_domain::taxonomy::subtypes()
                    .iter()
                    .map(|s| s.id.as_str())
                    .collect::<Vec<_>>(),
            ),
        ),
        ("AnswerRequest", "answer", Int(0, 3)),
    ]
}

/// The OpenAPI 3.1 document of this API.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta",
    responses((status = 200, description = "This document"), (status = 401, body = Problem)), security(("bearer" = [])))]
pub async fn openapi_json(_user: ApiUser) -> Json<serde_json::Value> {
    Json(openapi())
}
