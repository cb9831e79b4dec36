//! The metrics dashboard (`/metrics`): the program's figures over a period and filter, each with
//! the incidents behind it, and SVG charts (the trend per month, the distribution per severity).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use debrief_domain::Action;
use debrief_domain::metrics::Metrics;

use super::WebUser;
use super::pages::{forbidden, may, render};
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
    let mut ctx = super::base_context(Some(&user), user.lang);
    // The figures (none when they cannot be computed: the error says why).
    ctx.insert("m".into(), serde_json::Value::Null);
    ctx.insert("nav".into(), "metrics".into());
    // Classes and action kinds by their names in the reader's language, never their codes.
    let labels = debrief_report::context::labels(user.lang);
    let mut class_names: serde_json::Map<String, serde_json::Value> =
        debrief_domain::taxonomy::classes()
            .iter()
            .map(|c| {
                let name = debrief_domain::taxonomy::label(&c.en, &c.fr, user.lang);
                (c.id.clone(), name.into())
            })
            .collect();
    ctx.insert(
        "classes".into(),
        serde_json::Value::Array(
            class_names
                .iter()
                .map(|(id, name)| serde_json::json!({"id": id, "name": name}))
                .collect(),
        ),
    );
    class_names.insert(
        "unclassified".into(),
        labels
            .get("unclassified")
            .cloned()
            .unwrap_or_default()
            .into(),
    );
    ctx.insert("class_names".into(), class_names.into());
    ctx.insert(
        "action_names".into(),
        labels
            .iter()
            .filter_map(|(k, v)| Some((k.strip_prefix("ev_")?.to_string(), v.clone().into())))
            .collect::<serde_json::Map<_, _>>()
            .into(),
    );
    let params = match query {
        Ok(Query(p)) => p,
        Err(e) => {
            ctx.insert("error".into(), e.body_text().into());
            return render("metrics.html", StatusCode::BAD_REQUEST, ctx);
        }
    };
    ctx.insert(
        "params".into(),
        serde_json::json!({
            "from": params.from, "to": params.to, "class": params.class,
            "severity": params.severity, "tag": params.tag, "team": params.team,
        }),
    );
    match figures(&state, &user.caller(), &params).await {
        Ok(m) => {
            let (trend, severity) = chart_svgs(&m, user.lang);
            ctx.insert("trend_svg".into(), trend.into());
            ctx.insert("severity_svg".into(), severity.into());
            ctx.insert("m".into(), serde_json::to_value(&m).unwrap_or_default());
            let money =
                |minor: i64, cur: &str| debrief_report::context::money(minor, cur, user.lang);
            ctx.insert(
                "costs".into(),
                m.costs
                    .iter()
                    .map(|(cur, c)| {
                        serde_json::json!({
                            "currency": cur,
                            "direct": money(c.direct, cur),
                            "indirect": money(c.indirect, cur),
                            "recovered": money(c.recovered, cur),
                            "net": money(c.net, cur),
                            "incidents": c.incidents,
                        })
                    })
                    .collect::<Vec<_>>()
                    .into(),
            );
            render("metrics.html", StatusCode::OK, ctx)
        }
        Err(e) => {
            ctx.insert("error".into(), e.detail.into());
            render("metrics.html", e.status, ctx)
        }
    }
}
