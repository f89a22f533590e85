//! Moves every span of an AST fragment: fragments are parsed from a small DSL snippet
//! built around a YAML scalar, and their spans must then point into the YAML file.
//! Exhaustive matches (no `..` on enums), so a new AST node that carries a span and is
//! not handled here fails to compile.

use crate::ast::*;

pub(crate) type MapSpan<'a> = &'a dyn Fn(Span) -> Span;

pub(crate) trait Shift {
    fn shift(&mut self, f: MapSpan);
}

impl Shift for Span {
    fn shift(&mut self, f: MapSpan) {
        *self = f(*self);
    }
}

impl<T: Shift> Shift for Option<T> {
    fn shift(&mut self, f: MapSpan) {
        if let Some(x) = self {
            x.shift(f);
        }
    }
}

impl<T: Shift> Shift for Vec<T> {
    fn shift(&mut self, f: MapSpan) {
        for x in self {
            x.shift(f);
        }
    }
}

impl<T: Shift> Shift for Box<T> {
    fn shift(&mut self, f: MapSpan) {
        (**self).shift(f);
    }
}

macro_rules! shift_struct {
    ($($ty:ident { $($field:ident),* })*) => {$(
        impl Shift for $ty {
            fn shift(&mut self, f: MapSpan) {
                let $ty { $($field),* } = self;
                $( $field.shift(f); )*
            }
        }
    )*};
}

/// Fields that hold no span.
macro_rules! no_span {
    ($($ty:ty),*) => {$(
        impl Shift for $ty {
            fn shift(&mut self, _: MapSpan) {}
        }
    )*};
}
no_span!(String, u64, u32, i32, f64, bool, AudienceEdge, UnaryOp, BinaryOp, CmpOp, DurationUnit, EffectUnit, DeclKind);

shift_struct! {
    Module { items, poisoned }
    Poisoned { kind, name, span }
    Ident { name, span }
    StringLit { value, span }
    EventDecl { name, properties, span }
    Property { name, ty, span }
    AttributeDecl { name, ty, account, span }
    ChannelDecl { name, settings, span }
    QuietHours { from, to, zone, span }
    Cap { count, window, span }
    AudienceDecl { name, condition, span }
    PolicyDecl { settings, span }
    TagList { tags, span }
    JourneyDecl { name, items, span }
    Entry { trigger, span, also }
    AltTrigger { trigger, span }
    AltEvent { event, filter }
    SignedDuration { negative, duration, span }
    Stage { name, steps, span }
    Step { kind, span }
    BranchArm { condition, target, span }
    SplitArm { weight, target, span }
    Goal { name, kind, within, span }
    Guardrail { metric, op, limit, span }
    Assume { target, effect, low, high, span }
    Effect { value, unit, span }
    Expr { kind, span }
    CallArg { value, filter, span }
    Duration { amount, unit, span }
    TimeOfDay { hour, minute, span }
    DateLit { year, month, day, span }
    Number { value, text, span }
    Integer { value, span }
    Percent { value, text, span }
    Money { amount, text, currency, span }
    ScoreDecl { name, value, span }
    ActiveWindow { from, to, span }
    BusinessDays { amount, span }
}

impl Shift for Item {
    fn shift(&mut self, f: MapSpan) {
        match self {
            Item::Event(d) => d.shift(f),
            Item::Attribute(d) => d.shift(f),
            Item::Channel(d) => d.shift(f),
            Item::Audience(d) => d.shift(f),
            Item::Policy(d) => d.shift(f),
            Item::Journey(d) => d.shift(f),
            Item::Score(d) => d.shift(f),
        }
    }
}

impl Shift for TypeExpr {
    fn shift(&mut self, f: MapSpan) {
        match self {
            TypeExpr::Named(i) => i.shift(f),
            TypeExpr::OneOf { choices, span } => {
                choices.shift(f);
                span.shift(f);
            }
        }
    }
}

