//! AST → canonical text, with the comments put back.
//!
//! The output is built line by line. Every construct that gets a line of its own (an
//! item, a setting, a step, a branch arm…) is a "line node" with a source span. Before
//! printing a line node the printer flushes, as own-line comments at the node's
//! indentation, every comment that starts before the node ends: the comments that led
//! it, and any comment inside it (there is no canonical place for a comment in the
//! middle of a condition, so it moves just above). After printing the node, comments
//! that followed it on the same source line stay at the end of its line. Comments
//! before a closing `}` are flushed inside the block; the rest at the end of the file.
//!
//! Blank lines: at most one is kept wherever the author put one or more, except right
//! after `{` and right before `}`. Top-level declarations are separated by a blank line,
//! unless they are consecutive one-line declarations of the same kind, which keep the
//! author's grouping.

use crate::comments::{has_blank_line, next_token, Comment};
use crate::expr::{self, duration, effect, expr, integer, percent, slice, string, time};
use crate::FormatOptions;
use journey_syntax::ast::*;

/// What to do about a blank line before the next printed line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Blank {
    /// Keep one if the author left one.
    Preserve,
    /// Never (first line of a block, `}`).
    Suppress,
    /// Always (between top-level declarations).
    Force,
}

pub struct Printer<'a> {
    src: &'a str,
    opts: &'a FormatOptions,
    comments: &'a [Comment],
    /// The first comment not printed yet.
    next_comment: usize,
    out: String,
    depth: usize,
    /// Source offset just past the last node or comment printed: the gap from here to
    /// the next one tells whether the author left a blank line.
    cursor: usize,
    blank: Blank,
}

impl<'a> Printer<'a> {
    pub fn new(src: &'a str, comments: &'a [Comment], opts: &'a FormatOptions) -> Self {
        Printer {
            src,
            opts,
            comments,
            next_comment: 0,
            out: String::new(),
            depth: 0,
            cursor: 0,
            blank: Blank::Suppress,
        }
    }

    pub fn module(mut self, module: &Module) -> String {
        let mut previous: Option<&Item> = None;
        for item in &module.items {
            if let Some(prev) = previous {
                self.blank = if self.grouped(prev, item) { Blank::Preserve } else { Blank::Force };
            }
            self.item(item);
            previous = Some(item);
        }
        // Comments after the last declaration stay at the end of the file.
        self.comments_before(usize::MAX);
        self.out
    }

    // ------------------------------------------------------------ line machinery

    /// Starts an output line: a blank line first if the policy says so, then the
    /// indentation.
    fn start_line(&mut self, blank_in_source: bool) {
        let blank = match self.blank {
            Blank::Force => true,
            Blank::Suppress => false,
            Blank::Preserve => blank_in_source,
        };
        if blank && !self.out.is_empty() {
            self.out.push('\n');
        }
        self.blank = Blank::Preserve;
        let width = self.depth * self.opts.indent;
        self.out.push_str(&" ".repeat(width));
    }

    fn blank_between(&self, from: usize, to: usize) -> bool {
        from <= to && has_blank_line(&self.src[from..to.min(self.src.len())])
    }

    /// Prints, each on its own line, every pending comment that starts before `upto`.
    fn comments_before(&mut self, upto: usize) {
        while let Some(c) = self.comments.get(self.next_comment).filter(|c| c.start < upto) {
            let blank = self.blank_between(self.cursor, c.start);
            self.start_line(blank);
            self.out.push_str(&c.text);
            self.out.push('\n');
            self.cursor = self.cursor.max(c.end);
            self.next_comment += 1;
        }
    }

    /// Begins the line of a node spanning `start..end` of the source: flushes the
    /// comments before and inside it, then indents.
    fn open(&mut self, start: usize, end: usize) {
        self.comments_before(end);
        let blank = self.blank_between(self.cursor, start);
        self.start_line(blank);
    }

    /// Ends the current line after a node that ends at `end`, keeping the comments that
    /// follow it on its source line (a separating comma may stand between).
    fn close(&mut self, end: usize) {
        self.cursor = self.cursor.max(end);
        let mut first = true;
        while let Some(c) = self.comments.get(self.next_comment) {
            if c.start < self.cursor || !self.src[self.cursor..c.start].chars().all(|ch| matches!(ch, ' ' | '\t' | ','))
            {
                break;
            }
            self.out.push_str(if first { "  " } else { " " });
            self.out.push_str(&c.text);
            self.cursor = c.end;
            self.next_comment += 1;
            first = false;
        }
        self.out.push('\n');
    }

