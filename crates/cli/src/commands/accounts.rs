//! `debrief user …`, `debrief token …`, `debrief group …` and `debrief access …`: accounts,
//! API tokens, groups and who may see an incident, from the command line.

use std::io::Read;

use anyhow::{Context, Result, bail};
use debrief_domain::Username;
use debrief_server::auth;
use debrief_store::accounts::{NewUser, UserChanges};

use super::{open_store, print_json};

/// The application over the configured store, and the operator at the terminal.
async fn operator(settings: &Settings) -> Result<(debrief_app::App, debrief_app::Caller)> {
    let (store, _) = open_store(settings).await?;
    Ok(super::app(&store, &super::actor(settings)?))
}
use crate::cli::{AccessCommand, Format, GroupCommand, TokenCommand, UserCommand};
use crate::config::Settings;
use crate::exit;
use crate::table::Table;

fn read_password(username: &str) -> Result<String> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .context("cannot read the password from standard input")?;
    let password = text.trim_end_matches(['\n', '\r']).to_string();
    auth::check_password(&password, &[username]).map_err(anyhow::Error::msg)?;
    Ok(password)
}

fn password(from_stdin: bool, username: &str) -> Result<(String, bool)> {
    if from_stdin {
        Ok((read_password(username)?, false))
    } else {
        Ok((auth::generate_password(), true))
    }
}

pub async fn user(cmd: UserCommand, settings: &Settings) -> Result<u8> {
    match cmd {
        UserCommand::Add {
            username,
            role,
            display_name,
            language,
            password_stdin,
        } => {
            let username = Username::parse(&username)?;
            let display_name =
                debrief_domain::text::Label::parse_as("display name", &display_name)?.into_inner();
            let (password, generated) = password(password_stdin, username.as_str())?;
            let hash = auth::hash_password(&password).map_err(anyhow::Error::msg)?;
            let (app, op) = operator(settings).await?;
            let display_name = if display_name.is_empty() {
                username.to_string()
            } else {
                display_name
            };
            let user = app
                .create_user(
                    &op,
                    NewUser {
                        username,
                        display_name,
                        role,
                        password_hash: hash,
                        language,
                        must_change_password: generated,
                    },
                )
                .await?;
            println!("created {} ({})", user.username, user.role);
            if generated {
                println!("password (shown once): {password}");
            }
        }
        UserCommand::List { format } => {
            let (app, op) = operator(settings).await?;
            let users = app.list_users(&op).await?;
            match format {
                Format::Json => print_json(&users)?,
                Format::Table => {
                    let mut t = Table::new(&["USER", "ROLE", "STATE", "LANGUAGE", "NAME"]);
                    for u in &users {
                        t.row(vec![
                            u.username.to_string(),
                            u.role.to_string(),
                            if u.disabled {
                                "disabled".into()
                            } else {
                                "active".into()
                            },
                            u.language.map_or("auto", |l| l.as_str()).to_string(),
                            u.display_name.clone(),
                        ]);
                    }
                    print!("{}", t.render());
                }
            }
        }
        UserCommand::Disable { username } | UserCommand::Enable { username }
            if username.is_empty() =>
        {
            bail!("give a user name")
        }
        UserCommand::Disable { username } => {
            let (app, op) = operator(settings).await?;
            app.update_user(
                &op,
                &username,
                UserChanges {
                    disabled: Some(true),
                    ..Default::default()
                },
            )
            .await?;
            println!("disabled {username}; their sessions and tokens no longer work");
        }
        UserCommand::Enable { username } => {
            let (app, op) = operator(settings).await?;
            app.update_user(
                &op,
                &username,
                UserChanges {
                    disabled: Some(false),
                    ..Default::default()
                },
            )
            .await?;
            println!("enabled {username}");
        }
        UserCommand::Passwd {
            username,
            password_stdin,
        } => {
            let (password, generated) = password(password_stdin, &username)?;
            let hash = auth::hash_password(&password).map_err(anyhow::Error::msg)?;
            let (app, op) = operator(settings).await?;
            app.update_user(
                &op,
                &username,
                UserChanges {
                    password_hash: Some(hash),
                    must_change_password: Some(generated),
                    ..Default::default()
                },
            )
            .await?;
            println!("new password set for {username}; their sessions were ended");
            if generated {
                println!("password (shown once): {password}");
            }
        }
        UserCommand::SetRole { username, role } => {
            let (app, op) = operator(settings).await?;
            app.update_user(
                &op,
                &username,
                UserChanges {
                    role: Some(role),
                    ..Default::default()
                },
            )
            .await?;
            println!("{username} is now {role}");
        }
        UserCommand::Factors { username, format } => {
            let (app, op) = operator(settings).await?;
            let f = app.second_factors(&op, &username).await?;
            match format {
                Format::Json => print_json(&f)?,
                Format::Table => {
                    let mut t = Table::new(&["KIND", "NAME", "ADDED", "LAST USED"]);
                    for x in &f.factors {
                        t.row(vec![
                            x.kind.as_str().to_string(),
                            x.label.clone(),
                            x.created_at.to_string(),
                            x.last_used_at
                                .map(|t| t.to_string())
                                .unwrap_or_else(|| "—".into()),
                        ]);
                    }
                    print!("{}", t.render());
                    println!(
                        "{} unused recovery codes; a second factor is {}required",
                        f.recovery_codes_left,
                        if f.required { "" } else { "not " }
                    );
                }
            }
        }
        UserCommand::ResetSecondFactor { username, reason } => {
            let (app, op) = operator(settings).await?;
            let n = app.reset_second_factors(&op, &username, &reason).await?;
            println!(
                "reset the second factor of {username} ({n} removed, recovery codes gone, sessions ended); recorded in the access log"
            );
        }
        UserCommand::RequireSecondFactor { state, reason } => {
            let (app, op) = operator(settings).await?;
            let on = state == crate::cli::OnOff::On;
            app.require_second_factor(&op, on, &reason).await?;
            println!(
                "a second factor is {}required of password sign-ins",
                if on { "now " } else { "no longer " }
            );
        }
    }
    Ok(exit::OK)
}