impl Shift for ChannelSetting {
    fn shift(&mut self, f: MapSpan) {
        match self {
            ChannelSetting::Kind(i) | ChannelSetting::Consent(i) | ChannelSetting::Category(i) => i.shift(f),
            ChannelSetting::QuietHours(q) => q.shift(f),
            ChannelSetting::Cap(c) => c.shift(f),
            ChannelSetting::MinGap(d) => d.shift(f),
        }
    }
}

impl Shift for Zone {
    fn shift(&mut self, f: MapSpan) {
        match self {
            Zone::Local(s) => s.shift(f),
            Zone::Named(s) => s.shift(f),
        }
    }
}

impl Shift for PolicySetting {
    fn shift(&mut self, f: MapSpan) {
        match self {
            PolicySetting::Cap { channels, cap } => {
                channels.shift(f);
                cap.shift(f);
            }
            PolicySetting::MinGap(d) => d.shift(f),
            PolicySetting::QuietDays { days, span } => {
                days.shift(f);
                span.shift(f);
            }
            PolicySetting::Conflicting(t) => t.shift(f),
        }
    }
}

impl Shift for ChannelSet {
    fn shift(&mut self, f: MapSpan) {
        match self {
            ChannelSet::Any(s) => s.shift(f),
            ChannelSet::Some(v) => v.shift(f),
        }
    }
}

impl Shift for DayRef {
    fn shift(&mut self, f: MapSpan) {
        match self {
            DayRef::Date(d) => d.shift(f),
            DayRef::Weekday(i) => i.shift(f),
        }
    }
}

impl Shift for JourneyItem {
    fn shift(&mut self, f: MapSpan) {
        match self {
            JourneyItem::Title(s) | JourneyItem::Owner(s) => s.shift(f),
            JourneyItem::Priority(i) => i.shift(f),
            JourneyItem::Tags(t) => t.shift(f),
            JourneyItem::Entry(e) => e.shift(f),
            JourneyItem::Audience(e) => e.shift(f),
            JourneyItem::ReEntry(r) => r.shift(f),
            JourneyItem::Exit(e) => e.shift(f),
            JourneyItem::Holdout(p) => p.shift(f),
            JourneyItem::Active(a) => a.shift(f),
            JourneyItem::ForAccount(s) => s.shift(f),
            JourneyItem::Stage(s) => s.shift(f),
            JourneyItem::Goal(g) => g.shift(f),
            JourneyItem::Guardrail(g) => g.shift(f),
            JourneyItem::Assume(a) => a.shift(f),
        }
    }
}

impl Shift for Trigger {
    fn shift(&mut self, f: MapSpan) {
        match self {
            Trigger::Event { event, filter } => {
                event.shift(f);
                filter.shift(f);
            }
            Trigger::Audience { audience, edge, edge_span } => {
                audience.shift(f);
                edge.shift(f);
                edge_span.shift(f);
            }
            Trigger::Schedule { period, at, zone } => {
                period.shift(f);
                at.shift(f);
                zone.shift(f);
            }
            Trigger::Date { attribute, offset, at } => {
                attribute.shift(f);
                offset.shift(f);
                at.shift(f);
            }
            Trigger::Condition { condition } => condition.shift(f),
        }
    }
}

impl Shift for SchedulePeriod {
    fn shift(&mut self, f: MapSpan) {
        match self {
            SchedulePeriod::Named(i) => i.shift(f),
            SchedulePeriod::Monthly { day, span } => {
                day.shift(f);
                span.shift(f);
            }
        }
    }
}

impl Shift for ReEntry {
    fn shift(&mut self, f: MapSpan) {
        match self {
            ReEntry::Never(s) | ReEntry::Always(s) => s.shift(f),
            ReEntry::After { duration, span } => {
                duration.shift(f);
                span.shift(f);
            }
        }
    }
}

impl Shift for Exit {
    fn shift(&mut self, f: MapSpan) {
        match self {
            Exit::OnEvent { event, filter, span } => {
                event.shift(f);
                filter.shift(f);
                span.shift(f);
            }
            Exit::When { condition, span } => {
                condition.shift(f);
                span.shift(f);
            }
        }
    }
}

