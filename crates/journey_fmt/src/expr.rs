//! Expressions and literals as canonical text, always on one line.
//!
//! Parentheses are recomputed rather than copied: the printer ignores the user's
//! `Paren` nodes and puts back the parentheses the precedence rules need, so redundant
//! ones disappear and needed ones stay. Two kinds of redundant parentheses are kept
//! when the author wrote them, because the rule they would lean on is easy to misread:
//! around an `and` inside an `or`, and around a comparison or sum after `not`. Precedence, loosest first, matches
//! the Pratt parser in journey_syntax: `or` < `and` < `not` < comparisons and `in` <
//! `+ -` < `* /`; every infix operator is left-associative.
//!
//! Literals whose text carries information the AST normalises away (`0.50`, `+3pp`,
//! `3d`) are printed from the source text their span covers.

use journey_syntax::ast::*;

/// Binding strength of an expression's outermost operator; atoms bind tightest.
fn precedence(e: &Expr) -> u8 {
    match &unparen(e).kind {
        ExprKind::Binary { op, .. } => binary_precedence(*op),
        ExprKind::Unary { .. } => NOT_PRECEDENCE,
        ExprKind::IsSet { .. } => IS_SET_PRECEDENCE,
        _ => ATOM_PRECEDENCE,
    }
}

const NOT_PRECEDENCE: u8 = 3;
const ATOM_PRECEDENCE: u8 = 7;
/// `is set` binds tighter than comparisons and looser than `+ -`; printed as if it
/// were a comparison, so any operator around it keeps it in parentheses.
const IS_SET_PRECEDENCE: u8 = 4;

/// The expression under any number of user parentheses.
pub fn unparen(mut e: &Expr) -> &Expr {
    while let ExprKind::Paren(inner) = &e.kind {
        e = inner;
    }
    e
}

pub fn expr(src: &str, e: &Expr) -> String {
    let mut out = String::new();
    write_expr(src, e, &mut out);
    out
}

fn write_expr(src: &str, e: &Expr, out: &mut String) {
    match &unparen(e).kind {
        ExprKind::Literal(lit) => out.push_str(&literal(src, lit)),
        ExprKind::Path(parts) => {
            let names: Vec<&str> = parts.iter().map(|p| p.name.as_str()).collect();
            out.push_str(&names.join("."));
        }
        ExprKind::Call { function, args } => {
            out.push_str(&function.name);
            out.push('(');
            for (i, arg) in args.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_expr(src, &arg.value, out);
                if let Some(filter) = &arg.filter {
                    out.push_str(" where ");
                    write_expr(src, filter, out);
                }
            }
            out.push(')');
        }
        ExprKind::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_expr(src, item, out);
            }
            out.push(']');
        }
        ExprKind::Unary { op: UnaryOp::Not, operand } => {
            out.push_str("not ");
            write_operand(src, operand, not_operand_parens(operand), out);
        }
        ExprKind::Binary { op, lhs, rhs, .. } => {
            write_operand(src, lhs, operand_parens(*op, lhs, false), out);
            out.push(' ');
            out.push_str(op.as_str());
            out.push(' ');
            write_operand(src, rhs, operand_parens(*op, rhs, true), out);
        }
        ExprKind::IsSet { operand, negated, .. } => {
            // only names are valid operands (the checker says so); anything else keeps
            // parentheses so that the reader never has to know where `is set` binds
            write_operand(src, operand, precedence(operand) < ATOM_PRECEDENCE, out);
            out.push_str(if *negated { " is not set" } else { " is set" });
        }
        ExprKind::Paren(_) => unreachable!("unparen removed every Paren"),
    }
}

/// Whether the operand of a `not` is printed in parentheses. `not` takes everything
/// that binds tighter than itself, so `not (a and b)` needs them. `not a == b` does
/// not, but reads like `(not a) == b`, so parentheses the author wrote there stay.
fn not_operand_parens(operand: &Expr) -> bool {
    let p = precedence(operand);
    p < NOT_PRECEDENCE || (is_paren(operand) && p > NOT_PRECEDENCE && p < ATOM_PRECEDENCE)
}

