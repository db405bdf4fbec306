//! The YAML workload loader on any text: an error with a location or a workload, never a
//! panic, never a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Err(e) = pgparity::workload::parse(std::path::Path::new("w/x.yaml"), "w/x", text) {
            // Every error names the file and a position inside the text.
            let shown = e.to_string();
            assert!(shown.starts_with("w/x.yaml:"), "{shown}");
        }
    }
});