pub async fn token(cmd: TokenCommand, settings: &Settings) -> Result<u8> {
    match cmd {
        TokenCommand::Create { user, name } => {
            let name = debrief_domain::text::Label::parse_as("token name", &name)?.into_inner();
            if name.is_empty() {
                bail!("--name must say what the token is for");
            }
            let (app, op) = operator(settings).await?;
            let token = auth::new_api_token();
            let info = app
                .create_token(&op, &user, &name, &auth::secret_hash(&token))
                .await?;
            println!(
                "token {} for {} ({}); shown only this once:",
                info.id, info.username, info.name
            );
            println!("{token}");
        }
        TokenCommand::List { format } => {
            let (app, op) = operator(settings).await?;
            let tokens = app.list_tokens(&op).await?;
            match format {
                Format::Json => print_json(&tokens)?,
                Format::Table => {
                    let mut t = Table::new(&["ID", "USER", "NAME", "CREATED", "REVOKED"]);
                    for tk in &tokens {
                        t.row(vec![
                            tk.id.clone(),
                            tk.username.clone(),
                            tk.name.clone(),
                            tk.created_at.to_string(),
                            tk.revoked_at.map_or("—".into(), |r| r.to_string()),
                        ]);
                    }
                    print!("{}", t.render());
                }
            }
        }
        TokenCommand::Revoke { id } => {
            let (app, op) = operator(settings).await?;
            app.revoke_token(&op, &id).await?;
            println!("revoked {id}");
        }
    }
    Ok(exit::OK)
}

pub async fn group(cmd: GroupCommand, settings: &Settings) -> Result<u8> {
    let (app, op) = operator(settings).await?;
    match cmd {
        GroupCommand::Add { name, description } => {
            let g = app.create_group(&op, &name, &description).await?;
            println!("created the group {}", g.name);
        }
        GroupCommand::List { format } => {
            let groups = app.groups(&op).await?;
            match format {
                Format::Json => print_json(&groups)?,
                Format::Table => {
                    let mut t = Table::new(&["GROUP", "DESCRIPTION", "MEMBERS"]);
                    for g in &groups {
                        t.row(vec![
                            g.name.to_string(),
                            g.description.clone(),
                            g.members.join(", "),
                        ]);
                    }
                    print!("{}", t.render());
                }
            }
        }
        GroupCommand::AddMember { group, user } => {
            app.add_to_group(&op, &group, &user).await?;
            println!("{user} is now in the group {group}");
        }
        GroupCommand::RemoveMember { group, user } => {
            app.remove_from_group(&op, &group, &user).await?;
            println!("{user} is no longer in the group {group}");
        }
    }
    Ok(exit::OK)
}

pub async fn access(cmd: AccessCommand, settings: &Settings) -> Result<u8> {
    let (app, op) = operator(settings).await?;
    let done = match cmd {
        AccessCommand::Restrict { incident, reason } => {
            app.set_restricted(&op, &incident, true, &reason).await?
        }
        AccessCommand::Open { incident, reason } => {
            app.set_restricted(&op, &incident, false, &reason).await?
        }
        AccessCommand::Grant {
            incident,
            to,
            reason,
        } => {
            let to = debrief_domain::access::Grantee::parse(&to)?;
            app.grant(&op, &incident, to, &reason).await?
        }
        AccessCommand::Revoke {
            incident,
            to,
            reason,
        } => {
            let to = debrief_domain::access::Grantee::parse(&to)?;
            app.revoke(&op, &incident, to, &reason).await?
        }
    };
    let grants: Vec<String> = done.grants.iter().map(ToString::to_string).collect();
    println!(
        "#{}: {}{}",
        done.number,
        if done.restricted {
            "restricted to its team"
        } else {
            "open to every account"
        },
        if grants.is_empty() {
            String::new()
        } else {
            format!("; access given to {}", grants.join(", "))
        }
    );
    Ok(exit::OK)
}
