//! Built-ins: streaming publish/subscribe. The publish side lives in the server (it owns the
//! connections that data is pushed on), so these forward to `Host::node_function`; a host
//! without streaming (the conformance runner's `LocalHost`) reports that clearly.

use value::Value;

use super::{builtin, Builtin, Env, Kind};
use crate::{Error, Result};

pub fn functions() -> Vec<Builtin> {
    vec![
        builtin(
            "getSubscriptionTopic",
            1,
            2,
            Kind::Other,
            get_subscription_topic,
        ),
        builtin("stopPublishTable", 2, 6, Kind::Other, stop_publish_table),
        builtin("getStreamingStat", 0, 0, Kind::Other, get_streaming_stat),
        builtin(
            "setStreamTableFilterColumn",
            2,
            2,
            Kind::Other,
            set_filter_column,
        ),
    ]
}

fn forward(env: &mut dyn Env, name: &str, args: &[Value]) -> Result<Value> {
    match env.host().node_function(name, args) {
        Some(r) => r,
        None => Err(Error::new(format!(
            "{name} is not available: this node does not publish streams"
        ))),
    }
}

fn get_subscription_topic(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    forward(env, "getSubscriptionTopic", args)
}

fn stop_publish_table(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    forward(env, "stopPublishTable", args)
}

fn get_streaming_stat(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    forward(env, "getStreamingStat", args)
}

fn set_filter_column(env: &mut dyn Env, args: &[Value]) -> Result<Value> {
    forward(env, "setStreamTableFilterColumn", args)
}