impl Shift for StepKind {
    fn shift(&mut self, f: MapSpan) {
        match self {
            StepKind::Send { channel, template, tags } => {
                channel.shift(f);
                template.shift(f);
                tags.shift(f);
            }
            StepKind::Wait(d) => d.shift(f),
            StepKind::WaitUntilTime { at, zone } => {
                at.shift(f);
                zone.shift(f);
            }
            StepKind::WaitUntilDate(e) => e.shift(f),
            StepKind::WaitFor { timeout, event, filter, then, on_timeout, also } => {
                also.shift(f);
                timeout.shift(f);
                event.shift(f);
                filter.shift(f);
                then.shift(f);
                on_timeout.shift(f);
            }
            StepKind::Branch { arms, otherwise } => {
                arms.shift(f);
                otherwise.shift(f);
            }
            StepKind::Split { name, arms } => {
                name.shift(f);
                arms.shift(f);
            }
            StepKind::Set { attribute, value } => {
                attribute.shift(f);
                value.shift(f);
            }
            StepKind::Task { channel, title, assignee, owner, due, priority } => {
                channel.shift(f);
                title.shift(f);
                assignee.shift(f);
                owner.shift(f);
                due.shift(f);
                priority.shift(f);
            }
            StepKind::Webhook { channel, template } => {
                channel.shift(f);
                template.shift(f);
            }
            StepKind::Goto(t) => t.shift(f),
            StepKind::End => {}
            StepKind::WaitBusinessDays(d) => d.shift(f),
        }
    }
}

impl Shift for TaskOwner {
    fn shift(&mut self, f: MapSpan) {
        match self {
            TaskOwner::Fixed(s) => s.shift(f),
            TaskOwner::Attribute { attribute, queue } => {
                attribute.shift(f);
                queue.shift(f);
            }
        }
    }
}

impl Shift for TaskDue {
    fn shift(&mut self, f: MapSpan) {
        match self {
            TaskDue::Business(b) => b.shift(f),
            TaskDue::Span { amount, hours, span } => {
                amount.shift(f);
                hours.shift(f);
                span.shift(f);
            }
            TaskDue::Duration(d) => d.shift(f),
        }
    }
}

impl Shift for Target {
    fn shift(&mut self, f: MapSpan) {
        match self {
            Target::End(s) => s.shift(f),
            Target::Stage(i) => i.shift(f),
            Target::Journey(i, s) => {
                i.shift(f);
                s.shift(f);
            }
        }
    }
}

impl Shift for GoalKind {
    fn shift(&mut self, f: MapSpan) {
        match self {
            GoalKind::Event { event, filter } => {
                event.shift(f);
                filter.shift(f);
            }
            GoalKind::Reach(i) => i.shift(f),
            GoalKind::Sum { event, property, filter } => {
                event.shift(f);
                property.shift(f);
                filter.shift(f);
            }
        }
    }
}

impl Shift for ExprKind {
    fn shift(&mut self, f: MapSpan) {
        match self {
            ExprKind::Literal(l) => l.shift(f),
            ExprKind::Path(p) => p.shift(f),
            ExprKind::Call { function, args } => {
                function.shift(f);
                args.shift(f);
            }
            ExprKind::List(v) => v.shift(f),
            ExprKind::Unary { op, operand } => {
                op.shift(f);
                operand.shift(f);
            }
            ExprKind::Binary { op, op_span, lhs, rhs } => {
                op.shift(f);
                op_span.shift(f);
                lhs.shift(f);
                rhs.shift(f);
            }
            ExprKind::Paren(e) => e.shift(f),
            ExprKind::IsSet { operand, negated, op_span } => {
                operand.shift(f);
                negated.shift(f);
                op_span.shift(f);
            }
        }
    }
}

impl Shift for Literal {
    fn shift(&mut self, f: MapSpan) {
        match self {
            Literal::Number(n) => n.shift(f),
            Literal::Money(m) => m.shift(f),
            Literal::Percent(p) => p.shift(f),
            Literal::Duration(d) => d.shift(f),
            Literal::Date(d) => d.shift(f),
            Literal::Time(t) => t.shift(f),
            Literal::String(s) => s.shift(f),
            Literal::Bool(b, s) => {
                b.shift(f);
                s.shift(f);
            }
        }
    }
}
