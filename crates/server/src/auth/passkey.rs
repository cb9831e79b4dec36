//! Passkeys (WebAuthn) as a second factor: the relying party built from the installation's
//! public address, and the two ceremonies — registering a passkey on the settings page and
//! proving one at sign-in. The ceremony's state waits in the session's row (not in one
//! instance's memory); what a ceremony proves is stored through the application layer.

use debrief_store::accounts::User;
use webauthn_rs::prelude::{
    CreationChallengeResponse, Passkey, PasskeyAuthentication, PasskeyRegistration,
    PublicKeyCredential, RegisterPublicKeyCredential, RequestChallengeResponse, Url, Uuid,
};
use webauthn_rs::{Webauthn, WebauthnBuilder};

/// The relying party: which site passkeys are bound to.
#[derive(Debug)]
pub struct Passkeys {
    webauthn: Webauthn,
}

/// Why a ceremony did not succeed, in words for the person (English; the page prefixes it in
/// their language).
#[derive(Debug, thiserror::Error)]
pub enum PasskeyError {
    #[error("no passkey ceremony is under way in this session; start again")]
    NoCeremony,
    #[error("the browser's answer is not a passkey answer: {0}")]
    Malformed(String),
    #[error("the passkey was refused: {0}")]
    Refused(String),
    #[error("this account has no passkey")]
    NoPasskey,
}

impl Passkeys {
    /// Passkeys for an installation reached at `public_url`, when its host is a name (passkeys
    /// are bound to a domain; an IP address cannot be one). `None`, with the reason logged,
    /// otherwise.
    pub fn for_site(public_url: &str) -> Option<Passkeys> {
        let origin = match Url::parse(public_url) {
            Ok(u) => u,
            Err(e) => {
                tracing::warn!(%public_url, error = %e, "passkeys off: the public address is not a URL");
                return None;
            }
        };
        let host = match origin.host_str() {
            Some(h)
                if h.trim_matches(['[', ']'])
                    .parse::<std::net::IpAddr>()
                    .is_err() =>
            {
                h.to_string()
            }
            _ => {
                tracing::info!(%public_url, "passkeys off: they need a domain name (public_url), not an IP address");
                return None;
            }
        };
        match WebauthnBuilder::new(&host, &origin).and_then(|b| b.rp_name("Debrief").build()) {
            Ok(webauthn) => Some(Passkeys { webauthn }),
            Err(e) => {
                tracing::warn!(%public_url, error = %e, "passkeys off: the relying party cannot be built");
                None
            }
        }
    }

    /// Starts registering a passkey for `user`: the options for the browser, and the state to
    /// keep in the session (JSON) until the browser answers. `existing` are the person's passkeys
    /// (a key registered twice is refused by the authenticator).
    pub fn start_registration(
        &self,
        user: &User,
        existing: &[String],
    ) -> Result<(CreationChallengeResponse, String), PasskeyError> {
        let id = Uuid::parse_str(&user.id).unwrap_or_else(|_| Uuid::new_v4());
        let exclude: Vec<_> = existing
            .iter()
            .filter_map(|s| serde_json::from_str::<Passkey>(s).ok())
            .map(|p| p.cred_id().clone())
            .collect();
        let (options, state) = self
            .webauthn
            .start_passkey_registration(
                id,
                user.username.as_str(),
                &user.display_name,
                (!exclude.is_empty()).then_some(exclude),
            )
            .map_err(|e| PasskeyError::Refused(e.to_string()))?;
        let state =
            serde_json::to_string(&state).map_err(|e| PasskeyError::Malformed(e.to_string()))?;
        Ok((options, state))
    }

    /// Finishes a registration: the credential to store (JSON).
    pub fn finish_registration(
        &self,
        state: &str,
        answer: &serde_json::Value,
    ) -> Result<String, PasskeyError> {
        let state: PasskeyRegistration =
            serde_json::from_str(state).map_err(|_| PasskeyError::NoCeremony)?;
        let answer: RegisterPublicKeyCredential = serde_json::from_value(answer.clone())
            .map_err(|e| PasskeyError::Malformed(e.to_string()))?;
        let passkey = self
            .webauthn
            .finish_passkey_registration(&answer, &state)
            .map_err(|e| PasskeyError::Refused(e.to_string()))?;
        serde_json::to_string(&passkey).map_err(|e| PasskeyError::Malformed(e.to_string()))
    }

    /// Starts proving one of a person's passkeys (`stored`: their credentials, JSON).
    pub fn start_sign_in(
        &self,
        stored: &[String],
    ) -> Result<(RequestChallengeResponse, String), PasskeyError> {
        let keys: Vec<Passkey> = stored
            .iter()
            .filter_map(|s| serde_json::from_str(s).ok())
            .collect();
        if keys.is_empty() {
            return Err(PasskeyError::NoPasskey);
        }
        let (options, state) = self
            .webauthn
            .start_passkey_authentication(&keys)
            .map_err(|e| PasskeyError::Refused(e.to_string()))?;
        let state =
            serde_json::to_string(&state).map_err(|e| PasskeyError::Malformed(e.to_string()))?;
        Ok((options, state))
    }

    /// Finishes a sign-in: which stored credential signed (its index in `stored`) and the
    /// credential as updated (its counter), to store again.
    pub fn finish_sign_in(
        &self,
        state: &str,
        answer: &serde_json::Value,
        stored: &[String],
    ) -> Result<(usize, String), PasskeyError> {
        let state: PasskeyAuthentication =
            serde_json::from_str(state).map_err(|_| PasskeyError::NoCeremony)?;
        let answer: PublicKeyCredential = serde_json::from_value(answer.clone())
            .map_err(|e| PasskeyError::Malformed(e.to_string()))?;
        let result = self
            .webauthn
            .finish_passkey_authentication(&answer, &state)
            .map_err(|e| PasskeyError::Refused(e.to_string()))?;
        for (i, s) in stored.iter().enumerate() {
            let Ok(mut key) = serde_json::from_str::<Passkey>(s) else {
                continue;
            };
            if key.cred_id() == result.cred_id() {
                key.update_credential(&result);
                let updated = serde_json::to_string(&key)
                    .map_err(|e| PasskeyError::Malformed(e.to_string()))?;
                return Ok((i, updated));
            }
        }
        Err(PasskeyError::Refused(
            "the passkey is not one of this account's".into(),
        ))
    }
}
