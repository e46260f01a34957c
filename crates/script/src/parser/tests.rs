//! Parser unit tests: each syntax form parses to the expected tree, and no input panics.

use super::*;
use value::DataType;

fn funcs(name: &str) -> bool {
    matches!(
        name,
        "sum"
            | "abs"
            | "add"
            | "sub"
            | "avg"
            | "sin"
            | "isNull"
            | "each"
            | "in"
            | "between"
            | "date"
            | "table"
            | "print"
            | "f1"
    )
}

fn prog(src: &str) -> Vec<Stmt> {
    match parse_program(src, &funcs) {
        Ok(p) => p.stmts,
        Err(e) => panic!("{}: {}", src, e),
    }
}

fn expr(src: &str) -> Expr {
    let mut stmts = prog(src);
    assert_eq!(stmts.len(), 1, "{}", src);
    match stmts.remove(0).kind {
        StmtKind::Expr(e) => e,
        other => panic!("{:?}", other),
    }
}

/// A compact rendering of a tree, to compare shapes.
fn show(e: &Expr) -> String {
    match e {
        Expr::Const(v) => match v {
            value::Value::Scalar(s) => match s.ty {
                DataType::String => format!("{:?}", v.as_str().unwrap_or("")),
                DataType::Void => "NULL".into(),
                DataType::Double | DataType::Float => format!("{}", v.as_f64().unwrap_or(0.0)),
                _ => format!("{}", v.as_i64().unwrap_or(-999)),
            },
            value::Value::Vector(vec) => format!("vec{}:{}", vec.len(), vec.ty.name()),
            _ => "const".into(),
        },
        Expr::Var(n) => n.clone(),
        Expr::Unary(op, a) => format!("{}({})", op.function_name(), show(a)),
        Expr::Binary(op, a, b) => format!("({} {} {})", show(a), op.symbol(), show(b)),
        Expr::Call(f, args) => format!("{}({})", show(f), list(args)),
        Expr::Method(o, n, args) => format!("{}.{}({})", show(o), n, list(args)),
        Expr::Partial(f, args) => {
            let a: Vec<String> = args
                .iter()
                .map(|x| x.as_ref().map(show).unwrap_or_default())
                .collect();
            format!("{}{{{}}}", show(f), a.join(","))
        }
        Expr::Template(t, f, args) => format!("{}:{}({})", show(f), t.letter, list(args)),
        Expr::TemplateFunc(t, f) => format!("{}:{}", show(f), t.letter),
        Expr::OpFunc(op) => op.symbol().to_string(),
        Expr::Index(o, idx) => format!("{}[{}]", show(o), list(idx)),
        Expr::Member(o, n) => format!("{}.{}", show(o), n),
        Expr::Vector(items) => format!("[{}]", list(items)),
        Expr::Tuple(items) => format!("tuple({})", list(items)),
        Expr::Dict(_) => "dict".into(),
        Expr::Alias(e, n) => format!("{} as {}", show(e), n),
        Expr::NamedArg(n, e) => format!("{}={}", n, show(e)),
        Expr::Lambda(f) => format!("lambda({})", f.params.len()),
        Expr::Code(e) => format!("<{}>", show(e)),
        Expr::Select(s) => format!("select{}", s.items.len()),
        Expr::Case(..) => "case".into(),
        Expr::Star => "*".into(),
    }
}

fn list(items: &[Expr]) -> String {
    items.iter().map(show).collect::<Vec<_>>().join(",")
}

fn check(src: &str, want: &str) {
    assert_eq!(show(&expr(src)), want, "source: {}", src);
}

#[test]
fn precedence() {
    check("3+a*a", "(3 + (a * a))");
    check("3*a..10", "(3 * (a .. 10))");
    check("-n..n", "(neg(n) .. n)");
    check("!x-1", "(not(x) - 1)");
    check("1..8$4:2", "((1 .. 8) $ (4 : 2))");
    check("a || b && c == d", "(a || (b && (c == d)))");
    check("a | b ^ c & d << 1", "(a | (b ^ (c & (d << 1))))");
    check("x <- 4", "(x <- 4)");
    check("a \\ b % c", "((a \\ b) % c)");
    check("a != b <> c", "((a != b) != c)");
    check("a - b - c", "((a - b) - c)");
    check("2 add 3 sub 5 f1 5", "sub(add(2,3),f1(5,5))");
}

