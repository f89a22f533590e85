//! The interner (one buffer of keys, a table of ids) against a plain map as the model:
//! ids dense and in first-seen order, every key resolving to itself, through the
//! table's growth (its rehashes read the keys back from the buffer).

use journey_events::Interner;
use proptest::prelude::*;
use std::collections::HashMap;

#[test]
fn ids_are_dense_in_first_seen_order_through_growth() {
    let mut i = Interner::default();
    // prefixes of one another and the empty string: only equal bytes are one key
    let keys: Vec<String> = (0..100_000).map(|n| format!("c{n}")).chain(["".into(), "c1 ".into()]).collect();
    for (n, k) in keys.iter().enumerate() {
        assert_eq!(i.intern(k), n as u32, "{k:?}");
    }
    for (n, k) in keys.iter().enumerate().rev() {
        assert_eq!(i.intern(k), n as u32);
        assert_eq!(i.get(k), Some(n as u32));
        assert_eq!(i.resolve(n as u32), k);
    }
    assert_eq!(i.len(), keys.len());
    assert_eq!(i.get("c100000"), None);
    let tail: Vec<&str> = keys[99_998..].iter().map(String::as_str).collect();
    assert_eq!(i.names_from(99_998).iter().map(|b| &**b).collect::<Vec<_>>(), tail);
    assert!(i.names_from(keys.len() + 5).is_empty());
}

proptest! {
    #[test]
    fn agrees_with_a_map(keys in proptest::collection::vec("[a-c\u{e9} ]{0,4}", 0..200)) {
        let mut i = Interner::default();
        let mut model: HashMap<String, u32> = HashMap::new();
        for k in &keys {
            let next = model.len() as u32;
            let want = *model.entry(k.clone()).or_insert(next);
            prop_assert_eq!(i.intern(k), want);
        }
        prop_assert_eq!(i.len(), model.len());
        for (k, &id) in &model {
            prop_assert_eq!(i.resolve(id), k.as_str());
            prop_assert_eq!(i.get(k), Some(id));
        }
        let copy = i.clone();
        for (k, &id) in &model {
            prop_assert_eq!(copy.get(k), Some(id));
        }
    }
}