/// Whether an operand of the infix `op` is printed in parentheses.
fn operand_parens(op: BinaryOp, operand: &Expr, rhs: bool) -> bool {
    let (p, q) = (binary_precedence(op), precedence(operand));
    // Left-associative: an equally tight operator on the left groups by itself, on the
    // right it needs parentheses (`a - (b - c)`). This also gives a `not` operand of a
    // tighter operator the parentheses it needs: in `a == not b == c` the `not` would
    // swallow `b == c`.
    let needed = if rhs { q <= p } else { q < p };
    // `a and b or c and d` is correct but easy to misread: parentheses the author put
    // around an `and` inside an `or` stay.
    let clarifying = op == BinaryOp::Or && is_paren(operand) && q == binary_precedence(BinaryOp::And);
    needed || clarifying
}

fn binary_precedence(op: BinaryOp) -> u8 {
    match op {
        BinaryOp::Or => 1,
        BinaryOp::And => 2,
        BinaryOp::Cmp(_) | BinaryOp::In => 4,
        BinaryOp::Add | BinaryOp::Sub => 5,
        // issue 15: `*` and `/` bind tighter than `+` and `-`
        BinaryOp::Mul | BinaryOp::Div => 6,
    }
}

fn is_paren(e: &Expr) -> bool {
    matches!(e.kind, ExprKind::Paren(_))
}

fn write_operand(src: &str, e: &Expr, parens: bool, out: &mut String) {
    if parens {
        out.push('(');
        write_expr(src, e, out);
        out.push(')');
    } else {
        write_expr(src, e, out);
    }
}

/// Whether the leftmost token of the printed expression is a time of day. After
/// `wait until`, such an expression must keep parentheses, or it would be read as
/// `wait until 09:00` (a time, not a date expression).
pub fn starts_with_time(e: &Expr) -> bool {
    match &unparen(e).kind {
        ExprKind::Literal(Literal::Time(_)) => true,
        ExprKind::Binary { op, lhs, .. } => !operand_parens(*op, lhs, false) && starts_with_time(lhs),
        _ => false,
    }
}

/// The source text under a span.
pub fn slice(src: &str, span: Span) -> &str {
    &src[span.range()]
}

pub fn literal(src: &str, lit: &Literal) -> String {
    match lit {
        Literal::Number(n) => n.text.clone(),
        Literal::Money(m) => money(m),
        Literal::Percent(p) => percent(p),
        Literal::Duration(d) => duration(src, d),
        Literal::Date(d) => slice(src, d.span).to_string(),
        Literal::Time(t) => time(src, t),
        Literal::String(s) => string(&s.value),
        Literal::Bool(b, _) => b.to_string(),
    }
}

fn money(m: &Money) -> String {
    match &m.currency {
        Some(code) => format!("{} {code}", m.text),
        None => format!("${}", m.text),
    }
}

pub fn percent(p: &Percent) -> String {
    format!("{}%", p.text)
}

/// As written: `3d` stays `3d`, never `72h`.
pub fn duration(src: &str, d: &Duration) -> String {
    slice(src, d.span).to_string()
}

/// From the source, so an out-of-range `25:00` (reported by the parser, stored as
/// 00:00) survives formatting; a one-digit hour gets its leading zero.
pub fn time(src: &str, t: &TimeOfDay) -> String {
    let text = slice(src, t.span);
    if text.find(':') == Some(1) {
        format!("0{text}")
    } else {
        text.to_string()
    }
}

pub fn integer(src: &str, i: &Integer) -> String {
    slice(src, i.span).to_string()
}

pub fn effect(src: &str, e: &Effect) -> String {
    slice(src, e.span).to_string()
}

