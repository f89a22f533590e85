//! Expressions and literals: the grammar's flat `expr` (operands and operators in a
//! row), then the same Pratt parse as [`crate::parser`]'s, with pest's precedences.

use super::lexer::{is_ident_char, Lexer};
use crate::ast::*;
use crate::parser::{valid_date, MAX_BUSINESS_DAYS, MAX_DURATION_MINUTES, MAX_OPERANDS};

/// Which of the grammar's three expression rules: `expr`, or `entry_expr` /
/// `wait_expr`, which stop before an `or` that starts another alternative.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Flavor {
    Plain,
    Entry,
    Wait,
}

/// One element of the flat expression, as pest's pairs give them to the Pratt parser.
enum Tok {
    Not(Span),
    Primary(Expr),
    IsSet { span: Span, negated: bool },
    Infix(BinaryOp, Span),
}

/// `expr` (or a flavour of it).
pub(super) fn expr(p: &mut Lexer, flavor: Flavor) -> Option<Expr> {
    let m = p.mark();
    let mut toks = Vec::new();
    if !operand(p, &mut toks) {
        p.reset(m);
        return None;
    }
    loop {
        let before = p.mark();
        let n = toks.len();
        if another_alternative(p, flavor) {
            p.reset(before);
            break;
        }
        p.reset(before);
        let Some(op) = infix(p) else {
            p.reset(before);
            break;
        };
        toks.push(op);
        if !operand(p, &mut toks) {
            toks.truncate(n);
            p.reset(before);
            break;
        }
    }
    if toks.len() > 2 * MAX_OPERANDS {
        return p.decline(); // pest's path reports it
    }
    let mut pratt = Pratt { toks: toks.into_iter().peekable() };
    Some(pratt.expr(0))
}

/// `entry_or_ahead` / `wait_or_ahead`: does an `or` here start another alternative?
fn another_alternative(p: &mut Lexer, flavor: Flavor) -> bool {
    match flavor {
        Flavor::Plain => false,
        Flavor::Entry => {
            p.kw("or").is_some()
                && (p.at_kw("on") || p.at_kw("every") || (p.kw("when").is_some() && p.at_kw("audience")))
        }
        Flavor::Wait => {
            p.kw("or").is_some() && p.ident().is_some() && (p.at_kw("then") || p.at_kw("where") || p.at_kw("or"))
        }
    }
}

/// `prefix_op* ~ primary ~ postfix_op*`, pushed onto `toks`; false (and nothing
/// consumed) when it does not match.
fn operand(p: &mut Lexer, toks: &mut Vec<Tok>) -> bool {
    let m = p.mark();
    let n = toks.len();
    while let Some(sp) = p.kw("not") {
        toks.push(Tok::Not(sp));
    }
    let Some(e) = primary(p) else {
        toks.truncate(n);
        p.reset(m);
        return false;
    };
    toks.push(Tok::Primary(e));
    loop {
        let before = p.mark();
        let Some(is) = p.kw("is") else { break };
        let negated = p.kw("not").is_some();
        if p.kw("set").is_none() {
            p.reset(before);
            break;
        }
        toks.push(Tok::IsSet { span: Span::new(is.start as usize, p.last_end), negated });
    }
    true
}

fn infix(p: &mut Lexer) -> Option<Tok> {
    for (w, op) in [("or", BinaryOp::Or), ("and", BinaryOp::And), ("in", BinaryOp::In)] {
        if let Some(sp) = p.kw(w) {
            return Some(Tok::Infix(op, sp));
        }
    }
    let ops = [
        ("<=", BinaryOp::Cmp(CmpOp::Le)),
        (">=", BinaryOp::Cmp(CmpOp::Ge)),
        ("!=", BinaryOp::Cmp(CmpOp::Ne)),
        ("==", BinaryOp::Cmp(CmpOp::Eq)),
        ("<", BinaryOp::Cmp(CmpOp::Lt)),
        (">", BinaryOp::Cmp(CmpOp::Gt)),
        ("+", BinaryOp::Add),
        ("-", BinaryOp::Sub),
        ("*", BinaryOp::Mul),
        ("/", BinaryOp::Div),
    ];
    for (s, op) in ops {
        if let Some(sp) = p.sym(s) {
            return Some(Tok::Infix(op, sp));
        }
    }
    None
}

/// pest's `PrattParser` over the flat row: or < and < not < comparison, in < is set
/// < + - < * /, all infix operators left-associative.
struct Pratt {
    toks: std::iter::Peekable<std::vec::IntoIter<Tok>>,
}

