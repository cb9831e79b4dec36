//! Single sign-on with OpenID Connect: the provider found by discovery, the authorization code
//! flow with PKCE, `state` and `nonce`, the ID token's signature and claims checked by
//! `openidconnect`, the groups claim read from the ID token or, when it is not there, from the
//! user info endpoint, and the provider's groups mapped to a Debrief role.
//!
//! The flow's secrets (state, nonce, PKCE verifier, where to go next) travel in a short-lived
//! `HttpOnly` cookie scoped to `/auth/oidc`, so that any instance can finish a sign-in another
//! one began.

use std::collections::BTreeMap;
use std::fmt;

use debrief_domain::Role;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use serde::{Deserialize, Serialize};

/// The `[oidc]` section of `debrief.toml`.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcSettings {
    /// The provider's issuer URL (discovery reads `{issuer}/.well-known/openid-configuration`).
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// The claim holding the person's groups (`groups` by default).
    #[serde(default = "default_groups_claim")]
    pub groups_claim: String,
    /// Provider group → Debrief role; a person gets the highest role among their groups, and
    /// cannot sign in through the provider without one.
    #[serde(default)]
    pub roles: BTreeMap<String, Role>,
    /// Where the provider sends people back (default: `{public URL}/auth/oidc/callback`).
    #[serde(default)]
    pub redirect_url: Option<String>,
    /// Whether local passwords still sign in (`true` by default); when `false`, only the
    /// break-glass admin account (`admin`) signs in with a password.
    #[serde(default = "yes")]
    pub local_accounts: bool,
}

fn default_groups_claim() -> String {
    "groups".into()
}

fn yes() -> bool {
    true
}

impl fmt::Debug for OidcSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcSettings")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .field("groups_claim", &self.groups_claim)
            .field("roles", &self.roles)
            .field("redirect_url", &self.redirect_url)
            .field("local_accounts", &self.local_accounts)
            .finish()
    }
}

/// The highest role the `roles` map gives any of `groups` (admin, then manager, handler,
/// viewer); `None` when no group is mapped.
pub fn role_for(roles: &BTreeMap<String, Role>, groups: &[String]) -> Option<Role> {
    let rank = |r: Role| match r {
        Role::Admin => 3,
        Role::Manager => 2,
        Role::Handler => 1,
        Role::Viewer => 0,
    };
    groups
        .iter()
        .filter_map(|g| roles.get(g).copied())
        .max_by_key(|r| rank(*r))
}

/// Why a sign-in through the provider did not happen (said on the sign-in page).
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("the identity provider cannot be reached or answered wrongly: {0}")]
    Provider(String),
    #[error("this sign-in was not started here or has expired; start again")]
    State,
    #[error("the identity provider's answer could not be trusted: {0}")]
    Token(String),
    #[error("{0}")]
    Refused(String),
}

/// An HTTP failure on the way to the provider.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HttpError(String);

/// The provider, as discovery describes it.
#[derive(Debug, Clone)]
pub struct Provider {
    pub settings: OidcSettings,
    metadata: CoreProviderMetadata,
    redirect: RedirectUrl,
}

/// What travels in the flow's cookie between the redirect and the callback.
#[derive(Debug, Serialize, Deserialize)]
pub struct Pending {
    state: String,
    nonce: String,
    verifier: String,
    /// Where to go once signed in (a local path).
    pub next: String,
}

/// Who the provider says signed in, with their groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The provider's stable subject identifier.
    pub subject: String,
    /// `preferred_username`, else the e-mail address, else the subject.
    pub username: String,
    pub display_name: String,
    pub groups: Vec<String>,
}

fn http_client() -> Result<reqwest::Client, OidcError> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        // Following redirects would open the server to SSRF through the provider's answers.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| OidcError::Provider(e.to_string()))
}

async fn send(
    client: reqwest::Client,
    request: openidconnect::HttpRequest,
) -> Result<openidconnect::HttpResponse, HttpError> {
    let (parts, body) = request.into_parts();
    let response = client
        .request(parts.method, parts.uri.to_string())
        .headers(parts.headers)
        .body(body)
        .send()
        .await
        .map_err(|e| HttpError(e.without_url().to_string()))?;
    let mut out = axum::http::Response::builder().status(response.status());
    for (name, value) in response.headers() {
        out = out.header(name, value);
    }
    let bytes = response
        .bytes()
        .await
        .map_err(|e| HttpError(e.to_string()))?;
    out.body(bytes.to_vec())
        .map_err(|e| HttpError(e.to_string()))
}