#[test]
fn unary_function_calls() {
    check("sum x + 1", "sum((x + 1))");
    check("avg sin abs x", "avg(sin(abs(x)))");
    check("sum 1 2 3 == 6", "sum((vec3:INT == 6))");
    check("isNull x || isNull y", "isNull((x || isNull(y)))");
    check("x in y", "in(x,y)");
    check("date between a and b", "between(date,(a : b))");
    check("date in d", "in(date,d)");
}

#[test]
fn literals() {
    check("1 2 3", "vec3:INT");
    check("1 2.5 NULL", "vec3:DOUBLE");
    check("`a`b`c", "vec3:STRING");
    check("`a", "\"a\"");
    check("-127c", "-127");
    check("0c 127c -127c 00c", "vec4:CHAR");
    check("5 - 1", "(5 - 1)");
    check("5-1", "(5 - 1)");
    check("[1, 2, 3]", "vec3:INT");
    check("[]", "[]");
    check("[[1,2],[3]]", "[vec2:INT,vec1:INT]");
    check("(1, 2, 3)", "tuple(1,2,3)");
    check("(1,)", "tuple(1)");
    check("()", "tuple()");
    check("(1+2)*3", "((1 + 2) * 3)");
    check("INT[]", "68");
    check("DECIMAL32(3)", "DECIMAL32(3)");
    check("({a: 1, \"b\": 2})", "dict");
}

#[test]
fn postfix_forms() {
    check("x[1]", "x[1]");
    check("x[1:3]", "x[(1 : 3)]");
    check("x[2:]", "x[(2 : NULL)]");
    check("x[:2]", "x[(NULL : 2)]");
    check("m[1, 2]", "m[1,2]");
    check("t.col", "t.col");
    check("x.append!(1 2)", "x.append!(vec2:INT)");
    check("f{a, }", "f{a,}");
    check("f{, b}", "f{,b}");
    check("f{0}(1)", "f{0}(1)");
    check("f(1, 2)", "f(1,2)");
    check("f()", "f()");
    check("each(+, x, y)", "each(+,x,y)");
    check("f:E(x)", "f:E(x)");
    check("x +:L y", "+:L(x,y)");
    check("x ** :L y", "**:L(x,y)");
    check("+:A x", "+:A(x)");
    check("x f:E y", "f:E(x,y)");
    check("sum:E x", "sum:E(x)");
    check("t[`col]", "t[\"col\"]");
    check("table(1..3 as a)", "table((1 .. 3) as a)");
    check("f(x, y=1)", "f(x,y=1)");
    check("count(*)", "count(*)");
}

#[test]
fn lambdas_and_code() {
    check("x -> x + 1", "lambda(1)");
    check("(x, y) -> x + y", "lambda(2)");
    check("def (x) -> x + 1", "lambda(1)");
    check("def (x): x + 1", "lambda(1)");
    check("def (x, y) { return x + y }", "lambda(2)");
    check("each(x -> x * 2, 1 2)", "each(lambda(1),vec2:INT)");
    check("<1 + 2>", "<(1 + 2)>");
    check("< x > 1 >", "<(x > 1)>");
}