const NOT_PREC: u32 = 40;

fn infix_prec(op: BinaryOp) -> u32 {
    match op {
        BinaryOp::Or => 20,
        BinaryOp::And => 30,
        BinaryOp::Cmp(_) | BinaryOp::In => 50,
        BinaryOp::Add | BinaryOp::Sub => 70,
        BinaryOp::Mul | BinaryOp::Div => 80,
    }
}

impl Pratt {
    fn expr(&mut self, rbp: u32) -> Expr {
        let mut lhs = self.nud();
        while rbp < self.lbp() {
            lhs = self.led(lhs);
        }
        lhs
    }

    fn nud(&mut self) -> Expr {
        match self.toks.next() {
            Some(Tok::Not(sp)) => {
                let rhs = self.expr(NOT_PREC - 1);
                Expr { span: sp.to(rhs.span), kind: ExprKind::Unary { op: UnaryOp::Not, operand: Box::new(rhs) } }
            }
            Some(Tok::Primary(e)) => e,
            // the flat row always starts an operand with `not` or a primary
            _ => Expr { kind: ExprKind::Literal(Literal::Bool(false, Span::default())), span: Span::default() },
        }
    }

    fn lbp(&mut self) -> u32 {
        match self.toks.peek() {
            Some(Tok::Infix(op, _)) => infix_prec(*op),
            Some(Tok::IsSet { .. }) => 60,
            _ => 0,
        }
    }

    fn led(&mut self, lhs: Expr) -> Expr {
        match self.toks.next() {
            Some(Tok::Infix(op, op_span)) => {
                let rhs = self.expr(infix_prec(op));
                Expr {
                    span: lhs.span.to(rhs.span),
                    kind: ExprKind::Binary { op, op_span, lhs: Box::new(lhs), rhs: Box::new(rhs) },
                }
            }
            Some(Tok::IsSet { span, negated }) => Expr {
                span: lhs.span.to(span),
                kind: ExprKind::IsSet { operand: Box::new(lhs), negated, op_span: span },
            },
            _ => lhs, // lbp is 0 for anything else, so led never sees it
        }
    }
}

/// `primary = paren | literal | call | path | list`.
fn primary(p: &mut Lexer) -> Option<Expr> {
    let start = p.start();
    let m = p.mark();
    if p.sym("(").is_some() {
        if let Some(inner) = expr(p, Flavor::Plain) {
            if p.sym(")").is_some() {
                return Some(Expr { kind: ExprKind::Paren(Box::new(inner)), span: p.span_from(start) });
            }
        }
        p.reset(m);
        return None; // nothing else starts with `(`
    }
    if let Some(lit) = literal(p) {
        return Some(Expr { kind: ExprKind::Literal(lit), span: p.span_from(start) });
    }
    if p.declined {
        return None;
    }
    if let Some(kind) = call(p) {
        return Some(Expr { kind, span: p.span_from(start) });
    }
    if let Some(first) = p.ident() {
        let mut parts = vec![first];
        loop {
            let before = p.mark();
            if p.sym(".").is_none() {
                break;
            }
            match p.ident() {
                Some(i) => parts.push(i),
                None => {
                    p.reset(before);
                    break;
                }
            }
        }
        return Some(Expr { kind: ExprKind::Path(parts), span: p.span_from(start) });
    }
    if p.sym("[").is_some() {
        let mut items = Vec::new();
        if let Some(e) = expr(p, Flavor::Plain) {
            items.push(e);
            loop {
                let before = p.mark();
                if p.sym(",").is_none() {
                    break;
                }
                match expr(p, Flavor::Plain) {
                    Some(e) => items.push(e),
                    None => {
                        p.reset(before);
                        break;
                    }
                }
            }
            p.sym(",");
        }
        if p.sym("]").is_some() {
            return Some(Expr { kind: ExprKind::List(items), span: p.span_from(start) });
        }
        p.reset(m);
    }
    None
}

