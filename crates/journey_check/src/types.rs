//! Type checking of conditions and values, lowering them to IR expressions on the way.
//! Each check reports and then carries on with a best-guess type, so one mistake does
//! not hide the next.

use crate::context::Ctx;
use crate::suggest;
use journey_diagnostics::{Diagnostic, FileId, Span};
use journey_ir::{Aggregate, CmpOp, Expr, Type, Value};
use journey_syntax::ast::{self, BinaryOp, ExprKind, Literal};

/// What bare names in an expression may refer to.
#[derive(Clone, Copy)]
pub(crate) enum Scope<'s> {
    /// Attributes and audiences of the customer.
    Customer,
    /// Inside `where` of an event: its properties first, then the customer's names.
    Event(&'s str),
}

/// The type of an expression as the checker sees it. `None` marks an expression that
/// already produced an error, so no follow-up error is reported about it.
type Ty = Option<Type>;

pub(crate) struct Typed {
    pub ty: Ty,
    pub expr: Expr,
    /// Was this a bare number literal? Bare numbers may stand for money.
    pub bare_number: bool,
}

/// issue 15: `today`, the current date in conditions (see `Expr::Today`).
const TODAY: &str = "today";
const FUNCTIONS: &[&str] = &["count", "sum", "avg", "since", "since_first", "latest"];

impl<'a> Ctx<'a> {
    /// Check a condition: it must be true or false.
    pub fn condition(&mut self, file: FileId, e: &ast::Expr, scope: Scope, owner: Option<&'a str>) -> Expr {
        let t = self.expr(file, e, scope, owner);
        if let Some(ty) = &t.ty {
            if *ty != Type::Bool {
                self.push(
                    Diagnostic::new("J204", format!("this condition is a {}, not true or false", ty.describe()))
                        .primary(file, e.span, format!("has type {}", ty.describe()))
                        .help("compare it with something, e.g. `x > 3` or `plan == \"pro\"`"),
                );
            }
        }
        t.expr
    }

    /// J201 on an amount in a currency that does not exist (`250 USX`): the label on
    /// the code, and the code it most likely means, the project's own first.
    fn unknown_currency(&mut self, file: FileId, code: &str, amount: Span) {
        // the code ends the literal (`250 USX`, grammar: money)
        let at = if amount.end - amount.start >= 3 { Span { start: amount.end - 3, end: amount.end } } else { amount };
        let project = self.currency.clone();
        let near_project = strsim::damerau_levenshtein(&code.to_uppercase(), &project) <= 1;
        let help = match journey_diagnostics::suggest::currency(code) {
            _ if near_project => format!("did you mean `{project}`?"),
            Some(c) => format!("did you mean `{c}`? the project counts money in {project}"),
            None => format!("write the amount in {project}, the project's currency"),
        };
        self.push(
            Diagnostic::new("J201", format!("unknown currency `{code}`"))
                .primary(file, at, "not an ISO 4217 currency")
                .help(help),
        );
    }