#[test]
fn statements() {
    let s = prog("x = 1;x");
    assert_eq!(s.len(), 2);
    assert!(matches!(s[0].kind, StmtKind::Assign(..)));
    let s = prog("x = 1\ny = x == 1\nx");
    assert_eq!(s.len(), 3);
    let s = prog("a, b = 1, 2");
    assert!(matches!(&s[0].kind, StmtKind::Assign(t, v) if t.len() == 2 && v.len() == 2));
    let s = prog("x[0] = 5; x += 1; i++");
    assert!(matches!(&s[0].kind, StmtKind::Assign(t, _) if matches!(t[0], Target::Index(..))));
    assert!(matches!(&s[1].kind, StmtKind::OpAssign(_, BinOp::Add, _)));
    assert!(matches!(&s[2].kind, StmtKind::OpAssign(_, BinOp::Add, _)));
    let s = prog("def f(a, b=2, mutable c) { return a + b }\nf(1)");
    match &s[0].kind {
        StmtKind::Def(f) => {
            assert_eq!(f.name, "f");
            assert_eq!(f.params.len(), 3);
            assert!(f.params[1].default.is_some());
            assert!(f.params[2].mutable);
        }
        other => panic!("{:?}", other),
    }
    let s = prog("def f(x): x + 1");
    assert!(matches!(&s[0].kind, StmtKind::Def(f) if f.is_expr));
    let s = prog("if (x > 1) { y = 1 } else if (x < 0) y = 2 else { y = 3 }");
    assert!(matches!(&s[0].kind, StmtKind::If(_, _, Some(_))));
    let s = prog("if (x) {\n y = 1\n}\nelse {\n y = 2\n}");
    assert_eq!(s.len(), 1);
    assert!(matches!(&s[0].kind, StmtKind::If(_, _, Some(_))));
    let s = prog("for (i in 0..9) { x += i }");
    assert!(matches!(&s[0].kind, StmtKind::ForIn(n, _, _) if n == &["i"]));
    let s = prog("for (i = 0; i < n; i++) { x += i }");
    assert!(matches!(
        &s[0].kind,
        StmtKind::For(Some(_), Some(_), Some(_), _)
    ));
    let s = prog("do { x += 1 } while (x < 10)");
    assert!(matches!(&s[0].kind, StmtKind::DoWhile(..)));
    let s = prog("while (x < 10) x += 1");
    assert!(matches!(&s[0].kind, StmtKind::While(..)));
    let s = prog("try { throw \"e\" } catch (ex) { print ex }");
    assert!(matches!(&s[0].kind, StmtKind::Try(_, Some(_), _)));
    let s = prog("print 1+1; print(1, 2); print (1+2)*3");
    assert!(matches!(&s[0].kind, StmtKind::Print(a) if a.len() == 1));
    assert!(matches!(&s[1].kind, StmtKind::Print(a) if a.len() == 2));
    assert!(matches!(&s[2].kind, StmtKind::Print(a) if a.len() == 1));
    let s = prog("share t as st; share(t, `st2); undef x; undef(`x, SHARED)");
    assert!(matches!(&s[0].kind, StmtKind::Share(..)));
    assert!(matches!(&s[1].kind, StmtKind::Share(..)));
    assert!(matches!(&s[2].kind, StmtKind::Undef(a) if a.len() == 1));
    assert!(matches!(&s[3].kind, StmtKind::Undef(a) if a.len() == 2));
    let s = prog("x = 1\ngo\ny = 2");
    assert!(matches!(&s[1].kind, StmtKind::Go));
    let s = prog("@state\ndef f(x) { return x }");
    assert!(matches!(&s[0].kind, StmtKind::Def(_)));
    let s = prog("return; break; continue");
    assert!(matches!(&s[0].kind, StmtKind::Return(None)));
    let s = prog("x = 1 +\n 2");
    assert_eq!(s.len(), 1);
    let s = prog("t = table(1 2 as a,\n 3 4 as b)");
    assert_eq!(s.len(), 1);
    let s = prog("/* c */ x = 1 // c\n// c\nx");
    assert_eq!(s.len(), 2);
}

