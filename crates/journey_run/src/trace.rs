//! The trace: one row per action (time, customer, journey, node, kind, channel,
//! template, reason), and the same rows as Arrow columns (the CLI's Parquet trace, the
//! trace batches of journey_py).

use crate::profiles::World;
use arrow_array::builder::{StringBuilder, TimestampMillisecondBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use journey_engine::{Action, ActionKind, ExitReason, Profiles};
use journey_ir::{Program, Step};
use std::sync::Arc;

/// The columns of the trace, one row per action.
pub const TRACE_COLUMNS: [&str; 8] = ["time", "customer", "journey", "node", "kind", "channel", "template", "reason"];

/// One action as a trace row: node, channel, template and reason are `None` where the
/// action has none (written empty in CSV, null in Arrow and Parquet).
pub struct TraceRow<'a> {
    pub time: i64,
    pub customer: &'a str,
    pub journey: &'a str,
    pub node: Option<&'a str>,
    pub kind: &'static str,
    pub channel: Option<&'a str>,
    pub template: Option<&'a str>,
    /// Why, in the report's words: an exit's reason (`end`, `exit_event`,
    /// `exit_condition`, `handover`, `holdout`, `step_limit`, `global_holdout`), a
    /// refused send's ([`journey_engine::Suppression::as_str`]), a deferral's
    /// ([`journey_engine::DeferReason::as_str`]), and on an entry `holdout` (held out of
    /// the journey: an entrant) or `global_holdout` (the would-be entry of a customer in
    /// the program's global holdout: not an entrant).
    pub reason: Option<&'static str>,
}

pub fn trace_row<'a>(program: &'a Program, world: &'a World, a: &Action) -> TraceRow<'a> {
    let j = &program.journeys[a.journey];
    let node = a.node.map(|n| &j.nodes[n]);
    let ch = |c: usize| Some(program.channels[c].name.as_str());
    let (kind, channel) = match &a.kind {
        ActionKind::Enter { .. } => ("enter", None),
        ActionKind::Exit { .. } => ("exit", None),
        ActionKind::Send { channel } => ("send", ch(*channel)),
        ActionKind::Task { channel, .. } => ("task", ch(*channel)),
        ActionKind::Webhook { channel } => ("webhook", ch(*channel)),
        ActionKind::SetAttribute { .. } => ("set", None),
        ActionKind::GoalReached { .. } => ("goal", None),
        ActionKind::Suppressed { channel, .. } => ("suppressed", ch(*channel)),
        ActionKind::Deferred { channel, .. } => ("deferred", ch(*channel)),
    };
    // a refused or deferred message names its template as a delivered one does
    let template = match (&a.kind, node.map(|n| &n.step)) {
        (
            ActionKind::Send { .. } | ActionKind::Suppressed { .. } | ActionKind::Deferred { .. },
            Some(Step::Send { template, .. }),
        ) => Some(template.as_str()),
        _ => None,
    };
    let reason = match &a.kind {
        ActionKind::Enter { global_holdout: true, .. } => Some(ExitReason::GlobalHoldout.as_str()),
        ActionKind::Enter { holdout: true, .. } => Some(ExitReason::Holdout.as_str()),
        ActionKind::Exit { reason } => Some(reason.as_str()),
        ActionKind::Suppressed { reason, .. } => Some(reason.as_str()),
        ActionKind::Deferred { reason, .. } => Some(reason.as_str()),
        _ => None,
    };
    TraceRow {
        time: a.time,
        customer: world.customer(a.customer).key,
        journey: &j.name,
        node: node.map(|n| n.id.as_str()),
        kind,
        channel,
        template,
        reason,
    }
}

/// The Arrow schema of the trace: `time` a UTC timestamp in milliseconds, the other
/// columns strings, node, channel, template and reason nullable.
pub fn arrow_schema() -> SchemaRef {
    let nullable = |name: &str| matches!(name, "node" | "channel" | "template" | "reason");
    let mut fields = vec![Field::new("time", DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())), false)];
    fields.extend(TRACE_COLUMNS[1..].iter().map(|c| Field::new(*c, DataType::Utf8, nullable(c))));
    Arc::new(Schema::new(fields))
}

/// Trace rows gathered into Arrow columns, a record batch at a time.
pub struct TraceColumns {
    schema: SchemaRef,
    time: TimestampMillisecondBuilder,
    strings: [StringBuilder; 7],
    rows: usize,
}

impl Default for TraceColumns {
    fn default() -> Self {
        TraceColumns {
            schema: arrow_schema(),
            time: TimestampMillisecondBuilder::new().with_timezone("UTC"),
            strings: Default::default(),
            rows: 0,
        }
    }
}

impl TraceColumns {
    pub fn push(&mut self, r: &TraceRow) {
        self.time.append_value(r.time);
        let [customer, journey, node, kind, channel, template, reason] = &mut self.strings;
        customer.append_value(r.customer);
        journey.append_value(r.journey);
        node.append_option(r.node);
        kind.append_value(r.kind);
        channel.append_option(r.channel);
        template.append_option(r.template);
        reason.append_option(r.reason);
        self.rows += 1;
    }

    /// Rows since the last [`TraceColumns::finish`].
    pub fn len(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// The rows so far as a record batch; the builder starts afresh.
    pub fn finish(&mut self) -> RecordBatch {
        let mut columns: Vec<ArrayRef> = vec![Arc::new(self.time.finish())];
        columns.extend(self.strings.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
        self.rows = 0;
        RecordBatch::try_new(self.schema.clone(), columns).expect("the trace columns match their schema")
    }
}
