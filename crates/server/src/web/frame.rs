//! The frame every page is drawn in (who is signed in, the navigation, the notice) and the
//! pager of lists computed whole.

use debrief_domain::Language;

use super::{WebUser, live};

/// What every page's frame (`base.html`) reads: the visitor, the session's CSRF token, the
/// navigation, the zone times are shown in, and a refusal or notice to show above the content.
/// Every field is always there (empty when it does not apply), so the templates render with
/// minijinja's strict undefined behaviour: a renamed field fails a test instead of rendering
/// blank.
#[derive(Debug, Default, serde::Serialize)]
pub struct Frame {
    pub lang: &'static str,
    /// Which navigation entry is current ("" for none).
    pub nav: &'static str,
    pub user: Option<FrameUser>,
    pub csrf: String,
    pub path: String,
    /// The zone the visitor reads times in (signed-in visitors only).
    pub tz: Option<String>,
    pub can_create: bool,
    /// A refusal to show, in the visitor's words.
    pub error: Option<String>,
    /// A confirmation to show.
    pub notice: Option<String>,
    /// The event stream the page follows to update itself (see [`live`]).
    pub live: Option<String>,
}

/// The signed-in visitor as the frame shows them.
#[derive(Debug, serde::Serialize)]
pub struct FrameUser {
    pub username: String,
    pub display_name: String,
    pub role: &'static str,
    pub must_change_password: bool,
}

impl Frame {
    /// The frame of a signed-in visitor's page under navigation entry `nav`, with the refusal
    /// to show on it, if any.
    pub fn page(user: &WebUser, nav: &'static str, error: Option<String>) -> Frame {
        Frame {
            nav,
            error,
            ..Frame::new(Some(user), user.lang)
        }
    }

    pub fn new(user: Option<&WebUser>, lang: Language) -> Frame {
        let mut frame = Frame {
            lang: lang.as_str(),
            ..Frame::default()
        };
        if let Some(u) = user {
            let p = &u.principal.user;
            frame.user = Some(FrameUser {
                username: p.username.as_str().to_string(),
                display_name: p.display_name.clone(),
                role: p.role.as_str(),
                must_change_password: p.must_change_password,
            });
            frame.csrf = u.csrf().to_string();
            frame.path = u.path.clone();
            frame.live = live::Topic::of_page(&u.path);
            frame.tz = Some(u.zone.name().to_string());
            frame.can_create = debrief_domain::authorize(
                p.username.as_str(),
                p.role,
                debrief_domain::Action::CreateIncident,
            )
            .is_ok();
        }
        frame
    }
}

/// A page of a list computed whole (the recommendations and deadlines boards): which rows it
/// shows, of how many, and the links to the pages before and after, kept in the URL as `page`.
#[derive(Debug, Default, serde::Serialize)]
pub struct Pager {
    pub start: usize,
    pub end: usize,
    pub total: usize,
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    /// Rows per page.
    pub const ROWS: usize = 50;

    /// Keeps page `page` of `rows` (1-based; anything else reads as the first, a page past the
    /// end as the last), with the neighbours' links made by `url`.
    pub fn cut<T>(rows: &mut Vec<T>, page: Option<&str>, url: impl Fn(usize) -> String) -> Pager {
        let total = rows.len();
        let pages = total.div_ceil(Self::ROWS).max(1);
        let page = page
            .and_then(|p| p.trim().parse::<usize>().ok())
            .unwrap_or(1)
            .clamp(1, pages);
        let skip = (page - 1) * Self::ROWS;
        rows.drain(..skip.min(total));
        rows.truncate(Self::ROWS);
        Pager {
            start: if total == 0 { 0 } else { skip + 1 },
            end: skip + rows.len(),
            total,
            prev: (page > 1).then(|| url(page - 1)),
            next: (page < pages).then(|| url(page + 1)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_of_a_whole_list() {
        let mut rows: Vec<u32> = (1..=120).collect();
        let p = Pager::cut(&mut rows, Some("3"), |n| format!("?page={n}"));
        assert_eq!((p.start, p.end, p.total), (101, 120, 120));
        assert_eq!(rows.first(), Some(&101));
        assert_eq!(p.prev.as_deref(), Some("?page=2"));
        assert_eq!(p.next, None);
        let mut rows: Vec<u32> = (1..=120).collect();
        let p = Pager::cut(&mut rows, Some("x"), |n| format!("?page={n}"));
        assert_eq!((p.start, p.end, rows.len()), (1, 50, 50));
        assert_eq!((p.prev, p.next.as_deref()), (None, Some("?page=2")));
        let mut rows: Vec<u32> = (1..=10).collect();
        let p = Pager::cut(&mut rows, Some("99"), |n| format!("?page={n}"));
        assert_eq!((p.start, p.end, p.prev, p.next), (1, 10, None, None));
        let mut none: Vec<u32> = Vec::new();
        let p = Pager::cut(&mut none, None, |n| format!("?page={n}"));
        assert_eq!((p.start, p.end, p.total), (0, 0, 0));
    }
}
