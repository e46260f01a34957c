//! The web console's files (`web/` at the repository root), compiled into the binary: no build
//! step, nothing fetched at run time. Add a file here when you add one there.

pub struct Asset {
    pub path: &'static str,
    pub content_type: &'static str,
    pub body: &'static [u8],
}

macro_rules! asset {
    ($path:literal, $ctype:expr) => {
        Asset {
            path: concat!("/", $path),
            content_type: $ctype,
            body: include_bytes!(concat!("../../../../web/", $path)),
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";

pub static ASSETS: &[Asset] = &[
    asset!("index.html", "text/html; charset=utf-8"),
    asset!("style.css", "text/css; charset=utf-8"),
    asset!("app.js", JS),
    asset!("api.js", JS),
    asset!("grid.js", JS),
    asset!("cluster.js", JS),
    asset!("databases.js", JS),
    asset!("console.js", JS),
    asset!("config.js", JS),
    asset!("users.js", JS),
];

/// The asset served at `path` (`/` is `index.html`).
pub fn find(path: &str) -> Option<&'static Asset> {
    let path = if path == "/" { "/index.html" } else { path };
    ASSETS.iter().find(|a| a.path == path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_script_the_page_loads_is_embedded() {
        let index = std::str::from_utf8(find("/").unwrap().body).unwrap();
        assert!(index.contains("app.js"));
        for a in ASSETS {
            assert!(!a.body.is_empty(), "{} is empty", a.path);
            if a.path.ends_with(".js") {
                let text = std::str::from_utf8(a.body).unwrap();
                // Every module a module imports must be served too.
                for line in text.lines().filter(|l| l.starts_with("import ")) {
                    let from = line.split('"').nth(1).unwrap_or("");
                    let name = from.trim_start_matches('.');
                    assert!(
                        find(name).is_some(),
                        "{} imports {from}, not embedded",
                        a.path
                    );
                }
            }
        }
        assert!(find("/nope.js").is_none());
    }
}
