//! Web sessions: a logged-in browser holds an HttpOnly cookie whose random token names one
//! server session (`SessionState`, with its own script engine, as a binary-API connection has).
//! A session that stays idle longer than the idle limit expires; logout ends it at once.

use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::node::SessionState;

/// The cookie that carries the token.
pub const COOKIE: &str = "porpoise_session";
/// Default idle time after which a web session expires (`webSessionTimeout`, seconds).
pub const IDLE_DEFAULT: Duration = Duration::from_secs(30 * 60);
/// Most web sessions a node keeps; a login beyond it fails with a clear message.
pub const SESSIONS_MAX: usize = 1024;

struct Entry {
    session: Arc<SessionState>,
    last_used: Instant,
}

pub struct WebSessions {
    by_token: Mutex<HashMap<String, Entry>>,
}

impl Default for WebSessions {
    fn default() -> Self {
        WebSessions {
            by_token: Mutex::new(HashMap::new()),
        }
    }
}

/// What a token looks up to.
pub enum Lookup {
    Live(Arc<SessionState>),
    /// Unknown, expired or logged out: the browser must log in again.
    Gone,
}

impl WebSessions {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Entry>> {
        self.by_token.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Drops sessions idle for longer than `idle`; returns the server session ids to close.
    pub fn sweep(&self, idle: Duration) -> Vec<i64> {
        self.sweep_at(idle, Instant::now())
    }

    fn sweep_at(&self, idle: Duration, now: Instant) -> Vec<i64> {
        let mut m = self.lock();
        let dead: Vec<String> = m
            .iter()
            .filter(|(_, e)| now.saturating_duration_since(e.last_used) > idle)
            .map(|(k, _)| k.clone())
            .collect();
        dead.into_iter()
            .filter_map(|k| m.remove(&k).map(|e| e.session.id))
            .collect()
    }

    /// Registers a logged-in session and returns its new token.
    pub fn insert(&self, session: Arc<SessionState>) -> Result<String, String> {
        let mut m = self.lock();
        if m.len() >= SESSIONS_MAX {
            return Err(format!(
                "The node already has {SESSIONS_MAX} web sessions; log out elsewhere or try later"
            ));
        }
        let token = new_token();
        m.insert(
            token.clone(),
            Entry {
                session,
                last_used: Instant::now(),
            },
        );
        Ok(token)
    }

    /// The session of `token`, refreshed, unless it idled past `idle`.
    pub fn get(&self, token: &str, idle: Duration) -> Lookup {
        self.get_at(token, idle, Instant::now())
    }

    fn get_at(&self, token: &str, idle: Duration, now: Instant) -> Lookup {
        let mut m = self.lock();
        match m.get_mut(token) {
            Some(e) if now.saturating_duration_since(e.last_used) <= idle => {
                e.last_used = now;
                Lookup::Live(e.session.clone())
            }
            _ => Lookup::Gone,
        }
    }

    /// Ends a session; returns its server session id.
    pub fn remove(&self, token: &str) -> Option<i64> {
        self.lock().remove(token).map(|e| e.session.id)
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// 128 random bits as hex: from the OS (`/dev/urandom`), else from std's randomly keyed hasher
/// mixed with the clock.
fn new_token() -> String {
    let mut b = [0u8; 16];
    let from_os = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut b))
        .is_ok();
    if !from_os {
        use std::hash::{BuildHasher, Hasher};
        for half in b.chunks_mut(8) {
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u128(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or(0),
            );
            half.copy_from_slice(&h.finish().to_le_bytes());
        }
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The session token in a `Cookie` header, if any.
pub fn token_of(cookie_header: &str) -> Option<&str> {
    cookie_header.split(';').find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == COOKIE && !v.is_empty()).then_some(v)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(id: i64) -> Arc<SessionState> {
        Arc::new(SessionState::new(
            id,
            "127.0.0.1:1".parse().unwrap(),
            "admin",
        ))
    }

    #[test]
    fn sessions_expire_when_idle_and_end_at_logout() {
        let w = WebSessions::default();
        let t1 = w.insert(state(1)).unwrap();
        let t2 = w.insert(state(2)).unwrap();
        assert_ne!(t1, t2);
        assert_eq!(t1.len(), 32);
        assert!(matches!(w.get(&t1, Duration::from_secs(60)), Lookup::Live(s) if s.id == 1));
        // An hour later, idle longer than the limit: gone, and the sweep closes both.
        let later = Instant::now() + Duration::from_secs(3600);
        let idle = Duration::from_secs(60);
        assert!(matches!(w.get_at(&t1, idle, later), Lookup::Gone));
        let mut closed = w.sweep_at(idle, later);
        closed.sort();
        assert_eq!(closed, vec![1, 2]);
        let t3 = w.insert(state(3)).unwrap();
        assert_eq!(w.remove(&t3), Some(3));
        assert!(matches!(w.get(&t3, Duration::from_secs(60)), Lookup::Gone));
        assert!(w.is_empty());
    }

    #[test]
    fn cookie_header_parsing() {
        assert_eq!(token_of("a=1; porpoise_session=abc; b=2"), Some("abc"));
        assert_eq!(token_of("porpoise_session="), None);
        assert_eq!(token_of("other=x"), None);
    }
}
