//! The metrics dashboard (`/metrics`): the program's figures over a period and filter, each with
//! the incidents behind it, and SVG charts (the trend per month, the distribution per severity).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use debrief_domain::Action;
use debrief_domain::metrics::Metrics;

use std::collections::BTreeMap;

use serde::Serialize;

use super::WebUser;
use super::pages::{forbidden, may, render_view};
use crate::AppState;
use crate::api::metrics::{MetricsParams, figures};
use debrief_report::charts;

/// The two charts of the dashboard, in the reader's language.
pub fn chart_svgs(m: &Metrics, lang: debrief_domain::Language) -> (String, String) {
    let t = |k: &str| crate::i18n::t(lang, k, &[]);
    let trend = charts::bars(
        &t("mx-chart-trend"),
        &[&t("mx-opened"), &t("mx-closed")],
        &m.months
            .iter()
            .map(|x| (x.month.clone(), vec![x.opened as f64, x.closed as f64]))
            .collect::<Vec<_>>(),
    );
    let mut levels: Vec<(String, Vec<f64>)> = (0..=5)
        .map(|l| {
            let n = m.by_severity.get(&l.to_string()).map_or(0, Vec::len);
            (l.to_string(), vec![n as f64])
        })
        .collect();
    levels.push((
        t("mx-unassessed"),
        vec![m.by_severity.get("unassessed").map_or(0, Vec::len) as f64],
    ));
    let severity = charts::bars(&t("mx-chart-severity"), &[&t("mx-incidents")], &levels);
    (trend, severity)
}

pub async fn dashboard(
    State(state): State<AppState>,
    user: WebUser,
    query: Result<Query<MetricsParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    if let Err(why) = may(&user, Action::ReadIncidents) {
        return forbidden(&user, &why);
    }
    // Classes and action kinds by their names in the reader's language, never their codes.
    let labels = debrief_report::context::labels(user.lang);
    let classes: Vec<ClassName> = debrief_domain::taxonomy::classes()
        .iter()
        .map(|c| ClassName {
            id: c.id.clone(),
            name: debrief_domain::taxonomy::label(&c.en, &c.fr, user.lang),
        })
        .collect();
    let mut class_names: BTreeMap<String, String> = classes
        .iter()
        .map(|c| (c.id.clone(), c.name.clone()))
        .collect();
    class_names.insert(
        "unclassified".into(),
        labels.get("unclassified").cloned().unwrap_or_default(),
    );
    let action_names = labels
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("ev_")?.to_string(), v.clone())))
        .collect();
    let frame = super::Frame::page(&user, "metrics", None);
    let mut view = MetricsPage {
        frame,
        m: None,
        classes,
        class_names,
        action_names,
        params: MetricsParams::default(),
        trend_svg: String::new(),
        severity_svg: String::new(),
        costs: Vec::new(),
    };
    let params = match query {
        Ok(Query(p)) => p,
        Err(e) => {
            view.frame.error = Some(e.body_text());
            return render_view("metrics.html", StatusCode::BAD_REQUEST, &view);
        }
    };
    view.params = params;
    match figures(&state, &user.caller(), &view.params).await {
        Ok(m) => {
            (view.trend_svg, view.severity_svg) = chart_svgs(&m, user.lang);
            let money =
                |minor: i64, cur: &str| debrief_report::context::money(minor, cur, user.lang);
            view.costs = m
                .costs
                .iter()
                .map(|(cur, c)| CostRow {
                    currency: cur.clone(),
                    direct: money(c.direct, cur),
                    indirect: money(c.indirect, cur),
                    recovered: money(c.recovered, cur),
                    net: money(c.net, cur),
                    incidents: c.incidents.clone(),
                })
                .collect();
            view.m = Some(m);
            render_view("metrics.html", StatusCode::OK, &view)
        }
        Err(e) => {
            view.frame.error = Some(e.detail);
            render_view("metrics.html", e.status, &view)
        }
    }
}

/// The metrics dashboard: the filter, the figures (none when they cannot be computed: the
/// error says why), their charts and the costs in the reader's words.
#[derive(Debug, Serialize)]
struct MetricsPage {
    #[serde(flatten)]
    frame: super::Frame,
    m: Option<Metrics>,
    /// The classes a filter may choose.
    classes: Vec<ClassName>,
    /// Classes by their names in the reader's language (and "unclassified").
    class_names: BTreeMap<String, String>,
    /// Kinds of response action by their names in the reader's language.
    action_names: BTreeMap<String, String>,
    params: MetricsParams,
    trend_svg: String,
    severity_svg: String,
    costs: Vec<CostRow>,
}

#[derive(Debug, Serialize)]
struct ClassName {
    id: String,
    name: String,
}

/// The costs in one currency, as amounts the reader reads.
#[derive(Debug, Serialize)]
struct CostRow {
    currency: String,
    direct: String,
    indirect: String,
    recovered: String,
    net: String,
    incidents: Vec<i64>,
}
