//! Shared machinery of the numeric built-in families (arith, compare, aggregate, cumulative,
//! moving, order): element types, argument forms and broadcasting, type promotion, and the
//! rolling-window primitives.

pub mod decimal;
pub mod form;
pub mod frames;
pub mod num;
pub mod promote;
pub mod rolling;
pub mod stats;
pub mod window;

#[cfg(test)]
pub mod test_env;

#[cfg(test)]
mod no_panic {
    //! Calls every numeric built-in with awkward arguments (empty, null, mixed forms and types)
    //! and checks that each call returns, with a value or an error, and never panics.

    use std::panic::{catch_unwind, AssertUnwindSafe};
    use std::sync::Arc;

    use value::{ArrayData, Data, DataType, Matrix, Set, Table, Value, Vector};

    use super::test_env::{call, TestEnv};
    use crate::builtins::{aggregate, arith, compare, cumulative, moving, order};

    fn pool() -> Vec<Value> {
        let ints = |v: Vec<i32>| Value::vector(Vector::from_i32(DataType::Int, v));
        vec![
            Value::int(3),
            Value::null(DataType::Int),
            Value::void(),
            Value::double(-1.5),
            Value::string("a"),
            Value::bool(true),
            Value::i32_of(DataType::Date, 19000),
            Value::i64_of(DataType::Duration, (3i64 << 32) | 2),
            ints(vec![]),
            ints(vec![3, i32::MIN, 1, 2]),
            Value::vector(Vector::from_f64(vec![1.0, -f64::MAX, f64::NAN, 2.0])),
            Value::vector(Vector::from_strings(vec!["b".into(), "".into()])),
            Value::pair(Vector::from_i32(DataType::Int, vec![1, 2])),
            Value::Matrix(Arc::new(Matrix::new(
                Vector::from_i32(DataType::Int, vec![1, 2, 3, 4]),
                2,
                2,
            ))),
            Value::table(Table::new(
                vec!["a".into()],
                vec![Vector::from_i32(DataType::Int, vec![1, 2])],
            )),
            Value::tuple(vec![Value::int(1), ints(vec![1, 2])]),
            Value::set(Set::from_vector(&Vector::from_i32(
                DataType::Int,
                vec![1, 2],
            ))),
            Value::vector(Vector::new(
                DataType::Int,
                Data::Array(ArrayData {
                    offsets: vec![0, 2, 2],
                    values: Box::new(Vector::from_i32(DataType::Int, vec![1, 2])),
                }),
            )),
            Value::vector(Vector::decimal(
                DataType::Decimal64,
                2,
                Data::I64(vec![150, i64::MIN]),
            )),
            Value::long(i64::MAX),
        ]
    }

    #[test]
    fn numeric_builtins_never_panic() {
        let families = [
            arith::functions(),
            compare::functions(),
            aggregate::functions(),
            cumulative::functions(),
            moving::functions(),
            order::functions(),
        ];
        let full = pool();
        let small: Vec<Value> = full.iter().step_by(3).cloned().collect();
        let mut calls = 0usize;
        for b in families.iter().flatten() {
            for arity in b.min_args..=b.max_args.min(4) {
                let choices = if arity <= 2 { &full } else { &small };
                let mut idx = vec![0usize; arity];
                loop {
                    let args: Vec<Value> = idx.iter().map(|&i| choices[i].clone()).collect();
                    let mut env = TestEnv::default();
                    let r = catch_unwind(AssertUnwindSafe(|| call(&mut env, b.name, &args)));
                    assert!(r.is_ok(), "{} panicked on {:?}", b.name, args);
                    calls += 1;
                    // next combination
                    let mut k = 0;
                    while k < arity {
                        idx[k] += 1;
                        if idx[k] < choices.len() {
                            break;
                        }
                        idx[k] = 0;
                        k += 1;
                    }
                    if k == arity {
                        break;
                    }
                }
            }
        }
        assert!(calls > 1000);
    }
}
