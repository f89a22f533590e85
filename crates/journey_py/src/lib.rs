//! The Python module `journey._journey` (re-exported by python/journey/__init__.py):
//! a project loaded as `journey check` sees it, and the replay of Arrow record batches
//! through journey_run, the core `journey simulate` runs. python/journey/spark.py runs
//! it on each Spark partition and merges the partial reports as `journey merge` does.
//!
//! Batches cross as Arrow IPC stream bytes (see Cargo.toml for why not the C data
//! interface); the Python wrapper turns them into pyarrow objects.

use journey_events::{BatchReader, Event, Interner, ReadOptions, Schema};
use journey_run::project::Loaded;
use journey_run::replay::{Settings, Source, Stage};
use journey_run::trace::{trace_row, TraceColumns};
use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use std::path::PathBuf;

pyo3::create_exception!(
    _journey,
    ProgramError,
    PyException,
    "The journeys have errors, or the project cannot be read."
);
pyo3::create_exception!(
    _journey,
    ReplayError,
    PyException,
    "A replay failed: a bad row, a bad option, a mapping the rows do not fit."
);

/// Events handed to the engine at a time (as `journey simulate` groups them).
const GROUP: usize = 1 << 17;

/// A checked project: its program, event mapping and `clv:` settings.
#[pyclass(frozen, module = "journey._journey")]
struct Program {
    loaded: Loaded,
    path: String,
}

fn replay_error(e: impl std::fmt::Display) -> PyErr {
    ReplayError::new_err(e.to_string())
}

/// A miette report as text: the message, then its help.
fn report_text(e: &miette::Report) -> String {
    let mut s = e.to_string();
    if let Some(h) = e.help() {
        s.push_str(&format!("\nhelp: {h}"));
    }
    s
}

fn read_error(e: journey_events::ReadError) -> PyErr {
    ReplayError::new_err(report_text(&miette::Report::new(e)))
}

/// Record batches from Arrow IPC stream bytes.
fn batches(bytes: &[u8]) -> PyResult<Vec<arrow_array::RecordBatch>> {
    let reader = arrow_ipc::reader::StreamReader::try_new(std::io::Cursor::new(bytes), None).map_err(replay_error)?;
    reader.collect::<Result<Vec<_>, _>>().map_err(replay_error)
}

/// Record batches as Arrow IPC stream bytes.
fn ipc(schema: &arrow_schema::Schema, batches: &[arrow_array::RecordBatch]) -> PyResult<Vec<u8>> {
    let mut out = Vec::new();
    let mut w = arrow_ipc::writer::StreamWriter::try_new(&mut out, schema).map_err(replay_error)?;
    for b in batches {
        w.write(b).map_err(replay_error)?;
    }
    w.finish().map_err(replay_error)?;
    drop(w);
    Ok(out)
}

fn column_name(c: &journey_events::Column) -> String {
    match c {
        journey_events::Column::Name(n) => n.clone(),
        journey_events::Column::Position(p) => format!("#{p}"),
    }
}

fn read_options(options: Option<&Bound<'_, PyDict>>) -> PyResult<ReadOptions> {
    let skip = match options.map(|o| o.get_item("skip_bad_rows")).transpose()?.flatten() {
        Some(v) => v.extract::<bool>()?,
        None => false,
    };
    Ok(ReadOptions { skip_bad_rows: skip, sort: false })
}

#[pymethods]
impl Program {
    /// Load and check the project at `path` (a folder, or journey files; journey.yaml
    /// is found as `journey check` finds it). Raises `ProgramError` with the rendered
    /// diagnostics when the program has errors.
    #[staticmethod]
    fn load(path: PathBuf) -> PyResult<Program> {
        let loaded = journey_run::project::load_for_replay(&path).map_err(ProgramError::new_err)?;
        // absolute, so that a Spark worker (another process, maybe another working
        // directory) loads the same project when the program is unpickled there
        let path = std::path::absolute(&path).unwrap_or(path);
        Ok(Program { loaded, path: path.display().to_string() })
    }

