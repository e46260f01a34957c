// Proves the binary API over WebSocket on the node's one port, as the JavaScript client uses
// it: one request per binary message, print output as separate MSG messages, one reply message.

mod common;

use common::*;
use futures::{SinkExt, StreamExt};
use server::{script_engine, Server};
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;

async fn start() -> (Server, u16) {
    let (server, _) = start_node(2, &[], script_engine()).await;
    let port = server.local_addr().port();
    (server, port)
}

fn request(sid: &str, body: &str) -> Message {
    let text = format!("API2 {sid} {} / 0_1_4_64\n{body}", body.len());
    Message::Binary(text.into_bytes().into())
}

async fn next_bytes<S>(ws: &mut S) -> Vec<u8>
where
    S: futures::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    match ws.next().await {
        Some(Ok(Message::Binary(b))) => b.to_vec(),
        other => panic!("expected a binary message, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_and_replies_travel_as_websocket_messages() {
    let (server, port) = start().await;
    let (mut ws, _) = connect_async(format!("ws://127.0.0.1:{port}/"))
        .await
        .unwrap();
    ws.send(request("0", "connect\nlogin\nadmin\n123456"))
        .await
        .unwrap();
    let reply = String::from_utf8(next_bytes(&mut ws).await).unwrap();
    let sid = reply.split(' ').next().unwrap().to_string();
    assert_eq!(reply, format!("{sid} 0 1\nOK\n"));

    ws.send(request(&sid, "script\nprint(\"hi\"); 1+1"))
        .await
        .unwrap();
    assert_eq!(next_bytes(&mut ws).await, b"MSG\nhi\0");
    let mut want = format!("{sid} 1 1\nOK\n").into_bytes();
    want.extend_from_slice(&[4, 0, 2, 0, 0, 0]);
    assert_eq!(next_bytes(&mut ws).await, want);

    // A bad request is answered and the socket goes on.
    ws.send(Message::Binary(
        b"API2 0 99 / 0_1_4_64\nscript\n1".to_vec().into(),
    ))
    .await
    .unwrap();
    let err = String::from_utf8(next_bytes(&mut ws).await).unwrap();
    assert!(err.contains("shorter than its header"), "{err}");
    ws.send(request(&sid, "script\nfoo(1)")).await.unwrap();
    let err = String::from_utf8(next_bytes(&mut ws).await).unwrap();
    assert!(err.contains("Can't recognize function name foo"), "{err}");
    ws.send(request(&sid, "script\nx = 5")).await.unwrap();
    assert_eq!(
        next_bytes(&mut ws).await,
        format!("{sid} 0 1\nOK\n").into_bytes()
    );
    ws.close(None).await.unwrap();
    server.shutdown().await;
}
