//! The web console's JSON API (docs/web.md) on a standalone node with the real script engine:
//! login, the session cookie, scripts as typed JSON, and every bad input answered with a JSON
//! error (never an empty page).

mod common;

use std::time::Duration;

use common::*;
use serde_json::{json, Value as Json};
use server::{script_engine, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn start(login_required: bool) -> (Server, String) {
    let raw: &[(&str, &str)] = if login_required {
        &[("webLoginRequired", "true")]
    } else {
        &[]
    };
    start_node(2, raw, script_engine()).await
}

struct Answer {
    status: u16,
    headers: String,
    body: String,
}

impl Answer {
    fn json(&self) -> Json {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.body))
    }

    fn cookie(&self) -> Option<String> {
        self.headers.lines().find_map(|l| {
            let v = l
                .strip_prefix("set-cookie: ")
                .or_else(|| l.strip_prefix("Set-Cookie: "))?;
            Some(v.split(';').next()?.to_string())
        })
    }
}

async fn http(addr: &str, method: &str, path: &str, cookie: Option<&str>, body: &str) -> Answer {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let cookie = cookie
        .map(|c| format!("Cookie: {c}\r\n"))
        .unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{cookie}\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), s.read_to_end(&mut out))
        .await
        .expect("the node answered within 30 s")
        .unwrap();
    let text = String::from_utf8_lossy(&out).to_string();
    let (head, body) = text.split_once("\r\n\r\n").expect("a complete HTTP answer");
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    Answer {
        status,
        headers: head.to_string(),
        body: body.to_string(),
    }
}

async fn login(addr: &str, user: &str, password: &str) -> Answer {
    let body = json!({"user": user, "password": password}).to_string();
    http(addr, "POST", "/api/login", None, &body).await
}