    /// Pickled as its path: Spark sends the program to its workers, which load and
    /// check the project again (the files must be readable there).
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyAny>, (String,))> {
        // a module-level function pickles by reference (a static method may not)
        Ok((py.import("journey")?.getattr("_load_program")?, (self.path.clone(),)))
    }

    #[getter]
    fn path(&self) -> &str {
        &self.path
    }

    /// The project's root folder.
    #[getter]
    fn root(&self) -> String {
        self.loaded.root.display().to_string()
    }

    /// The mapped columns of `events:` in journey.yaml: `customer`, `timestamp` (names,
    /// or `#N` for the N-th column of a header-less file).
    fn columns<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("customer", column_name(&self.loaded.mapping.customer))?;
        d.set_item("timestamp", column_name(&self.loaded.mapping.timestamp))?;
        // issue 15: the snapshot column naming each customer's account (None without
        // accounts); Spark keeps an account's customers in one part
        d.set_item("account", self.loaded.program.accounts.attribute.clone())?;
        Ok(d)
    }

    /// `events.path` and `events.attributes` of journey.yaml, from the project root.
    fn event_paths(&self) -> (Option<String>, Option<String>) {
        let full = |p: &std::path::Path| self.loaded.root.join(p).display().to_string();
        (self.loaded.mapping.path.as_deref().map(full), self.loaded.mapping.attributes.as_deref().map(full))
    }

    /// The time (ms UTC) of each row of the batches (Arrow IPC stream bytes, columns
    /// named as the batches' schema), `None` for a row that is not an event: the sort
    /// key and the span of a run, parsed as the replay parses it. Returns Arrow IPC
    /// stream bytes of one int64 column `time`.
    fn event_times(&self, py: Python<'_>, data: &[u8]) -> PyResult<Py<PyBytes>> {
        let input = batches(data)?;
        let schema = Schema::from_program(&self.loaded.program);
        let mut out = arrow_array::builder::Int64Builder::new();
        if let Some(first) = input.first() {
            let fields: Vec<String> = first.schema().fields().iter().map(|f| f.name().clone()).collect();
            let mut reader = BatchReader::new(
                "record batches",
                &fields,
                &self.loaded.mapping,
                &schema,
                ReadOptions::default(),
                false,
            )
            .map_err(read_error)?;
            for b in &input {
                for t in reader.times(b).map_err(read_error)? {
                    out.append_option(t);
                }
            }
        }
        let column: arrow_array::ArrayRef = std::sync::Arc::new(out.finish());
        let schema =
            arrow_schema::Schema::new(vec![arrow_schema::Field::new("time", arrow_schema::DataType::Int64, true)]);
        let batch = arrow_array::RecordBatch::try_new(std::sync::Arc::new(schema.clone()), vec![column])
            .map_err(replay_error)?;
        Ok(PyBytes::new(py, &ipc(&schema, &[batch])?).unbind())
    }

    /// The simulated period (first and last instant, ms UTC) as `journey simulate`
    /// takes it: whole local days from `from_day` (YYYY-MM-DD, else the day of `first`)
    /// to `to_day` (else the day of `last`).
    #[pyo3(signature = (first, last, from_day=None, to_day=None))]
    fn period(
        &self,
        first: Option<i64>,
        last: Option<i64>,
        from_day: Option<&str>,
        to_day: Option<&str>,
    ) -> PyResult<(i64, i64)> {
        let tz = Schema::from_program(&self.loaded.program).timezone();
        let date = |name: &str, s: Option<&str>| -> PyResult<Option<i64>> {
            s.map(|s| {
                journey_engine::time::parse_date(s.trim()).ok_or_else(|| {
                    PyValueError::new_err(format!("{name}: `{s}` is not a date (write it as YYYY-MM-DD)"))
                })
            })
            .transpose()
        };
        let day = |t: i64| journey_engine::time::local_day(tz, t);
        let from = match (date("from", from_day)?, first) {
            (Some(d), _) => d,
            (None, Some(t)) => day(t),
            (None, None) => return Err(ReplayError::new_err("the log has no events (and no `from` day was given)")),
        };
        let to = match (date("to", to_day)?, last) {
            (Some(d), _) => d,
            (None, Some(t)) => day(t),
            (None, None) => return Err(ReplayError::new_err("the log has no events (and no `to` day was given)")),
        };
        let start = journey_engine::time::date_midnight(tz, from);
        let until = journey_engine::time::date_midnight(tz, to + 1) - 1;
        if until < start {
            return Err(ReplayError::new_err("the simulated period is empty: `to` is before `from`"));
        }
        Ok((start, until))
    }

    /// Merge partial reports (JSON texts) as `journey merge` does, refusing parts that
    /// share customers; the merged report as `journey merge --format json` prints it
    /// (equal to `journey simulate --format json` of the whole log).
    fn merge(&self, partials: Vec<String>) -> PyResult<String> {
        let merged = merge(&partials)?;
        Ok(journey_run::report_json(
            &merged.partial.report,
            merged.partial.run.as_ref(),
            Some(&self.loaded.program),
            &merged.clv,
            merged.partial.skipped.as_ref(),
        ))
    }

    /// The merged report as the self-contained HTML page of `journey merge --html`.
    fn merge_html(&self, partials: Vec<String>, sources: Vec<String>) -> PyResult<String> {
        let merged = merge(&partials)?;
        let meta = journey_engine::html::HtmlMeta {
            command: "journey.spark.simulate".into(),
            sources,
            period: merged.partial.run.as_ref().map(|r| (r.from.clone(), r.to.clone())),
            seed: merged.partial.run.as_ref().map(|r| r.seed),
            quiet_hours: merged.partial.run.as_ref().map(|r| r.quiet_hours.clone()),
            skipped: merged.partial.skipped.clone(),
            clv: Some(journey_run::clv_estimate::html_rows(&merged.clv)),
        };
        Ok(journey_engine::html::render_html(&merged.partial.report, Some(&self.loaded.program), &meta))
    }
}