    /// Where the node whose span ends at `end` really ends. pest lets a rule that ends
    /// in an optional part (`event x` + optional property list, a send + optional
    /// tags…) keep the whitespace and comments it skipped looking for that part, so
    /// such spans can run over the comments that follow the node.
    fn token_end(&self, end: usize) -> usize {
        let bytes = self.src.as_bytes();
        let mut pos = end.min(bytes.len());
        loop {
            while pos > 0 && bytes[pos - 1].is_ascii_whitespace() {
                pos -= 1;
            }
            match self.comments.binary_search_by_key(&pos, |c| c.end) {
                Ok(i) => pos = self.comments[i].start,
                Err(_) => return pos,
            }
        }
    }

    /// A node printed on one line.
    fn line(&mut self, start: usize, end: usize, text: &str) {
        let end = self.token_end(end);
        self.open(start, end);
        self.out.push_str(text);
        self.close(end);
    }

    /// `header {` for a block starting at `start` whose `{` comes after `after`.
    /// The body follows one level deeper.
    fn open_block(&mut self, start: usize, after: usize, header: &str) {
        let brace = next_token(self.src, after);
        debug_assert_eq!(self.src.as_bytes().get(brace), Some(&b'{'), "block brace");
        self.open(start, brace);
        self.out.push_str(header);
        self.out.push_str(" {");
        self.close(brace + 1);
        self.depth += 1;
        self.blank = Blank::Suppress;
    }

    /// The `}` of a block ending at `end`; comments before it stay inside the block.
    fn close_block(&mut self, end: usize) {
        let end = self.token_end(end);
        let brace = end - 1;
        debug_assert_eq!(self.src.as_bytes().get(brace), Some(&b'}'), "block end");
        self.comments_before(brace);
        self.depth -= 1;
        self.blank = Blank::Suppress;
        self.start_line(false);
        self.out.push('}');
        self.close(end);
    }

    fn lit(&self, s: &StringLit) -> String {
        string(&s.value)
    }

    fn expr(&self, e: &Expr) -> String {
        expr(self.src, e)
    }

    // ------------------------------------------------------------ top level

    /// Whether two consecutive declarations may stand without a blank line between
    /// them: one-liners of the same kind, grouped as the author grouped them.
    fn grouped(&self, a: &Item, b: &Item) -> bool {
        match (a, b) {
            (Item::Event(a), Item::Event(b)) => self.event_one_line(a).is_some() && self.event_one_line(b).is_some(),
            (Item::Attribute(_), Item::Attribute(_))
            | (Item::Audience(_), Item::Audience(_))
            | (Item::Score(_), Item::Score(_)) => true,
            _ => false,
        }
    }

    fn item(&mut self, item: &Item) {
        let span = item.span();
        let (start, end) = (span.start as usize, span.end as usize);
        match item {
            Item::Event(e) => self.event(e),
            Item::Attribute(a) => {
                let marker = if a.account { "account " } else { "" };
                let text = format!("{marker}attribute {}: {}", a.name.name, self.type_expr(&a.ty));
                self.line(start, end, &text);
            }
            Item::Channel(c) => {
                self.open_block(start, c.name.span.end as usize, &format!("channel {}", c.name.name));
                for setting in &c.settings {
                    self.channel_setting(setting);
                }
                self.close_block(end);
            }
            Item::Audience(a) => {
                let text = format!("audience {} = {}", a.name.name, self.expr(&a.condition));
                self.line(start, end, &text);
            }
            Item::Score(d) => {
                let text = format!("score {} = {}", d.name.name, self.expr(&d.value));
                self.line(start, end, &text);
            }
            Item::Policy(p) => {
                self.open_block(start, start + "policy".len(), "policy");
                for setting in &p.settings {
                    self.policy_setting(setting);
                }
                self.close_block(end);
            }
            Item::Journey(j) => {
                self.open_block(start, j.name.span.end as usize, &format!("journey {}", j.name.name));
                for item in &j.items {
                    self.journey_item(item);
                }
                self.close_block(end);
            }
        }
    }