    /// Type-check and lower an expression. `owner` is the audience being defined, for
    /// cycle detection.
    pub fn expr(&mut self, file: FileId, e: &ast::Expr, scope: Scope, owner: Option<&'a str>) -> Typed {
        match &e.kind {
            ExprKind::Literal(l) => {
                if let Literal::Money(ast::Money { currency: Some(c), span, .. }) = l {
                    if !journey_diagnostics::suggest::is_currency(c) {
                        self.unknown_currency(file, c, *span);
                    } else if *c != self.currency {
                        self.push(
                            Diagnostic::new(
                                "J201",
                                format!("an amount in {c} in a project that counts money in {}", self.currency),
                            )
                            .primary(file, *span, format!("not {}", self.currency))
                            .help(format!(
                                "write the amount in {} (set `currency` in journey.yaml to change it)",
                                self.currency
                            )),
                        );
                    }
                }
                literal(l)
            }
            ExprKind::Paren(inner) => self.expr(file, inner, scope, owner),
            ExprKind::Path(parts) => self.path(file, parts, e.span, scope, owner),
            ExprKind::List(items) => {
                let typed: Vec<Typed> = items.iter().map(|i| self.expr(file, i, scope, owner)).collect();
                let of = typed.iter().find_map(|t| t.ty.clone()).unwrap_or(Type::Text);
                Typed {
                    ty: Some(Type::List { of: Box::new(of) }),
                    expr: Expr::Const { value: Value::Bool(false) }, // lists only appear under `in`
                    bare_number: false,
                }
            }
            ExprKind::Unary { operand, .. } => {
                let inner = self.condition(file, operand, scope, owner);
                Typed { ty: Some(Type::Bool), expr: Expr::Not { expr: Box::new(inner) }, bare_number: false }
            }
            ExprKind::Binary { op, op_span, lhs, rhs } => self.binary(file, *op, *op_span, lhs, rhs, scope, owner),
            ExprKind::IsSet { operand, negated, op_span } => {
                let inner = self.expr(file, operand, scope, owner);
                // Only values a customer or an event can lack: audiences, counts, sums
                // and literals always answer, so `is set` on them says nothing.
                let may_lack = matches!(
                    inner.expr,
                    Expr::Attribute { .. }
                        | Expr::Property { .. }
                        | Expr::Aggregate(
                            Aggregate::Avg { .. }
                                | Aggregate::Since { .. }
                                | Aggregate::SinceFirst { .. }
                                | Aggregate::SinceAttribute { .. }
                                | Aggregate::Latest { .. }
                        )
                );
                if inner.ty.is_some() && !may_lack {
                    let word = if *negated { "is not set" } else { "is set" };
                    self.push(
                        Diagnostic::new("J201", format!("`{word}` applies to a value that can be missing"))
                            .primary(file, operand.span, "always has a value")
                            .secondary(file, *op_span, "asks whether a value was recorded")
                            .help("write it after an attribute, an event property, `avg(…)` or `since(…)`, e.g. `account_type is set`"),
                    );
                }
                let set = Expr::IsSet { expr: Box::new(inner.expr) };
                let expr = if *negated { Expr::Not { expr: Box::new(set) } } else { set };
                Typed { ty: Some(Type::Bool), expr, bare_number: false }
            }
            ExprKind::Call { function, args } => self.call(file, function, args, e.span, scope, owner),
        }
    }

    fn path(&mut self, file: FileId, parts: &[ast::Ident], span: Span, scope: Scope, owner: Option<&'a str>) -> Typed {
        let first = &parts[0];
        // issue 15, accounts: `account.seats`, an attribute of the customer's account
        if parts.len() == 2 && first.name == "account" {
            if let Some(t) = self.account_attribute(file, &parts[1], span) {
                return t;
            }
        }
        if parts.len() > 1 {
            let known_event = self.events.contains_key(first.name.as_str());
            let help = if known_event {
                format!("event properties are read with an aggregate, e.g. `sum({}, 30d)`", join(parts))
            } else {
                "only event properties use `event.property`".to_string()
            };
            self.push(
                Diagnostic::new("J104", format!("`{}` cannot be used as a value here", join(parts)))
                    .primary(file, span, "an event property outside an aggregate")
                    .help(help),
            );
            return error_typed();
        }
        let name = first.name.as_str();
        if let Scope::Event(event) = scope {
            if let Some(props) = self.event_props.get(event) {
                if let Some((_, ty)) = props.iter().find(|(p, _)| p == name) {
                    return Typed {
                        ty: Some(ty.clone()),
                        expr: Expr::Property { name: name.to_string() },
                        bare_number: false,
                    };
                }
            }
        }
        if let Some(ty) = self.attr_types.get(name) {
            return Typed {
                ty: Some(ty.clone()),
                expr: Expr::Attribute { name: name.to_string() },
                bare_number: false,
            };
        }
        if self.audiences.contains_key(name) {
            if let Some(owner) = owner {
                self.audience_deps.entry(owner).or_default().push((name.to_string(), file, first.span));
            }
            return Typed { ty: Some(Type::Bool), expr: Expr::Audience { name: name.to_string() }, bare_number: false };
        }
        if let Some(t) = self.score_ref(file, first, owner) {
            return t;
        }
        // issue 15: `today`, the current date (a declared attribute, audience or score
        // of that name wins, so no program that named one `today` changes meaning)
        if name == TODAY {
            return Typed { ty: Some(Type::Date), expr: Expr::Today, bare_number: false };
        }
        if self.events.contains_key(name) {
            self.push(
                Diagnostic::new("J104", format!("`{name}` is an event, not a value"))
                    .primary(file, first.span, "an event")
                    .help(format!(
                        "to react to the event itself write `exit on {name}` or `entry on {name}`; \
                         in a condition use an aggregate, e.g. `count({name}, 30d) >= 1` or `since({name}) > 7d`"
                    )),
            );
            return error_typed();
        }
        // declared by a declaration that failed to parse: that error was reported already
        let poisoned_event = matches!(scope, Scope::Event(e) if self.poison.covers(ast::DeclKind::Event, e));
        if poisoned_event
            || self.poison.covers(ast::DeclKind::Attribute, name)
            || self.poison.covers(ast::DeclKind::Audience, name)
            || self.poison.covers(ast::DeclKind::Event, name)
            || self.poison.covers(ast::DeclKind::Score, name)
        {
            return error_typed();
        }
        let mut candidates: Vec<&str> = self
            .attr_types
            .keys()
            .copied()
            .chain(self.audiences.keys().copied())
            .chain(self.scores.keys().copied())
            .collect();
        let what = match scope {
            Scope::Event(event) => {
                if let Some(props) = self.event_props.get(event) {
                    candidates.extend(props.iter().map(|(p, _)| p.as_str()));
                }
                // a misspelt property is the likeliest mistake inside `where`
                let props: Vec<&str> = self
                    .event_props
                    .get(event)
                    .map(|p| p.iter().map(|(n, _)| n.as_str()).collect())
                    .unwrap_or_default();
                if let Some(s) = suggest::closest(name, props.iter().copied()) {
                    self.push(
                        Diagnostic::new("J103", format!("event `{event}` has no property `{name}`"))
                            .primary(file, first.span, "unknown property")
                            .help(format!("did you mean `{s}`?")),
                    );
                    return error_typed();
                }
                format!("a property of `{event}`, an attribute or an audience")
            }
            Scope::Customer => "an attribute or an audience".to_string(),
        };
        candidates.sort_unstable();
        let help = suggest::help_for("name", name, &candidates);
        self.push(
            Diagnostic::new("J101", format!("unknown name `{name}`"))
                .primary(file, first.span, format!("not {what}"))
                .help(help),
        );
        error_typed()
    }