#[test]
fn sql() {
    let e = expr(
        "select a, b as c, sum(x) from t where a > 1, b = 2 group by a order by c desc limit 10",
    );
    match e {
        Expr::Select(s) => {
            assert!(!s.exec);
            assert_eq!(s.items.len(), 3);
            assert_eq!(s.items[1].alias.as_deref(), Some("c"));
            assert_eq!(s.where_.len(), 2);
            assert_eq!(show(&s.where_[1]), "(b == 2)");
            assert_eq!(s.group_kind, Some(GroupKind::GroupBy));
            assert!(!s.order[0].asc);
            assert!(s.limit.is_some());
        }
        other => panic!("{:?}", other),
    }
    let e = expr("SELECT * FROM t\nWHERE x > 1\n and y < 2");
    match e {
        Expr::Select(s) => {
            assert!(matches!(s.items[0].expr, Expr::Star));
            assert_eq!(s.where_.len(), 1);
            assert_eq!(show(&s.where_[0]), "((x > 1) && (y < 2))");
        }
        other => panic!("{:?}", other),
    }
    let s = prog("x = exec price from t where sym in `A`B\nx");
    assert_eq!(s.len(), 2);
    let e = expr("select top 2 * from t1 left join t2 on t1.id = t2.id");
    match e {
        Expr::Select(s) => {
            assert!(s.top.is_some());
            assert!(matches!(
                s.from,
                Some(FromClause::Join {
                    kind: JoinKind::Left,
                    ..
                })
            ));
        }
        other => panic!("{:?}", other),
    }
    let e = expr("select * from t where x between 1 and 3, y not in 1 2");
    match e {
        Expr::Select(s) => {
            assert_eq!(show(&s.where_[0]), "between(x,(1 : 3))");
            assert_eq!(show(&s.where_[1]), "not(in(y,vec2:INT))");
        }
        other => panic!("{:?}", other),
    }
    let s = prog("update t set a = a + 1, b = 2 where c = 1");
    assert!(matches!(&s[0].kind, StmtKind::Update(u) if u.sets.len() == 2));
    let s = prog("delete from t where a = 1");
    assert!(matches!(&s[0].kind, StmtKind::Delete(_)));
    let s = prog("insert into t values (1, `a)");
    assert!(matches!(&s[0].kind, StmtKind::Insert(_)));
    let s = prog("insert into t(a, b) values (1 2, `a`b)");
    assert!(matches!(&s[0].kind, StmtKind::Insert(i) if i.columns.len() == 2));
    let e = expr("select case when a > 1 then 1 else 0 end as c from t");
    assert!(matches!(e, Expr::Select(_)));
    let s = prog(
        "create table \"dfs://db\".\"pt\" (a INT, b SYMBOL, c DECIMAL32(2))\n\
         partitioned by a, sortColumns=`b",
    );
    match &s[0].kind {
        StmtKind::Create(c) => {
            assert_eq!(c.names.len(), 2);
            assert_eq!(c.columns.len(), 3);
            assert_eq!(c.partitioned_by.len(), 1);
            assert_eq!(c.options.len(), 1);
        }
        other => panic!("{:?}", other),
    }
}

#[test]
fn syntax_errors() {
    for bad in [
        "x = ",
        "1 +",
        "f(1, ",
        "[1, 2",
        "def f(x { }",
        "if (x",
        "x = )",
        "1 2 +* 3",
    ] {
        let r = parse_program(bad, &funcs);
        assert!(r.is_err(), "{} should fail", bad);
        let msg = r.err().map(|e| e.message()).unwrap_or_default();
        assert!(msg.starts_with("Syntax Error: [line #1]"), "{}", msg);
    }
}

#[test]
fn nesting_limit_is_an_error() {
    let deep = format!("{}1{}", "(".repeat(5000), ")".repeat(5000));
    assert!(parse_program(&deep, &funcs).is_err());
    let deep = format!("{}1", "-".repeat(5000));
    assert!(parse_program(&deep, &funcs).is_err());
    let deep = "if (x) ".repeat(3000) + "1";
    assert!(parse_program(&deep, &funcs).is_err());
}

/// Feeds truncations and random byte soups of real scripts: Ok or Err, never a panic.
#[test]
fn never_panics() {
    let corpus = [
        "x = 1 2 3; y = x[1:2]; def f(a, b=1) { return a + b }; f{1}(2)",
        "t = table(1..3 as a, `x`y`z as b); select a, b from t where a > 1 order by a desc",
        "for (i in 0..9) { if (i % 2 == 0) continue; else print i }",
        "try { throw \"x\" } catch (e) { print e }; <1 + 2>; x +:A y; f:E(1 2)",
        "2022.05.20T13:50:59.123 13:50m 00i 1.5f 'a' \"b\\n\" `c`d 1..10 $ INT",
        "update t set a = 1 where b = 2; insert into t values (1, 2); delete from t",
    ];
    let mut seed: u64 = 0x9e3779b97f4a7c15;
    let mut rand = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for src in corpus {
        for cut in 0..=src.len() {
            if let Some(s) = src.get(..cut) {
                let _ = parse_program(s, &funcs);
            }
        }
        let bytes = src.as_bytes();
        for _ in 0..300 {
            let mut b = bytes.to_vec();
            for _ in 0..(rand() % 6) {
                let i = (rand() as usize) % b.len();
                let soup = b"()[]{}<>:;,.`'\"-+!=@ \nx1T";
                b[i] = soup[(rand() as usize) % soup.len()];
            }
            let s = String::from_utf8_lossy(&b);
            let _ = parse_program(&s, &funcs);
        }
    }
}