impl Provider {
    /// Discovers the provider; `public_url` is where people reach Debrief (for the default
    /// redirect URL).
    pub async fn discover(settings: OidcSettings, public_url: &str) -> Result<Provider, OidcError> {
        let client = http_client()?;
        let http = |r| send(client.clone(), r);
        let issuer = IssuerUrl::new(settings.issuer.clone())
            .map_err(|e| OidcError::Provider(format!("issuer `{}`: {e}", settings.issuer)))?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &http)
            .await
            .map_err(|e| OidcError::Provider(format!("discovery: {e}")))?;
        let redirect = settings
            .redirect_url
            .clone()
            .unwrap_or_else(|| format!("{}/auth/oidc/callback", public_url.trim_end_matches('/')));
        let redirect = RedirectUrl::new(redirect.clone())
            .map_err(|e| OidcError::Provider(format!("redirect URL `{redirect}`: {e}")))?;
        Ok(Provider {
            settings,
            metadata,
            redirect,
        })
    }

    fn client(
        &self,
    ) -> CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    > {
        CoreClient::from_provider_metadata(
            self.metadata.clone(),
            ClientId::new(self.settings.client_id.clone()),
            Some(ClientSecret::new(self.settings.client_secret.clone())),
        )
        .set_redirect_uri(self.redirect.clone())
    }

    /// Where to send the browser, and what the callback will need back.
    pub fn begin(&self, next: &str) -> (String, Pending) {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let client = self.client();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("profile".into()))
            .add_scope(Scope::new("email".into()))
            .set_pkce_challenge(challenge);
        if self.settings.groups_claim == "groups" {
            request = request.add_scope(Scope::new("groups".into()));
        }
        let (url, state, nonce) = request.url();
        (
            url.to_string(),
            Pending {
                state: state.secret().clone(),
                nonce: nonce.secret().clone(),
                verifier: verifier.secret().clone(),
                next: next.to_string(),
            },
        )
    }

    /// Finishes a sign-in: `state` must be the one this browser was sent with; the code is
    /// exchanged with the PKCE verifier, the ID token checked (signature, issuer, audience,
    /// expiry, nonce), and the groups read.
    pub async fn finish(
        &self,
        pending: &Pending,
        code: &str,
        state: &str,
    ) -> Result<Identity, OidcError> {
        if state.is_empty() || !constant_time_eq(state.as_bytes(), pending.state.as_bytes()) {
            return Err(OidcError::State);
        }
        let client = http_client()?;
        let http = |r| send(client.clone(), r);
        let oidc = self.client();
        let token = oidc
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| OidcError::Provider(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier.clone()))
            .request_async(&http)
            .await
            .map_err(|e| OidcError::Token(format!("code exchange: {e}")))?;
        let id_token = token
            .id_token()
            .ok_or_else(|| OidcError::Token("no ID token in the answer".into()))?;
        let verifier = oidc.id_token_verifier();
        let claims = id_token
            .claims(&verifier, &Nonce::new(pending.nonce.clone()))
            .map_err(|e| OidcError::Token(e.to_string()))?;
        let subject = claims.subject().as_str().to_string();
        // The token is now trusted: its payload's other claims can be read as they are.
        let mut raw = payload(&id_token.to_string())?;
        if raw.get(&self.settings.groups_claim).is_none() {
            let info = self
                .user_info(&client, token.access_token().secret())
                .await?;
            if info.get("sub").and_then(|s| s.as_str()) != Some(subject.as_str()) {
                return Err(OidcError::Token(
                    "the user info answer is about someone else".into(),
                ));
            }
            raw = info;
        }
        Ok(identity(&subject, &raw, &self.settings.groups_claim))
    }

    async fn user_info(
        &self,
        client: &reqwest::Client,
        access_token: &str,
    ) -> Result<serde_json::Value, OidcError> {
        let url = self
            .metadata
            .userinfo_endpoint()
            .ok_or_else(|| {
                OidcError::Provider(format!(
                    "the ID token has no `{}` claim and the provider has no user info endpoint",
                    self.settings.groups_claim
                ))
            })?
            .url()
            .clone();
        let answer = client
            .get(url.as_str())
            .bearer_auth(access_token)
            .send()
            .await
            .map_err(|e| OidcError::Provider(format!("user info: {}", e.without_url())))?;
        if !answer.status().is_success() {
            return Err(OidcError::Provider(format!(
                "user info: HTTP {}",
                answer.status().as_u16()
            )));
        }
        answer
            .json()
            .await
            .map_err(|e| OidcError::Provider(format!("user info: {e}")))
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The payload of a (verified) JWT as JSON.
fn payload(jwt: &str) -> Result<serde_json::Value, OidcError> {
    use base64::Engine;
    let part = jwt
        .split('.')
        .nth(1)
        .ok_or_else(|| OidcError::Token("the ID token is not a JWT".into()))?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|e| OidcError::Token(e.to_string()))?;
    serde_json::from_slice(&bytes).map_err(|e| OidcError::Token(e.to_string()))
}