    #[allow(clippy::too_many_arguments)]
    fn binary(
        &mut self,
        file: FileId,
        op: BinaryOp,
        op_span: Span,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
        scope: Scope,
        owner: Option<&'a str>,
    ) -> Typed {
        match op {
            BinaryOp::And | BinaryOp::Or => {
                let l = self.condition(file, lhs, scope, owner);
                let r = self.condition(file, rhs, scope, owner);
                let expr = if op == BinaryOp::And { flatten_and(l, r) } else { flatten_or(l, r) };
                Typed { ty: Some(Type::Bool), expr, bare_number: false }
            }
            BinaryOp::Cmp(cmp) => {
                let l = self.expr(file, lhs, scope, owner);
                let r = self.expr(file, rhs, scope, owner);
                self.compare(file, cmp, op_span, lhs, rhs, &l, &r);
                let cmp = lower_cmp(cmp);
                Typed {
                    ty: Some(Type::Bool),
                    expr: Expr::Compare { cmp, lhs: Box::new(l.expr), rhs: Box::new(r.expr) },
                    bare_number: false,
                }
            }
            BinaryOp::In => {
                let l = self.expr(file, lhs, scope, owner);
                let ExprKind::List(items) = &rhs.kind else {
                    self.push(
                        Diagnostic::new("J201", "`in` needs a list on its right")
                            .primary(file, rhs.span, "not a list")
                            .help("write the choices in brackets, e.g. `country in [\"US\", \"CA\"]`"),
                    );
                    return Typed { ty: Some(Type::Bool), expr: l.expr, bare_number: false };
                };
                let mut list = Vec::new();
                for item in items {
                    let t = self.expr(file, item, scope, owner);
                    self.compare(file, ast::CmpOp::Eq, op_span, lhs, item, &l, &t);
                    list.push(t.expr);
                }
                Typed { ty: Some(Type::Bool), expr: Expr::In { value: Box::new(l.expr), list }, bare_number: false }
            }
            BinaryOp::Mul | BinaryOp::Div => self.product(file, op, op_span, lhs, rhs, scope, owner),
            BinaryOp::Add | BinaryOp::Sub => {
                let l = self.expr(file, lhs, scope, owner);
                let r = self.expr(file, rhs, scope, owner);
                let ty = match (&l.ty, &r.ty) {
                    (None, _) | (_, None) => None,
                    (Some(a @ (Type::Money | Type::Number)), Some(b @ (Type::Money | Type::Number))) if a != b => {
                        self.money_plus_number(file, op, op_span, lhs, rhs, a);
                        None
                    }
                    (Some(a), Some(b)) => match arithmetic(a, b, op == BinaryOp::Add) {
                        Some(t) => Some(t),
                        None => {
                            self.push(
                                Diagnostic::new(
                                    "J201",
                                    format!("cannot {} {} and {}", if op == BinaryOp::Add { "add" } else { "subtract" }, a.describe(), b.describe()),
                                )
                                .primary(file, op_span, "incompatible operands")
                                .secondary(file, lhs.span, a.describe())
                                .secondary(file, rhs.span, b.describe())
                                .help("dates move by durations (`renewal_date - 30d`); numbers and money add to their own kind"),
                            );
                            None
                        }
                    },
                };
                let (lhs, rhs) = (Box::new(l.expr), Box::new(r.expr));
                let expr = if op == BinaryOp::Add { Expr::Add { lhs, rhs } } else { Expr::Sub { lhs, rhs } };
                Typed { ty, expr, bare_number: false }
            }
        }
    }

