//! Issue 15, arithmetic and named scores: `*`, `/`, `min`, `max`, `clamp`, the money
//! rules of `+ - * /`, and `score NAME = …` declarations (checked once, inlined at
//! every use as an [`Expr::Score`] node that keeps the name).
//!
//! Types: number op number is a number; money * number and money / number are money;
//! money / money is a number (a ratio); money + number is an error (J206), because a
//! bare number has no currency. Durations and percentages only take part in `min`,
//! `max` and `clamp` (with their own kind), never in `*` or `/`: the engine plans the
//! times a `since` comparison flips from the durations written in the program, and a
//! scaled duration would move those times.

use crate::context::{Ctx, Decl};
use crate::types::{Scope, Typed};
use journey_diagnostics::{Diagnostic, FileId, Span};
use journey_ir::{Expr, Type, Value};
use journey_syntax::ast::{self, BinaryOp};

/// The functions of this module, for "did you mean".
pub(crate) const NUMERIC_FUNCTIONS: &[&str] = &["min", "max", "clamp"];

impl<'a> Ctx<'a> {
    /// J102 for a score named like an attribute or an audience: a bare name must say
    /// one thing.
    pub(crate) fn score_name_clashes(&mut self) {
        let mut found = Vec::new();
        for (name, d) in &self.scores {
            let other = if let Some(a) = self.attributes.get(name) {
                Some(("an attribute", a.file, a.node.name.span))
            } else {
                self.audiences.get(name).map(|a| ("an audience", a.file, a.node.name.span))
            };
            if let Some((what, file, span)) = other {
                found.push(
                    Diagnostic::new("J102", format!("`{name}` is both {what} and a score"))
                        .primary(d.file, d.node.name.span, "score defined here")
                        .secondary(file, span, format!("{what} of the same name"))
                        .help("rename the score; attributes, audiences and scores share one namespace"),
                );
            }
        }
        self.diags.extend(found);
    }

    /// Lower every score (before audiences and journeys, which inline them).
    pub(crate) fn scores(&mut self) -> Vec<journey_ir::Score> {
        let scores: Vec<(&'a str, Decl<'a, ast::ScoreDecl>)> = self.scores.iter().map(|(k, v)| (*k, *v)).collect();
        let mut out = Vec::new();
        for (name, d) in scores {
            let (ty, value) = self.score_value(name, d);
            out.push(journey_ir::Score {
                name: name.to_string(),
                ty: ty.unwrap_or(Type::Number),
                value,
                origin: self.origin(d.file, d.node.name.span),
            });
        }
        out
    }

    /// The type and lowered value of a score, checking it on first use.
    fn score_value(&mut self, name: &'a str, d: Decl<'a, ast::ScoreDecl>) -> (Option<Type>, Expr) {
        match self.score_values.get(name) {
            Some(Some(done)) => return done.clone(),
            // circular: J311 reports the cycle (the dependency graph has the edges)
            Some(None) => return (None, Expr::Const { value: Value::Number(0.0) }),
            None => {}
        }
        self.score_values.insert(name, None);
        let t = self.expr(d.file, &d.node.value, Scope::Customer, Some(name));
        if let Some(ty) = &t.ty {
            if !matches!(ty, Type::Number | Type::Money) {
                self.push(
                    Diagnostic::new("J207", format!("score `{name}` is {}, not a number or an amount", ty.describe()))
                        .primary(d.file, d.node.value.span, format!("has type {}", ty.describe()))
                        .help("a score is a number or an amount, e.g. `count(login, 14d) / 14`; name a condition with `audience` instead"),
                );
            }
        }
        let done = (t.ty.filter(|ty| matches!(ty, Type::Number | Type::Money)), t.expr);
        self.score_values.insert(name, Some(done.clone()));
        done
    }

    /// A bare name that is a score: its value inlined under the score's name.
    pub(crate) fn score_ref(&mut self, file: FileId, ident: &ast::Ident, owner: Option<&'a str>) -> Option<Typed> {
        let (&name, &d) = self.scores.get_key_value(ident.name.as_str())?;
        if let Some(owner) = owner {
            self.audience_deps.entry(owner).or_default().push((name.to_string(), file, ident.span));
        }
        let (ty, value) = self.score_value(name, d);
        Some(Typed { ty, expr: Expr::Score { name: name.to_string(), expr: Box::new(value) }, bare_number: false })
    }