    fn type_expr(&self, ty: &TypeExpr) -> String {
        match ty {
            TypeExpr::Named(name) => name.name.clone(),
            TypeExpr::OneOf { choices, .. } => {
                let choices: Vec<String> = choices.iter().map(|c| self.lit(c)).collect();
                format!("one_of({})", choices.join(", "))
            }
        }
    }

    /// `event name { a: text, b: money }` when that fits the width and no comment sits
    /// inside the braces (a comment needs a line to live on).
    fn event_one_line(&self, e: &EventDecl) -> Option<String> {
        if e.properties.is_empty() {
            return Some(format!("event {}", e.name.name));
        }
        // Comments before the `{` go above the declaration either way.
        let brace = next_token(self.src, e.name.span.end as usize);
        let end = self.token_end(e.span.end as usize);
        if self.comments.iter().any(|c| c.start > brace && c.start < end) {
            return None;
        }
        let props: Vec<String> = e.properties.iter().map(|p| self.property(p)).collect();
        let text = format!("event {} {{ {} }}", e.name.name, props.join(", "));
        (text.chars().count() <= self.opts.max_width).then_some(text)
    }

    fn property(&self, p: &Property) -> String {
        format!("{}: {}", p.name.name, self.type_expr(&p.ty))
    }

    fn event(&mut self, e: &EventDecl) {
        let (start, end) = (e.span.start as usize, e.span.end as usize);
        if let Some(text) = self.event_one_line(e) {
            return self.line(start, end, &text);
        }
        self.open_block(start, e.name.span.end as usize, &format!("event {}", e.name.name));
        for p in &e.properties {
            let text = format!("{},", self.property(p));
            self.line(p.span.start as usize, p.span.end as usize, &text);
        }
        self.close_block(end);
    }

    fn channel_setting(&mut self, s: &ChannelSetting) {
        let src = self.src;
        let (span, text) = match s {
            ChannelSetting::Kind(k) => (k.span, format!("kind {}", k.name)),
            ChannelSetting::Consent(c) => (c.span, format!("consent {}", c.name)),
            ChannelSetting::QuietHours(q) => {
                (q.span, format!("quiet_hours {}..{}{}", time(src, &q.from), time(src, &q.to), self.zone(&q.zone)))
            }
            ChannelSetting::Cap(c) => (c.span, format!("cap {}", self.cap(c))),
            ChannelSetting::MinGap(d) => (d.span, format!("min_gap {}", duration(src, d))),
            ChannelSetting::Category(c) => (c.span, format!("category {}", c.name)),
        };
        self.line(span.start as usize, span.end as usize, &text);
    }

    fn zone(&self, zone: &Option<Zone>) -> String {
        match zone {
            None => String::new(),
            Some(Zone::Local(_)) => " local".to_string(),
            Some(Zone::Named(name)) => format!(" {}", self.lit(name)),
        }
    }

    fn cap(&self, c: &Cap) -> String {
        format!("{} per {}", integer(self.src, &c.count), duration(self.src, &c.window))
    }

    fn tags(&self, t: &TagList) -> String {
        let names: Vec<&str> = t.tags.iter().map(|t| t.name.as_str()).collect();
        format!("[{}]", names.join(", "))
    }

    fn policy_setting(&mut self, s: &PolicySetting) {
        let src = self.src;
        let (span, text) = match s {
            PolicySetting::Cap { channels, cap } => {
                let set = match channels {
                    ChannelSet::Any(_) => "any".to_string(),
                    ChannelSet::Some(names) => names.iter().map(|n| n.name.as_str()).collect::<Vec<_>>().join(", "),
                };
                (cap.span, format!("cap {set} {}", self.cap(cap)))
            }
            PolicySetting::MinGap(d) => (d.span, format!("min_gap {}", duration(src, d))),
            PolicySetting::QuietDays { days, span } => {
                let days: Vec<String> = days
                    .iter()
                    .map(|d| match d {
                        DayRef::Date(d) => slice(src, d.span).to_string(),
                        DayRef::Weekday(w) => w.name.clone(),
                    })
                    .collect();
                (*span, format!("quiet_days [{}]", days.join(", ")))
            }
            PolicySetting::Conflicting(t) => (t.span, format!("conflicting {}", self.tags(t))),
        };
        self.line(span.start as usize, span.end as usize, &text);
    }

    // ------------------------------------------------------------ journeys