    /// Report what makes two operands incomparable.
    #[allow(clippy::too_many_arguments)]
    fn compare(
        &mut self,
        file: FileId,
        cmp: ast::CmpOp,
        op_span: Span,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
        l: &Typed,
        r: &Typed,
    ) {
        let (Some(a), Some(b)) = (&l.ty, &r.ty) else { return };
        let ordering = !matches!(cmp, ast::CmpOp::Eq | ast::CmpOp::Ne);
        // enum values: the literal must be one of the choices
        for (choices, other, other_expr) in [(a, b, rhs), (b, a, lhs)] {
            if let (Type::OneOf { choices }, Type::Text) = (choices, other) {
                if let ExprKind::Literal(Literal::String(s)) = &other_expr.kind {
                    if !choices.contains(&s.value) {
                        let cands: Vec<&str> = choices.iter().map(String::as_str).collect();
                        let list: Vec<String> = choices.iter().map(|c| format!("\"{c}\"")).collect();
                        let help = match suggest::closest(&s.value, cands) {
                            Some(c) => format!("did you mean \"{c}\"?"),
                            None => format!("the choices are {}", list.join(", ")),
                        };
                        self.push(
                            Diagnostic::new("J202", format!("\"{}\" is not one of the declared choices", s.value))
                                .primary(file, s.span, "not a declared choice")
                                .help(help),
                        );
                    }
                }
                if ordering {
                    self.push(
                        Diagnostic::new("J201", format!("`{}` cannot order choices", cmp.as_str()))
                            .primary(file, op_span, "choices have no order")
                            .help("compare choices with `==`, `!=` or `in`"),
                    );
                }
                return;
            }
        }
        let unit = |t: &Type| matches!(t, Type::Duration | Type::Percent);
        if (unit(a) && *b == Type::Number && r.bare_number) || (unit(b) && *a == Type::Number && l.bare_number) {
            let (unit_ty, number_span) = if unit(a) { (a, rhs.span) } else { (b, lhs.span) };
            let example = if *unit_ty == Type::Duration { "60d, 12h or 2w" } else { "10%" };
            self.push(
                Diagnostic::new("J203", format!("a {} is compared with a bare number", unit_ty.describe()))
                    .primary(file, number_span, "no unit")
                    .secondary(file, if unit(a) { lhs.span } else { rhs.span }, unit_ty.describe())
                    .help(format!("give the number its unit, e.g. {example}")),
            );
            return;
        }
        if !comparable(a, b, l.bare_number || r.bare_number) {
            self.push(
                Diagnostic::new("J201", format!("cannot compare {} with {}", a.describe(), b.describe()))
                    .primary(file, op_span, "incompatible types")
                    .secondary(file, lhs.span, a.describe())
                    .secondary(file, rhs.span, b.describe())
                    .help("both sides of a comparison must have the same type"),
            );
            return;
        }
        if ordering && matches!(a, Type::Bool | Type::Text | Type::Timezone) {
            self.push(
                Diagnostic::new("J201", format!("`{}` cannot order {} values", cmp.as_str(), a.describe()))
                    .primary(file, op_span, "no order")
                    .help("compare these with `==` or `!=`"),
            );
        }
    }

