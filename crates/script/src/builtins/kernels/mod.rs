//! Shared machinery of the numeric built-in families (arith, compare, aggregate, cumulative,
//! moving, order): element types, argument forms and broadcasting, type promotion, and the
//! rolling-window primitives.

pub mod decimal;
pub mod form;
pub mod frames;
pub mod num;
pub mod promote;
pub mod window;

#[cfg(test)]
pub mod test_env;