/// A string literal with the grammar's four escapes re-applied to its value.
pub fn string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use journey_diagnostics::FileId;

    /// Formats the condition of `audience x = <cond>`.
    fn fmt(cond: &str) -> String {
        let src = format!("audience x = {cond}");
        let parsed = journey_syntax::parse(&src, FileId(0));
        assert!(parsed.diagnostics.is_empty(), "{cond}: {:?}", parsed.diagnostics);
        match &parsed.module.items[0] {
            Item::Audience(a) => expr(&src, &a.condition),
            _ => unreachable!(),
        }
    }

    #[test]
    fn drops_redundant_parentheses() {
        assert_eq!(fmt("((a))"), "a");
        assert_eq!(fmt("(a and b) and c"), "a and b and c");
        assert_eq!(fmt("(a or b) or c"), "a or b or c");
        assert_eq!(fmt("(a == 1) and (b < 2)"), "a == 1 and b < 2");
        assert_eq!(fmt("not a == b"), "not a == b");
        assert_eq!(fmt("not (not (a))"), "not not a");
        assert_eq!(fmt("not (a)"), "not a");
        assert_eq!(fmt("(a - b) - c"), "a - b - c");
        assert_eq!(fmt("(not a) and b"), "not a and b");
    }

    #[test]
    fn keeps_needed_parentheses() {
        assert_eq!(fmt("a and (b or c)"), "a and (b or c)");
        assert_eq!(fmt("(a or b) and c"), "(a or b) and c");
        assert_eq!(fmt("a - (b - c)"), "a - (b - c)");
        assert_eq!(fmt("not (a and b)"), "not (a and b)");
        assert_eq!(fmt("(a + b) == c"), "a + b == c");
        assert_eq!(fmt("a == (b == c)"), "a == (b == c)");
        assert_eq!(fmt("a == (not b)"), "a == (not b)");
    }

    #[test]
    fn keeps_clarifying_parentheses_the_author_wrote() {
        assert_eq!(fmt("(a and b) or (c and d)"), "(a and b) or (c and d)");
        assert_eq!(fmt("a and b or c and d"), "a and b or c and d");
        assert_eq!(fmt("not (a == b)"), "not (a == b)");
        assert_eq!(fmt("not ((a + 1))"), "not (a + 1)");
    }

    #[test]
    fn literals_keep_their_text() {
        assert_eq!(fmt("x >= 0.50"), "x >= 0.50");
        assert_eq!(fmt("x > 500   USD"), "x > 500 USD");
        assert_eq!(fmt("x > $12.5"), "x > $12.5");
        assert_eq!(fmt("since(p) > 3d"), "since(p) > 3d");
        assert_eq!(fmt("t < 9:30"), "t < 09:30");
        assert_eq!(fmt("r == 10.0%"), "r == 10.0%");
        assert_eq!(fmt("a - -1"), "a - -1");
    }

    #[test]
    fn is_set_reads_as_written() {
        assert_eq!(fmt("account_type   is set"), "account_type is set");
        assert_eq!(fmt("x is  not\n set and x != \"a\""), "x is not set and x != \"a\"");
        assert_eq!(fmt("not (x is set)"), "not (x is set)");
        assert_eq!(fmt("not x is set or y"), "not x is set or y");
        assert_eq!(fmt("(x is set) == true"), "x is set == true");
        assert_eq!(fmt("true == (x is set)"), "true == (x is set)");
        assert_eq!(fmt("(a + b) is set"), "(a + b) is set");
    }

    #[test]
    fn strings_are_re_escaped() {
        assert_eq!(fmt(r#"s == "a\"b\\c\td""#), r#"s == "a\"b\\c\td""#);
        assert_eq!(string("line\nbreak"), r#""line\nbreak""#);
    }

    #[test]
    fn calls_and_lists() {
        assert_eq!(
            fmt("count( purchase where amount>10 ,365d )>=1 and c in [ \"US\",\"CA\", ]"),
            r#"count(purchase where amount > 10, 365d) >= 1 and c in ["US", "CA"]"#
        );
    }

    // issue 15: `*` and `/` bind tighter than `+` and `-`; the printer keeps exactly
    // the parentheses the grouping needs.
    #[test]
    fn products_and_quotients() {
        assert_eq!(fmt("a + b * c > 1"), "a + b * c > 1");
        assert_eq!(fmt("(a + b) * c > 1"), "(a + b) * c > 1");
        assert_eq!(fmt("(a * b) + c > 1"), "a * b + c > 1");
        assert_eq!(fmt("a / (b / c) > 1"), "a / (b / c) > 1");
        assert_eq!(fmt("(a / b) / c > 1"), "a / b / c > 1");
        assert_eq!(fmt("a - (b * c) > 1"), "a - b * c > 1");
        assert_eq!(fmt("clamp(a / 10, 0, 1) * 0.4 > 1"), "clamp(a / 10, 0, 1) * 0.4 > 1");
    }
}
