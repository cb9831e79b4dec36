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
        super::postmortem::add_recommendation, super::postmortem::recommendation_status,
        super::postmortem::request_info, super::postmortem::answer_info, super::postmortem::board,
        super::playbooks::list, super::playbooks::get_one, super::playbooks::publish,
        super::playbooks::for_incident, super::playbooks::apply_to_incident,
        super::obligations::get_obligations, super::obligations::set_flags, super::obligations::set_clock,
        super::obligations::record_notification, super::obligations::due, super::notify::send,
        super::notify::retry, super::notify::get_proposals, super::notify::send_proposal, super::notify::skip_proposal,
        super::notify::list_rules, super::notify::add_rule, super::notify::delete_rule,
        super::notify::stakeholders, super::notify::add_stakeholder,
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
        super::postmortem::InfoRequestView, super::postmortem::PostmortemEdit,
        super::postmortem::RootCauseRequest, super::postmortem::StatusRequest,
        super::postmortem::RecommendationRequest, super::postmortem::InfoRequestBody,
        super::postmortem::AnswerBody, super::postmortem::BoardItem, super::postmortem::Board,
        super::playbooks::PlaybookView, super::playbooks::PlaybookDetail, super::playbooks::PublishRequest,
        super::playbooks::ApplyRequest, super::playbooks::IncidentPlaybooks,
        super::obligations::ObligationsView, super::obligations::FlagsRequest, super::obligations::ClockRequest,
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

/// The OpenAPI document, with the server's version.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    doc
}

/// The OpenAPI 3.1 document of this API.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta",
    responses((status = 200, description = "This document"), (status = 401, body = Problem)), security(("bearer" = [])))]
pub async fn openapi_json(_user: ApiUser) -> Json<utoipa::openapi::OpenApi> {
    Json(openapi())
}