/// Who a set of claims names, with their groups (a list of strings, or one string).
pub fn identity(subject: &str, claims: &serde_json::Value, groups_claim: &str) -> Identity {
    let text = |k: &str| {
        claims
            .get(k)
            .and_then(|v| v.as_str())
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let username = text("preferred_username")
        .or_else(|| text("email"))
        .unwrap_or_else(|| subject.to_string());
    let groups = match claims.get(groups_claim) {
        Some(serde_json::Value::Array(list)) => list
            .iter()
            .filter_map(|g| g.as_str().map(str::to_string))
            .collect(),
        Some(serde_json::Value::String(one)) => vec![one.clone()],
        _ => Vec::new(),
    };
    Identity {
        subject: subject.to_string(),
        display_name: text("name").unwrap_or_else(|| username.clone()),
        username,
        groups,
    }
}

/// The flow cookie's value (JSON, base64url) and back.
pub fn pending_cookie(p: &Pending) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(p).unwrap_or_default())
}

/// Reads the flow cookie back (`None` when absent or not ours).
pub fn read_pending(value: &str) -> Option<Pending> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(value)
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_highest_mapped_role_wins_and_an_unmapped_person_gets_none() {
        let roles: BTreeMap<String, Role> = [
            ("soc".to_string(), Role::Handler),
            ("soc-leads".to_string(), Role::Manager),
            ("staff".to_string(), Role::Viewer),
        ]
        .into();
        let g = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            role_for(&roles, &g(&["staff", "soc-leads", "soc"])),
            Some(Role::Manager)
        );
        assert_eq!(role_for(&roles, &g(&["staff"])), Some(Role::Viewer));
        assert_eq!(role_for(&roles, &g(&["marketing"])), None);
    }

    #[test]
    fn identity_reads_names_and_groups_in_either_shape() {
        let c = serde_json::json!({"preferred_username": "ana", "name": "Ana Lima", "groups": ["soc", 3, "staff"]});
        let i = identity("s-1", &c, "groups");
        assert_eq!(
            (i.username.as_str(), i.display_name.as_str()),
            ("ana", "Ana Lima")
        );
        assert_eq!(i.groups, vec!["soc".to_string(), "staff".to_string()]);
        let c = serde_json::json!({"email": "bo@example.org", "roles": "soc"});
        let i = identity("s-2", &c, "roles");
        assert_eq!((i.username.as_str(), i.groups.len()), ("bo@example.org", 1));
        assert_eq!(
            identity("s-3", &serde_json::json!({}), "groups").username,
            "s-3"
        );
    }

    #[test]
    fn the_flow_cookie_round_trips_and_strangers_are_refused() {
        let p = Pending {
            state: "s".into(),
            nonce: "n".into(),
            verifier: "v".into(),
            next: "/incidents".into(),
        };
        let back = read_pending(&pending_cookie(&p)).unwrap();
        assert_eq!(
            (back.state.as_str(), back.next.as_str()),
            ("s", "/incidents")
        );
        assert!(read_pending("not-base64!").is_none());
        assert!(
            format!(
                "{:?}",
                OidcSettings {
                    issuer: "i".into(),
                    client_id: "c".into(),
                    client_secret: "hunter2".into(),
                    groups_claim: "groups".into(),
                    roles: BTreeMap::new(),
                    redirect_url: None,
                    local_accounts: true,
                }
            )
            .contains("***")
        );
    }
}