fn merge(partials: &[String]) -> PyResult<journey_run::Merged> {
    let mut parts = Vec::with_capacity(partials.len());
    for (i, text) in partials.iter().enumerate() {
        let part = journey_run::partial::Partial::from_json(text)
            .map_err(|e| ReplayError::new_err(format!("part {}: not a partial report: {e}", i + 1)))?;
        parts.push((format!("part {}", i + 1), part));
    }
    journey_run::merge(&parts).map_err(|e| ReplayError::new_err(report_text(&miette::Report::new(e))))
}

/// The rows of one partition: IPC stream bytes pulled from a Python iterator, read
/// into events a group at a time.
struct Batches<'py> {
    items: Bound<'py, pyo3::types::PyIterator>,
    reader: Option<BatchReader>,
    name: String,
    mapping: &'py journey_events::Mapping,
    schema: Schema,
    options: ReadOptions,
    /// Events read but not handed out yet.
    pending: std::collections::VecDeque<Event>,
    empty: Interner,
}

impl Batches<'_> {
    /// Read the next item into `pending`; false at the end.
    fn read_more(&mut self) -> Result<bool, miette::Report> {
        let Some(item) = self.items.next() else { return Ok(false) };
        let item = item.map_err(|e| miette::miette!("{e}"))?;
        let bytes = item.cast::<PyBytes>().map_err(|e| miette::miette!("{e}"))?;
        let input = batches(bytes.as_bytes()).map_err(|e| miette::miette!("{e}"))?;
        for b in &input {
            if self.reader.is_none() {
                let fields: Vec<String> = b.schema().fields().iter().map(|f| f.name().clone()).collect();
                self.reader =
                    Some(BatchReader::new(&self.name, &fields, self.mapping, &self.schema, self.options, true)?);
            }
            let mut events = Vec::with_capacity(b.num_rows());
            self.reader.as_mut().expect("made above").push(b, &mut events)?;
            self.pending.extend(events);
        }
        Ok(true)
    }
}

impl Source for Batches<'_> {
    fn next_group(&mut self, group: &mut Vec<Event>) -> (bool, Option<miette::Report>) {
        group.clear();
        while self.pending.len() < GROUP {
            match self.read_more() {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => return (false, Some(e)),
            }
        }
        let n = self.pending.len().min(GROUP);
        group.extend(self.pending.drain(..n));
        (!self.pending.is_empty() || n == GROUP, None)
    }
    fn interner(&self) -> &Interner {
        self.reader.as_ref().map_or(&self.empty, BatchReader::interner)
    }
    fn texts(&self) -> &Interner {
        self.reader.as_ref().map_or(&self.empty, BatchReader::texts)
    }
}