    fn call(
        &mut self,
        file: FileId,
        function: &ast::Ident,
        args: &[ast::CallArg],
        span: Span,
        scope: Scope,
        owner: Option<&'a str>,
    ) -> Typed {
        let f = function.name.as_str();
        // issue 15, accounts: `account.count(login, 7d)` aggregates the events of every
        // customer of the account
        if let Some(inner) = f.strip_prefix("account.") {
            if !FUNCTIONS.contains(&inner) || inner == "latest" {
                let all: Vec<String> =
                    FUNCTIONS.iter().filter(|f| **f != "latest").map(|f| format!("account.{f}")).collect();
                let all: Vec<&str> = all.iter().map(String::as_str).collect();
                self.push(
                    Diagnostic::new("J101", format!("unknown account function `{f}`"))
                        .primary(file, function.span, "not an aggregate over an account's events")
                        .help(suggest::help_for("function", f, &all)),
                );
                return error_typed();
            }
            let plain = ast::Ident { name: inner.to_string(), span: function.span };
            let t = self.call(file, &plain, args, span, scope, owner);
            self.account_reads.push(crate::context::AccountRead {
                file,
                span,
                text: self.sources.get(file).text[span.start as usize..span.end as usize].to_string(),
            });
            let expr = match t.expr {
                // `since(DATE_ATTRIBUTE)` reads no events
                Expr::Aggregate(Aggregate::SinceAttribute { .. }) => t.expr,
                Expr::Aggregate(a) => Expr::AccountAggregate(a),
                other => other,
            };
            return Typed { expr, ..t };
        }
        if crate::scores::NUMERIC_FUNCTIONS.contains(&f) {
            return self.numeric_call(file, function, args, span, scope, owner);
        }
        if !FUNCTIONS.contains(&f) {
            let all: Vec<&str> = FUNCTIONS.iter().chain(crate::scores::NUMERIC_FUNCTIONS).copied().collect();
            let help = suggest::help_for("function", f, &all);
            self.push(
                Diagnostic::new("J101", format!("unknown function `{f}`"))
                    .primary(file, function.span, "not a known aggregate")
                    .help(help),
            );
            return error_typed();
        }
        let usage = match f {
            "count" => "count(EVENT [where CONDITION], WINDOW?)",
            "sum" | "avg" => "sum(EVENT.PROPERTY [where CONDITION], WINDOW?)",
            "since" => "since(EVENT [where CONDITION]) or since(DATE_ATTRIBUTE)",
            "latest" => "latest(EVENT.PROPERTY [where CONDITION])",
            _ => "since_first(EVENT [where CONDITION])",
        };
        let max_args = if matches!(f, "since" | "since_first" | "latest") { 1 } else { 2 };
        if args.is_empty() || args.len() > max_args {
            self.push(
                Diagnostic::new(
                    "J205",
                    format!("`{f}` takes {}", if max_args == 1 { "one argument" } else { "one or two arguments" }),
                )
                .primary(file, span, format!("{} given", args.len()))
                .help(format!("write {usage}")),
            );
            return error_typed();
        }
        // the optional window
        let window = match args.get(1) {
            Some(w) => match &w.value.kind {
                ExprKind::Literal(Literal::Duration(d)) => Some(d.minutes()),
                _ => {
                    self.push(
                        Diagnostic::new("J205", format!("the window of `{f}` must be a duration"))
                            .primary(file, w.span, "not a duration")
                            .help("write a duration such as 30d or 52w"),
                    );
                    None
                }
            },
            None => None,
        };
        let arg = &args[0];
        // since(attribute)
        if f == "since" {
            if let ExprKind::Path(parts) = &arg.value.kind {
                if parts.len() == 1 {
                    if let Some(ty) = self.attr_types.get(parts[0].name.as_str()) {
                        if !matches!(ty, Type::Date | Type::Time) {
                            self.push(
                                Diagnostic::new(
                                    "J205",
                                    format!(
                                        "`since` needs an event or a date attribute, and `{}` is {}",
                                        parts[0].name,
                                        ty.describe()
                                    ),
                                )
                                .primary(file, parts[0].span, ty.describe())
                                .help("use an event name or an attribute of type date or time"),
                            );
                        }
                        return Typed {
                            ty: Some(Type::Duration),
                            expr: Expr::Aggregate(Aggregate::SinceAttribute { attribute: parts[0].name.clone() }),
                            bare_number: false,
                        };
                    }
                }
            }
        }
        let Some((event, property)) = self.aggregate_subject(file, f, arg, usage) else {
            return error_typed();
        };
        let filter = arg.filter.as_ref().map(|w| Box::new(self.condition(file, w, Scope::Event(event), owner)));
        let _ = scope;
        let event_s = event.to_string();
        let (ty, agg) = match f {
            "count" => (Type::Number, Aggregate::Count { event: event_s, filter, window_minutes: window }),
            "sum" | "avg" => {
                let Some((prop, pty)) = property else { return error_typed() };
                let agg = if f == "sum" {
                    Aggregate::Sum { event: event_s, property: prop, filter, window_minutes: window }
                } else {
                    Aggregate::Avg { event: event_s, property: prop, filter, window_minutes: window }
                };
                (pty, agg)
            }
            "since" => (Type::Duration, Aggregate::Since { event: event_s, filter }),
            "latest" => {
                let Some((prop, pty)) = property else { return error_typed() };
                (pty, Aggregate::Latest { event: event_s, property: prop, filter })
            }
            _ => (Type::Duration, Aggregate::SinceFirst { event: event_s, filter }),
        };
        Typed { ty: Some(ty), expr: Expr::Aggregate(agg), bare_number: false }
    }