/// `call = (account_scope ~ ".")? ~ ident ~ "(" ~ (call_arg ~ ("," ~ call_arg)*)? ~ ")"`.
fn call(p: &mut Lexer) -> Option<ExprKind> {
    let m = p.mark();
    let mut scope = None;
    if let Some(s) = p.kw("account") {
        if p.sym(".").is_some() {
            scope = Some(s);
        } else {
            p.reset(m);
        }
    }
    let Some(mut function) = p.ident() else {
        p.reset(m);
        return None;
    };
    if p.sym("(").is_none() {
        p.reset(m);
        return None;
    }
    if let Some(s) = scope {
        function.name = format!("account.{}", function.name);
        function.span = Span::new(s.start as usize, function.span.end as usize);
    }
    let mut args = Vec::new();
    if let Some(a) = call_arg(p) {
        args.push(a);
        loop {
            let before = p.mark();
            if p.sym(",").is_none() {
                break;
            }
            match call_arg(p) {
                Some(a) => args.push(a),
                None => {
                    p.reset(before);
                    break;
                }
            }
        }
    }
    if p.sym(")").is_none() {
        p.reset(m);
        return None;
    }
    Some(ExprKind::Call { function, args })
}

fn call_arg(p: &mut Lexer) -> Option<CallArg> {
    let start = p.start();
    let value = expr(p, Flavor::Plain)?;
    let filter = where_clause(p, Flavor::Plain);
    Some(CallArg { value, filter, span: p.span_from(start) })
}

/// `kw_where ~ expr` (or `entry_expr` / `wait_expr`): the condition.
pub(super) fn where_clause(p: &mut Lexer, flavor: Flavor) -> Option<Expr> {
    let m = p.mark();
    p.kw("where")?;
    match expr(p, flavor) {
        Some(e) => Some(e),
        None => {
            p.reset(m);
            None
        }
    }
}

/// `literal = money | percent | duration | date | time_of_day | number | string | boolean`.
pub(super) fn literal(p: &mut Lexer) -> Option<Literal> {
    let at = p.start();
    if let Some(m) = money(p, at) {
        return Some(Literal::Money(m));
    }
    if let Some(pc) = percent(p) {
        return Some(Literal::Percent(pc));
    }
    if let Some(d) = duration(p) {
        return Some(Literal::Duration(d?));
    }
    if let Some(d) = date(p) {
        return Some(Literal::Date(d?));
    }
    if let Some(t) = time_of_day(p) {
        return Some(Literal::Time(t?));
    }
    if let Some(n) = number(p) {
        return Some(Literal::Number(n));
    }
    if let Some(s) = p.string() {
        return Some(Literal::String(s));
    }
    if let Some(sp) = p.kw("true") {
        return Some(Literal::Bool(true, sp));
    }
    if let Some(sp) = p.kw("false") {
        return Some(Literal::Bool(false, sp));
    }
    None
}

/// `money = ${ "$" ~ decimal | decimal ~ (" " | "\t")+ ~ currency }`.
fn money(p: &mut Lexer, at: usize) -> Option<Money> {
    if p.byte(at) == Some(b'$') {
        let d = p.decimal_at(at + 1);
        if d == 0 {
            return None;
        }
        let text = p.src[at + 1..at + 1 + d].to_string();
        let (_, span) = p.token(1 + d);
        return Some(Money { amount: text.parse().unwrap_or(0.0), text, currency: None, span });
    }
    let d = p.decimal_at(at);
    if d == 0 {
        return None;
    }
    let gap = p.b[at + d..].iter().take_while(|&&c| c == b' ' || c == b'\t').count();
    let cur = at + d + gap;
    let upper = p.b.get(cur..cur + 3).is_some_and(|s| s.iter().all(|c| c.is_ascii_uppercase()));
    if gap == 0 || !upper || p.byte(cur + 3).is_some_and(is_ident_char) {
        return None;
    }
    let text = p.src[at..at + d].to_string();
    let currency = Some(p.src[cur..cur + 3].to_string());
    let (_, span) = p.token(d + gap + 3);
    Some(Money { amount: text.parse().unwrap_or(0.0), text, currency, span })
}

/// `percent = @{ decimal ~ "%" }`.
pub(super) fn percent(p: &mut Lexer) -> Option<Percent> {
    let at = p.start();
    let d = p.decimal_at(at);
    if d == 0 || p.byte(at + d) != Some(b'%') {
        return None;
    }
    let (t, span) = p.token(d + 1);
    let text = t.trim_end_matches('%').to_string();
    Some(Percent { value: text.parse().unwrap_or(0.0), text, span })
}