    /// `a * b`, `a / b`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn product(
        &mut self,
        file: FileId,
        op: BinaryOp,
        op_span: Span,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
        scope: Scope,
        owner: Option<&'a str>,
    ) -> Typed {
        let l = self.expr(file, lhs, scope, owner);
        let r = self.expr(file, rhs, scope, owner);
        let divide = op == BinaryOp::Div;
        let ty = match (&l.ty, &r.ty) {
            (None, _) | (_, None) => None,
            (Some(a), Some(b)) => match product_type(a, b, divide) {
                Some(t) => Some(t),
                None => {
                    let verb = if divide { "divide" } else { "multiply" };
                    let help = if *a == Type::Money && *b == Type::Money {
                        "an amount times an amount means nothing; multiply an amount by a number".to_string()
                    } else {
                        "`*` and `/` work on numbers and amounts: money * number is money, money / money is a number"
                            .to_string()
                    };
                    self.push(
                        Diagnostic::new("J201", format!("cannot {verb} {} by {}", a.describe(), b.describe()))
                            .primary(file, op_span, "incompatible operands")
                            .secondary(file, lhs.span, a.describe())
                            .secondary(file, rhs.span, b.describe())
                            .help(help),
                    );
                    None
                }
            },
        };
        let (lhs, rhs) = (Box::new(l.expr), Box::new(r.expr));
        let expr = if divide { Expr::Div { lhs, rhs } } else { Expr::Mul { lhs, rhs } };
        Typed { ty, expr, bare_number: false }
    }

    /// J206: an amount and a plain number added or subtracted.
    pub(crate) fn money_plus_number(
        &mut self,
        file: FileId,
        op: BinaryOp,
        op_span: Span,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
        a: &Type,
    ) {
        let (money, number) = if *a == Type::Money { (lhs, rhs) } else { (rhs, lhs) };
        let verb = if op == BinaryOp::Add { "add" } else { "subtract" };
        self.push(
            Diagnostic::new("J206", format!("cannot {verb} an amount and a plain number"))
                .primary(file, op_span, "money and a number")
                .secondary(file, money.span, "money")
                .secondary(file, number.span, "a number, in no currency")
                .help(format!(
                    "write the number as an amount in {}, e.g. `10 {}`, or scale the amount with `*`",
                    self.currency, self.currency
                )),
        );
    }

    /// `min(a, b, …)`, `max(a, b, …)`, `clamp(x, lo, hi)`.
    pub(crate) fn numeric_call(
        &mut self,
        file: FileId,
        function: &ast::Ident,
        args: &[ast::CallArg],
        span: Span,
        scope: Scope,
        owner: Option<&'a str>,
    ) -> Typed {
        let f = function.name.as_str();
        let (ok, usage) = match f {
            "clamp" => (args.len() == 3, "clamp(VALUE, LOW, HIGH)"),
            _ => (args.len() >= 2, if f == "min" { "min(A, B, …)" } else { "max(A, B, …)" }),
        };
        if !ok {
            let want = if f == "clamp" { "three arguments" } else { "two or more arguments" };
            self.push(
                Diagnostic::new("J205", format!("`{f}` takes {want}"))
                    .primary(file, span, format!("{} given", args.len()))
                    .help(format!("write {usage}")),
            );
            return Typed { ty: None, expr: Expr::Const { value: Value::Number(0.0) }, bare_number: false };
        }
        let mut typed = Vec::new();
        for a in args {
            if let Some(w) = &a.filter {
                self.push(
                    Diagnostic::new("J205", format!("`{f}` takes values, not events"))
                        .primary(file, w.span, "a `where` filter")
                        .help("filter inside an aggregate, e.g. `min(count(login where device == \"web\", 7d), 5)`"),
                );
            }
            typed.push((a.value.span, self.expr(file, &a.value, scope, owner)));
        }
        // every argument of one kind; a bare number may stand for money, as in comparisons
        let kinds: Vec<&Type> = typed.iter().filter_map(|(_, t)| t.ty.as_ref()).collect();
        let mut ty = None;
        if kinds.len() == typed.len() {
            let first = kinds.iter().find(|t| **t != &Type::Number).copied().unwrap_or(kinds[0]);
            let allowed = matches!(first, Type::Number | Type::Money | Type::Duration | Type::Percent);
            let bad = typed.iter().find(|(_, t)| {
                let k = t.ty.as_ref().unwrap();
                !(k == first || (t.bare_number && *first == Type::Money))
            });
            if !allowed {
                let (sp, _) = typed.iter().find(|(_, t)| t.ty.as_ref() == Some(first)).unwrap();
                self.push(
                    Diagnostic::new("J201", format!("`{f}` cannot compare {} values", first.describe()))
                        .primary(file, *sp, first.describe())
                        .help("min, max and clamp work on numbers, amounts, durations and percentages"),
                );
            } else if let Some((sp, t)) = bad {
                self.push(
                    Diagnostic::new(
                        "J201",
                        format!("`{f}` mixes {} and {}", first.describe(), t.ty.as_ref().unwrap().describe()),
                    )
                    .primary(file, *sp, t.ty.as_ref().unwrap().describe())
                    .help(format!("give every argument of `{f}` the same kind, here {}", first.describe())),
                );
            } else {
                ty = Some(first.clone());
            }
        }
        let mut exprs: Vec<Expr> = typed.into_iter().map(|(_, t)| t.expr).collect();
        let expr = if f == "clamp" {
            let high = exprs.pop().unwrap();
            let low = exprs.pop().unwrap();
            let value = exprs.pop().unwrap();
            Expr::Min { all: vec![Expr::Max { all: vec![value, low] }, high] }
        } else if f == "min" {
            Expr::Min { all: exprs }
        } else {
            Expr::Max { all: exprs }
        };
        Typed { ty, expr, bare_number: false }
    }
}

fn product_type(a: &Type, b: &Type, divide: bool) -> Option<Type> {
    use Type::*;
    match (a, b) {
        (Number, Number) => Some(Number),
        (Money, Number) => Some(Money),
        (Number, Money) if !divide => Some(Money),
        (Money, Money) if divide => Some(Number),
        _ => None,
    }
}