    /// issue 15, accounts: `account.NAME`. `None` when NAME is no attribute and
    /// `account` names an event (then the caller's J104 says what is wrong).
    fn account_attribute(&mut self, file: FileId, name: &ast::Ident, span: Span) -> Option<Typed> {
        let n = name.name.as_str();
        if self.account_attrs.contains(n) {
            let ty = self.attr_types.get(n).cloned();
            self.account_reads.push(crate::context::AccountRead { file, span, text: format!("account.{n}") });
            return Some(Typed { ty, expr: Expr::Attribute { name: n.to_string() }, bare_number: false });
        }
        if self.poison.covers(ast::DeclKind::Attribute, n) {
            return Some(error_typed());
        }
        if self.attr_types.contains_key(n) {
            self.push(
                Diagnostic::new("J101", format!("`{n}` is not an account attribute"))
                    .primary(file, name.span, "an attribute of each customer")
                    .help(format!(
                        "read the customer's own value as `{n}`, or declare it `account attribute {n}: …` \
                         if it is the same for everyone in an account"
                    )),
            );
            return Some(error_typed());
        }
        if self.events.contains_key("account") {
            return None;
        }
        let mut candidates: Vec<&str> = self.account_attrs.iter().copied().collect();
        candidates.sort_unstable();
        let help = if candidates.is_empty() {
            "declare account-level values with `account attribute NAME: TYPE`".to_string()
        } else {
            suggest::help_for("account attribute", n, &candidates)
        };
        self.push(
            Diagnostic::new("J101", format!("unknown account attribute `{n}`"))
                .primary(file, name.span, "not declared with `account attribute`")
                .help(help),
        );
        Some(error_typed())
    }

