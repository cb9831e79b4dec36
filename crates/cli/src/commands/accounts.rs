//! `debrief user …` and `debrief token …`: accounts and API tokens from the command line.

use std::io::Read;

use anyhow::{Context, Result, bail};
use debrief_domain::Username;
use debrief_server::auth;
use debrief_store::accounts::{NewUser, UserChanges};

use super::{open_store, print_json};
use crate::cli::{Format, TokenCommand, UserCommand};
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
            let (store, _) = open_store(settings).await?;
            let display_name = if display_name.is_empty() {
                username.to_string()
            } else {
                display_name
            };
            let user = store
                .create_user(NewUser {
                    username,
                    display_name,
                    role,
                    password_hash: hash,
                    language,
                    must_change_password: generated,
                })
                .await?;
            println!("created {} ({})", user.username, user.role);
            if generated {
                println!("password (shown once): {password}");
            }
        }
        UserCommand::List { format } => {
            let (store, _) = open_store(settings).await?;
            let users = store.list_users().await?;
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
            let (store, _) = open_store(settings).await?;
            store
                .update_user(
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
            let (store, _) = open_store(settings).await?;
            store
                .update_user(
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
            let (store, _) = open_store(settings).await?;
            store
                .update_user(
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
            let (store, _) = open_store(settings).await?;
            store
                .update_user(
                    &username,
                    UserChanges {
                        role: Some(role),
                        ..Default::default()
                    },
                )
                .await?;
            println!("{username} is now {role}");
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
            let (store, _) = open_store(settings).await?;
            let token = auth::new_api_token();
            let info = store
                .create_token(&user, &name, &auth::secret_hash(&token))
                .await?;
            println!(
                "token {} for {} ({}); shown only this once:",
                info.id, info.username, info.name
            );
            println!("{token}");
        }
        TokenCommand::List { format } => {
            let (store, _) = open_store(settings).await?;
            let tokens = store.list_tokens().await?;
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
            let (store, _) = open_store(settings).await?;
            store.revoke_token(&id).await?;
            println!("revoked {id}");
        }
    }
    Ok(exit::OK)
}
