//! The intrinsic-call grammar: `States.Name(arg, ...)` with string, number, boolean, null,
//! path and nested-call arguments; and the call rendered back as AWS quotes it.

use serde_json::Value;

use crate::error::Failure;

/// A parsed intrinsic argument.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    /// A JSON literal (string, number, boolean, null).
    Literal(Value),
    /// A path (`$.x`, `$$.x`, `$var`).
    Path(String),
    /// A nested call.
    Call(Call),
}

/// A parsed intrinsic function call.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// Function name including the `States.` prefix.
    pub name: String,
    /// Arguments.
    pub args: Vec<Arg>,
}

struct Parser<'a> {
    chars: Vec<char>,
    pos: usize,
    src: &'a str,
}

impl<'a> Parser<'a> {
    fn err(&self, msg: &str) -> Failure {
        Failure::intrinsic(format!(
            "Invalid intrinsic function expression '{}': {msg} at position {}",
            self.src, self.pos
        ))
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn call(&mut self) -> Result<Call, Failure> {
        self.skip_ws();
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
        {
            self.pos += 1;
        }
        let name: String = self.chars[start..self.pos].iter().collect();
        if !name.starts_with("States.") {
            return Err(self.err("expected a function name starting with 'States.'"));
        }
        self.skip_ws();
        if self.peek() != Some('(') {
            return Err(self.err("expected '('"));
        }
        self.pos += 1;
        let mut args = Vec::new();
        self.skip_ws();
        if self.peek() == Some(')') {
            self.pos += 1;
            return Ok(Call { name, args });
        }
        loop {
            args.push(self.arg()?);
            self.skip_ws();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some(')') => {
                    self.pos += 1;
                    return Ok(Call { name, args });
                }
                _ => return Err(self.err("expected ',' or ')'")),
            }
        }
    }

    fn arg(&mut self) -> Result<Arg, Failure> {
        self.skip_ws();
        match self.peek() {
            Some('\'') => self.string().map(|s| Arg::Literal(Value::String(s))),
            Some('$') => Ok(Arg::Path(self.path_text())),
            Some(c) if c == '-' || c.is_ascii_digit() => self.number(),
            Some(_) => {
                let rest: String = self.chars[self.pos..].iter().collect();
                for (word, value) in [
                    ("true", Value::Bool(true)),
                    ("false", Value::Bool(false)),
                    ("null", Value::Null),
                ] {
                    if let Some(tail) = rest.strip_prefix(word) {
                        let after = tail.chars().next();
                        if after.is_none_or(|c| c == ',' || c == ')' || c.is_whitespace()) {
                            self.pos += word.len();
                            return Ok(Arg::Literal(value));
                        }
                    }
                }
                if rest.starts_with("States.") {
                    return self.call().map(Arg::Call);
                }
                Err(self.err("unexpected argument"))
            }
            None => Err(self.err("unexpected end of expression")),
        }
    }

    fn string(&mut self) -> Result<String, Failure> {
        self.pos += 1; // opening quote
        let mut out = String::new();
        while let Some(c) = self.peek() {
            self.pos += 1;
            match c {
                '\\' => {
                    let Some(n) = self.peek() else {
                        return Err(self.err("unterminated escape"));
                    };
                    self.pos += 1;
                    match n {
                        'n' => out.push('\n'),
                        't' => out.push('\t'),
                        'r' => out.push('\r'),
                        // keep escaped braces escaped so States.Format can tell them from placeholders
                        '{' => out.push_str("\\{"),
                        '}' => out.push_str("\\}"),
                        other => out.push(other),
                    }
                }
                '\'' => return Ok(out),
                other => out.push(other),
            }
        }
        Err(self.err("unterminated string literal"))
    }

    fn path_text(&mut self) -> String {
        let start = self.pos;
        let mut depth = 0i32;
        let mut quote: Option<char> = None;
        while let Some(c) = self.peek() {
            if let Some(q) = quote {
                if c == '\\' {
                    self.pos += 1;
                } else if c == q {
                    quote = None;
                }
            } else {
                match c {
                    '\'' | '"' if depth > 0 => quote = Some(c),
                    '[' | '(' => depth += 1,
                    ']' => depth -= 1,
                    ')' if depth == 0 => break,
                    ')' => depth -= 1,
                    ',' if depth == 0 => break,
                    c if c.is_whitespace() && depth == 0 => break,
                    _ => {}
                }
            }
            self.pos += 1;
        }
        self.chars[start..self.pos].iter().collect()
    }

    fn number(&mut self) -> Result<Arg, Failure> {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'))
        {
            self.pos += 1;
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        let value: Value =
            serde_json::from_str(&text).map_err(|_| self.err("invalid number literal"))?;
        if !value.is_number() {
            return Err(self.err("invalid number literal"));
        }
        Ok(Arg::Literal(value))
    }
}

/// Parses an intrinsic function expression such as `States.Format('{}', $.a)`.
pub fn parse(expr: &str) -> Result<Call, Failure> {
    let mut p = Parser {
        chars: expr.chars().collect(),
        pos: 0,
        src: expr,
    };
    let call = p.call()?;
    p.skip_ws();
    if p.pos != p.chars.len() {
        return Err(p.err("unexpected trailing characters"));
    }
    Ok(call)
}

/// The call as written (`States.Array($.a, 'x')`), as AWS quotes it in causes.
pub(super) fn render_call(call: &Call) -> String {
    let args: Vec<String> = call
        .args
        .iter()
        .map(|a| match a {
            Arg::Literal(Value::String(s)) => format!(
                "'{}'",
                s.replace('\\', "\\\\")
                    .replace('\'', "\\'")
                    .replace('{', "\\{")
                    .replace('}', "\\}")
            ),
            Arg::Literal(v) => v.to_string(),
            Arg::Path(p) => p.clone(),
            Arg::Call(c) => render_call(c),
        })
        .collect();
    format!("{}({})", call.name, args.join(", "))
}
