//! Events from Arrow record batches (`BatchReader`, what journey_py feeds a Spark
//! partition through) are the events the CSV reader makes of the same rows: the same
//! mapping, typing, interning and order checks. On the B2B test project's schema.
#![cfg(feature = "parquet")]

use arrow_array::{ArrayRef, RecordBatch, StringArray};
use journey_events::{BatchReader, Event, Format, LogReader, Mapping, ReadOptions, Schema};
use std::path::Path;
use std::sync::Arc;

#[path = "support/checked.rs"]
mod checked;

fn b2b() -> journey_ir::Program {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/projects/b2b");
    let checked = checked::check_project(&root);
    assert!(checked.diagnostics.iter().all(|d| d.severity != journey_diagnostics::Severity::Error));
    checked.program
}

/// A CSV log as record batches of string columns (`rows` rows each), empty cells
/// null, as Spark reads a CSV without schema inference.
fn batches(csv_text: &str, rows: usize) -> (Vec<String>, Vec<RecordBatch>) {
    let mut r = csv::Reader::from_reader(csv_text.as_bytes());
    let names: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let records: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    let schema = Arc::new(arrow_schema::Schema::new(
        names.iter().map(|n| arrow_schema::Field::new(n, arrow_schema::DataType::Utf8, true)).collect::<Vec<_>>(),
    ));
    let out = records
        .chunks(rows)
        .map(|chunk| {
            let columns: Vec<ArrayRef> = (0..names.len())
                .map(|c| {
                    let values = chunk.iter().map(|rec| rec.get(c).filter(|v| !v.is_empty()));
                    Arc::new(values.collect::<StringArray>()) as ArrayRef
                })
                .collect();
            RecordBatch::try_new(schema.clone(), columns).unwrap()
        })
        .collect();
    (names, out)
}

/// A log of the B2B project's events: customers interleaved, each in time order, every
/// property type (one_of, text with a comma and a quote, money, revenue), empty cells.
fn b2b_log(customers: u32, days: u32) -> String {
    let mut out = String::from("customer_id,timestamp,event,revenue,device,feature,amount,invoice_id,severity,topic\n");
    let devices = ["web", "ios", "android"];
    let features = ["scheduling", "billing", "telehealth", "reports"];
    for day in 0..days {
        for c in 0..customers {
            let k = (c * 7 + day * 13) % 11;
            let time = format!("2025-01-{:02}T{:02}:{:02}:00Z", 1 + day, 8 + k % 3, c % 60);
            let row = match k {
                0..=4 => format!("login,,{},,,,,", devices[(c % 3) as usize]),
                5..=7 => format!("feature_used,,,{},,,,", features[(k % 4) as usize]),
                8 => format!("invoice_paid,{0}.50,,,{0}.50,inv-{c}-{day},,", 10 + c % 90),
                9 => "support_ticket,,,,,,urgent,\"billing, \"\"late\"\"\"".to_string(),
                _ => continue,
            };
            out.push_str(&format!("c{c:05},{time},{row}\n"));
        }
    }
    out
}

/// An event without its position (a line of the file, a row of the batches).
fn unplaced(mut e: Event) -> Event {
    e.line = 0;
    e
}

