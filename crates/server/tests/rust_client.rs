// Proves the binary API through the official Rust client (`dolphindb` 3.3.1) and raw sockets:
// connect/login, scripts, uploads, function calls, options in getConsoleJobs, concurrent
// sessions, paging, and that malformed frames get an error while the server keeps serving.
// The engine here is a small fake, so these tests pin the protocol, not the language.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use dolphindb::client::ClientBuilder;
use dolphindb::types::{
    ConstantImpl, DolphinString, Int, IntVector, ScalarImpl, Symbol, TableBuilder, VectorImpl,
};
use dolphindb::BehaviorOptions;
use server::{Engine, EngineFactory, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use value::{DataType, Table, Value, Vector};

/// A tiny engine: enough commands to exercise every protocol path.
struct Fake {
    host: Arc<dyn script::Host>,
    vars: HashMap<String, Value>,
}

impl Engine for Fake {
    fn run_script(
        &mut self,
        text: &str,
        out: &mut dyn FnMut(&str),
    ) -> Result<Option<Value>, String> {
        let text = text.trim();
        let (cmd, arg) = text.split_once(' ').unwrap_or((text, ""));
        match cmd {
            "NULL" => Ok(Some(Value::void())),
            "print" => {
                out(arg);
                Ok(None)
            }
            "throw" => Err(arg.to_string()),
            "jobs" => {
                // The Rust client cannot read IPADDR columns: leave remoteIP out.
                let mut t = self.host.console_jobs();
                if let Some(i) = t.column_index("remoteIP") {
                    t.names.remove(i);
                    t.columns.remove(i);
                }
                Ok(Some(Value::table(t)))
            }
            "sid" => Ok(Some(Value::long(self.host.session_id()))),
            "user" => Ok(Some(Value::string(self.host.user()))),
            "sleep" => {
                std::thread::sleep(Duration::from_millis(arg.parse().unwrap_or(10)));
                Ok(Some(Value::int(1)))
            }
            "rows" => {
                let n: i32 = arg.parse().unwrap_or(0);
                let col = Vector::from_i32(DataType::Int, (0..n).collect());
                Ok(Some(Value::table(Table::new(vec!["a".into()], vec![col]))))
            }
            "panic" => panic!("the fake engine panics"),
            name => self.vars.get(name).cloned().map(Some).ok_or_else(|| {
                format!("Syntax Error: [line #1] Cannot recognize the token {name}")
            }),
        }
    }

    fn run_function(
        &mut self,
        func: &str,
        args: Vec<Value>,
        _out: &mut dyn FnMut(&str),
    ) -> Result<Option<Value>, String> {
        match func {
            "echo" => Ok(args.into_iter().next()),
            "count" | "count{0}" => Ok(Some(Value::int(args.len() as i32))),
            _ => Err(format!("Can't recognize function name {func}")),
        }
    }

    fn set_variable(&mut self, name: &str, v: Value) -> Result<(), String> {
        self.vars.insert(name.to_string(), v);
        Ok(())
    }

    fn clear_variables(&mut self) {
        self.vars.clear();
    }
}

fn fake() -> EngineFactory {
    Arc::new(|host| {
        Box::new(Fake {
            host,
            vars: HashMap::new(),
        })
    })
}

/// A node with the fake engine.
async fn start() -> (Server, String) {
    start_node(4, &[], fake()).await
}

fn int_of(c: &ConstantImpl) -> i64 {
    match c {
        ConstantImpl::Scalar(ScalarImpl::Int(i)) => i.into_inner().unwrap() as i64,
        ConstantImpl::Scalar(ScalarImpl::Long(i)) => i.into_inner().unwrap(),
        other => panic!("not an integer: {other:?}"),
    }
}

/// Reads until the peer closes or `limit` passes; returns what arrived.
async fn read_all(s: &mut TcpStream, limit: Duration) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = tokio::time::timeout(limit, s.read_to_end(&mut out)).await;
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn scripts_run_and_errors_leave_the_connection_usable() {
    let (server, addr) = start().await;
    let mut c = client(&addr).await;
    let v = c.run_script("NULL").await.unwrap();
    assert!(
        matches!(v, Some(ConstantImpl::Scalar(ScalarImpl::Void(_)))),
        "{v:?}"
    );
    assert!(c.run_script("print hello").await.unwrap().is_none());
    let e = c
        .run_script("throw something\nbad happened")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("something bad happened"), "{e}");
    let u = c.run_script("user").await.unwrap().unwrap();
    assert_eq!(u, DolphinString::new("admin".to_string()).into());
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_login_is_refused_and_a_guest_may_connect() {
    let (server, addr) = start().await;
    let mut b = ClientBuilder::new(addr.clone());
    b.with_auth(("tmp", "123456"));
    let e = b.connect().await.expect_err("bad login must fail");
    assert!(
        e.to_string()
            .contains("The user name or password is incorrect."),
        "{e}"
    );
    let mut guest = ClientBuilder::new(addr.clone()).connect().await.unwrap();
    let u = guest.run_script("user").await.unwrap().unwrap();
    assert_eq!(u, DolphinString::new("guest".to_string()).into());
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn uploads_bind_variables_and_read_back_equal() {
    let (server, addr) = start().await;
    let mut c = client(&addr).await;
    let ints: IntVector = vec![1, 2, 3].into_iter().map(Int::new).collect();
    let mut tb = TableBuilder::new();
    tb.with_contents(vec![VectorImpl::from(ints.clone())], vec!["a".to_string()]);
    let table = tb.build().unwrap();
    let mut vars = HashMap::<String, ConstantImpl>::new();
    vars.insert("v".into(), ints.clone().into());
    vars.insert("t".into(), table.clone().into());
    vars.insert("s".into(), Symbol::new("abc".to_string()).into());
    c.upload(&vars).await.unwrap();
    assert_eq!(c.run_script("v").await.unwrap().unwrap(), ints.into());
    assert_eq!(c.run_script("t").await.unwrap().unwrap(), table.into());
    // A Rust Symbol scalar is a STRING on the server.
    let s = c.run_script("s").await.unwrap().unwrap();
    assert_eq!(s, DolphinString::new("abc".to_string()).into());
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn function_requests_carry_arguments() {
    let (server, addr) = start().await;
    let mut c = client(&addr).await;
    let n = c.run_function("count", &[]).await.unwrap().unwrap();
    assert_eq!(int_of(&n), 0);
    let args: Vec<ConstantImpl> = vec![Int::new(1).into(), Int::new(2).into()];
    assert_eq!(
        int_of(&c.run_function("count", &args).await.unwrap().unwrap()),
        2
    );
    assert_eq!(
        int_of(
            &c.run_function("count{0}", &args[..1])
                .await
                .unwrap()
                .unwrap()
        ),
        1
    );
    let echoed = c.run_function("echo", &args[..1]).await.unwrap().unwrap();
    assert_eq!(int_of(&echoed), 1);
    let e = c.run_function("nosuch", &[]).await.unwrap_err();
    assert!(
        e.to_string()
            .contains("Can't recognize function name nosuch"),
        "{e}"
    );
    server.shutdown().await;
}

/// The job table shows the running request with that request's options; priority 9 runs as 8.
#[tokio::test(flavor = "multi_thread")]
async fn console_jobs_show_each_requests_options() {
    let (server, addr) = start().await;
    let mut c = client(&addr).await;
    let sid = int_of(&c.run_script("sid").await.unwrap().unwrap());
    for (priority, parallelism, want) in [(9, 10, 8), (0, 1, 0), (4, 64, 4)] {
        let mut o = BehaviorOptions::default();
        o.with_priority(priority).with_parallelism(parallelism);
        let t = c.run_script_with_option("jobs", &o).await.unwrap().unwrap();
        let ConstantImpl::Table(t) = t else {
            panic!("{t:?}")
        };
        let sids = t.get_columns_by_name("sessionId").unwrap();
        let row = (0..t.len())
            .find(|&i| format!("{:?}", sids.get(i)).contains(&sid.to_string()))
            .expect("our job is listed");
        let p = t.get_columns_by_name("priority").unwrap().get(row);
        let q = t.get_columns_by_name("parallelism").unwrap().get(row);
        assert_eq!(p, Some(Int::new(want).into()));
        assert_eq!(q, Some(Int::new(parallelism).into()));
        let port = t.get_columns_by_name("remotePort").unwrap().get(row);
        assert_eq!(port, Some(Int::new(c.local_addr().port() as i32).into()));
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn many_sessions_run_concurrently() {
    let (server, addr) = start().await;
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let addr = addr.clone();
            tokio::spawn(async move {
                let mut c = client(&addr).await;
                let sid = int_of(&c.run_script("sid").await.unwrap().unwrap());
                for i in 0..10 {
                    let mut vars = HashMap::<String, ConstantImpl>::new();
                    vars.insert("x".into(), Int::new(i).into());
                    c.upload(&vars).await.unwrap();
                    c.run_script("sleep 2").await.unwrap();
                    assert_eq!(int_of(&c.run_script("x").await.unwrap().unwrap()), i as i64);
                }
                sid
            })
        })
        .collect();
    let mut sids = Vec::new();
    for t in tasks {
        sids.push(t.await.unwrap());
    }
    sids.sort();
    sids.dedup();
    assert_eq!(sids.len(), 32, "every connection is its own session");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn fetch_size_pages_table_results() {
    let (server, addr) = start().await;
    let mut b = ClientBuilder::new(addr.clone());
    let mut o = BehaviorOptions::default();
    o.with_fetch_size(8192);
    b.with_auth(("admin", "123456")).with_option(o);
    let mut c = b.connect().await.unwrap();
    let v = c.run_script("rows 20000").await.unwrap().unwrap();
    let ConstantImpl::Vector(VectorImpl::Any(blocks)) = v else {
        panic!("{v:?}")
    };
    assert_eq!(blocks.len(), 3);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_frames_get_an_error_and_the_server_keeps_serving() {
    let (server, addr) = start().await;
    let cases: [&[u8]; 7] = [
        b"API 0 abc\n",
        b"API2 0 8 / 0_1_4_64\nscrubs!\n",
        b"API2 0 99999999999 / 0_1_4_64\n",
        b"API2 0 22 / 0_1_4_64\nfunction\necho\n1\n1\n\x04\x00\x01",
        b"API2 0 22 / 0_1_4_64\nfunction\necho\n1\n1\n\x63\x09\x01\x02",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc",
        b"API2 0 10 / 0_1_4_64\nscr",
    ];
    for (i, bytes) in cases.iter().enumerate() {
        let mut s = TcpStream::connect(&addr).await.unwrap();
        s.write_all(bytes).await.unwrap();
        if i == 3 || i == 6 {
            // Truncated mid-request, then the client goes away.
            s.shutdown().await.unwrap();
        }
        let got = read_all(&mut s, Duration::from_secs(10)).await;
        let text = String::from_utf8_lossy(&got);
        assert!(
            text.lines().count() == 2 && !text.contains("\nOK\n"),
            "case {i}: {text:?}"
        );
    }
    // A panicking engine answers with an error; the session goes on.
    let mut c = client(&addr).await;
    assert!(c.run_script("panic").await.is_err());
    assert!(c.run_script("NULL").await.unwrap().is_some());
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn api2_sends_print_output_and_flags_are_honoured() {
    let (server, addr) = start().await;
    let mut s = TcpStream::connect(&addr).await.unwrap();
    let script = |text: &str, opts: &str, api: &str| {
        format!("{api} 0 {} / {opts}\nscript\n{text}", 7 + text.len()).into_bytes()
    };
    s.write_all(b"API 0 8\nconnect\n").await.unwrap();
    let mut buf = vec![0u8; 256];
    let n = s.read(&mut buf).await.unwrap();
    let sid = String::from_utf8_lossy(&buf[..n])
        .split(' ')
        .next()
        .unwrap()
        .to_string();
    s.write_all(&script("print hi", "0_1_4_64", "API2"))
        .await
        .unwrap();
    let n = s.read(&mut buf).await.unwrap();
    assert_eq!(&buf[..n], format!("MSG\nhi\0{sid} 0 1\nOK\n").as_bytes());
    s.write_all(&script("print hi", "0_1_4_64", "API"))
        .await
        .unwrap();
    let n = s.read(&mut buf).await.unwrap();
    assert_eq!(&buf[..n], format!("{sid} 0 1\nOK\n").as_bytes());
    // Asynchronous (4): no response at all; then clearMemory (16) drops variables.
    s.write_all(&script("print x", "4_1_4_64", "API2"))
        .await
        .unwrap();
    s.write_all(b"API2 0 15\nvariable\nx\n1\n1\n\x04\x00\x07\x00\x00\x00")
        .await
        .unwrap();
    let n = s.read(&mut buf).await.unwrap();
    assert_eq!(&buf[..n], format!("{sid} 0 1\nOK\n").as_bytes());
    s.write_all(&script("x", "16_1_4_64", "API2"))
        .await
        .unwrap();
    let n = s.read(&mut buf).await.unwrap();
    assert_eq!(
        &buf[..n],
        format!("{sid} 1 1\nOK\n\x04\x00\x07\x00\x00\x00").as_bytes()
    );
    s.write_all(&script("x", "0_1_4_64", "API2")).await.unwrap();
    let n = s.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).contains("Cannot recognize the token x"));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn http_on_the_same_port_serves_status_and_metrics() {
    let (server, addr) = start().await;
    let mut c = client(&addr).await;
    c.run_script("NULL").await.unwrap();
    for (path, want) in [
        ("/metrics", "porpoise_jobs_total{node=\"local8848\"} 1"),
        ("/status", "<h1>porpoise</h1>"),
        ("/", "porpoise cluster manager"),
    ] {
        let mut s = TcpStream::connect(&addr).await.unwrap();
        let req = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        s.write_all(req.as_bytes()).await.unwrap();
        let got = read_all(&mut s, Duration::from_secs(10)).await;
        let text = String::from_utf8_lossy(&got);
        assert!(text.starts_with("HTTP/1.1 200"), "{text}");
        assert!(text.contains(want), "{path}: {text}");
    }
    server.shutdown().await;
}