/// Replay one partition's rows: `batches` an iterable of Arrow IPC stream bytes,
/// each customer's rows in time order; `start` and `until` the period
/// (`Program.period`). Options: `seed` (1), `quiet_hours` ("defer" or "drop"),
/// `skip_bad_rows` (False), `trace` (True), `name` (for messages). Returns the trace
/// (IPC stream bytes, or None), the partial report (JSON) and the skipped rows (JSON).
/// `attributes`: the attribute snapshot of these customers as CSV bytes (a header
/// naming `customer_id` and the attributes, as the snapshot file), read as
/// `events.attributes` is: its customers without rows still get their scheduled and
/// date-attribute entries, so give each partition only its own customers.
#[pyfunction]
#[pyo3(signature = (program, batches, start, until, options=None, attributes=None))]
fn simulate_ipc<'py>(
    py: Python<'py>,
    program: &Program,
    batches: &Bound<'py, PyAny>,
    start: i64,
    until: i64,
    options: Option<&Bound<'py, PyDict>>,
    attributes: Option<&[u8]>,
) -> PyResult<(Option<Py<PyBytes>>, String, String)> {
    let get = |key: &str| -> PyResult<Option<Bound<'py, PyAny>>> {
        Ok(options.map(|o| o.get_item(key)).transpose()?.flatten())
    };
    let seed = get("seed")?.map(|v| v.extract::<u64>()).transpose()?.unwrap_or(1);
    let quiet_hours = match get("quiet_hours")?.map(|v| v.extract::<String>()).transpose()?.as_deref() {
        None | Some("defer") => journey_engine::QuietMode::Defer,
        Some("drop") => journey_engine::QuietMode::Drop,
        Some(other) => return Err(PyValueError::new_err(format!("quiet_hours: `{other}` is not `defer` or `drop`"))),
    };
    let want_trace = get("trace")?.map(|v| v.extract::<bool>()).transpose()?.unwrap_or(true);
    let name = get("name")?.map(|v| v.extract::<String>()).transpose()?.unwrap_or_else(|| "record batches".into());
    let loaded = &program.loaded;
    let settings = Settings {
        start,
        until,
        quiet_hours,
        seed,
        // a Spark task is one core: Spark runs the partitions side by side
        threads: 1,
        finish_threads: 1,
        clv: loaded.clv.clone(),
        coverage: true,
        measure_state: false,
    };
    let schema = Schema::from_program(&loaded.program);
    let schema_tz = schema.timezone();
    let profiles = match attributes {
        None => journey_run::profiles::Snapshot::default(),
        Some(csv) => {
            let reader: Box<dyn std::io::BufRead + Send> = Box::new(std::io::Cursor::new(csv.to_vec()));
            let display = format!("{name} (attributes)");
            let attrs = journey_events::read_attributes_from(
                std::path::Path::new(&display),
                display.clone(),
                reader,
                &loaded.program,
            )
            .map_err(read_error)?;
            let mut snapshot = journey_run::profiles::Snapshot::new(attrs, &loaded.program, &schema);
            // issue 15: the account file of journey.yaml, read by every worker from
            // the project (as its journey files are), as `journey simulate` reads it
            if let Some(file) = &loaded.program.accounts.file {
                let path = loaded.root.join(file);
                let rows = journey_events::read_accounts(&path, &loaded.program).map_err(read_error)?;
                snapshot
                    .apply_accounts(&loaded.program, &schema, &rows)
                    .map_err(|m| ProgramError::new_err(format!("{}: {m}", path.display())))?;
            }
            snapshot
        }
    };
    let mut source = Batches {
        items: batches.try_iter()?,
        reader: None,
        name,
        mapping: &loaded.mapping,
        schema,
        options: read_options(options)?,
        pending: Default::default(),
        empty: Interner::default(),
    };
    let mut trace = TraceColumns::default();
    let mut trace_batches = Vec::new();
    let program_ir = &loaded.program;
    let outcome = journey_run::replay::run(
        program_ir,
        &loaded.mapping,
        &settings,
        profiles,
        &mut source,
        GROUP,
        |_, world, actions, stage| {
            if want_trace {
                for a in actions {
                    trace.push(&trace_row(program_ir, world, a));
                }
                if trace.len() >= GROUP || (stage == Stage::Last && !trace.is_empty()) {
                    trace_batches.push(trace.finish());
                }
            }
            Ok(())
        },
    )
    .map_err(|e| ReplayError::new_err(report_text(&e)))?;
    let skipped = source.reader.as_ref().map(|r| r.skipped().clone()).unwrap_or_default();
    let trace = match want_trace {
        true => Some(PyBytes::new(py, &ipc(&trace.schema(), &trace_batches)?).unbind()),
        false => None,
    };
    let run = journey_run::partial::RunSettings::new(schema_tz, start, until, seed, quiet_hours, &loaded.program);
    let partial = outcome.partial(run, skipped.clone()).to_json();
    let skipped = serde_json::to_string(&skipped).map_err(replay_error)?;
    Ok((trace, partial, skipped))
}

#[pymodule]
fn _journey(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Program>()?;
    m.add_function(wrap_pyfunction!(simulate_ipc, m)?)?;
    m.add("ProgramError", m.py().get_type::<ProgramError>())?;
    m.add("ReplayError", m.py().get_type::<ReplayError>())?;
    Ok(())
}