    fn journey_item(&mut self, item: &JourneyItem) {
        let src = self.src;
        // Some items keep only the span of their value, not of their keyword; that
        // span is close enough to place comments and blank lines around the item.
        let (span, text) = match item {
            JourneyItem::Stage(stage) => return self.stage(stage),
            JourneyItem::Title(s) => (s.span, format!("title {}", self.lit(s))),
            JourneyItem::Owner(s) => (s.span, format!("owner {}", self.lit(s))),
            JourneyItem::Priority(i) => (i.span, format!("priority {}", integer(src, i))),
            JourneyItem::Tags(t) => (t.span, format!("tags {}", self.tags(t))),
            JourneyItem::Entry(e) => (e.span, format!("entry {}", self.triggers(e))),
            JourneyItem::Audience(e) => (e.span, format!("audience {}", self.expr(e))),
            JourneyItem::ReEntry(r) => match r {
                ReEntry::Never(sp) => (*sp, "re_entry never".to_string()),
                ReEntry::Always(sp) => (*sp, "re_entry always".to_string()),
                ReEntry::After { duration: d, span } => (*span, format!("re_entry after {}", duration(src, d))),
            },
            JourneyItem::Exit(Exit::OnEvent { event, filter, span }) => {
                (*span, format!("exit on {}{}", event.name, self.filter(filter)))
            }
            JourneyItem::Exit(Exit::When { condition, span }) => (*span, format!("exit when {}", self.expr(condition))),
            JourneyItem::Holdout(p) => (p.span, format!("holdout {}", percent(p))),
            JourneyItem::Active(a) => (a.span, format!("active from {} to {}", date_text(&a.from), date_text(&a.to))),
            JourneyItem::ForAccount(sp) => (*sp, "for account".to_string()),
            JourneyItem::Goal(g) => {
                let within = duration(src, &g.within);
                let text = match &g.kind {
                    GoalKind::Event { event, filter } => {
                        format!("{}{} within {within}", event.name, self.filter(filter))
                    }
                    GoalKind::Reach(stage) => format!("reach {} within {within}", stage.name),
                    // issue 15: the window is inside the parentheses
                    GoalKind::Sum { event, property, filter } => {
                        format!("sum({}.{}{} within {within})", event.name, property.name, self.filter(filter))
                    }
                };
                (g.span, format!("goal {} = {text}", g.name.name))
            }
            JourneyItem::Guardrail(g) => {
                let limit = match &g.limit {
                    Literal::Percent(p) => percent(p),
                    other => expr::literal(src, other),
                };
                (g.span, format!("guardrail {} {} {limit}", g.metric.name, g.op.as_str()))
            }
            JourneyItem::Assume(a) => (
                a.span,
                format!(
                    "assume {} {} ({}..{})",
                    a.target.name,
                    effect(src, &a.effect),
                    effect(src, &a.low),
                    effect(src, &a.high)
                ),
            ),
        };
        self.line(span.start as usize, span.end as usize, &text);
    }

    /// An entry's triggers, after `entry`: several as `on signup or on trial_started`.
    pub(crate) fn triggers(&self, e: &Entry) -> String {
        let mut text = self.trigger(&e.trigger);
        for alt in &e.also {
            text.push_str(&format!(" or {}", self.trigger(&alt.trigger)));
        }
        text
    }

    fn filter(&self, filter: &Option<Expr>) -> String {
        filter.as_ref().map_or(String::new(), |f| format!(" where {}", self.expr(f)))
    }

    fn trigger(&self, t: &Trigger) -> String {
        let src = self.src;
        match t {
            Trigger::Event { event, filter } => format!("on {}{}", event.name, self.filter(filter)),
            Trigger::Audience { audience, edge, .. } => {
                let edge = match edge {
                    AudienceEdge::Entered => "entered",
                    AudienceEdge::Exited => "exited",
                };
                format!("when audience {} {edge}", audience.name)
            }
            Trigger::Schedule { period, at, zone } => {
                let period = match period {
                    SchedulePeriod::Named(name) => name.name.clone(),
                    SchedulePeriod::Monthly { day, .. } => {
                        format!("month on {}", integer(src, day))
                    }
                };
                format!("every {period} at {}{}", time(src, at), self.zone(zone))
            }
            Trigger::Date { attribute, offset, at } => {
                let mut text = format!("at {}", attribute.name);
                if let Some(o) = offset {
                    text.push_str(if o.negative { " - " } else { " + " });
                    text.push_str(&duration(src, &o.duration));
                }
                if let Some(at) = at {
                    text.push_str(&format!(" at {}", time(src, at)));
                }
                text
            }
            Trigger::Condition { condition } => format!("when {}", self.expr(condition)),
        }
    }