#[tokio::test(flavor = "multi_thread")]
async fn login_run_logout() {
    let (server, addr) = start(false).await;

    let bad = login(&addr, "admin", "wrong").await;
    assert_eq!(bad.status, 401);
    assert_eq!(
        bad.json(),
        json!({"ok": false, "error": "The user name or password is incorrect."})
    );
    assert!(bad.cookie().is_none());

    let ok = login(&addr, "admin", "123456").await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.json()["user"], "admin");
    assert!(ok.headers.to_ascii_lowercase().contains("httponly"));
    let cookie = ok.cookie().expect("a session cookie");

    let me = http(&addr, "GET", "/api/whoami", Some(&cookie), "")
        .await
        .json();
    assert_eq!(
        (me["user"].as_str(), me["loggedIn"].as_bool()),
        (Some("admin"), Some(true))
    );

    // A table: columns with types, rows of text, nulls as null; print output alongside.
    let script = json!({"script": "print(\"hi\")\ntable(1 2 NULL as id, `a`b`c as name)"});
    let r = http(
        &addr,
        "POST",
        "/api/run",
        Some(&cookie),
        &script.to_string(),
    )
    .await;
    let j = r.json();
    assert_eq!(j["ok"], true, "{j}");
    assert_eq!(j["output"], json!(["hi"]));
    assert_eq!(j["result"]["form"], "table");
    assert_eq!(
        j["result"]["columns"][0],
        json!({"name": "id", "type": "INT"})
    );
    assert_eq!(j["result"]["rows"][2], json!([null, "c"]));

    // The session keeps its variables between requests.
    let set = json!({"script": "x = 41"}).to_string();
    http(&addr, "POST", "/api/run", Some(&cookie), &set).await;
    let get = json!({"script": "x + 1"}).to_string();
    let j = http(&addr, "POST", "/api/run", Some(&cookie), &get)
        .await
        .json();
    assert_eq!(
        j["result"],
        json!({"form": "scalar", "type": "INT", "value": "42", "text": "42"})
    );

    // A script error is the script's answer, in place.
    let bad = json!({"script": "1 + "}).to_string();
    let r = http(&addr, "POST", "/api/run", Some(&cookie), &bad).await;
    assert_eq!(r.status, 200);
    let j = r.json();
    assert_eq!(j["ok"], false);
    assert!(!j["error"].as_str().unwrap().is_empty());

    // Starting nodes on a standalone node: a clear error, not a blank page.
    let start = json!({"nodes": ["dnode1"]}).to_string();
    let j = http(&addr, "POST", "/api/nodes/start", Some(&cookie), &start)
        .await
        .json();
    assert_eq!(j["ok"], false);
    assert!(j["error"].as_str().unwrap().contains("controller"), "{j}");

    // Logout ends the session: the old cookie is refused with a message to log in again.
    let out = http(&addr, "POST", "/api/logout", Some(&cookie), "{}").await;
    assert_eq!(out.json()["ok"], true);
    let r = http(&addr, "POST", "/api/run", Some(&cookie), &get).await;
    assert_eq!(r.status, 401);
    let j = r.json();
    assert_eq!(j["login"], true);
    assert!(j["error"].as_str().unwrap().contains("expired"), "{j}");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_requests_get_json_errors() {
    let (server, addr) = start(false).await;
    let cases: [(&str, &str, &str, u16, &str); 7] = [
        ("POST", "/api/run", "not json", 400, "not valid JSON"),
        ("POST", "/api/run", "[1]", 400, "JSON object"),
        ("POST", "/api/run", "{}", 400, "\"script\""),
        ("POST", "/api/run", "{\"script\": \"  \"}", 400, "empty"),
        ("GET", "/api/run", "", 405, "does not accept GET"),
        ("GET", "/api/nope", "", 404, "Unknown API path"),
        (
            "POST",
            "/api/nodes/stop",
            "{\"nodes\": [\"a\"]}",
            401,
            "Login is required",
        ),
    ];
    for (method, path, body, status, want) in cases {
        let r = http(&addr, method, path, None, body).await;
        assert_eq!(r.status, status, "{method} {path} {body}: {}", r.body);
        let j = r.json();
        assert_eq!(j["ok"], false);
        assert!(j["error"].as_str().unwrap().contains(want), "{path}: {j}");
    }
    // Without webLoginRequired a guest may run scripts (as guest).
    let j = http(&addr, "POST", "/api/run", None, "{\"script\": \"1+1\"}")
        .await
        .json();
    assert_eq!(j["result"]["value"], "2");
    // Pages: the console, and a plain status page.
    let page = http(&addr, "GET", "/", None, "").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("porpoise cluster manager"));
    let js = http(&addr, "GET", "/app.js", None, "").await;
    assert!(js.headers.contains("text/javascript"), "{}", js.headers);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn web_login_required_is_honoured() {
    let (server, addr) = start(true).await;
    let me = http(&addr, "GET", "/api/whoami", None, "").await.json();
    assert_eq!(me["loginRequired"], true);
    let r = http(&addr, "POST", "/api/run", None, "{\"script\": \"1+1\"}").await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"], "Login is required. Please log in.");
    let cookie = login(&addr, "admin", "123456").await.cookie().unwrap();
    let j = http(
        &addr,
        "POST",
        "/api/run",
        Some(&cookie),
        "{\"script\": \"1+1\"}",
    )
    .await
    .json();
    assert_eq!(j["result"]["value"], "2");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn page_queries_do_not_wait_for_the_console() {
    let (server, addr) = start(false).await;
    let cookie = login(&addr, "admin", "123456").await.cookie().unwrap();
    // The console's script runs until the test lets it go (a shared table gets a row).
    let setup = json!({"script": "share table(1:0, [`x], [INT]) as webGo"}).to_string();
    let j = http(&addr, "POST", "/api/run", Some(&cookie), &setup)
        .await
        .json();
    assert_eq!(j["ok"], true, "{j}");
    let long = {
        let (addr, cookie) = (addr.clone(), cookie.clone());
        let script = "n = 0\nwhile (size(webGo) == 0) { n += 1 }\n1";
        let body = json!({ "script": script }).to_string();
        tokio::spawn(async move { http(&addr, "POST", "/api/run", Some(&cookie), &body).await })
    };
    // While the console's script runs, a page's query (`fresh`) answers: it sees that script
    // among the running jobs, so it did not wait for it.
    let q = json!({"script": "j = getConsoleJobs()\nsum(like(j.desc, \"n = 0%\"))",
                   "fresh": true})
    .to_string();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let j = http(&addr, "POST", "/api/run", Some(&cookie), &q)
            .await
            .json();
        assert_eq!(j["ok"], true, "{j}");
        if j["result"]["value"] == "1" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the console's script never ran: {j}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!long.is_finished());
    let go = json!({"script": "insert into webGo values(1)", "fresh": true}).to_string();
    let j = http(&addr, "POST", "/api/run", Some(&cookie), &go)
        .await
        .json();
    assert_eq!(j["ok"], true, "{j}");
    let j = long.await.unwrap().json();
    assert_eq!(j["result"]["value"], "1");
    server.shutdown().await;
}
