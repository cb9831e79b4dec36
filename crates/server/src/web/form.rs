//! Typed forms: a page's form is read once, into a struct of domain values (`WebForm<T>`), with
//! repeated keys as lists and empty fields as `None`; a form that cannot be read is answered with a
//! page that says so in the reader's language, never with the decoder's raw text.

use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::Response;
use debrief_domain::Language;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use crate::AppState;
pub use crate::de::{choice, comma_list, maybe, optional, trimmed};
use crate::i18n;

/// A form body read into `T` (`application/x-www-form-urlencoded`).
#[derive(Debug)]
pub struct WebForm<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for WebForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        // The signed-in user's language, left by the `WebUser` extractor that runs first.
        let lang = req
            .extensions()
            .get::<Language>()
            .copied()
            .unwrap_or_else(|| super::language(None, req.headers()));
        let bytes = match axum::body::Bytes::from_request(req, state).await {
            Ok(b) => b,
            Err(e) => return Err(unreadable(lang, &e.body_text())),
        };
        serde_html_form::from_bytes(&bytes)
            .map(WebForm)
            .map_err(|e| unreadable(lang, &e.to_string()))
    }
}

/// A form the page did not send as it was given: a value outside its choices, a field missing.
fn unreadable(lang: Language, detail: &str) -> Response {
    tracing::debug!(detail, "unreadable form");
    super::error_page(
        lang,
        None,
        StatusCode::UNPROCESSABLE_ENTITY,
        "error-form-heading",
        &i18n::t(lang, "error-form", &[]),
    )
}

/// A form that carries nothing but its CSRF token (a button).
#[derive(Debug, Deserialize)]
pub struct ButtonForm {
    #[serde(default, rename = "_csrf")]
    pub csrf: String,
}

/// A regulatory obligation chosen on a page, `regime/step` (none when the field is empty).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Obligation(pub Option<(String, String)>);

impl Obligation {
    /// The regime and the step, apart.
    pub fn parts(&self) -> (Option<String>, Option<String>) {
        match &self.0 {
            Some((r, s)) => (Some(r.clone()), Some(s.clone())),
            None => (None, None),
        }
    }
}

impl<'de> Deserialize<'de> for Obligation {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Option::<String>::deserialize(d)?.unwrap_or_default();
        Ok(Obligation(
            s.trim()
                .split_once('/')
                .map(|(r, st)| (r.to_string(), st.to_string())),
        ))
    }
}

/// A yes / no / don't know choice (`yes`, `no`, or anything else for "not known").
pub fn yes_no<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(match trimmed(d)?.as_str() {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use debrief_domain::postmortem::PostmortemStatus;

    #[derive(Debug, Deserialize)]
    struct Sample {
        #[serde(default, rename = "_csrf")]
        csrf: String,
        #[serde(default, deserialize_with = "trimmed")]
        name: String,
        to: PostmortemStatus,
        #[serde(default)]
        level: Option<u8>,
        #[serde(default, rename = "flag")]
        flags: Vec<String>,
        #[serde(default, deserialize_with = "comma_list")]
        recipients: Vec<String>,
        #[serde(default)]
        obligation: Obligation,
    }

    #[test]
    fn a_form_reads_into_domain_values() {
        let s: Sample = serde_html_form::from_str(
            "_csrf=t&name=+Ana+&to=in-review&level=&flag=a&flag=b&recipients=x%40y%2C+%2Cz&obligation=gdpr%2Fauthority",
        )
        .unwrap();
        assert_eq!(s.csrf, "t");
        assert_eq!(s.name, "Ana");
        assert_eq!(s.to, PostmortemStatus::InReview);
        assert_eq!(s.level, None);
        assert_eq!(s.flags, ["a", "b"]);
        assert_eq!(s.recipients, ["x@y", "z"]);
        assert_eq!(
            s.obligation.parts(),
            (Some("gdpr".into()), Some("authority".into()))
        );
    }

    #[test]
    fn a_value_outside_the_choices_is_refused() {
        let r: Result<Sample, _> = serde_html_form::from_str("to=published-by-magic");
        assert!(r.is_err());
        let r: Result<Sample, _> = serde_html_form::from_str("");
        assert!(r.is_err(), "a missing choice is refused");
    }
}