#[test]
fn batches_give_the_events_of_the_same_rows_as_the_csv_reader() {
    let program = b2b();
    let schema = Schema::from_program(&program);
    let text = b2b_log(300, 28);
    let mut csv_reader = LogReader::from_reader(
        Path::new("log.csv"),
        Box::new(std::io::Cursor::new(text.clone().into_bytes())),
        Format::Csv,
        &Mapping::default(),
        &schema,
        ReadOptions::default(),
    )
    .unwrap();
    let from_csv: Vec<Event> = csv_reader.by_ref().map(|e| unplaced(e.unwrap())).collect();
    assert!(from_csv.len() > 2000, "{} events", from_csv.len());

    let (names, input) = batches(&text, 777);
    let mut reader =
        BatchReader::new("spark partition 0", &names, &Mapping::default(), &schema, ReadOptions::default(), true)
            .unwrap();
    let mut from_batches = Vec::new();
    for b in &input {
        reader.push(b, &mut from_batches).unwrap();
    }
    let from_batches: Vec<Event> = from_batches.into_iter().map(unplaced).collect();
    assert_eq!(from_batches, from_csv);
    assert_eq!(reader.rows(), from_csv.len() as u64);
    // the same keys and texts behind the ids
    assert_eq!(reader.interner().len(), csv_reader.interner().len());
    for i in 0..reader.interner().len() as u32 {
        assert_eq!(reader.interner().resolve(i), csv_reader.interner().resolve(i));
    }
    for i in 0..reader.texts().len() as u32 {
        assert_eq!(reader.texts().resolve(i), csv_reader.texts().resolve(i));
    }
    // the times of rows not yet sorted, as the replay parses them
    let mut times = BatchReader::new("t", &names, &Mapping::default(), &schema, ReadOptions::default(), false).unwrap();
    let parsed: Vec<Option<i64>> = input.iter().flat_map(|b| times.times(b).unwrap()).collect();
    assert_eq!(parsed, from_csv.iter().map(|e| Some(e.time)).collect::<Vec<_>>());
}

#[test]
fn a_bad_row_is_named_by_its_position_and_column_or_counted() {
    let program = b2b();
    let schema = Schema::from_program(&program);
    let text = "customer_id,timestamp,event\nc1,2025-01-02T10:00:00Z,login\nc1,2025-01-03T10:00:00Z,no_such_event\n\
                c1,2025-01-01T10:00:00Z,login\nc2,yesterday,login\n";
    let (names, input) = batches(text, 2);
    let mut reader =
        BatchReader::new("spark partition 3", &names, &Mapping::default(), &schema, ReadOptions::default(), true)
            .unwrap();
    let err = reader.push(&input[0], &mut Vec::new()).unwrap_err();
    // the error itself, not its rendering: without miette's `fancy` feature (testing
    // this crate alone) a report shows the message but not the row's text
    let shown = format!("{:?}", miette::Report::new(err));
    assert!(shown.contains("spark partition 3:2:") && shown.contains("no_such_event"), "{shown}");
    let err = BatchReader::new("spark partition 3", &names, &Mapping::default(), &schema, ReadOptions::default(), true)
        .unwrap()
        .push(&input[0], &mut Vec::new())
        .unwrap_err();
    let journey_events::ReadError::Row(row) = err else { panic!("{err:?}") };
    assert_eq!((row.line, row.field.as_str()), (2, "event"));
    assert!(row.src.text.starts_with("row 2: "), "{}", row.src.text);
    let at = row.span.offset();
    assert_eq!(&row.src.text[at..at + row.span.len()], "event = \"no_such_event\"");

    // skipping: the unknown event, the row out of time order and the bad time counted
    let skip = ReadOptions { skip_bad_rows: true, sort: false };
    let mut reader = BatchReader::new("p", &names, &Mapping::default(), &schema, skip, true).unwrap();
    let mut events = Vec::new();
    for b in &input {
        reader.push(b, &mut events).unwrap();
    }
    assert_eq!(events.len(), 1);
    let s = reader.skipped();
    assert_eq!((s.unknown_event, s.out_of_order, s.unparsable_time), (1, 1, 1), "{s:?}");
    assert_eq!(reader.rows(), 4);
}

#[test]
fn a_mapped_column_the_batches_lack_is_an_error() {
    let program = b2b();
    let schema = Schema::from_program(&program);
    let names: Vec<String> = ["who", "timestamp", "event"].map(String::from).to_vec();
    let e = BatchReader::new("p", &names, &Mapping::default(), &schema, ReadOptions::default(), true).err().unwrap();
    assert!(e.to_string().contains("customer"), "{e}");
}
