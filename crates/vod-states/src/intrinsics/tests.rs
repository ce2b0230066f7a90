//! Unit tests of the intrinsics, by family.

use super::*;
use serde_json::json;

fn run(expr: &str, input: Value) -> Result<Value, Failure> {
    let ctx = json!({});
    let vars = crate::path::Vars::new();
    evaluate(
        expr,
        &Env {
            input: &input,
            context: &ctx,
            vars: &vars,
        },
    )
}

#[test]
fn format() {
    assert_eq!(
        run("States.Format('Hello, {}! {}', $.n, 3)", json!({"n": "W"})),
        Ok(json!("Hello, W! 3"))
    );
    assert_eq!(
        run("States.Format('a \\{\\} {}', 'x')", json!({})),
        Ok(json!("a {} x"))
    );
    assert_eq!(
        run("States.Format('it\\'s {}', null)", json!({})),
        Ok(json!("it's null"))
    );
    assert!(run("States.Format('{}')", json!({})).is_err());
}

#[test]
fn json_functions() {
    assert_eq!(
        run("States.StringToJson($.s)", json!({"s": "{\"a\":1}"})),
        Ok(json!({"a": 1}))
    );
    assert_eq!(
        run("States.JsonToString($.o)", json!({"o": {"a": 1}})),
        Ok(json!("{\"a\":1}"))
    );
    assert_eq!(
        run(
            "States.JsonMerge($.a, $.b, false)",
            json!({"a": {"x": 1, "y": 1}, "b": {"y": 2}})
        ),
        Ok(json!({"x": 1, "y": 2}))
    );
    assert!(run("States.JsonMerge($.a, $.a, true)", json!({"a": {}})).is_err());
}

#[test]
fn arrays() {
    assert_eq!(
        run("States.Array(1, 'a', true, null, $.x)", json!({"x": [1]})),
        Ok(json!([1, "a", true, null, [1]]))
    );
    assert_eq!(
        run("States.ArrayPartition($.a, 2)", json!({"a": [1, 2, 3]})),
        Ok(json!([[1, 2], [3]]))
    );
    assert_eq!(
        run("States.ArrayContains($.a, 2)", json!({"a": [1, 2, 3]})),
        Ok(json!(true))
    );
    assert_eq!(
        run("States.ArrayRange(1, 9, 2)", json!({})),
        Ok(json!([1, 3, 5, 7, 9]))
    );
    assert_eq!(
        run("States.ArrayGetItem($.a, 1)", json!({"a": [1, 2, 3]})),
        Ok(json!(2))
    );
    assert_eq!(
        run("States.ArrayLength($.a)", json!({"a": [1, 2, 3]})),
        Ok(json!(3))
    );
    assert_eq!(
        run("States.ArrayUnique($.a)", json!({"a": [1, 2, 1, 2.0]})),
        Ok(json!([1, 2]))
    );
    assert_eq!(
        run(
            "States.ArrayLength(States.Array(1, States.Array(2)))",
            json!({})
        ),
        Ok(json!(2))
    );
    assert!(run("States.ArrayGetItem($.a, 9)", json!({"a": []})).is_err());
}

#[test]
fn encoding_and_hash() {
    assert_eq!(
        run("States.Base64Encode('Data to encode')", json!({})),
        Ok(json!("RGF0YSB0byBlbmNvZGU="))
    );
    assert_eq!(
        run("States.Base64Decode('RGF0YSB0byBlbmNvZGU=')", json!({})),
        Ok(json!("Data to encode"))
    );
    assert_eq!(
        run("States.Hash('abc', 'MD5')", json!({})),
        Ok(json!("900150983cd24fb0d6963f7d28e17f72"))
    );
    assert_eq!(
        run("States.Hash('abc', 'SHA-1')", json!({})),
        Ok(json!("a9993e364706816aba3e25717850c26c9cd0d89d"))
    );
    assert_eq!(
        run("States.Hash('abc', 'SHA-256')", json!({})),
        Ok(json!(
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        ))
    );
    assert!(run("States.Hash('abc', 'SHA-384')", json!({})).is_ok());
    assert!(run("States.Hash('abc', 'SHA-512')", json!({})).is_ok());
    assert_eq!(
        run("States.Hash('abc', 'CRC')", json!({})).map_err(|f| f.error),
        Err("States.IntrinsicFailure".to_string())
    );
}

#[test]
fn math_and_strings() {
    assert_eq!(run("States.MathAdd(1.5, -2.5)", json!({})), Ok(json!(0)));
    assert_eq!(run("States.MathAdd(1, 2)", json!({})), Ok(json!(3)));
    let r = run("States.MathRandom(1, 10)", json!({}))
        .ok()
        .and_then(|v| v.as_i64())
        .unwrap_or(-1);
    assert!((1..10).contains(&r));
    let a = run("States.MathRandom(0, 999, 3)", json!({}));
    assert_eq!(a, run("States.MathRandom(0, 999, 3)", json!({})));
    assert_eq!(
        run("States.StringSplit('a,b,,c', ',')", json!({})),
        Ok(json!(["a", "b", "c"]))
    );
    let u = run("States.UUID()", json!({})).ok();
    assert_eq!(u.as_ref().and_then(Value::as_str).map(str::len), Some(36));
}

#[test]
fn parse_errors() {
    assert!(parse("States.Format('x'").is_err());
    assert!(parse("States.Format('x) ").is_err());
    assert!(parse("Foo.Bar()").is_err());
    assert_eq!(
        run("States.Nope()", json!({})).map_err(|f| f.error),
        Err("States.IntrinsicFailure".to_string())
    );
}