    fn target(&self, t: &Target) -> String {
        match t {
            Target::End(_) => "end".to_string(),
            Target::Stage(name) => name.name.clone(),
            Target::Journey(name, _) => format!("journey {}", name.name),
        }
    }

    fn stage(&mut self, stage: &Stage) {
        let (start, end) = (stage.span.start as usize, stage.span.end as usize);
        self.open_block(start, stage.name.span.end as usize, &format!("stage {}", stage.name.name));
        for step in &stage.steps {
            self.step(step);
        }
        self.close_block(end);
    }

    fn step(&mut self, step: &Step) {
        let (start, end) = (step.span.start as usize, step.span.end as usize);
        match &step.kind {
            StepKind::WaitFor { timeout, event, filter, then, on_timeout, also } => {
                self.wait_for(start, timeout, (event, filter), also, then, on_timeout)
            }
            StepKind::Branch { arms, otherwise } => self.branch(start, end, arms, otherwise),
            StepKind::Split { name, arms } => self.split(start, end, name, arms),
            _ => {
                let text = self.step_head(step);
                self.line(start, end, &text);
            }
        }
    }

    /// A step's first line as printed: the whole step for a one-line step, the
    /// `wait up to … for …` line of an event wait (its `then`/`timeout` lines follow),
    /// `branch` or `split NAME` for a block.
    pub(crate) fn step_head(&self, step: &Step) -> String {
        let src = self.src;
        match &step.kind {
            StepKind::Send { channel, template, tags } => {
                let tags = tags.as_ref().map_or(String::new(), |t| format!(" tags {}", self.tags(t)));
                format!("send {} {}{tags}", channel.name, self.lit(template))
            }
            StepKind::Wait(d) => format!("wait {}", duration(src, d)),
            StepKind::WaitBusinessDays(d) => format!("wait {}", business_days(d)),
            StepKind::WaitUntilTime { at, zone } => {
                format!("wait until {}{}", time(src, at), self.zone(zone))
            }
            StepKind::WaitUntilDate(e) => {
                if expr::starts_with_time(e) {
                    format!("wait until ({})", self.expr(e))
                } else {
                    format!("wait until {}", self.expr(e))
                }
            }
            StepKind::WaitFor { timeout, event, filter, also, .. } => {
                self.wait_for_head(timeout, (event, filter), also)
            }
            StepKind::Branch { .. } => "branch".to_string(),
            StepKind::Split { name, .. } => name.as_ref().map_or("split".to_string(), |n| format!("split {}", n.name)),
            StepKind::Set { attribute, value } => {
                format!("set {} = {}", attribute.name, self.expr(value))
            }
            StepKind::Task { channel, title, assignee, owner, due, priority } => {
                let mut text = format!("task {} {}", channel.name, self.lit(title));
                if let Some(a) = assignee {
                    text.push_str(&format!(" assign {}", self.lit(a)));
                }
                match owner {
                    Some(TaskOwner::Fixed(o)) => text.push_str(&format!(" owner {}", self.lit(o))),
                    Some(TaskOwner::Attribute { attribute, queue }) => {
                        text.push_str(&format!(" owner attribute {}", attribute.name));
                        if let Some(q) = queue {
                            text.push_str(&format!(" else queue {}", q.name));
                        }
                    }
                    None => {}
                }
                match due {
                    Some(TaskDue::Business(d)) => text.push_str(&format!(" due {}", business_days(d))),
                    Some(TaskDue::Span { amount, hours, .. }) => {
                        let unit = if *hours { "hour" } else { "day" };
                        text.push_str(&format!(" due {amount} {unit}{}", if *amount == 1 { "" } else { "s" }))
                    }
                    Some(TaskDue::Duration(d)) => text.push_str(&format!(" due {}", duration(src, d))),
                    None => {}
                }
                if let Some(p) = priority {
                    text.push_str(&format!(" priority {}", p.name));
                }
                text
            }
            StepKind::Webhook { channel, template } => {
                format!("webhook {} {}", channel.name, self.lit(template))
            }
            StepKind::Goto(t) => format!("goto {}", self.target(t)),
            StepKind::End => "end".to_string(),
        }
    }

