//! Built-ins: order family.

use super::Builtin;

pub fn functions() -> Vec<Builtin> {
    vec![]
}