    /// The event (and for sum/avg the numeric property) an aggregate ranges over.
    fn aggregate_subject(
        &mut self,
        file: FileId,
        f: &str,
        arg: &ast::CallArg,
        usage: &str,
    ) -> Option<(&'a str, Option<(String, Type)>)> {
        let ExprKind::Path(parts) = &arg.value.kind else {
            self.push(
                Diagnostic::new("J205", format!("`{f}` needs an event"))
                    .primary(file, arg.value.span, "not an event")
                    .help(format!("write {usage}")),
            );
            return None;
        };
        let event_ident = &parts[0];
        let Some((&event, _)) = self.events.get_key_value(event_ident.name.as_str()) else {
            let names = self.event_names();
            self.undefined(file, "event", event_ident, &names);
            return None;
        };
        let wants_property = matches!(f, "sum" | "avg" | "latest");
        match (wants_property, parts.len()) {
            (false, 1) => Some((event, None)),
            (true, 2) => {
                let pname = &parts[1];
                let props = self.event_props.get(event).cloned().unwrap_or_default();
                let Some((_, pty)) = props.iter().find(|(p, _)| *p == pname.name) else {
                    let names: Vec<&str> = props.iter().map(|(p, _)| p.as_str()).collect();
                    let help = suggest::help_for("property", &pname.name, &names);
                    self.push(
                        Diagnostic::new("J103", format!("event `{event}` has no property `{}`", pname.name))
                            .primary(file, pname.span, "unknown property")
                            .help(help),
                    );
                    return None;
                };
                if !matches!(pty, Type::Number | Type::Money | Type::Duration) {
                    self.push(
                        Diagnostic::new(
                            "J205",
                            format!(
                                "`{f}` needs a numeric property, and `{}.{}` is {}",
                                event,
                                pname.name,
                                pty.describe()
                            ),
                        )
                        .primary(file, pname.span, pty.describe())
                        .help(
                            "sum, avg and latest work on number, money and duration properties; use count for the rest",
                        ),
                    );
                    return None;
                }
                Some((event, Some((pname.name.clone(), pty.clone()))))
            }
            (true, _) => {
                self.push(
                    Diagnostic::new("J205", format!("`{f}` needs an event property"))
                        .primary(file, arg.value.span, "which property?")
                        .help(format!("write {usage}")),
                );
                None
            }
            (false, _) => {
                self.push(
                    Diagnostic::new("J205", format!("`{f}` counts events, not properties"))
                        .primary(file, arg.value.span, "a property")
                        .help(format!("write {usage}; filter with `where`")),
                );
                None
            }
        }
    }
}

fn error_typed() -> Typed {
    Typed { ty: None, expr: Expr::Const { value: Value::Bool(false) }, bare_number: false }
}

fn join(parts: &[ast::Ident]) -> String {
    parts.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(".")
}

fn literal(l: &Literal) -> Typed {
    let (ty, value, bare) = match l {
        Literal::Number(n) => (Type::Number, Value::Number(n.value), true),
        Literal::Money(m) => (Type::Money, Value::Money(m.amount), false),
        Literal::Percent(p) => (Type::Percent, Value::Percent(p.value), false),
        Literal::Duration(d) => (Type::Duration, Value::DurationMinutes(d.minutes()), false),
        Literal::Date(d) => (Type::Date, Value::Date(format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)), false),
        Literal::Time(t) => (Type::TimeOfDay, Value::TimeOfDay(t.minutes_after_midnight()), false),
        Literal::String(s) => (Type::Text, Value::Text(s.value.clone()), false),
        Literal::Bool(b, _) => (Type::Bool, Value::Bool(*b), false),
    };
    Typed { ty: Some(ty), expr: Expr::Const { value }, bare_number: bare }
}

fn comparable(a: &Type, b: &Type, bare_number: bool) -> bool {
    use Type::*;
    match (a, b) {
        (x, y) if x == y => true,
        (Money, Number) | (Number, Money) => bare_number,
        (Date, Time) | (Time, Date) => true,
        (OneOf { .. }, Text) | (Text, OneOf { .. }) => true,
        _ => false,
    }
}

fn arithmetic(a: &Type, b: &Type, add: bool) -> Option<Type> {
    use Type::*;
    match (a, b) {
        (Date, Duration) | (Time, Duration) => Some(a.clone()),
        (Duration, Date) | (Duration, Time) if add => Some(b.clone()),
        (Duration, Duration) | (Number, Number) | (Money, Money) => Some(a.clone()),
        _ => None,
    }
}

fn lower_cmp(c: ast::CmpOp) -> CmpOp {
    match c {
        ast::CmpOp::Eq => CmpOp::Eq,
        ast::CmpOp::Ne => CmpOp::Ne,
        ast::CmpOp::Lt => CmpOp::Lt,
        ast::CmpOp::Le => CmpOp::Le,
        ast::CmpOp::Gt => CmpOp::Gt,
        ast::CmpOp::Ge => CmpOp::Ge,
    }
}

fn flatten_and(l: Expr, r: Expr) -> Expr {
    let mut all = Vec::new();
    for e in [l, r] {
        match e {
            Expr::And { all: inner } => all.extend(inner),
            other => all.push(other),
        }
    }
    Expr::And { all }
}

fn flatten_or(l: Expr, r: Expr) -> Expr {
    let mut any = Vec::new();
    for e in [l, r] {
        match e {
            Expr::Or { any: inner } => any.extend(inner),
            other => any.push(other),
        }
    }
    Expr::Or { any }
}