    /// ```text
    /// wait up to 3d for email_open where template == "x"
    ///   then offer
    ///   timeout nudge
    /// ```
    fn wait_for(
        &mut self,
        start: usize,
        timeout: &Duration,
        (event, filter): (&Ident, &Option<Expr>),
        also: &[AltEvent],
        then: &Target,
        on_timeout: &Target,
    ) {
        let (last_event, last_filter) = also.last().map_or((event, filter), |a| (&a.event, &a.filter));
        let head_end = last_filter.as_ref().map_or(last_event.span.end, |f| f.span.end) as usize;
        let head = self.wait_for_head(timeout, (event, filter), also);
        self.line(start, head_end, &head);
        self.depth += 1;
        for (keyword, target) in [("then", then), ("timeout", on_timeout)] {
            let span = target.span();
            self.blank = Blank::Suppress;
            let text = format!("{keyword} {}", self.target(target));
            self.line(span.start as usize, span.end as usize, &text);
        }
        self.depth -= 1;
    }

    /// `wait up to 3d for purchase where amount >= $10 or subscription_started`
    fn wait_for_head(&self, timeout: &Duration, (event, filter): (&Ident, &Option<Expr>), also: &[AltEvent]) -> String {
        let events = std::iter::once((event, filter)).chain(also.iter().map(|a| (&a.event, &a.filter)));
        let mut head = format!("wait up to {} for ", duration(self.src, timeout));
        for (i, (event, filter)) in events.enumerate() {
            if i > 0 {
                head.push_str(" or ");
            }
            head.push_str(&event.name);
            match filter {
                // `where a or vip then` would read `vip` as another awaited event
                Some(f) if or_of_bare_name(f) => head.push_str(&format!(" where ({})", self.expr(f))),
                _ => head.push_str(&self.filter(filter)),
            }
        }
        head
    }

    fn branch(&mut self, start: usize, end: usize, arms: &[BranchArm], otherwise: &Option<Target>) {
        self.open_block(start, start + "branch".len(), "branch");
        for arm in arms {
            let text = format!("when {} -> {}", self.expr(&arm.condition), self.target(&arm.target));
            self.line(arm.span.start as usize, arm.span.end as usize, &text);
        }
        if let Some(t) = otherwise {
            let span = t.span();
            let text = format!("else -> {}", self.target(t));
            self.line(span.start as usize, span.end as usize, &text);
        }
        self.close_block(end);
    }

    fn split(&mut self, start: usize, end: usize, name: &Option<Ident>, arms: &[SplitArm]) {
        let (after, header) = match name {
            Some(n) => (n.span.end as usize, format!("split {}", n.name)),
            None => (start + "split".len(), "split".to_string()),
        };
        self.open_block(start, after, &header);
        for arm in arms {
            let text = format!("{} -> {}", percent(&arm.weight), self.target(&arm.target));
            self.line(arm.span.start as usize, arm.span.end as usize, &text);
        }
        self.close_block(end);
    }
}

/// A date as `yyyy-mm-dd` (issue 15: campaign windows).
fn date_text(d: &DateLit) -> String {
    format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)
}

/// Any of several events: in a wait's filter, `or NAME` followed by `then`, `where` or
/// `or` starts another awaited event (grammar: wait_or_ahead), so a filter with a bare
/// name among its top-level `or` operands is printed in parentheses.
fn or_of_bare_name(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Paren(inner) => or_of_bare_name(inner),
        ExprKind::Binary { op: BinaryOp::Or, lhs, rhs, .. } => {
            bare_name(rhs) || bare_name(lhs) || or_of_bare_name(lhs) || or_of_bare_name(rhs)
        }
        _ => false,
    }
}

fn bare_name(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Paren(inner) => bare_name(inner),
        ExprKind::Path(p) => p.len() == 1,
        _ => false,
    }
}

/// issue 15: `3 business days`, `1 business day` (either spelling parses).
fn business_days(d: &journey_syntax::ast::BusinessDays) -> String {
    format!("{} business day{}", d.amount, if d.amount == 1 { "" } else { "s" })
}
