//! psql's lexer and the `.sql` loader on any text: every statement is a slice of the script at
//! its offset, in order, and errors point inside the script.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pgparity::workload::sql::{items, Item};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match items(text) {
        Ok(found) => {
            let mut last = 0;
            for item in &found {
                let (offset, body) = match item {
                    Item::Statement(p) => (p.offset, p.text.as_str()),
                    Item::Meta(m) => (m.offset, m.text.as_str()),
                };
                assert_eq!(&text[offset..offset + body.len()], body);
                if let Item::Statement(p) = item {
                    assert!(offset >= last, "statements in order");
                    last = offset + body.len();
                    assert!(!p.text.is_empty());
                }
            }
        }
        Err(e) => assert!(e.offset <= text.len()),
    }
    let _ = pgparity::workload::parse(std::path::Path::new("w/x.sql"), "w/x", text);
});
