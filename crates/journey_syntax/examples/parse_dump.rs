fn main() {
    let path = std::env::args().nth(1).expect("path");
    let src = std::fs::read_to_string(&path).unwrap();
    let parsed = journey_syntax::parse_file(&path, &src, journey_diagnostics::FileId(0));
    if std::env::args().nth(2).is_some() {
        println!("{:#?}", parsed.module);
    }
    println!("items: {}", parsed.module.items.len());
    for d in parsed.diagnostics {
        println!("{d:?}");
    }
}