/// `duration = @{ ASCII_DIGIT+ ~ ("m" | "h" | "d" | "w") ~ !ident_char }`; the inner
/// `None` declines (too long: a J002 of pest's path).
pub(super) fn duration(p: &mut Lexer) -> Option<Option<Duration>> {
    let at = p.start();
    let n = p.digits_at(at);
    let unit = match p.byte(at + n) {
        Some(b'm') => DurationUnit::Minutes,
        Some(b'h') => DurationUnit::Hours,
        Some(b'd') => DurationUnit::Days,
        Some(b'w') => DurationUnit::Weeks,
        _ => return None,
    };
    if n == 0 || p.byte(at + n + 1).is_some_and(is_ident_char) {
        return None;
    }
    let (text, span) = p.token(n + 1);
    match text[..n].parse::<u64>() {
        Ok(a) if a.checked_mul(unit.minutes()).is_some_and(|m| m <= MAX_DURATION_MINUTES) => {
            Some(Some(Duration { amount: a, unit, span }))
        }
        _ => Some(p.decline()),
    }
}

/// `date = @{ ASCII_DIGIT{4} ~ "-" ~ ASCII_DIGIT{2} ~ "-" ~ ASCII_DIGIT{2} }`.
pub(super) fn date(p: &mut Lexer) -> Option<Option<DateLit>> {
    let at = p.start();
    let digits = |from: usize, n: usize| p.b.get(from..from + n).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    let shape = digits(at, 4)
        && p.byte(at + 4) == Some(b'-')
        && digits(at + 5, 2)
        && p.byte(at + 7) == Some(b'-')
        && digits(at + 8, 2);
    if !shape {
        return None;
    }
    let (text, span) = p.token(10);
    let year: i32 = text[0..4].parse().unwrap_or(0);
    let month: u32 = text[5..7].parse().unwrap_or(0);
    let day: u32 = text[8..10].parse().unwrap_or(0);
    if !valid_date(year, month, day) {
        return Some(p.decline());
    }
    Some(Some(DateLit { year, month, day, span }))
}

/// `time_of_day = @{ ASCII_DIGIT{1,2} ~ ":" ~ ASCII_DIGIT{2} ~ !(ASCII_DIGIT | ":") }`.
pub(super) fn time_of_day(p: &mut Lexer) -> Option<Option<TimeOfDay>> {
    let at = p.start();
    let h = p.digits_at(at).min(2);
    if h == 0 || p.byte(at + h) != Some(b':') {
        return None;
    }
    let m = at + h + 1;
    if p.digits_at(m) < 2 || p.byte(m + 2).is_some_and(|c| c.is_ascii_digit() || c == b':') {
        return None;
    }
    let (text, span) = p.token(h + 3);
    let (hs, ms) = text.split_once(':').unwrap_or((text, ""));
    let (hour, minute): (u32, u32) = (hs.parse().unwrap_or(99), ms.parse().unwrap_or(99));
    if hour > 23 || minute > 59 {
        return Some(p.decline());
    }
    Some(Some(TimeOfDay { hour, minute, span }))
}

/// `number = @{ "-"? ~ decimal ~ !ident_char }`.
pub(super) fn number(p: &mut Lexer) -> Option<Number> {
    let at = p.start();
    let sign = usize::from(p.byte(at) == Some(b'-'));
    let d = p.decimal_at(at + sign);
    if d == 0 || p.byte(at + sign + d).is_some_and(is_ident_char) {
        return None;
    }
    let (text, span) = p.token(sign + d);
    let text = text.to_string();
    Some(Number { value: text.parse().unwrap_or(0.0), text, span })
}

/// `integer`, declining when it does not fit in 64 bits.
pub(super) fn integer(p: &mut Lexer) -> Option<Integer> {
    let (text, span) = p.integer_text()?;
    match text.parse::<u64>() {
        Ok(value) => Some(Integer { value, span }),
        Err(_) => p.decline(),
    }
}

/// `business_days = { integer ~ kw_business ~ kw_days }`.
pub(super) fn business_days(p: &mut Lexer) -> Option<BusinessDays> {
    let m = p.mark();
    let start = p.start();
    let Some((text, _)) = p.integer_text() else {
        p.reset(m);
        return None;
    };
    if p.kw("business").is_none() || !days(p) {
        p.reset(m);
        return None;
    }
    let span = p.span_from(start);
    match text.parse::<u64>() {
        Ok(a) if a <= MAX_BUSINESS_DAYS => Some(BusinessDays { amount: a, span }),
        _ => p.decline(),
    }
}

/// `kw_days = @{ ("days" | "day") ~ !ident_char }`.
pub(super) fn days(p: &mut Lexer) -> bool {
    p.kw("days").is_some() || p.kw("day").is_some()
}