/// Real-world SQL shapes from DolphinDB's documentation all parse.
#[test]
fn sql_corpus_parses() {
    let corpus = [
        "select avg(price) as avgPrice, sum(qty) from trades where date between 2020.01.01 and 2020.12.31, sym in `A`B group by sym, date order by avgPrice desc limit 10",
        "select * from t context by sym csort time limit -1",
        "select price from t pivot by time, sym",
        "select top 10 * from loadTable(\"dfs://db\", \"pt\")",
        "select sym, wavg(price, qty) from t group by sym having sum(qty) > 100",
        "select distinct sym from t",
        "select count(*) from t",
        "select * from ej(t1, t2, `id)",
        "select * from t1 inner join t2 on t1.id = t2.id",
        "select * from t1 left join t2 on t1.id = t2.id and t1.d = t2.d",
        "select * from lj(t1, t2, `id) where t2.v > 0",
        "update t set price = price * 2 where sym = `A",
        "select iif(x > 0, 1, 0) as y from t",
        "select * from t where sym like \"A%\"",
        "select cumsum(x) as cs from t context by sym",
        "select first(price), last(price) from t group by bar(time, 5m)",
        "select * from t where time between 09:30:00 : 10:00:00",
        "select * from t order by sym, time desc",
        "select * from t where date=2020.01.02, sym=`A",
        "select sum(x) as s from t group by sym map",
        "select * from (select * from t where x > 1) where y > 2",
        "select x from t where x in (select x from t2)",
        "select * from t where x is null",
        "select * from t where x not between 1 and 3",
        "SELECT a, b FROM t WHERE a > 1 AND b < 2 ORDER BY a DESC",
        "select * from t\nwhere x > 1\norder by x",
        "t2 = select * from t\nt2",
        "exec sum(x) from t where y > 0",
        "select case when x > 1 then \"big\" else \"small\" end as size from t",
        "delete from t where x > 1",
        "insert into t values (1, `a, 2.5)",
        "update t set x = x + 1, y = 0 where z = 1 context by sym",
    ];
    for src in corpus {
        if let Err(e) = parse_program(src, &funcs) {
            panic!("{}: {}", src, e);
        }
    }
}

#[test]
fn long_else_if_chains_parse() {
    let mut src = String::from("x = 5\n");
    for i in 0..60 {
        src.push_str(&format!("if (x == {}) y = {} else ", i, i));
    }
    src.push_str("y = -1");
    assert!(parse_program(&src, &funcs).is_ok());
}

/// Forms the SQL module relies on: omitted call arguments are VOID (`ej(t1, t2, `id,, c)`).
#[test]
fn sql_module_forms() {
    check("f1(a,, b)", "f1(a,NULL,b)");
    check("f1(a,,, b)", "f1(a,NULL,NULL,b)");
    // A negative duration literal, as window joins take them (`-5s:0s`).
    let Expr::Binary(BinOp::Pair, lo, _) = expr("-5s:0s") else {
        panic!("a pair")
    };
    let Expr::Const(v) = *lo else {
        panic!("a constant")
    };
    assert_eq!(v.data_type(), DataType::Duration);
    assert_eq!(
        v.as_vector().and_then(|x| x.i64_at(0)),
        Some(crate::lexer::duration_raw(-5, 3))
    );
    // `group by` and `cgroup by` together; `nulls first|last` in `order by`.
    let e = expr("select wavg(p, v) from t group by s cgroup by m order by m asc nulls last, s");
    let Expr::Select(s) = e else {
        panic!("a select")
    };
    assert_eq!(s.group_kind, Some(GroupKind::CGroupBy));
    assert_eq!((s.group.len(), s.cgroup.len()), (1, 1));
    assert_eq!(s.order[0].nulls_first, Some(false));
    assert_eq!(s.order[1].nulls_first, None);
    let e = expr("select * from t cgroup by m order by m");
    let Expr::Select(s) = e else {
        panic!("a select")
    };
    assert_eq!((s.group.len(), s.cgroup.len()), (0, 1));
    // `as `a`b`c` names several result columns.
    let e = expr("select f1(y) as `int`factor1 from t group by id");
    let Expr::Select(s) = e else {
        panic!("a select")
    };
    assert_eq!(s.items[0].alias.as_deref(), Some("int`factor1"));
    let e = expr("select f1(y) as ``factor1`factor2 from t group by id");
    let Expr::Select(s) = e else {
        panic!("a select")
    };
    assert_eq!(s.items[0].alias.as_deref(), Some("`factor1`factor2"));
}
