//! The trace: one row per action (time, customer, journey, node, kind, channel,
//! template), and the same rows as Arrow columns (the CLI's Parquet trace, the trace
//! batches of journey_py).

use crate::profiles::World;
use arrow_array::builder::{StringBuilder, TimestampMillisecondBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use journey_engine::{Action, ActionKind, Profiles};
use journey_ir::{Program, Step};
use std::sync::Arc;

/// The columns of the trace, one row per action.
pub const TRACE_COLUMNS: [&str; 7] = ["time", "customer", "journey", "node", "kind", "channel", "template"];

/// One action as a trace row: node, channel and template are `None` where the action
/// has none (written empty in CSV, null in Arrow and Parquet).
pub struct TraceRow<'a> {
    pub time: i64,
    pub customer: &'a str,
    pub journey: &'a str,
    pub node: Option<&'a str>,
    pub kind: &'static str,
    pub channel: Option<&'a str>,
    pub template: Option<&'a str>,
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
    let template = match (&a.kind, node.map(|n| &n.step)) {
        (ActionKind::Send { .. }, Some(Step::Send { template, .. })) => Some(template.as_str()),
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
    }
}

/// The Arrow schema of the trace: `time` a UTC timestamp in milliseconds, the other
/// columns strings, node, channel and template nullable.
pub fn arrow_schema() -> SchemaRef {
    let nullable = |name: &str| matches!(name, "node" | "channel" | "template");
    let mut fields = vec![Field::new("time", DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())), false)];
    fields.extend(TRACE_COLUMNS[1..].iter().map(|c| Field::new(*c, DataType::Utf8, nullable(c))));
    Arc::new(Schema::new(fields))
}

/// Trace rows gathered into Arrow columns, a record batch at a time.
pub struct TraceColumns {
    schema: SchemaRef,
    time: TimestampMillisecondBuilder,
    strings: [StringBuilder; 6],
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
        let [customer, journey, node, kind, channel, template] = &mut self.strings;
        customer.append_value(r.customer);
        journey.append_value(r.journey);
        node.append_option(r.node);
        kind.append_value(r.kind);
        channel.append_option(r.channel);
        template.append_option(r.template);
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
